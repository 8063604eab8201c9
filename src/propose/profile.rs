//! What the values of one column look like: how many cells read as dates, numbers,
//! yes/no, months, département codes, and the distinct texts with their counts (kept
//! only for columns that may be coded; never shown for identifying fields).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::ingest::grid::{Cell, Grid};
use crate::ingest::is_department_code;
use crate::ingest::values::{self, Kind, Parsed, Value};

/// Cells looked at per column: enough to tell a column's kind, bounded for huge sheets.
pub const SAMPLE_ROWS: usize = 2_000;
/// Distinct texts kept per column (a coded column has a few; more means free text).
const DISTINCT: usize = 60;

/// The profile of one column's data cells.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Non-empty cells looked at.
    pub filled: usize,
    /// Empty cells among the rows looked at.
    pub empty: usize,
    pub dates: usize,
    pub numbers: usize,
    pub bools: usize,
    pub months: usize,
    pub departements: usize,
    /// Nine-digit codes (FINESS numbers).
    pub finess: usize,
    /// Years of the dates read (for the period and for telling birth dates apart).
    pub years: Vec<i32>,
    /// Distinct texts (cleaned) and their counts; `None` once there are too many.
    pub distinct: Option<BTreeMap<String, usize>>,
    /// First cell (0-based row) of each distinct text, for pointing at rare values.
    pub first_row: BTreeMap<String, usize>,
}

impl Profile {
    /// Share of the filled cells that satisfy a count (0 when nothing is filled).
    pub fn share(&self, count: usize) -> f64 {
        if self.filled == 0 {
            0.0
        } else {
            count as f64 / self.filled as f64
        }
    }

    /// Median year of the dates read.
    pub fn median_year(&self) -> Option<i32> {
        let mut y = self.years.clone();
        y.sort_unstable();
        y.get(y.len() / 2).copied()
    }

    /// Whether the column mostly holds dates.
    pub fn is_dates(&self) -> bool {
        self.filled > 0 && self.share(self.dates) >= 0.6
    }
}

/// Profiles column `col` of `grid` over rows `from..` (at most [`SAMPLE_ROWS`]).
pub fn profile(grid: &Grid, col: usize, from: usize, is_1904: bool) -> Profile {
    let mut p = Profile {
        distinct: Some(BTreeMap::new()),
        ..Profile::default()
    };
    let to = grid.height().min(from.saturating_add(SAMPLE_ROWS));
    for row in from..to {
        let cell = grid.get(row, col);
        if cell.is_empty() {
            p.empty += 1;
            continue;
        }
        p.filled += 1;
        look_at(&mut p, cell, row, is_1904);
    }
    p
}

fn look_at(p: &mut Profile, cell: &Cell, row: usize, is_1904: bool) {
    if let Parsed::Value(Value::Date(d)) = values::parse(cell, Kind::Date, is_1904)
        && plausible(d)
    {
        p.dates += 1;
        p.years.push(d.year());
    }
    if matches!(values::parse(cell, Kind::Number, is_1904), Parsed::Value(_)) {
        p.numbers += 1;
    }
    if matches!(values::parse(cell, Kind::Bool, is_1904), Parsed::Value(_)) {
        p.bools += 1;
    }
    if matches!(
        values::parse(cell, Kind::Month, is_1904),
        Parsed::Value(Value::Month { year: None, .. })
    ) {
        p.months += 1;
    }
    let Some(text) = cell.text() else {
        return;
    };
    let text = values::clean_text(&text);
    if is_department_code(&text) {
        p.departements += 1;
    }
    if text.len() == 9 && text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        p.finess += usize::from(text.bytes().filter(u8::is_ascii_digit).count() >= 8);
    }
    if let Some(d) = p.distinct.as_mut() {
        *d.entry(text.clone()).or_insert(0) += 1;
        p.first_row.entry(text).or_insert(row);
        if d.len() > DISTINCT {
            p.distinct = None;
            p.first_row.clear();
        }
    }
}

/// A date the sheets of this field can hold (1900–2100): a small number in a numeric
/// column is not a date of 1900.
fn plausible(d: NaiveDate) -> bool {
    (1901..=2100).contains(&d.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: Vec<Vec<Cell>>) -> Grid {
        Grid {
            rows,
            text_layout: None,
        }
    }

    #[test]
    fn kinds_and_distinct_values() {
        let t = |s: &str| Cell::Text(s.into());
        let g = grid(vec![
            vec![t("Admission"), t("Sexe"), t("Dép")],
            vec![t("01/02/2021"), t("F"), t("15")],
            vec![t("03/04/2022"), t("G"), t("2A")],
            vec![Cell::Empty, t("G"), t("63")],
        ]);
        let a = profile(&g, 0, 1, false);
        assert_eq!((a.filled, a.empty, a.dates), (2, 1, 2));
        assert!(a.is_dates());
        assert_eq!(a.median_year(), Some(2022));
        let s = profile(&g, 1, 1, false);
        assert_eq!(s.distinct.as_ref().and_then(|d| d.get("G")), Some(&2));
        assert_eq!(s.first_row.get("F"), Some(&1));
        let d = profile(&g, 2, 1, false);
        assert_eq!(d.departements, 3);
    }
}
