//! Generalisation of quasi-identifiers before anything leaves a partner: age and age
//! band at the reference date, residence reduced to the département, and the microdata
//! k-anonymity check (smallest group of records sharing the same quasi-identifiers).

use std::collections::HashMap;

use polars::prelude::*;

use crate::error::Error;
use crate::ingest::is_department_code;

/// Age reached at 31/12 of `year` by someone born in `birth_year`.
pub fn age_at_year_end(birth_year: i32, year: i32) -> i32 {
    year - birth_year
}

/// Label of the band containing `age`, from lower bounds `[0, 3, 6, 11, 16, 18, 21]`:
/// `0-2 ans`, …, `18-20 ans`, `21 ans et plus`.
pub fn age_band(age: i32, bounds: &[u32]) -> String {
    if age < 0 {
        return "avant la naissance".into();
    }
    let age = age as u32;
    let mut label = format!("moins de {} ans", bounds.first().copied().unwrap_or(0));
    for (i, lo) in bounds.iter().enumerate() {
        if age >= *lo {
            label = match bounds.get(i + 1) {
                Some(hi) if hi - 1 == *lo => format!("{lo} ans"),
                Some(hi) => format!("{lo}-{} ans", hi - 1),
                None => format!("{lo} ans et plus"),
            };
        }
    }
    label
}

pub const DEFAULT_AGE_BANDS: [u32; 7] = [0, 3, 6, 11, 16, 18, 21];

/// The département of a residence: a département code is kept; a commune code or postal
/// code (5 digits, or 2A/2B + 3) gives its département; anything else (a commune name,
/// an address) is dropped.
pub fn department_of(residence: &str) -> Option<String> {
    let r = residence.trim().to_uppercase();
    if is_department_code(&r) {
        return Some(r);
    }
    if r.len() == 1 && r.chars().all(|c| c.is_ascii_digit()) {
        return Some(format!("0{r}"));
    }
    if r.len() == 5 {
        if r.starts_with("2A") || r.starts_with("2B") {
            return Some(r[..2].to_string());
        }
        if r.chars().all(|c| c.is_ascii_digit()) {
            let three = &r[..3];
            if is_department_code(three) {
                return Some(three.to_string());
            }
            let two = &r[..2];
            if two == "20" {
                // Postal codes of Corsica: 200xx–201xx Corse-du-Sud, 202xx–206xx Haute-Corse.
                return Some(if r.as_bytes()[2] <= b'1' { "2A" } else { "2B" }.to_string());
            }
            if is_department_code(two) {
                return Some(two.to_string());
            }
        }
    }
    None
}

/// Territory level residences are reduced to before leaving a partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidenceLevel {
    Department,
    Region,
    /// Residence dropped altogether.
    None,
}

/// Département → région (INSEE codes since 2016; DROM regions 01–06).
const REGIONS: &[(&str, &str)] = &[
    ("01", "84"),
    ("02", "32"),
    ("03", "84"),
    ("04", "93"),
    ("05", "93"),
    ("06", "93"),
    ("07", "84"),
    ("08", "44"),
    ("09", "76"),
    ("10", "44"),
    ("11", "76"),
    ("12", "76"),
    ("13", "93"),
    ("14", "28"),
    ("15", "84"),
    ("16", "75"),
    ("17", "75"),
    ("18", "24"),
    ("19", "75"),
    ("20", "94"),
    ("2A", "94"),
    ("2B", "94"),
    ("21", "27"),
    ("22", "53"),
    ("23", "75"),
    ("24", "75"),
    ("25", "27"),
    ("26", "84"),
    ("27", "28"),
    ("28", "24"),
    ("29", "53"),
    ("30", "76"),
    ("31", "76"),
    ("32", "76"),
    ("33", "75"),
    ("34", "76"),
    ("35", "53"),
    ("36", "24"),
    ("37", "24"),
    ("38", "84"),
    ("39", "27"),
    ("40", "75"),
    ("41", "24"),
    ("42", "84"),
    ("43", "84"),
    ("44", "52"),
    ("45", "24"),
    ("46", "76"),
    ("47", "75"),
    ("48", "76"),
    ("49", "52"),
    ("50", "28"),
    ("51", "44"),
    ("52", "44"),
    ("53", "52"),
    ("54", "44"),
    ("55", "44"),
    ("56", "53"),
    ("57", "44"),
    ("58", "27"),
    ("59", "32"),
    ("60", "32"),
    ("61", "28"),
    ("62", "32"),
    ("63", "84"),
    ("64", "75"),
    ("65", "76"),
    ("66", "76"),
    ("67", "44"),
    ("68", "44"),
    ("69", "84"),
    ("70", "27"),
    ("71", "27"),
    ("72", "52"),
    ("73", "84"),
    ("74", "84"),
    ("75", "11"),
    ("76", "28"),
    ("77", "11"),
    ("78", "11"),
    ("79", "75"),
    ("80", "32"),
    ("81", "76"),
    ("82", "76"),
    ("83", "93"),
    ("84", "93"),
    ("85", "52"),
    ("86", "75"),
    ("87", "75"),
    ("88", "44"),
    ("89", "27"),
    ("90", "27"),
    ("91", "11"),
    ("92", "11"),
    ("93", "11"),
    ("94", "11"),
    ("95", "11"),
    ("971", "01"),
    ("972", "02"),
    ("973", "03"),
    ("974", "04"),
    ("976", "06"),
];

