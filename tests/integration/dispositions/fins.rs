//! Layout `fins` read as delivered (see `observatoire_exemple::dispositions`): open ends
//! written as text (`en cours`, `-`, `/`, `encore présent`, the association's own
//! `pas encore sorti`) count as open stays, with no issue; a text that is neither a
//! date nor an open end stays `date_invalide`, and so does an admission `en cours`.
//! Also the helpers the layouts `nom_service` and `occupation` share.

use std::path::{Path, PathBuf};

use observatoire::ingest;
use observatoire::pipeline::Pipeline;
use observatoire::publish::paths;
use observatoire::run;
use observatoire::validation::{Severity, ValidationReport};
use observatoire_exemple::dispositions::fins::{self, Truth};
use polars::prelude::*;

use crate::util::*;

/// Runs a layout's pipeline: the published figures and the validation report.
pub(super) fn run_layout(pipeline: &Path) -> (DataFrame, ValidationReport) {
    let p = Pipeline::load(pipeline).unwrap_or_else(|e| panic!("{e}"));
    let out = pipeline.parent().unwrap().join("sortie");
    run::run(&p, &out).unwrap_or_else(|e| panic!("{e}"));
    let f = std::fs::File::open(out.join(paths::INDICATORS)).unwrap();
    let df = ParquetReader::new(f).finish().unwrap();
    let report = ingest::ingest(&p).unwrap_or_else(|e| panic!("{e}")).report;
    (df, report)
}

/// The output folder of a layout run by [`run_layout`].
pub(super) fn output_of(pipeline: &Path) -> PathBuf {
    pipeline.parent().unwrap().join("sortie")
}

/// (numerator, denominator, value) of a figure of one service and year, no breakdown.
pub(super) fn figure(
    df: &DataFrame,
    id: &str,
    service: &str,
    year: i32,
) -> Option<(Option<f64>, Option<f64>, Option<f64>)> {
    let ind = strings(df, "indicateur");
    let svc = strings(df, "service");
    let vent = strings(df, "ventilation");
    let per = ints(df, "periode");
    let (n, d, v) = (
        floats(df, "numerateur"),
        floats(df, "denominateur"),
        floats(df, "valeur"),
    );
    (0..df.height())
        .find(|&i| {
            ind[i].as_deref() == Some(id)
                && svc[i].as_deref() == Some(service)
                && per[i] == Some(year)
                && vent[i].is_none()
        })
        .map(|i| (n[i], d[i], v[i]))
}

/// A count figure (file active, entries, exits, present on 31/12).
pub(super) fn count(df: &DataFrame, id: &str, service: &str, year: i32) -> Option<usize> {
    figure(df, id, service, year).and_then(|(_, _, v)| v.map(|v| v as usize))
}

/// Every service and year of the truth: file active, entries, exits and children present
/// on 31/12 as published equal the generator's counts.
pub(super) fn assert_counts(df: &DataFrame, truth: &Truth) {
    for (service, years) in truth {
        for (y, c) in years {
            for (id, want) in [
                ("file_active", c.file_active),
                ("entrees", c.entrees),
                ("sorties", c.sorties),
                ("presents_31_12", c.presents_31_12),
            ] {
                assert_eq!(count(df, id, service, *y), Some(want), "{id} {service} {y}");
            }
        }
    }
}

/// No error and no warning in the validation report, every row accepted.
pub(super) fn assert_clean(report: &ValidationReport) {
    let bad: Vec<String> = report
        .problemes
        .iter()
        .filter(|i| i.gravite != Severity::Info)
        .map(|i| format!("{:?} {} {}", i.cellule, i.code, i.message))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    for s in &report.sources {
        assert_eq!(s.rejected(), 0, "{} : {:?}", s.source, s.lignes_rejetees);
        assert_eq!(s.lignes_lues, s.lignes_acceptees, "{}", s.source);
    }
}

#[test]
fn open_ends_written_as_text_are_open_stays() {
    let dir = temp_dir("disposition-fins");
    let w = fins::write(&dir, false).unwrap();
    let (df, report) = run_layout(&w.pipeline);
    // Every text of the rotation was written at least once.
    let open = w.world.stays.iter().filter(|s| s.end.is_none()).count();
    assert!(open >= fins::OPEN_ENDS.len(), "{open} séjours en cours");
    let texts = (0..open)
        .filter(|i| !fins::OPEN_ENDS[i % fins::OPEN_ENDS.len()].is_empty())
        .count();
    // On the exit column, one information only: how many texts were read as open.
    let on_exit: Vec<_> = report
        .problemes
        .iter()
        .filter(|i| i.champ.as_deref() == Some("date_fin"))
        .map(|i| {
            (
                i.cellule.clone(),
                i.code.clone(),
                i.gravite,
                i.message.clone(),
            )
        })
        .collect();
    assert_eq!(on_exit.len(), 1, "{on_exit:#?}");
    let (cell, code, gravite, message) = &on_exit[0];
    assert_eq!(
        (cell, code.as_str(), *gravite),
        (&None, "fin_ouverte", Severity::Info)
    );
    assert!(
        message.starts_with(&format!("{texts} date(s) de fin")),
        "{message}"
    );
    assert_clean(&report);
    assert_counts(&df, &w.truth);
    assert!(
        w.truth
            .values()
            .flat_map(|y| y.values())
            .any(|c| c.presents_31_12 > 0),
        "au moins un séjour en cours"
    );
}

#[test]
fn unknown_end_text_and_admission_en_cours_stay_errors() {
    let dir = temp_dir("disposition-fins-negatif");
    let w = fins::write(&dir, true).unwrap();
    let p = Pipeline::load(&w.pipeline).unwrap_or_else(|e| panic!("{e}"));
    let report = ingest::ingest(&p).unwrap().report;
    let rows = w.world.stays.len() + 1; // header row 1, data from row 2
    let issues: Vec<_> = report
        .problemes
        .iter()
        .filter(|i| i.code == "date_invalide")
        .map(|i| (i.cellule.clone(), i.champ.clone(), i.gravite))
        .collect();
    assert_eq!(
        issues,
        vec![
            (
                Some(format!("G{}", rows + 1)),
                Some("date_fin".to_string()),
                Severity::Warning
            ),
            (
                Some(format!("F{}", rows + 2)),
                Some("date_debut".to_string()),
                Severity::Error
            ),
        ]
    );
    // The unreadable exit is never quoted; the admission « en cours » rejects its row.
    assert!(
        report
            .problemes
            .iter()
            .all(|i| !i.message.contains("bientôt"))
    );
    let stats = &report.sources[1];
    assert_eq!(stats.lignes_rejetees.get("date_invalide"), Some(&1));
    assert_eq!(stats.lignes_acceptees, w.world.stays.len() + 1);
}
