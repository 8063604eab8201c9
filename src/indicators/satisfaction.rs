//! Satisfaction questionnaires (the seed's *indicateurs de résultat*), per year and
//! perimeter, overall and by respondent type (famille, jeune, partenaire): questionnaires
//! sent, returned, return rate, mean score per question, share satisfied.

use std::collections::BTreeMap;

use super::cols;
use super::persons::Perimeter;
use super::{Directory, IndicatorDef, IndicatorRow, Inputs, Measure, Results, Secret, ratio};
use crate::error::Error;
use crate::tables::columns as col;

pub const SENT: &str = "questionnaires_envoyes";
pub const RETURNED: &str = "questionnaires_retournes";
pub const RETURN_RATE: &str = "taux_retour_questionnaires";
pub const MEAN_SCORE: &str = "score_moyen_par_question";
pub const SATISFIED: &str = "part_repondants_satisfaits";

const SEED: &str = "Projet de service APMN (questionnaires de satisfaction, fiches action 1 et 2)";

pub const DEFINITIONS: [IndicatorDef; 5] = [
    IndicatorDef {
        id: SENT,
        libelle: "Questionnaires de satisfaction envoyés",
        definition: "Questionnaires adressés dans l'année, en tout et par type de répondant.",
        numerateur: "questionnaires envoyés",
        denominateur: "—",
        unite: "questionnaires",
        tables_sources: "satisfaction",
        origine: SEED,
        secret: Secret::count(Measure::persons("questionnaires_envoyes")),
    },
    IndicatorDef {
        id: RETURNED,
        libelle: "Questionnaires de satisfaction retournés",
        definition: "Questionnaires envoyés dans l'année et retournés au service.",
        numerateur: "questionnaires retournés",
        denominateur: "—",
        unite: "questionnaires",
        tables_sources: "satisfaction",
        origine: SEED,
        secret: Secret::count(Measure::persons("questionnaires_retournes")),
    },
    IndicatorDef {
        id: RETURN_RATE,
        libelle: "Taux de retour des questionnaires",
        definition: "Questionnaires retournés rapportés aux questionnaires envoyés dans l'année.",
        numerateur: "questionnaires retournés",
        denominateur: "questionnaires envoyés",
        unite: "%",
        tables_sources: "satisfaction",
        origine: SEED,
        secret: Secret::rate(
            Measure::persons("questionnaires_retournes"),
            Measure::persons("questionnaires_envoyes"),
        ),
    },
    IndicatorDef {
        id: MEAN_SCORE,
        libelle: "Score moyen par question",
        definition: "Moyenne des réponses (de 1, pas du tout satisfait, à 4, très satisfait) des questionnaires retournés, par question.",
        numerateur: "somme des scores",
        denominateur: "réponses à la question",
        unite: "sur 4",
        tables_sources: "satisfaction",
        origine: SEED,
        secret: Secret::rate(
            Measure::amount("somme_scores").per_denominator_person(),
            Measure::persons("reponses_question"),
        ),
    },
    IndicatorDef {
        id: SATISFIED,
        libelle: "Part des répondants satisfaits",
        definition: "Questionnaires retournés dont la satisfaction globale (ou, à défaut, la moyenne des questions) est d'au moins 3 sur 4.",
        numerateur: "répondants satisfaits (3 ou 4 sur 4)",
        denominateur: "questionnaires retournés notés",
        unite: "%",
        tables_sources: "satisfaction",
        origine: SEED,
        secret: Secret::rate(
            Measure::persons("repondants_satisfaits"),
            Measure::persons("questionnaires_notes"),
        ),
    },
];

const QUESTIONS: [&str; 5] = [
    "question_1",
    "question_2",
    "question_3",
    "question_4",
    "question_5",
];

#[derive(Default)]
struct Acc {
    sent: usize,
    returned: usize,
    scores: BTreeMap<&'static str, (f64, usize)>,
    rated: usize,
    satisfied: usize,
}

