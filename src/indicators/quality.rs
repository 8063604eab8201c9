//! COPIL qualité follow-up of the *fiches action*: per fiche and year, sub-actions
//! planned against those done; per *indicateur de suivi* or *de résultat*, the observed
//! value against its target (with its trend through the evolution columns).

use polars::prelude::*;

use super::frame::{self, Fig, fields, k};
use super::persons::Perimeter;
use super::{Directory, IndicatorDef, Inputs, Results, Secret};
use crate::error::Error;
use crate::tables::{Table, columns as col};
use crate::text::fold;

pub const SUB_ACTIONS_DONE: &str = "copil_sous_actions_realisees";
pub const TARGETS_REACHED: &str = "copil_atteinte_des_cibles";
pub const TARGETS: &str = "copil_cibles";

const SEED: &str = "Projet de service APMN (COPIL qualité, fiches action 1 à 3)";

pub const DEFINITIONS: [IndicatorDef; 3] = [
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
    IndicatorDef {
        id: TARGETS,
        libelle: "Cibles des indicateurs du plan d'action (COPIL qualité)",
        definition: "Par indicateur de suivi ou de résultat d'une fiche action, valeur cible inscrite au plan pour chaque année de N à N+4, y compris les années postérieures à la période (cibles à venir).",
        numerateur: "valeur cible, dans l'unité de l'indicateur du plan",
        denominateur: "",
        unite: "valeur du plan",
        tables_sources: "plan_action",
        origine: SEED,
        secret: Secret::FREE,
    },
];

/// Key of the plan lines without a service: they count in the network only (never a
/// service code: codes are trimmed, non-empty texts).
const NETWORK_ONLY: &str = "";

/// Internal columns of the plans.
const DONE: &str = "_fait";
const LABEL: &str = "_libelle";

/// The label of an indicator line, as a breakdown value: `fiche — indicateur (type)`.
/// Readers of the output (the COPIL board) rebuild it with [`indicator_label`].
fn label_expr() -> Expr {
    let kind = frame::text(fields::INDICATOR_KIND);
    frame::text(fields::FICHE)
        + lit(" — ")
        + frame::text(fields::INDICATOR)
        + when(kind.clone().is_not_null())
            .then(lit(" (") + kind + lit(")"))
            .otherwise(lit(""))
}

/// `fiche — indicateur (type)`: the breakdown value of an indicator line.
pub fn indicator_label(fiche: &str, indicator: &str, kind: Option<&str>) -> String {
    let k = kind.map(|k| format!(" ({k})")).unwrap_or_default();
    format!("{fiche} — {indicator}{k}")
}

/// Whether a sub-action status means done (`réalisé` and its spellings).
pub fn is_done(status: &str) -> bool {
    fold(status).starts_with("REALISE")
}

pub fn compute(inputs: &Inputs, _settings: &super::Settings) -> Result<Results, Error> {
    let df = inputs.action_plan;
    let mut out = Results::default();
    if df.height() == 0 {
        return Ok(out);
    }
    let dir = Directory::from_services(inputs.services)?;
    let (first, last) = (*inputs.years.start(), *inputs.years.end());
    // Every line with a fiche and a year, keyed by its service (or the network).
    let plan = frame::canonical(df, Table::ActionPlan)
        .filter(
            col(fields::FICHE)
                .is_not_null()
                .and(col(col::YEAR).is_not_null()),
        )
        .with_columns([
            frame::text(col::SERVICE)
                .fill_null(lit(NETWORK_ONLY))
                .alias(k::SERVICE),
            frame::int(col::YEAR).alias(k::YEAR),
            frame::text(fields::FICHE).alias(fields::FICHE),
        ]);
    // The perimeters of each key: a service's own, organisation, territories and the
    // network; a line without a service, the network alone.
    let keys = frame::distinct(plan.clone(), col(k::SERVICE))?;
    let lists: Vec<(String, Vec<Perimeter>)> = keys
        .into_iter()
        .map(|s| {
            let p = if s == NETWORK_ONLY {
                vec![Perimeter::Network]
            } else {
                Perimeter::of_service(&dir, &s)
            };
            (s, p)
        })
        .collect();
    let perimeters = frame::Perimeters::of_lists(&dir, &lists)?;
    let in_period = col(k::YEAR)
        .gt_eq(lit(first))
        .and(col(k::YEAR).lt_eq(lit(last)));

    let sub_fig = sub_actions_done(plan.clone(), &perimeters, in_period.clone())?;

    // Indicators: each line of the plan at its own perimeter (the service, or the
    // network), observed value against target in the years of the period; the target
    // alone in every year of the plan (N to N+4, also beyond the period).
    let lines = perimeters
        .expand(plan.filter(col(fields::INDICATOR).is_not_null()))
        .filter(col(k::OWN))
        .with_column(label_expr().alias(LABEL));
    let reached = Fig::ratio(
        TARGETS_REACHED,
        "%",
        col(fields::OBSERVED),
        col(fields::TARGET),
    )
    .by("indicateur", col(LABEL))
    .select(lines.clone().filter(in_period));
    let targets = Fig::count(TARGETS, "valeur du plan", col(fields::TARGET))
        .by("indicateur", col(LABEL))
        .select(lines.filter(col(fields::TARGET).is_not_null()));
    out.rows = frame::rows(vec![reached, sub_fig, targets], &perimeters)?;
    Ok(out)
}

