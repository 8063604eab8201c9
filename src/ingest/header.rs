//! Finding the header of a table in a sheet and matching its columns to canonical
//! fields. Owns header normalisation (accents, case, line breaks, footnote digits glued
//! to a word such as `MECS1`), one- and two-row headers, and automatic detection.

use polars::prelude::PlHashMap as HashMap;

use super::grid::Grid;
use super::values::fold;

mod bound;

/// How many rows from the top automatic detection looks at.
pub const SEARCH_ROWS: usize = 40;

/// Longest header text compared, in characters (a header is a few words; a longer cell is
/// a note or data, and only its beginning can match a column name).
pub const MAX_HEADER_CHARS: usize = 256;

/// The first [`MAX_HEADER_CHARS`] characters of `s`.
fn head(s: &str) -> &str {
    match s.char_indices().nth(MAX_HEADER_CHARS) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Normalises a header text for comparison: lower case, no accents, punctuation turned
/// into spaces, runs of spaces collapsed, a footnote number glued to the last word
/// removed (`MECS1` → `mecs`, `Autres3` → `autres`, but `2021` stays).
pub fn normalize(s: &str) -> String {
    let (mut out, kept) = words(s);
    out.truncate(kept);
    out
}

/// The words of [`normalize`] (lower case, no accents, split at anything not a letter
/// or digit, joined by one space) before the footnote number is cut, and the length
/// [`normalize`] keeps of them. Folding works character by character, so the words of
/// `"{a} {b}"` are those of `a` then those of `b` (header detection joins two rows'
/// texts from their words, [`bound`]).
fn words(s: &str) -> (String, usize) {
    let folded = fold(s).to_lowercase();
    let mut out = String::with_capacity(folded.len());
    let mut last_start = 0;
    for word in folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        last_start = out.len();
        out.push_str(word);
    }
    let last = &out[last_start..];
    let letters = last.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = last.len() - letters.len();
    if !letters.is_empty() && (1..=2).contains(&digits) && letters.chars().all(char::is_alphabetic)
    {
        let kept = out.len() - digits;
        return (out, kept);
    }
    let kept = out.len();
    (out, kept)
}

/// The first character of [`normalize`]`(s)`, without normalising the whole text (`None`
/// when it is empty): normalising works character by character up to the first
/// alphanumeric one, so a text whose lead differs from every lead of a set cannot
/// normalise to one of its texts.
pub fn normalized_lead(s: &str) -> Option<char> {
    let mut buf = [0u8; 4];
    for c in s.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                return Some(c.to_ascii_lowercase());
            }
            continue;
        }
        if let Some(l) = normalize(c.encode_utf8(&mut buf)).chars().next() {
            return Some(l);
        }
    }
    None
}

thread_local! {
    /// Header texts already normalised on this thread: header detection builds up to 80
    /// candidate headers from the same rows (bounded: cleared when it grows).
    static NORMALISED: std::cell::RefCell<HashMap<String, String>> =
        std::cell::RefCell::new(HashMap::default());
}

/// One column of a located header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderColumn {
    pub index: usize,
    /// Upper row text (group) for a two-row header, after merged-cell filling.
    pub upper: Option<String>,
    /// Lower row text (or the only row).
    pub lower: Option<String>,
}

impl HeaderColumn {
    /// Display text: `Accueil / Date de sortie`, or the single header.
    pub fn display(&self) -> String {
        match (&self.upper, &self.lower) {
            (Some(u), Some(l)) if u != l => format!(
                "{} / {}",
                crate::ingest::values::clean_text(u),
                crate::ingest::values::clean_text(l)
            ),
            (_, Some(l)) => crate::ingest::values::clean_text(l),
            (Some(u), None) => crate::ingest::values::clean_text(u),
            (None, None) => String::new(),
        }
    }

    /// Normalised texts this column answers to: lower, `upper lower`, upper. Only the
    /// first [`MAX_HEADER_CHARS`] characters of a text are compared, so that detection,
    /// which looks at every candidate row, costs the same whatever the cells hold.
    pub fn keys(&self) -> Vec<String> {
        NORMALISED.with(|memo| {
            let mut memo = memo.borrow_mut();
            if memo.len() > 4096 {
                memo.clear();
            }
            let mut norm = |s: &str| -> String {
                if let Some(n) = memo.get(s) {
                    return n.clone();
                }
                let n = normalize(s);
                memo.insert(s.to_string(), n.clone());
                n
            };
            let mut k = Vec::new();
            let lower = self.lower.as_deref().map(head);
            let upper = self.upper.as_deref().map(head);
            if let Some(l) = lower {
                k.push(norm(l));
            }
            if let (Some(u), Some(l)) = (upper, lower) {
                k.push(norm(&format!("{u} {l}")));
            }
            if let Some(u) = upper {
                k.push(norm(u));
            }
            k.retain(|s| !s.is_empty());
            k
        })
    }
}

