//! Guessing each column's canonical field from its header and its values: a score per
//! (column, field) pair, then a one-to-one assignment, best pairs first. The header
//! counts most (the texts ingest recognises, then shared words); the values confirm or
//! veto (a date field needs dates) and decide alone when the header says nothing (the
//! only date column left, a column of measure labels).

use crate::ingest::header::{HeaderColumn, normalize};
use crate::tables::{Field, Kind, Table};
use crate::vocabulary;

use super::profile::Profile;

/// Below this score a pair is not proposed.
pub const MIN_SCORE: f64 = 0.35;

/// Why a column was given its field, shown beside the proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The header is one of the texts ingest recognises for the field.
    Header,
    /// The header shares words with one of those texts.
    Words,
    /// A numbered question (`Q3 …`, `Question 3`).
    Question,
    /// A rating column (`Accueil /4`), questions taken in column order.
    RatedQuestion,
    /// The values alone: the only column of their kind for the only field left.
    Values,
    /// The values are the field's categories.
    Categories,
    /// The header names one category of the field (`CDI (o/n)`), the values are yes/no.
    NamedCategory,
}

impl Reason {
    pub fn french(self) -> &'static str {
        match self {
            Reason::Header => "en-tête reconnu",
            Reason::Words => "en-tête proche",
            Reason::Question => "question numérotée",
            Reason::RatedQuestion => {
                "note sur une échelle, questions prises dans l'ordre des colonnes"
            }
            Reason::Values => "deviné d'après les valeurs",
            Reason::Categories => "valeurs reconnues comme catégories du champ",
            Reason::NamedCategory => "l'en-tête nomme une catégorie du champ, valeurs oui/non",
        }
    }
}

/// One column given a field.
#[derive(Debug, Clone)]
pub struct Assigned {
    pub column: usize,
    pub field: &'static Field,
    pub score: f64,
    pub reason: Reason,
}

const STOPWORDS: &[&str] = &[
    "de", "du", "des", "la", "le", "les", "l", "d", "a", "au", "aux", "et", "en", "par", "pour",
    "sur", "e", "s", "ou",
];

fn words(normalised: &str) -> Vec<String> {
    normalised
        .split(|c: char| !c.is_alphanumeric())
        // Numbers alone say nothing of a field (`Accueil /4` is not `question 4`).
        .filter(|w| {
            !w.is_empty() && !STOPWORDS.contains(w) && !w.bytes().all(|b| b.is_ascii_digit())
        })
        .map(str::to_string)
        .collect()
}

/// Two words agree when equal, or when the shorter (4 letters or more) starts the longer
/// (`entree` / `entrees`, `inter` / `interassociative`).
fn agree(a: &str, b: &str) -> bool {
    let (s, l) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    s == l || (s.len() >= 4 && l.starts_with(s)) || (s.len() >= 5 && l.starts_with(&s[..5]))
}

/// The header texts a field answers to: its built-in synonyms and its own name.
fn texts(field: &Field) -> Vec<String> {
    let mut t: Vec<String> = field.synonyms.iter().map(|s| normalize(s)).collect();
    t.push(normalize(&field.name.replace('_', " ")));
    t.retain(|s| !s.is_empty());
    t
}

/// The header's normalised texts: the lower row alone, and the full header (group and
/// lower row) — the same when there is no group row or the group repeats the lower row.
fn header_texts(column: &HeaderColumn) -> (String, String) {
    let lower = column
        .lower
        .as_deref()
        .or(column.upper.as_deref())
        .unwrap_or("");
    let lower_n = normalize(lower);
    let full = match column.upper.as_deref() {
        Some(u) if Some(u) != column.lower.as_deref() && column.lower.is_some() => {
            normalize(&format!("{u} {lower}"))
        }
        _ => lower_n.clone(),
    };
    (lower_n, full)
}

