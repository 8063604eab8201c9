//! Activity indicators of a service, per year (research/domain.md §2):
//! - `taux_activite` of a measure service (AEMO, AED…): mean daily number of measures
//!   exercised over the year / authorised measures;
//! - `taux_occupation` of an establishment: journées réalisées / (places × jours
//!   d'ouverture);
//! - `taux_realisation`: journées réalisées / journées financées.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use super::frame::{self, k};
use super::{IndicatorDef, IndicatorRow, Results, Secret, ratio};
use crate::error::Error;
use crate::format::number_fr;
use crate::tables::{Table, columns as col};

pub const ACTIVITY_RATE: &str = "taux_activite";
pub const OCCUPANCY_RATE: &str = "taux_occupation";
pub const COMPLETION_RATE: &str = "taux_realisation";

pub const DEFINITIONS: [IndicatorDef; 3] = [
    IndicatorDef {
        id: ACTIVITY_RATE,
        libelle: "Taux d'activité (service de mesures)",
        definition: "Nombre moyen de mesures exercées chaque jour de l'année, rapporté au nombre de mesures autorisées. Une mesure compte chaque jour de sa date de début à sa date de fin incluses (jusqu'au 31/12 si elle est en cours).",
        numerateur: "mesures-jours exercées dans l'année (somme, pour chaque mesure, des jours de l'année où elle est en cours)",
        denominateur: "mesures autorisées × nombre de jours de l'année (365 ou 366)",
        unite: "%",
        tables_sources: "accompagnements, services",
        origine: "Projet de service APMN (ANEF Cantal) ; définition explicitée par l'observatoire (pas de texte national)",
        secret: Secret::FREE,
    },
    IndicatorDef {
        id: OCCUPANCY_RATE,
        libelle: "Taux d'occupation",
        definition: "Journées réalisées rapportées aux journées théoriques (capacité autorisée × jours d'ouverture). Les journées réalisées sont celles de la table d'activité ; pour un service et une année sans table d'activité, elles sont calculées à partir des dates d'admission et de sortie (chaque séjour compte chaque jour de l'admission à la sortie incluses, jusqu'au 31/12 s'il est en cours), et une note le signale.",
        numerateur: "journées réalisées dans l'année (table d'activité, à défaut dates d'admission et de sortie)",
        denominateur: "places autorisées × jours d'ouverture de l'année",
        unite: "%",
        tables_sources: "activite (à défaut accompagnements), services",
        origine: "ANAP, tableau de bord de la performance (Hélios, ERRD « Autres ESMS »)",
        secret: Secret::FREE,
    },
    IndicatorDef {
        id: COMPLETION_RATE,
        libelle: "Taux de réalisation de l'activité",
        definition: "Journées réalisées rapportées aux journées financées (ou prévues) de l'année.",
        numerateur: "journées réalisées dans l'année",
        denominateur: "journées financées dans l'année",
        unite: "%",
        tables_sources: "activite",
        origine: "ANAP, tableau de bord de la performance (Hélios)",
        secret: Secret::FREE,
    },
];

/// One service in one year, from the `services` table.
#[derive(Debug, Clone)]
struct ServiceYear {
    name: Option<String>,
    organisation: Option<String>,
    service_type: Option<String>,
    department: Option<String>,
    capacity: Option<f64>,
    unit: Option<String>,
    opening_days: Option<f64>,
}

