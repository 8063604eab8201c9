//! The values of a coded column the vocabulary does not know: a mapping proposed when
//! one category plainly fits (`AEMO R` → `AEMO renforcée`, `G` → `M`), a question listing
//! the closest categories otherwise. A value seen only once is never shown (it may be a
//! name typed in the wrong column): only its cell is given.

use crate::ingest::grid::cell_ref;
use crate::ingest::header::HeaderColumn;
use crate::ingest::values::{fold, parse_bool};
use crate::tables::{Field, Table};
use crate::vocabulary::{self, Term};

use super::columns::named_category;
use super::profile::Profile;

/// A value shown only when seen at least this many times.
pub const SHOWN_FROM: usize = 2;

/// What the proposal says about one value of a coded column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A category of the vocabulary as written (nothing to map).
    Known(&'static str),
    /// Mapped by the proposal (to review).
    Proposed(&'static str),
    /// Undecided: the closest categories.
    Question(Vec<&'static str>),
}

/// One value of a coded column.
#[derive(Debug, Clone)]
pub struct ValueLine {
    pub raw: String,
    pub count: usize,
    pub verdict: Verdict,
}

/// The values of one coded column.
#[derive(Debug, Clone)]
pub struct ColumnValues {
    pub field: &'static str,
    pub lines: Vec<ValueLine>,
    /// Cells of values seen once, not shown.
    pub hidden: Vec<String>,
}

fn key(s: &str) -> String {
    fold(s).chars().filter(|c| c.is_alphanumeric()).collect()
}

fn content_words(s: &str) -> Vec<String> {
    fold(s)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3)
        .map(|w| w.trim_end_matches('S').to_string())
        .filter(|w| !["LES", "DES", "AVEC", "POUR", "DANS", "AUX"].contains(&w.as_str()))
        .collect()
}

/// How close a raw value is to a category (0–1), and whether it plainly is that
/// category (one contains the other, or every content word of one is in the other).
fn closeness(raw: &str, term: &Term) -> (f64, bool) {
    let mut best = (0.0, false);
    for label in std::iter::once(term.label).chain(term.synonyms.iter().copied()) {
        let (a, b) = (key(raw), key(label));
        if a.is_empty() || b.is_empty() {
            continue;
        }
        let contains = (a.len() >= 4 || b.len() >= 4) && (a.contains(&b) || b.contains(&a));
        let (wa, wb) = (content_words(raw), content_words(label));
        let words = !wa.is_empty()
            && !wb.is_empty()
            && (wa.iter().all(|w| wb.contains(w)) || wb.iter().all(|w| wa.contains(w)));
        let sim = strsim::normalized_levenshtein(&a, &b);
        let plain = contains || words || sim >= 0.8;
        let score = if plain { 1.0 + sim } else { sim };
        if score > best.0 {
            best = (score, plain);
        }
    }
    best
}

/// Sex codes partners use beside the vocabulary's own.
fn sex_code(raw: &str) -> Option<&'static str> {
    match key(raw).as_str() {
        "G" | "H" | "GARCON" | "HOMME" | "MASCULIN" => Some("M"),
        "FILLE" | "FEMME" | "FEMININ" => Some("F"),
        _ => None,
    }
}

fn verdict(table: Table, field: &Field, column: &HeaderColumn, raw: &str) -> Verdict {
    let Some(terms) = vocabulary::of(table, field.name) else {
        return Verdict::Question(Vec::new());
    };
    if let Some(label) = vocabulary::recognise(terms, raw) {
        return Verdict::Known(label);
    }
    if field.name == "sexe"
        && let Some(code) = sex_code(raw)
    {
        return Verdict::Proposed(code);
    }
    if let Some(named) = named_category(table, field, column) {
        return match parse_bool(raw) {
            Some(true) => Verdict::Proposed(named),
            _ => Verdict::Question(
                terms
                    .iter()
                    .map(|t| t.label)
                    .filter(|l| *l != named)
                    .take(4)
                    .collect(),
            ),
        };
    }
    let mut scored: Vec<(f64, bool, &'static str)> = terms
        .iter()
        .map(|t| {
            let (s, plain) = closeness(raw, t);
            (s, plain, t.label)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let plain: Vec<_> = scored.iter().filter(|s| s.1).collect();
    if let [only] = plain.as_slice() {
        return Verdict::Proposed(only.2);
    }
    if plain.len() > 1 && plain[0].0 - plain[1].0 >= 0.15 {
        return Verdict::Proposed(plain[0].2);
    }
    Verdict::Question(scored.iter().take(3).map(|s| s.2).collect())
}

/// The values of a coded column (`None` for a field without a closed vocabulary or a
/// column with too many distinct texts to be coded).
pub fn column_values(
    table: Table,
    field: &'static Field,
    column: &HeaderColumn,
    p: &Profile,
) -> Option<ColumnValues> {
    vocabulary::of(table, field.name)?;
    if field.identifying {
        return None;
    }
    let distinct = p.distinct.as_ref()?;
    let mut out = ColumnValues {
        field: field.name,
        lines: Vec::new(),
        hidden: Vec::new(),
    };
    for (raw, &count) in distinct {
        let v = verdict(table, field, column, raw);
        if count < SHOWN_FROM && !matches!(v, Verdict::Known(_)) {
            if let Some(&row) = p.first_row.get(raw) {
                out.hidden.push(cell_ref(row, column.index));
            }
            continue;
        }
        out.lines.push(ValueLine {
            raw: raw.clone(),
            count,
            verdict: v,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(h: &str) -> HeaderColumn {
        HeaderColumn {
            index: 2,
            upper: None,
            lower: Some(h.into()),
        }
    }

    fn v(t: Table, f: &str, h: &str, raw: &str) -> Verdict {
        verdict(t, t.field(f).unwrap_or_else(|| panic!("{f}")), &col(h), raw)
    }

    #[test]
    fn verdicts() {
        let a = Table::Accompaniments;
        let m = |x: Verdict| matches!(x, Verdict::Known("M") | Verdict::Proposed("M"));
        assert!(m(v(a, "sexe", "Sexe", "G")));
        assert!(m(v(a, "sexe", "Sexe", "Garçon")));
        assert_eq!(
            v(a, "cadre", "Cadre", "Judiciaire"),
            Verdict::Known("judiciaire")
        );
        let t = Table::Training;
        assert_eq!(
            v(
                t,
                "theme",
                "Intitulé",
                "Sensibilisation au handicap psychique"
            ),
            Verdict::Proposed("Handicap psychique")
        );
        assert!(matches!(v(t, "theme", "Intitulé", "Zzz"), Verdict::Question(q) if q.len() == 3));
        let s = Table::Staff;
        assert_eq!(
            v(s, "type_contrat", "CDI (o/n)", "o"),
            Verdict::Proposed("CDI")
        );
        assert!(
            matches!(v(s, "type_contrat", "CDI (o/n)", "n"), Verdict::Question(q) if q.first() == Some(&"CDD"))
        );
    }
}
