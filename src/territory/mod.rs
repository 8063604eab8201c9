//! French territories from a reference, not from guesses. Owns the committed table of
//! territories (INSEE's Code officiel géographique, `territoires.csv`, licence Ouverte
//! 2.0 — see `SOURCE.md` next to it) and the one function that reads a territory written
//! in any common form (`01`, `1`, `01-Ain`, `01 - Ain`, `Ain`, `AIN`, `20A`, `2a`, `971`,
//! `Guadeloupe`, `France entière`…) into a typed [`Recognised`] territory.
//!
//! Every stage that meets a territory uses this module: the reference tables (DREES,
//! INSEE), the services' `departement`, the residence of the accompaniments (reduced to
//! its département or région before anything leaves a partner), and the names shown in
//! the reports (`Cantal (15)`).
//!
//! Corsica: the départements are `2A` (Corse-du-Sud) and `2B` (Haute-Corse); `20` is the
//! historical département (before 1976), which DREES still uses for the Collectivité de
//! Corse: it is recognised as [`Level::HistoricalCorsica`], the union of 2A and 2B, and
//! must never be counted beside them.

use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

/// The committed table (COG), embedded in the binary.
const TABLE: &str = include_str!("territoires.csv");

/// Kind of a territory of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// One of the 101 départements (01–19, 2A, 2B, 21–95, 971–974, 976).
    Department,
    /// `20`, Corse before 1976 and as DREES aggregates it: the union of 2A and 2B.
    HistoricalCorsica,
    /// A part of a département published on its own (`69D`, `69M` of the Rhône).
    DepartmentPart,
    /// One of the 18 régions.
    Region,
    /// A collectivité d'outre-mer (975, 977, 978, 986, 987, 988): not a département.
    OverseasCollectivity,
}

impl Level {
    fn from_id(id: &str) -> Option<Level> {
        Some(match id {
            "departement" => Level::Department,
            "corse_historique" => Level::HistoricalCorsica,
            "partie_departement" => Level::DepartmentPart,
            "region" => Level::Region,
            "collectivite_outre_mer" => Level::OverseasCollectivity,
            _ => return None,
        })
    }

    /// French noun, for messages: « un département », « une région »…
    pub fn noun(self) -> &'static str {
        match self {
            Level::Department => "un département",
            Level::HistoricalCorsica => "l'ancien département de Corse (20)",
            Level::DepartmentPart => "une partie de département",
            Level::Region => "une région",
            Level::OverseasCollectivity => "une collectivité d'outre-mer",
        }
    }
}

/// One territory of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Territory {
    pub level: Level,
    /// COG code: `01`, `2A`, `971`, `84` (région), `975`…
    pub code: &'static str,
    /// COG name, with its accents and hyphens: `Côte-d'Or`, `La Réunion`.
    pub name: &'static str,
    /// Code of the région of a département (or of a part of one, or of `20`).
    pub region: Option<&'static str>,
}

impl Territory {
    /// `Cantal (15)`.
    pub fn display(&self) -> String {
        format!("{} ({})", self.name, self.code)
    }

    /// A département, or the historical `20` that stands for Corsica as a whole.
    pub fn is_department_like(&self) -> bool {
        matches!(self.level, Level::Department | Level::HistoricalCorsica)
    }
}

/// What a total row covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalScope {
    /// France entière (with or without Mayotte), « Ensemble », « Total ».
    France,
    /// France métropolitaine.
    Metropolitan,
    /// Départements et régions d'outre-mer.
    Overseas,
}

/// A territory as read from a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recognised {
    Known(&'static Territory),
    /// France, France métropolitaine, DROM, Total…
    Total(TotalScope),
    /// A code and a name in one cell (`01 - Aisne`) that name two different territories.
    Conflict,
    /// Neither a code nor a name of the table.
    Unknown,
}

impl Recognised {
    /// The territory when it is a département (or the historical `20`).
    pub fn department(self) -> Option<&'static Territory> {
        match self {
            Recognised::Known(t) if t.is_department_like() => Some(t),
            _ => None,
        }
    }
}