impl ServiceYear {
    /// A measure service counts its capacity in measures (AEMO, AED…).
    fn is_measure_service(&self) -> bool {
        match self.unit.as_deref().map(crate::text::fold) {
            Some(u) if u.starts_with("MESURE") => true,
            Some(u) if u.starts_with("PLACE") => false,
            _ => self
                .service_type
                .as_deref()
                .map(crate::text::fold)
                .is_some_and(|t| {
                    t.starts_with("AEMO") || t.starts_with("AED") || t.contains("MILIEU OUVERT")
                }),
        }
    }
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

pub fn day_number(y: i32, m: u32, d: u32) -> i32 {
    NaiveDate::from_ymd_opt(y, m, d)
        .map(|x| (x - epoch()).num_days() as i32)
        .unwrap_or(0)
}

/// Days of year `y` during which an accompaniment `[start, end]` (inclusive; `None` =
/// ongoing) is in progress.
pub fn days_in_year(start: i32, end: Option<i32>, y: i32) -> i64 {
    let jan1 = day_number(y, 1, 1);
    let dec31 = day_number(y, 12, 31);
    let a = start.max(jan1);
    let b = end.unwrap_or(dec31).min(dec31);
    if b >= a { i64::from(b - a + 1) } else { 0 }
}

pub fn year_length(y: i32) -> f64 {
    if NaiveDate::from_ymd_opt(y, 2, 29).is_some() {
        366.0
    } else {
        365.0
    }
}

/// The family entry point of the registry.
pub fn compute_family(
    inputs: &super::Inputs,
    _settings: &super::Settings,
) -> Result<Results, Error> {
    compute(
        inputs.services,
        inputs.persons,
        inputs.activity,
        inputs.years.clone(),
    )
}

/// Computes the activity indicators for every service and year of `years`: measure-days
/// per service and year and the activity table's sums are `group_by` plans; the rules
/// that turn them into rates (which capacity, which note) run once per service and year.
pub fn compute(
    services: &DataFrame,
    accompaniments: &DataFrame,
    activity: &DataFrame,
    years: std::ops::RangeInclusive<i32>,
) -> Result<Results, Error> {
    let mut out = Results::default();
    let registry = Registry::read(services)?;
    let by_service = measure_days(accompaniments, years.clone())?;
    activity_rates(&registry, &by_service, years.clone(), &mut out);
    let sums = activity_sums(activity, years.clone())?;
    occupancy_and_completion(&registry, &sums, &mut out)?;
    let with_activity = service_years(&sums)?;
    occupancy_from_stays(&registry, &by_service, &with_activity, years, &mut out);
    Ok(out)
}

/// What an occupancy rate whose journées come from the admissions and exits says.
pub const FROM_STAYS: &str = "journées calculées à partir des dates d'admission et de sortie";

/// The note of an occupancy rate whose journées come from the admissions and exits (no
/// row of the activity table for that service and year); the activity report looks
/// for it to say so under its table.
pub fn from_stays_note(service: &str, y: i32) -> String {
    format!(
        "{service} {y} : taux d'occupation — {FROM_STAYS} (aucune ligne de la table d'activité pour ce service et cette année)"
    )
}

/// The (service, year) pairs of the activity sums.
fn service_years(sums: &DataFrame) -> Result<std::collections::BTreeSet<(String, i32)>, Error> {
    let svc = strings(sums, k::SERVICE)?;
    let year: Vec<Option<i32>> = sums.column(k::YEAR)?.i32()?.iter().collect();
    Ok(svc
        .into_iter()
        .zip(year)
        .filter_map(|(s, y)| s.zip(y))
        .collect())
}

/// Occupancy of an establishment (capacity in places) with accompaniments but no row
/// of the activity table for a year: journées réalisées are its stays' days in the
/// year (`measure_days`, days inclusive at both ends, open stays to 31/12), with a
/// note saying so. The two sources are never added for one service-year: a service-year
/// of the activity table keeps the table's journées only.
fn occupancy_from_stays(
    registry: &Registry,
    by_service: &BTreeMap<String, BTreeMap<i32, i64>>,
    with_activity: &std::collections::BTreeSet<(String, i32)>,
    years: std::ops::RangeInclusive<i32>,
    out: &mut Results,
) {
    // One iteration per service and year: each needs its capacity rule and its note.
    for (service, days) in by_service {
        for y in years.clone() {
            if with_activity.contains(&(service.clone(), y)) {
                continue;
            }
            let Some(desc) = registry.describe(service, y) else {
                continue; // noted by `activity_rates`
            };
            if desc.is_measure_service() {
                continue;
            }
            let d = registry.get(service, y);
            let places = d.and_then(|d| d.capacity);
            let open = d.and_then(|d| d.opening_days).or(Some(year_length(y)));
            let den = places.zip(open).map(|(p, o)| p * o);
            // No stay in progress in the year: the stays of that year are missing, not
            // an empty establishment (never a 0 % from missing data).
            let num = days.get(&y).copied().filter(|d| *d > 0).map(|d| d as f64);
            out.notes.push(from_stays_note(service, y));
            if num.is_none() {
                out.notes.push(format!("{service} {y} : aucun séjour en cours dans l'année parmi les admissions et sorties, taux d'occupation non calculé"));
            } else if den.is_none() {
                out.notes.push(format!("{service} {y} : capacité autorisée absente du référentiel, taux d'occupation non calculé"));
            }
            out.rows
                .push(registry.row(OCCUPANCY_RATE, service, y, (num, den)));
        }
    }
}

/// The services table: (service, year) → ServiceYear, the last row of each pair.
struct Registry(BTreeMap<(String, i32), ServiceYear>);

impl Registry {
    /// One iteration per service and year of the services table (a few thousand rows
    /// nationally), after a `group_by` plan keeps the last row of each pair.
    fn read(services: &DataFrame) -> Result<Self, Error> {
        let last = |e: Expr, name: &str| {
            e.sort_by([col(k::ROW)], SortMultipleOptions::default())
                .last()
                .alias(name)
        };
        let df = frame::canonical(services, Table::Services)
            .with_row_index(k::ROW, None)
            .with_columns([
                frame::text(col::SERVICE).alias(k::SERVICE),
                frame::int(col::YEAR).alias(k::YEAR),
            ])
            .filter(
                col(k::SERVICE)
                    .is_not_null()
                    .and(col(k::YEAR).is_not_null()),
            )
            .group_by([col(k::SERVICE), col(k::YEAR)])
            .agg([
                last(frame::text(col::SERVICE_NAME), "nom"),
                last(frame::text(col::ORGANISATION), "org"),
                last(frame::text(col::SERVICE_TYPE), "type"),
                last(frame::text(col::DEPARTMENT), "dep"),
                last(frame::num(col::CAPACITY), "cap"),
                last(frame::text(col::CAPACITY_UNIT), "unite"),
                last(frame::num(col::OPENING_DAYS), "jours"),
            ])
            .collect()?;
        let id = strings(&df, k::SERVICE)?;
        let year: Vec<Option<i32>> = df.column(k::YEAR)?.i32()?.iter().collect();
        let (name, org, typ, dep, unit) = (
            strings(&df, "nom")?,
            strings(&df, "org")?,
            strings(&df, "type")?,
            strings(&df, "dep")?,
            strings(&df, "unite")?,
        );
        let cap: Vec<Option<f64>> = df.column("cap")?.f64()?.iter().collect();
        let open: Vec<Option<f64>> = df.column("jours")?.f64()?.iter().collect();
        let mut registry = BTreeMap::new();
        // One iteration per (service, year) of the aggregate: the registry is a map.
        for i in 0..df.height() {
            if let (Some(s), Some(y)) = (&id[i], year[i]) {
                registry.insert(
                    (s.clone(), y),
                    ServiceYear {
                        name: name[i].clone(),
                        organisation: org[i].clone(),
                        service_type: typ[i].clone(),
                        department: dep[i].clone(),
                        capacity: cap[i],
                        unit: unit[i].clone(),
                        opening_days: open[i],
                    },
                );
            }
        }
        Ok(Self(registry))
    }

