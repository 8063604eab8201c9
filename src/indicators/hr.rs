//! Human resources (ANAP *tableau de bord*, axis 2), per year and perimeter: ETP in
//! total, by job and of social workers; measures per social-worker ETP; absenteeism
//! (total and by motif); staff present at 31/12; turnover.

use chrono::NaiveDate;
use polars::prelude::*;

use super::frame::{self, Fig, Perimeters, fields, k};
use super::{Directory, IndicatorDef, Inputs, Measure, Results, Secret};
use crate::error::Error;
use crate::pseudonymise::STAFF_PSEUDONYM;
use crate::tables::{Table, columns as col};
use crate::text::fold;

pub const ETP_TOTAL: &str = "etp_total";
pub const ETP_BY_JOB: &str = "etp_par_metier";
pub const ETP_SOCIAL_WORKERS: &str = "etp_travailleurs_sociaux";
pub const MEASURES_PER_SW: &str = "mesures_par_etp_travailleur_social";
pub const ABSENTEEISM: &str = "taux_absenteisme";
pub const HEADCOUNT: &str = "effectif_31_12";
pub const TURNOVER: &str = "taux_rotation";

const ANAP: &str = "ANAP, tableau de bord de la performance (Hélios)";

pub const DEFINITIONS: [IndicatorDef; 7] = [
    IndicatorDef {
        id: ETP_TOTAL,
        libelle: "ETP",
        definition: "Somme des équivalents temps plein moyens de l'année des salariés du périmètre.",
        numerateur: "somme des ETP",
        denominateur: "—",
        unite: "ETP",
        tables_sources: "personnel",
        origine: ANAP,
        secret: Secret::count(Measure::amount("etp")),
    },
    IndicatorDef {
        id: ETP_BY_JOB,
        libelle: "ETP par métier",
        definition: "Somme des ETP de l'année, par métier ou fonction.",
        numerateur: "somme des ETP du métier",
        denominateur: "—",
        unite: "ETP",
        tables_sources: "personnel",
        origine: ANAP,
        secret: Secret::count(Measure::amount("etp")),
    },
    IndicatorDef {
        id: ETP_SOCIAL_WORKERS,
        libelle: "ETP de travailleurs sociaux",
        definition: "ETP des éducateurs spécialisés, moniteurs-éducateurs, assistants de service social, éducateurs de jeunes enfants, CESF et TISF.",
        numerateur: "somme des ETP des travailleurs sociaux",
        denominateur: "—",
        unite: "ETP",
        tables_sources: "personnel",
        origine: "Projet de service APMN (« 73 mesures exercées par 9 travailleurs sociaux »)",
        secret: Secret::count(Measure::amount("etp_travailleurs_sociaux")),
    },
    IndicatorDef {
        id: MEASURES_PER_SW,
        libelle: "Mesures par ETP de travailleur social",
        definition: "Nombre moyen de mesures exercées chaque jour de l'année rapporté aux ETP de travailleurs sociaux du périmètre.",
        numerateur: "mesures exercées en moyenne chaque jour (mesures-jours / jours de l'année)",
        denominateur: "ETP de travailleurs sociaux",
        unite: "mesures par ETP",
        tables_sources: "accompagnements, personnel",
        origine: "Projet de service APMN ; CNAEMO",
        secret: Secret::rate(Measure::FREE, Measure::amount("etp_travailleurs_sociaux")),
    },
    IndicatorDef {
        id: ABSENTEEISM,
        libelle: "Taux d'absentéisme",
        definition: "Jours calendaires d'absence (hors congés payés et formation) rapportés aux ETP × 365 ; aussi par motif (maladie, accident du travail, maternité/paternité, autres).",
        numerateur: "jours calendaires d'absence de l'année",
        denominateur: "ETP réels × 365",
        unite: "%",
        tables_sources: "personnel",
        origine: ANAP,
        secret: Secret::rate(
            Measure::amount("jours_absence"),
            Measure::amount("etp").total().scaled(365.0),
        ),
    },
    IndicatorDef {
        id: HEADCOUNT,
        libelle: "Effectif au 31 décembre",
        definition: "Salariés distincts présents le 31/12 (entrés au plus tard ce jour, sans date de sortie antérieure).",
        numerateur: "salariés présents au 31/12",
        denominateur: "—",
        unite: "salariés",
        tables_sources: "personnel",
        origine: ANAP,
        secret: Secret::count(Measure::persons("salaries_presents_31_12")),
    },
    IndicatorDef {
        id: TURNOVER,
        libelle: "Taux de rotation du personnel",
        definition: "(Entrées de l'année + sorties de l'année) / 2, rapportées à l'effectif au 31/12 de l'année précédente ; salariés en CDI quand le type de contrat est connu.",
        numerateur: "(entrées + sorties) / 2",
        denominateur: "effectif au 31/12 de l'année précédente",
        unite: "%",
        tables_sources: "personnel",
        origine: ANAP,
        secret: Secret::rate(
            Measure::persons("mouvements_personnel").scaled(0.5),
            Measure::persons("salaries_presents_31_12").previous_year(),
        ),
    },
];

