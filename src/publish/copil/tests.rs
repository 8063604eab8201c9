use super::*;
use crate::indicators::{Inputs, quality};

#[test]
fn a_zero_target_met_is_reached_in_both_directions() {
    assert_eq!(
        mark(Some(0.0), Some(0.0), Direction::AtLeast),
        Mark::Reached
    );
    assert_eq!(mark(Some(0.0), Some(0.0), Direction::AtMost), Mark::Reached);
    // Incidents: target 0, observed 2, « au plus » → not reached.
    assert_eq!(
        mark(Some(0.0), Some(2.0), Direction::AtMost),
        Mark::NotReached
    );
    assert_eq!(
        mark(Some(8.0), Some(7.0), Direction::AtLeast),
        Mark::NotReached
    );
    assert_eq!(
        mark(Some(8.0), Some(8.0), Direction::AtLeast),
        Mark::Reached
    );
    assert_eq!(mark(Some(8.0), None, Direction::AtLeast), Mark::NotMeasured);
    assert_eq!(mark(None, Some(1.0), Direction::AtLeast), Mark::NoTarget);
    assert_eq!(Direction::parse(Some("au plus")), Direction::AtMost);
    assert_eq!(Direction::parse(Some("maximum")), Direction::AtMost);
    assert_eq!(Direction::parse(Some("au moins")), Direction::AtLeast);
    assert_eq!(Direction::parse(None), Direction::AtLeast);
}

fn plan() -> DataFrame {
    let none = || None::<&str>;
    df![
        "service" => [Some("S1"); 7],
        "fiche" => ["FA1"; 7],
        "objectif" => [Some("Améliorer la qualité"), none(), none(), none(), none(), none(), none()],
        "sous_action" => [Some("Former à ESOPPE"), Some("Former à ESOPPE"), Some("Classeur qualité"), none(), none(), none(), none()],
        "annee" => [2021, 2022, 2021, 2021, 2022, 2023, 2021],
        "statut" => [Some("réalisé"), Some("en cours"), Some("abandonné"), none(), none(), none(), none()],
        "indicateur" => [none(), none(), none(), Some("Incidents"), Some("Incidents"), Some("Incidents"), Some("Salariés formés")],
        "type_indicateur" => [none(), none(), none(), Some("résultat"), Some("résultat"), Some("résultat"), Some("suivi")],
        "cible" => [None, None, None, Some(0.0), Some(0.0), Some(0.0), Some(6.0)],
        "valeur" => [None, None, None, Some(0.0), Some(3.0), None, Some(4.0)],
        "sens_cible" => [none(), none(), none(), Some("au plus"), Some("au plus"), Some("au plus"), none()],
    ]
    .unwrap()
}

fn results(plan: &DataFrame) -> Results {
    let services = df!["service" => ["S1"], "annee" => [2021]].unwrap();
    let empty = DataFrame::empty();
    quality::compute(
        &Inputs {
            services: &services,
            persons: &empty,
            activity: &empty,
            reference: &empty,
            staff: &empty,
            training: &empty,
            satisfaction: &empty,
            action_plan: plan,
            years: 2021..=2022,
            age_bands: &[0, 18],
        },
        &Default::default(),
    )
    .unwrap()
}

fn render(results: &Results, plan: &DataFrame) -> String {
    render_copil(&CopilInput {
        title: "Tableau de bord COPIL — S1",
        pipeline: "essai",
        service: Some("S1"),
        years: 2021..=2022,
        demonstration: false,
        banner: Some("Document transmis à : Conseil départemental — ne pas rediffuser"),
        results,
        plan,
    })
    .unwrap()
}

/// The cells of the row of `label` in the table whose caption contains `caption`.
fn row_cells(html: &str, caption: &str, label: &str) -> Vec<String> {
    let table = html.split("<table>").find(|t| t.contains(caption)).unwrap();
    let row = table
        .split("<tr>")
        .find(|r| r.contains(&format!("<th scope=\"row\">{label}")))
        .unwrap_or_else(|| panic!("{label} absent"));
    row.split("<td")
        .skip(1)
        .map(|c| c.split("</td>").next().unwrap().to_string())
        .collect()
}

