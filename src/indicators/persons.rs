//! Indicators counted on persons and accompaniments (linked, pseudonymised), per year and
//! for every perimeter — service, organisation, département, whole network — each
//! counted on its own distinct persons (a child followed by two services of one
//! département counts once for the département):
//! file active (ANAP), persons present at 31/12, entries, exits, mean duration of the
//! accompaniments ended in the year, measures by type and by legal frame, age and sex
//! distributions.

use polars::prelude::*;

use super::frame::{self, Fig, Perimeters, UNKNOWN, fields, k};
use super::{Directory, IndicatorDef, IndicatorRow, Inputs, Measure, Results, Secret, Settings};
use crate::error::Error;
use crate::pseudonymise::columns as pcol;
use crate::pseudonymise::generalise::{age_at_year_end, age_band};
use crate::tables::{Table, columns as col};

mod people;
use people::People;

pub const ACTIVE_FILE: &str = "file_active";
pub const PRESENT: &str = "presents_31_12";
pub const ENTRIES: &str = "entrees";
pub const EXITS: &str = "sorties";
pub const MEAN_DURATION: &str = "duree_moyenne_accompagnements_termines";
pub const BY_TYPE: &str = "mesures_par_type";
pub const BY_FRAME: &str = "mesures_par_cadre";
pub const BY_AGE: &str = "repartition_age";
pub const BY_SEX: &str = "repartition_sexe";

const ANAP: &str = "ANAP, tableau de bord de la performance (Hélios)";

