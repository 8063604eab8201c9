//! COPIL qualité follow-up of the *fiches action*: per fiche and year, sub-actions
//! planned against those done; per *indicateur de suivi* or *de résultat*, the observed
//! value against its target (with its trend through the evolution columns).

use std::collections::BTreeMap;

use super::frame::{self, fields};
use super::persons::Perimeter;
use super::{Directory, IndicatorDef, Inputs, Results, Secret, ratio};
use crate::error::Error;
use crate::tables::{Table, columns as col};
use crate::text::fold;

pub const SUB_ACTIONS_DONE: &str = "copil_sous_actions_realisees";
pub const TARGETS_REACHED: &str = "copil_atteinte_des_cibles";

const SEED: &str = "Projet de service APMN (COPIL qualité, fiches action 1 à 3)";

pub const DEFINITIONS: [IndicatorDef; 2] = [
    IndicatorDef {
        id: SUB_ACTIONS_DONE,
        libelle: "Sous-actions réalisées (COPIL qualité)",
        definition: "Par fiche action, sous-actions au statut « réalisé » rapportées aux sous-actions prévues au calendrier de l'année (N à N+4).",
        numerateur: "sous-actions réalisées dans l'année",
        denominateur: "sous-actions prévues pour l'année",
        unite: "%",
        tables_sources: "plan_action",
        origine: SEED,
        secret: Secret::FREE,
    },
    IndicatorDef {
        id: TARGETS_REACHED,
        libelle: "Atteinte des cibles des indicateurs de suivi et de résultat",
        definition: "Par indicateur de suivi ou de résultat d'une fiche action, valeur observée rapportée à la valeur cible de l'année.",
        numerateur: "valeur observée",
        denominateur: "valeur cible",
        unite: "%",
        tables_sources: "plan_action",
        origine: SEED,
        secret: Secret::FREE,
    },
];

pub fn compute(inputs: &Inputs, _settings: &super::Settings) -> Result<Results, Error> {
    let df = inputs.action_plan;
    let mut out = Results::default();
    if df.height() == 0 {
        return Ok(out);
    }
    let dir = Directory::from_services(inputs.services)?;
    let t = frame::canonical(df, Table::ActionPlan).collect()?;
    let service = frame::texts(&t, col::SERVICE)?;
    let fiche = frame::texts(&t, fields::FICHE)?;
    let year = frame::ints(&t, col::YEAR)?;
    let sub = frame::texts(&t, fields::SUB_ACTION)?;
    let status = frame::texts(&t, fields::STATUS)?;
    let indicator = frame::texts(&t, fields::INDICATOR)?;
    let kind = frame::texts(&t, fields::INDICATOR_KIND)?;
    let target = frame::floats(&t, fields::TARGET)?;
    let observed = frame::floats(&t, fields::OBSERVED)?;
    let mut subs: BTreeMap<(i32, Perimeter, String), (usize, usize)> = BTreeMap::new();
    // A loop over the lines of the COPIL action plan: a few dozen sub-actions and
    // indicators per service, each followed as written (no aggregation to plan).
    for i in 0..t.height() {
        let (Some(f), Some(y)) = (&fiche[i], year[i]) else {
            continue;
        };
        let perimeters = match &service[i] {
            Some(s) => Perimeter::of_service(&dir, s),
            None => vec![Perimeter::Network],
        };
        if sub[i].is_some() {
            let done = status[i]
                .as_deref()
                .map(fold)
                .is_some_and(|s| s.starts_with("REALISE"));
            for per in &perimeters {
                let e = subs.entry((y, per.clone(), f.clone())).or_default();
                e.1 += 1;
                if done {
                    e.0 += 1;
                }
            }
        }
        if let (Some(name), true) = (&indicator[i], inputs.years.contains(&y)) {
            let per = perimeters.first().cloned().unwrap_or(Perimeter::Network);
            let mut r = per.row(&dir, TARGETS_REACHED, y);
            r.ventilation = Some("indicateur".into());
            let k = kind[i]
                .as_deref()
                .map(|k| format!(" ({k})"))
                .unwrap_or_default();
            r.modalite = Some(format!("{f} — {name}{k}"));
            r.numerateur = observed[i];
            r.denominateur = target[i];
            r.valeur = ratio(observed[i], target[i]);
            r.unite = "%".into();
            out.rows.push(r);
        }
    }
    for ((y, per, f), (done, planned)) in subs {
        if !inputs.years.contains(&y) {
            continue;
        }
        let mut r = per.row(&dir, SUB_ACTIONS_DONE, y);
        r.ventilation = Some("fiche".into());
        r.modalite = Some(f);
        r.numerateur = Some(done as f64);
        r.denominateur = Some(planned as f64);
        r.valeur = ratio(r.numerateur, r.denominateur);
        r.unite = "%".into();
        out.rows.push(r);
    }
    Ok(out)
}
