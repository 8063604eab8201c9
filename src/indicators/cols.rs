//! Reading canonical columns as plain vectors; a missing column reads as all-null, so a
//! family works on whatever a pipeline maps.

use chrono::NaiveDate;
use polars::prelude::*;

use crate::error::Error;

pub fn text(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, Error> {
    match df.column(name) {
        Ok(c) => Ok(c
            .cast(&DataType::String)?
            .str()?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()),
        Err(_) => Ok(vec![None; df.height()]),
    }
}

pub fn int(df: &DataFrame, name: &str) -> Result<Vec<Option<i32>>, Error> {
    match df.column(name) {
        Ok(c) => Ok(c.cast(&DataType::Int32)?.i32()?.iter().collect()),
        Err(_) => Ok(vec![None; df.height()]),
    }
}

pub fn num(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>, Error> {
    match df.column(name) {
        Ok(c) => Ok(c.cast(&DataType::Float64)?.f64()?.iter().collect()),
        Err(_) => Ok(vec![None; df.height()]),
    }
}

pub fn boolean(df: &DataFrame, name: &str) -> Result<Vec<Option<bool>>, Error> {
    match df.column(name) {
        Ok(c) => Ok(c.cast(&DataType::Boolean)?.bool()?.iter().collect()),
        Err(_) => Ok(vec![None; df.height()]),
    }
}

pub fn date(df: &DataFrame, name: &str) -> Result<Vec<Option<NaiveDate>>, Error> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    Ok(int(df, name)?
        .into_iter()
        .map(|d| d.and_then(|d| epoch.checked_add_signed(chrono::Duration::days(i64::from(d)))))
        .collect())
}
