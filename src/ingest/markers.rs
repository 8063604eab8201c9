//! Rows under a header that are not data: a repeated header (the top of a second block)
//! and a total or sub-total row. Both tests run on every row of every sheet, so they are
//! prepared once per sheet ([`RowMarkers::new`]) and reject a data row on the first
//! character of its text before normalising anything (docs/architecture.md §2, "Reading
//! at national size").

use super::grid::{Cell, Grid};
use super::header::{self, Header, normalized_lead};
use super::sheet::Role;
use super::wide::WideCol;

/// Default markers of a total row (normalised).
const TOTALS: [&str; 3] = ["total", "sous total", "total general"];

/// First words of a note under a table (normalised): `Source : …`, `Lecture : …`.
const NOTE_WORDS: [&str; 9] = [
    "source",
    "sources",
    "note",
    "notes",
    "nb",
    "lecture",
    "champ",
    "remarque",
    "remarques",
];

/// First characters of a footnote (`* …`, `(1) …`, `¹ …`).
const NOTE_SIGNS: [char; 6] = ['*', '(', '†', '¹', '²', '³'];

/// A note under (or inside) a table: a row whose only filled cell is a text that starts
/// like a note (`Source :`, `Lecture :`, `Champ :`, `Note :`, `NB`, `* …`, `(1) …`).
pub(super) fn is_note_row(grid: &Grid, row: usize) -> bool {
    let Some(cells) = grid.rows.get(row) else {
        return false;
    };
    let mut filled = cells.iter().filter(|c| !c.is_empty());
    let (Some(only), None) = (filled.next(), filled.next()) else {
        return false;
    };
    let Some(text) = only.text() else {
        return false;
    };
    let text = text.trim_start();
    if text.starts_with(NOTE_SIGNS) {
        return true;
    }
    let norm = header::normalize(text);
    let first = norm.split(' ').next().unwrap_or_default();
    NOTE_WORDS.contains(&first) && norm.contains(' ')
}

/// What a sheet's rows are compared with, prepared once.
pub(super) struct RowMarkers {
    /// Columns in play with the normalised texts of their header cells.
    columns: Vec<(usize, Vec<String>)>,
    /// First characters of those texts, for each entry of `columns` (a cell starting
    /// otherwise differs).
    leads: Vec<Vec<char>>,
    /// Normalised total markers (defaults and `lignes_total`), and their first characters.
    totals: Vec<String>,
    total_leads: Vec<char>,
}

impl RowMarkers {
    pub(super) fn new(
        header: &Header,
        cols: &[(usize, String, Role)],
        wide: &[WideCol],
        user_totals: Option<&[String]>,
    ) -> RowMarkers {
        let in_play = cols.iter().map(|c| c.0).chain(wide.iter().map(|w| w.index));
        let columns: Vec<(usize, Vec<String>)> = in_play
            .map(|c| {
                let texts = header
                    .columns
                    .iter()
                    .find(|hc| hc.index == c)
                    .map(|hc| {
                        [&hc.upper, &hc.lower]
                            .into_iter()
                            .flatten()
                            .map(|h| header::normalize(h))
                            .collect()
                    })
                    .unwrap_or_default();
                (c, texts)
            })
            .collect();
        let leads = columns
            .iter()
            .map(|(_, texts)| texts.iter().filter_map(|t| t.chars().next()).collect())
            .collect();
        let totals: Vec<String> = TOTALS
            .iter()
            .map(|s| s.to_string())
            .chain(
                user_totals
                    .unwrap_or_default()
                    .iter()
                    .map(|s| header::normalize(s)),
            )
            .filter(|m| !m.is_empty())
            .collect();
        let total_leads = totals.iter().filter_map(|t| t.chars().next()).collect();
        RowMarkers {
            columns,
            leads,
            totals,
            total_leads,
        }
    }

    /// A row that repeats the header: at least two of the columns in play hold their own
    /// header text, and they are most of the filled ones.
    pub(super) fn is_repeated_header(&self, grid: &Grid, r: usize) -> bool {
        let (mut filled, mut same) = (0usize, 0usize);
        for ((c, texts), leads) in self.columns.iter().zip(&self.leads) {
            let cell = grid.get(r, *c);
            // A finite number or a date is written with a digit first: against a column
            // whose header texts start otherwise it is filled and not the same, known
            // without formatting it (most cells of a sheet are numbers and dates).
            if (matches!(cell, Cell::Date(_)) || matches!(cell, Cell::Number(n) if n.is_finite()))
                && !leads.iter().any(char::is_ascii_digit)
            {
                filled += 1;
                continue;
            }
            let Some(t) = cell.text().filter(|t| !t.trim().is_empty()) else {
                continue;
            };
            filled += 1;
            let lead = normalized_lead(&t);
            let could = lead.is_some_and(|l| leads.contains(&l));
            if could && texts.contains(&header::normalize(&t)) {
                same += 1;
            }
        }
        same >= 2 && same * 2 > filled
    }

    /// A total or sub-total row: its first non-empty cell is `Total`, `Sous-total`,
    /// `Total général` or a `lignes_total` marker, alone or followed by other words.
    pub(super) fn is_total_row(&self, grid: &Grid, row: usize) -> bool {
        let first = grid
            .rows
            .get(row)
            .and_then(|r| r.iter().find(|c| !c.is_empty()))
            .and_then(|c| c.text());
        let Some(first) = first else { return false };
        if !normalized_lead(&first).is_some_and(|l| self.total_leads.contains(&l)) {
            return false;
        }
        let norm = header::normalize(&first);
        self.totals.iter().any(|m| {
            norm == *m || (norm.starts_with(m.as_str()) && norm[m.len()..].starts_with(' '))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::grid::Cell;
    use super::*;

    fn row(cells: &[&str]) -> Grid {
        Grid {
            rows: vec![
                cells
                    .iter()
                    .map(|c| {
                        if c.is_empty() {
                            Cell::Empty
                        } else {
                            Cell::Text(c.to_string())
                        }
                    })
                    .collect(),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn notes_are_lone_texts_that_start_like_notes() {
        for note in [
            "Source : DREES, enquête Aide sociale",
            "Lecture : une ligne par mesure.",
            "  Champ : France entière",
            "NB : données provisoires",
            "* mesures en cours",
            "(1) hors placements directs",
        ] {
            assert!(is_note_row(&row(&["", note]), 0), "{note}");
        }
        // A data row, a lone name, a lone word, a note beside other cells: not notes.
        assert!(!is_note_row(&row(&["Source : x", "12"]), 0));
        assert!(!is_note_row(&row(&["Dupont"]), 0));
        assert!(!is_note_row(&row(&["Source"]), 0));
        assert!(!is_note_row(&row(&["Sourcier Jean"]), 0));
        assert!(!is_note_row(&row(&[]), 0));
    }
}
