use std::collections::BTreeMap;

use quick_xml::events::Event;

use super::classes::{Classes, palette};
use super::*;
use crate::territory::{self, Level};

fn value(code: &str, v: Option<f64>) -> MapValue {
    MapValue {
        code: code.to_string(),
        value: v,
        secret: false,
    }
}

fn spec() -> MapSpec {
    MapSpec {
        legend_title: "pour 1 000 jeunes de moins de 21 ans".into(),
        note: "Source : DREES, INSEE.".into(),
        ..MapSpec::new("Enfants accueillis à l'ASE", MapUnit::PerThousand)
    }
}

/// Every département of the table with a value growing with its rank.
fn all_departments() -> Vec<MapValue> {
    territory::all()
        .iter()
        .filter(|t| t.level == Level::Department)
        .enumerate()
        .map(|(i, t)| value(t.code, Some(0.004 + i as f64 * 0.0001)))
        .collect()
}

/// Parses the SVG as XML (well-formed, end tags matching) and returns, for each
/// `path` of a département, its code and fill, in document order.
fn parse(svg: &str) -> Vec<(String, String)> {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut paths = Vec::new();
    let mut depth = 0_i32;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "path" => {
                if e.attributes_raw().trim_end().ends_with('/') {
                    depth -= 1; // an empty element: balanced below
                }
                depth += 1;
                let attr = |name: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == name)
                        .map(|a| a.value.to_string())
                };
                if let (Some(code), Some(fill)) = (attr("data-code"), attr("fill")) {
                    paths.push((code, fill));
                }
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => depth -= 1,
            _ => {}
        }
    }
    assert_eq!(depth, 0);
    paths
}

fn fills(svg: &str) -> BTreeMap<String, String> {
    parse(svg).into_iter().collect()
}

#[test]
fn every_department_of_the_table_has_a_shape_and_nothing_else() {
    let shapes = geometry::shapes().unwrap();
    let table: Vec<&str> = territory::all()
        .iter()
        .filter(|t| t.level == Level::Department)
        .map(|t| t.code)
        .collect();
    assert_eq!(table.len(), 101);
    for code in &table {
        let shape = shapes.get(*code).unwrap_or_else(|| panic!("{code}"));
        assert!(shape.rings.iter().all(|r| r.len() >= 3), "{code}");
    }
    assert_eq!(shapes.len(), table.len());
    // The DROM each have their inset; the rest (with Corsica) is metropolitan France.
    for (code, zone) in [
        ("971", Zone::Guadeloupe),
        ("972", Zone::Martinique),
        ("973", Zone::Guyane),
        ("974", Zone::Reunion),
        ("976", Zone::Mayotte),
        ("2A", Zone::Metro),
        ("2B", Zone::Metro),
    ] {
        assert_eq!(shapes[code].zone, zone, "{code}");
    }
}

use geometry::Zone;

#[test]
fn corsica_lies_south_east_of_the_continent() {
    let shapes = geometry::shapes().unwrap();
    let bbox = |c: &str| geometry::bbox_of(shapes[c].rings.iter().flatten());
    let (corse, alpes_maritimes, finistere) = (bbox("2A"), bbox("06"), bbox("29"));
    assert!(corse.0 > alpes_maritimes.0 && corse.1 > alpes_maritimes.1);
    assert!(finistere.0 == 0, "Finistère is the west end");
}

#[test]
fn the_map_is_well_formed_xml_with_every_department_filled() {
    let svg = choropleth(&all_departments(), &spec()).unwrap();
    let paths = parse(&svg);
    // 101 départements, and Paris with its inner ring again in the zoomed inset.
    assert_eq!(paths.len(), 105);
    let colours = palette(5);
    for (code, fill) in &paths {
        assert!(colours.contains(fill), "{code}: {fill}");
    }
    assert!(svg.contains("role=\"img\""));
    assert!(svg.contains("aria-label=\"Carte des départements : Enfants accueillis"));
    assert!(svg.contains("<title>Ain (01) : 4,00\u{a0}‰</title>"));
    assert!(svg.contains("Guadeloupe</text>") && svg.contains("Mayotte</text>"));
    assert!(svg.contains("Source : DREES, INSEE."));
    assert!(!svg.contains("<script"));
}

