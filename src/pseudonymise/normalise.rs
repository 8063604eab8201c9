//! Normalisation of identity fields before keying. Every rule is documented and tested:
//! names — Unicode NFKD, combining accents removed, œ/æ/ß spelled out, upper case, only
//! A–Z kept (hyphens, spaces, apostrophes, digits dropped), so NFC and NFD inputs agree;
//! dates — reduced to what a key uses (full date, month and year, or year); sex — F / M.

use chrono::{Datelike, NaiveDate};
use unicode_normalization::UnicodeNormalization;

/// `Marie-Ève` and `MARIE EVE` give `MARIEEVE`; `N'Diaye` gives `NDIAYE`; `Lætitia`
/// gives `LAETITIA`; `Strauß` gives `STRAUSS`.
pub fn name(s: &str) -> String {
    // ASCII is its own decomposition: most names are read without one.
    if s.is_ascii() {
        return s
            .bytes()
            .filter(u8::is_ascii_alphabetic)
            .map(|b| char::from(b.to_ascii_uppercase()))
            .collect();
    }
    decomposed(s)
}

/// [`name`] through the compatibility decomposition of every character.
fn decomposed(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd() {
        match c {
            'œ' | 'Œ' => out.push_str("OE"),
            'æ' | 'Æ' => out.push_str("AE"),
            'ß' => out.push_str("SS"),
            'ø' | 'Ø' => out.push('O'),
            'đ' | 'Đ' => out.push('D'),
            'ł' | 'Ł' => out.push('L'),
            c if c.is_ascii_alphabetic() => out.push(c.to_ascii_uppercase()),
            _ => {}
        }
    }
    out
}

/// Whether `mother` (a name as [`name`] gives it) is one part of the double surname
/// `surname` as written — its parts are what spaces and hyphens separate — or one slip
/// from one (a letter substituted, added or dropped, or two neighbours swapped, in names
/// of four letters or more). A mother's name written as one part of her child's double
/// surname is her maiden name or her married one (the father's part): either way it
/// says nothing of her that the surname does not (docs/architecture.md, « Twin guard
/// and surname floors »). A surname of one part has none: `false`. Linear in the
/// lengths, whatever a cell holds.
pub fn is_part_of_double_surname(surname: &str, mother: &str) -> bool {
    if mother.is_empty() || !surname.contains(separates_parts) {
        return false;
    }
    let parts: Vec<String> = surname
        .split(separates_parts)
        .map(name)
        .filter(|p| !p.is_empty())
        .collect();
    parts.len() >= 2
        && parts
            .iter()
            .any(|p| p == mother || (p.len().min(mother.len()) >= 4 && one_edit_apart(p, mother)))
}

/// Whether `c` separates the parts of a compound name as written: a space, or a hyphen
/// or dash whatever the keyboard typed (`-`, the Unicode hyphens and dashes U+2010 to
/// U+2015, the minus sign, the small and full-width hyphen-minus), which [`name`] removes.
fn separates_parts(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}'
        )
}

/// Whether a first name as written is compound: two parts or more, separated by spaces
/// or hyphens (`Jean-Baptiste`, `Marie Ève`; [`separates_parts`]), each with a letter.
/// Its first part is the usual first name a record may give alone (`Jean`); a name of
/// one part shortened is another name (`Gaël` is not `Gabriel`).
pub fn is_compound(first_name: &str) -> bool {
    first_name
        .split(separates_parts)
        .filter(|p| p.chars().any(char::is_alphabetic))
        .nth(1)
        .is_some()
}

/// Whether two names differ by at most one letter substituted, added or dropped, or
/// two neighbours swapped (the optimal string alignment distance is at most 1), in one
/// pass over their bytes (names as [`name`] gives them are ASCII).
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let p = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if p == short.len() {
        return true;
    }
    if short.len() < long.len() {
        // One letter added: the rest of the shorter is the longer after it.
        return short[p..] == long[p + 1..];
    }
    // Same length: one letter substituted, or two neighbours swapped.
    short[p + 1..] == long[p + 1..]
        || (p + 1 < short.len()
            && short[p] == long[p + 1]
            && short[p + 1] == long[p]
            && short[p + 2..] == long[p + 2..])
}

/// How much of a birth date a key uses.
#[derive(Clone, Copy)]
pub enum DatePart {
    /// `YYYY-MM-DD`.
    Day,
    /// `YYYY-MM` (the D226-3-4 key uses month and year of birth only).
    Month,
    /// `YYYY`.
    Year,
}

/// Appends `d` to `out` in the form of `part` (pseudonymisation writes every row's
/// dates into one reused buffer).
pub fn write_date(d: NaiveDate, part: DatePart, out: &mut String) {
    use std::fmt::Write;
    let _ = match part {
        DatePart::Day => write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        DatePart::Month => write!(out, "{:04}-{:02}", d.year(), d.month()),
        DatePart::Year => write!(out, "{:04}", d.year()),
    };
}

