//! Re-keying at the observatory: every pseudonym of a partner's extract hashed again
//! under the observatory's key, and every encoding's bits permuted (the same as
//! [`super::pseudonymise_rekeyed`] does as it makes them).

use polars::prelude::*;
use rayon::prelude::*;

use super::bloom::{self, Clk};
use super::keys::SecretKey;
use super::letters;
use super::rows::{CHUNK_ROWS, REKEY_DOMAIN};
use super::{ENCODING_COLUMNS, columns, encodings_as_binary, pseudonym_columns, text_ref};
use crate::error::Error;

/// Re-keying at the observatory (two-level scheme, as PMSI's FOIN): every pseudonym,
/// control and blocking key is hashed again under the observatory's key, and Bloom
/// filters are permuted with a permutation derived from it, so central data cannot be
/// matched against a partner's extract while similarities are unchanged. The re-keyed
/// values are short pseudonyms ([`SecretKey::short_pseudonym`]): they never leave the
/// observatory, and 12 characters a value instead of 64 is most of a national run's
/// memory (docs/architecture.md, « Short pseudonyms inside the observatory »).
///
/// Built once per run; applied file by file as the observatory reads its spreadsheets,
/// and to each partner's extract.
pub struct Rekey {
    key: SecretKey,
    perm: Vec<u16>,
    /// The permutation of letter-neighbourhood values ([`letters`]).
    letters: Vec<u16>,
}

impl Rekey {
    pub fn new(observatory: SecretKey) -> Rekey {
        let perm = bloom::keyed_permutation(&observatory);
        let letters = letters::keyed_permutation(&observatory);
        Rekey {
            key: observatory,
            perm,
            letters,
        }
    }

    /// The permutation of letter-neighbourhood values.
    pub(super) fn letter_permutation(&self) -> &[u16] {
        &self.letters
    }

    /// The observatory's key.
    pub fn key(&self) -> &SecretKey {
        &self.key
    }

    /// The permutation of an encoding's bits.
    pub(super) fn permutation(&self) -> &[u16] {
        &self.perm
    }

    /// Re-keys `out`. Takes it by value and replaces one column at a time, so that each
    /// column under the collective's key is freed as soon as its re-keyed form exists
    /// (when nothing else holds it).
    pub fn apply(&self, mut out: DataFrame) -> Result<DataFrame, Error> {
        let mut names: Vec<String> = pseudonym_columns(&out);
        names.push(columns::FILE_PSEUDONYM.into());
        names.push(columns::BIRTH_CONTROL.into());
        names.push(columns::SURNAME_CONTROL.into());
        names.push(columns::MOTHER_CONTROL.into());
        names.push(columns::FIRST_NAME_LETTERS.into());
        names.push(columns::SURNAME_LETTERS.into());
        for b in 1..=columns::BLOCKS {
            names.push(format!("{}{b}", columns::BLOCK_PREFIX));
        }
        for name in names {
            // An extract of an earlier version may lack a control column: linkage then
            // goes without it (`link` reads them as optional).
            if out.column(&name).is_err() {
                continue;
            }
            let re = map_text(&out, &name, |p| {
                Some(self.key.short_pseudonym(REKEY_DOMAIN, &[p]))
            })?;
            out.with_column(re)?;
        }
        let mut out = encodings_as_binary(out)?;
        for name in ENCODING_COLUMNS {
            let Ok(c) = out.column(name) else { continue };
            let values: Vec<Option<&[u8]>> = c.binary()?.iter().collect();
            let parts: Vec<BinaryChunked> = values
                .par_chunks(CHUNK_ROWS)
                .map(|run| {
                    let mut b = BinaryChunkedBuilder::new(PlSmallStr::EMPTY, run.len());
                    for v in run {
                        b.append_option(
                            v.and_then(Clk::from_bytes)
                                .map(|c| c.permute(&self.perm).to_bytes()),
                        );
                    }
                    b.finish()
                })
                .collect();
            drop(values);
            let mut all = BinaryChunked::full_null(PlSmallStr::EMPTY, 0);
            for p in &parts {
                all.append(p)?;
            }
            out.with_column(all.with_name(name.into()).into_column())?;
        }
        // Letter neighbourhoods: every value through the observatory's permutation (an
        // unreadable one stays as it is, for linkage to read as unknown).
        for name in [columns::FIRST_NAME_NEIGHBOURS, columns::SURNAME_NEIGHBOURS] {
            let Ok(c) = out.column(name) else { continue };
            let re: BinaryChunked = c
                .binary()?
                .iter()
                .map(|v| {
                    v.map(|b| letters::permute(b, &self.letters).unwrap_or_else(|| b.to_vec()))
                })
                .collect();
            out.with_column(re.with_name(name.into()).into_column())?;
        }
        Ok(out)
    }
}

/// [`Rekey::apply`] with a key used once.
pub fn rekey(out: DataFrame, observatory: &SecretKey) -> Result<DataFrame, Error> {
    Rekey::new(observatory.clone()).apply(out)
}

/// Column `name` of `df` with `f` applied to every value (`None` stays `None`), built
/// in parallel by runs of [`CHUNK_ROWS`] straight into Arrow strings.
fn map_text(
    df: &DataFrame,
    name: &str,
    f: impl Fn(&str) -> Option<String> + Sync,
) -> Result<Column, Error> {
    let values = text_ref(df, name)?;
    let parts: Vec<StringChunked> = values
        .par_chunks(CHUNK_ROWS)
        .map(|run| {
            let mut b = StringChunkedBuilder::new(PlSmallStr::EMPTY, run.len());
            for v in run {
                b.append_option(v.and_then(&f));
            }
            b.finish()
        })
        .collect();
    let mut all = StringChunked::full_null(PlSmallStr::EMPTY, 0);
    for p in &parts {
        all.append(p)?;
    }
    Ok(all.with_name(name.into()).into_series().into())
}
