//! Stage 3 — indicators. Computes every figure from the canonical tables (after
//! pseudonymisation) into one long-format table: one row per indicator, period,
//! territory, organisation and service, with numerator, denominator, value and unit.
//! Owns the indicator definitions (id, label, definition, formula, unit, sources,
//! origin), shown next to every figure in reports.

mod catalogue;
pub use catalogue::{registry_dataframe, registry_markdown};
mod results;
pub use results::Results;
pub mod activity;
pub mod context;
pub mod cross_sector;
pub mod derive;
pub mod frame;
pub mod hr;
pub mod persons;
pub mod quality;
pub mod satisfaction;
pub mod training;

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
    /// What statistical confidentiality counts in its numerator and denominator.
    pub secret: Secret,
}

/// What the frequency rule of statistical confidentiality counts in an indicator's
/// numerator and denominator, and which published cell each one is: two indicators
/// naming the same quantity share cells (the denominator of the age distribution *is*
/// the file active), so disclosure control protects them together.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Secret {
    pub numerateur: Measure,
    pub denominateur: Measure,
}

impl Secret {
    /// Not about persons (capacity, actions of a plan) or from a public source.
    pub const FREE: Secret = Secret {
        numerateur: Measure::FREE,
        denominateur: Measure::FREE,
    };

    pub const fn count(numerator: Measure) -> Secret {
        Secret {
            numerateur: numerator,
            denominateur: Measure::FREE,
        }
    }

    pub const fn rate(numerator: Measure, denominator: Measure) -> Secret {
        Secret {
            numerateur: numerator,
            denominateur: denominator,
        }
    }

    /// French description for the catalogue.
    pub fn describe(&self) -> String {
        let side = |m: &Measure| -> Option<String> {
            let scope = if m.breakdown {
                ""
            } else {
                " (total, hors ventilation)"
            };
            let year = if m.year_offset == -1 {
                ", de l'année précédente"
            } else {
                ""
            };
            match m.kind {
                MeasureKind::Free => None,
                MeasureKind::Persons => Some(format!(
                    "compte des personnes, soumis au seuil (grandeur « {} »{scope}{year})",
                    m.quantity
                )),
                MeasureKind::Amount => Some(format!(
                    "montant soumis au seuil par le nombre de personnes qui y contribuent (grandeur « {} »{scope}{year})",
                    m.quantity
                )),
            }
        };
        match (side(&self.numerateur), side(&self.denominateur)) {
            (None, None) => {
                "aucun (ne porte pas sur des personnes, ou source déjà publique)".into()
            }
            (Some(n), None) => format!("numérateur : {n}"),
            (None, Some(d)) => format!("dénominateur : {d}"),
            (Some(n), Some(d)) => format!("numérateur : {n} ; dénominateur : {d}"),
        }
    }
}

/// Whom a figure counts, for the frequency rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MeasureKind {
    /// Not subject to the rule.
    Free,
    /// A count of persons (or of their accompaniments, questionnaires): the rule
    /// applies to the count itself.
    Persons,
    /// An amount summed over persons (days, ETP): the rule applies to the number of
    /// persons behind it (`effectif_*` of the row, or the row's denominator).
    Amount,
}

/// One side (numerator or denominator) of an indicator, as a published quantity.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Measure {
    pub kind: MeasureKind,
    /// Name of the quantity (cells of the same quantity, perimeter, year and breakdown
    /// are one cell).
    pub quantity: &'static str,
    /// The figure is `scale ×` the quantity (absenteeism: ETP × 365).
    pub scale: f64,
    /// The quantity's year relative to the row's (turnover: headcount of the year before).
    pub year_offset: i32,
    /// The quantity is broken down like the row (`false` for the total of a distribution).
    pub breakdown: bool,
    /// For an amount: its persons are the row's denominator (mean duration, mean score)
    /// rather than the row's `effectif_*`.
    pub persons_in_denominator: bool,
}

impl Measure {
    pub const FREE: Measure = Measure {
        kind: MeasureKind::Free,
        quantity: "",
        scale: 1.0,
        year_offset: 0,
        breakdown: true,
        persons_in_denominator: false,
    };