/// Sex as `F` or `M` from the usual spellings (F, M, G for garçon, H, 1, 2, fille…).
pub fn sex(s: &str) -> Option<char> {
    match name(s).as_str() {
        "F" | "FILLE" | "FEMININ" | "FEMME" | "2" => Some('F'),
        "M" | "G" | "H" | "GARCON" | "MASCULIN" | "HOMME" => Some('M'),
        _ => match s.trim() {
            "1" => Some('M'),
            "2" => Some('F'),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        assert_eq!(name("Marie-Ève"), "MARIEEVE");
        assert_eq!(name("marie eve"), "MARIEEVE");
        assert_eq!(name("N'Diaye"), "NDIAYE");
        assert_eq!(name("N’Diaye"), "NDIAYE");
        assert_eq!(name("Lætitia"), "LAETITIA");
        assert_eq!(name("Cœur"), "COEUR");
        assert_eq!(name("Strauß"), "STRAUSS");
        assert_eq!(name("Ça"), "CA");
        assert_eq!(name("  Le Goff  "), "LEGOFF");
        assert_eq!(name("Dupont 2"), "DUPONT");
        assert_eq!(name("ﬁlle"), "FILLE"); // compatibility ligature (NFKD)
        assert_eq!(name("Søren"), "SOREN");
        assert_eq!(name(""), "");
        // NFC and NFD spellings of the same name.
        assert_eq!(name("H\u{e9}l\u{e8}ne"), name("He\u{301}le\u{300}ne"));
        assert_eq!(name("H\u{e9}l\u{e8}ne"), "HELENE");
    }

    #[test]
    fn a_mother_written_as_one_part_of_a_double_surname() {
        let part = is_part_of_double_surname;
        assert!(part("Dumont Diarra", "DIARRA"));
        assert!(part("Dumont-Diarra", "DUMONT"));
        // One slip in the surname's part, or in the mother's name.
        assert!(part("Dummont Diarra", "DUMONT"));
        assert!(part("Petit Fontaien", "FONTAINE"));
        assert!(part("  Morin   Moreau ", "MOREAU"));
        // Short parts only as written.
        assert!(part("Roy Diarra", "ROY"));
        assert!(!part("Roy Diarra", "RAY"));
        // Not a part: another name, the whole surname, a surname of one part.
        assert!(!part("Dumont Diarra", "DURAND"));
        assert!(!part("Dumont Diarra", "DUMONTDIARRA"));
        assert!(!part("Dumont", "DUMONT"));
        assert!(!part("Martinez", "MARTIN"));
        assert!(!part("Dumont Diarra", ""));
        assert!(!part(" - ", "DUMONT"));
        // Whatever hyphen or dash the keyboard typed.
        assert!(part("Dumont\u{2010}Diarra", "DIARRA"));
        assert!(part("Dumont\u{2013}Diarra", "DUMONT"));
        assert!(part("Dumont\u{FF0D}Diarra", "DIARRA"));
    }

    #[test]
    fn compound_first_names() {
        assert!(is_compound("Jean-Baptiste"));
        assert!(is_compound(" marie ève "));
        assert!(is_compound("Lou--Anne"));
        assert!(!is_compound("Gabriel"));
        assert!(!is_compound(" Léa - "));
        assert!(!is_compound(""));
        assert!(is_compound("Jean\u{2010}Baptiste"));
        assert!(is_compound("Jean\u{2011}Baptiste"));
        assert!(is_compound("Marie\u{2014}Ève"));
        assert!(is_compound("Jean\u{2212}Luc"));
    }

    proptest::proptest! {
        /// The one-pass test agrees with the optimal string alignment distance.
        #[test]
        fn one_edit_apart_is_an_alignment_distance_of_one(a in "[A-D]{0,7}", b in "[A-D]{0,7}") {
            proptest::prop_assert_eq!(one_edit_apart(&a, &b), strsim::osa_distance(&a, &b) <= 1);
        }
    }

    proptest::proptest! {
        /// Text in ASCII gives what its decomposition gives.
        #[test]
        fn ascii_is_read_as_its_decomposition(s in "[ -~]{0,24}") {
            proptest::prop_assert_eq!(name(&s), decomposed(&s));
        }
    }

    #[test]
    fn date_and_sex_rules() {
        let d = NaiveDate::from_ymd_opt(2012, 3, 7).unwrap();
        let written = |part| {
            let mut out = String::from(">");
            write_date(d, part, &mut out);
            out
        };
        assert_eq!(written(DatePart::Day), ">2012-03-07");
        assert_eq!(written(DatePart::Month), ">2012-03");
        assert_eq!(written(DatePart::Year), ">2012");
        assert_eq!(sex("F"), Some('F'));
        assert_eq!(sex("g"), Some('M'));
        assert_eq!(sex("Garçon"), Some('M'));
        assert_eq!(sex("2"), Some('F'));
        assert_eq!(sex("?"), None);
    }
}
