//! The blocks of a chapter of the rapport d'activité after activity (persons, staff,
//! training, satisfaction): which indicators each shows, totals in one table and each
//! breakdown in its own.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::indicators::IndicatorRow;

use super::labels;
use super::tables::{Line, Notes, Table, by_value, line};

/// One block of a chapter (h3): its tables and, for activity, the chart.
#[derive(Serialize)]
pub(super) struct Block {
    pub titre: String,
    pub tableaux: Vec<Table>,
    pub graphique: Option<String>,
}

/// The figures of a block: indicators whose total goes to the block's main table, and
/// indicators shown by breakdown value (one table each).
pub(super) struct BlockSpec {
    title: &'static str,
    totals: &'static [&'static str],
    breakdowns: &'static [&'static str],
}

pub(super) const BLOCKS: [BlockSpec; 4] = [
    BlockSpec {
        title: "Personnes accompagnées",
        totals: &[
            "file_active",
            "entrees",
            "sorties",
            "presents_31_12",
            "duree_moyenne_accompagnements_termines",
        ],
        breakdowns: &[
            "mesures_par_type",
            "mesures_par_cadre",
            "repartition_age",
            "repartition_sexe",
        ],
    },
    BlockSpec {
        title: "Personnel",
        totals: &[
            "effectif_31_12",
            "etp_total",
            "etp_travailleurs_sociaux",
            "mesures_par_etp_travailleur_social",
            "taux_absenteisme",
            "taux_rotation",
        ],
        breakdowns: &["etp_par_metier", "taux_absenteisme"],
    },
    BlockSpec {
        title: "Formation",
        totals: &[
            "part_salaries_formes_esoppe",
            "taux_realisation_formation",
            "sessions_inter_associatives",
        ],
        breakdowns: &["salaries_formes_par_theme", "jours_formation_par_theme"],
    },
    BlockSpec {
        title: "Satisfaction des personnes accompagnées et des partenaires",
        totals: &[
            "questionnaires_envoyes",
            "questionnaires_retournes",
            "taux_retour_questionnaires",
            "part_repondants_satisfaits",
        ],
        breakdowns: &[
            "taux_retour_questionnaires",
            "score_moyen_par_question",
            "part_repondants_satisfaits",
        ],
    },
];

/// The catalogue label of indicator `id` (its id when unknown).
fn indicator_label(id: &str) -> String {
    crate::indicators::catalogue()
        .iter()
        .find(|d| d.id == id)
        .map_or(id.to_string(), |d| d.libelle.to_string())
}

/// A block: the totals of its indicators in one table, each breakdown in its own.
pub(super) fn block(
    spec: &BlockSpec,
    by: &BTreeMap<&str, Vec<&IndicatorRow>>,
    years: &[i32],
    notes: &mut Notes,
) -> Block {
    let mut tableaux: Vec<Table> = totals_table(spec, by, years, notes).into_iter().collect();
    for id in spec.breakdowns {
        if let Some(rows) = by.get(id)
            && let Some(t) = breakdown_table(id, rows, years, notes)
        {
            tableaux.push(t);
        }
    }
    Block {
        titre: spec.title.into(),
        tableaux,
        graphique: None,
    }
}

/// One line per total indicator of the block (no breakdown), years as columns.
fn totals_table(
    spec: &BlockSpec,
    by: &BTreeMap<&str, Vec<&IndicatorRow>>,
    years: &[i32],
    notes: &mut Notes,
) -> Option<Table> {
    let mut lignes = Vec::new();
    for id in spec.totals {
        let Some(rows) = by.get(id) else { continue };
        let total: Vec<&IndicatorRow> = rows
            .iter()
            .filter(|r| r.ventilation.is_none())
            .copied()
            .collect();
        if let Some((_, (_, per_year))) = by_value(&total).into_iter().next() {
            let note = notes.indicator(id);
            lignes.push(line(indicator_label(id), note, years, &per_year, false));
        }
    }
    (!lignes.is_empty()).then(|| Table {
        titre: format!("{} par année", spec.title),
        note: None,
        entete: "Chiffre".into(),
        lignes,
        comparaison: true,
        pairs: false,
    })
}

/// The breakdown of indicator `id`: one line per category, years as columns.
fn breakdown_table(
    id: &str,
    rows: &[&IndicatorRow],
    years: &[i32],
    notes: &mut Notes,
) -> Option<Table> {
    let split: Vec<&IndicatorRow> = rows
        .iter()
        .filter(|r| r.ventilation.is_some())
        .copied()
        .collect();
    let dim = split.first().and_then(|r| r.ventilation.clone())?;
    let with_count = split
        .iter()
        .any(|r| r.unite == "%" && r.numerateur.is_some())
        && matches!(
            dim.as_str(),
            "type_mesure" | "cadre" | "tranche_age" | "sexe"
        );
    let lignes: Vec<Line> = by_value(&split)
        .into_values()
        .map(|(v, per_year)| {
            line(
                labels::value(&dim, v.unwrap_or("")),
                None,
                years,
                &per_year,
                with_count,
            )
        })
        .collect();
    let note = notes.indicator(id);
    let label = indicator_label(id);
    Some(Table {
        titre: if label.contains(" par ") {
            label
        } else {
            format!("{label} — par {}", labels::dimension(&dim).to_lowercase())
        },
        note,
        entete: labels::dimension(&dim),
        lignes,
        comparaison: !with_count,
        pairs: false,
    })
}