/// An employee is present on 31/12 of `year` when they entered on or before that day
/// and did not leave before it (the one rule for headcounts and training shares).
pub fn present_at_year_end(entry: Option<NaiveDate>, exit: Option<NaiveDate>, year: i32) -> bool {
    let dec31 = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    entry.is_none_or(|d| d <= dec31) && exit.is_none_or(|d| d >= dec31)
}

/// Jobs counted as social work.
pub fn is_social_worker(job: &str) -> bool {
    let j = fold(job);
    [
        "EDUCAT",
        "MONITEUR",
        "MONITRICE",
        "ASSISTANT DE SERVICE SOCIAL",
        "ASSISTANTE DE SERVICE SOCIAL",
        "ASSISTANT SOCIAL",
        "ASSISTANTE SOCIALE",
        "CESF",
        "CONSEILLER EN ECONOMIE",
        "CONSEILLERE EN ECONOMIE",
        "TISF",
        "TECHNICIEN DE L'INTERVENTION",
        "TECHNICIENNE DE L'INTERVENTION",
    ]
    .iter()
    .any(|p| j.starts_with(p))
        && !j.contains("SPORTIF")
}

const MOTIFS: [(&str, &str); 4] = [
    ("absence_maladie", "maladie"),
    ("absence_accident_travail", "accident du travail"),
    ("absence_maternite", "maternité ou paternité"),
    ("absence_autres", "autres motifs"),
];

const P: &str = "_salarie";
const WHO: &str = "_qui";
const ETP: &str = "_etp";
const JOB: &str = "_metier";
const SW: &str = "_travail_social";
const CDI: &str = "_cdi";
const ENTRY: &str = "_entree";
const EXIT: &str = "_sortie";

fn absence(i: usize) -> String {
    format!("_absence_{i}")
}

fn absent(i: usize) -> String {
    format!("_absents_{i}")
}

/// Per perimeter and year (and the year before the period, for turnover): sums of ETP
/// and absences, distinct employees behind them (`n_unique`), headcount, entries and
/// exits — `group_by` plans over the staff lines expanded to their perimeters.
pub fn compute(inputs: &Inputs, _settings: &super::Settings) -> Result<Results, Error> {
    let df = inputs.staff;
    if df.height() == 0 {
        return Ok(Results::default());
    }
    let (first, last) = (*inputs.years.start(), *inputs.years.end());
    let dir = Directory::from_services(inputs.services)?;
    let lf = staff_lines(df, first, last)?;
    let perimeters = Perimeters::new(&dir, &frame::distinct(lf.clone(), col(k::SERVICE))?)?;
    let expanded = perimeters.expand(lf.clone()).cache();
    let main = expanded
        .clone()
        .group_by([col(k::PERIMETER), col(k::YEAR)])
        .agg(main_aggregates());
    let by_job = etp_by_job(expanded, first);
    // Measures of the services whose staff is known, added to their perimeters.
    let measures = if inputs.persons.height() > 0 {
        staffed_measure_days(inputs, lf, &perimeters)?
    } else {
        main.clone()
            .select([col(k::PERIMETER), col(k::YEAR)])
            .with_column(lit(0.0).alias("_mesures_jours"))
    };
    main_with_measures(main, measures, by_job, &perimeters, inputs)
}