    pub const fn persons(quantity: &'static str) -> Measure {
        Measure {
            kind: MeasureKind::Persons,
            quantity,
            ..Measure::FREE
        }
    }

    pub const fn amount(quantity: &'static str) -> Measure {
        Measure {
            kind: MeasureKind::Amount,
            quantity,
            ..Measure::FREE
        }
    }

    /// The total over the row's breakdown (denominator of a distribution).
    pub const fn total(self) -> Measure {
        Measure {
            breakdown: false,
            ..self
        }
    }

    pub const fn scaled(self, scale: f64) -> Measure {
        Measure { scale, ..self }
    }

    pub const fn previous_year(self) -> Measure {
        Measure {
            year_offset: -1,
            ..self
        }
    }

    pub const fn per_denominator_person(self) -> Measure {
        Measure {
            persons_in_denominator: true,
            ..self
        }
    }
}

/// Quantities that are the same count for the whole network (no territory): children
/// followed in child protection and by a DITEP, counted from either side.
pub const SAME_FOR_WHOLE_NETWORK: [(&str, &str); 1] = [(
    cross_sector::BOTH_FROM_PE_SIDE,
    cross_sector::BOTH_FROM_DITEP_SIDE,
)];

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
    pub const CHANGE_YEAR: &str = "evolution_annuelle";
    pub const CHANGE_BASE: &str = "evolution_depuis_base";
    pub const PEERS_N: &str = "pairs_nombre";
    pub const PEERS_Q1: &str = "pairs_q1";
    pub const PEERS_MEDIAN: &str = "pairs_mediane";
    pub const PEERS_Q3: &str = "pairs_q3";
    /// Disclosure status: `V` published, `A` primary, `D` secondary suppression.
    pub const STATUS: &str = "statut";
}

/// One computed figure.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
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
    /// Change from the previous year (value − previous value; for a rate, in ratio
    /// units: 0,05 = 5 points).
    pub evolution_annuelle: Option<f64>,
    /// Change from the first year of the period.
    pub evolution_depuis_base: Option<f64>,
    /// Peer comparison (services of the same type, same indicator and year): number of
    /// services, first quartile, median, third quartile.
    pub pairs_nombre: Option<f64>,
    pub pairs_q1: Option<f64>,
    pub pairs_mediane: Option<f64>,
    pub pairs_q3: Option<f64>,
    /// Persons behind an amount in the numerator / denominator (staff whose ETP or
    /// days are summed), for the frequency rule; never published.
    #[serde(skip)]
    pub effectif_numerateur: Option<f64>,
    #[serde(skip)]
    pub effectif_denominateur: Option<f64>,
    /// Disclosure status of the figure (set by disclosure control).
    pub statut: CellStatus,
}

/// Status of a published figure, as the European norm codes it (INSEE, Eurostat).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub enum CellStatus {
    /// `V`: published.
    #[default]
    Published,
    /// `D`: suppressed so that no primary cell can be recomputed (secondary).
    Secondary,
    /// `A`: fewer persons than the threshold (primary).
    Primary,
}

impl CellStatus {
    pub fn code(self) -> &'static str {
        match self {
            CellStatus::Published => "V",
            CellStatus::Primary => "A",
            CellStatus::Secondary => "D",
        }
    }

    /// French legend.
    pub fn legend(self) -> &'static str {
        match self {
            CellStatus::Published => "diffusable",
            CellStatus::Primary => "secret primaire : moins de personnes que le seuil",
            CellStatus::Secondary => {
                "secret secondaire : masqué pour qu'aucune case en secret primaire ne puisse être recalculée"
            }
        }
    }
}

/// What the services table says of each service (its latest year).
#[derive(Debug, Clone, Default)]
pub struct ServiceInfo {
    pub name: Option<String>,
    pub organisation: Option<String>,
    pub department: Option<String>,
    pub service_type: Option<String>,
    /// Internal territory (arrondissement, sector) the service reports on.
    pub territory: Option<String>,
}

