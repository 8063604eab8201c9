//! Building blocks of the indicator plans: canonical tables as lazy frames with a
//! complete schema, the perimeter table (each service → the perimeters it counts in),
//! days-in-year and ratio expressions, and the conversion of an aggregated frame into
//! the long-format output rows.
//!
//! A family reads its columns by the constants of [`crate::tables::columns`] and
//! [`fields`]: a canonical field the pipeline did not map is a typed null column (the
//! data does not say), and any other name fails at its first use with Polars' "not
//! found" error naming the column — a misspelt name never reads as an all-null column.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use super::persons::Perimeter;
use super::{Directory, IndicatorRow, columns as out};
use crate::error::Error;
use crate::tables::Kind;
use crate::tables::Table;

mod rows;
pub use rows::*;

/// Canonical fields read by the indicators that have no constant in
/// [`crate::tables::columns`] (checked against the table definitions by a unit test).
pub mod fields {
    pub const MEASURE_TYPE: &str = "type_mesure";
    pub const FRAME: &str = "cadre";
    pub const SEX: &str = "sexe";
    pub const SECTOR: &str = "secteur";
    pub const TERRITORY: &str = "territoire";
    pub const JOB: &str = "metier";
    pub const ETP: &str = "etp";
    pub const ENTRY: &str = "date_entree";
    pub const EXIT: &str = "date_sortie";
    pub const CONTRACT: &str = "type_contrat";
    pub const ABSENCES: [&str; 4] = [
        "absence_maladie",
        "absence_accident_travail",
        "absence_maternite",
        "absence_autres",
    ];
    pub const THEME: &str = "theme";
    pub const DATE: &str = "date";
    pub const DAYS_REQUESTED: &str = "jours_demandes";
    pub const DAYS_DELIVERED: &str = "jours_realises";
    pub const INTER_ASSOCIATION: &str = "inter_associatif";
    pub const RESPONDENT: &str = "type_repondant";
    pub const RETURNED: &str = "retourne";
    pub const OVERALL: &str = "satisfaction_globale";
    pub const QUESTIONS: [&str; 5] = [
        "question_1",
        "question_2",
        "question_3",
        "question_4",
        "question_5",
    ];
    pub const FICHE: &str = "fiche";
    pub const SUB_ACTION: &str = "sous_action";
    pub const STATUS: &str = "statut";
    pub const INDICATOR: &str = "indicateur";
    pub const INDICATOR_KIND: &str = "type_indicateur";
    pub const TARGET: &str = "cible";
    pub const OBSERVED: &str = "valeur";
}

/// Internal column names of the plans (prefixed `_`: never a canonical name).
pub mod k {
    pub const ROW: &str = "_ligne";
    pub const PERIMETER: &str = "_perimetre";
    pub const OWN: &str = "_propre";
    pub const SERVICE: &str = "_service";
    pub const YEAR: &str = "_annee";
    pub const JAN1: &str = "_premier_janvier";
    pub const DEC31: &str = "_trente_et_un_decembre";
    pub const YEAR_LENGTH: &str = "_jours_annee";
    pub const STAFF_NUM: &str = "_effectif_numerateur";
    pub const STAFF_DEN: &str = "_effectif_denominateur";
}

/// Value of a breakdown when the record does not say.
pub const UNKNOWN: &str = "non renseigné";

fn dtype(kind: Kind) -> DataType {
    match kind {
        Kind::Text => DataType::String,
        Kind::Date => DataType::Date,
        Kind::Integer | Kind::Month => DataType::Int32,
        Kind::Number => DataType::Float64,
        Kind::Bool => DataType::Boolean,
    }
}

/// `df` as a lazy frame holding every canonical field of `table`: a field the pipeline
/// did not map is a typed null column. Columns added by later stages (pseudonyms, the
/// linked person, the birth year) are read as they are and must exist.
pub fn canonical(df: &DataFrame, table: Table) -> LazyFrame {
    let missing: Vec<Expr> = table
        .fields()
        .iter()
        .filter(|f| df.column(f.name).is_err())
        .map(|f| lit(Null {}).cast(dtype(f.kind)).alias(f.name))
        .collect();
    let lf = df.clone().lazy();
    if missing.is_empty() {
        lf
    } else {
        lf.with_columns(missing)
    }
}

/// A text column (cast), for the plans.
pub fn text(name: &str) -> Expr {
    col(name).cast(DataType::String)
}

/// A date or day-number column as days since 1970-01-01.
pub fn day(name: &str) -> Expr {
    col(name).cast(DataType::Int32)
}

