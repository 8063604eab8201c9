//! Layout `annuaire` read as delivered (see `observatoire_exemple::dispositions`): the
//! services directory in two sheets (services; capacities per year), joined by the tool.
//! Also: the one-sheet form (the demo's), a contradiction between the two tables, a
//! capacity of an unknown service, and the services-directory template filled with a row.

use std::path::Path;

use observatoire::ingest;
use observatoire::pipeline::Pipeline;
use observatoire::pseudonymise::keys::SecretKey;
use observatoire::publish::paths;
use observatoire::run;
use observatoire::validation::Severity;
use observatoire_exemple::dispositions::annuaire;
use polars::prelude::*;

use crate::util::*;

fn indicators(out: &Path) -> DataFrame {
    let f = std::fs::File::open(out.join(paths::INDICATORS)).unwrap();
    ParquetReader::new(f).finish().unwrap()
}

/// (numerator, denominator, value) of one published figure.
fn figure(df: &DataFrame, id: &str, service: &str, year: i32) -> Option<(f64, f64, f64)> {
    let ind = strings(df, "indicateur");
    let svc = strings(df, "service");
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
        })
        .map(|i| (n[i].unwrap(), d[i].unwrap(), v[i].unwrap()))
}

fn generated(name: &str) -> (std::path::PathBuf, annuaire::Layout) {
    let dir = temp_dir(name);
    let layout = annuaire::write(&dir).unwrap();
    for k in &layout.keys {
        SecretKey::create_file(k).unwrap();
    }
    (dir, layout)
}

#[test]
fn directory_in_two_sheets_gives_the_capacity_dependent_figures_of_the_truth() {
    let (dir, layout) = generated("annuaire");
    let p = Pipeline::load(&layout.pipeline).unwrap_or_else(|e| panic!("{e}"));
    // Nothing rejected or warned: every row of both sheets is used.
    let ing = ingest::ingest(&p).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        ing.report.problemes.is_empty(),
        "{:#?}",
        ing.report.problemes
    );
    for s in &ing.report.sources {
        assert_eq!(s.lignes_lues, s.lignes_acceptees, "{s:?}");
    }
    // One row per service and year after the join, capacity changes included.
    assert_eq!(ing.tables.services.height(), 4 * 4);
    let out = dir.join("sortie");
    let summary = run::run(&p, &out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary.errors, 0);
    let df = indicators(&out);
    assert_eq!(layout.truth.len(), 4 * 4);
    for t in &layout.truth {
        let (n, d, v) = figure(&df, t.indicator, t.service, t.year)
            .unwrap_or_else(|| panic!("{} {} {} absent", t.indicator, t.service, t.year));
        assert_eq!(n, t.numerator, "{t:?}");
        assert_eq!(d, t.denominator, "{t:?}");
        assert!((v - t.numerator / t.denominator).abs() < 1e-9, "{t:?} {v}");
    }
    // The capacity change 65 → 73 from 2023 reaches the denominators.
    let aemo = &annuaire::SERVICES[0];
    let den = |y| figure(&df, "taux_activite", aemo.finess, y).unwrap().1;
    assert_eq!(den(2022), 65.0 * 365.0);
    assert_eq!(den(2023), 73.0 * 365.0);
    assert_eq!(den(2024), 73.0 * 366.0);
}

/// The directory of the generated layout with a capacity sheet of `capacities` (CSV
/// lines after the header) and a services sheet of `services`.
fn with_csv(dir: &Path, services: &str, capacities: &str) -> Pipeline {
    std::fs::write(dir.join("services.csv"), services).unwrap();
    std::fs::write(dir.join("capacites.csv"), capacities).unwrap();
    pipeline(
        dir,
        "[pipeline]\nnom = \"x\"\n[periode]\ndebut = 2022\nfin = 2023\n\
         [[sources]]\nfichier = \"services.csv\"\ntable = \"services\"\n\
         [[sources]]\nfichier = \"capacites.csv\"\ntable = \"capacites\"\n",
    )
}

