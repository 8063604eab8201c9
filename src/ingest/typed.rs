//! The types a Parquet source must have (docs/architecture.md, « Parquet sources »).
//! A spreadsheet's cells are parsed one by one into their canonical kind; a Parquet
//! file arrives typed, and a column of another type — dates written as text by another
//! tool, codes written as numbers, a yes-or-no written as text — would otherwise be
//! cast later into nulls, and its rows dropped from every figure without a word.
//!
//! Every column of a canonical field, and every column pseudonymisation adds to an
//! extract, is checked against its kind. A lossless conversion is made (dates with a
//! time of day to dates, whole numbers stored as decimals to integers, any number to a
//! number, an all-null column to its kind); anything else refuses the file, naming the
//! column and the two types, never a value.

use polars::prelude::*;

use crate::pseudonymise::columns::{Stored, stored};
use crate::tables::{Kind, Table, columns as col};

/// What a column must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expected {
    Text,
    Date,
    Integer,
    Number,
    Bool,
    /// Bytes or hexadecimal text (a Bloom encoding).
    Encoding,
}

impl Expected {
    fn described(self) -> &'static str {
        match self {
            Expected::Text => "du texte",
            Expected::Date => "des dates",
            Expected::Integer => "des nombres entiers",
            Expected::Number => "des nombres",
            Expected::Bool => "des oui / non (booléens)",
            Expected::Encoding => "des empreintes chiffrées (octets ou hexadécimal)",
        }
    }
}

/// The kind column `name` of a Parquet source of `table` must hold; `None`: a column
/// no stage reads by its type (a letter neighbourhood, read as absent when it is not
/// bytes; a column of no canonical table).
fn expected(table: Table, name: &str) -> Option<Expected> {
    if let Some(f) = table.field(name) {
        return Some(match f.kind {
            Kind::Text => Expected::Text,
            Kind::Date => Expected::Date,
            Kind::Integer | Kind::Month => Expected::Integer,
            Kind::Number => Expected::Number,
            Kind::Bool => Expected::Bool,
        });
    }
    if name == col::SOURCE || name == col::ORGANISATION {
        return Some(Expected::Text);
    }
    if matches!(table, Table::Staff | Table::Training)
        && name == crate::pseudonymise::STAFF_PSEUDONYM
    {
        return Some(Expected::Text);
    }
    if table != Table::Accompaniments {
        return None;
    }
    match stored(name)? {
        Stored::Text => Some(Expected::Text),
        Stored::Integer => Some(Expected::Integer),
        Stored::Flag => Some(Expected::Bool),
        Stored::Encoding => Some(Expected::Encoding),
        Stored::Neighbourhood => None,
    }
}

/// What a column of type `dtype` holds, in words.
fn found(dtype: &DataType) -> &'static str {
    match dtype {
        DataType::String => "du texte",
        DataType::Boolean => "des oui / non (booléens)",
        DataType::Date => "des dates",
        DataType::Datetime(..) => "des dates et heures",
        DataType::Time => "des heures",
        DataType::Duration(..) => "des durées",
        DataType::Binary | DataType::BinaryOffset => "des octets",
        DataType::Float32 | DataType::Float64 => "des nombres décimaux",
        d if d.is_integer() => "des nombres entiers",
        DataType::List(..) => "des listes",
        DataType::Struct(..) => "des structures",
        _ => "un type de valeur non reconnu",
    }
}

/// Why a column is refused: the column, what it holds and what it must hold.
fn refused(name: &str, dtype: &DataType, want: Expected) -> String {
    let hint = match (want, dtype) {
        (Expected::Text, d) if d.is_integer() || d.is_float() => {
            " (un code écrit en nombre a pu perdre ses zéros de tête)"
        }
        (Expected::Date, DataType::String) => {
            " (dates écrites en texte par un autre outil : réécrivez-les en dates)"
        }
        _ => "",
    };
    format!(
        "la colonne « {name} » contient {}, alors qu'elle doit contenir {}{hint}",
        found(dtype),
        want.described()
    )
}