fn parse_table() -> Vec<Territory> {
    let mut out = Vec::new();
    for line in TABLE.lines().skip(1) {
        let mut parts = line.splitn(4, ',');
        let (Some(level), Some(code), Some(region), Some(name)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Some(level) = Level::from_id(level) else {
            continue;
        };
        out.push(Territory {
            level,
            code,
            name,
            region: (!region.is_empty()).then_some(region),
        });
    }
    out
}

/// Every territory of the table.
pub fn all() -> &'static [Territory] {
    static CELL: OnceLock<Vec<Territory>> = OnceLock::new();
    CELL.get_or_init(parse_table)
}

/// Name index: folded name (and a few common variants) → territory. Départements come
/// before régions, so a name shared by both (`Guadeloupe`) gives the département.
fn names() -> &'static [(String, &'static Territory)] {
    static CELL: OnceLock<Vec<(String, &'static Territory)>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut v: Vec<(String, &'static Territory)> = Vec::new();
        let mut ordered: Vec<&'static Territory> = all().iter().collect();
        ordered.sort_by_key(|t| t.level);
        for t in ordered {
            let key = fold(t.name);
            let mut keys = vec![key.clone()];
            // « La Réunion » is often written « Réunion ».
            if let Some(rest) = key.strip_prefix("LA ") {
                keys.push(rest.to_string());
            }
            if t.level == Level::HistoricalCorsica {
                keys.push("COLLECTIVITE DE CORSE".into());
            }
            if t.code == "69M" {
                keys.push("METROPOLE DE LYON".into());
                keys.push("RHONE METROPOLE DE LYON".into());
            }
            if t.code == "69D" {
                keys.push("RHONE HORS METROPOLE DE LYON".into());
                keys.push("RHONE HORS METROPOLE".into());
            }
            for k in keys {
                if !v.iter().any(|(n, _)| *n == k) {
                    v.push((k, t));
                }
            }
        }
        v
    })
}

/// Folds a name for comparison: no accents, upper case, every run of punctuation and
/// spaces one space, `ST`/`STE` read as `SAINT`/`SAINTE`. `Côte-d'Or` → `COTE D OR`.
pub fn fold(s: &str) -> String {
    let plain: String = s
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_uppercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    plain
        .split_whitespace()
        .map(|w| match w {
            "ST" => "SAINT",
            "STE" => "SAINTE",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The département (or historical `20`) of canonical code `code` (`01`, `2A`, `971`).
pub fn department(code: &str) -> Option<&'static Territory> {
    all()
        .iter()
        .find(|t| t.is_department_like() && t.code == code)
}

/// The région of canonical code `code` (`84`, `01`).
pub fn region(code: &str) -> Option<&'static Territory> {
    all()
        .iter()
        .find(|t| t.level == Level::Region && t.code == code)
}

/// Any territory of the table by canonical code, départements first (`01` is Ain, not
/// the région Guadeloupe).
pub fn by_code(code: &str) -> Option<&'static Territory> {
    let mut found: Vec<&'static Territory> = all().iter().filter(|t| t.code == code).collect();
    found.sort_by_key(|t| t.level);
    found.first().copied()
}

/// The région code of a département code (`15` → `84`, `20` → `94`).
pub fn region_of(department_code: &str) -> Option<&'static str> {
    all()
        .iter()
        .find(|t| {
            matches!(
                t.level,
                Level::Department | Level::HistoricalCorsica | Level::DepartmentPart
            ) && t.code == department_code
        })
        .and_then(|t| t.region)
}

/// The name shown in reports for a département code: `Cantal (15)`; an unknown code
/// is shown as written, with « département ».
pub fn department_display(code: &str) -> String {
    match all()
        .iter()
        .find(|t| t.code == code && t.level != Level::Region)
    {
        Some(t) => t.display(),
        None => format!("Département {code}"),
    }
}

/// How codes are read: a two-digit code is a département (`84` Vaucluse) or a région
/// (`84` Auvergne-Rhône-Alpes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeSpace {
    Departments,
    Regions,
}

