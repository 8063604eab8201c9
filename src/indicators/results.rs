//! What the indicators stage gives: its rows and notes ([`Results`]), and the long-format
//! table they make.

use polars::prelude::*;

use super::{IndicatorRow, columns, frame};
use crate::error::Error;

/// The indicators and the notes explaining figures that could not be computed.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub rows: Vec<IndicatorRow>,
    /// French notes: why a figure is missing for a service and year.
    pub notes: Vec<String>,
}

impl Results {
    /// The long-format table as a DataFrame, sorted by indicator, service and period.
    /// Its columns are made at once on every core (one column a task: half a second on
    /// one core for the 560 000 figures of a national network).
    pub fn to_dataframe(&self) -> Result<DataFrame, Error> {
        use columns::*;
        use rayon::prelude::*;
        // Borrowed rows and texts: Polars copies each text once, into its own buffers.
        let rows = frame::sorted(&self.rows);
        let specs: [(&str, Field); 20] = [
            (INDICATOR, Field::Text(|r| Some(r.indicateur.as_str()))),
            (PERIOD, Field::Year),
            (LEVEL, Field::Text(|r| Some(r.niveau_territoire.as_str()))),
            (TERRITORY, Field::Text(|r| r.code_territoire.as_deref())),
            (ORGANISATION, Field::Text(|r| r.organisation.as_deref())),
            (SERVICE, Field::Text(|r| r.service.as_deref())),
            (SERVICE_NAME, Field::Text(|r| r.nom_service.as_deref())),
            (BREAKDOWN, Field::Text(|r| r.ventilation.as_deref())),
            (BREAKDOWN_VALUE, Field::Text(|r| r.modalite.as_deref())),
            (NUMERATOR, Field::Number(|r| r.numerateur)),
            (DENOMINATOR, Field::Number(|r| r.denominateur)),
            (VALUE, Field::Number(|r| r.valeur)),
            (UNIT, Field::Text(|r| Some(r.unite.as_str()))),
            (STATUS, Field::Text(|r| Some(r.statut.code()))),
            (CHANGE_YEAR, Field::Number(|r| r.evolution_annuelle)),
            (CHANGE_BASE, Field::Number(|r| r.evolution_depuis_base)),
            (PEERS_N, Field::Number(|r| r.pairs_nombre)),
            (PEERS_Q1, Field::Number(|r| r.pairs_q1)),
            (PEERS_MEDIAN, Field::Number(|r| r.pairs_mediane)),
            (PEERS_Q3, Field::Number(|r| r.pairs_q3)),
        ];
        let cols: Vec<Column> = specs
            .par_iter()
            .with_max_len(1)
            .map(|(name, field)| {
                let name = (*name).into();
                match field {
                    Field::Text(f) => Column::new(
                        name,
                        rows.iter().map(|r| f(r)).collect::<Vec<Option<&str>>>(),
                    ),
                    Field::Number(f) => Column::new(
                        name,
                        rows.iter().map(|r| f(r)).collect::<Vec<Option<f64>>>(),
                    ),
                    Field::Year => {
                        Column::new(name, rows.iter().map(|r| r.periode).collect::<Vec<i32>>())
                    }
                }
            })
            .collect();
        Ok(DataFrame::new(rows.len(), cols)?)
    }
}

/// How [`Results::to_dataframe`] reads one column from a row.
enum Field {
    Text(fn(&IndicatorRow) -> Option<&str>),
    Number(fn(&IndicatorRow) -> Option<f64>),
    Year,
}