pub const DEFINITIONS: [IndicatorDef; 9] = [
    IndicatorDef {
        id: ACTIVE_FILE,
        libelle: "File active",
        definition: "Personnes accompagnées dans l'effectif au 31/12 + sorties définitives de l'année, soit le nombre de personnes distinctes accompagnées au moins un jour dans l'année (une personne suivie par deux services d'un même périmètre compte une fois).",
        numerateur: "personnes distinctes accompagnées au moins un jour dans l'année",
        denominateur: "—",
        unite: "personnes",
        tables_sources: "accompagnements",
        origine: ANAP,
        secret: Secret::count(Measure::persons("file_active")),
    },
    IndicatorDef {
        id: PRESENT,
        libelle: "Personnes accompagnées au 31 décembre",
        definition: "Personnes distinctes dont un accompagnement est en cours le 31/12 de l'année (commencé au plus tard ce jour, sans fin ou fini ce jour ou après).",
        numerateur: "personnes distinctes accompagnées le 31/12",
        denominateur: "—",
        unite: "personnes",
        tables_sources: "accompagnements",
        origine: ANAP,
        secret: Secret::count(Measure::persons("presents_31_12")),
    },
    IndicatorDef {
        id: ENTRIES,
        libelle: "Entrées (admissions) de l'année",
        definition: "Accompagnements (mesures, admissions) commencés dans l'année.",
        numerateur: "accompagnements dont la date de début est dans l'année",
        denominateur: "—",
        unite: "accompagnements",
        tables_sources: "accompagnements",
        origine: ANAP,
        secret: Secret::count(Measure::persons("entrees")),
    },
    IndicatorDef {
        id: EXITS,
        libelle: "Sorties de l'année",
        definition: "Accompagnements terminés dans l'année.",
        numerateur: "accompagnements dont la date de fin est dans l'année",
        denominateur: "—",
        unite: "accompagnements",
        tables_sources: "accompagnements",
        origine: ANAP,
        secret: Secret::count(Measure::persons("sorties")),
    },
    IndicatorDef {
        id: MEAN_DURATION,
        libelle: "Durée moyenne des accompagnements terminés",
        definition: "Somme des durées (date de fin − date de début, en jours) des accompagnements terminés dans l'année, divisée par leur nombre.",
        numerateur: "somme des durées, en jours, des accompagnements terminés dans l'année",
        denominateur: "accompagnements terminés dans l'année",
        unite: "jours",
        tables_sources: "accompagnements",
        origine: ANAP,
        secret: Secret::rate(
            Measure::amount("durees_accompagnements_termines").per_denominator_person(),
            Measure::persons("sorties"),
        ),
    },
    IndicatorDef {
        id: BY_TYPE,
        libelle: "Mesures par type",
        definition: "Accompagnements en cours au moins un jour dans l'année, par type de mesure ou d'accueil ; part dans l'ensemble des accompagnements du périmètre.",
        numerateur: "accompagnements du type en cours au moins un jour dans l'année",
        denominateur: "accompagnements en cours au moins un jour dans l'année",
        unite: "%",
        tables_sources: "accompagnements",
        origine: "Projet de service APMN ; CASF annexe 2-8 (nature de la mesure)",
        secret: Secret::rate(
            Measure::persons("accompagnements_en_cours"),
            Measure::persons("accompagnements_en_cours").total(),
        ),
    },
    IndicatorDef {
        id: BY_FRAME,
        libelle: "Mesures par cadre (administratif / judiciaire)",
        definition: "Accompagnements en cours au moins un jour dans l'année, par cadre juridique ; part dans l'ensemble.",
        numerateur: "accompagnements du cadre en cours au moins un jour dans l'année",
        denominateur: "accompagnements en cours au moins un jour dans l'année",
        unite: "%",
        tables_sources: "accompagnements",
        origine: "CASF annexe 2-8 (DECISION : administrative / judiciaire) ; ONPE",
        secret: Secret::rate(
            Measure::persons("accompagnements_en_cours"),
            Measure::persons("accompagnements_en_cours").total(),
        ),
    },
    IndicatorDef {
        id: BY_AGE,
        libelle: "Répartition par âge",
        definition: "Personnes de la file active par tranche d'âge atteint au 31/12 de l'année ; part dans la file active.",
        numerateur: "personnes de la file active dans la tranche d'âge",
        denominateur: "file active",
        unite: "%",
        tables_sources: "accompagnements",
        origine: "ONPE ; rapports d'activité R314-50 CASF",
        secret: Secret::rate(
            Measure::persons("file_active"),
            Measure::persons("file_active").total(),
        ),
    },
    IndicatorDef {
        id: BY_SEX,
        libelle: "Répartition par sexe",
        definition: "Personnes de la file active par sexe ; part dans la file active.",
        numerateur: "personnes de la file active de ce sexe",
        denominateur: "file active",
        unite: "%",
        tables_sources: "accompagnements",
        origine: "ONPE ; rapports d'activité R314-50 CASF",
        secret: Secret::rate(
            Measure::persons("file_active"),
            Measure::persons("file_active").total(),
        ),
    },
];

/// A perimeter figures are counted on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Perimeter {
    Service(String),
    Organisation(String),
    Department(String),
    /// Internal territory of a département (arrondissement, sector), as the services
    /// table names it.
    Territory(String, String),
    Network,
}

impl Perimeter {
    /// A row for this perimeter, filled from the directory.
    pub fn row(&self, dir: &Directory, id: &str, year: i32) -> IndicatorRow {
        let mut r = IndicatorRow {
            indicateur: id.to_string(),
            periode: year,
            ..Default::default()
        };
        match self {
            Perimeter::Service(s) => {
                let d = dir.get(s);
                r.niveau_territoire = "departement".into();
                r.code_territoire = d.and_then(|d| d.department.clone());
                r.organisation = d.and_then(|d| d.organisation.clone());
                r.service = Some(s.clone());
                r.nom_service = d.and_then(|d| d.name.clone());
            }
            Perimeter::Organisation(o) => {
                r.niveau_territoire = "ensemble".into();
                r.organisation = Some(o.clone());
            }
            Perimeter::Department(d) => {
                r.niveau_territoire = "departement".into();
                r.code_territoire = Some(d.clone());
            }
            Perimeter::Territory(d, t) => {
                r.niveau_territoire = "territoire_interne".into();
                r.code_territoire = Some(format!("{d}-{t}"));
            }
            Perimeter::Network => r.niveau_territoire = "ensemble".into(),
        }
        r
    }

