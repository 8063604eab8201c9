//! Layout `onglets` read as delivered (see `observatoire_exemple::dispositions`): one
//! workbook per département with one sheet per service (by code or by name), one workbook
//! per service with one sheet per entry year, a « Lisez-moi » first sheet and a hidden
//! « Listes » sheet in each, read with `motif_fichier` / `motif_feuille`.

use std::path::Path;

use observatoire::ingest;
use observatoire::pipeline::Pipeline;
use observatoire::publish::paths;
use observatoire::run;
use observatoire::validation::Severity;
use observatoire_exemple::dispositions::onglets;
use polars::prelude::*;

use crate::util::*;

/// Published (file active, entries, exits) per service and year.
pub fn published(out: &Path) -> std::collections::BTreeMap<(String, i32), [Option<f64>; 3]> {
    let f = std::fs::File::open(out.join(paths::INDICATORS)).unwrap();
    let df = ParquetReader::new(f).finish().unwrap();
    let (ind, svc, per, val) = (
        strings(&df, "indicateur"),
        strings(&df, "service"),
        ints(&df, "periode"),
        floats(&df, "valeur"),
    );
    let mut m = std::collections::BTreeMap::new();
    for i in 0..df.height() {
        let k = match ind[i].as_deref() {
            Some("file_active") => 0,
            Some("entrees") => 1,
            Some("sorties") => 2,
            _ => continue,
        };
        let (Some(s), Some(y)) = (svc[i].clone(), per[i]) else {
            continue;
        };
        let e: &mut [Option<f64>; 3] = m.entry((s, y)).or_default();
        e[k] = val[i];
    }
    m
}

/// Every service and year of the truth is published, equal.
pub fn assert_equal_to_truth(out: &Path, truth: &onglets::Truth) {
    let got = published(out);
    for (service, years) in truth {
        for (y, want) in years {
            let g = got
                .get(&(service.clone(), *y))
                .unwrap_or_else(|| panic!("{service} {y} not published"));
            let g = g.map(|v| v.map(|v| v as usize));
            assert_eq!(
                g,
                want.map(Some),
                "{service} {y}: (file active, entries, exits)"
            );
        }
    }
}

fn write() -> (onglets::Written, String) {
    let dir = temp_dir("onglets");
    let w = onglets::write(&dir).unwrap();
    let text = std::fs::read_to_string(&w.pipeline).unwrap();
    (w, text)
}

#[test]
fn files_and_sheets_by_pattern_give_the_truth() {
    let (w, text) = write();
    assert!(w.sheets_by_name > 0 && w.workbooks > 2);
    let p = Pipeline::parse(&w.pipeline, text).unwrap_or_else(|e| panic!("{e}"));
    let ing = ingest::ingest(&p).unwrap_or_else(|e| panic!("{e}"));
    // Only the « Lisez-moi » sheets of the department workbooks (chosen by `*`) are left
    // aside, as sheets with no table; nothing else is reported above information.
    let not_tables = ing
        .report
        .problemes
        .iter()
        .filter(|i| i.code == "feuille_sans_tableau")
        .count();
    assert!(not_tables >= 1);
    // … and their hidden « Listes » sheets, passed over by `*`, are reported.
    let hidden = ing
        .report
        .problemes
        .iter()
        .filter(|i| i.code == "feuille_masquee")
        .count();
    assert_eq!(hidden, not_tables);
    let worrying: Vec<String> = ing
        .report
        .problemes
        .iter()
        .filter(|i| i.gravite != Severity::Info)
        .map(|i| format!("{} {:?} {} {}", i.fichier, i.feuille, i.code, i.message))
        .collect();
    assert!(worrying.is_empty(), "{worrying:#?}");
    for s in &ing.report.sources {
        assert!(s.lignes_rejetees.is_empty(), "{s:?}");
        assert_eq!(s.lignes_lues, s.lignes_produites, "{s:?}");
    }
    let out = w.pipeline.parent().unwrap().join("sortie");
    run::run(&p, &out).unwrap_or_else(|e| panic!("{e}"));
    assert_equal_to_truth(&out, &w.truth);
    let entries: usize = w
        .truth
        .values()
        .flat_map(|y| y.values())
        .map(|c| c[1])
        .sum();
    assert!(w.truth.len() >= 5 && entries > 1000);
}

fn ingest_with(text: &str) -> Result<ingest::Ingested, String> {
    let (w, original) = write();
    let changed = original.replace(
        text.split('|').next().unwrap(),
        text.split('|').nth(1).unwrap(),
    );
    assert_ne!(changed, original, "the replacement must apply");
    let p = Pipeline::parse(&w.pipeline, changed).map_err(|e| e.to_string())?;
    ingest::ingest(&p).map_err(|e| e.to_string())
}

