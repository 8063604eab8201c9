//! Interpretation of one cell against the kind of a canonical field: dates (Excel serials
//! in both epochs, French and ISO text), numbers with decimal commas, `oui/non/x`
//! booleans, months, missing-value markers and formula errors. Pure functions, no I/O.

use chrono::{Datelike, NaiveDate};

use super::grid::Cell;
pub use crate::tables::Kind;
pub use crate::text::{clean_text, fold, fold_into};

/// A successfully interpreted value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Date(NaiveDate),
    Integer(i64),
    Number(f64),
    Bool(bool),
    /// Month 1–12, with the year when the cell was a date.
    Month {
        month: u32,
        year: Option<i32>,
    },
}

/// Why a cell holds no value.
#[derive(Debug, Clone, PartialEq)]
pub enum Missing {
    /// Empty cell.
    Empty,
    /// An explicit missing-value marker (`ND`, `NR`, `-`…), normalised upper case.
    Marker(String),
    /// A formula error cell (`#DIV/0!`…).
    ErrorCell(String),
}

/// Why a cell could not be interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    NotADate,
    DateOutOfRange,
    NotANumber,
    NotAnInteger,
    NotABoolean,
    NotAMonth,
}

impl Invalid {
    /// Stable code used in the validation report.
    pub fn code(self) -> &'static str {
        match self {
            Invalid::NotADate => "date_invalide",
            Invalid::DateOutOfRange => "date_hors_limites",
            Invalid::NotANumber => "nombre_invalide",
            Invalid::NotAnInteger => "entier_invalide",
            Invalid::NotABoolean => "booleen_invalide",
            Invalid::NotAMonth => "mois_invalide",
        }
    }

    /// What the user should write instead (French).
    pub fn hint(self) -> &'static str {
        match self {
            Invalid::NotADate => {
                "date illisible : écrivez-la au format JJ/MM/AAAA (31/12/2023) ou AAAA-MM-JJ, ou utilisez une cellule au format date"
            }
            Invalid::DateOutOfRange => {
                "date hors de la plage plausible (1900–2100) : vérifiez l'année"
            }
            Invalid::NotANumber => {
                "nombre illisible : écrivez un nombre (virgule décimale acceptée, ex. 1 240,5), ou ND / NR s'il est inconnu"
            }
            Invalid::NotAnInteger => "un nombre entier est attendu (ex. 2023)",
            Invalid::NotABoolean => {
                "réponse attendue : oui / non (ou x pour oui, case vide pour non renseigné)"
            }
            Invalid::NotAMonth => "mois attendu : 1 à 12, un nom de mois (janvier…) ou une date",
        }
    }
}

/// Outcome of interpreting one cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Value(Value),
    Missing(Missing),
    Invalid(Invalid),
}

const MISSING_MARKERS: &[&str] = &[
    "-", "–", "—", "/", "NR", "ND", "NC", "NS", "N.D.", "N.R.", "N.C.", "N/A", "NA", "?", "..",
    "...",
];

/// Markers of a withheld or unavailable figure that only mean « missing » in a numeric
/// cell (a text field may hold `S` or `C` as a real value): `s`/`se`/`ss` (secret
/// statistique, INSEE and DREES), `c` (confidentiel), `n` (DREES, non significatif), `x`,
/// `np` (non publié).
const NUMERIC_MARKERS: &[&str] = &["S", "SE", "SS", "C", "N", "X", "NP", "SECRET", "(S)", "S."];

/// Returns the normalised marker when `s` is a missing-value marker.
pub fn missing_marker(s: &str) -> Option<String> {
    marker_in(s, MISSING_MARKERS, MISSING_LONGEST)
}

/// Characters of the longest entry of [`MISSING_MARKERS`] (« N.D. »), and of
/// [`NUMERIC_MARKERS`] (« SECRET »): every text cell is asked, so they are not counted
/// each time (a unit test checks them).
const MISSING_LONGEST: usize = 4;
const NUMERIC_LONGEST: usize = 6;

/// Returns the normalised marker when `s` marks a withheld figure in a numeric cell
/// (`s` for secret statistique…); never applied to text fields.
pub fn numeric_marker(s: &str) -> Option<String> {
    marker_in(s, NUMERIC_MARKERS, NUMERIC_LONGEST)
}

