//! Layout `nom_service` read as delivered (see `observatoire_exemple::dispositions`): the
//! admissions name their service (capitals, no accents, doubled spaces, typographic
//! apostrophe), resolved through the services table's names with no mapping in the
//! pipeline; a misspelt name is an error with the closest names, a name of two
//! services is an error too.

use observatoire::ingest;
use observatoire::pipeline::Pipeline;
use observatoire::validation::Severity;
use observatoire_exemple::dispositions::nom_service;

use super::fins::{assert_clean, assert_counts, figure, run_layout};
use crate::util::*;

#[test]
fn services_given_by_name_are_resolved_to_their_codes() {
    let dir = temp_dir("disposition-nom-service");
    let w = nom_service::write(&dir, false).unwrap();
    let (df, report) = run_layout(&w.pipeline);
    assert_clean(&report);
    assert_counts(&df, &w.truth);
    // Figures are published under the codes, never under a name as written.
    let services: std::collections::BTreeSet<String> =
        strings(&df, "service").into_iter().flatten().collect();
    for code in w.truth.keys() {
        assert!(services.contains(code), "{code} absent : {services:?}");
    }
    assert!(
        services.iter().all(|s| !s.contains(' ')),
        "un nom publié comme code : {services:?}"
    );
    // The activity sheet names its service too: its completion rate is the lieu de vie's.
    let (code, _, year) = nom_service::ACTIVITY;
    let (done, funded) = (1..=12).fold((0.0, 0.0), |(d, f), m| {
        let (dm, fm) = nom_service::activity_month(m);
        (d + dm, f + fm)
    });
    let c = figure(&df, "taux_realisation", code, year);
    assert_eq!(c.map(|c| (c.0, c.1)), Some((Some(done), Some(funded))));
}

#[test]
fn unknown_and_ambiguous_names_are_errors_naming_the_cell() {
    let dir = temp_dir("disposition-nom-service-negatif");
    let w = nom_service::write(&dir, true).unwrap();
    let p = Pipeline::load(&w.pipeline).unwrap_or_else(|e| panic!("{e}"));
    let report = ingest::ingest(&p).unwrap().report;
    let first_bad = w.world.stays.len() + 2;
    let find = |code: &str| {
        let found: Vec<_> = report.problemes.iter().filter(|i| i.code == code).collect();
        assert_eq!(found.len(), 1, "{code} : {found:#?}");
        found[0].clone()
    };
    let unknown = find("service_inconnu");
    assert_eq!(unknown.cellule, Some(format!("E{first_bad}")));
    assert_eq!(unknown.gravite, Severity::Error);
    assert_eq!(unknown.feuille.as_deref(), Some("Admissions"));
    assert!(
        unknown.fichier.ends_with(nom_service::FILE),
        "{}",
        unknown.fichier
    );
    let closest = format!("« {} »", nom_service::MISSPELT.1);
    assert!(
        unknown.message.contains(&closest),
        "{} sans {closest}",
        unknown.message
    );
    // The cell's own text is not quoted.
    assert!(
        !unknown
            .message
            .contains(&format!("« {} »", nom_service::MISSPELT.0)),
        "{}",
        unknown.message
    );
    let ambiguous = find("service_ambigu");
    assert_eq!(ambiguous.cellule, Some(format!("E{}", first_bad + 1)));
    assert!(
        ambiguous.message.contains("PF-15") && ambiguous.message.contains("PF-63"),
        "{}",
        ambiguous.message
    );
    let stats = &report.sources[1];
    assert_eq!(stats.rejected(), 2, "{:?}", stats.lignes_rejetees);
    assert_eq!(stats.lignes_acceptees, w.world.stays.len());
}