/// Services by code.
#[derive(Debug, Clone, Default)]
pub struct Directory(std::collections::BTreeMap<String, ServiceInfo>);

impl Directory {
    /// Each service's latest row (a later year wins; within one year, the later row; a
    /// row without a year counts as the earliest).
    pub fn from_services(services: &DataFrame) -> Result<Directory, Error> {
        use crate::tables::columns as c;
        use frame::{fields, k, text};
        let last = |name: &str| {
            text(name)
                .sort_by([col(k::YEAR), col(k::ROW)], SortMultipleOptions::default())
                .last()
                .alias(name)
        };
        let df = frame::canonical(services, crate::tables::Table::Services)
            .with_row_index(k::ROW, None)
            .filter(col(c::SERVICE).is_not_null())
            .with_column(frame::int(c::YEAR).fill_null(lit(i32::MIN)).alias(k::YEAR))
            .group_by([text(c::SERVICE)])
            .agg([
                last(c::SERVICE_NAME),
                last(c::ORGANISATION),
                last(c::DEPARTMENT),
                last(c::SERVICE_TYPE),
                last(fields::TERRITORY),
            ])
            .collect()?;
        let s = |name: &str| -> Result<Vec<Option<String>>, Error> {
            Ok(df
                .column(name)?
                .str()?
                .iter()
                .map(|v| v.map(str::to_string))
                .collect())
        };
        let (id, name, org, dep, typ, territory) = (
            s(c::SERVICE)?,
            s(c::SERVICE_NAME)?,
            s(c::ORGANISATION)?,
            s(c::DEPARTMENT)?,
            s(c::SERVICE_TYPE)?,
            s(fields::TERRITORY)?,
        );
        // One iteration per service (the directory is a map for the other stages).
        let mut map = std::collections::BTreeMap::new();
        for i in 0..df.height() {
            if let Some(code) = &id[i] {
                map.insert(
                    code.clone(),
                    ServiceInfo {
                        name: name[i].clone(),
                        organisation: org[i].clone(),
                        department: dep[i].clone(),
                        service_type: typ[i].clone(),
                        territory: territory[i].clone(),
                    },
                );
            }
        }
        Ok(Directory(map))
    }

    pub fn get(&self, service: &str) -> Option<&ServiceInfo> {
        self.0.get(service)
    }

    /// Service codes, in order.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// What indicators are computed from: the canonical tables after pseudonymisation and
/// linkage (`persons` holds the linked accompaniments, or no rows).
pub struct Inputs<'a> {
    pub services: &'a DataFrame,
    pub persons: &'a DataFrame,
    pub activity: &'a DataFrame,
    pub reference: &'a DataFrame,
    /// Staff and training with pseudonymised staff ids.
    pub staff: &'a DataFrame,
    pub training: &'a DataFrame,
    pub satisfaction: &'a DataFrame,
    pub action_plan: &'a DataFrame,
    pub years: std::ops::RangeInclusive<i32>,
    /// Lower bounds of age bands.
    pub age_bands: &'a [u32],
}

pub use crate::settings::{ChildTerritory, IndicatorSettings as Settings};

/// How figures of finer perimeters add up to coarser ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// The family computes every perimeter itself (distinct persons…).
    ByFamily,
    /// Numerators and denominators of services add up (rates of capacity use).
    SumServices,
}

/// A family of indicators computed in one pass over the same tables: its definitions,
/// its computation, and how it pools. Adding an indicator means adding its definition
/// and its rows to a family (or a new family here), plus its golden test.
pub struct Family {
    pub definitions: &'static [IndicatorDef],
    pub compute: fn(&Inputs, &Settings) -> Result<Results, Error>,
    pub pooling: Pooling,
}

