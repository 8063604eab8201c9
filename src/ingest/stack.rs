//! Vertical stacking of the per-file parts of a canonical table (columns missing from a
//! part become nulls; each column keeps the type of its first occurrence).

use polars::prelude::*;

use crate::error::Error;

/// Stacks DataFrames vertically; columns missing from a part are filled with nulls, and
/// each column takes the type of its first occurrence.
pub fn stack(parts: Vec<DataFrame>) -> Result<DataFrame, Error> {
    let parts: Vec<DataFrame> = parts.into_iter().filter(|d| d.width() > 0).collect();
    let Some(first) = parts.first() else {
        return Ok(DataFrame::empty());
    };
    let mut schema: Vec<(PlSmallStr, DataType)> = first
        .columns()
        .iter()
        .map(|c| (c.name().clone(), c.dtype().clone()))
        .collect();
    for p in &parts[1..] {
        for c in p.columns() {
            if !schema.iter().any(|(n, _)| n == c.name()) {
                schema.push((c.name().clone(), c.dtype().clone()));
            }
        }
    }
    let mut out: Option<DataFrame> = None;
    for p in &parts {
        let mut cols: Vec<Column> = Vec::with_capacity(schema.len());
        for (name, dtype) in &schema {
            let c = match p.column(name.as_str()) {
                Ok(c) => c.cast(dtype)?,
                Err(_) => Column::full_null(name.clone(), p.height(), dtype),
            };
            cols.push(c);
        }
        let df = DataFrame::new(p.height(), cols)?;
        match &mut out {
            None => out = Some(df),
            Some(o) => {
                o.vstack_mut(&df)?;
            }
        }
    }
    // One chunk per column: a table stacked from hundreds of files would otherwise carry
    // hundreds of chunks into every later plan.
    Ok(out
        .map(|mut o| {
            o.rechunk_mut_par();
            o
        })
        .unwrap_or_default())
}
