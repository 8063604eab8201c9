use super::*;

use crate::disclosure::{Audience, Report as Secrecy, TableFigures};
use crate::indicators::Results;
use crate::validation::ValidationReport;

fn dep(code: &str, value: Option<f64>, statut: CellStatus) -> IndicatorRow {
    IndicatorRow {
        indicateur: PE_ALSO_DITEP.into(),
        periode: 2023,
        niveau_territoire: "departement".into(),
        code_territoire: Some(code.into()),
        numerateur: value.map(|v| (v * 200.0).round()),
        denominateur: value.map(|_| 200.0),
        valeur: value,
        unite: "%".into(),
        evolution_annuelle: value.map(|_| 0.01),
        statut,
        ..Default::default()
    }
}

/// The rows as disclosure control leaves them: a withheld row has no value left.
fn rows() -> Vec<IndicatorRow> {
    let mut secret = dep("63", None, CellStatus::Primary);
    secret.numerateur = None;
    vec![
        dep("15", Some(0.123), CellStatus::Published),
        secret,
        dep("2A", Some(0.2), CellStatus::Published),
        dep("01", Some(0.123), CellStatus::Published),
        dep("03", None, CellStatus::Published),
        dep("43", Some(0.05), CellStatus::Published),
        IndicatorRow {
            niveau_territoire: "ensemble".into(),
            code_territoire: None,
            ..dep("", Some(0.11), CellStatus::Published)
        },
    ]
}

fn secrecy() -> Secrecy {
    Secrecy {
        seuil: 11,
        zeros_en_secret: false,
        diffusion: Audience::Public,
        cases_controlees: 0,
        relations: 0,
        audit: "",
        ensemble: TableFigures::default(),
        par_indicateur: Default::default(),
    }
}

#[test]
fn departments_are_ranked_by_name_with_ties_and_withheld_last() {
    let all = rows();
    let deps: Vec<&IndicatorRow> = all.iter().filter(|r| is_department_row(r)).collect();
    let lines = rank(&deps);
    let got: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l.rang.as_str(),
                l.departement.as_str(),
                l.valeur.valeur.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("1", "Corse-du-Sud (2A)", "20,0\u{a0}%"),
            ("2", "Ain (01)", "12,3\u{a0}%"),
            ("2", "Cantal (15)", "12,3\u{a0}%"),
            ("4", "Haute-Loire (43)", "5,0\u{a0}%"),
            ("—", "Allier (03)", "n.c."),
            ("—", "Puy-de-Dôme (63)", "s"),
        ]
    );
    // A withheld line shows « s » with its status everywhere, never a count.
    let secret = &lines[5];
    assert_eq!(secret.valeur.secret, Some("A"));
    assert_eq!(secret.numerateur.valeur, "s");
    assert_eq!(secret.denominateur.valeur, "s");
    assert_eq!(secret.evolution.valeur, "—");
    assert_eq!(lines[1].numerateur.valeur, "25");
    assert_eq!(lines[1].evolution.valeur, "+1,0\u{a0}pt");
}

#[test]
fn quartiles_come_from_published_values_only() {
    let mut all = rows();
    // A withheld row that still carried a value would not change the quartiles.
    all[1].valeur = Some(0.9);
    let deps: Vec<&IndicatorRow> = all.iter().filter(|r| is_department_row(r)).collect();
    let q = quartiles(&deps).unwrap();
    // Published: 0.05, 0.123, 0.123, 0.2 (type 7 quantiles).
    assert_eq!(q.nombre, 4);
    assert!((q.q1 - 0.10475).abs() < 1e-12, "{q:?}");
    assert!((q.mediane - 0.123).abs() < 1e-12);
    assert!((q.q3 - 0.14225).abs() < 1e-12);
    assert_eq!(
        quartiles(&deps[..2]),
        None,
        "one published value: no quartiles"
    );
    // The map never receives a withheld value.
    let values = map_values(&deps);
    let auvergne = values.iter().find(|v| v.code == "63").unwrap();
    assert!(auvergne.secret && auvergne.value.is_none());
}

#[test]
fn the_map_hatches_secret_cells_and_says_non_disponible() {
    let all = rows();
    let deps: Vec<&IndicatorRow> = all.iter().filter(|r| is_department_row(r)).collect();
    let svg = choropleth(
        &map_values(&deps),
        &MapSpec::new("Part", MapUnit::Proportion),
    )
    .unwrap();
    assert!(svg.contains("Puy-de-Dôme (63) : secret statistique"));
    assert!(svg.contains("Cantal (15) : 12,30"));
    // No row for the Loire (42): « non disponible ».
    assert!(svg.contains("Loire (42) : non disponible"));
    assert!(svg.contains("s : secret statistique"));
}

#[test]
fn notes_read_a_published_figure() {
    let all = rows();
    let deps: Vec<&IndicatorRow> = all.iter().filter(|r| is_department_row(r)).collect();
    let top = top_row(&deps).unwrap();
    assert_eq!(
        lecture(PE_ALSO_DITEP, top, 2023),
        "En 2023, 20,0\u{a0}% des enfants suivis par un service de protection de l'enfance du réseau situé dans le département Corse-du-Sud (2A) sont aussi accompagnés par un DITEP."
    );
    let ase = IndicatorRow {
        indicateur: ASE_PER_1000.into(),
        unite: "‰".into(),
        ..dep("15", Some(0.0146), CellStatus::Published)
    };
    assert!(lecture(ASE_PER_1000, &ase, 2020).contains(
        "dans le département Cantal (15), 14,6 enfants pour 1 000 jeunes de moins de 21 ans"
    ));
    // No published département: no figure at the top.
    let secret = [&all[1]];
    assert!(top_row(&secret).is_none());
}

#[test]
fn the_page_has_map_table_notes_and_method() {
    let results = Results {
        rows: rows(),
        notes: Vec::new(),
    };
    let validation = ValidationReport::default();
    let linkage = serde_json::json!({"appariement": {
        "enregistrements": 706, "personnes": 650, "liens_exacts": [52, 3],
        "liens_flous": 1, "seuil": 0.75
    }});
    let secrecy = secrecy();
    let input = ReportInput {
        title: "t",
        pipeline: "Essai",
        years: 2020..=2023,
        demonstration: false,
        chart_svg: None,
        results: &results,
        validation: &validation,
        linkage: &linkage,
        secrecy: &secrecy,
        banner: None,
        action_plan: None,
    };
    let report = Declared {
        index: 0,
        kind: crate::pipeline::rapports::Kind::Plaidoyer,
        perimeter: Perimeter::Network,
        nom: "plaidoyer".into(),
        destinataire: None,
    };
    let html = render(&report, &input).unwrap();
    for needle in [
        "<svg",
        "<strong>Lecture</strong> : En 2023, 20,0",
        "<strong>Champ</strong>",
        "<strong>Source</strong>",
        "id=\"methode\"",
        "Cantal (15)",
        "Puy-de-Dôme (63)",
        "Ensemble du réseau",
        "(4 valeurs publiées)",
        "706 dossiers lus (tous services), 650 enfants distincts après appariement, 55 liens par codes exacts, 1 lien approché",
        "moins de 11",
        "scope=\"row\"",
    ] {
        assert!(html.contains(needle), "« {needle} » absent");
    }
    assert_eq!(
        html.matches("<table").count(),
        html.matches("<caption").count()
    );
    assert!(!html.contains("<th>"));
    // The other flagship figures say why they are absent.
    assert!(html.contains("non disponible dans cette exécution"));
    assert!(html.contains("DREES"));
}