/// How well a header matches a field by its text alone (0–1) and why.
pub fn header_score(column: &HeaderColumn, field: &Field) -> (f64, Reason) {
    let (lower, full) = header_texts(column);
    let texts = texts(field);
    if texts.contains(&full) {
        return (1.0, Reason::Header);
    }
    let h = words(&full);
    let mut best: f64 = 0.0;
    for t in &texts {
        let s = words(t);
        if s.is_empty() || h.is_empty() {
            continue;
        }
        let found = s.iter().filter(|w| h.iter().any(|x| agree(x, w))).count();
        let used = h.iter().filter(|x| s.iter().any(|w| agree(x, w))).count();
        let recall = found as f64 / s.len() as f64;
        let precision = used as f64 / h.len() as f64;
        best = best.max(0.6 * recall + 0.3 * precision);
    }
    // A sentence is an explanation, not a column header: a shared word says little.
    if h.len() > 6 {
        best *= 6.0 / h.len() as f64;
    }
    // The lower row alone is a synonym under a group row (`Mère / Nom de famille`): high,
    // but below a full match, as the group may name another field.
    if texts.contains(&lower) && best < 0.85 {
        return (0.85, Reason::Header);
    }
    (best, Reason::Words)
}

/// The question number a header gives (`Q3 Accueil`, `Question 3`), if any.
fn question_number(column: &HeaderColumn) -> Option<u32> {
    let raw = column.lower.as_deref().or(column.upper.as_deref())?;
    let low = crate::text::fold(raw).to_lowercase();
    let w: Vec<&str> = low
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let first = *w.first()?;
    let digits = if let Some(rest) = first.strip_prefix('q')
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_digit())
    {
        rest
    } else if first == "question" || first == "q" {
        w.get(1)
            .copied()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))?
    } else {
        return None;
    };
    digits.parse().ok()
}

/// Multiplies a header score by how well the values fit the field's kind (a veto when
/// they plainly do not).
fn kind_fit(field: &Field, p: &Profile) -> f64 {
    if p.filled == 0 {
        return 1.0;
    }
    let fits = match field.kind {
        Kind::Date => p.is_dates(),
        Kind::Number | Kind::Integer => p.share(p.numbers) >= 0.6,
        Kind::Bool => p.share(p.bools) >= 0.6,
        Kind::Month => p.share(p.months) >= 0.6 || p.is_dates(),
        Kind::Text => true,
    };
    if fits { 1.0 } else { 0.2 }
}

/// A veto for territory columns whose values say otherwise: a code column of names, a
/// name column of département codes.
fn territory_fit(field: &Field, p: &Profile) -> f64 {
    if p.filled == 0 {
        return 1.0;
    }
    let codes = p.share(p.departements);
    let fits = match field.name {
        "code_territoire" => codes >= 0.5 || p.share(p.numbers) >= 0.8,
        "libelle_territoire" => codes < 0.5,
        _ => true,
    };
    if fits { 1.0 } else { 0.2 }
}

/// Share of the distinct texts of a column (weighted by count) that are categories of
/// the field.
fn category_share(table: Table, field: &Field, p: &Profile) -> f64 {
    let (Some(terms), Some(d)) = (vocabulary::of(table, field.name), p.distinct.as_ref()) else {
        return 0.0;
    };
    let total: usize = d.values().sum();
    if total == 0 {
        return 0.0;
    }
    let known: usize = d
        .iter()
        .filter(|(v, _)| vocabulary::recognise(terms, v).is_some())
        .map(|(_, n)| n)
        .sum();
    known as f64 / total as f64
}

/// A category of the field that the header names as a whole word (`CDI (o/n)`).
pub fn named_category(table: Table, field: &Field, column: &HeaderColumn) -> Option<&'static str> {
    let terms = vocabulary::of(table, field.name)?;
    let (_, full) = header_texts(column);
    words(&full)
        .iter()
        .find_map(|w| vocabulary::recognise(terms, w))
}

/// The score of one (column, field) pair.
pub fn pair_score(
    table: Table,
    field: &'static Field,
    column: &HeaderColumn,
    p: &Profile,
) -> (f64, Reason) {
    let (h, reason) = header_score(column, field);
    let mut best = (h * kind_fit(field, p) * territory_fit(field, p), reason);
    if let Some(n) = question_number(column)
        && field.name == format!("question_{n}")
    {
        best = best.max_by(0.7, Reason::Question);
    }
    let categories = category_share(table, field, p);
    if categories >= 0.8 {
        best = best.max_by(0.5 + 0.4 * h, Reason::Categories);
    } else if categories > 0.0 {
        best.0 += 0.1 * categories;
    }
    if p.filled > 0 && p.share(p.bools) >= 0.8 && named_category(table, field, column).is_some() {
        best = best.max_by(0.6, Reason::NamedCategory);
    }
    best
}

trait MaxBy {
    fn max_by(self, score: f64, reason: Reason) -> Self;
}

