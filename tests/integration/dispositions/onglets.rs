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
    assert!(w.sheets_by_name > w.sheets_cut && w.sheets_cut > 0 && w.workbooks > 2);
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
    // Service names longer than a sheet name may be: cut by Excel, found, reported.
    let cut = ing
        .report
        .problemes
        .iter()
        .filter(|i| i.code == "nom_service_tronque")
        .count();
    assert_eq!(cut, w.sheets_cut);
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
    // `entrees-AEMO-69-001.xlsx` now gives the service « AEMO »: no such service.
    let ing = ingest_with("\"entrees-{service}.xlsx\"|\"entrees-{service}-*.xlsx\"").unwrap();
    let errors: Vec<_> = ing
        .report
        .problemes
        .iter()
        .filter(|i| i.gravite == Severity::Error)
        .collect();
    assert!(!errors.is_empty());
    for e in errors {
        assert_eq!(e.code, "source_illisible");
        assert!(e.fichier.starts_with("entrees/"), "{}", e.fichier);
        assert!(
            e.message.contains("n'est ni un code ni un nom"),
            "{}",
            e.message
        );
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

#[test]
fn rows_in_the_sheet_of_another_entry_year_keep_their_dates_and_are_reported() {
    let dir = temp_dir("onglets-decales");
    let w = onglets::write_with(&dir, true).unwrap();
    let text = std::fs::read_to_string(&w.pipeline).unwrap();
    let p = Pipeline::parse(&w.pipeline, text).unwrap();
    let ing = ingest::ingest(&p).unwrap();
    let warnings: Vec<_> = ing
        .report
        .problemes
        .iter()
        .filter(|i| i.gravite != Severity::Info)
        .collect();
    assert!(!warnings.is_empty());
    for i in &warnings {
        assert_eq!(i.code, "annee_entree_differente", "{i:?}");
        assert_eq!(i.feuille.as_deref(), Some("Entrées 2022"));
        assert!(i.message.contains("entrées 2022"), "{}", i.message);
    }
    // The rows count at their own dates: the figures are still the truth.
    let out = dir.join("sortie");
    run::run(&p, &out).unwrap_or_else(|e| panic!("{e}"));
    assert_equal_to_truth(&out, &w.truth);
}

#[test]
fn a_file_that_names_another_departement_than_its_services_is_reported() {
    let (w, text) = write();
    let dir = w.pipeline.parent().unwrap();
    let first = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("suivi-")
        })
        .min()
        .unwrap();
    // No service of the network is in Corse-du-Sud at this scale.
    assert!(!w.truth.keys().any(|c| c.contains("-2A-")));
    std::fs::rename(&first, dir.join("suivi-2A.xlsx")).unwrap();
    let p = Pipeline::parse(&w.pipeline, text).unwrap();
    let ing = ingest::ingest(&p).unwrap();
    let errors: Vec<_> = ing
        .report
        .problemes
        .iter()
        .filter(|i| i.gravite == Severity::Error)
        .collect();
    assert!(!errors.is_empty());
    for e in errors {
        assert_eq!(e.fichier, "suivi-2A.xlsx");
        assert!(
            e.message.contains("le nom donne le département 2A"),
            "{}",
            e.message
        );
    }
}

#[test]
fn a_table_whose_header_is_not_understood_is_never_left_aside_as_text() {
    let (w, text) = write();
    // Every column renamed: the department workbooks' service sheets have no header
    // the pipeline knows, but they are tables: errors, not sheets of text.
    let text = text.replace("Date d'admission", "Date d'arrivée");
    let p = Pipeline::parse(&w.pipeline, text).unwrap();
    let ing = ingest::ingest(&p).unwrap();
    assert!(
        ing.report
            .problemes
            .iter()
            .any(|i| i.code == "source_illisible" && i.feuille.as_deref() != Some("Lisez-moi"))
    );
    assert!(
        ing.report
            .problemes
            .iter()
            .filter(|i| i.code == "feuille_sans_tableau")
            .all(|i| i.feuille.as_deref() == Some("Lisez-moi"))
    );
}

#[test]
fn every_pattern_of_a_list_must_serve() {
    let e = ingest_with(
        "\"suivi-{departement}.xlsx\"|[\"suivi-{departement}.xlsx\", \"suivi-{departement}.ods\"]",
    )
    .err()
    .unwrap();
    assert!(
        e.contains("motif_fichier « suivi-{departement}.ods »"),
        "{e}"
    );
    let ing = ingest_with(
        "[\"Entrées {annee}\", \"Antérieures\"]|[\"Entrées {annee}\", \"Antérieures\", \"Sorties {annee}\"]",
    )
    .unwrap();
    let errors: Vec<_> = ing
        .report
        .problemes
        .iter()
        .filter(|i| i.gravite == Severity::Error)
        .collect();
    assert!(!errors.is_empty());
    for e in errors {
        assert!(e.fichier.starts_with("entrees/"), "{}", e.fichier);
        assert!(
            e.message.contains("motif_feuille « Sorties {annee} »"),
            "{}",
            e.message
        );
    }
}