#[test]
fn contradictory_capacities_and_unknown_services_are_reported() {
    let dir = temp_dir("annuaire-erreurs");
    let p = with_csv(
        &dir,
        "FINESS;Type;Année;Capacité\n630781234;AEMO;2022;65\n630781234;AEMO;2023;70\n150784512;AED;;\n",
        "FINESS;Année;Capacité autorisée\n630781234;2022;65\n630781234;2023;73\n999999999;2023;12\n",
    );
    let ing = ingest::ingest(&p).unwrap_or_else(|e| panic!("{e}"));
    let codes: Vec<(&str, Severity)> = ing
        .report
        .problemes
        .iter()
        .map(|i| (i.code.as_str(), i.gravite))
        .collect();
    // The unknown service's capacity row is rejected as it is read (the services table
    // is read first); the contradiction is an error naming both values; the service
    // with no capacity at all is a warning.
    assert!(
        codes.contains(&("service_inconnu", Severity::Error)),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("capacite_contradictoire", Severity::Error)),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("capacite_absente", Severity::Warning)),
        "{codes:?}"
    );
    let conflict = ing
        .report
        .problemes
        .iter()
        .find(|i| i.code == "capacite_contradictoire")
        .unwrap();
    assert!(conflict.message.contains("70") && conflict.message.contains("73"));
    let svc = strings(&ing.tables.services, "service");
    let year = ints(&ing.tables.services, "annee");
    let cap = floats(&ing.tables.services, "capacite");
    let row = |s: &str, y: i32| {
        (0..svc.len())
            .find(|&i| svc[i].as_deref() == Some(s) && year[i] == Some(y))
            .map(|i| cap[i])
    };
    assert_eq!(row("630781234", 2022), Some(Some(65.0)), "agreeing: kept");
    assert_eq!(
        row("630781234", 2023),
        Some(None),
        "disagreeing: left empty"
    );
    assert_eq!(
        row("150784512", 2022),
        Some(None),
        "no capacity: kept, empty"
    );
    assert_eq!(row("150784512", 2023), Some(None));
    assert!(!svc.iter().any(|s| s.as_deref() == Some("999999999")));
    // A services table without a year column is refused without a capacites source.
    std::fs::write(dir.join("seul.csv"), "FINESS;Type\n630781234;AEMO\n").unwrap();
    let alone = pipeline(
        &dir,
        "[pipeline]\nnom = \"x\"\n[periode]\ndebut = 2022\nfin = 2023\n\
         [[sources]]\nfichier = \"seul.csv\"\ntable = \"services\"\n",
    );
    let e = ingest::ingest(&alone).unwrap_err().to_string();
    assert!(e.contains("annee"), "{e}");
}

#[test]
fn the_one_sheet_form_still_gives_the_demo_capacities() {
    // The demo's services table has year and capacity on one row, and no capacites
    // source: its activity rates keep their capacities (golden values in `demo`).
    let out = crate::demo::internal_output();
    let df = indicators(out);
    let (_, d, _) = figure(&df, "taux_activite", "APMN-15", 2023).expect("APMN-15 2023");
    assert!(d > 0.0);
}

#[test]
fn services_directory_template_filled_with_a_row_is_read_by_a_pipeline() {
    use observatoire_exemple::modeles;
    let t = modeles::templates()
        .into_iter()
        .find(|t| t.file == "modeles/modele-referentiel-services.xlsx")
        .expect("template");
    let row = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let bytes = modeles::filled(
        &t,
        &[
            vec![row(&[
                "630781234",
                "AEMO Val d'Allier",
                "Association Sauvegarde 63",
                "AEMO",
                "63",
                "",
            ])],
            vec![
                row(&["630781234", "2022", "65", "mesures"]),
                row(&["630781234", "2023", "73", "mesures"]),
            ],
        ],
    )
    .unwrap();
    let dir = temp_dir("modele-referentiel");
    std::fs::write(dir.join("referentiel.xlsx"), bytes).unwrap();
    // The pipeline names the sheets only: every header is recognised as it is.
    let p = pipeline(
        &dir,
        "[pipeline]\nnom = \"x\"\n[periode]\ndebut = 2022\nfin = 2023\n\
         [[sources]]\nfichier = \"referentiel.xlsx\"\nfeuille = \"Services\"\ntable = \"services\"\n\
         [[sources]]\nfichier = \"referentiel.xlsx\"\nfeuille = \"Capacités\"\ntable = \"capacites\"\n",
    );
    let ing = ingest::ingest(&p).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        ing.report.problemes.is_empty(),
        "{:#?}",
        ing.report.problemes
    );
    let s = &ing.tables.services;
    assert_eq!(s.height(), 2);
    assert_eq!(floats(s, "capacite"), vec![Some(65.0), Some(73.0)]);
    assert_eq!(ints(s, "annee"), vec![Some(2022), Some(2023)]);
    assert_eq!(
        strings(s, "type_service"),
        vec![Some("AEMO".into()), Some("AEMO".into())]
    );
    assert_eq!(strings(s, "departement"), vec![Some("63".into()); 2]);
    assert_eq!(
        strings(s, "unite_capacite"),
        vec![Some("mesures".into()); 2]
    );
    assert_eq!(
        strings(s, "organisation"),
        vec![Some("Association Sauvegarde 63".into()); 2]
    );
    // Every type of the template's list is a type the tool recognises.
    for ty in modeles::SERVICE_TYPES {
        assert_eq!(
            observatoire::vocabulary::recognise(observatoire::vocabulary::SERVICE_TYPES, ty),
            Some(ty),
            "{ty}"
        );
    }
}