    /// The service's own year.
    fn get(&self, service: &str, y: i32) -> Option<&ServiceYear> {
        self.0.get(&(service.to_string(), y))
    }

    /// The service's year, or its latest known year.
    fn describe(&self, service: &str, y: i32) -> Option<&ServiceYear> {
        self.get(service, y).or_else(|| {
            self.0
                .range((service.to_string(), i32::MIN)..=(service.to_string(), i32::MAX))
                .next_back()
                .map(|(_, v)| v)
        })
    }

    /// One figure of a service, described by the registry.
    fn row(
        &self,
        id: &str,
        service: &str,
        y: i32,
        (num, den): (Option<f64>, Option<f64>),
    ) -> IndicatorRow {
        let d = self.describe(service, y);
        IndicatorRow {
            indicateur: id.to_string(),
            periode: y,
            niveau_territoire: "departement".into(),
            code_territoire: d.and_then(|d| d.department.clone()),
            organisation: d.and_then(|d| d.organisation.clone()),
            service: Some(service.to_string()),
            nom_service: d.and_then(|d| d.name.clone()),
            numerateur: num,
            denominateur: den,
            valeur: ratio(num, den),
            unite: "%".to_string(),
            ..Default::default()
        }
    }
}

/// Measure-days per service and year (every service with an accompaniment, every year
/// of the period), from a `group_by` plan.
fn measure_days(
    accompaniments: &DataFrame,
    years: std::ops::RangeInclusive<i32>,
) -> Result<BTreeMap<String, BTreeMap<i32, i64>>, Error> {
    let mut by_service: BTreeMap<String, BTreeMap<i32, i64>> = BTreeMap::new();
    if accompaniments.height() == 0 {
        return Ok(by_service);
    }
    let records = frame::canonical(accompaniments, Table::Accompaniments)
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
    let df = frame::per_year(records, years)?
        .group_by([col(k::SERVICE), col(k::YEAR)])
        .agg([frame::days_in_year(col("_debut"), col("_fin"))
            .sum()
            .alias("_jours")])
        .collect()?;
    let s = strings(&df, k::SERVICE)?;
    let y: Vec<Option<i32>> = df.column(k::YEAR)?.i32()?.iter().collect();
    let d: Vec<Option<i64>> = df.column("_jours")?.i64()?.iter().collect();
    // One iteration per service and year of the aggregate (already summed above).
    for i in 0..df.height() {
        if let (Some(s), Some(y)) = (&s[i], y[i]) {
            by_service
                .entry(s.clone())
                .or_default()
                .insert(y, d[i].unwrap_or(0));
        }
    }
    Ok(by_service)
}

/// The activity rate of every measure service with accompaniments, every year: the
/// rules (which capacity, which note) run once per service and year.
fn activity_rates(
    registry: &Registry,
    by_service: &BTreeMap<String, BTreeMap<i32, i64>>,
    years: std::ops::RangeInclusive<i32>,
    out: &mut Results,
) {
    // One iteration per service and year: each needs its capacity rule and its note.
    for (service, days) in by_service {
        for y in years.clone() {
            let measure_days = days.get(&y).copied().unwrap_or(0);
            let Some(desc) = registry.describe(service, y) else {
                out.notes.push(format!(
                    "{service} : absent du référentiel des services, taux d'activité non calculé"
                ));
                continue;
            };
            if desc.is_measure_service() {
                let cap = registry.get(service, y).and_then(|d| d.capacity);
                let den = cap.map(|c| c * year_length(y));
                let num = Some(measure_days as f64);
                if ratio(num, den).is_none() {
                    out.notes.push(format!("{service} {y} : capacité autorisée absente ou nulle, taux d'activité non calculé"));
                }
                out.rows
                    .push(registry.row(ACTIVITY_RATE, service, y, (num, den)));
            }
        }
    }
}

/// Activity table: per service and year, the sums of days done and funded, and whether
/// one value is missing.
fn activity_sums(
    activity: &DataFrame,
    years: std::ops::RangeInclusive<i32>,
) -> Result<DataFrame, Error> {
    Ok(frame::canonical(activity, Table::Activity)
        .select([
            frame::text(col::SERVICE).alias(k::SERVICE),
            frame::int(col::YEAR).alias(k::YEAR),
            frame::num(col::DAYS_DONE).alias("_realisees"),
            frame::num(col::DAYS_FUNDED).alias("_financees"),
        ])
        .filter(
            col(k::SERVICE)
                .is_not_null()
                .and(col(k::YEAR).gt_eq(lit(*years.start())))
                .and(col(k::YEAR).lt_eq(lit(*years.end()))),
        )
        .group_by([col(k::SERVICE), col(k::YEAR)])
        .agg([
            col("_realisees").sum(),
            col("_financees").sum(),
            col("_realisees").is_null().any(true).alias("_r_manque"),
            col("_financees").is_null().any(true).alias("_f_manque"),
        ])
        .sort([k::SERVICE, k::YEAR], SortMultipleOptions::default())
        .collect()?)
}

/// Occupancy (establishments) and completion (every service) rates from the activity
/// sums, once per service and year of the activity table.
fn occupancy_and_completion(
    registry: &Registry,
    df: &DataFrame,
    out: &mut Results,
) -> Result<(), Error> {
    let svc = strings(df, k::SERVICE)?;
    let year: Vec<Option<i32>> = df.column(k::YEAR)?.i32()?.iter().collect();
    let done: Vec<Option<f64>> = df.column("_realisees")?.f64()?.iter().collect();
    let funded: Vec<Option<f64>> = df.column("_financees")?.f64()?.iter().collect();
    let done_missing: Vec<Option<bool>> = df.column("_r_manque")?.bool()?.iter().collect();
    let funded_missing: Vec<Option<bool>> = df.column("_f_manque")?.bool()?.iter().collect();
    // One iteration per service and year of the activity table (already summed above).
    for i in 0..df.height() {
        let (Some(service), Some(y)) = (&svc[i], year[i]) else {
            continue;
        };
        let done_missing = done_missing[i].unwrap_or(false);
        let num = (!done_missing).then_some(done[i].unwrap_or(0.0));
        if done_missing {
            out.notes.push(format!("{service} {y} : journées réalisées incomplètes (valeur manquante), taux d'occupation et de réalisation non calculés"));
        }
        if let Some(desc) = registry.describe(service, y)
            && !desc.is_measure_service()
        {
            let d = registry.get(service, y);
            let places = d.and_then(|d| d.capacity);
            let open = d.and_then(|d| d.opening_days).or(Some(year_length(y)));
            let den = places.zip(open).map(|(p, o)| p * o);
            if den.is_none() {
                out.notes.push(format!("{service} {y} : capacité autorisée absente du référentiel, taux d'occupation non calculé"));
            }
            out.rows
                .push(registry.row(OCCUPANCY_RATE, service, y, (num, den)));
        }
        let fden = (!funded_missing[i].unwrap_or(false)).then_some(funded[i].unwrap_or(0.0));
        out.rows
            .push(registry.row(COMPLETION_RATE, service, y, (num, fden)));
    }
    Ok(())
}

fn strings(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, Error> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// A readable sentence for a figure, e.g. `28 482 mesures-jours / 23 725 = 120,05 %`.
pub fn explain(row: &IndicatorRow) -> String {
    match (row.numerateur, row.denominateur, row.valeur) {
        (Some(n), Some(d), Some(v)) if row.unite == "%" => {
            format!(
                "{} / {} = {}",
                number_fr(n, 0),
                number_fr(d, 0),
                crate::format::percent_fr(v, 2)
            )
        }
        (_, _, Some(v)) => number_fr(v, 0),
        _ => "non calculable".into(),
    }
}

/// `(year, month, day)` of a day number, for tests and messages.
pub fn date_of(day: i32) -> (i32, u32, u32) {
    let d = epoch() + chrono::Duration::days(i64::from(day));
    (d.year(), d.month(), d.day())
}

#[cfg(test)]
mod tests;
