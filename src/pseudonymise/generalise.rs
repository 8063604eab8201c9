//! Generalisation of quasi-identifiers before anything leaves a partner: age and age
//! band at the reference date, residence reduced to the département, and the microdata
//! k-anonymity check (smallest group of records sharing the same quasi-identifiers).

// Polars' fast hash: short keys (pseudonyms, codes) hashed once a record.
use polars::prelude::PlHashMap as HashMap;

use polars::prelude::*;

use chrono::Datelike;

use super::Settings;
use super::rows::{Chunk, Identity};
use crate::error::Error;

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
    // The last bound the age reaches gives the band (one label formatted a row).
    let Some(i) = bounds.iter().rposition(|lo| age >= *lo) else {
        return format!("moins de {} ans", bounds.first().copied().unwrap_or(0));
    };
    let lo = bounds[i];
    match bounds.get(i + 1) {
        Some(hi) if hi - 1 == lo => format!("{lo} ans"),
        Some(hi) => format!("{lo}-{} ans", hi - 1),
        None => format!("{lo} ans et plus"),
    }
}

pub use crate::settings::{DEFAULT_AGE_BANDS, ResidenceLevel};

/// The département of a residence, read with the territory table
/// ([`crate::territory::department_of_residence`]): a département in any common form
/// (`15`, `Cantal`, `2A`), or a commune code or postal code (5 characters) that gives its
/// département; anything else (a commune name, an address, a collectivité d'outre-mer)
/// is dropped.
pub fn department_of(residence: &str) -> Option<String> {
    crate::territory::department_of_residence(residence).map(|t| t.code.to_string())
}

/// The région of a département code (INSEE codes since 2016; overseas régions 01–06),
/// from the territory table ([`crate::territory`]).
pub fn region_of(department: &str) -> Option<&'static str> {
    crate::territory::region_of(department)
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

/// Smallest number of rows sharing the same values of `columns` (0 for no rows; a
/// missing value is a value of its own).
///
/// Passes over columns, not a Polars `group_by`, for a reason: this runs inside the
/// parallel reading of files (each file is pseudonymised as it is read, on a rayon
/// worker). A Polars query there joins on Polars' thread pool, and a worker waiting on a
/// join steals other files' jobs onto its own stack; at national scale (2 177 files)
/// that nesting overflowed a worker's stack. Each column's values are numbered (0 for a
/// missing one) and folded into one integer key a row in mixed radix — a
/// quasi-identifier has a handful of values — so no row allocates a key; the rows are
/// then counted by key.
pub fn smallest_group(df: &DataFrame, columns: &[&str]) -> Result<usize, Error> {
    if df.height() == 0 {
        return Ok(0);
    }
    let mut keys: Vec<u128> = vec![0; df.height()];
    let mut room: u128 = 1;
    for c in columns {
        let text = df.column(c)?.cast(&DataType::String)?;
        let mut ids: HashMap<&str, u128> = HashMap::default();
        let codes: Vec<u128> = text
            .str()?
            .iter()
            .map(|v| {
                v.map_or(0, |v| {
                    let next = ids.len() as u128 + 1;
                    *ids.entry(v).or_insert(next)
                })
            })
            .collect();
        let radix = ids.len() as u128 + 1;
        // The product of the radixes bounds the keys: past 2^128 (never with
        // quasi-identifiers) the rows are counted by their codes instead.
        let Some(r) = room.checked_mul(radix) else {
            return by_codes(df, columns);
        };
        room = r;
        for (k, code) in keys.iter_mut().zip(codes) {
            *k = *k * radix + code;
        }
    }
    let mut counts: HashMap<u128, usize> = HashMap::default();
    for k in keys {
        *counts.entry(k).or_default() += 1;
    }
    Ok(counts.values().copied().min().unwrap_or(0))
}

