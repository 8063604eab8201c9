//! Satisfaction questionnaires (the seed's *indicateurs de résultat*), per year and
//! perimeter, overall and by respondent type (famille, jeune, partenaire): questionnaires
//! sent, returned, return rate, mean score per question, share satisfied.

use polars::prelude::*;

use super::frame::{self, Fig, Perimeters, fields, k};
use super::{Directory, IndicatorDef, Inputs, Measure, Results, Secret};
use crate::error::Error;
use crate::tables::{Table, columns as col};

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

const GROUP: &str = "_groupe";
const BACK: &str = "_retourne";
const OVERALL: &str = "_global";

fn question(i: usize) -> String {
    format!("_q{i}")
}

/// Per perimeter, year and respondent type (and all respondents): questionnaires sent
/// and returned, scores per question, satisfied respondents — `group_by` plans over the
/// questionnaires expanded to their perimeters.
pub fn compute(inputs: &Inputs, _settings: &super::Settings) -> Result<Results, Error> {
    let df = inputs.satisfaction;
    if df.height() == 0 {
        return Ok(Results::default());
    }
    let (first, last) = (*inputs.years.start(), *inputs.years.end());
    let dir = Directory::from_services(inputs.services)?;
    let lines = questionnaires(df, first, last);
    let perimeters = Perimeters::new(&dir, &frame::distinct(lines.clone(), col(k::SERVICE))?)?;
    // Every questionnaire in the group of all respondents, and in its respondent type's.
    let grouped = concat(
        [
            lines
                .clone()
                .with_column(lit(Null {}).cast(DataType::String).alias(GROUP)),
            lines
                .filter(col("_type").is_not_null())
                .with_column(col("_type").alias(GROUP)),
        ],
        UnionArgs::default(),
    )?;
    let acc = perimeters
        .expand(grouped)
        .group_by([col(k::PERIMETER), col(k::YEAR), col(GROUP)])
        .agg(aggregates())
        .cache();
    Ok(Results {
        rows: frame::rows(figures(&acc), &perimeters)?,
        notes: Vec::new(),
    })
}

/// The questionnaires of the period with a service: whether each came back (a
/// questionnaire with answers counts as returned even if the flag is empty) and its
/// overall score (given, or the mean of its answers).
fn questionnaires(df: &DataFrame, first: i32, last: i32) -> LazyFrame {
    let mut columns = vec![
        frame::text(col::SERVICE).alias(k::SERVICE),
        frame::int(col::YEAR).alias(k::YEAR),
        frame::text(fields::RESPONDENT).alias("_type"),
        col(fields::RETURNED)
            .cast(DataType::Boolean)
            .fill_null(lit(false))
            .alias("_drapeau"),
        frame::num(fields::OVERALL).alias("_note_globale"),
    ];
    for (i, q) in fields::QUESTIONS.iter().enumerate() {
        columns.push(frame::num(q).alias(question(i)));
    }
    let n = fields::QUESTIONS.len();
    let answered = (1..n).fold(
        col(question(0)).is_not_null().cast(DataType::Int32),
        |acc, i| acc + col(question(i)).is_not_null().cast(DataType::Int32),
    );
    // Left to right, as the answers are read.
    let total = (1..n).fold(col(question(0)).fill_null(lit(0.0)), |acc, i| {
        acc + col(question(i)).fill_null(lit(0.0))
    });
    frame::canonical(df, Table::Satisfaction)
        .select(columns)
        .filter(
            col(k::SERVICE)
                .is_not_null()
                .and(col(k::YEAR).gt_eq(lit(first)))
                .and(col(k::YEAR).lt_eq(lit(last))),
        )
        .with_column(answered.alias("_reponses"))
        .with_columns([
            // A questionnaire with answers counts as returned even if the flag is empty.
            col("_drapeau")
                .or(col("_note_globale").is_not_null())
                .or(col("_reponses").gt(lit(0)))
                .alias(BACK),
            col("_note_globale")
                .fill_null(
                    when(col("_reponses").gt(lit(0)))
                        .then(total / col("_reponses").cast(DataType::Float64))
                        .otherwise(lit(Null {}).cast(DataType::Float64)),
                )
                .alias(OVERALL),
        ])
}

/// Per perimeter, year and group: questionnaires sent, returned, scored, satisfied, and
/// the sum and count of the answers to each question.
fn aggregates() -> Vec<Expr> {
    let n = fields::QUESTIONS.len();
    let back = col(BACK);
    let mut aggs = vec![
        len().alias("_envoyes"),
        back.clone().sum().alias("_retournes"),
        back.clone()
            .and(col(OVERALL).is_not_null())
            .sum()
            .alias("_notes"),
        back.clone()
            .and(col(OVERALL).gt_eq(lit(3.0)))
            .sum()
            .alias("_satisfaits"),
    ];
    // One pair of aggregation expressions per question column (at most a few dozen).
    for i in 0..n {
        aggs.push(
            col(question(i))
                .filter(back.clone())
                .sum()
                .alias(format!("_somme{i}")),
        );
        aggs.push(
            col(question(i))
                .filter(back.clone())
                .count()
                .alias(format!("_n{i}")),
        );
    }
    aggs
}

/// The figures of the family, for all respondents and per respondent type; mean scores
/// per question for all respondents.
fn figures(acc: &LazyFrame) -> Vec<LazyFrame> {
    let by = |f: Fig| f.by("type_repondant", col(GROUP));
    let groups = || acc.clone().filter(col(GROUP).is_not_null());
    let all = || acc.clone().filter(col(GROUP).is_null());
    let mut parts = Vec::new();
    for (lf, split) in [(all(), false), (groups(), true)] {
        let figs = [
            Fig::count(SENT, "questionnaires", col("_envoyes")),
            Fig::count(RETURNED, "questionnaires", col("_retournes")),
            Fig::ratio(RETURN_RATE, "%", col("_retournes"), col("_envoyes")),
            Fig::ratio(SATISFIED, "%", col("_satisfaits"), col("_notes")),
        ];
        for f in figs {
            parts.push(if split { by(f) } else { f }.select(lf.clone()));
        }
    }
    for (i, q) in fields::QUESTIONS.iter().enumerate() {
        let n = format!("_n{i}");
        parts.push(
            Fig::ratio(
                MEAN_SCORE,
                "sur 4",
                col(format!("_somme{i}")),
                col(n.as_str()),
            )
            .by("question", lit(q.replace('_', " ")))
            .select(all().filter(col(n.as_str()).gt(lit(0)))),
        );
    }
    parts
}