/// Sub-actions: per perimeter, year and fiche, those done among those planned.
fn sub_actions_done(
    plan: LazyFrame,
    perimeters: &frame::Perimeters,
    in_period: Expr,
) -> Result<LazyFrame, Error> {
    let statuses = frame::distinct(plan.clone(), frame::text(fields::STATUS))?;
    let done = frame::lookup(&statuses, fields::STATUS, DONE, is_done)?;
    let subs = plan
        .clone()
        .filter(in_period.and(col(fields::SUB_ACTION).is_not_null()))
        .with_column(frame::text(fields::STATUS).alias(fields::STATUS));
    let subs = frame::left_ordered_join(subs, done, &[fields::STATUS], JoinType::Left)
        .with_column(col(DONE).fill_null(lit(false)));
    let subs = perimeters
        .expand(subs)
        .group_by_stable([col(k::PERIMETER), col(k::YEAR), col(fields::FICHE)])
        .agg([
            len().alias("_prevues"),
            col(DONE).cast(DataType::UInt32).sum().alias("_realisees"),
        ]);
    Ok(
        Fig::ratio(SUB_ACTIONS_DONE, "%", col("_realisees"), col("_prevues"))
            .by("fiche", col(fields::FICHE))
            .select(subs),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::IndicatorRow;

    /// Two services of one organisation in the Cantal, a plan line of the network, lines
    /// beyond the period, and a target of 0.
    fn results() -> Vec<IndicatorRow> {
        let services = df![
            "service" => ["S1", "S2"],
            "annee" => [2021, 2021],
            "organisation" => ["O1", "O1"],
            "departement" => ["15", "15"],
        ]
        .unwrap();
        let none = || None::<&str>;
        let plan = df![
            "service" => [Some("S1"), Some("S1"), Some("S2"), None, Some("S1"), Some("S1"), Some("S1")],
            "fiche" => ["FA1", "FA1", "FA1", "FA2", "FA1", "FA1", "FA1"],
            "sous_action" => [Some("a"), Some("b"), Some("c"), Some("d"), Some("a"), none(), none()],
            "annee" => [2021, 2021, 2021, 2021, 2025, 2021, 2025],
            "statut" => [Some("réalisé"), Some("reporté"), Some("réalisé"), Some("en cours"), Some("prévu"), none(), none()],
            "indicateur" => [none(), none(), none(), none(), none(), Some("Incidents"), Some("Incidents")],
            "type_indicateur" => [none(), none(), none(), none(), none(), Some("résultat"), Some("résultat")],
            "cible" => [None, None, None, None, None, Some(0.0), Some(0.0)],
            "valeur" => [None, None, None, None, None, Some(0.0), None],
        ]
        .unwrap();
        let empty = DataFrame::empty();
        let inputs = Inputs {
            services: &services,
            persons: &empty,
            activity: &empty,
            reference: &empty,
            staff: &empty,
            training: &empty,
            satisfaction: &empty,
            action_plan: &plan,
            years: 2021..=2022,
            age_bands: &[0, 18],
        };
        compute(&inputs, &Default::default()).unwrap().rows
    }

    fn find<'a>(
        rows: &'a [IndicatorRow],
        id: &str,
        service: Option<&str>,
        level: &str,
        org: Option<&str>,
        year: i32,
        modality: &str,
    ) -> Vec<&'a IndicatorRow> {
        rows.iter()
            .filter(|r| {
                r.indicateur == id
                    && r.service.as_deref() == service
                    && r.niveau_territoire == level
                    && r.organisation.as_deref() == org
                    && r.periode == year
                    && r.modalite.as_deref() == Some(modality)
            })
            .collect()
    }

    #[test]
    fn sub_actions_done_by_perimeter_by_hand() {
        let rows = results();
        let nd = |r: &[&IndicatorRow]| {
            assert_eq!(r.len(), 1, "{r:?}");
            (r[0].numerateur, r[0].denominateur)
        };
        let s = |svc, y, f| {
            find(
                &rows,
                SUB_ACTIONS_DONE,
                Some(svc),
                "departement",
                Some("O1"),
                y,
                f,
            )
        };
        // S1 2021: a done, b postponed → 1 of 2; S2: c done → 1 of 1.
        assert_eq!(nd(&s("S1", 2021, "FA1")), (Some(1.0), Some(2.0)));
        assert_eq!(nd(&s("S2", 2021, "FA1")), (Some(1.0), Some(1.0)));
        // Organisation O1 and the network: 2 of 3 for FA1; FA2 (no service) counts in the
        // network only: 0 of 1.
        let org = find(
            &rows,
            SUB_ACTIONS_DONE,
            None,
            "ensemble",
            Some("O1"),
            2021,
            "FA1",
        );
        assert_eq!(nd(&org), (Some(2.0), Some(3.0)));
        let net = |f| find(&rows, SUB_ACTIONS_DONE, None, "ensemble", None, 2021, f);
        assert_eq!(nd(&net("FA1")), (Some(2.0), Some(3.0)));
        let fa2 = net("FA2");
        assert_eq!(nd(&fa2), (Some(0.0), Some(1.0)));
        assert_eq!(fa2[0].valeur, Some(0.0));
        assert!(
            rows.iter()
                .filter(|r| r.indicateur == SUB_ACTIONS_DONE && r.modalite.as_deref() == Some("FA2"))
                .count()
                == 1
        );
        // 2025 is beyond the period: no sub-action row.
        assert!(
            rows.iter()
                .all(|r| r.indicateur != SUB_ACTIONS_DONE || r.periode == 2021)
        );
    }

    #[test]
    fn targets_by_hand_a_zero_target_is_kept() {
        let rows = results();
        let label = indicator_label("FA1", "Incidents", Some("résultat"));
        assert_eq!(label, "FA1 — Incidents (résultat)");
        // Observed 0 against 0 in 2021: both published, the ratio cannot be computed.
        let r = find(
            &rows,
            TARGETS_REACHED,
            Some("S1"),
            "departement",
            Some("O1"),
            2021,
            &label,
        );
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].numerateur, r[0].denominateur, r[0].valeur),
            (Some(0.0), Some(0.0), None)
        );
        // At the service's own perimeter only, in the period only.
        assert_eq!(
            rows.iter()
                .filter(|r| r.indicateur == TARGETS_REACHED)
                .count(),
            1
        );
        // The target of every plan year, 2025 included.
        for y in [2021, 2025] {
            let t = find(
                &rows,
                TARGETS,
                Some("S1"),
                "departement",
                Some("O1"),
                y,
                &label,
            );
            assert_eq!(t.len(), 1, "{y}");
            assert_eq!((t[0].numerateur, t[0].valeur), (Some(0.0), Some(0.0)));
        }
        assert_eq!(rows.iter().filter(|r| r.indicateur == TARGETS).count(), 2);
    }
}
