//! Stage 3 — indicators. Computes every figure from the canonical tables (after
//! pseudonymisation) into one long-format table: one row per indicator, period,
//! territory, organisation and service, with numerator, denominator, value and unit.
//! Owns the indicator definitions (id, label, definition, formula, unit, sources,
//! origin), shown next to every figure in reports.

pub mod activity;
pub mod cross_sector;

use polars::prelude::*;
use serde::Serialize;

use crate::error::Error;

/// How an indicator is defined (shown next to every figure).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct IndicatorDef {
    pub id: &'static str,
    pub libelle: &'static str,
    pub definition: &'static str,
    pub numerateur: &'static str,
    pub denominateur: &'static str,
    pub unite: &'static str,
    pub tables_sources: &'static str,
    pub origine: &'static str,
}

/// Columns of the long-format indicator table (Parquet schema, documented in the README).
pub mod columns {
    pub const INDICATOR: &str = "indicateur";
    pub const PERIOD: &str = "periode";
    pub const LEVEL: &str = "niveau_territoire";
    pub const TERRITORY: &str = "code_territoire";
    pub const ORGANISATION: &str = "organisation";
    pub const SERVICE: &str = "service";
    pub const SERVICE_NAME: &str = "nom_service";
    pub const BREAKDOWN: &str = "ventilation";
    pub const BREAKDOWN_VALUE: &str = "modalite";
    pub const NUMERATOR: &str = "numerateur";
    pub const DENOMINATOR: &str = "denominateur";
    pub const VALUE: &str = "valeur";
    pub const UNIT: &str = "unite";
}

/// One computed figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorRow {
    pub indicateur: String,
    pub periode: i32,
    pub niveau_territoire: String,
    pub code_territoire: Option<String>,
    pub organisation: Option<String>,
    /// `None` for figures pooled over services (territory or whole network).
    pub service: Option<String>,
    pub nom_service: Option<String>,
    /// Breakdown dimension (`type_mesure`, `tranche_age`…) and its value.
    pub ventilation: Option<String>,
    pub modalite: Option<String>,
    pub numerateur: Option<f64>,
    pub denominateur: Option<f64>,
    /// `None` when it cannot be computed (zero or missing denominator): never 0 or ∞.
    pub valeur: Option<f64>,
    pub unite: String,
}

/// The indicators and the notes explaining figures that could not be computed.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub rows: Vec<IndicatorRow>,
    /// French notes: why a figure is missing for a service and year.
    pub notes: Vec<String>,
}

impl Results {
    /// The long-format table as a DataFrame, sorted by indicator, service and period.
    pub fn to_dataframe(&self) -> Result<DataFrame, Error> {
        let mut rows = self.rows.clone();
        rows.sort_by(|a, b| {
            let key = |r: &IndicatorRow| {
                (
                    r.indicateur.clone(),
                    r.service.clone(),
                    r.niveau_territoire.clone(),
                    r.code_territoire.clone(),
                    r.ventilation.clone(),
                    r.modalite.clone(),
                    r.periode,
                )
            };
            key(a).cmp(&key(b))
        });
        let s = |f: fn(&IndicatorRow) -> Option<String>| -> Vec<Option<String>> {
            rows.iter().map(f).collect()
        };
        let n = |f: fn(&IndicatorRow) -> Option<f64>| -> Vec<Option<f64>> {
            rows.iter().map(f).collect()
        };
        use columns::*;
        let cols: Vec<Column> = vec![
            Column::new(INDICATOR.into(), s(|r| Some(r.indicateur.clone()))),
            Column::new(
                PERIOD.into(),
                rows.iter().map(|r| r.periode).collect::<Vec<i32>>(),
            ),
            Column::new(LEVEL.into(), s(|r| Some(r.niveau_territoire.clone()))),
            Column::new(TERRITORY.into(), s(|r| r.code_territoire.clone())),
            Column::new(ORGANISATION.into(), s(|r| r.organisation.clone())),
            Column::new(SERVICE.into(), s(|r| r.service.clone())),
            Column::new(SERVICE_NAME.into(), s(|r| r.nom_service.clone())),
            Column::new(BREAKDOWN.into(), s(|r| r.ventilation.clone())),
            Column::new(BREAKDOWN_VALUE.into(), s(|r| r.modalite.clone())),
            Column::new(NUMERATOR.into(), n(|r| r.numerateur)),
            Column::new(DENOMINATOR.into(), n(|r| r.denominateur)),
            Column::new(VALUE.into(), n(|r| r.valeur)),
            Column::new(UNIT.into(), s(|r| Some(r.unite.clone()))),
        ];
        Ok(DataFrame::new(rows.len(), cols)?)
    }
}

/// Every indicator this version computes.
pub fn catalogue() -> Vec<IndicatorDef> {
    activity::DEFINITIONS
        .iter()
        .chain(cross_sector::DEFINITIONS.iter())
        .copied()
        .collect()
}

pub fn definition(id: &str) -> Option<IndicatorDef> {
    catalogue().into_iter().find(|d| d.id == id)
}

/// Ratio that is `None` rather than 0 or infinity when the denominator is zero or absent.
pub fn ratio(num: Option<f64>, den: Option<f64>) -> Option<f64> {
    match (num, den) {
        (Some(n), Some(d)) if d > 0.0 && n.is_finite() && d.is_finite() => Some(n / d),
        _ => None,
    }
}