#[test]
fn the_board_shows_statuses_targets_and_marks_by_year() {
    let plan = plan();
    let r = results(&plan);
    let html = render(&r, &plan);
    // Style embedded raw (quotes intact), banner naming the addressee.
    let style = html.split("<style>").nth(1).unwrap();
    assert!(style.contains("font-family: \"DejaVu Sans\""), "{style}");
    assert!(!style.contains("&quot;"));
    assert!(html.contains("Document transmis à : Conseil départemental — ne pas rediffuser"));
    // Years N … N+4 from the first year of the plan.
    for y in 2021..=2025 {
        assert!(
            html.contains(&format!(">{y}<span class=\"detail\">N")),
            "{y}"
        );
    }
    // Sub-actions: status per year, text with its symbol.
    let esoppe = row_cells(&html, "sous-actions", "Former à ESOPPE");
    assert_eq!(esoppe.len(), 5);
    assert!(esoppe[0].contains("✓ réalisé") && esoppe[0].contains("realise"));
    assert!(esoppe[1].contains("◐ en cours"));
    assert!(row_cells(&html, "sous-actions", "Classeur qualité")[0].contains("✕ abandonné"));
    // Done / planned from the published rows: 2021 1 of 2, 2022 0 of 1.
    let done = row_cells(&html, "sous-actions", "Sous-actions réalisées sur prévues");
    assert!(
        done[0].contains("1 sur 2") && done[0].contains("50"),
        "{}",
        done[0]
    );
    assert!(done[1].contains("0 sur 1"));
    assert!(done[2].contains("à venir"));
    // Incidents (« au plus »): 2021 0 against 0 → reached; 2022 3 against 0 → not
    // reached; 2023 is after the period → à venir with its target.
    let inc = row_cells(&html, "indicateurs", "Incidents");
    assert!(inc[0].contains("cible 0") && inc[0].contains("observé 0"));
    assert!(inc[0].contains("✓\u{a0}atteint") && inc[0].contains("class=\"marque atteint\""));
    assert!(inc[1].contains("observé 3") && inc[1].contains("✗\u{a0}non atteint"));
    assert!(inc[2].contains("cible 0") && inc[2].contains("à venir"));
    assert!(!inc[3].contains("cible"));
    // Salariés formés (« au moins »): 4 against 6 → not reached.
    let formed = row_cells(&html, "indicateurs", "Salariés formés");
    assert!(formed[0].contains("cible 6") && formed[0].contains("non atteint"));
    // No activity chart.
    assert!(!html.contains("<svg"));
}

#[test]
fn secret_rows_show_s_and_every_number_is_a_published_value() {
    let plan = plan();
    let mut r = results(&plan);
    for row in &mut r.rows {
        if row.indicateur == TARGETS_REACHED && row.periode == 2022 {
            row.statut = CellStatus::Primary;
        }
    }
    let html = render(&r, &plan);
    let inc = row_cells(&html, "indicateurs", "Incidents");
    assert!(
        inc[1].contains("cible s") && inc[1].contains("secret"),
        "{}",
        inc[1]
    );
    assert!(!inc[1].contains('3'));
    // Every number of a cell is a published value of the rows.
    let published: Vec<String> = r
        .rows
        .iter()
        .filter(|x| x.statut == CellStatus::Published)
        .flat_map(|x| [x.numerateur, x.denominateur, x.valeur])
        .flatten()
        .map(plain)
        .collect();
    for (caption, label) in [
        ("indicateurs", "Incidents"),
        ("indicateurs", "Salariés formés"),
    ] {
        for c in row_cells(&html, caption, label) {
            for word in c.split(|ch: char| !ch.is_ascii_digit() && ch != ',') {
                if !word.is_empty() {
                    assert!(published.contains(&word.to_string()), "{word} in {c}");
                }
            }
        }
    }
}

#[test]
fn an_empty_plan_says_so() {
    let plan = DataFrame::empty();
    let html = render(&Results::default(), &plan);
    assert!(html.contains("Aucune fiche action"));
}

#[test]
fn the_network_plan_has_its_own_board() {
    // The same plan written without a service: it is the network's own plan.
    let mut plan = plan();
    plan.replace(
        "service",
        Column::new("service".into(), vec![None::<&str>; plan.height()]),
    )
    .unwrap();
    let r = results(&plan);
    let html = render_copil(&CopilInput {
        title: "Tableau de bord COPIL — réseau",
        pipeline: "essai",
        service: None,
        years: 2021..=2022,
        demonstration: false,
        banner: None,
        results: &r,
        plan: &plan,
    })
    .unwrap();
    assert!(
        html.contains("plan d&#x27;action du réseau") || html.contains("plan d'action du réseau")
    );
    assert!(html.contains("services compris"));
    let inc = row_cells(&html, "indicateurs", "Incidents");
    assert!(inc[0].contains("cible 0") && inc[0].contains("atteint"));
    // The service board of S1 is empty: these lines are not S1's.
    let s1 = render(&r, &plan);
    assert!(s1.contains("Aucune fiche action"));
}
