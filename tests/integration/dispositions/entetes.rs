//! Layout `entetes` read as delivered (see `observatoire_exemple::dispositions`): title
//! rows, a two-row header with merged group labels, blocks separated by blank rows with
//! their sub-totals, a grand total and notes under the data.

use std::path::Path;

use observatoire::ingest;
use observatoire::pipeline::Pipeline;
use observatoire::run;
use observatoire::validation::Severity;
use observatoire_exemple::dispositions::entetes;

use super::onglets::assert_equal_to_truth;

/// Reads `pipeline`: only information is reported (totals and notes set aside), every
/// data row is produced, and the figures equal the truth.
fn reads_as_the_truth(pipeline: &Path, w: &entetes::Written) {
    let p = Pipeline::load(pipeline).unwrap_or_else(|e| panic!("{e}"));
    let ing = ingest::ingest(&p).unwrap_or_else(|e| panic!("{e}"));
    let worrying: Vec<String> = ing
        .report
        .problemes
        .iter()
        .filter(|i| i.gravite != Severity::Info)
        .map(|i| format!("{:?} {:?} {} {}", i.feuille, i.cellule, i.code, i.message))
        .collect();
    assert!(worrying.is_empty(), "{worrying:#?}");
    let s = ing
        .report
        .sources
        .iter()
        .find(|s| s.table == "accompagnements")
        .unwrap();
    assert_eq!(
        s.lignes_entete,
        entetes::HEADER_ROWS.map(|r| r as usize).to_vec()
    );
    assert!(s.lignes_rejetees.is_empty(), "{s:?}");
    assert_eq!(
        s.lignes_exclues.get("ligne_total"),
        Some(&(w.blocks + 1)),
        "{s:?}"
    );
    let records: usize = ing.tables.accompaniments.height();
    assert_eq!(s.lignes_produites, records);
    assert_eq!(
        s.lignes_lues,
        records + w.blocks + 1 + w.notes,
        "data, totals and notes are each accounted for: {s:?}"
    );
    let out = pipeline.parent().unwrap().join(format!(
        "sortie-{}",
        pipeline.file_stem().unwrap().to_string_lossy()
    ));
    run::run(&p, &out).unwrap_or_else(|e| panic!("{e}"));
    assert_equal_to_truth(&out, &w.truth);
}

#[test]
fn detected_two_row_header_blocks_totals_and_notes_give_the_truth() {
    let w = entetes::write(&crate::util::temp_dir("entetes")).unwrap();
    assert!(w.blocks >= 5);
    reads_as_the_truth(&w.pipeline, &w);
}

#[test]
fn given_header_rows_give_the_truth() {
    let w = entetes::write(&crate::util::temp_dir("entetes-lignes")).unwrap();
    reads_as_the_truth(&w.pipeline_rows, &w);
}

#[test]
fn without_reading_past_blank_rows_the_rows_left_below_are_reported() {
    let w = entetes::write(&crate::util::temp_dir("entetes-bloc")).unwrap();
    let text = std::fs::read_to_string(&w.pipeline)
        .unwrap()
        .replace("lire_apres_lignes_vides = true\n", "");
    let p = Pipeline::parse(&w.pipeline, text).unwrap();
    let ing = ingest::ingest(&p).unwrap();
    let below = ing
        .report
        .problemes
        .iter()
        .find(|i| i.code == "sous_le_tableau")
        .unwrap();
    assert_eq!(below.gravite, Severity::Warning);
    assert!(below.message.contains("lire_apres_lignes_vides = true"));
    let s = ing
        .report
        .sources
        .iter()
        .find(|s| s.table == "accompagnements")
        .unwrap();
    assert!(
        s.lignes_exclues
            .get("sous_le_tableau")
            .is_some_and(|n| *n > 0)
    );
    assert_eq!(
        s.lignes_lues,
        s.lignes_produites + s.lignes_exclues.values().sum::<usize>()
    );
}

#[test]
fn a_departement_in_the_file_name_is_checked_against_the_services_of_the_rows() {
    let w = entetes::write(&crate::util::temp_dir("entetes-dep")).unwrap();
    let dir = w.pipeline.parent().unwrap();
    std::fs::copy(dir.join(entetes::FILE), dir.join("suivi-13.xlsx")).unwrap();
    assert!(w.truth.keys().any(|c| c.contains("-13-")));
    let text = std::fs::read_to_string(&w.pipeline).unwrap().replace(
        &format!("fichier = \"{}\"\n", entetes::FILE),
        "fichier = \"suivi-13.xlsx\"\nmotif_fichier = \"suivi-{departement}.xlsx\"\n",
    );
    let p = Pipeline::parse(&w.pipeline, text).unwrap();
    let ing = ingest::ingest(&p).unwrap();
    let warnings: Vec<_> = ing
        .report
        .problemes
        .iter()
        .filter(|i| i.gravite != Severity::Info)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0].code, "departement_hors_motif");
    assert!(warnings[0].message.contains("hors du département 13"));
    // The rows are read all the same, at their own service.
    let s = ing
        .report
        .sources
        .iter()
        .find(|s| s.table == "accompagnements")
        .unwrap();
    assert_eq!(s.lignes_produites, ing.tables.accompaniments.height());
    assert!(s.lignes_rejetees.is_empty());
}