    /// The perimeters a service belongs to.
    pub fn of_service(dir: &Directory, service: &str) -> Vec<Perimeter> {
        let mut v = vec![Perimeter::Service(service.to_string())];
        if let Some(d) = dir.get(service) {
            if let Some(o) = &d.organisation {
                v.push(Perimeter::Organisation(o.clone()));
            }
            if let Some(dep) = &d.department {
                v.push(Perimeter::Department(dep.clone()));
                if let Some(t) = &d.territory {
                    v.push(Perimeter::Territory(dep.clone(), t.clone()));
                }
            }
        }
        v.push(Perimeter::Network);
        v
    }
}

/// Age bands of `(birth year, year)` pairs, from the Rust rule of pseudonymisation (one
/// iteration per distinct pair: a few dozen birth years × the years of the period).
pub(super) fn age_band_table(
    birth_years: &[i32],
    years: std::ops::RangeInclusive<i32>,
    bounds: &[u32],
    band: &str,
) -> Result<LazyFrame, Error> {
    let (mut b, mut y, mut label) = (Vec::new(), Vec::new(), Vec::new());
    for by in birth_years {
        for year in years.clone() {
            b.push(*by);
            y.push(year);
            label.push(age_band(age_at_year_end(*by, year), bounds));
        }
    }
    Ok(DataFrame::new(
        b.len(),
        vec![
            Column::new(BIRTH.into(), b),
            Column::new(k::YEAR.into(), y),
            Column::new(band.into(), label),
        ],
    )?
    .lazy())
}

const P: &str = "_personne";
const START: &str = "_debut";
const END: &str = "_fin";
const TYPE: &str = "_type";
const FRAME: &str = "_cadre";
const SEX: &str = "_sexe";
const BIRTH: &str = "_annee_naissance";
const BAND: &str = "_tranche";
const DAYS: &str = "_jours";
const ACTIVE: &str = "_en_cours";
const STARTED: &str = "_entree";
const ENDED: &str = "_sortie";
const PRESENT_: &str = "_present";

/// Computes the family for every year and perimeter: the accompaniments of each year
/// are expanded to their service's perimeters (one join with the perimeter table), then
/// counted per perimeter and year by `group_by` plans — distinct persons with
/// `n_unique` over the linked person id.
pub fn compute(inputs: &Inputs, _settings: &Settings) -> Result<Results, Error> {
    let df = inputs.persons;
    if df.height() == 0 {
        return Ok(Results::default());
    }
    let dir = Directory::from_services(inputs.services)?;
    let records = person_records(df);
    let perimeters = Perimeters::new(&dir, &frame::distinct(records.clone(), col(k::SERVICE))?)?;
    let bands = age_band_table(
        &frame::distinct_int(records.clone(), col(BIRTH))?,
        inputs.years.clone(),
        inputs.age_bands,
        BAND,
    )?;
    // The accompaniments of each year, expanded once: the flows, the persons and the
    // breakdowns are separate plans, and each would otherwise expand them again (three
    // times at national scale; docs/architecture.md, « Indicators as plans »).
    // Only the columns the plans below read are kept (a national network has about
    // 1,75 million of these rows).
    let records = frame::person_ids(records, P, df);
    let yearly = yearly_records(records, inputs.years.clone())?
        .select(YEARLY_COLUMNS.map(col))
        .collect()?
        .lazy();
    // The flows and the accompaniments by type and frame are small once aggregated:
    // collected before the persons are counted, so that the yearly rows are freed as
    // soon as `People::count` has taken the columns it reads (the family's peak).
    let flows = flows(&perimeters, yearly.clone()).collect()?;
    let active = active_with_bands(yearly, bands);
    // Accompaniments (or persons) by one breakdown.
    let accompaniments_by = |c: &str, lf: LazyFrame| -> Result<LazyFrame, Error> {
        Ok(with_total(additive(
            &perimeters,
            &[c],
            vec![len().cast(DataType::Int64).alias("n")],
            vec![col("n").sum()],
            lf,
        ))?
        .collect()?
        .lazy())
    };
    let by_type = accompaniments_by(TYPE, active.clone())?;
    let by_frame = accompaniments_by(FRAME, active.clone())?;
    let people = People::count(&perimeters, active, inputs.years.clone())?;
    let main = frame::left_ordered_join(
        flows.lazy(),
        people.persons.lazy(),
        &[k::PERIMETER, k::YEAR],
        JoinType::Left,
    )
    .with_columns([
        col("actifs").fill_null(lit(0i64)),
        col("presents").fill_null(lit(0i64)),
    ])
    .cache();
    let breakdowns = Breakdowns {
        by_type,
        by_frame,
        by_age: with_total(people.by_band.lazy())?,
        by_sex: with_total(people.by_sex.lazy())?,
    };
    Ok(Results {
        rows: frame::rows(figures(main, breakdowns), &perimeters)?,
        notes: Vec::new(),
    })
}

