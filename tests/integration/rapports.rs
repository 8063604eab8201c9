//! The reports the demo pipeline declares (`[[rapports]]`): written to `rapports/`,
//! readable (style sheet not escaped, captions and header scopes, French labels, age
//! bands in age order, the service's capacity and its change), and printable: with a
//! headless Chromium installed, every report is printed to PDF, the page counts are
//! bounded (the APMN chapter of the rapport d'activité fits in 6 A4 pages) and the PDF
//! uses the embedded font, never a serif fallback.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use observatoire::pipeline::Pipeline;
use observatoire::run;

use crate::demo::demo_output;
use crate::util::*;

const REPORTS: [&str; 3] = [
    "activite-apmn-15.html",
    "plaidoyer-reseau.html",
    "copil-anef-cantal.html",
];

fn report(name: &str) -> String {
    std::fs::read_to_string(demo_output().join("rapports").join(name))
        .unwrap_or_else(|e| panic!("{name} : {e}"))
}

/// The text of `<style>…</style>` in a page.
fn style_of(html: &str) -> &str {
    let a = html.find("<style>").expect("<style>") + 7;
    let b = html[a..].find("</style>").expect("</style>") + a;
    &html[a..b]
}

/// The visible text of a page (tags, style and embedded SVG dropped), roughly.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    // Drop the style sheet, the charts (their text is not a table's) and code (the
    // registry identifiers of the definitions).
    let next = |s: &str| {
        [
            ("<style>", "</style>"),
            ("<svg", "</svg>"),
            ("<code>", "</code>"),
        ]
        .into_iter()
        .filter_map(|(open, close)| s.find(open).map(|a| (a, close)))
        .min()
    };
    while let Some((a, end)) = next(rest) {
        out.push_str(&rest[..a]);
        rest = rest[a..]
            .find(end)
            .map_or("", |b| &rest[a + b + end.len()..]);
    }
    out.push_str(rest);
    let mut text = String::new();
    let mut in_tag = false;
    for c in out.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

#[test]
fn demo_writes_the_declared_reports_readable_and_printable() {
    for name in REPORTS {
        let html = report(name);
        let style = style_of(&html);
        assert!(!style.contains("&quot;"), "{name} : CSS échappé");
        assert!(style.contains("@font-face"), "{name} : police non intégrée");
        assert!(
            style.contains("@page"),
            "{name} : pas de feuille d'impression"
        );
        assert!(
            style.contains("font-family: \"Observatoire DejaVu Sans\""),
            "{name}"
        );
        let tables = html.matches("<table").count();
        assert_eq!(tables, html.matches("<caption").count(), "{name} : légende");
        assert!(!html.contains("<th>"), "{name} : en-tête sans scope");
        let text = visible_text(&html);
        for raw in ["metier", "type_repondant", "tranche_age", "type_mesure"] {
            assert!(!text.contains(raw), "{name} : champ brut « {raw} » affiché");
        }
    }
    // The technical report's style is not escaped either.
    let main = std::fs::read_to_string(demo_output().join("rapport.html")).unwrap();
    assert!(!style_of(&main).contains("&quot;"));
}

#[test]
fn activity_report_shows_the_service_once_with_its_capacity() {
    let html = report("activite-apmn-15.html");
    let text = visible_text(&html);
    assert!(text.contains("Conseil départemental du Cantal"));
    assert!(text.contains("65 mesures de 2020 à 2022, 73 mesures à partir de 2023"));
    assert!(text.contains("Nombre moyen de mesures exercées par jour"));
    // 2023: 31 441 days of measures over 365 days.
    assert!(text.contains("86,1"), "moyenne journalière 2023");
    assert!(html.contains("href=\"#chapitre-1\""), "sommaire");
    assert!(html.contains("id=\"definitions\""));
    // One service: no organisation, département or network line repeats its figures.
    for other in [
        "Ensemble du réseau",
        "Organisation : ANEF",
        "Territoire :",
        "MECS",
    ] {
        assert!(
            !text.contains(other),
            "« {other} » dans le rapport d'un service"
        );
    }
    // Age bands in age order.
    let pos = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s}"));
    assert!(pos("0-2 ans") < pos("3-5 ans"));
    assert!(pos("3-5 ans") < pos("6-10 ans"));
    assert!(pos("6-10 ans") < pos("11-15 ans"));
    assert!(
        text.contains("chiffres pour"),
        "chiffres et indicateurs distingués"
    );
}

