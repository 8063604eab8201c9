//! The extract's columns as linkage reads them: in place, one Arrow array per column.
//! A vector of borrowed values costs 16 bytes a record and a column — 200 MB for the
//! dozen columns linkage reads on a national network (docs/architecture.md,
//! « Benchmarks »); an array is read where it lies.

use polars::prelude::*;

use crate::error::Error;

type TextArray = <StringType as PolarsDataType>::Array;
type BytesArray = <BinaryType as PolarsDataType>::Array;
type FlagArray = <BooleanType as PolarsDataType>::Array;

/// The one array of a column, `None` for a table without rows; the table is rechunked
/// before (`link` does), so a column of several chunks is an internal error.
fn single<'a, A>(chunks: Vec<&'a A>, name: &str) -> Result<Option<&'a A>, Error> {
    match chunks.len() {
        0 => Ok(None),
        1 => Ok(chunks.into_iter().next()),
        _ => Err(Error::Internal(format!(
            "colonne {name} en plusieurs morceaux pour l'appariement"
        ))),
    }
}

/// A text column read in place; all nulls when the extract does not have it.
#[derive(Clone, Copy)]
pub(crate) struct Texts<'a>(Option<&'a TextArray>);

impl<'a> Texts<'a> {
    /// Column `name`, which the extract must have.
    pub fn read(df: &'a DataFrame, name: &str) -> Result<Texts<'a>, Error> {
        let ca = df.column(name)?.str()?;
        Ok(Texts(single(ca.downcast_iter().collect(), name)?))
    }

    /// Column `name`, or all nulls when absent.
    pub fn optional(df: &'a DataFrame, name: &str) -> Result<Texts<'a>, Error> {
        match df.column(name) {
            Ok(_) => Texts::read(df, name),
            Err(_) => Ok(Texts(None)),
        }
    }

    /// The value of record `i`.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        self.0.and_then(|a| a.get(i))
    }
}

/// A yes-or-no column read in place; all nulls when the extract does not have it (an
/// extract of an earlier version).
#[derive(Clone, Copy)]
pub(crate) struct Flags<'a>(Option<&'a FlagArray>);

impl<'a> Flags<'a> {
    /// Column `name`, or all nulls when absent.
    pub fn optional(df: &'a DataFrame, name: &str) -> Result<Flags<'a>, Error> {
        match df.column(name) {
            Ok(c) => Ok(Flags(single(c.bool()?.downcast_iter().collect(), name)?)),
            Err(_) => Ok(Flags(None)),
        }
    }

    /// The value of record `i` (`None`: null, or no such column).
    pub fn get(&self, i: usize) -> Option<bool> {
        self.0.and_then(|a| a.get(i))
    }

    /// Whether record `i` says yes (null: no).
    pub fn yes(&self, i: usize) -> bool {
        self.get(i).unwrap_or(false)
    }
}

/// A binary column (encodings) read in place; all nulls when absent. With a length,
/// values of any other length read as absent (not an encoding).
#[derive(Clone, Copy)]
pub(crate) struct Bytes<'a> {
    array: Option<&'a BytesArray>,
    length: Option<usize>,
}

impl<'a> Bytes<'a> {
    /// Column `name` (binary, see [`crate::pseudonymise::encodings_as_binary`]) whose
    /// values count only when `length` bytes long (any length with `None`).
    pub fn optional(
        df: &'a DataFrame,
        name: &str,
        length: Option<usize>,
    ) -> Result<Bytes<'a>, Error> {
        let array = match df.column(name) {
            Ok(c) => single(c.binary()?.downcast_iter().collect(), name)?,
            Err(_) => None,
        };
        Ok(Bytes { array, length })
    }

    /// The value of record `i`.
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        self.array
            .and_then(|a| a.get(i))
            .filter(|b| self.length.is_none_or(|n| b.len() == n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_read_in_place_with_nulls_and_lengths() {
        let mut df = df!(
            "t" => [Some("a"), None, Some("ccc")],
            "b" => [Some(&b"xy"[..]), Some(&b"x"[..]), None],
        )
        .unwrap();
        let t = Texts::read(&df, "t").unwrap();
        assert_eq!(
            (t.get(0), t.get(1), t.get(2)),
            (Some("a"), None, Some("ccc"))
        );
        assert_eq!(Texts::optional(&df, "absent").unwrap().get(2), None);
        let b = Bytes::optional(&df, "b", Some(2)).unwrap();
        assert_eq!(
            (b.get(0), b.get(1), b.get(2)),
            (Some(&b"xy"[..]), None, None)
        );
        let any = Bytes::optional(&df, "b", None).unwrap();
        assert_eq!(any.get(1), Some(&b"x"[..]));
        // Two chunks are refused until the table is rechunked.
        let other = df.clone();
        df.vstack_mut(&other).unwrap();
        assert!(Texts::read(&df, "t").is_err());
        df.rechunk_mut();
        assert_eq!(Texts::read(&df, "t").unwrap().get(5), Some("ccc"));
    }
}
