//! Vertical stacking of the per-file parts of a canonical table (columns missing from a
//! part become nulls; each column keeps the type of its first occurrence).

use polars::prelude::*;
use rayon::prelude::*;

use crate::error::Error;

/// Values stacked (rows × columns) between two returns of the parts' freed chunks to the
/// system: every few columns of a national table, never for a small one.
const RELEASE_VALUES: usize = 4_000_000;

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
    let heights: Vec<usize> = parts.iter().map(DataFrame::height).collect();
    let height: usize = heights.iter().sum();
    // Each part's columns by their place in the schema, taken out of the part once
    // (dropping them by name one at a time looked the name up in a schema the part made
    // again after every drop: columns² look-ups a part).
    let places: PlHashMap<&str, usize> = schema
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.as_str(), i))
        .collect();
    let mut by_column: Vec<Vec<Option<Column>>> = (0..schema.len())
        .map(|_| Vec::with_capacity(parts.len()))
        .collect();
    for p in parts {
        let mut slots: Vec<Option<Column>> = vec![None; schema.len()];
        for c in p.into_columns() {
            if let Some(&i) = places.get(c.name().as_str()) {
                slots[i] = Some(c);
            }
        }
        for (column, slot) in by_column.iter_mut().zip(slots) {
            column.push(slot);
        }
    }
    let release = crate::memory::Releaser::every(RELEASE_VALUES);
    // Columns are joined on all cores, one column a task: the table is held twice for
    // as many columns as there are cores at most, never whole.
    // Collected in schema order before the first error is taken, so that it is the same
    // whatever the number of threads.
    let joined: Vec<Result<Column, Error>> = by_column
        .into_par_iter()
        .zip(schema.par_iter())
        .with_max_len(1)
        .map(|(slots, (name, dtype))| {
            let mut pieces: Vec<Column> = Vec::with_capacity(slots.len());
            for (slot, &rows) in slots.into_iter().zip(&heights) {
                pieces.push(match slot {
                    Some(c) => c.cast(dtype)?,
                    None => Column::full_null(name.clone(), rows, dtype),
                });
            }
            let column = join(name, pieces, height)?;
            // The parts were built by the reading threads: their freed chunks stay in
            // those threads' arenas unless given back (without this, stacking a national
            // table took 480 MB more resident memory than it held). A small table is not
            // worth the walk through the allocator's lists, nor is one column of a large
            // one.
            release.done(height);
            Ok(column)
        })
        .collect();
    let columns: Vec<Column> = joined.into_iter().collect::<Result<_, Error>>()?;
    Ok(DataFrame::new(height, columns)?)
}

/// One column from its pieces, in order: one value for every row of every piece stays a
/// single value (the key fingerprint, a column missing from every part); otherwise one
/// chunk — a table stacked from hundreds of files would otherwise carry hundreds of
/// chunks into every later plan — made column by column, so that the table is never
/// held twice.
fn join(name: &PlSmallStr, pieces: Vec<Column>, height: usize) -> Result<Column, Error> {
    if let Some(Column::Scalar(reference)) = pieces.iter().find(|p| !p.is_empty())
        && pieces.iter().all(
            |p| matches!(p, Column::Scalar(s) if s.is_empty() || s.scalar() == reference.scalar()),
        )
    {
        return Ok(Column::new_scalar(
            name.clone(),
            reference.scalar().clone(),
            height,
        ));
    }
    let mut pieces = pieces.into_iter();
    let Some(first) = pieces.next() else {
        return Ok(Column::full_null(name.clone(), 0, &DataType::Null));
    };
    let mut series = first.take_materialized_series();
    for p in pieces {
        series.append_owned(p.take_materialized_series())?;
    }
    Ok(series.rechunk().into_column())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constant(name: &str, v: &str, n: usize) -> Column {
        Column::new_scalar(
            name.into(),
            Scalar::new(DataType::String, AnyValue::StringOwned(v.into())),
            n,
        )
    }

    #[test]
    fn one_value_everywhere_stays_one_value_and_the_rest_is_one_chunk() {
        let part = |k: &str, ids: &[i32]| {
            DataFrame::new(
                ids.len(),
                vec![Column::new("id".into(), ids), constant("cle", k, ids.len())],
            )
            .unwrap()
        };
        let same = stack(vec![part("a", &[1, 2]), part("a", &[3])]).unwrap();
        assert_eq!(same.height(), 3);
        assert!(matches!(same.column("cle").unwrap(), Column::Scalar(_)));
        assert_eq!(same.column("cle").unwrap().len(), 3);
        assert_eq!(same.column("id").unwrap().n_chunks(), 1);
        let ids: Vec<Option<i32>> = same.column("id").unwrap().i32().unwrap().iter().collect();
        assert_eq!(ids, [Some(1), Some(2), Some(3)]);
        // Two values: an ordinary column, each row with its own.
        let two = stack(vec![part("a", &[1]), part("b", &[2, 3])]).unwrap();
        let keys: Vec<Option<&str>> = two.column("cle").unwrap().str().unwrap().iter().collect();
        assert_eq!(keys, [Some("a"), Some("b"), Some("b")]);
        // A column missing from a part is null there.
        let bare = DataFrame::new(1, vec![Column::new("id".into(), [4])]).unwrap();
        let mixed = stack(vec![part("a", &[1]), bare]).unwrap();
        let keys: Vec<Option<&str>> = mixed.column("cle").unwrap().str().unwrap().iter().collect();
        assert_eq!(keys, [Some("a"), None]);
    }
}