/// The entry of `markers` that `s` is, cleaned and in upper case. Every cell of a text
/// column is asked, so a text with more visible characters than the longest marker is
/// answered without cleaning it: cleaning only removes spaces and upper case never
/// shortens a character, so such a text cannot become a marker.
fn marker_in(s: &str, markers: &[&str], longest: usize) -> Option<String> {
    let space = |c: char| c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}';
    let visible = s.chars().filter(|&c| !space(c)).take(longest + 1).count();
    if visible > longest {
        return None;
    }
    // No marker holds a space: a trimmed ASCII text compares as it is, without
    // allocating (upper case of ASCII is ASCII's own, and a marker outside ASCII, such
    // as a dash, can never equal an ASCII text).
    let trimmed = s.trim_matches(space);
    if trimmed.is_ascii() {
        return markers
            .iter()
            .find(|m| m.eq_ignore_ascii_case(trimmed))
            .map(|m| m.to_string());
    }
    let t = clean_text(s).to_uppercase();
    markers.contains(&t.as_str()).then_some(t)
}

/// Interprets `cell` as a value of `kind`. `is_1904` tells how to read plain numbers in a
/// date column (the workbook's date system).
pub fn parse(cell: &Cell, kind: Kind, is_1904: bool) -> Parsed {
    match cell {
        Cell::Empty => Parsed::Missing(Missing::Empty),
        Cell::Error(e) => Parsed::Missing(Missing::ErrorCell(e.clone())),
        Cell::Text(s) => {
            let t = crate::text::clean_text_cow(s);
            if t.is_empty() {
                return Parsed::Missing(Missing::Empty);
            }
            if let Some(m) = missing_marker(&t) {
                return Parsed::Missing(Missing::Marker(m));
            }
            if matches!(kind, Kind::Number | Kind::Integer)
                && let Some(m) = numeric_marker(&t)
            {
                return Parsed::Missing(Missing::Marker(m));
            }
            if t.starts_with('#') && t.ends_with(['!', 'A', '?']) && t.len() <= 8 {
                // ODS gives formula errors back as their displayed text.
                let up = t.to_uppercase();
                if [
                    "#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#VALEUR!",
                    "#NOM?", "#NOMBRE!",
                ]
                .contains(&up.as_str())
                {
                    return Parsed::Missing(Missing::ErrorCell(up));
                }
            }
            parse_text(&t, kind)
        }
        Cell::Number(n) => parse_number(*n, kind, is_1904),
        Cell::Bool(b) => match kind {
            Kind::Bool => Parsed::Value(Value::Bool(*b)),
            Kind::Text => Parsed::Value(Value::Text(if *b { "oui" } else { "non" }.into())),
            Kind::Integer | Kind::Number => Parsed::Invalid(Invalid::NotANumber),
            Kind::Date => Parsed::Invalid(Invalid::NotADate),
            Kind::Month => Parsed::Invalid(Invalid::NotAMonth),
        },
        Cell::Date(d) => date_as(kind, *d),
        Cell::IsoDate(s) => match parse_date_text(s) {
            Some(d) => date_as(kind, d),
            None => Parsed::Invalid(Invalid::NotADate),
        },
    }
}

fn date_as(kind: Kind, d: NaiveDate) -> Parsed {
    match kind {
        Kind::Date => check_date(d),
        Kind::Month => Parsed::Value(Value::Month {
            month: d.month(),
            year: Some(d.year()),
        }),
        Kind::Text => Parsed::Value(Value::Text(d.format("%d/%m/%Y").to_string())),
        Kind::Integer | Kind::Number => Parsed::Invalid(Invalid::NotANumber),
        Kind::Bool => Parsed::Invalid(Invalid::NotABoolean),
    }
}

fn check_date(d: NaiveDate) -> Parsed {
    if (1900..=2100).contains(&d.year()) {
        Parsed::Value(Value::Date(d))
    } else {
        Parsed::Invalid(Invalid::DateOutOfRange)
    }
}