/// The columns of the yearly rows that the family's plans read.
const YEARLY_COLUMNS: [&str; 13] = [
    k::SERVICE,
    k::YEAR,
    P,
    START,
    END,
    TYPE,
    FRAME,
    SEX,
    BIRTH,
    STARTED,
    ENDED,
    PRESENT_,
    ACTIVE,
];

/// The accompaniments with a person, a service and a start.
fn person_records(df: &DataFrame) -> LazyFrame {
    frame::canonical(df, Table::Accompaniments)
        .with_row_index(k::ROW, None)
        .select([
            col(k::ROW),
            frame::person(col::PERSON).alias(P),
            frame::text(col::SERVICE).alias(k::SERVICE),
            frame::day(col::START).alias(START),
            frame::day(col::END).alias(END),
            frame::text(fields::MEASURE_TYPE)
                .fill_null(lit(UNKNOWN))
                .alias(TYPE),
            frame::text(fields::FRAME)
                .fill_null(lit(UNKNOWN))
                .alias(FRAME),
            frame::text(fields::SEX).fill_null(lit(UNKNOWN)).alias(SEX),
            frame::int(pcol::BIRTH_YEAR).alias(BIRTH),
        ])
        .filter(
            col(P)
                .is_not_null()
                .and(col(k::SERVICE).is_not_null())
                .and(col(START).is_not_null()),
        )
}

/// The accompaniments of each year with their days in the year, whether they started,
/// ended, or were in progress at 31/12, and whether they were active in the year; only
/// those that touch the year.
fn yearly_records(
    records: LazyFrame,
    years: std::ops::RangeInclusive<i32>,
) -> Result<LazyFrame, Error> {
    Ok(frame::per_year(records, years)?
        .with_columns([
            frame::days_in_year(col(START), col(END)).alias(DAYS),
            frame::in_year(col(START)).alias(STARTED),
            frame::in_year(col(END)).alias(ENDED),
            col(START)
                .lt_eq(col(k::DEC31))
                .and(col(END).is_null().or(col(END).gt_eq(col(k::DEC31))))
                .alias(PRESENT_),
        ])
        .with_column(col(DAYS).gt(lit(0i64)).alias(ACTIVE))
        .filter(col(ACTIVE).or(col(STARTED)).or(col(ENDED)))
        .cache())
}

/// Counts of accompaniments add up: per service and year first (`aggs`), then per
/// perimeter (`sums`), both also by the `extra` columns.
fn additive(
    perimeters: &Perimeters,
    extra: &[&str],
    aggs: Vec<Expr>,
    sums: Vec<Expr>,
    lf: LazyFrame,
) -> LazyFrame {
    let mut by: Vec<Expr> = vec![col(k::SERVICE), col(k::YEAR)];
    by.extend(extra.iter().map(|c| col(*c)));
    let mut by_perimeter: Vec<Expr> = vec![col(k::PERIMETER), col(k::YEAR)];
    by_perimeter.extend(extra.iter().map(|c| col(*c)));
    perimeters
        .expand(lf.group_by(by).agg(aggs))
        .group_by(by_perimeter)
        .agg(sums)
}

