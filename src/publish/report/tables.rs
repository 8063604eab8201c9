//! Compact tables of a declared report: one line per figure (or breakdown value), years
//! as columns, then the change from the previous year and the peer quartiles of the
//! last year; definitions as numbered footnotes collected in an appendix.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::format::{NBSP, number_fr, percent_fr};
use crate::indicators::{CellStatus, IndicatorDef, IndicatorRow, catalogue};

use super::labels;

/// One cell of a table.
#[derive(Serialize, Clone)]
pub struct Cell {
    pub valeur: String,
    /// Status code (`A`, `D`) when withheld; its legend goes in the `title`.
    pub secret: Option<&'static str>,
    pub legende: String,
}

impl Cell {
    pub fn text(v: impl Into<String>) -> Cell {
        Cell {
            valeur: v.into(),
            secret: None,
            legende: String::new(),
        }
    }
}

/// One line of a table.
#[derive(Serialize)]
pub struct Line {
    pub libelle: String,
    /// Footnote number (definition in the appendix).
    pub note: Option<usize>,
    pub cellules: Vec<Cell>,
    pub evolution: Cell,
    pub pairs: Cell,
}

/// One table: caption, lines, whether the change and peer columns are shown.
#[derive(Serialize)]
pub struct Table {
    pub titre: String,
    pub note: Option<usize>,
    /// Header of the first column.
    pub entete: String,
    pub lignes: Vec<Line>,
    pub comparaison: bool,
    /// The peer quartiles column (set once the lines are known).
    pub pairs: bool,
}

/// A numbered note of the appendix: an indicator's definition, or how a derived figure
/// is computed from published values.
#[derive(Serialize, Clone)]
pub struct Note {
    pub numero: usize,
    pub ancre: String,
    pub titre: String,
    pub texte: String,
    pub details: Vec<(String, String)>,
    /// Identifier in the indicator registry, when the note defines an indicator.
    pub code: Option<String>,
}

/// The report's footnotes, numbered in order of first use.
#[derive(Default)]
pub struct Notes {
    pub list: Vec<Note>,
    by_key: BTreeMap<String, usize>,
}

impl Notes {
    /// Number of an indicator's definition.
    pub fn indicator(&mut self, id: &str) -> Option<usize> {
        let def: IndicatorDef = crate::indicators::definition(id)?;
        Some(self.add(
            id,
            def.libelle,
            def.definition,
            vec![
                ("Numérateur".into(), def.numerateur.into()),
                ("Dénominateur".into(), def.denominateur.into()),
                ("Sources".into(), format!("tables {}", def.tables_sources)),
                ("Origine".into(), def.origine.into()),
            ],
        ))
    }

    /// Number of a free note (`key` makes it unique).
    pub fn add(
        &mut self,
        key: &str,
        title: &str,
        text: &str,
        details: Vec<(String, String)>,
    ) -> usize {
        if let Some(&n) = self.by_key.get(key) {
            return n;
        }
        let n = self.list.len() + 1;
        self.list.push(Note {
            numero: n,
            ancre: format!("note-{n}"),
            titre: title.into(),
            texte: text.into(),
            details,
            code: catalogue()
                .into_iter()
                .any(|d| d.id == key)
                .then(|| key.to_string()),
        });
        self.by_key.insert(key.into(), n);
        n
    }
}

/// A figure's value in French, compact (rates with one decimal).
pub fn format_value(v: f64, unit: &str) -> String {
    match unit {
        "%" => percent_fr(v, 1),
        "‰" => format!("{}{NBSP}‰", number_fr(v * 1000.0, 1)),
        "jours" => format!("{}{NBSP}j", number_fr(v, 0)),
        "ETP" | "sur 4" | "mesures par ETP" => number_fr(v, 1),
        _ => number_fr(v, 0),
    }
}

/// A change in French, signed: points for a rate, the unit's number otherwise.
pub fn format_change(v: f64, unit: &str) -> String {
    let sign = if v > 0.0 { "+" } else { "" };
    match unit {
        "%" => format!("{sign}{}{NBSP}pt", number_fr(v * 100.0, 1)),
        "‰" => format!("{sign}{}{NBSP}‰", number_fr(v * 1000.0, 1)),
        _ => format!("{sign}{}", format_value(v, unit)),
    }
}