pub fn compute(inputs: &Inputs, _settings: &super::Settings) -> Result<Results, Error> {
    let df = inputs.satisfaction;
    let mut out = Results::default();
    if df.height() == 0 {
        return Ok(out);
    }
    let dir = Directory::from_services(inputs.services)?;
    let service = cols::text(df, col::SERVICE)?;
    let year = cols::int(df, col::YEAR)?;
    let who = cols::text(df, "type_repondant")?;
    let returned = cols::boolean(df, "retourne")?;
    let global = cols::num(df, "satisfaction_globale")?;
    let answers: Vec<Vec<Option<f64>>> = QUESTIONS
        .iter()
        .map(|q| cols::num(df, q))
        .collect::<Result<_, _>>()?;
    let mut acc: BTreeMap<(i32, Perimeter, Option<String>), Acc> = BTreeMap::new();
    for i in 0..df.height() {
        let (Some(s), Some(y)) = (&service[i], year[i]) else {
            continue;
        };
        if !inputs.years.contains(&y) {
            continue;
        }
        let scores: Vec<(&'static str, f64)> = QUESTIONS
            .iter()
            .enumerate()
            .filter_map(|(k, q)| answers[k][i].map(|v| (*q, v)))
            .collect();
        // A questionnaire with answers counts as returned even if the flag is empty.
        let back = returned[i] == Some(true) || global[i].is_some() || !scores.is_empty();
        let overall = global[i].or_else(|| {
            (!scores.is_empty())
                .then(|| scores.iter().map(|(_, v)| v).sum::<f64>() / scores.len() as f64)
        });
        for per in Perimeter::of_service(&dir, s) {
            let groups = match &who[i] {
                Some(g) => vec![None, Some(g.clone())],
                None => vec![None],
            };
            for group in groups {
                let a = acc.entry((y, per.clone(), group)).or_default();
                a.sent += 1;
                if back {
                    a.returned += 1;
                    for (q, v) in &scores {
                        let e = a.scores.entry(q).or_default();
                        e.0 += v;
                        e.1 += 1;
                    }
                    if let Some(o) = overall {
                        a.rated += 1;
                        if o >= 3.0 {
                            a.satisfied += 1;
                        }
                    }
                }
            }
        }
    }
    for ((y, per, group), a) in &acc {
        let row = |id: &str, unit: &str| -> IndicatorRow {
            let mut r = per.row(&dir, id, *y);
            r.unite = unit.to_string();
            if let Some(g) = group {
                r.ventilation = Some("type_repondant".into());
                r.modalite = Some(g.clone());
            }
            r
        };
        let mut r = row(SENT, "questionnaires");
        r.numerateur = Some(a.sent as f64);
        r.valeur = r.numerateur;
        out.rows.push(r);
        let mut r = row(RETURNED, "questionnaires");
        r.numerateur = Some(a.returned as f64);
        r.valeur = r.numerateur;
        out.rows.push(r);
        let mut r = row(RETURN_RATE, "%");
        r.numerateur = Some(a.returned as f64);
        r.denominateur = Some(a.sent as f64);
        r.valeur = ratio(r.numerateur, r.denominateur);
        out.rows.push(r);
        let mut r = row(SATISFIED, "%");
        r.numerateur = Some(a.satisfied as f64);
        r.denominateur = Some(a.rated as f64);
        r.valeur = ratio(r.numerateur, r.denominateur);
        out.rows.push(r);
        if group.is_none() {
            for (q, (sum, n)) in &a.scores {
                let mut r = row(MEAN_SCORE, "sur 4");
                r.ventilation = Some("question".into());
                r.modalite = Some(q.replace('_', " "));
                r.numerateur = Some(*sum);
                r.denominateur = Some(*n as f64);
                r.valeur = ratio(r.numerateur, r.denominateur);
                out.rows.push(r);
            }
        }
    }
    Ok(out)
}
