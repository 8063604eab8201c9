//! Chart rendering tests.

use super::*;

fn example() -> ChartSpec {
    ChartSpec {
        title: "Taux d'activité et d'occupation par année".to_string(),
        y_label: "Taux".to_string(),
        series: vec![
            ChartSeries {
                label: "APMN-15".to_string(),
                points: vec![(2020, 1.15), (2021, 1.2005), (2022, 1.2138), (2023, 1.18)],
            },
            ChartSeries {
                label: "MECS-63".to_string(),
                points: vec![(2020, 0.93), (2021, 0.95), (2022, 0.91), (2023, 0.96)],
            },
        ],
        reference: Some((1.0, "Capacité autorisée (100 %)".to_string())),
        banner: Some("DONNÉES DE DÉMONSTRATION".to_string()),
        secret: Vec::new(),
    }
}

/// Width and height from the IHDR chunk, after checking the PNG signature.
fn png_dimensions(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 24);
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let w = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    let h = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
    (w, h)
}

/// Very small well-formedness check: every tag opened is closed in order.
fn assert_balanced_xml(svg: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        rest = &rest[start..];
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").expect("unterminated CDATA");
            rest = &after[end + 3..];
            continue;
        }
        let end = rest.find('>').expect("unterminated tag");
        let tag = &rest[1..end];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().expect("empty tag");
            stack.push(name.to_string());
        }
        // Text between tags must not contain a raw `<` or a bare `&`.
        rest = &rest[end + 1..];
        let text_end = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..text_end];
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            assert!(
                ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "bare & in text: {entity:.20}"
            );
        }
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
}

#[test]
fn svg_is_well_formed_and_embeds_the_font() {
    let chart = render(&example()).expect("render");
    let svg = &chart.svg;
    assert!(svg.starts_with("<svg"));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_balanced_xml(svg);
    assert!(svg.contains("@font-face"));
    let family = svg
        .split("font-family: '")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("@font-face family");
    assert!(family.starts_with("ObservatoireSans-"));
    assert!(svg.contains(&format!("font-family: '{family}'; font-weight: bold")));
    assert!(svg.contains("data:font/ttf;base64,"));
    assert!(!svg.contains("font-family=\"ObservatoireSans\""));
    assert!(svg.contains(&format!("font-family=\"{family}, {SVG_FONT_FALLBACKS}\"")));
    assert!(svg.contains("121,4\u{a0}%"));
    assert!(svg.contains("91,0\u{a0}%"));
    assert!(svg.contains("100\u{a0}%"));
    assert!(svg.contains("Taux d&apos;activité et d&apos;occupation par année"));
    assert!(svg.contains("DONNÉES DE DÉMONSTRATION"));
    assert!(svg.contains("Capacité autorisée (100 %)"));
    assert!(svg.contains("\n2021\n</text>"));
    assert!(!svg.contains("2020.5"));
    // Subset, not the whole 760 KB font.
    assert!(svg.len() < 200_000, "SVG is {} bytes", svg.len());
}

#[test]
fn secret_points_are_marked_not_drawn_as_values() {
    let mut spec = example();
    // The second series' 2022 figure is withheld: no point, a mark and its legend.
    spec.series[1].points.retain(|p| p.0 != 2022);
    spec.secret = vec![(1, 2022), (7, 2022)];
    let chart = render(&spec).expect("render");
    assert!(chart.svg.contains("secret statistique"));
    assert!(
        !render(&example())
            .unwrap()
            .svg
            .contains("secret statistique")
    );
    png_dimensions(&chart.png);
}

#[test]
fn labels_are_escaped() {
    let mut spec = example();
    spec.title = "Entrées & sorties <brutes> « œ ’ ç È »".to_string();
    spec.series[0].label = "A&B <1>".to_string();
    spec.series[1].label = "Émoji 😀, combinant e\u{301}, \u{ffff}\u{202e}".to_string();
    spec.y_label = "Taux \"réel\"\u{7}".to_string();
    let chart = render(&spec).expect("render");
    assert_balanced_xml(&chart.svg);
    assert!(chart.svg.contains("A&amp;B &lt;1&gt;"));
    assert!(chart.svg.contains("Entrées &amp; sorties &lt;brutes&gt;"));
    assert!(!chart.svg.contains('\u{7}'));
    assert!(!chart.svg.contains('\u{ffff}'));
    assert!(chart.svg.contains("Émoji 😀"));
}

#[test]
fn png_has_signature_and_expected_size() {
    let chart = render(&example()).expect("render");
    assert_eq!(
        png_dimensions(&chart.png),
        (WIDTH * PNG_SCALE, HEIGHT * PNG_SCALE)
    );
}

#[test]
fn rendering_is_deterministic() {
    let a = render(&example()).expect("render");
    let b = render(&example()).expect("render");
    assert!(a.svg == b.svg, "SVG differs between two renders");
    assert!(a.png == b.png, "PNG differs between two renders");
}