/// The staff lines of the period (and the year before, for turnover), with whether the
/// job is a social worker's, whether the person was present at 31/12 and whether their
/// moves count (CDI or unknown contract).
fn staff_lines(df: &DataFrame, first: i32, last: i32) -> Result<LazyFrame, Error> {
    let lf = frame::canonical(df, Table::Staff)
        .with_row_index(k::ROW, None)
        .with_columns([
            frame::text(STAFF_PSEUDONYM).alias(P),
            frame::text(col::SERVICE).alias(k::SERVICE),
            frame::int(col::YEAR).alias(k::YEAR),
        ])
        .filter(
            col(k::SERVICE)
                .is_not_null()
                .and(col(k::YEAR).gt_eq(lit(first - 1)))
                .and(col(k::YEAR).lt_eq(lit(last))),
        );
    let jobs = frame::distinct(lf.clone(), frame::text(fields::JOB))?;
    let contracts = frame::distinct(lf.clone(), frame::text(fields::CONTRACT))?;
    let mut columns = vec![
        col(k::ROW),
        col(P),
        col(k::SERVICE),
        col(k::YEAR),
        frame::num(fields::ETP).fill_null(lit(0.0)).alias(ETP),
        frame::text(fields::JOB).alias(JOB),
        frame::text(fields::CONTRACT).alias("_contrat"),
        frame::day(fields::ENTRY).alias(ENTRY),
        frame::day(fields::EXIT).alias(EXIT),
    ];
    for (i, c) in fields::ABSENCES.iter().enumerate() {
        columns.push(frame::num(c).fill_null(lit(0.0)).alias(absence(i)));
    }
    let lf = lf.select(columns);
    let lf = frame::left_ordered_join(
        lf,
        frame::lookup(&jobs, JOB, SW, is_social_worker)?,
        &[JOB],
        JoinType::Left,
    );
    let lf = frame::left_ordered_join(
        lf,
        frame::lookup(&contracts, "_contrat", CDI, |c| fold(c).starts_with("CDI"))?,
        &["_contrat"],
        JoinType::Left,
    );
    Ok(frame::left_ordered_join(
        frame::to_ids(lf, P).with_column(frame::who(P).alias(WHO)),
        frame::year_table(first - 1..=last)?,
        &[k::YEAR],
        JoinType::Inner,
    )
    .with_columns([
        col(SW).fill_null(lit(false)),
        col(P)
            .is_not_null()
            .and(col(ENTRY).is_null().or(col(ENTRY).lt_eq(col(k::DEC31))))
            .and(col(EXIT).is_null().or(col(EXIT).gt_eq(col(k::DEC31))))
            .alias("_present"),
        col(P)
            .is_not_null()
            .and(col(CDI).fill_null(lit(true)))
            .alias("_mouvement"),
    ])
    .cache())
}

/// Per perimeter and year: ETP, headcounts, absences, presence and moves.
fn main_aggregates() -> Vec<Expr> {
    let mut aggs = vec![
        col(ETP).sum().alias("etp"),
        col(WHO).n_unique().alias("effectif"),
        col(ETP).filter(col(SW)).sum().alias("etp_ts"),
        col(WHO).filter(col(SW)).n_unique().alias("ts"),
        col(WHO)
            .filter(
                fields::ABSENCES
                    .iter()
                    .enumerate()
                    .map(|(i, _)| col(absence(i)).gt(lit(0.0)))
                    .reduce(|a, b| a.or(b))
                    .unwrap_or(lit(false)),
            )
            .n_unique()
            .alias("absents"),
        col(P).filter(col("_present")).n_unique().alias("presents"),
        col(P)
            .filter(col("_mouvement").and(frame::in_year(col(ENTRY))))
            .n_unique()
            .alias("entrees"),
        col(P)
            .filter(col("_mouvement").and(frame::in_year(col(EXIT))))
            .n_unique()
            .alias("sorties"),
    ];
    for i in 0..fields::ABSENCES.len() {
        aggs.push(col(absence(i)).sum());
        aggs.push(
            col(WHO)
                .filter(col(absence(i)).gt(lit(0.0)))
                .n_unique()
                .alias(absent(i)),
        );
    }
    aggs
}

/// ETP by job, per perimeter and year of the period.
fn etp_by_job(expanded: LazyFrame, first: i32) -> LazyFrame {
    let by_job = expanded
        .filter(col(JOB).is_not_null().and(col(k::YEAR).gt_eq(lit(first))))
        .group_by([col(k::PERIMETER), col(k::YEAR), col(JOB)])
        .agg([
            col(ETP).sum().alias("etp"),
            col(WHO).n_unique().alias("effectif"),
        ]);
    Fig::count(ETP_BY_JOB, "ETP", col("etp"))
        .by("metier", col(JOB))
        .staff(Some(col("effectif")), None)
        .select(by_job)
}