/// Reads a territory written in any common form, codes read as département codes:
/// `01`, `1`, `001`, `01-Ain`, `01 - Ain`, `Ain (01)`, `Ain`, `AIN`, `20A`/`2a` → `2A`,
/// `20` → the historical Corse, `971`, `Guadeloupe`, `975` → a collectivité d'outre-mer,
/// `France entière`/`Total` → a total.
pub fn recognise(text: &str) -> Recognised {
    recognise_in(text, CodeSpace::Departments)
}

/// As [`recognise`], codes read as région codes (`84`, `01`–`06`, DREES's `101`–`106`
/// and `1`–`6` for the overseas régions); names of départements are still recognised.
pub fn recognise_region(text: &str) -> Recognised {
    recognise_in(text, CodeSpace::Regions)
}

fn recognise_in(text: &str, space: CodeSpace) -> Recognised {
    let t = text.trim();
    if t.is_empty() {
        return Recognised::Unknown;
    }
    if let Some(found) = code(t, space) {
        return found;
    }
    // A code and a name in one cell: `01-Ain`, `01 - Ain`, `2A Corse-du-Sud`, or the
    // name first, `Ain (01)`, `Ain - 01`.
    if let Some((c, name)) = split_code_name(t) {
        let by_code = code(&c, space);
        if let Some(Recognised::Known(tc)) = by_code {
            // A footnote mark after the code (`974 (1)`, `976*`) is not a name.
            if !fold(&name).chars().any(char::is_alphabetic) {
                return Recognised::Known(tc);
            }
            return match by_name(&name) {
                Some(Recognised::Known(tn)) if tn.code == tc.code => Recognised::Known(tc),
                // DREES writes `Corse` beside 20; INSEE's 2A/2B names are checked above.
                Some(Recognised::Known(tn))
                    if tc.level == Level::HistoricalCorsica && tn.code == "94" =>
                {
                    Recognised::Known(tc)
                }
                // The same name for a DROM département and its région.
                Some(Recognised::Known(tn)) if tn.name == tc.name => Recognised::Known(tc),
                _ => Recognised::Conflict,
            };
        }
    }
    by_name(t).unwrap_or(Recognised::Unknown)
}

/// A cell that is only a code.
fn code(t: &str, space: CodeSpace) -> Option<Recognised> {
    let up = t.trim().to_uppercase();
    // Numbers written by a spreadsheet: `1.0`, `1,0`.
    let up = up
        .strip_suffix(".0")
        .or_else(|| up.strip_suffix(",0"))
        .unwrap_or(&up)
        .to_string();
    let known = |c: &str| -> Option<Recognised> { by_code_in(c, space).map(Recognised::Known) };
    match up.as_str() {
        "2A" | "20A" | "02A" => return known("2A").or(Some(Recognised::Unknown)),
        "2B" | "20B" | "02B" => return known("2B").or(Some(Recognised::Unknown)),
        "69D" | "69M" => return known(&up),
        _ => {}
    }
    if up.is_empty() || up.len() > 3 || !up.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: u32 = up.parse().ok()?;
    let canonical = match space {
        CodeSpace::Departments => match n {
            1..=95 if up.len() <= 2 || up.starts_with('0') => format!("{n:02}"),
            970..=999 => n.to_string(),
            _ => return Some(Recognised::Unknown),
        },
        CodeSpace::Regions => match n {
            // DREES numbers the overseas régions 1–4 or 101–104 (and 6/106 Mayotte).
            1..=6 if up.len() == 1 => format!("{n:02}"),
            101..=106 => format!("{:02}", n - 100),
            1..=99 if up.len() <= 2 || up.starts_with('0') => format!("{n:02}"),
            _ => return Some(Recognised::Unknown),
        },
    };
    Some(known(&canonical).unwrap_or(Recognised::Unknown))
}

fn by_code_in(c: &str, space: CodeSpace) -> Option<&'static Territory> {
    match space {
        CodeSpace::Departments => {
            let mut found: Vec<&'static Territory> = all()
                .iter()
                .filter(|t| t.code == c && t.level != Level::Region)
                .collect();
            found.sort_by_key(|t| t.level);
            found.first().copied()
        }
        CodeSpace::Regions => region(c),
    }
}