fn parse_number(n: f64, kind: Kind, is_1904: bool) -> Parsed {
    if !n.is_finite() {
        return Parsed::Invalid(Invalid::NotANumber);
    }
    match kind {
        Kind::Number => Parsed::Value(Value::Number(n)),
        Kind::Integer => {
            if n.fract() == 0.0 && n.abs() < 9e15 {
                Parsed::Value(Value::Integer(n as i64))
            } else {
                Parsed::Invalid(Invalid::NotAnInteger)
            }
        }
        Kind::Text => Parsed::Value(Value::Text(Cell::Number(n).as_text().unwrap_or_default())),
        Kind::Bool => match n {
            1.0 => Parsed::Value(Value::Bool(true)),
            0.0 => Parsed::Value(Value::Bool(false)),
            _ => Parsed::Invalid(Invalid::NotABoolean),
        },
        Kind::Month => {
            if n.fract() == 0.0 && (1.0..=12.0).contains(&n) {
                Parsed::Value(Value::Month {
                    month: n as u32,
                    year: None,
                })
            } else if n > 366.0 {
                // An Excel serial in a month column formatted as a number.
                match excel_serial_to_date(n, is_1904) {
                    Some(d) => date_as(Kind::Month, d),
                    None => Parsed::Invalid(Invalid::NotAMonth),
                }
            } else {
                Parsed::Invalid(Invalid::NotAMonth)
            }
        }
        Kind::Date => match excel_serial_to_date(n, is_1904) {
            Some(d) => check_date(d),
            None => Parsed::Invalid(Invalid::DateOutOfRange),
        },
    }
}

fn parse_text(t: &str, kind: Kind) -> Parsed {
    match kind {
        Kind::Text => Parsed::Value(Value::Text(t.to_string())),
        Kind::Date => match parse_date_text(t) {
            Some(d) => check_date(d),
            None => Parsed::Invalid(Invalid::NotADate),
        },
        Kind::Number => match parse_decimal(t) {
            Some(n) => Parsed::Value(Value::Number(n)),
            None => Parsed::Invalid(Invalid::NotANumber),
        },
        Kind::Integer => match parse_decimal(t) {
            Some(n) if n.fract() == 0.0 && n.abs() < 9e15 => {
                Parsed::Value(Value::Integer(n as i64))
            }
            Some(_) => Parsed::Invalid(Invalid::NotAnInteger),
            None => Parsed::Invalid(Invalid::NotAnInteger),
        },
        Kind::Bool => match parse_bool(t) {
            Some(b) => Parsed::Value(Value::Bool(b)),
            None => Parsed::Invalid(Invalid::NotABoolean),
        },
        Kind::Month => {
            if let Some(m) = parse_month_name(t) {
                return Parsed::Value(Value::Month {
                    month: m,
                    year: None,
                });
            }
            if let Some(n) = parse_decimal(t)
                && n.fract() == 0.0
                && (1.0..=12.0).contains(&n)
            {
                return Parsed::Value(Value::Month {
                    month: n as u32,
                    year: None,
                });
            }
            if let Some(d) = parse_date_text(t) {
                return date_as(Kind::Month, d);
            }
            if let Some((m, y)) = parse_month_year(t) {
                return Parsed::Value(Value::Month {
                    month: m,
                    year: Some(y),
                });
            }
            Parsed::Invalid(Invalid::NotAMonth)
        }
    }
}

