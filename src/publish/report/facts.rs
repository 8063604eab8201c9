//! What the services table says of each service, year by year (type, authorised
//! capacity and its unit, opening days): the identity of a service in the rapport
//! d'activité. Not about persons, and kept by the observatory (the « référentiel des
//! services »), so shown as is.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::error::Error;
use crate::indicators::frame::{self, floats, ints, texts};
use crate::tables::{Table, columns as c};

/// One year of a service in the services table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearFacts {
    pub capacity: Option<f64>,
    /// `mesures` or `places`.
    pub unit: Option<String>,
    pub opening_days: Option<f64>,
}

/// One service: its type and its years.
#[derive(Debug, Clone, Default)]
pub struct ServiceFacts {
    pub service_type: Option<String>,
    pub years: BTreeMap<i32, YearFacts>,
}

/// Services by code.
#[derive(Debug, Clone, Default)]
pub struct Facts(pub BTreeMap<String, ServiceFacts>);

impl Facts {
    /// Reads the canonical services table (no rows: no facts).
    pub fn from_services(services: &DataFrame) -> Result<Facts, Error> {
        if services.height() == 0 {
            return Ok(Facts::default());
        }
        let df = frame::canonical(services, Table::Services)
            .select([
                frame::text(c::SERVICE).alias(c::SERVICE),
                frame::int(c::YEAR).alias(c::YEAR),
                frame::num(c::CAPACITY).alias(c::CAPACITY),
                frame::text(c::CAPACITY_UNIT).alias(c::CAPACITY_UNIT),
                frame::num(c::OPENING_DAYS).alias(c::OPENING_DAYS),
                frame::text(c::SERVICE_TYPE).alias(c::SERVICE_TYPE),
            ])
            .collect()?;
        let (id, year, cap, unit, days, typ) = (
            texts(&df, c::SERVICE)?,
            ints(&df, c::YEAR)?,
            floats(&df, c::CAPACITY)?,
            texts(&df, c::CAPACITY_UNIT)?,
            floats(&df, c::OPENING_DAYS)?,
            texts(&df, c::SERVICE_TYPE)?,
        );
        let mut map: BTreeMap<String, ServiceFacts> = BTreeMap::new();
        for i in 0..df.height() {
            let Some(code) = &id[i] else { continue };
            let e = map.entry(code.clone()).or_default();
            if typ[i].is_some() {
                e.service_type = typ[i].clone();
            }
            if let Some(y) = year[i] {
                e.years.insert(
                    y,
                    YearFacts {
                        capacity: cap[i],
                        unit: unit[i].clone(),
                        opening_days: days[i],
                    },
                );
            }
        }
        Ok(Facts(map))
    }

    pub fn get(&self, service: &str) -> Option<&ServiceFacts> {
        self.0.get(service)
    }
}

/// Days in a calendar year (365 or 366).
pub fn days_in_year(year: i32) -> f64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if leap { 366.0 } else { 365.0 }
}

/// The changes of capacity over `years`, in French: « 65 mesures de 2020 à 2022, 73
/// mesures à partir de 2023 » (one phrase per run of equal capacities).
pub fn capacity_changes(f: &ServiceFacts, years: &[i32]) -> Option<String> {
    let mut runs: Vec<(i32, i32, f64, String)> = Vec::new();
    for &y in years {
        let Some(yf) = f.years.get(&y) else { continue };
        let Some(cap) = yf.capacity else { continue };
        let unit = yf.unit.clone().unwrap_or_default();
        match runs.last_mut() {
            Some(last) if last.2 == cap && last.3 == unit && last.1 + 1 == y => last.1 = y,
            _ => runs.push((y, y, cap, unit)),
        }
    }
    if runs.is_empty() {
        return None;
    }
    let n = runs.len();
    let parts: Vec<String> = runs
        .iter()
        .enumerate()
        .map(|(i, (a, b, cap, unit))| {
            let v = format!("{} {unit}", crate::format::number_fr(*cap, 0))
                .trim_end()
                .to_string();
            match (a == b, i + 1 == n && n > 1) {
                (_, true) => format!("{v} à partir de {a}"),
                (true, false) => format!("{v} en {a}"),
                (false, false) => format!("{v} de {a} à {b}"),
            }
        })
        .collect();
    Some(parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_changes_read_as_a_director_writes_them() {
        let mut f = ServiceFacts::default();
        for (y, cap) in [(2020, 65.0), (2021, 65.0), (2022, 65.0), (2023, 73.0)] {
            f.years.insert(
                y,
                YearFacts {
                    capacity: Some(cap),
                    unit: Some("mesures".into()),
                    opening_days: None,
                },
            );
        }
        assert_eq!(
            capacity_changes(&f, &[2020, 2021, 2022, 2023]).as_deref(),
            Some("65 mesures de 2020 à 2022, 73 mesures à partir de 2023")
        );
        assert_eq!(
            capacity_changes(&f, &[2020, 2021]).as_deref(),
            Some("65 mesures de 2020 à 2021")
        );
        assert_eq!(capacity_changes(&f, &[2019]), None);
        assert_eq!(days_in_year(2020), 366.0);
        assert_eq!(days_in_year(2023), 365.0);
    }
}
