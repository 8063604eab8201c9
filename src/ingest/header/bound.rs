//! The bound of header detection ([`super::detect`]): how many columns of a candidate
//! header could serve a target at all, computed from each cell of the searched rows
//! normalised once, without building the candidate (most candidates are data rows,
//! whose bound is 0 and which are then never built nor matched).

use std::cell::OnceCell;

use polars::prelude::PlHashSet;

use super::super::grid::{Cell, Grid};
use super::{head, normalized_lead, words};

/// One cell's header text, normalised: its words ([`words`]) and the length they keep
/// once a footnote number is cut from the last one ([`super::normalize`]).
pub(super) struct CellWords {
    words: String,
    kept: usize,
}

impl CellWords {
    pub(super) fn of(text: &str) -> CellWords {
        let (words, kept) = words(head(text));
        CellWords { words, kept }
    }

    /// [`super::normalize`] of the cell's text.
    pub(super) fn normalised(&self) -> &str {
        &self.words[..self.kept]
    }

    /// [`super::normalize`] of `"{upper} {lower}"` (a two-row column's middle key),
    /// written into `buf`: the words of both, the footnote cut from the last word of
    /// the whole.
    pub(super) fn joined<'b>(upper: &CellWords, lower: &CellWords, buf: &'b mut String) -> &'b str {
        buf.clear();
        if lower.words.is_empty() {
            buf.push_str(upper.normalised());
        } else if upper.words.is_empty() {
            buf.push_str(lower.normalised());
        } else {
            buf.push_str(&upper.words);
            buf.push(' ');
            buf.push_str(lower.normalised());
        }
        buf
    }
}

/// One non-blank cell of the searched rows: its words are normalised only when a key
/// it leads could be relevant (its first letter or digit begins some text).
struct Lazy<'g> {
    cell: &'g Cell,
    /// `None` when the cell's normalised text has no words; else whether it begins as
    /// some text does.
    leads: Option<bool>,
    words: OnceCell<CellWords>,
}

impl Lazy<'_> {
    fn words(&self) -> &CellWords {
        self.words
            .get_or_init(|| CellWords::of(&self.cell.text().unwrap_or_default()))
    }
}

/// The rows detection looks at, each cell normalised at most once, and the texts a
/// column must answer to for a target to use it.
pub(super) struct Window<'g, 't> {
    cells: Vec<Vec<Option<Lazy<'g>>>>,
    texts: PlHashSet<&'t str>,
}

impl<'g, 't> Window<'g, 't> {
    /// The first `rows` rows of `grid` (a two-row candidate reads one row past the
    /// last candidate row), against `texts`.
    pub(super) fn new(grid: &'g Grid, rows: usize, texts: PlHashSet<&'t str>) -> Window<'g, 't> {
        let leads: PlHashSet<char> = texts.iter().filter_map(|t| t.chars().next()).collect();
        let digit_leads = leads.iter().any(char::is_ascii_digit);
        let cells = (0..rows.min(grid.height()))
            .map(|r| {
                (0..grid.width())
                    .map(|c| {
                        let cell = grid.get(r, c);
                        let leads = match cell {
                            Cell::Empty => return None,
                            // A finite number or a date is written with a digit first.
                            Cell::Date(_) if !digit_leads => Some(false),
                            Cell::Number(n) if n.is_finite() && !digit_leads => Some(false),
                            Cell::Text(t) | Cell::IsoDate(t) | Cell::Error(t)
                                if t.trim().is_empty() =>
                            {
                                return None;
                            }
                            _ => cell
                                .text()
                                .and_then(|t| normalized_lead(&t))
                                .map(|l| leads.contains(&l)),
                        };
                        Some(Lazy {
                            cell,
                            leads,
                            words: OnceCell::new(),
                        })
                    })
                    .collect()
            })
            .collect();
        Window { cells, texts }
    }

    /// Whether a column key could serve a target: it is one of the texts, or begins
    /// with one followed by a space (a user text used as a prefix).
    fn relevant(&self, key: &str) -> bool {
        !key.is_empty()
            && (self.texts.contains(key)
                || key
                    .match_indices(' ')
                    .any(|(i, _)| self.texts.contains(&key[..i])))
    }