impl MaxBy for (f64, Reason) {
    fn max_by(self, score: f64, reason: Reason) -> Self {
        if score > self.0 {
            (score, reason)
        } else {
            self
        }
    }
}

/// Assigns fields to columns, best pairs first, each column and each field once.
pub fn assign(table: Table, columns: &[HeaderColumn], profiles: &[Profile]) -> Vec<Assigned> {
    let mut pairs = Vec::new();
    for (c, column) in columns.iter().enumerate() {
        let Some(p) = profiles.get(c) else { continue };
        for field in table.fields() {
            let (score, reason) = pair_score(table, field, column, p);
            if score >= MIN_SCORE {
                pairs.push(Assigned {
                    column: c,
                    field,
                    score,
                    reason,
                });
            }
        }
    }
    // Best first; ties by column then by the field's place in the table (stable).
    pairs.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.column.cmp(&b.column)));
    let mut out: Vec<Assigned> = Vec::new();
    for a in pairs {
        if out
            .iter()
            .any(|o| o.column == a.column || o.field.name == a.field.name)
        {
            continue;
        }
        out.push(a);
    }
    assign_dates_by_values(table, columns, profiles, &mut out);
    assign_rated_questions(table, columns, profiles, &mut out);
    if table == Table::Reference {
        assign_territory_by_values(columns, profiles, &mut out);
    }
    out.sort_by_key(|a| a.column);
    out
}

/// Date columns the headers left unassigned: the only date field left takes the first
/// date column left; among accompaniments, a column of dates well before the start
/// dates is the birth date.
fn assign_dates_by_values(
    table: Table,
    columns: &[HeaderColumn],
    profiles: &[Profile],
    out: &mut Vec<Assigned>,
) {
    let free_columns: Vec<usize> = (0..columns.len())
        .filter(|c| !out.iter().any(|a| a.column == *c))
        .filter(|&c| profiles.get(c).is_some_and(Profile::is_dates))
        .collect();
    let free_fields: Vec<&'static Field> = table
        .fields()
        .iter()
        .filter(|f| f.kind == Kind::Date && !out.iter().any(|a| a.field.name == f.name))
        .collect();
    // The only date field left takes the first date column left (`Du` before `Au`).
    if let (Some(c), [f]) = (free_columns.first(), free_fields.as_slice()) {
        out.push(Assigned {
            column: *c,
            field: f,
            score: 0.5,
            reason: Reason::Values,
        });
        return;
    }
    let birth = free_fields.iter().find(|f| f.name == "date_naissance");
    let start_year = out
        .iter()
        .find(|a| a.field.name == "date_debut")
        .and_then(|a| profiles.get(a.column))
        .and_then(Profile::median_year);
    if let (Some(birth), Some(start)) = (birth, start_year) {
        let earlier: Vec<usize> = free_columns
            .iter()
            .copied()
            .filter(|&c| {
                profiles
                    .get(c)
                    .and_then(Profile::median_year)
                    .is_some_and(|y| y <= start - 3)
            })
            .collect();
        if let [c] = earlier.as_slice() {
            out.push(Assigned {
                column: *c,
                field: birth,
                score: 0.5,
                reason: Reason::Values,
            });
        }
    }
}

/// Whether a header announces a rating (`Accueil /4`, `Écoute (sur 5)`, `Note …`).
fn is_rating(column: &HeaderColumn) -> bool {
    let raw = column
        .lower
        .as_deref()
        .or(column.upper.as_deref())
        .unwrap_or("");
    let low = crate::text::fold(raw).to_lowercase();
    let scale = |s: &str| s.trim_start().starts_with(|c: char| c.is_ascii_digit());
    low.split('/').skip(1).any(scale)
        || low.split("sur ").skip(1).any(scale)
        || low.starts_with("note")
}

/// Unnumbered questions (`Accueil /4`, `Projet personnalisé /4`): the rating columns
/// left, in their order, take the question fields left, in theirs.
fn assign_rated_questions(
    table: Table,
    columns: &[HeaderColumn],
    profiles: &[Profile],
    out: &mut Vec<Assigned>,
) {
    let taken: Vec<&str> = out.iter().map(|a| a.field.name).collect();
    let mut free_fields = table
        .fields()
        .iter()
        .filter(|f| f.name.starts_with("question_") && f.synonyms.is_empty())
        .filter(|f| !taken.contains(&f.name))
        .collect::<Vec<_>>()
        .into_iter();
    for (c, column) in columns.iter().enumerate() {
        let numeric = profiles
            .get(c)
            .is_some_and(|p| p.filled > 0 && p.share(p.numbers) >= 0.6);
        if !numeric || !is_rating(column) || out.iter().any(|a| a.column == c) {
            continue;
        }
        let Some(field) = free_fields.next() else {
            return;
        };
        out.push(Assigned {
            column: c,
            field,
            score: 0.5,
            reason: Reason::RatedQuestion,
        });
    }
}