/// The cell of one figure: its value, `s` with its status when withheld, `n.c.` when
/// it cannot be computed, `—` when there is no figure that year.
pub fn cell(r: Option<&IndicatorRow>, with_count: bool) -> Cell {
    let Some(r) = r else {
        return Cell::text("—");
    };
    if r.statut != CellStatus::Published {
        return Cell {
            valeur: "s".into(),
            secret: Some(r.statut.code()),
            legende: r.statut.legend().into(),
        };
    }
    match r.valeur {
        Some(v) => {
            let mut s = format_value(v, &r.unite);
            if with_count && let Some(n) = r.numerateur {
                s = format!("{} ({s})", number_fr(n, 0));
            }
            Cell::text(s)
        }
        None => Cell {
            valeur: "n.c.".into(),
            secret: None,
            legende: "non calculable (dénominateur nul ou absent)".into(),
        },
    }
}

/// The change column: the last year's change from the previous year.
pub fn change(last: Option<&IndicatorRow>) -> Cell {
    match last {
        Some(r) if r.statut == CellStatus::Published => match r.evolution_annuelle {
            Some(v) => Cell::text(format_change(v, &r.unite)),
            None => Cell::text("—"),
        },
        _ => Cell::text("—"),
    }
}

/// The peers column: first quartile, median, third quartile of the services of the
/// same type, the last year.
pub fn peers(last: Option<&IndicatorRow>) -> Cell {
    let Some(r) = last else {
        return Cell::text("—");
    };
    match (r.pairs_nombre, r.pairs_q1, r.pairs_mediane, r.pairs_q3) {
        (Some(n), Some(q1), Some(m), Some(q3)) if n >= 2.0 => Cell::text(format!(
            "{} · {} · {}",
            format_value(q1, &r.unite),
            format_value(m, &r.unite),
            format_value(q3, &r.unite)
        )),
        _ => Cell::text("—"),
    }
}

/// Rows of one indicator in a chapter: breakdown value → year → row.
pub type ByValue<'a> =
    BTreeMap<(u8, u64, String), (Option<&'a str>, BTreeMap<i32, &'a IndicatorRow>)>;

/// Groups an indicator's rows by breakdown value (in label order: age bands in age
/// order), then by year.
pub fn by_value<'a>(rows: &[&'a IndicatorRow]) -> ByValue<'a> {
    let mut out: ByValue = BTreeMap::new();
    for &r in rows {
        let v = r.modalite.as_deref();
        let key = v.map_or((0, 0, String::new()), labels::order_key);
        let e = out.entry(key).or_insert((v, BTreeMap::new()));
        e.1.entry(r.periode).or_insert(r);
    }
    out
}

/// A line of an indicator (one breakdown value, or the total), years as columns.
pub fn line(
    label: String,
    note: Option<usize>,
    years: &[i32],
    per_year: &BTreeMap<i32, &IndicatorRow>,
    with_count: bool,
) -> Line {
    let last = years.last().and_then(|y| per_year.get(y)).copied();
    Line {
        libelle: label,
        note,
        cellules: years
            .iter()
            .map(|y| cell(per_year.get(y).copied(), with_count))
            .collect(),
        evolution: change(last),
        pairs: peers(last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_changes_in_french() {
        assert_eq!(format_value(1.0912, "%"), "109,1\u{a0}%");
        assert_eq!(format_change(0.023, "%"), "+2,3\u{a0}pt");
        assert_eq!(format_change(-3.0, "personnes"), "-3");
        let withheld = IndicatorRow {
            statut: CellStatus::Primary,
            valeur: Some(4.0),
            ..Default::default()
        };
        assert_eq!(cell(Some(&withheld), false).valeur, "s");
        assert_eq!(cell(None, false).valeur, "—");
        let mut notes = Notes::default();
        let a = notes.indicator("file_active");
        let b = notes.indicator("entrees");
        assert_eq!(
            (a, b, notes.indicator("file_active")),
            (Some(1), Some(2), Some(1))
        );
        assert_eq!(notes.indicator("inconnu"), None);
    }
}