/// Converts an Excel serial day number to a date, in the 1900 system (with Lotus's
/// phantom 29 February 1900) or the 1904 system. The time part is ignored.
pub fn excel_serial_to_date(serial: f64, is_1904: bool) -> Option<NaiveDate> {
    if !serial.is_finite() || !(0.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let (base, offset) = if is_1904 {
        (NaiveDate::from_ymd_opt(1904, 1, 1)?, days)
    } else if days >= 61 {
        (NaiveDate::from_ymd_opt(1899, 12, 30)?, days)
    } else {
        if days == 60 || days == 0 {
            return None; // 29/02/1900 does not exist; 0 is "00/01/1900"
        }
        (NaiveDate::from_ymd_opt(1899, 12, 31)?, days)
    };
    base.checked_add_signed(chrono::Duration::days(offset))
}

/// Parses French and ISO date text: `31/12/2023`, `31-12-2023`, `31.12.2023`,
/// `2023-12-31`, `2023/12/31`, `31/12/23`, and ISO date-times (time ignored).
pub fn parse_date_text(t: &str) -> Option<NaiveDate> {
    let t = t.trim();
    let head = t.split(['T', ' ']).next().unwrap_or(t);
    let parts: Vec<&str> = head.split(['/', '-', '.']).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let nums: Vec<i64> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    if nums.len() != 3 {
        return None;
    }
    let (y, m, d) = if parts[0].len() == 4 {
        (nums[0], nums[1], nums[2])
    } else if parts[2].len() == 4 {
        (nums[2], nums[1], nums[0])
    } else if parts[2].len() == 2 {
        // Two-digit years: 00–49 → 2000s, 50–99 → 1900s.
        let yy = nums[2];
        (
            if yy < 50 { 2000 + yy } else { 1900 + yy },
            nums[1],
            nums[0],
        )
    } else {
        return None;
    };
    NaiveDate::from_ymd_opt(
        i32::try_from(y).ok()?,
        u32::try_from(m).ok()?,
        u32::try_from(d).ok()?,
    )
}

/// Parses a number written the French or the English way: `1 240,5`, `1.240,5`,
/// `1,240.5`, `94,2 %`, `-3`.
pub fn parse_decimal(t: &str) -> Option<f64> {
    let mut s: String = t
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}' && *c != '\'')
        .collect();
    if let Some(stripped) = s.strip_suffix('%') {
        s = stripped.to_string();
    }
    if s.is_empty() {
        return None;
    }
    let has_comma = s.contains(',');
    let has_dot = s.contains('.');
    let normalised = match (has_comma, has_dot) {
        (true, true) => {
            if s.rfind(',') > s.rfind('.') {
                s.replace('.', "").replace(',', ".")
            } else {
                s.replace(',', "")
            }
        }
        (true, false) => {
            if s.matches(',').count() > 1 {
                return None;
            }
            s.replace(',', ".")
        }
        _ => s,
    };
    if !normalised.bytes().all(|b| {
        b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+' || b == b'e' || b == b'E'
    }) {
        return None;
    }
    normalised.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `oui/non`, `o/n`, `x`, `vrai/faux`, `1/0`, `yes/no`, `true/false`.
pub fn parse_bool(t: &str) -> Option<bool> {
    match fold(t).as_str() {
        "OUI" | "O" | "X" | "VRAI" | "1" | "YES" | "Y" | "TRUE" => Some(true),
        "NON" | "N" | "FAUX" | "0" | "NO" | "FALSE" => Some(false),
        _ => None,
    }
}

const MONTHS: [&[&str]; 12] = [
    &["JANVIER", "JANV", "JAN"],
    &["FEVRIER", "FEVR", "FEV"],
    &["MARS", "MAR"],
    &["AVRIL", "AVR"],
    &["MAI"],
    &["JUIN"],
    &["JUILLET", "JUIL"],
    &["AOUT", "AOU"],
    &["SEPTEMBRE", "SEPT", "SEP"],
    &["OCTOBRE", "OCT"],
    &["NOVEMBRE", "NOV"],
    &["DECEMBRE", "DEC"],
];

/// French month names and their usual abbreviations, any case and accents.
pub fn parse_month_name(t: &str) -> Option<u32> {
    let f = fold(t);
    let f = f.trim_end_matches('.');
    MONTHS
        .iter()
        .position(|names| names.contains(&f))
        .map(|i| i as u32 + 1)
}

/// `janv-21`, `janvier 2021`, `01/2021`, `2021-01`.
fn parse_month_year(t: &str) -> Option<(u32, i32)> {
    let parts: Vec<&str> = t
        .split(['-', ' ', '/', '.'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 2 {
        return None;
    }
    let year = |s: &str| -> Option<i32> {
        let y: i32 = s.parse().ok()?;
        match s.len() {
            2 => Some(2000 + y),
            4 => Some(y),
            _ => None,
        }
    };
    if let (Some(m), Some(y)) = (parse_month_name(parts[0]), year(parts[1])) {
        return Some((m, y));
    }
    if let (Ok(m), Some(y)) = (parts[0].parse::<u32>(), year(parts[1]))
        && (1..=12).contains(&m)
    {
        return Some((m, y));
    }
    if parts[0].len() == 4
        && let (Some(y), Ok(m)) = (year(parts[0]), parts[1].parse::<u32>())
        && (1..=12).contains(&m)
    {
        return Some((m, y));
    }
    None
}

#[cfg(test)]
mod tests;