/// [`smallest_group`] with one key of codes a row, whatever their number.
fn by_codes(df: &DataFrame, columns: &[&str]) -> Result<usize, Error> {
    let texts: Vec<Column> = columns
        .iter()
        .map(|c| df.column(c)?.cast(&DataType::String))
        .collect::<PolarsResult<_>>()?;
    let cols: Vec<&StringChunked> = texts.iter().map(|c| c.str()).collect::<PolarsResult<_>>()?;
    let mut rows: Vec<_> = cols.iter().map(|c| c.iter()).collect();
    let mut counts: HashMap<Vec<Option<&str>>, usize> = HashMap::default();
    for _ in 0..df.height() {
        let key: Vec<Option<&str>> = rows.iter_mut().map(|r| r.next().flatten()).collect();
        *counts.entry(key).or_default() += 1;
    }
    Ok(counts.values().copied().min().unwrap_or(0))
}

/// The text columns of the generalised quasi-identifiers of a run, and the age bands'
/// labels by age met so far (a handful of ages: one label formatted each).
pub(super) struct Generalised {
    pub(super) bands: StringChunkedBuilder,
    pub(super) sexes: StringChunkedBuilder,
    pub(super) labels: Vec<(i32, String)>,
}

impl Chunk {
    /// The generalised quasi-identifiers of one identity: birth year and month, age at
    /// the end of the reference year, age band, sex.
    pub(super) fn push_generalised(
        &mut self,
        id: &Identity,
        settings: &Settings,
        out: &mut Generalised,
    ) {
        self.years.push(id.naissance.map(|d| d.year()));
        self.months.push(id.naissance.map(|d| d.month() as i32));
        let age = id
            .naissance
            .map(|d| age_at_year_end(d.year(), settings.reference_year));
        self.ages.push(age);
        match age {
            Some(a) => {
                let at = match out.labels.iter().position(|(b, _)| *b == a) {
                    Some(at) => at,
                    None => {
                        let label = age_band(a, &settings.age_bands);
                        out.labels.push((a, label));
                        out.labels.len() - 1
                    }
                };
                out.bands.append_value(&out.labels[at].1);
            }
            None => out.bands.append_null(),
        }
        let mut buf = [0u8; 4];
        out.sexes
            .append_option(id.sexe.map(|c| &*c.encode_utf8(&mut buf)));
    }
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
        // Names and code-and-name cells, read with the territory table; a collectivité
        // d'outre-mer is not a département.
        assert_eq!(department_of("Cantal"), Some("15".into()));
        assert_eq!(department_of("15 - Cantal"), Some("15".into()));
        assert_eq!(department_of("20A"), Some("2A".into()));
        assert_eq!(department_of("975"), None);
        assert_eq!(department_of("97500"), None);
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
        // Missing values form one group of their own; no column: one group of all rows.
        let df = df![
            "a" => [None::<&str>, None, Some("x"), Some("x"), Some("x")],
            "b" => [None::<i32>, None, Some(1), Some(1), Some(1)]
        ]
        .unwrap();
        assert_eq!(smallest_group(&df, &["a", "b"]).unwrap(), 2);
        assert_eq!(smallest_group(&df, &[]).unwrap(), 5);
        assert_eq!(smallest_group(&df.head(Some(0)), &["a"]).unwrap(), 0);
        // A missing column is an error, not a group of nulls.
        assert!(smallest_group(&df, &["c"]).is_err());
        assert!(by_codes(&df, &["c"]).is_err());
    }

    proptest::proptest! {
        /// Keys folded in mixed radix count the rows as keys of their values do.
        #[test]
        fn folded_keys_count_as_the_values(
            rows in proptest::collection::vec(
                (proptest::option::of(0u8..4), proptest::option::of("[ab]{0,2}"), 0u8..3),
                1..60,
            ),
        ) {
            let a: Vec<Option<u32>> = rows.iter().map(|r| r.0.map(u32::from)).collect();
            let b: Vec<Option<String>> = rows.iter().map(|r| r.1.clone()).collect();
            let c: Vec<u32> = rows.iter().map(|r| u32::from(r.2)).collect();
            let df = df!["a" => a, "b" => b, "c" => c].unwrap();
            for cols in [&["a"][..], &["a", "b"], &["b", "c", "a"], &[]] {
                proptest::prop_assert_eq!(
                    smallest_group(&df, cols).unwrap(),
                    by_codes(&df, cols).unwrap()
                );
            }
        }
    }
}