#[test]
fn plaidoyer_has_maps_ranked_departements_notes_and_method() {
    let html = report("plaidoyer-reseau.html");
    let text = visible_text(&html);
    // One map per flagship figure the demo has (the two cross-sector shares and the
    // ASE rate per 1 000 under-21s), drawn inline.
    let maps = html.matches("<svg").count();
    assert_eq!(maps, 3, "cartes");
    assert!(html.contains("role=\"img\""));
    assert!(html.contains("Carte des départements"));
    // Départements by name, never by a bare code.
    for name in ["Cantal (15)", "Puy-de-Dôme (63)"] {
        assert!(text.contains(name), "{name}");
    }
    assert!(!text.contains("Département 15") && !text.contains("Département 63"));
    // A DREES-style note under every table and every map.
    let tables = html.matches("<table").count();
    for part in ["Lecture", "Champ", "Source"] {
        let notes = html.matches(&format!("<strong>{part}</strong> :")).count();
        assert_eq!(notes, tables + maps, "notes « {part} »");
    }
    // A concrete reading from a published figure (ASE, Cantal, 2023: 352 / 24 055).
    assert!(
        text.contains("En 2023, dans le département Cantal (15), 14,6 enfants pour 1 000 jeunes de moins de 21 ans"),
        "lecture"
    );
    assert!(text.contains("352") && text.contains("24\u{202f}055"));
    // The network value and the quartiles of the published département values.
    assert!(text.contains("Ensemble du réseau"));
    assert!(text.contains("Quartiles des départements"));
    assert!(text.contains("seules valeurs publiées"));
    // The demo's cross-sector shares are withheld in every département: « s », hatched.
    assert!(html.contains("<abbr class=\"secret\""));
    assert!(html.contains("secret statistique"));
    assert!(text.contains("non disponible"));
    // The method, in plain French, with the run's linkage figures and the measured quality.
    assert!(html.contains("id=\"methode\""));
    for needle in [
        "sans son nom",
        "dossiers lus",
        "enfants distincts après appariement",
        "liens par codes exacts",
        "précision 0,9965, rappel 0,9914",
        "fichiers générés pour",
        "moins de 11",
    ] {
        assert!(text.contains(needle), "méthode : « {needle} »");
    }
}

#[test]
fn a_report_on_an_unknown_service_names_it() {
    let path = repo().join("pipelines/demo.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "service = \"APMN-15\"\nnom = \"activite-apmn-15\"",
        "service = \"APMN-99\"",
    );
    let p = Pipeline::parse(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let e = run::run(&p, &temp_dir("rapport-inconnu").join("sortie")).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("APMN-99") && msg.contains("ligne"), "{msg}");
    // Unknown kinds and keys are errors like the rest of the pipeline.
    let bad = std::fs::read_to_string(&path)
        .unwrap()
        .replace("type = \"plaidoyer\"", "type = \"bilan\"");
    let e = Pipeline::parse(&path, bad).unwrap_err().to_string();
    assert!(e.contains("bilan") && e.contains("activite"), "{e}");
    let bad = std::fs::read_to_string(&path).unwrap().replace(
        "type = \"plaidoyer\"",
        "type = \"plaidoyer\"\ncouleur = \"bleu\"",
    );
    assert!(Pipeline::parse(&path, bad).is_err());
}

/// A headless Chromium on the PATH, if any.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "headless_shell",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
    .find(|p| p.is_file())
}