/// Entries, exits and the days of the accompaniments that ended, per perimeter and
/// year.
fn flows(perimeters: &Perimeters, yearly: LazyFrame) -> LazyFrame {
    additive(
        perimeters,
        &[],
        vec![
            col(STARTED).sum().cast(DataType::Int64).alias("entrees"),
            col(ENDED).sum().cast(DataType::Int64).alias("sorties"),
            (col(END) - col(START))
                .cast(DataType::Int64)
                .filter(col(ENDED))
                .sum()
                .alias("jours_sorties"),
        ],
        vec![
            col("entrees").sum(),
            col("sorties").sum(),
            col("jours_sorties").sum(),
        ],
        yearly,
    )
}

/// The total `n` over a breakdown, the denominator of its shares (a window over the
/// perimeter and year).
fn with_total(lf: LazyFrame) -> Result<LazyFrame, Error> {
    Ok(lf.with_column(
        col("n")
            .sum()
            .over([col(k::PERIMETER), col(k::YEAR)])?
            .alias("total"),
    ))
}

/// The accompaniments in progress in the year, with the age band of the person that
/// year (« non renseigné » when unknown).
fn active_with_bands(yearly: LazyFrame, bands: LazyFrame) -> LazyFrame {
    frame::left_ordered_join(
        yearly
            .filter(col(ACTIVE))
            .with_column(birth_and_year().alias(BIRTH_AND_YEAR)),
        bands.select([birth_and_year().alias(BIRTH_AND_YEAR), col(BAND)]),
        &[BIRTH_AND_YEAR],
        JoinType::Left,
    )
    .drop(by_name([BIRTH_AND_YEAR], true, false))
    .with_column(col(BAND).fill_null(lit(UNKNOWN)))
}

/// The key of the age band table: birth year and year as one integer (`frame::pair`).
pub(super) fn birth_and_year() -> Expr {
    frame::pair(col(BIRTH), col(k::YEAR))
}

/// Column of [`birth_and_year`].
pub(super) const BIRTH_AND_YEAR: &str = "_naissance_annee";

/// The four breakdowns of the file: accompaniments by type and frame, persons by age
/// band and sex.
struct Breakdowns {
    by_type: LazyFrame,
    by_frame: LazyFrame,
    by_age: LazyFrame,
    by_sex: LazyFrame,
}

/// The figures of the family: counts and mean duration from `main`, shares from the
/// breakdowns.
fn figures(main: LazyFrame, b: Breakdowns) -> Vec<LazyFrame> {
    let unit = |id: &str| {
        DEFINITIONS
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.unite)
            .unwrap_or("")
    };
    let count = |id: &'static str, c: &str| Fig::count(id, unit(id), col(c)).select(main.clone());
    let share = |id: &'static str, dim: &'static str, c: &str, lf: LazyFrame| {
        Fig::ratio(id, "%", col("n"), col("total"))
            .by(dim, col(c))
            .select(lf)
    };
    vec![
        count(ACTIVE_FILE, "actifs"),
        count(PRESENT, "presents"),
        count(ENTRIES, "entrees"),
        count(EXITS, "sorties"),
        Fig::ratio(MEAN_DURATION, "jours", col("jours_sorties"), col("sorties"))
            .select(main.clone()),
        share(BY_TYPE, "type_mesure", TYPE, b.by_type),
        share(BY_FRAME, "cadre", FRAME, b.by_frame),
        share(BY_AGE, "tranche_age", BAND, b.by_age),
        share(BY_SEX, "sexe", SEX, b.by_sex),
    ]
}