/// Measure-days of the services whose staff is known, per perimeter and year.
fn staffed_measure_days(
    inputs: &Inputs,
    lf: LazyFrame,
    perimeters: &Perimeters,
) -> Result<LazyFrame, Error> {
    let records = frame::canonical(inputs.persons, Table::Accompaniments)
        .select([
            frame::text(col::SERVICE).alias(k::SERVICE),
            frame::day(col::START).alias("_debut"),
            frame::day(col::END).alias("_fin"),
        ])
        .filter(
            col(k::SERVICE)
                .is_not_null()
                .and(col("_debut").is_not_null()),
        );
    let measure_days = frame::per_year(records, inputs.years.clone())?
        .group_by([col(k::SERVICE), col(k::YEAR)])
        .agg([frame::days_in_year(col("_debut"), col("_fin"))
            .sum()
            .cast(DataType::Float64)
            .alias("_mesures_jours")]);
    let staffed = lf
        .select([col(k::SERVICE), col(k::YEAR)])
        .unique(None, UniqueKeepStrategy::Any)
        .join(
            measure_days,
            [col(k::SERVICE), col(k::YEAR)],
            [col(k::SERVICE), col(k::YEAR)],
            JoinArgs::new(JoinType::Inner),
        );
    Ok(perimeters
        .expand(staffed)
        .group_by([col(k::PERIMETER), col(k::YEAR)])
        .agg([col("_mesures_jours").sum()]))
}

fn main_with_measures(
    main: LazyFrame,
    measures: LazyFrame,
    by_job: LazyFrame,
    perimeters: &Perimeters,
    inputs: &Inputs,
) -> Result<Results, Error> {
    let (first, last) = (*inputs.years.start(), *inputs.years.end());
    let main = main.cache();
    let previous = main.clone().select([
        col(k::PERIMETER),
        (col(k::YEAR) + lit(1)).alias(k::YEAR),
        col("presents").alias("_presents_avant"),
    ]);
    let main = main
        .join(
            measures,
            [col(k::PERIMETER), col(k::YEAR)],
            [col(k::PERIMETER), col(k::YEAR)],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            previous,
            [col(k::PERIMETER), col(k::YEAR)],
            [col(k::PERIMETER), col(k::YEAR)],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            frame::year_table(first..=last)?,
            [col(k::YEAR)],
            [col(k::YEAR)],
            JoinArgs::new(JoinType::Inner),
        )
        .with_column(col("_mesures_jours").fill_null(lit(0.0)))
        .cache();
    Ok(Results {
        rows: frame::rows(figures(main, by_job), perimeters)?,
        notes: Vec::new(),
    })
}

/// The figures of the family, from the per-perimeter aggregates of each year.
fn figures(main: LazyFrame, by_job: LazyFrame) -> Vec<LazyFrame> {
    let n = fields::ABSENCES.len();
    let total_absence = (1..n).fold(col(absence(MOTIF_ORDER[0])), |acc, i| {
        acc + col(absence(MOTIF_ORDER[i]))
    });
    let days_365 = col("etp") * lit(365.0);
    let mut parts = vec![
        by_job,
        Fig::count(ETP_TOTAL, "ETP", col("etp"))
            .staff(Some(col("effectif")), None)
            .select(main.clone()),
        Fig::count(ETP_SOCIAL_WORKERS, "ETP", col("etp_ts"))
            .staff(Some(col("ts")), None)
            .select(main.clone()),
        Fig::ratio(
            MEASURES_PER_SW,
            "mesures par ETP",
            col("_mesures_jours") / col(k::YEAR_LENGTH),
            col("etp_ts"),
        )
        .staff(None, Some(col("ts")))
        .select(main.clone().filter(col("_mesures_jours").gt(lit(0.0)))),
        Fig::ratio(ABSENTEEISM, "%", total_absence, days_365.clone())
            .staff(Some(col("absents")), Some(col("effectif")))
            .select(main.clone()),
        Fig::count(HEADCOUNT, "salariés", col("presents")).select(main.clone()),
        Fig::ratio(
            TURNOVER,
            "%",
            (col("entrees") + col("sorties")).cast(DataType::Float64) / lit(2.0),
            col("_presents_avant"),
        )
        .select(main.clone().filter(col("_presents_avant").is_not_null())),
    ];
    for (i, (_, motif)) in MOTIFS.iter().enumerate() {
        parts.push(
            Fig::ratio(ABSENTEEISM, "%", col(absence(i)), days_365.clone())
                .by("motif", lit(*motif))
                .staff(Some(col(absent(i))), Some(col("effectif")))
                .select(main.clone()),
        );
    }
    parts
}

/// Motifs in the order their days were added up (by label), so the total is the same
/// sum as the breakdown's.
const MOTIF_ORDER: [usize; 4] = [1, 3, 0, 2];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn social_work_jobs() {
        for j in [
            "Éducateur spécialisé",
            "Educatrice de jeunes enfants",
            "Moniteur-éducateur",
            "Assistante de service social",
            "CESF",
            "TISF",
        ] {
            assert!(is_social_worker(j), "{j}");
        }
        for j in [
            "Psychologue",
            "Cheffe de service",
            "Secrétaire",
            "Maîtresse de maison",
            "Éducateur sportif",
        ] {
            assert!(!is_social_worker(j), "{j}");
        }
    }
}