/// The registry: every indicator family, in report order.
pub fn registry() -> Vec<Family> {
    vec![
        Family {
            definitions: &activity::DEFINITIONS,
            compute: activity::compute_family,
            pooling: Pooling::SumServices,
        },
        Family {
            definitions: &persons::DEFINITIONS,
            compute: persons::compute,
            pooling: Pooling::ByFamily,
        },
        Family {
            definitions: &cross_sector::DEFINITIONS,
            compute: cross_sector::compute_family,
            pooling: Pooling::ByFamily,
        },
        Family {
            definitions: &hr::DEFINITIONS,
            compute: hr::compute,
            pooling: Pooling::ByFamily,
        },
        Family {
            definitions: &training::DEFINITIONS,
            compute: training::compute,
            pooling: Pooling::ByFamily,
        },
        Family {
            definitions: &satisfaction::DEFINITIONS,
            compute: satisfaction::compute,
            pooling: Pooling::ByFamily,
        },
        Family {
            definitions: &quality::DEFINITIONS,
            compute: quality::compute,
            pooling: Pooling::ByFamily,
        },
        Family {
            definitions: &context::DEFINITIONS,
            compute: context::compute,
            pooling: Pooling::ByFamily,
        },
    ]
}

/// Every indicator of the registry, gathered once: [`definition`] is called for every
/// row of a national run (half a million), where collecting the registry each time
/// took a second and a half.
static CATALOGUE: std::sync::LazyLock<Vec<IndicatorDef>> = std::sync::LazyLock::new(|| {
    registry()
        .iter()
        .flat_map(|f| f.definitions.iter().copied())
        .collect()
});

/// Every indicator of the registry.
pub fn catalogue() -> Vec<IndicatorDef> {
    CATALOGUE.clone()
}

/// Computes every family with the default settings.
pub fn compute_all(inputs: &Inputs) -> Result<Results, Error> {
    compute_all_with(inputs, &Settings::default())
}

/// Computes every family, pools, then adds evolutions and peer comparisons; rows come
/// in the order of the long-format table ([`frame::sort`]).
pub fn compute_all_with(inputs: &Inputs, settings: &Settings) -> Result<Results, Error> {
    let mut out = compute_before_disclosure(inputs, settings)?;
    derive::refresh(&mut out.rows, inputs.services, *inputs.years.start())?;
    Ok(out)
}

/// [`compute_all_with`] without evolutions and peer comparisons: what a run gives
/// disclosure control, which neither reads nor keeps them (they are computed from what
/// it leaves published, [`derive::refresh`]; computing them before too cost a second at
/// national scale).
pub fn compute_before_disclosure(inputs: &Inputs, settings: &Settings) -> Result<Results, Error> {
    let numbered = frame::person_numbers(inputs.persons)?;
    let inputs = &Inputs {
        services: inputs.services,
        persons: &numbered,
        activity: inputs.activity,
        reference: inputs.reference,
        staff: inputs.staff,
        training: inputs.training,
        satisfaction: inputs.satisfaction,
        action_plan: inputs.action_plan,
        years: inputs.years.clone(),
        age_bands: inputs.age_bands,
    };
    let mut out = Results::default();
    // One iteration per family of the registry.
    for family in registry() {
        let mut r = (family.compute)(inputs, settings)?;
        if family.pooling == Pooling::SumServices {
            let pooled =
                derive::pool_services(&r.rows, &Directory::from_services(inputs.services)?)?;
            r.rows.extend(pooled);
        }
        out.rows.extend(r.rows);
        out.notes.extend(r.notes);
        // A family's plans free their frames on Polars' threads: given back before the
        // next family, they do not add up with its own (docs/architecture.md,
        // « Benchmarks »).
        crate::memory::release_freed();
    }
    frame::sort(&mut out.rows);
    Ok(out)
}

/// The definition of an indicator, by its identifier.
pub fn definition(id: &str) -> Option<IndicatorDef> {
    CATALOGUE.iter().find(|d| d.id == id).copied()
}

/// Ratio that is `None` rather than 0 or infinity when the denominator is zero or absent.
pub fn ratio(num: Option<f64>, den: Option<f64>) -> Option<f64> {
    match (num, den) {
        (Some(n), Some(d)) if d > 0.0 && n.is_finite() && d.is_finite() => Some(n / d),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