pub fn int(name: &str) -> Expr {
    col(name).cast(DataType::Int32)
}

pub fn num(name: &str) -> Expr {
    col(name).cast(DataType::Float64)
}

/// A collected text column as values (an absent column is an error).
pub fn texts(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, Error> {
    Ok(df
        .column(name)?
        .cast(&DataType::String)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// A collected integer column as values (an absent column is an error).
pub fn ints(df: &DataFrame, name: &str) -> Result<Vec<Option<i32>>, Error> {
    Ok(df
        .column(name)?
        .cast(&DataType::Int32)?
        .i32()?
        .iter()
        .collect())
}

/// A collected number column as values (an absent column is an error).
pub fn floats(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>, Error> {
    Ok(df
        .column(name)?
        .cast(&DataType::Float64)?
        .f64()?
        .iter()
        .collect())
}

/// Distinct non-null values of a text column (services, jobs, themes: small sets).
pub fn distinct(lf: LazyFrame, e: Expr) -> Result<Vec<String>, Error> {
    let df = lf
        .select([e.cast(DataType::String).alias("_v")])
        .drop_nulls(None)
        .unique_stable(None, UniqueKeepStrategy::First)
        .collect()?;
    Ok(df
        .column("_v")?
        .str()?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect())
}

/// Distinct non-null integers of a column (birth years, years).
pub fn distinct_int(lf: LazyFrame, e: Expr) -> Result<Vec<i32>, Error> {
    let df = lf
        .select([e.cast(DataType::Int32).alias("_v")])
        .drop_nulls(None)
        .unique_stable(None, UniqueKeepStrategy::First)
        .collect()?;
    Ok(df.column("_v")?.i32()?.iter().flatten().collect())
}

/// A mapping frame `key → value` from a Rust rule applied to the distinct keys (a
/// vocabulary rule — folding, job families, age bands — is Rust code shared with other
/// stages; it runs once per distinct value, not per record).
pub fn lookup<V, F>(keys: &[String], key: &str, value: &str, rule: F) -> Result<LazyFrame, Error>
where
    F: Fn(&str) -> V,
    Series: NamedFrom<Vec<V>, [V]>,
{
    let values: Vec<V> = keys.iter().map(|k| rule(k)).collect();
    Ok(DataFrame::new(
        keys.len(),
        vec![
            <Series as NamedFrom<Vec<String>, [String]>>::new(key.into(), keys.to_vec()).into(),
            Column::new(value.into(), values),
        ],
    )?
    .lazy())
}

fn max2(a: Expr, b: Expr) -> Expr {
    when(a.clone().gt(b.clone())).then(a).otherwise(b)
}

fn min2(a: Expr, b: Expr) -> Expr {
    when(a.clone().lt(b.clone())).then(a).otherwise(b)
}

/// `lf` once per year of `years`, with the year, its 1 January and 31 December (day
/// numbers) and its length as columns. The loop builds one branch of the plan per year
/// of the period (a handful); the records are processed by Polars.
pub fn per_year(lf: LazyFrame, years: std::ops::RangeInclusive<i32>) -> Result<LazyFrame, Error> {
    let bounds = |y: i32| {
        [
            lit(y).alias(k::YEAR),
            lit(super::activity::day_number(y, 1, 1)).alias(k::JAN1),
            lit(super::activity::day_number(y, 12, 31)).alias(k::DEC31),
            lit(super::activity::year_length(y)).alias(k::YEAR_LENGTH),
        ]
    };
    let parts: Vec<LazyFrame> = years
        .clone()
        .map(|y| lf.clone().with_columns(bounds(y)))
        .collect();
    if parts.is_empty() {
        return Ok(lf.with_columns(bounds(*years.start())).filter(lit(false)));
    }
    Ok(concat(parts, UnionArgs::default())?)
}

/// The bounds of each year of `years` (columns of [`per_year`]), to join on `_annee`.
pub fn year_table(years: std::ops::RangeInclusive<i32>) -> Result<LazyFrame, Error> {
    let ys: Vec<i32> = years.collect();
    let jan1: Vec<i32> = ys
        .iter()
        .map(|y| super::activity::day_number(*y, 1, 1))
        .collect();
    let dec31: Vec<i32> = ys
        .iter()
        .map(|y| super::activity::day_number(*y, 12, 31))
        .collect();
    let len: Vec<f64> = ys
        .iter()
        .map(|y| super::activity::year_length(*y))
        .collect();
    Ok(DataFrame::new(
        ys.len(),
        vec![
            Column::new(k::YEAR.into(), ys),
            Column::new(k::JAN1.into(), jan1),
            Column::new(k::DEC31.into(), dec31),
            Column::new(k::YEAR_LENGTH.into(), len),
        ],
    )?
    .lazy())
}

/// A person key that is never null: the dense id of the pseudonym, or (without one) a
/// key of the row itself — such a line counts as its own person.
pub fn who(person_id: &str) -> Expr {
    col(person_id)
        .cast(DataType::Int64)
        .fill_null(col(k::ROW).cast(DataType::Int64) + lit(1i64 << 40))
}

/// Days of the row's year (columns of [`per_year`]) during which `[start, end]`
/// (inclusive; a null end is ongoing) is in progress; 0 outside.
pub fn days_in_year(start: Expr, end: Expr) -> Expr {
    let a = max2(start, col(k::JAN1));
    let b = min2(end.fill_null(col(k::DEC31)), col(k::DEC31));
    when(b.clone().gt_eq(a.clone()))
        .then((b - a + lit(1)).cast(DataType::Int64))
        .otherwise(lit(0i64))
}

/// `start ≤ x ≤ end` of the row's year, false for a null `x`.
pub fn in_year(x: Expr) -> Expr {
    x.clone()
        .gt_eq(col(k::JAN1))
        .and(x.lt_eq(col(k::DEC31)))
        .fill_null(lit(false))
}

/// Ratio that is null rather than 0 or infinity when the denominator is zero or absent
/// (the expression form of [`super::ratio`]).
pub fn ratio(n: Expr, d: Expr) -> Expr {
    let n = n.cast(DataType::Float64);
    let d = d.cast(DataType::Float64);
    when(
        n.clone()
            .is_not_null()
            .and(d.clone().is_not_null())
            .and(d.clone().gt(lit(0.0)))
            .and(n.clone().is_finite())
            .and(d.clone().is_finite()),
    )
    .then(n / d)
    .otherwise(lit(Null {}).cast(DataType::Float64))
}

/// Every perimeter records are counted in: per service code, its own perimeter, its
/// organisation, département, internal territory and the whole network
/// ([`Perimeter::of_service`]), numbered.
pub struct Perimeters {
    /// `_service → _perimetre`, one row per (service, perimeter), and whether it is the
    /// service's own perimeter (`_propre`).
    pub map: DataFrame,
    /// `_perimetre →` the output columns describing it (level, territory code,
    /// organisation, service, service name).
    pub described: DataFrame,
    ids: BTreeMap<Perimeter, u32>,
}

impl Perimeters {
    /// The perimeters of the directory's services and of `found` (codes found in the
    /// data, possibly absent from the directory: their own perimeter and the network).
    /// The loop runs over services (about a thousand at national scale), not records.
    pub fn new(dir: &Directory, found: &[String]) -> Result<Perimeters, Error> {
        let mut services: BTreeSet<String> = dir.codes().map(str::to_string).collect();
        services.extend(found.iter().cloned());
        let lists: Vec<(String, Vec<Perimeter>)> = services
            .into_iter()
            .map(|s| {
                let p = Perimeter::of_service(dir, &s);
                (s, p)
            })
            .collect();
        Perimeters::of_lists(dir, &lists)
    }

    /// The perimeters of explicit lists: each key (a service code, or any key the plan
    /// gives its records) counts in the perimeters of its list, the first being its own
    /// (`_propre`). The loop runs over keys, not records.
    pub fn of_lists(
        dir: &Directory,
        lists: &[(String, Vec<Perimeter>)],
    ) -> Result<Perimeters, Error> {
        let mut ids: BTreeMap<Perimeter, u32> = BTreeMap::new();
        let (mut from, mut to, mut own) = (Vec::new(), Vec::new(), Vec::new());
        for (s, perimeters) in lists {
            for (i, p) in perimeters.iter().enumerate() {
                own.push(i == 0);
                let next = ids.len() as u32;
                let id = *ids.entry(p.clone()).or_insert(next);
                from.push(s.clone());
                to.push(id);
            }
        }
        let map = DataFrame::new(
            from.len(),
            vec![
                Column::new(k::SERVICE.into(), from),
                Column::new(k::PERIMETER.into(), to),
                Column::new(k::OWN.into(), own),
            ],
        )?;
        let mut p = Perimeters {
            map,
            described: DataFrame::empty(),
            ids,
        };
        p.describe(dir)?;
        Ok(p)
    }

    /// The description table of the perimeters.
    fn describe(&mut self, dir: &Directory) -> Result<(), Error> {
        let n = self.ids.len();
        let (mut id, mut level, mut code, mut org, mut svc, mut name) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (p, i) in &self.ids {
            let r = p.row(dir, "", 0);
            id.push(*i);
            level.push(r.niveau_territoire);
            code.push(r.code_territoire);
            org.push(r.organisation);
            svc.push(r.service);
            name.push(r.nom_service);
        }
        self.described = DataFrame::new(
            n,
            vec![
                Column::new(k::PERIMETER.into(), id),
                Column::new(out::LEVEL.into(), level),
                Column::new(out::TERRITORY.into(), code),
                Column::new(out::ORGANISATION.into(), org),
                Column::new(out::SERVICE.into(), svc),
                Column::new(out::SERVICE_NAME.into(), name),
            ],
        )?;
        Ok(())
    }

    /// `lf` (with a `_service` column) once per perimeter of its service, in the order
    /// of `lf` (so that `first()` in a later `group_by` is the first record).
    pub fn expand(&self, lf: LazyFrame) -> LazyFrame {
        left_ordered_join(lf, self.map.clone().lazy(), &[k::SERVICE], JoinType::Inner)
    }
}

/// Two integer columns as one `Int64` key, `a · 2³² + b` (null when either is): a
/// `group_by`, `unique` or join on one integer hashes it as it is, where two or three key
/// columns are first encoded row by row (most of the persons and cross-sector families'
/// time at national scale; docs/architecture.md, « Indicators as Polars plans »).
/// One-to-one for any `a` of 32 bits and `b` in `0..2³²`: a person number, a perimeter,
/// a year.
pub fn pair(a: Expr, b: Expr) -> Expr {
    a.cast(DataType::Int64) * lit(1i64 << 32) + b.cast(DataType::Int64)
}

/// `left ⋈ right` on `on`, keeping the order of `left`.
pub fn left_ordered_join(
    left: LazyFrame,
    right: LazyFrame,
    on: &[&str],
    how: JoinType,
) -> LazyFrame {
    let keys: Vec<Expr> = on.iter().map(|c| col(*c)).collect();
    let mut args = JoinArgs::new(how);
    args.maintain_order = MaintainOrderJoin::Left;
    left.join(right, keys.clone(), keys, args)
}

/// The linked accompaniments with the person pseudonym replaced by a dense `u32` number
/// (nulls stay null), once for every family that counts persons: each family grouped,
/// deduplicated and joined on the 12- or 64-character text, and numbered it again
/// ([`to_ids`], a third of a second each on a national network). A table without the
/// column, or already numbered, is returned as it is.
pub fn person_numbers(df: &DataFrame) -> Result<DataFrame, Error> {
    use crate::tables::columns::PERSON;
    match df.column(PERSON) {
        Ok(c) if c.dtype() == &DataType::String => {
            // Only the one column goes through the plan; the others stay shared with
            // `df` (a join over the whole table would copy every column).
            let numbers =
                to_ids(DataFrame::new(df.height(), vec![c.clone()])?.lazy(), PERSON).collect()?;
            let mut out = df.clone();
            out.with_column(numbers.column(PERSON)?.clone())?;
            Ok(out)
        }
        _ => Ok(df.clone()),
    }
}

/// `lf` with its person column `name` as dense numbers: as it is when `table` (the
/// linked table `lf` was read from) is already numbered once for every family
/// ([`person_numbers`]), numbered here ([`to_ids`]) otherwise.
pub fn person_ids(lf: LazyFrame, name: &str, table: &DataFrame) -> LazyFrame {
    let numbered = table
        .column(crate::tables::columns::PERSON)
        .is_ok_and(|c| c.dtype() == &IDX_DTYPE);
    if numbered { lf } else { to_ids(lf, name) }
}

/// A person column as it is: the pseudonym's text, or its number ([`person_numbers`]).
pub fn person(name: &str) -> Expr {
    col(name)
}

/// Replaces the text column `name` by a dense `u32` id (distinct counts and groupings on
/// integers rather than on 64-character pseudonyms).
pub fn to_ids(lf: LazyFrame, name: &str) -> LazyFrame {
    let ids = lf
        .clone()
        .select([col(name)])
        .drop_nulls(None)
        .unique(None, UniqueKeepStrategy::Any)
        .with_row_index("_id", None);
    left_ordered_join(lf, ids, &[name], JoinType::Left)
        .drop(by_name([name], true, false))
        .rename(["_id"], [name], true)
}

#[cfg(test)]
mod tests;
