//! The COPIL status board on the demo's action plan (ANEF Cantal, APMN-15), from the
//! rows after disclosure control.

use observatoire::disclosure;
use observatoire::indicators::{self, Directory, Inputs, Results, quality};
use observatoire::ingest;
use observatoire::pipeline::Pipeline;
use observatoire::publish::copil::{CopilInput, render_copil};
use polars::prelude::DataFrame;

use crate::util::{repo, temp_dir};

/// The demo's plan and its COPIL rows after disclosure control.
fn demo_board() -> (String, Results) {
    let p = Pipeline::load(&repo().join("pipelines/demo.toml")).unwrap();
    let ing = ingest::ingest(&p).unwrap();
    let none = DataFrame::empty();
    let years = p.spec.periode.years();
    let mut r = quality::compute(
        &Inputs {
            services: &ing.tables.services,
            persons: &none,
            activity: &none,
            reference: &none,
            staff: &none,
            training: &none,
            satisfaction: &none,
            action_plan: &ing.tables.action_plan,
            years: years.clone(),
            age_bands: &[0, 18],
        },
        &Default::default(),
    )
    .unwrap();
    let dir = Directory::from_services(&ing.tables.services).unwrap();
    disclosure::protect(&mut r.rows, &dir, &p.settings.disclosure).unwrap();
    indicators::frame::sort(&mut r.rows);
    let html = render_copil(&CopilInput {
        title: "Tableau de bord COPIL qualité — APMN du Cantal",
        pipeline: &p.spec.pipeline.nom,
        service: Some("APMN-15"),
        years,
        demonstration: true,
        banner: None,
        results: &r,
        plan: &ing.tables.action_plan,
    })
    .unwrap();
    (html, r)
}

#[test]
fn demo_copil_board() {
    let (html, r) = demo_board();
    let out = temp_dir("copil").join("tableau-de-bord-copil.html");
    std::fs::write(&out, &html).unwrap();
    eprintln!("tableau de bord : {}", out.display());
    // Three fiches, N = 2023 … N+4 = 2027; the demo's period ends in 2023.
    for f in ["Fiche action 1", "Fiche action 2", "Fiche action 3"] {
        assert!(html.contains(&format!("<h2>{f}</h2>")), "{f}");
    }
    for y in 2023..=2027 {
        assert!(html.contains(&format!(">{y}<span")), "{y}");
    }
    assert!(html.contains("DÉMONSTRATION"));
    // The five statuses of the plan appear with their symbol.
    for s in [
        "✓ réalisé",
        "◐ en cours",
        "○ prévu",
        "→ reporté",
        "✕ abandonné",
    ] {
        assert!(html.contains(s), "{s}");
    }
    // « Nombres d'action DSL »: target 0 in 2023, observed 0 → atteint.
    let dsl = html
        .split("<tr>")
        .find(|t| t.contains("Nombres d&#x27;action DSL") || t.contains("Nombres d'action DSL"))
        .expect("DSL");
    let first = dsl.split("<td").nth(1).unwrap();
    assert!(
        first.contains("cible 0") && first.contains("observé 0") && first.contains("atteint"),
        "{first}"
    );
    assert!(!first.contains("non atteint"));
    // Years after the period: targets « à venir », never an observed value.
    assert!(html.contains("à venir"));
    // Every COPIL row the board reads is published (the quality rows are not secret).
    assert!(
        r.rows
            .iter()
            .all(|x| x.statut == indicators::CellStatus::Published)
    );
}