/// A located header: its rows (0-based) and columns.
#[derive(Debug, Clone)]
pub struct Header {
    pub rows: Vec<usize>,
    pub columns: Vec<HeaderColumn>,
}

impl Header {
    /// First data row (0-based).
    pub fn data_start(&self) -> usize {
        self.rows.last().map(|r| r + 1).unwrap_or(0)
    }
}

/// Builds the header found at `rows` (one or two consecutive rows).
pub fn header_at(grid: &Grid, rows: &[usize]) -> Header {
    let width = grid.width();
    let text = |r: usize, c: usize| grid.get(r, c).as_text().filter(|s| !s.trim().is_empty());
    let mut columns = Vec::new();
    match rows {
        [r] => {
            for c in 0..width {
                if let Some(t) = text(*r, c) {
                    columns.push(HeaderColumn {
                        index: c,
                        upper: None,
                        lower: Some(t),
                    });
                }
            }
        }
        [r1, r2, ..] => {
            // Without merge information (ODS, CSV), a group label in the upper row covers
            // the empty cells to its right as long as the lower row has labels there.
            let mut group: Option<String> = None;
            for c in 0..width {
                let up = text(*r1, c);
                let low = text(*r2, c);
                let upper = match (&up, &low) {
                    (Some(u), Some(_)) => {
                        group = Some(u.clone());
                        Some(u.clone())
                    }
                    (Some(u), None) => {
                        group = None;
                        Some(u.clone())
                    }
                    (None, Some(_)) => group.clone(),
                    (None, None) => {
                        group = None;
                        None
                    }
                };
                if upper.is_some() || low.is_some() {
                    let (upper, lower) = match low {
                        Some(l) => (upper, Some(l)),
                        None => (None, upper),
                    };
                    columns.push(HeaderColumn {
                        index: c,
                        upper,
                        lower,
                    });
                }
            }
        }
        [] => {}
    }
    Header {
        rows: rows.to_vec(),
        columns,
    }
}

/// Something to find among the header columns: a canonical field or a reference
/// measure, with the user's header texts (tried first, also as prefixes) and the
/// built-in ones (exact only).
#[derive(Debug, Clone)]
pub struct Target {
    pub key: String,
    pub user: Vec<String>,
    pub builtin: Vec<String>,
    pub required: bool,
}

/// Assigns header columns to targets. Each column serves one target. Order: exact
/// matches on user texts, exact matches on built-in texts (only for targets without user
/// texts), then user texts as a word prefix of the header (`Total des enfants accueillis` matches
/// `Total des enfants accueillis = (A) + (B)`).
pub fn match_columns(header: &Header, targets: &[Target]) -> Vec<Option<usize>> {
    match_prepared(header, targets, &prepare(targets))
}

/// The targets' texts, normalised once (header detection tries up to 80 candidate
/// headers against the same targets).
struct Prepared {
    /// Per target: (user texts, built-in texts), normalised, empty ones dropped.
    texts: Vec<(Vec<String>, Vec<String>)>,
    /// Per target: the column designated by letter (`colonne C`), if any.
    letters: Vec<Option<usize>>,
}

fn prepare(targets: &[Target]) -> Prepared {
    let norm = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|s| normalize(s))
            .filter(|s| !s.is_empty())
            .collect()
    };
    Prepared {
        texts: targets
            .iter()
            .map(|t| (norm(&t.user), norm(&t.builtin)))
            .collect(),
        letters: targets
            .iter()
            .map(|t| t.user.iter().find_map(|u| column_letter_ref(u)))
            .collect(),
    }
}