#[test]
fn the_legend_is_in_french_number_format() {
    let svg = choropleth(&all_departments(), &spec()).unwrap();
    // 101 values 4,0 ‰ … 14,0 ‰ in five quantile classes of 20 ranks.
    for label in [
        "de 4,0\u{a0}‰ à moins de 6,0\u{a0}‰",
        "de 12,0\u{a0}‰ à 14,0\u{a0}‰",
    ] {
        assert!(svg.contains(label), "{label}");
    }
    assert!(svg.contains("Classes : quantiles des 101 valeurs publiées."));
    let proportions = vec![
        value("01", Some(0.123)),
        value("02", Some(0.2)),
        value("03", Some(0.5)),
    ];
    let svg = choropleth(
        &proportions,
        &MapSpec {
            classes: 2,
            ..MapSpec::new("Part", MapUnit::Proportion)
        },
    )
    .unwrap();
    assert!(
        svg.contains("de 12,3\u{a0}% à moins de 20,0\u{a0}%"),
        "{svg}"
    );
    let counts = vec![value("01", Some(1514.0)), value("02", Some(20_000.0))];
    let svg = choropleth(&counts, &MapSpec::new("Effectifs", MapUnit::Count)).unwrap();
    assert!(svg.contains("<title>Ain (01) : 1\u{202f}514</title>"));
}

#[test]
fn secret_cells_are_hatched_and_named_in_the_legend_without_their_value() {
    let mut values = all_departments();
    values[0].secret = true; // Ain keeps a value that must not show.
    values[1].value = None;
    let svg = choropleth(&values, &spec()).unwrap();
    let f = fills(&svg);
    assert!(f["01"].starts_with("url(#hachures-"), "{}", f["01"]);
    assert!(svg.contains(&format!(
        "<pattern id=\"{}\"",
        &f["01"][5..f["01"].len() - 1]
    )));
    assert!(svg.contains("s : secret statistique"));
    assert!(svg.contains("<title>Ain (01) : secret statistique</title>"));
    assert!(!svg.contains("(01) : 4,"));
    assert_eq!(f["02"], classes::NO_DATA);
    assert!(svg.contains(">non disponible</text>"));
    // The secret value is not in the classes: 99 published values.
    assert!(svg.contains("quantiles des 99 valeurs"));
}

#[test]
fn departments_without_a_value_are_not_available() {
    let svg = choropleth(
        &[value("75", Some(0.01))],
        &MapSpec::new("x", MapUnit::PerThousand),
    )
    .unwrap();
    let f = fills(&svg);
    assert_eq!(f["13"], classes::NO_DATA);
    assert!(svg.contains("<title>Bouches-du-Rhône (13) : non disponible</title>"));
    assert!(svg.contains("Une seule valeur publiée."));
    let svg = choropleth(&[], &MapSpec::new("x", MapUnit::PerThousand)).unwrap();
    assert!(fills(&svg).values().all(|f| f == classes::NO_DATA));
}

#[test]
fn corsica_as_a_whole_colours_both_departments() {
    let mut values = all_departments();
    values.retain(|v| v.code != "2A" && v.code != "2B");
    values.push(value("20", Some(0.02)));
    let svg = choropleth(&values, &spec()).unwrap();
    let f = fills(&svg);
    assert_eq!(f["2A"], f["2B"]);
    assert_eq!(f["2A"], *palette(5).last().unwrap());
    assert!(svg.contains("Corse-du-Sud (2A) : 20,00\u{a0}‰ (valeur de la Corse entière, 20)"));
    values.push(value("2A", Some(0.01)));
    let e = choropleth(&values, &spec()).unwrap_err().to_string();
    assert!(e.contains("à la fois entière (20)"), "{e}");
}

#[test]
fn parts_of_the_rhone_are_named_on_the_rhone() {
    let mut values = all_departments();
    values.push(value("69D", Some(0.008)));
    values.push(value("69M", Some(0.012)));
    let svg = choropleth(&values, &spec()).unwrap();
    assert!(svg.contains(
        "Rhône (69) : 10,90\u{a0}‰ ; parties : Nouveau Rhône (69D) : 8,00\u{a0}‰ ; Métropole de Lyon (69M) : 12,00\u{a0}‰"
    ), "{}", svg.lines().find(|l| l.contains("data-code=\"69\"")).unwrap_or_default());
    values.retain(|v| v.code != "69");
    let svg = choropleth(&values, &spec()).unwrap();
    assert_eq!(fills(&svg)["69"], classes::NO_DATA);
    assert!(svg.contains("non donné) ; parties : Nouveau Rhône"));
}