/// Prints `html` to `pdf`; a run longer than two minutes is killed.
fn print_pdf(chromium: &Path, html: &Path, pdf: &Path, profile: &Path) {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("lancement de Chromium");
    let start = Instant::now();
    while child.try_wait().expect("Chromium").is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("Chromium n'a pas fini en 2 minutes : {}", html.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(pdf.is_file(), "pas de PDF pour {}", html.display());
}

/// Page objects of a PDF (`/Type /Page`, not `/Pages`).
fn page_count(pdf: &[u8]) -> usize {
    let needle = b"/Type /Page";
    let mut n = 0;
    for i in 0..pdf.len().saturating_sub(needle.len()) {
        if &pdf[i..i + needle.len()] == needle && pdf.get(i + needle.len()) != Some(&b's') {
            n += 1;
        }
    }
    n
}

/// Font names of a PDF (`/BaseFont /ABCDEF+DejaVuSans`, subset prefix dropped).
fn fonts(pdf: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(pdf);
    let mut out: Vec<String> = text
        .split("/BaseFont")
        .skip(1)
        .filter_map(|s| {
            let name: String = s
                .trim_start()
                .strip_prefix('/')?
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "+-_,".contains(*c))
                .collect();
            Some(
                name.split_once('+')
                    .map_or(name.clone(), |(_, n)| n.to_string()),
            )
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn declared_reports_print_on_a4_with_the_embedded_font() {
    let Some(chromium) = chromium() else {
        println!(
            "Chromium absent (chromium, chromium-browser, google-chrome, headless_shell) : rendu PDF des rapports non vérifié"
        );
        return;
    };
    let dir = temp_dir("rapports-pdf");
    for name in REPORTS {
        // The fallback after the embedded font becomes `serif`: if the embedded font
        // were not applied, the PDF would name a serif font.
        let html = report(name).replace(
            "font-family: \"Observatoire DejaVu Sans\", sans-serif",
            "font-family: \"Observatoire DejaVu Sans\", serif",
        );
        let mut pages = Vec::new();
        // The whole report, then (rapport d'activité) without the definitions appendix:
        // the first page holds the title and the contents, the chapter starts on the
        // second.
        let mut variants = vec![("complet", html.clone())];
        if name.starts_with("activite") {
            let a = html.find("<section class=\"annexe\"").expect("annexe");
            let b = html[a..].find("</section>").expect("fin de l'annexe") + a + 10;
            variants.push(("chapitre", format!("{}{}", &html[..a], &html[b..])));
        }
        for (variant, text) in variants {
            let src = dir.join(format!("{variant}-{name}"));
            std::fs::write(&src, text).unwrap();
            let pdf = dir.join(format!("{variant}-{name}.pdf"));
            print_pdf(
                &chromium,
                &src,
                &pdf,
                &dir.join(format!("profil-{variant}-{name}")),
            );
            let bytes = std::fs::read(&pdf).unwrap();
            let fonts = fonts(&bytes);
            assert!(
                fonts.iter().any(|f| f.starts_with("DejaVuSans")),
                "{name} : police intégrée absente du PDF ({fonts:?})"
            );
            for f in &fonts {
                let lower = f.to_lowercase();
                let serif = lower.contains("serif") && !lower.contains("sans");
                assert!(
                    !serif && !lower.contains("times"),
                    "{name} : police à empattements {f} dans le PDF"
                );
            }
            pages.push(page_count(&bytes));
        }
        println!("{name} : {pages:?} pages A4");
        match name {
            "activite-apmn-15.html" => {
                assert!(pages[1] >= 2, "{pages:?}");
                assert!(
                    pages[1] - 1 <= 6,
                    "le chapitre APMN tient en {} pages (6 au plus)",
                    pages[1] - 1
                );
                assert!(pages[0] <= 10, "{pages:?}");
            }
            "copil-anef-cantal.html" => assert!((1..=10).contains(&pages[0]), "{pages:?}"),
            "plaidoyer-reseau.html" => assert!(
                (1..=12).contains(&pages[0]),
                "le plaidoyer tient en {} pages A4 (12 au plus)",
                pages[0]
            ),
            _ => assert!((1..=60).contains(&pages[0]), "{pages:?}"),
        }
    }
}
