//! A national-style collection: a folder of 1 000 sheets (100 workbooks of 10 sheets,
//! one sheet per service) with one hostile workbook among them — a 7 KB xlsx whose
//! shared-string table claims 10^14 entries, which made the reading library abort the
//! whole process. The run must finish with every other sheet read, the hostile file
//! reported in the validation report, exit code 5, and the row accounting exact.
//!
//! Also: the row accounting invariant (read = accepted + rejected + excluded) on random
//! CSV content, as a property test.

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;
use rust_xlsxwriter::Workbook;

use crate::util::*;

const KEYS: [(&str, &str); 2] = [
    (
        "OBSERVATOIRE_CLE",
        "0303030303030303030303030303030303030303030303030303030303030303",
    ),
    (
        "OBSERVATOIRE_CLE_OBSERVATOIRE",
        "0404040404040404040404040404040404040404040404040404040404040404",
    ),
];

/// Rewrites the shared-string table of an xlsx so that it claims `count` entries.
pub fn claim_shared_strings(path: &Path, count: &str) {
    rewrite_zip_part(path, "xl/sharedStrings.xml", |s| {
        let start = s.find("count=\"").unwrap();
        let end = s[start..].find('>').unwrap() + start;
        format!(
            "{}count=\"{count}\" uniqueCount=\"{count}\"{}",
            &s[..start],
            &s[end..]
        )
    });
}

#[test]
fn a_thousand_sheets_and_one_hostile_workbook() {
    let dir = temp_dir("mille-feuilles");
    let data = dir.join("etablissements");
    std::fs::create_dir_all(&data).unwrap();
    let mut services = String::from("Code service;Type;Année;Capacité\n");
    for w in 0..100 {
        let mut wb = Workbook::new();
        for s in 0..10 {
            let code = format!("S{w:03}{s}");
            services.push_str(&format!("{code};MECS;2021;20\n"));
            let ws = wb.add_worksheet().set_name(format!("Service {s}")).unwrap();
            for (c, h) in [
                "Nom",
                "Prénom",
                "Date de naissance",
                "Code service",
                "Date de début",
            ]
            .iter()
            .enumerate()
            {
                ws.write(0, c as u16, *h).unwrap();
            }
            for r in 1..=3u32 {
                ws.write(r, 0, format!("N{w}x{s}x{r}")).unwrap();
                ws.write(r, 1, format!("P{r}")).unwrap();
                ws.write(r, 2, "01/02/2012").unwrap();
                ws.write(r, 3, code.as_str()).unwrap();
                ws.write(r, 4, "01/03/2021").unwrap();
            }
        }
        wb.save(data.join(format!("etab-{w:03}.xlsx"))).unwrap();
    }
    // The hostile workbook: a valid file whose string table claims 10^14 entries.
    let hostile = data.join("etab-050b.xlsx");
    let mut wb = Workbook::new();
    wb.add_worksheet().write(0, 0, "Nom").unwrap();
    wb.save(&hostile).unwrap();
    claim_shared_strings(&hostile, "100000000000000");
    assert!(std::fs::metadata(&hostile).unwrap().len() < 10_000);
    std::fs::write(dir.join("services.csv"), services).unwrap();
    std::fs::write(
        dir.join("pipeline.toml"),
        "[pipeline]\nnom = \"mille feuilles\"\n[periode]\ndebut = 2021\nfin = 2021\n\
         [sorties]\ngraphique = false\nrapport = false\n\
         [[sources]]\nfichier = \"services.csv\"\ntable = \"services\"\n\
         [[sources]]\nfichier = \"etablissements/*.xlsx\"\nfeuilles = [\"*\"]\ntable = \"accompagnements\"\n",
    )
    .unwrap();
    let out = dir.join("sortie");
    let o = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args(["executer", "pipeline.toml", "--sortie", "sortie"])
        .current_dir(&dir)
        .envs(KEYS)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "{stderr}");
    let problems = std::fs::read_to_string(out.join("validation/problemes.csv")).unwrap();
    assert!(
        problems.contains("etab-050b.xlsx") && problems.contains("source_illisible"),
        "{problems}"
    );
    let rows = std::fs::read_to_string(out.join("validation/lignes.csv")).unwrap();
    let sheets_read = rows.lines().filter(|l| l.contains(";lue;")).count();
    // 1 000 sheets of accompaniments and the services table.
    assert_eq!(sheets_read, 1001, "{rows}");
    let accepted: usize = rows
        .lines()
        .filter(|l| l.contains("accompagnements;acceptee;"))
        .filter_map(|l| l.rsplit(';').next()?.trim().parse::<usize>().ok())
        .sum();
    assert_eq!(accepted, 3000);
    let manifest = std::fs::read_to_string(out.join("manifeste.json")).unwrap();
    assert!(manifest.contains("etab-099.xlsx"));
    let _ = std::fs::remove_dir_all(&dir);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(24),
        ..ProptestConfig::default()
    })]

    /// Whatever a CSV holds — names in coded columns, broken dates, quotes, extra fields,
    /// blank lines, totals, duplicates — every line read is accepted, rejected or
    /// excluded, and nothing is lost.
    #[test]
    fn every_line_is_accounted_for(lines in proptest::collection::vec(
        proptest::collection::vec(
            prop_oneof![
                Just(String::new()),
                Just("Zephyrine".to_string()),
                Just("AEMO".to_string()),
                Just("judiciaire".to_string()),
                Just("S1".to_string()),
                Just("S9".to_string()),
                Just("01/02/2021".to_string()),
                Just("31/13/2021".to_string()),
                Just("01/02/2099".to_string()),
                Just("Total".to_string()),
                Just("\"ouvert".to_string()),
                Just("1e300".to_string()),
                Just("-".to_string()),
            ],
            0..12,
        ),
        0..40,
    )) {
        let dir = temp_dir("prop-lignes");
        let mut text = String::from("Nom;Prénom;Date de naissance;Code service;Type de mesure;Cadre;Date de début;Date de fin\n");
        for l in &lines {
            text.push_str(&l.join(";"));
            text.push('\n');
        }
        std::fs::write(dir.join("m.csv"), &text).unwrap();
        std::fs::write(dir.join("s.csv"), "Code service;Type;Année;Capacité\nS1;MECS;2021;20\n").unwrap();
        let p = pipeline(
            &dir,
            "[pipeline]\nnom = \"p\"\n[periode]\ndebut = 2021\nfin = 2021\n\
             [[sources]]\nfichier = \"s.csv\"\ntable = \"services\"\n\
             [[sources]]\nfichier = \"m.csv\"\ntable = \"accompagnements\"\nligne_entete = 1\n",
        );
        let ing = observatoire::ingest::ingest(&p).unwrap();
        for s in &ing.report.sources {
            prop_assert!(s.balanced(), "{s:?}");
        }
        let acc = &ing.report.sources[1];
        prop_assert_eq!(acc.lignes_acceptees, ing.tables.accompaniments.height());
        // Every non-empty line below the header is counted as read.
        let non_empty = text
            .lines()
            .skip(1)
            .filter(|l| l.split(';').any(|c| !c.trim().is_empty()))
            .count();
        prop_assert!(acc.lignes_lues <= non_empty);
        for issue in &ing.report.problemes {
            prop_assert!(!issue.message.contains("Zephyrine"));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
