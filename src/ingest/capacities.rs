//! The capacities joined onto the services (docs/architecture.md, « Capacités »).
//!
//! A services directory is often kept in two sheets: one row per service (code, name,
//! organisation, type, département, opening days) and one row per service and year with
//! the authorised capacity. The `capacites` table holds the second; this module joins it
//! onto `services` before any later stage sees the services, so that the services table
//! keeps its contract (one row per service and year) and no indicator is written twice.
//!
//! Rules, per service and year:
//! - a capacity given by `capacites` fills a services row of the same year, or makes a
//!   new row from the service's description (its row without year, else its latest row);
//! - two capacities for the same service and year (in `services` and `capacites`, or
//!   twice in `capacites`) that agree are one; that disagree are an error of the
//!   validation report (`capacite_contradictoire`) and the capacity is left empty, so no
//!   rate is computed from a doubtful capacity;
//! - a capacity row of a service absent from `services` is reported
//!   (`capacite_service_inconnu`) and left out;
//! - a service of the directory with no capacity at all is reported
//!   (`capacite_absente`) and kept for every year of the period with an empty capacity:
//!   the indicators say, for each year, that its rates are not computed and why;
//! - a capacity on a services row without year is reported (`capacite_sans_annee`) and
//!   not used: capacities come by year;
//! - the opening days and the capacity unit are taken from the row of the year, else
//!   from the capacity row, else from the service's description.

use super::*;

const CAP_MIN: &str = "_cap_min";
const CAP_MAX: &str = "_cap_max";
const CAP_UNIT: &str = "_cap_unite";
const CAP_DAYS: &str = "_cap_jours";
const CAP_SOURCE: &str = "_cap_source";
const SEEN: &str = "_vu";
const KNOWN: &str = "_connu";
const ROW: &str = "_ligne";

/// The pipeline has a `capacites` source.
pub(super) fn has_source(pipeline: &Pipeline) -> bool {
    pipeline
        .spec
        .sources
        .iter()
        .any(|s| s.table.get_ref() == Table::Capacities.id())
}