/// `df` with every checked column of its kind (converted where nothing is lost), and
/// the columns no stage reads (reported, as a sheet's unused columns are); or why it is
/// refused (the first column in the file's order that cannot be).
pub(super) fn typed(mut df: DataFrame, table: Table) -> Result<(DataFrame, Vec<String>), String> {
    let unused: Vec<String> = df
        .columns()
        .iter()
        .map(|c| c.name().as_str())
        .filter(|n| {
            expected(table, n).is_none()
                && !(table == Table::Accompaniments && stored(n) == Some(Stored::Neighbourhood))
        })
        .map(str::to_string)
        .collect();
    let checked: Vec<(String, Expected)> = df
        .columns()
        .iter()
        .filter_map(|c| expected(table, c.name()).map(|e| (c.name().to_string(), e)))
        .collect();
    for (name, want) in checked {
        let Ok(c) = df.column(&name) else { continue };
        let dtype = c.dtype().clone();
        let to = |t: DataType| -> Result<Option<Column>, String> {
            c.cast(&t)
                .map(Some)
                .map_err(|_| refused(&name, &dtype, want))
        };
        let converted: Option<Column> = match (want, &dtype) {
            (_, DataType::Null) => to(match want {
                Expected::Text => DataType::String,
                Expected::Date => DataType::Date,
                Expected::Integer => DataType::Int32,
                Expected::Number => DataType::Float64,
                Expected::Bool => DataType::Boolean,
                Expected::Encoding => DataType::Binary,
            })?,
            (Expected::Text, DataType::String)
            | (Expected::Date, DataType::Date)
            | (Expected::Bool, DataType::Boolean)
            | (Expected::Number, DataType::Float64)
            | (Expected::Encoding, DataType::Binary | DataType::String) => None,
            (Expected::Date, DataType::Datetime(..)) => to(DataType::Date)?,
            (Expected::Integer, d) if d.is_integer() => {
                let cast = c.strict_cast(&DataType::Int32).map_err(|_| {
                    format!(
                        "{} (des valeurs sont hors des limites)",
                        refused(&name, &dtype, want)
                    )
                })?;
                (d != &DataType::Int32).then_some(cast)
            }
            (Expected::Integer, d) if d.is_float() => Some(whole_numbers(c, &name, want)?),
            (Expected::Number, d) if d.is_integer() || d.is_float() => to(DataType::Float64)?,
            _ => return Err(refused(&name, &dtype, want)),
        };
        if let Some(c) = converted {
            df.with_column(c)
                .map_err(|_| refused(&name, &dtype, want))?;
        }
    }
    Ok((df, unused))
}