#[test]
fn odd_inputs_do_not_panic() {
    let empty = ChartSpec {
        title: String::new(),
        y_label: String::new(),
        series: vec![],
        reference: None,
        banner: None,
        secret: Vec::new(),
    };
    let chart = render(&empty).expect("empty chart");
    assert!(chart.svg.contains("Aucune donnée à afficher"));
    png_dimensions(&chart.png);

    let mut spec = example();
    spec.series = vec![
        ChartSeries {
            label: "Un seul point".to_string(),
            points: vec![(2022, 0.87)],
        },
        ChartSeries {
            label: "Non finis".to_string(),
            points: vec![
                (2020, f64::NAN),
                (2021, f64::INFINITY),
                (2022, f64::NEG_INFINITY),
            ],
        },
        ChartSeries {
            label: "Vide".to_string(),
            points: vec![],
        },
    ];
    spec.reference = Some((f64::NAN, "Référence".to_string()));
    let chart = render(&spec).expect("single point");
    assert!(chart.svg.contains("87,0\u{a0}%"));
    assert!(chart.svg.contains("(aucune donnée)"));

    // Only non-finite values: same as no data.
    spec.series.remove(0);
    let chart = render(&spec).expect("no finite data");
    assert!(chart.svg.contains("Aucune donnée à afficher"));

    // Large but accepted values, negative values, far-apart years, long texts.
    let spec = ChartSpec {
        title: "T".repeat(2_000),
        y_label: "Écart".to_string(),
        series: (0..40)
            .map(|i| ChartSeries {
                label: format!("Série {i} avec un libellé assez long"),
                points: vec![(1900, -0.5), (1950 + i, 9.0e5), (2100, 0.0)],
            })
            .collect(),
        reference: Some((1.0, "Référence".to_string())),
        banner: Some("B".repeat(500)),
        secret: Vec::new(),
    };
    let chart = render(&spec).expect("large values");
    assert_balanced_xml(&chart.svg);
    assert!(!chart.svg.contains("2020.5"));

    // Extreme years.
    let spec = ChartSpec {
        series: vec![ChartSeries {
            label: "x".to_string(),
            points: vec![(i32::MIN, 1.0), (i32::MAX, 2.0)],
        }],
        ..example()
    };
    render(&spec).expect("extreme years");
}

#[test]
fn typed_errors() {
    let mut spec = example();
    spec.series[1].points.push((2021, 0.5));
    match render(&spec) {
        Err(ChartError::AnneeEnDouble { serie, annee }) => {
            assert_eq!((serie.as_str(), annee), ("MECS-63", 2021));
        }
        other => panic!("unexpected {other:?}"),
    }

    let mut spec = example();
    spec.series[0].points[1].1 = 1e300;
    let err = render(&spec).expect_err("huge value");
    assert!(matches!(
        err,
        ChartError::ValeurHorsLimites { annee: 2021, .. }
    ));
    assert!(err.to_string().contains("APMN-15"));

    let mut spec = example();
    spec.reference = Some((-1e12, "Réf".to_string()));
    assert!(matches!(
        render(&spec),
        Err(ChartError::ReferenceHorsLimites { .. })
    ));
}

#[test]
fn x_ticks_are_whole_years() {
    assert_eq!(year_ticks(2020, 2023), vec![2020.0, 2021.0, 2022.0, 2023.0]);
    assert_eq!(year_ticks(2000, 2030).len(), 7);
    assert!(year_ticks(i32::MIN, i32::MAX).len() <= 12);
    let ((lo, hi), ticks, decimals) = y_axis(&[0.91, 1.2138, 1.0]);
    assert!(lo <= 0.91 && hi >= 1.2138 && decimals == 0);
    assert!(ticks.iter().all(|t| *t >= lo - 1e-9 && *t <= hi + 1e-9));
}

#[test]
fn subset_keeps_requested_glyphs() {
    let chars: BTreeSet<char> = "Éé’œ% 0\u{a0}\u{202f}Aa".chars().collect();
    let sub = subset::subset_ttf(FONT_REGULAR, &chars).expect("subset");
    assert!(sub.len() < 40_000, "subset is {} bytes", sub.len());
    // The subset must be loadable by the same font engine as the original.
    let leaked: &'static [u8] = Box::leak(sub.into_boxed_slice());
    assert!(register_font("ObservatoireSansSubsetTest", FontStyle::Normal, leaked).is_ok());
    // Drawing the same text with the subset and with the full font gives the
    // same pixels (outlines, metrics and kerning were kept).
    ensure_fonts_registered().expect("fonts");
    let draw = |family: &str| {
        let mut buf = vec![0u8; 300 * 60 * 3];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (300, 60)).into_drawing_area();
            root.fill(&WHITE).expect("fill");
            let style = FontDesc::new(FontFamily::Name(family), 30.0, FontStyle::Normal);
            root.draw_text("Éé’œ 0 % Aa", &style.color(&BLACK), (5, 10))
                .expect("text");
            root.present().expect("present");
        }
        buf
    };
    let full = draw(FONT_FAMILY);
    let subset = draw("ObservatoireSansSubsetTest");
    assert!(full.iter().any(|b| *b < 128), "nothing drawn");
    assert!(full == subset, "subset renders differently");
}