/// The région of a département code.
pub fn region_of(department: &str) -> Option<&'static str> {
    REGIONS
        .iter()
        .find(|(d, _)| *d == department)
        .map(|(_, r)| *r)
}

/// A residence reduced to `level`.
pub fn residence_at(residence: &str, level: ResidenceLevel) -> Option<String> {
    match level {
        ResidenceLevel::None => None,
        ResidenceLevel::Department => department_of(residence),
        ResidenceLevel::Region => department_of(residence)
            .and_then(|d| region_of(&d))
            .map(str::to_string),
    }
}

/// Smallest number of rows sharing the same values of `columns` (0 for no rows).
pub fn smallest_group(df: &DataFrame, columns: &[&str]) -> Result<usize, Error> {
    let mut keys: Vec<Vec<String>> = vec![Vec::new(); df.height()];
    for c in columns {
        let s = df.column(c)?.cast(&DataType::String)?;
        for (i, v) in s.str()?.iter().enumerate() {
            keys[i].push(v.unwrap_or("∅").to_string());
        }
    }
    let mut counts: HashMap<Vec<String>, usize> = HashMap::new();
    for k in keys {
        *counts.entry(k).or_default() += 1;
    }
    Ok(counts.values().copied().min().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands() {
        let b = DEFAULT_AGE_BANDS;
        assert_eq!(age_band(0, &b), "0-2 ans");
        assert_eq!(age_band(2, &b), "0-2 ans");
        assert_eq!(age_band(3, &b), "3-5 ans");
        assert_eq!(age_band(15, &b), "11-15 ans");
        assert_eq!(age_band(17, &b), "16-17 ans");
        assert_eq!(age_band(20, &b), "18-20 ans");
        assert_eq!(age_band(25, &b), "21 ans et plus");
        assert_eq!(age_band(4, &[0, 5, 6]), "0-4 ans");
        assert_eq!(age_band(5, &[0, 5, 6]), "5 ans");
        assert_eq!(age_band(3, &[5, 6, 10]), "moins de 5 ans");
        assert_eq!(age_at_year_end(2012, 2023), 11);
    }

    #[test]
    fn residences() {
        assert_eq!(department_of("15"), Some("15".into()));
        assert_eq!(department_of("15014"), Some("15".into()));
        assert_eq!(department_of("97411"), Some("974".into()));
        assert_eq!(department_of("2A004"), Some("2A".into()));
        assert_eq!(department_of("20090"), Some("2A".into()));
        assert_eq!(department_of("20200"), Some("2B".into()));
        assert_eq!(department_of("Aurillac"), None);
        assert_eq!(department_of("12 rue des Lilas"), None);
    }

    #[test]
    fn regions() {
        assert_eq!(region_of("15"), Some("84"));
        assert_eq!(region_of("2A"), Some("94"));
        assert_eq!(region_of("974"), Some("04"));
        assert_eq!(region_of("99"), None);
        assert_eq!(
            residence_at("63113", ResidenceLevel::Region),
            Some("84".into())
        );
        assert_eq!(
            residence_at("63113", ResidenceLevel::Department),
            Some("63".into())
        );
        assert_eq!(residence_at("63113", ResidenceLevel::None), None);
        // Every département code has a région.
        for n in 1..=95 {
            let d = format!("{n:02}");
            assert!(region_of(&d).is_some(), "{d}");
        }
    }

    #[test]
    fn k_anonymity() {
        let df = df!["a" => ["x", "x", "y"], "b" => [Some(1), Some(1), None::<i32>]].unwrap();
        assert_eq!(smallest_group(&df, &["a", "b"]).unwrap(), 1);
        assert_eq!(smallest_group(&df, &["a"]).unwrap(), 1);
        let df = df!["a" => ["x", "x"]].unwrap();
        assert_eq!(smallest_group(&df, &["a"]).unwrap(), 2);
    }
}
