//! The cell grid: one in-memory sheet, whatever file it came from (xlsx, xls, ods, csv).
//! Owns cell addressing (`C14`) and the file-independent cell model; knows nothing of
//! canonical tables.

/// One cell as read from a file, before any interpretation against a canonical field.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// A cell the spreadsheet itself formats as a date (already converted from the
    /// workbook's 1900 or 1904 date system).
    Date(chrono::NaiveDate),
    /// A date written as ISO text by the file format itself (ODS).
    IsoDate(String),
    /// A formula error such as `#DIV/0!`.
    Error(String),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// Text rendering used for headers, codes and labels (never for identifying cells in
    /// messages).
    /// [`Cell::as_text`] without a copy when the cell already holds text.
    pub fn text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Cell::Text(s) | Cell::IsoDate(s) | Cell::Error(s) => Some(s.as_str().into()),
            other => other.as_text().map(Into::into),
        }
    }

    pub fn as_text(&self) -> Option<String> {
        match self {
            Cell::Empty => None,
            Cell::Text(s) => Some(s.clone()),
            Cell::Number(n) => Some(if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", *n as i64)
            } else {
                format!("{n}")
            }),
            Cell::Bool(b) => Some(if *b { "VRAI" } else { "FAUX" }.to_string()),
            Cell::Date(d) => Some(d.format("%d/%m/%Y").to_string()),
            Cell::IsoDate(s) => Some(s.clone()),
            Cell::Error(e) => Some(e.clone()),
        }
    }
}

/// A rectangular sheet. `rows[r][c]` is the cell at absolute row `r`, column `c` (0-based),
/// so that cell references in messages match what the user sees in the spreadsheet.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub rows: Vec<Vec<Cell>>,
    /// For a CSV file: how each line was split (rows are the file's own lines, blank
    /// lines included, so `C79` is line 79 of the file). `None` for workbooks.
    pub text_layout: Option<TextLayout>,
}

/// How the lines of a CSV file were split into fields, for the row checks of ingest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextLayout {
    /// Number of fields of the record starting on each row (0 for a blank line or a line
    /// inside a multi-line record), before trailing empty fields are dropped.
    pub fields: Vec<usize>,
    /// Records whose quoted text runs over several lines and holds separators: an
    /// unclosed quote that swallowed the lines below. `(first row, last row, non-blank
    /// lines swallowed below the first)`, rows 0-based.
    pub swallowed: Vec<(usize, usize, usize)>,
}

static EMPTY: Cell = Cell::Empty;

impl Grid {
    pub fn get(&self, row: usize, col: usize) -> &Cell {
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .unwrap_or(&EMPTY)
    }

    pub fn height(&self) -> usize {
        self.rows.len()
    }

    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }

    pub fn row_is_empty(&self, row: usize) -> bool {
        self.rows
            .get(row)
            .is_none_or(|r| r.iter().all(Cell::is_empty))
    }

    /// Copies the top-left value of every merged region into all its cells, so that a
    /// merged group header (or a merged label in a data column) applies to each column.
    pub fn fill_merged(&mut self, regions: &[MergedRegion]) {
        for m in regions {
            let value = self.get(m.first_row, m.first_col).clone();
            if value.is_empty() {
                continue;
            }
            for r in m.first_row..=m.last_row {
                for c in m.first_col..=m.last_col {
                    if r == m.first_row && c == m.first_col {
                        continue;
                    }
                    if let Some(row) = self.rows.get_mut(r)
                        && let Some(cell) = row.get_mut(c)
                        && cell.is_empty()
                    {
                        *cell = value.clone();
                    }
                }
            }
        }
    }
}

/// A merged region, absolute 0-based bounds, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergedRegion {
    pub first_row: usize,
    pub first_col: usize,
    pub last_row: usize,
    pub last_col: usize,
}

/// Spreadsheet column letters for a 0-based index: 0 → `A`, 27 → `AB`.
pub fn column_letters(mut col: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Cell reference as a user sees it: (row 13, col 2) → `C14`.
pub fn cell_ref(row: usize, col: usize) -> String {
    format!("{}{}", column_letters(col), row + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references_match_spreadsheet_notation() {
        assert_eq!(cell_ref(13, 2), "C14");
        assert_eq!(cell_ref(0, 0), "A1");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(16383), "XFD");
    }

    #[test]
    fn merged_regions_are_filled() {
        let mut g = Grid {
            rows: vec![
                vec![
                    Cell::Text("Identité".into()),
                    Cell::Empty,
                    Cell::Text("x".into()),
                ],
                vec![
                    Cell::Text("Nom".into()),
                    Cell::Text("Prénom".into()),
                    Cell::Empty,
                ],
            ],
            ..Default::default()
        };
        g.fill_merged(&[MergedRegion {
            first_row: 0,
            first_col: 0,
            last_row: 0,
            last_col: 1,
        }]);
        assert_eq!(g.get(0, 1), &Cell::Text("Identité".into()));
        assert_eq!(g.get(1, 2), &Cell::Empty);
        assert_eq!(g.get(10, 10), &Cell::Empty);
    }
}