    fn cell(&self, r: usize, c: usize) -> Option<&Lazy<'g>> {
        self.cells
            .get(r)
            .and_then(|row| row.get(c))
            .and_then(Option::as_ref)
    }

    /// Whether the cell's own key could serve a target.
    fn alone(&self, w: &Lazy) -> bool {
        w.leads == Some(true) && self.relevant(w.words().normalised())
    }

    /// Whether the middle key of a two-row column could serve a target: it begins as
    /// the upper text does when that has words.
    fn joined(&self, u: &Lazy, l: &Lazy, buf: &mut String) -> bool {
        // Without words, the upper text leaves the lower text's own key, counted
        // apart.
        if u.leads != Some(true) {
            return false;
        }
        self.relevant(CellWords::joined(u.words(), l.words(), buf))
    }

    /// How many columns of the header at `rows` (one row, or two consecutive rows) have
    /// a key ([`super::HeaderColumn::keys`]) that could serve a target. The columns are
    /// those [`super::header_at`] builds, a group label of the upper row covering the
    /// empty cells to its right as long as the lower row has labels there.
    pub(super) fn relevant_columns(&self, rows: &[usize], buf: &mut String) -> usize {
        let width = self.cells.first().map_or(0, Vec::len);
        match rows {
            [r] => (0..width)
                .filter(|&c| self.cell(*r, c).is_some_and(|w| self.alone(w)))
                .count(),
            [r1, r2, ..] => {
                let mut group: Option<&Lazy> = None;
                let mut most = 0;
                for c in 0..width {
                    let (up, low) = (self.cell(*r1, c), self.cell(*r2, c));
                    let upper = match (up, low) {
                        (Some(u), Some(_)) => {
                            group = Some(u);
                            Some(u)
                        }
                        (Some(u), None) => {
                            group = None;
                            Some(u)
                        }
                        (None, Some(_)) => group,
                        (None, None) => {
                            group = None;
                            None
                        }
                    };
                    let (upper, lower) = match low {
                        Some(l) => (upper, Some(l)),
                        None => (None, upper),
                    };
                    let any = lower.is_some_and(|l| self.alone(l))
                        || upper.is_some_and(|u| self.alone(u))
                        || upper
                            .zip(lower)
                            .is_some_and(|(u, l)| self.joined(u, l, buf));
                    most += usize::from(any);
                }
                most
            }
            [] => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{HeaderColumn, header_at, normalize, normalized_lead};
    use super::*;

    /// Texts mixing what folding and footnote cutting act on: accents, case, digits
    /// glued to words, punctuation, line breaks, no-break spaces, a final sigma, a
    /// leading combining mark, compatibility characters.
    fn texts() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::string::string_regex("[a-zA-Zé É0-9'.\\-\n\u{a0}ΣΑ\u{301}½²ß]{0,14}")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    proptest::proptest! {
        #[test]
        fn cell_words_give_the_normalised_texts(u in texts(), l in texts()) {
            let (cu, cl) = (CellWords::of(&u), CellWords::of(&l));
            proptest::prop_assert_eq!(cu.normalised(), normalize(&u));
            proptest::prop_assert_eq!(normalized_lead(&u), normalize(&u).chars().next());
            let mut buf = String::new();
            proptest::prop_assert_eq!(
                CellWords::joined(&cu, &cl, &mut buf),
                normalize(&format!("{u} {l}"))
            );
        }

        /// The bound counts exactly the columns of the built candidate that have a
        /// relevant key.
        #[test]
        fn relevant_columns_count_the_built_columns(
            cells in proptest::collection::vec(proptest::collection::vec(0usize..12, 0..6), 2..5),
            digits in proptest::bool::ANY,
        ) {
            const WORDS: [&str; 10] = [
                "Nom", "Date", "Date d'entrée", "", "entrée", "X1", "Identité", "  ", "—",
                "12 mois",
            ];
            let grid = Grid {
                rows: cells
                    .iter()
                    .map(|row| {
                        row.iter()
                            .map(|&w| match w {
                                10 => Cell::Number(12.0),
                                11 => Cell::Date(
                                    chrono::NaiveDate::from_ymd_opt(2021, 3, 1).unwrap_or_default(),
                                ),
                                w => Cell::Text(WORDS[w].into()),
                            })
                            .collect()
                    })
                    .collect(),
                ..Default::default()
            };
            // Texts some of which begin with a digit (a number can then be relevant).
            let targets = if digits {
                ["nom", "12", "01 03", "x"]
            } else {
                ["nom", "date", "identite date d entree", "x"]
            };
            let set: PlHashSet<&str> = targets.into_iter().collect();
            let relevant = |k: &String| {
                set.contains(k.as_str())
                    || k.match_indices(' ').any(|(i, _)| set.contains(&k[..i]))
            };
            let window = Window::new(&grid, grid.height(), set.clone());
            let mut buf = String::new();
            for r in 0..grid.height() {
                let one = [r];
                let two = [r, r + 1];
                let shapes: &[&[usize]] =
                    if r + 1 < grid.height() { &[&one, &two] } else { &[&one] };
                for rows in shapes {
                    let want = header_at(&grid, rows)
                        .columns
                        .iter()
                        .filter(|c: &&HeaderColumn| c.keys().iter().any(relevant))
                        .count();
                    proptest::prop_assert_eq!(window.relevant_columns(rows, &mut buf), want);
                }
            }
        }
    }
}