#[test]
fn codes_without_a_shape_and_bad_values_are_errors() {
    for (values, expected) in [
        (
            vec![value("975", Some(1.0))],
            "« 975 » n'est pas un département",
        ),
        (vec![value(" ", Some(1.0))], "une valeur sans code"),
        (vec![value("84a", None)], "« 84a »"),
        (
            vec![value("01", Some(1.0)), value("01", Some(2.0))],
            "Ain (01) est donné deux fois",
        ),
        (vec![value("01", Some(f64::NAN))], "n'est pas un nombre"),
    ] {
        let e = choropleth(&values, &spec()).unwrap_err().to_string();
        assert!(e.contains(expected), "{e}");
    }
    for classes in [0, 8] {
        let s = MapSpec { classes, ..spec() };
        assert!(choropleth(&[], &s).is_err());
    }
}

#[test]
fn quantile_classes_merge_ties_and_include_the_maximum() {
    let c = Classes::quantiles(&[1.0, 2.0, 3.0, 4.0, 5.0], 4).unwrap();
    assert_eq!(c.bounds, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(
        [1.0, 1.9, 2.0, 4.5, 5.0].map(|v| c.class_of(v)),
        [0, 0, 1, 3, 3]
    );
    let ties = Classes::quantiles(&[1.0, 1.0, 1.0, 2.0, 3.0], 4).unwrap();
    assert_eq!(ties.bounds, vec![1.0, 2.0, 3.0]);
    let one = Classes::quantiles(&[3.0, 3.0], 5).unwrap();
    assert_eq!((one.count(), one.class_of(3.0)), (1, 0));
    assert!(Classes::quantiles(&[], 5).is_none());
    // Close bounds get more decimals rather than reading alike.
    let close = Classes::quantiles(&[0.01, 0.01004, 0.01008], 2).unwrap();
    assert_eq!(
        close.labels(MapUnit::PerThousand),
        vec![
            "de 10,00\u{a0}‰ à moins de 10,04\u{a0}‰",
            "de 10,04\u{a0}‰ à 10,08\u{a0}‰"
        ]
    );
}

fn luminance(colour: &str) -> f64 {
    let h = |i: usize| f64::from(u8::from_str_radix(&colour[i..i + 2], 16).unwrap());
    0.2126 * h(1) + 0.7152 * h(3) + 0.0722 * h(5)
}

#[test]
fn the_palette_darkens_steadily_for_grey_print() {
    for n in 1..=MAX_CLASSES {
        let p = palette(n);
        let lum: Vec<f64> = p.iter().map(|c| luminance(c)).collect();
        assert!(lum.windows(2).all(|w| w[1] < w[0] - 15.0), "{p:?}");
        assert!(lum[0] < luminance(classes::NO_DATA) - 30.0, "{p:?}");
        assert!(!p.contains(&classes::NO_DATA.to_string()));
    }
}

#[test]
fn the_geometry_format_is_checked() {
    assert!(geometry::parse("D 01 metro\nP 0,0 1,0 0,1\n").is_ok());
    for bad in [
        "P 0,0 1,0 0,1\n",
        "D 01 lune\n",
        "D 01 metro\nP 0,0 1,0\n",
        "D 01 metro\nP 0,0 x,0 0,1\n",
        "D 01 metro\n",
        "D 01 metro\nP 0,0 1,0 0,1\nD 01 metro\nP 0,0 1,0 0,1\n",
        "Q\n",
        "D 01 metro\nP 9223372036854775807,0 1,0 0,1\n",
    ] {
        assert!(geometry::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn long_texts_are_wrapped() {
    assert_eq!(
        svg::wrap("pour 1 000 jeunes de moins de 21 ans", 20),
        ["pour 1 000 jeunes de", "moins de 21 ans"]
    );
    assert_eq!(
        svg::wrap("anticonstitutionnellement oui", 10),
        ["anticonstitutionnellement", "oui"]
    );
    assert!(svg::wrap("  ", 10).is_empty());
    let long = MapSpec {
        title: "Enfants accueillis à l'aide sociale à l'enfance au 31 décembre 2020 pour mille jeunes de moins de vingt et un ans".into(),
        ..spec()
    };
    let svg = choropleth(&all_departments(), &long).unwrap();
    parse(&svg);
    assert!(
        svg.contains(">jeunes de moins de vingt et un ans</text>"),
        "{svg}"
    );
}

#[test]
fn pixels_are_written_with_one_decimal() {
    assert_eq!(
        [0, 5, -5, 40, 123, -123].map(svg::px),
        ["0", ".5", "-.5", "4", "12.3", "-12.3"]
    );
}

#[test]
fn writes_an_example_map() {
    // For a look at the map: target/carte-exemple.svg (not an assertion).
    let mut values = all_departments();
    values[10].secret = true;
    values.retain(|v| v.code != "976");
    let svg = choropleth(&values, &spec()).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let _ = std::fs::write(dir.join("carte-exemple.svg"), svg);
}