/// Decimals that are all whole numbers within the integers' range (another tool's
/// integers with missing values), as integers; otherwise refused.
fn whole_numbers(c: &Column, name: &str, want: Expected) -> Result<Column, String> {
    let no = || refused(name, c.dtype(), want);
    let as_f64 = c.cast(&DataType::Float64).map_err(|_| no())?;
    // A non-strict cast makes a fraction whole and a value out of range null: the round
    // trip gives back every value only when none was either.
    let ints = as_f64.cast(&DataType::Int32).map_err(|_| no())?;
    let back = ints.cast(&DataType::Float64).map_err(|_| no())?;
    let same = as_f64
        .as_materialized_series()
        .equal_missing(back.as_materialized_series())
        .map_err(|_| no())?;
    if same.all() { Ok(ints) } else { Err(no()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pseudonymise::columns as pcol;

    fn frame(columns: Vec<Column>) -> DataFrame {
        let height = columns.first().map_or(0, Column::len);
        DataFrame::new(height, columns).unwrap()
    }

    #[test]
    fn lossless_conversions_are_made() {
        let df = frame(vec![
            Column::new(col::START.into(), [Some(1_600_000_000_000i64), None])
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
                .unwrap(),
            Column::new(pcol::BIRTH_YEAR.into(), [Some(2012.0f64), None]),
            Column::new(pcol::BIRTH_MONTH.into(), [Some(3i64), Some(12)]),
            Column::full_null(col::END.into(), 2, &DataType::Null),
            Column::new("autre".into(), [1.5f64, 2.5]),
        ]);
        let (out, unused) = typed(df, Table::Accompaniments).unwrap();
        assert_eq!(unused, ["autre"]);
        assert_eq!(out.column(col::START).unwrap().dtype(), &DataType::Date);
        assert_eq!(
            out.column(col::START).unwrap().get(0).unwrap(),
            AnyValue::Date(18_518)
        );
        assert_eq!(out.column(col::END).unwrap().dtype(), &DataType::Date);
        let years = out.column(pcol::BIRTH_YEAR).unwrap();
        assert_eq!(years.dtype(), &DataType::Int32);
        assert_eq!(years.get(0).unwrap(), AnyValue::Int32(2012));
        assert_eq!(years.null_count(), 1);
        assert_eq!(
            out.column(pcol::BIRTH_MONTH).unwrap().dtype(),
            &DataType::Int32
        );
        // A column no stage reads keeps its type.
        assert_eq!(out.column("autre").unwrap().dtype(), &DataType::Float64);
    }

    #[test]
    fn other_types_are_refused_naming_the_column_never_a_value() {
        let cases: Vec<(Table, Column, &str)> = vec![
            (
                Table::Accompaniments,
                Column::new(col::END.into(), ["2021-03-04-SECRET"]),
                "« date_fin » contient du texte, alors qu'elle doit contenir des dates",
            ),
            (
                Table::Services,
                Column::new(col::SERVICE.into(), [630_001_234i64]),
                "zéros de tête",
            ),
            (
                Table::Accompaniments,
                Column::new(pcol::MOTHER_IN_SURNAME.into(), ["oui"]),
                "« mere_partie_du_nom » contient du texte",
            ),
            (
                Table::Accompaniments,
                Column::new(pcol::CLK.into(), [7i64]),
                "empreintes chiffrées",
            ),
            (
                Table::Accompaniments,
                Column::new(pcol::BIRTH_YEAR.into(), [2012.5f64]),
                "« annee_naissance » contient des nombres décimaux",
            ),
            (
                Table::Accompaniments,
                Column::new(pcol::BIRTH_YEAR.into(), [1e12f64]),
                "des nombres entiers",
            ),
            (
                Table::Accompaniments,
                Column::new("pseudonyme_1".into(), [1i64]),
                "« pseudonyme_1 »",
            ),
            (
                Table::Services,
                Column::new(col::YEAR.into(), [true]),
                "« annee » contient des oui / non",
            ),
            (
                Table::Services,
                Column::new(col::YEAR.into(), [5_000_000_000i64]),
                "hors des limites",
            ),
        ];
        for (table, column, says) in cases {
            let name = column.name().to_string();
            let e = typed(frame(vec![column]), table).unwrap_err();
            assert!(e.contains(says), "{name}: {e}");
            assert!(!e.contains("SECRET"), "{e}");
        }
    }

    #[test]
    fn columns_already_of_their_kind_are_kept_as_they_are() {
        let df = frame(vec![
            Column::new(col::SERVICE.into(), ["S1"]),
            Column::new(pcol::CLK.into(), ["00ff"]),
            Column::new(pcol::FIRST_NAME_NEIGHBOURS.into(), [3i64]),
            Column::new(pcol::COMPOUND_FIRST_NAME.into(), [Some(true)]),
        ]);
        let (out, unused) = typed(df.clone(), Table::Accompaniments).unwrap();
        assert!(out.equals_missing(&df));
        assert!(unused.is_empty(), "{unused:?}");
    }
}