/// `services` with the capacities joined on (see the module's rules); issues go to
/// `issues`.
pub(super) fn join(
    services: DataFrame,
    capacities: &DataFrame,
    years: std::ops::RangeInclusive<i32>,
    issues: &mut Vec<Issue>,
) -> Result<DataFrame, Error> {
    let services = with_fields(services, Table::Services)?;
    let claims = claims(&with_fields(capacities.clone(), Table::Capacities)?)?;
    let keyed = services.clone().lazy().filter(col(col::YEAR).is_not_null());
    // Rows of the services table that have a year: capacity filled or checked.
    let dated = keyed
        .clone()
        .join(
            claims.clone().lazy(),
            [col(col::SERVICE), col(col::YEAR)],
            [col(col::SERVICE), col(col::YEAR)],
            JoinArgs::new(JoinType::Left),
        )
        .collect()?;
    report_conflicts(&dated, issues)?;
    let dated = merged(dated.lazy(), true).collect()?;
    // Capacity rows of a year the services table does not have: a row each, from the
    // service's description.
    let seen = keyed.select([col(col::SERVICE), col(col::YEAR), lit(true).alias(SEEN)]);
    let new = claims
        .lazy()
        .join(
            seen,
            [col(col::SERVICE), col(col::YEAR)],
            [col(col::SERVICE), col(col::YEAR)],
            JoinArgs::new(JoinType::Left),
        )
        .filter(col(SEEN).is_null())
        .join(
            descriptions(&services)?.lazy(),
            [col(col::SERVICE)],
            [col(col::SERVICE)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(lit(Null {}).cast(DataType::Float64).alias(col::CAPACITY))
        .collect()?;
    report_unknown(&new, issues)?;
    report_conflicts(&new, issues)?;
    let new = merged(new.lazy().filter(col(KNOWN).is_not_null()), false).collect()?;
    let without = without_capacity(&services, &dated, &new, years, issues)?;
    let columns: Vec<Expr> = services
        .columns()
        .iter()
        .map(|c| col(c.name().clone()).cast(c.dtype().clone()))
        .collect();
    let parts = [dated, new, without]
        .into_iter()
        .map(|df| df.lazy().select(columns.clone()).collect())
        .collect::<Result<Vec<_>, _>>()?;
    stack(parts)
}

/// `df` with every field of `table` (an absent column is added, empty and typed).
fn with_fields(df: DataFrame, table: Table) -> Result<DataFrame, Error> {
    let mut lf = df.clone().lazy();
    if df.column(col::SOURCE).is_err() {
        lf = lf.with_column(lit(Null {}).cast(DataType::String).alias(col::SOURCE));
    }
    for f in table.fields() {
        if df.column(f.name).is_err() {
            let dtype = match f.kind {
                crate::tables::Kind::Integer => DataType::Int32,
                crate::tables::Kind::Number => DataType::Float64,
                _ => DataType::String,
            };
            lf = lf.with_column(lit(Null {}).cast(dtype).alias(f.name));
        }
    }
    Ok(lf.collect()?)
}

/// The capacities, one row per service and year: the smallest and largest capacity given
/// (equal when they agree), the first unit and opening days given, the source.
fn claims(capacities: &DataFrame) -> Result<DataFrame, Error> {
    Ok(capacities
        .clone()
        .lazy()
        .filter(
            col(col::SERVICE)
                .is_not_null()
                .and(col(col::YEAR).is_not_null()),
        )
        .group_by_stable([col(col::SERVICE), col(col::YEAR).cast(DataType::Int32)])
        .agg([
            col(col::CAPACITY)
                .cast(DataType::Float64)
                .min()
                .alias(CAP_MIN),
            col(col::CAPACITY)
                .cast(DataType::Float64)
                .max()
                .alias(CAP_MAX),
            col(col::CAPACITY_UNIT).drop_nulls().first().alias(CAP_UNIT),
            col(col::OPENING_DAYS)
                .cast(DataType::Float64)
                .drop_nulls()
                .first()
                .alias(CAP_DAYS),
            col(col::SOURCE).first().alias(CAP_SOURCE),
        ])
        .collect()?)
}

/// Whether a joined row's capacities disagree (in `capacites`, or with the services').
fn conflict() -> Expr {
    let own = col(col::CAPACITY);
    col(CAP_MIN).neq(col(CAP_MAX)).or(own
        .clone()
        .is_not_null()
        .and(col(CAP_MIN).is_not_null())
        .and(own.neq(col(CAP_MIN))))
}

/// The first non-empty of `a` and `b`.
fn first_of(a: &str, b: &str) -> Expr {
    when(col(a).is_not_null()).then(col(a)).otherwise(col(b))
}

/// A joined row with its capacity, unit and opening days decided: `own_first` for a
/// services row of the year (its own unit and days first), else the capacity row's first.
fn merged(lf: LazyFrame, own_first: bool) -> LazyFrame {
    let capacity = when(conflict().fill_null(lit(false)))
        .then(lit(Null {}).cast(DataType::Float64))
        .otherwise(first_of(col::CAPACITY, CAP_MIN));
    let (unit, days) = if own_first {
        (
            first_of(col::CAPACITY_UNIT, CAP_UNIT),
            first_of(col::OPENING_DAYS, CAP_DAYS),
        )
    } else {
        (
            first_of(CAP_UNIT, col::CAPACITY_UNIT),
            first_of(CAP_DAYS, col::OPENING_DAYS),
        )
    };
    lf.with_columns([
        capacity.alias(col::CAPACITY),
        unit.alias(col::CAPACITY_UNIT),
        days.alias(col::OPENING_DAYS),
    ])
}

/// One row per service: its row without year (a directory row), else its latest row;
/// without year and capacity columns; marked as known.
fn descriptions(services: &DataFrame) -> Result<DataFrame, Error> {
    let keep: Vec<Expr> = services
        .columns()
        .iter()
        .map(|c| c.name().as_str())
        .filter(|n| ![col::SERVICE, col::YEAR, col::CAPACITY].contains(n))
        .map(|n| col(n).last())
        .collect();
    let mut agg = keep;
    agg.push(lit(true).first().alias(KNOWN));
    Ok(services
        .clone()
        .lazy()
        .with_row_index(ROW, None)
        .filter(col(col::SERVICE).is_not_null())
        .sort_by_exprs(
            [
                col(col::YEAR).is_null(),
                col(col::YEAR).fill_null(lit(i32::MIN)),
                col(ROW),
            ],
            SortMultipleOptions::default(),
        )
        .group_by_stable([col(col::SERVICE)])
        .agg(agg)
        .collect()?)
}

/// Services of the directory (rows without year) with no capacity in any year: reported,
/// and kept for every year of the period with an empty capacity.
fn without_capacity(
    services: &DataFrame,
    dated: &DataFrame,
    new: &DataFrame,
    years: std::ops::RangeInclusive<i32>,
    issues: &mut Vec<Issue>,
) -> Result<DataFrame, Error> {
    let mut placed = std::collections::BTreeSet::new();
    for df in [dated, new] {
        placed.extend(texts(df, col::SERVICE)?.into_iter().flatten());
    }
    let directory = services
        .clone()
        .lazy()
        .filter(col(col::YEAR).is_null())
        .collect()?;
    let codes = texts(&directory, col::SERVICE)?;
    let sources = texts(&directory, col::SOURCE)?;
    let undated = directory.column(col::CAPACITY)?.f64()?.clone();
    let mut missing = Vec::new();
    // One iteration per row of the directory (a few hundred services at most).
    for ((code, source), capacity) in codes.iter().zip(&sources).zip(undated.iter()) {
        if let (Some(code), Some(_)) = (code, capacity) {
            issues.push(issue(
                source.as_deref(),
                "capacite_sans_annee",
                Severity::Warning,
                format!(
                    "service {code} : capacité donnée sans année dans la table services ; elle n'est pas utilisée (les capacités viennent de la table capacites, une ligne par année)"
                ),
            ));
        }
        if let Some(code) = code
            && !placed.contains(code)
            && !missing.contains(code)
        {
            missing.push(code.clone());
            issues.push(issue(
                source.as_deref(),
                "capacite_absente",
                Severity::Warning,
                format!(
                    "service {code} : aucune capacité dans la table capacites ; ses taux d'activité et d'occupation ne sont pas calculés (ajoutez une ligne par année à la feuille des capacités)"
                ),
            ));
        }
    }
    let names: Vec<Option<String>> = missing.iter().cloned().map(Some).collect();
    let wanted = DataFrame::new(names.len(), vec![Column::new(SEEN.into(), names)])?;
    let rows = directory
        .lazy()
        .join(
            wanted.lazy(),
            [col(col::SERVICE)],
            [col(SEEN)],
            JoinArgs::new(JoinType::Inner),
        )
        .unique_stable_generic(Some(vec![col(col::SERVICE)]), UniqueKeepStrategy::Last)
        .collect()?;
    let parts = years
        .map(|y| {
            rows.clone()
                .lazy()
                .with_column(lit(y).alias(col::YEAR))
                .collect()
        })
        .collect::<Result<Vec<_>, _>>()?;
    stack(parts)
}

/// Capacity rows of a service absent from the services table: one issue per service.
fn report_unknown(new: &DataFrame, issues: &mut Vec<Issue>) -> Result<(), Error> {
    let codes = texts(new, col::SERVICE)?;
    let sources = texts(new, CAP_SOURCE)?;
    let known: Vec<Option<bool>> = new.column(KNOWN)?.bool()?.iter().collect();
    let mut told = std::collections::BTreeSet::new();
    // One iteration per capacity row without a services row of its year.
    for ((code, source), known) in codes.iter().zip(&sources).zip(known) {
        if let Some(code) = code
            && known.is_none()
            && told.insert(code.clone())
        {
            issues.push(issue(
                source.as_deref(),
                "capacite_service_inconnu",
                Severity::Error,
                format!(
                    "service {code} : capacité donnée pour un service absent de la table services ; ses lignes de capacité sont laissées de côté (ajoutez le service à la feuille des services ou corrigez son code)"
                ),
            ));
        }
    }
    Ok(())
}

/// One error per service and year whose capacities disagree.
fn report_conflicts(joined: &DataFrame, issues: &mut Vec<Issue>) -> Result<(), Error> {
    let flagged = joined
        .clone()
        .lazy()
        .filter(conflict().fill_null(lit(false)))
        .collect()?;
    let codes = texts(&flagged, col::SERVICE)?;
    let sources = texts(&flagged, CAP_SOURCE)?;
    let own_sources = texts(&flagged, col::SOURCE)?;
    let year: Vec<Option<i32>> = flagged.column(col::YEAR)?.i32()?.iter().collect();
    let num = |name: &str| -> Result<Vec<Option<f64>>, Error> {
        Ok(flagged.column(name)?.f64()?.iter().collect())
    };
    let (own, low, high) = (num(col::CAPACITY)?, num(CAP_MIN)?, num(CAP_MAX)?);
    // One iteration per contradiction (rare: each is an error to correct).
    for i in 0..flagged.height() {
        let code = codes[i].as_deref().unwrap_or_default();
        let y = year[i].map(|y| y.to_string()).unwrap_or_default();
        let given = |x: Option<f64>| x.map(number).unwrap_or_default();
        let what = match (own[i], low[i] != high[i]) {
            (_, true) => format!(
                "capacités {} et {} données pour la même année dans la table capacites",
                given(low[i]),
                given(high[i])
            ),
            (Some(o), false) => format!(
                "capacité {} dans la table services (source « {} ») et {} dans la table capacites",
                number(o),
                own_sources[i].as_deref().unwrap_or_default(),
                given(low[i])
            ),
            (None, false) => continue,
        };
        issues.push(issue(
            sources[i].as_deref(),
            "capacite_contradictoire",
            Severity::Error,
            format!(
                "service {code}, année {y} : {what} ; valeurs contradictoires, capacité laissée vide (les taux d'activité et d'occupation de cette année ne sont pas calculés) : corrigez l'une des deux"
            ),
        ));
    }
    Ok(())
}

fn number(x: f64) -> String {
    let decimals = if x.fract() == 0.0 { 0 } else { 2 };
    crate::format::number_fr(x, decimals)
}

fn texts(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, Error> {
    Ok(df
        .column(name)?
        .cast(&DataType::String)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// An issue of the join, placed on the capacities source (by its name).
fn issue(source: Option<&str>, code: &str, gravite: Severity, message: String) -> Issue {
    Issue {
        fichier: source.unwrap_or("capacites").to_string(),
        feuille: None,
        cellule: None,
        colonne: None,
        champ: Some(col::CAPACITY.into()),
        code: code.into(),
        gravite,
        message,
    }
}

#[cfg(test)]
mod tests;