/// `01-Ain`, `01 - Ain`, `2A Corse-du-Sud` → (`01`, `Ain`); `Ain (01)`, `Ain - 01` →
/// (`01`, `Ain`).
fn split_code_name(t: &str) -> Option<(String, String)> {
    let is_sep = |c: char| c.is_whitespace() || matches!(c, '-' | '–' | '—' | ':' | '.' | '_');
    let lead: String = t
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let looks_like_code = |s: &str| {
        !s.is_empty() && s.len() <= 3 && s.chars().next().is_some_and(|c| c.is_ascii_digit())
    };
    if looks_like_code(&lead) {
        // The lead takes every letter and digit, so what follows starts with a separator
        // or a mark: `01-Ain`, `01 Ain`, `976*`.
        let rest = t[lead.len()..].trim_start_matches(is_sep);
        if !rest.is_empty() {
            return Some((lead, rest.to_string()));
        }
    }
    // Name first: `Ain (01)` or `Ain - 01`.
    let trimmed = t.trim_end_matches(|c: char| c == ')' || c.is_whitespace());
    let tail: String = trimmed
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    // A single digit after a name is a footnote (`Mayotte (1)`), not a code.
    if looks_like_code(&tail) && tail.len() >= 2 {
        let head =
            trimmed[..trimmed.len() - tail.len()].trim_end_matches(|c: char| is_sep(c) || c == '(');
        if !head.is_empty() && head.len() < trimmed.len() - tail.len() {
            return Some((tail, head.to_string()));
        }
    }
    None
}

/// A cell that is a name (or a total).
fn by_name(t: &str) -> Option<Recognised> {
    let mut key = fold(t);
    // A footnote number after the name (`Mayotte (1)`, `Paris 2`) is not part of it.
    while let Some((head, last)) = key.rsplit_once(' ')
        && last.len() <= 2
        && last.chars().all(|c| c.is_ascii_digit())
    {
        key = head.to_string();
    }
    if key.is_empty() {
        return None;
    }
    if let Some((_, terr)) = names().iter().find(|(n, _)| *n == key) {
        return Some(Recognised::Known(terr));
    }
    total_scope(&key).map(Recognised::Total)
}

fn total_scope(key: &str) -> Option<TotalScope> {
    let words: Vec<&str> = key.split(' ').collect();
    let has = |w: &str| words.contains(&w);
    let is_total = has("TOTAL")
        || has("FRANCE")
        || has("ENSEMBLE")
        || key == "METROPOLE"
        || key == "DROM"
        || key == "DOM"
        || key == "OUTRE MER";
    if !is_total {
        return None;
    }
    Some(if key.contains("METROPOL") {
        TotalScope::Metropolitan
    } else if has("DROM") || has("DOM") || key.contains("OUTRE MER") {
        TotalScope::Overseas
    } else {
        TotalScope::France
    })
}

/// The département of a residence as written in a file: a territory in any form
/// [`recognise`] reads, or a commune code or postal code (5 characters: `15014`,
/// `97411`, `2A004`, `20090`) that gives its département. Anything else (a commune
/// name, an address, a collectivité d'outre-mer) gives `None`.
pub fn department_of_residence(text: &str) -> Option<&'static Territory> {
    let r = text.trim().to_uppercase();
    if r.len() == 5 && r.is_ascii() {
        if r.starts_with("2A") || r.starts_with("2B") {
            return r[2..]
                .chars()
                .all(|c| c.is_ascii_digit())
                .then(|| department(&r[..2]))
                .flatten();
        }
        if r.chars().all(|c| c.is_ascii_digit()) {
            if r.starts_with("97") {
                return department(&r[..3]).filter(|t| t.level == Level::Department);
            }
            if r.starts_with("20") {
                // Postal codes of Corsica: 200xx–201xx Corse-du-Sud, 202xx–206xx
                // Haute-Corse.
                return department(if r.as_bytes()[2] <= b'1' { "2A" } else { "2B" });
            }
            return department(&r[..2]);
        }
        return None;
    }
    recognise(&r).department()
}

#[cfg(test)]
mod tests;