fn match_prepared(header: &Header, targets: &[Target], prepared: &Prepared) -> Vec<Option<usize>> {
    let mut assigned: Vec<Option<usize>> = vec![None; targets.len()];
    let mut taken = vec![false; header.columns.len()];
    let keys: Vec<Vec<String>> = header.columns.iter().map(HeaderColumn::keys).collect();
    // `colonne C` designates a column by its letter, for headers that repeat a text.
    for (ti, letter) in prepared.letters.iter().enumerate() {
        if let Some(idx) = letter
            && let Some(ci) = header.columns.iter().position(|c| c.index == *idx)
            && !taken[ci]
        {
            assigned[ti] = Some(ci);
            taken[ci] = true;
        }
    }
    // Columns (in order) by each of their keys, and by each beginning of a key that
    // ends before a space (« date entree » of « date entree reelle »): a text finds its
    // columns by one look-up instead of a comparison with every key of every column
    // (header detection tries dozens of candidate rows per sheet).
    // Polars' fast hash: the keys are short header texts, hashed for every candidate.
    let mut exact: HashMap<&str, Vec<usize>> = HashMap::default();
    let mut starts: HashMap<&str, Vec<usize>> = HashMap::default();
    for (ci, ks) in keys.iter().enumerate() {
        for k in ks {
            push_column(exact.entry(k.as_str()).or_default(), ci);
            for (space, _) in k.match_indices(' ') {
                push_column(starts.entry(&k[..space]).or_default(), ci);
            }
        }
    }
    let passes: [(bool, bool); 3] = [(true, false), (false, false), (true, true)];
    for (use_user, prefix) in passes {
        let columns = if prefix { &starts } else { &exact };
        for (ti, t) in targets.iter().enumerate() {
            // The user's texts replace the built-in ones: a mapping that matches nothing
            // must not fall back on another column.
            if assigned[ti].is_some() || (!use_user && !t.user.is_empty()) {
                continue;
            }
            let (user, builtin) = &prepared.texts[ti];
            let texts = if use_user { user } else { builtin };
            let first_free = texts.iter().find_map(|text| {
                columns
                    .get(text.as_str())
                    .and_then(|cs| cs.iter().copied().find(|&ci| !taken[ci]))
            });
            if let Some(ci) = first_free {
                assigned[ti] = Some(ci);
                taken[ci] = true;
            }
        }
    }
    assigned
}

/// Adds a column to a key's list, once (columns come in order).
fn push_column(columns: &mut Vec<usize>, ci: usize) {
    if columns.last() != Some(&ci) {
        columns.push(ci);
    }
}

/// `colonne C` → Some(2).
pub fn column_letter_ref(text: &str) -> Option<usize> {
    let t = text.trim();
    let rest = t
        .strip_prefix("colonne ")
        .or_else(|| t.strip_prefix("Colonne "))?
        .trim();
    if rest.is_empty() || rest.len() > 3 || !rest.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut n = 0usize;
    for c in rest.to_ascii_uppercase().bytes() {
        n = n * 26 + usize::from(c - b'A' + 1);
    }
    Some(n - 1)
}

/// Score of a candidate header: required targets found weigh more than optional ones.
fn score(header: &Header, targets: &[Target], prepared: &Prepared) -> (usize, usize) {
    let m = match_prepared(header, targets, prepared);
    let required = targets
        .iter()
        .zip(&m)
        .filter(|(t, m)| t.required && m.is_some())
        .count();
    let any = m.iter().filter(|m| m.is_some()).count();
    (required, any)
}

/// Finds the header automatically: the row (or pair of rows) within the first
/// [`SEARCH_ROWS`] rows that matches the most targets. `None` if nothing matches.
pub fn detect(grid: &Grid, targets: &[Target]) -> Option<Header> {
    // Ties go to a one-row header (a title row above a header is not a group row).
    let mut best: Option<((usize, usize, bool), Header)> = None;
    let limit = grid.height().min(SEARCH_ROWS);
    let prepared = prepare(targets);
    // Every text a column could match (user and built-in). A column none of whose keys
    // or key beginnings is one of them serves no target, so the columns that have one
    // bound a candidate's score: most candidates are data rows whose bound is 0 or
    // cannot beat the best so far, and are not matched at all (header detection was
    // a tenth of the reading's CPU at national scale). Not used when a target names
    // its column by letter (any column can then match).
    let texts: polars::prelude::PlHashSet<&str> = prepared
        .texts
        .iter()
        .flat_map(|(user, builtin)| user.iter().chain(builtin))
        .map(String::as_str)
        .collect();
    let by_letter = prepared.letters.iter().any(Option::is_some);
    let required = targets.iter().filter(|t| t.required).count();
    // Every cell of the searched rows normalised once ([`bound`]).
    let window = (!by_letter).then(|| bound::Window::new(grid, limit + 1, texts));
    let mut buf = String::new();
    for r in 0..limit {
        if grid.row_is_empty(r) {
            continue;
        }
        let mut candidates: Vec<&[usize]> = vec![std::slice::from_ref(&r)];
        let pair = [r, r + 1];
        if r + 1 < grid.height() && !grid.row_is_empty(r + 1) {
            candidates.push(&pair);
        }
        for rows in candidates {
            if let Some(window) = &window {
                let most = window.relevant_columns(rows, &mut buf);
                let bound = (most.min(required), most, rows.len() == 1);
                if most == 0 || best.as_ref().is_some_and(|(bs, _)| bound <= *bs) {
                    continue;
                }
            }
            let h = header_at(grid, rows);
            let (req, any) = score(&h, targets, &prepared);
            let s = (req, any, h.rows.len() == 1);
            if s.1 == 0 {
                continue;
            }
            let better = match &best {
                None => true,
                Some((bs, _)) => s > *bs,
            };
            if better {
                best = Some((s, h));
            }
        }
    }
    best.map(|(_, h)| h)
}

#[cfg(test)]
mod tests;