#[test]
fn a_file_pattern_that_matches_nothing_is_an_error() {
    let e = ingest_with("\"suivi-{departement}.xlsx\"|\"classeur-{departement}.xlsx\"")
        .err()
        .unwrap();
    assert!(e.contains("ne correspond à motif_fichier"), "{e}");
    assert!(e.contains("« classeur-{departement}.xlsx »"), "{e}");
}

#[test]
fn a_sheet_pattern_that_matches_no_sheet_is_reported() {
    // One workbook per service: each one has no « Année … » sheet.
    let ing = ingest_with("[\"Entrées {annee}\", \"Antérieures\"]|\"Année {annee}\"").unwrap();
    let errors: Vec<_> = ing
        .report
        .problemes
        .iter()
        .filter(|i| i.code == "source_illisible")
        .collect();
    assert!(!errors.is_empty());
    for e in errors {
        assert_eq!(e.gravite, Severity::Error);
        assert!(
            e.message.contains("ne correspond à motif_feuille"),
            "{}",
            e.message
        );
    }
}

#[test]
fn a_sheet_outside_the_patterns_is_reported_and_not_read() {
    // « Antérieures » stays selected but is no longer a pattern.
    let ing = ingest_with("[\"Entrées {annee}\", \"Antérieures\"]|\"Entrées {annee}\"").unwrap();
    let outside: Vec<_> = ing
        .report
        .problemes
        .iter()
        .filter(|i| i.code == "feuille_hors_motif")
        .collect();
    assert!(!outside.is_empty());
    for i in outside {
        assert_eq!(i.gravite, Severity::Warning);
        assert_eq!(i.feuille.as_deref(), Some("Antérieures"));
    }
}

#[test]
fn a_service_a_name_gives_must_be_in_the_services_table() {
    let ing = ingest_with("\"entrees-{service}.xlsx\"|\"entrees-MECS-{service}.xlsx\"");
    // The files of other kinds no longer match; those of MECS give « 15-001 »-like codes.
    match ing {
        Ok(ing) => {
            let msgs: Vec<&str> = ing
                .report
                .problemes
                .iter()
                .filter(|i| i.code == "source_illisible" || i.code == "fichier_hors_motif")
                .map(|i| i.message.as_str())
                .collect();
            assert!(!msgs.is_empty());
            assert!(
                msgs.iter().all(|m| m.contains("n'est ni un code ni un nom")
                    || m.contains("ne correspond pas à motif_fichier")),
                "{msgs:#?}"
            );
        }
        Err(e) => assert!(e.contains("ne correspond à motif_fichier"), "{e}"),
    }
}

#[test]
fn a_hidden_sheet_or_the_readme_is_never_read_as_data() {
    let (w, text) = write();
    // Every sheet, explicitly: the hidden « Listes » is still not read (not visible) and
    // the « Lisez-moi » of every workbook is set aside as a sheet with no table.
    let text = text.replace(
        "feuilles = [\"Entrées *\", \"Antérieures\"]\n",
        "feuilles = [\"*\"]\n",
    );
    let text = text.replace(
        "motif_feuille = [\"Entrées {annee}\", \"Antérieures\"]",
        "motif_feuille = [\"Entrées {annee}\", \"Antérieures\", \"Lisez-moi\"]",
    );
    let p = Pipeline::parse(&w.pipeline, text).unwrap_or_else(|e| panic!("{e}"));
    let ing = ingest::ingest(&p).unwrap_or_else(|e| panic!("{e}"));
    let readmes = ing
        .report
        .problemes
        .iter()
        .filter(|i| i.code == "feuille_sans_tableau")
        .inspect(|i| assert_eq!(i.feuille.as_deref(), Some("Lisez-moi")))
        .count();
    assert_eq!(readmes, w.workbooks);
    let hidden = ing
        .report
        .problemes
        .iter()
        .filter(|i| i.code == "feuille_masquee")
        .inspect(|i| {
            assert_eq!(i.feuille, None, "a hidden sheet is never named");
            assert!(i.message.starts_with("1 feuille(s) masquée(s)"));
            assert_eq!(i.gravite, Severity::Info);
        })
        .count();
    assert_eq!(hidden, w.workbooks);
    assert!(
        ing.report
            .sources
            .iter()
            .all(|s| s.feuille.as_deref() != Some("Listes"))
    );
}