/// A reference series whose headers do not name its territory columns (a group label
/// « Départements » over both): the column of département codes is the code, a text
/// column right after it the label.
fn assign_territory_by_values(
    columns: &[HeaderColumn],
    profiles: &[Profile],
    out: &mut Vec<Assigned>,
) {
    let field = |name: &str| Table::Reference.field(name);
    let has = |out: &Vec<Assigned>, name: &str| out.iter().any(|a| a.field.name == name);
    let free = |out: &Vec<Assigned>, c: usize| !out.iter().any(|a| a.column == c);
    if !has(out, "code_territoire")
        && let Some(f) = field("code_territoire")
        && let Some(c) = (0..columns.len()).find(|&c| {
            free(out, c)
                && profiles
                    .get(c)
                    .is_some_and(|p| p.filled > 0 && p.share(p.departements) >= 0.8)
        })
    {
        out.push(Assigned {
            column: c,
            field: f,
            score: 0.6,
            reason: Reason::Values,
        });
    }
    let code = out
        .iter()
        .find(|a| a.field.name == "code_territoire")
        .map(|a| a.column);
    if let Some(code) = code
        && !has(out, "libelle_territoire")
        && let Some(f) = field("libelle_territoire")
        && free(out, code + 1)
        && profiles
            .get(code + 1)
            .is_some_and(|p| p.filled > 0 && p.share(p.numbers) < 0.2)
    {
        out.push(Assigned {
            column: code + 1,
            field: f,
            score: 0.4,
            reason: Reason::Values,
        });
    }
}

/// The score of a table for a sheet: the assigned pairs, plus its required fields found.
pub fn table_score(table: Table, assigned: &[Assigned]) -> f64 {
    let found: f64 = assigned.iter().map(|a| a.score).sum();
    let required = table
        .fields()
        .iter()
        .filter(|f| f.required && f.name != "service")
        .filter(|f| assigned.iter().any(|a| a.field.name == f.name))
        .count();
    found + 0.5 * required as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(upper: Option<&str>, lower: &str) -> HeaderColumn {
        HeaderColumn {
            index: 0,
            upper: upper.map(str::to_string),
            lower: Some(lower.to_string()),
        }
    }

    fn field(t: Table, name: &str) -> &'static Field {
        t.field(name).unwrap_or_else(|| panic!("{name}"))
    }

    #[test]
    fn headers_by_text_and_words() {
        let a = Table::Accompaniments;
        assert_eq!(
            header_score(&col(None, "Date de sortie"), field(a, "date_fin")).0,
            1.0
        );
        let mere = col(Some("Mère"), "Nom de famille");
        let (m, _) = header_score(&mere, field(a, "nom_mere"));
        let (n, _) = header_score(&mere, field(a, "nom"));
        assert!(m > n, "{m} {n}");
        let ident = col(Some("Identité"), "Nom");
        let (n, _) = header_score(&ident, field(a, "nom"));
        let (m, _) = header_score(&ident, field(a, "nom_mere"));
        assert!(n > m, "{n} {m}");
        assert_eq!(question_number(&col(None, "Q3 Information")), Some(3));
        assert_eq!(question_number(&col(None, "Question 4")), Some(4));
        assert_eq!(question_number(&col(None, "Quartier")), None);
    }

    #[test]
    fn values_veto_and_decide() {
        let a = Table::Accompaniments;
        let dates = Profile {
            filled: 10,
            dates: 10,
            numbers: 10,
            years: vec![2021; 10],
            ..Profile::default()
        };
        let text = Profile {
            filled: 10,
            ..Profile::default()
        };
        let h = col(None, "Sortie");
        assert!(pair_score(a, field(a, "date_fin"), &h, &dates).0 > 0.9);
        assert!(pair_score(a, field(a, "date_fin"), &h, &text).0 < MIN_SCORE);
    }
}
