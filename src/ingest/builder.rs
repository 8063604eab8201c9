//! Column-wise accumulation of one canonical table (`TableBuilder`): rows pushed as typed
//! values, finished into a `DataFrame`.

use std::borrow::Cow;

use super::*;

#[derive(Debug, Default)]
pub(super) struct RowValues {
    pub(super) values: FieldValues,
}

/// A row's values by field name, kept sorted by name (so in the order a `BTreeMap` would
/// give). A row has a handful of fields: a sorted vector is one allocation a row where a
/// tree of `String` keys was one a node and one a name, for every cell of a national
/// network. Names are the schema's `&'static str`, or owned for a measure the user
/// names.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct FieldValues(Vec<(Cow<'static, str>, Value)>);

impl FieldValues {
    fn position(&self, k: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(n, _)| n.as_ref().cmp(k))
    }
    pub(super) fn get(&self, k: &str) -> Option<&Value> {
        self.position(k).ok().map(|i| &self.0[i].1)
    }
    pub(super) fn contains_key(&self, k: &str) -> bool {
        self.position(k).is_ok()
    }
    /// Sets the value of `k`, returning the one it replaces.
    pub(super) fn insert(&mut self, k: impl Into<Cow<'static, str>>, v: Value) -> Option<Value> {
        let k = k.into();
        match self.position(&k) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, v)),
            Err(i) => {
                self.0.insert(i, (k, v));
                None
            }
        }
    }
    /// Sets the value of `k` unless it has one.
    pub(super) fn insert_if_absent(&mut self, k: impl Into<Cow<'static, str>>, v: Value) {
        let k = k.into();
        if let Err(i) = self.position(&k) {
            self.0.insert(i, (k, v));
        }
    }
    pub(super) fn remove(&mut self, k: &str) -> Option<Value> {
        self.position(k).ok().map(|i| self.0.remove(i).1)
    }
    /// Fields and values, by name.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }
}

impl RowValues {
    pub(super) fn with_capacity(n: usize) -> RowValues {
        RowValues {
            values: FieldValues(Vec::with_capacity(n)),
        }
    }
    pub(super) fn text(&self, k: &str) -> Option<String> {
        match self.values.get(k)? {
            Value::Text(t) => Some(t.clone()),
            Value::Integer(i) => Some(i.to_string()),
            Value::Number(n) => Some(grid::Cell::Number(*n).as_text().unwrap_or_default()),
            _ => None,
        }
    }
    /// [`RowValues::text`] written into `out` (cleared first); whether the field has a
    /// text.
    pub(super) fn text_into(&self, k: &str, out: &mut String) -> bool {
        use std::fmt::Write;
        out.clear();
        match self.values.get(k) {
            Some(Value::Text(t)) => out.push_str(t),
            Some(Value::Integer(i)) => {
                let _ = write!(out, "{i}");
            }
            Some(Value::Number(n)) => {
                out.push_str(&grid::Cell::Number(*n).as_text().unwrap_or_default());
            }
            _ => return false,
        }
        true
    }
    pub(super) fn number(&self, k: &str) -> Option<f64> {
        match self.values.get(k)? {
            Value::Number(n) => Some(*n),
            Value::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }
}

/// Column-wise accumulation of one canonical table.
pub(super) struct TableBuilder {
    pub(super) table: Table,
    pub(super) columns: Vec<(String, ColumnData)>,
    pub(super) height: usize,
    /// Reference rows by key (publisher, variable, period, level, code, dimensions): a
    /// key is given once; a second value for it (another sheet or file) is reported and
    /// left out, never added up.
    pub(super) reference_keys: BTreeMap<RefKey, usize>,
    /// The columns' indices in the order of their names, the order of a row's fields
    /// ([`FieldValues`]): one walk of both places a row's values.
    by_name: Vec<usize>,
    /// A row's values by column, reused from row to row.
    slots: Vec<Option<Value>>,
}

pub(super) type RefKey = (
    String,
    String,
    Option<i32>,
    String,
    String,
    Option<String>,
    Option<String>,
);

pub(super) enum ColumnData {
    Text(TextColumn),
    Date(Vec<Option<i32>>),
    Int(Vec<Option<i32>>),
    Num(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
}

pub(super) fn epoch_days(d: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (d - epoch).num_days() as i32
}

impl TableBuilder {
    pub(super) fn new(table: Table) -> TableBuilder {
        let mut columns: Vec<(String, ColumnData)> = Vec::new();
        let text = |n: &str| (n.to_string(), ColumnData::Text(TextColumn::new()));
        match table {
            Table::Reference => {
                columns.push(text(col::SOURCE));
                columns.push(text(col::REF_SOURCE));
                columns.push(text(col::REF_VARIABLE));
                columns.push((col::REF_PERIOD.into(), ColumnData::Int(Vec::new())));
                columns.push(text(col::REF_LEVEL));
                columns.push(text(col::REF_CODE));
                columns.push(text(col::REF_LABEL));
                columns.push(text(col::REF_DIM1));
                columns.push(text(col::REF_DIM2));
                columns.push((col::REF_VALUE.into(), ColumnData::Num(Vec::new())));
            }
            _ => {
                columns.push(text(col::SOURCE));
                if !table.fields().iter().any(|f| f.name == col::ORGANISATION) {
                    columns.push(text(col::ORGANISATION));
                }
                for f in table.fields() {
                    let data = match f.kind {
                        Kind::Text => ColumnData::Text(TextColumn::new()),
                        Kind::Date => ColumnData::Date(Vec::new()),
                        Kind::Integer | Kind::Month => ColumnData::Int(Vec::new()),
                        Kind::Number => ColumnData::Num(Vec::new()),
                        Kind::Bool => ColumnData::Bool(Vec::new()),
                    };
                    columns.push((f.name.to_string(), data));
                }
            }
        }
        let mut by_name: Vec<usize> = (0..columns.len()).collect();
        by_name.sort_by(|&a, &b| columns[a].0.cmp(&columns[b].0));
        TableBuilder {
            table,
            slots: Vec::with_capacity(columns.len()),
            columns,
            height: 0,
            reference_keys: BTreeMap::new(),
            by_name,
        }
    }

    /// Appends one accepted row; its values move into the columns (no copy of its texts).
    /// A field that is no column of the table is left out, as the row is dropped.
    pub(super) fn push_row(&mut self, ctx: &SheetContext, row: RowValues) {
        by_column(
            |c| self.columns[c].0.as_str(),
            &self.by_name,
            row.values,
            &mut self.slots,
        );
        for ((name, data), v) in self.columns.iter_mut().zip(self.slots.drain(..)) {
            match data {
                ColumnData::Text(column) => match (name.as_str(), v) {
                    (col::SOURCE, _) => column.push(Some(ctx.source_name)),
                    (col::ORGANISATION, None) => column.push(ctx.spec.organisation.as_deref()),
                    (col::SERVICE, None) => column.push(ctx.spec.service.as_deref()),
                    (_, Some(Value::Text(t))) => column.push(Some(&t)),
                    (_, Some(Value::Integer(i))) => column.push(Some(&i.to_string())),
                    (_, Some(Value::Number(n))) => {
                        column.push(grid::Cell::Number(n).as_text().as_deref())
                    }
                    _ => column.push(None),
                },
                ColumnData::Date(vec) => vec.push(match v {
                    Some(Value::Date(d)) => Some(epoch_days(d)),
                    _ => None,
                }),
                ColumnData::Int(vec) => vec.push(match v {
                    Some(Value::Integer(i)) => i32::try_from(i).ok(),
                    Some(Value::Month { month, .. }) => Some(month as i32),
                    _ => None,
                }),
                ColumnData::Num(vec) => vec.push(match v {
                    Some(Value::Number(n)) => Some(n),
                    Some(Value::Integer(i)) => Some(i as f64),
                    _ => None,
                }),
                ColumnData::Bool(vec) => vec.push(match v {
                    Some(Value::Bool(b)) => Some(b),
                    _ => None,
                }),
            }
        }
        self.height += 1;
    }

    /// Whether a reference value with this key (publisher, variable, period, level,
    /// code, dimensions) is already in the table.
    pub(super) fn has_reference(&self, key: &RefKey) -> bool {
        self.reference_keys.contains_key(key)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn push_reference(
        &mut self,
        ctx: &SheetContext,
        publisher: &str,
        variable: &str,
        period: Option<i32>,
        level: &str,
        code: &str,
        label: Option<&str>,
        dim1: Option<String>,
        dim2: Option<String>,
        value: f64,
    ) {
        let key: RefKey = (
            publisher.to_string(),
            variable.to_string(),
            period,
            level.to_string(),
            code.to_string(),
            dim1.clone(),
            dim2.clone(),
        );
        // A key already given (by another sheet or file) is never added up: the caller
        // reports it (see `has_reference`).
        if self.reference_keys.contains_key(&key) {
            return;
        }
        self.reference_keys.insert(key, self.height);
        for (name, data) in &mut self.columns {
            match data {
                ColumnData::Text(column) => column.push(match name.as_str() {
                    col::SOURCE => Some(ctx.source_name),
                    col::REF_SOURCE => Some(publisher),
                    col::REF_VARIABLE => Some(variable),
                    col::REF_LEVEL => Some(level),
                    col::REF_CODE => Some(code),
                    col::REF_LABEL => label,
                    col::REF_DIM1 => dim1.as_deref(),
                    col::REF_DIM2 => dim2.as_deref(),
                    _ => None,
                }),
                ColumnData::Int(vec) => vec.push(period),
                ColumnData::Num(vec) => vec.push(Some(value)),
                ColumnData::Date(vec) => vec.push(None),
                ColumnData::Bool(vec) => vec.push(None),
            }
        }
        self.height += 1;
    }

    /// Values of a text column pushed so far (a copy: read once, for the services'
    /// directory); empty for a column that is not a text column of the table.
    pub(super) fn texts(&self, name: &str) -> StringChunked {
        self.columns
            .iter()
            .find_map(|(n, d)| match d {
                ColumnData::Text(t) if n == name => Some(t.snapshot()),
                _ => None,
            })
            .unwrap_or_else(|| StringChunked::full_null(PlSmallStr::EMPTY, 0))
    }

    pub(super) fn finish(self) -> Result<DataFrame, Error> {
        let _ = self.table;
        let mut cols: Vec<Column> = Vec::with_capacity(self.columns.len());
        for (name, data) in self.columns {
            let name = PlSmallStr::from(name.as_str());
            let series = match data {
                ColumnData::Text(t) => t.finish(name),
                ColumnData::Date(v) => Series::new(name, v).cast(&DataType::Date)?,
                ColumnData::Int(v) => Series::new(name, v),
                ColumnData::Num(v) => Series::new(name, v),
                ColumnData::Bool(v) => Series::new(name, v),
            };
            cols.push(series.into());
        }
        Ok(DataFrame::new(self.height, cols)?)
    }
}

/// The values of `row` by column into `slots` (cleared first), for columns named by
/// `name` and listed in name order by `by_name`: the row's fields and the columns, both
/// in name order, are walked side by side. A field that names no column is left out.
fn by_column<'n>(
    name: impl Fn(usize) -> &'n str,
    by_name: &[usize],
    row: FieldValues,
    slots: &mut Vec<Option<Value>>,
) {
    slots.clear();
    slots.resize_with(by_name.len(), || None);
    let mut columns = by_name.iter().copied().peekable();
    for (field, value) in row.0 {
        while let Some(c) = columns.peek().copied() {
            match name(c).cmp(field.as_ref()) {
                std::cmp::Ordering::Less => {
                    columns.next();
                }
                std::cmp::Ordering::Equal => {
                    slots[c] = Some(value);
                    columns.next();
                    break;
                }
                std::cmp::Ordering::Greater => break,
            }
        }
    }
}

/// A text column as it is built. Each value goes straight into Arrow's view buffers, and
/// no `String` is kept a cell: freeing them was most of what finishing the tables of a
/// national reading did. A column whose every value so far is one and the same (the
/// source file, or an organisation or service the pipeline gives for the whole sheet)
/// only counts its rows. It is stored once, every row's view pointing at the same
/// bytes, and stacking keeps it so: a copy per row was 60 MB of file names in a national
/// linkage (docs/architecture.md, « Benchmarks »).
pub(super) enum TextColumn {
    /// Every value so far is this one (null or a text), `len` times.
    Same { value: Option<String>, len: usize },
    /// At least two different values.
    Mixed(StringChunkedBuilder),
}

impl TextColumn {
    pub(super) fn new() -> TextColumn {
        TextColumn::Same {
            value: None,
            len: 0,
        }
    }

    /// Appends a value (`None`: null).
    pub(super) fn push(&mut self, v: Option<&str>) {
        match self {
            TextColumn::Same { value, len } if *len == 0 || value.as_deref() == v => {
                if *len == 0 {
                    *value = v.map(str::to_string);
                }
                *len += 1;
            }
            TextColumn::Same { value, len } => {
                let mut b = StringChunkedBuilder::new(PlSmallStr::EMPTY, *len + 1);
                for _ in 0..*len {
                    b.append_option(value.as_deref());
                }
                b.append_option(v);
                *self = TextColumn::Mixed(b);
            }
            TextColumn::Mixed(b) => b.append_option(v),
        }
    }

    /// The column's values so far, as a column of their own.
    fn snapshot(&self) -> StringChunked {
        match self {
            TextColumn::Same {
                value: Some(v),
                len,
            } => StringChunked::full(PlSmallStr::EMPTY, v, *len),
            TextColumn::Same { value: None, len } => {
                StringChunked::full_null(PlSmallStr::EMPTY, *len)
            }
            TextColumn::Mixed(b) => b.clone().finish(),
        }
    }

    /// The finished column, named.
    pub(super) fn finish(self, name: PlSmallStr) -> Series {
        let mut ca = match self {
            TextColumn::Mixed(b) => b.finish(),
            same => same.snapshot(),
        };
        ca.rename(name);
        ca.into_series()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Each column gets the value of the field of its name, as looking each column's
        /// name up in the row would give; fields of no column are left out.
        #[test]
        fn a_row_s_values_land_in_their_columns(
            columns in prop::collection::vec("[a-d]{1,3}", 0..8),
            fields in prop::collection::vec(("[a-e]{1,3}", any::<i64>()), 0..10),
        ) {
            let mut row = FieldValues::default();
            for (name, v) in &fields {
                row.insert(name.clone(), Value::Integer(*v));
            }
            let mut by_name: Vec<usize> = (0..columns.len()).collect();
            by_name.sort_by(|&a, &b| columns[a].cmp(&columns[b]));
            let mut slots = vec![Some(Value::Bool(true))];
            by_column(|c| columns[c].as_str(), &by_name, row.clone(), &mut slots);
            // Looked up one column after another, each value taken once.
            let mut expected = Vec::new();
            for name in &columns {
                expected.push(row.remove(name));
            }
            prop_assert_eq!(slots, expected);
        }
    }

    /// Pushes `values` into a text column and finishes it.
    fn text_series(name: &str, values: &[Option<String>]) -> Series {
        let mut t = TextColumn::new();
        for v in values {
            t.push(v.as_deref());
        }
        t.finish(name.into())
    }

    #[test]
    fn one_value_everywhere_is_stored_once_and_reads_the_same() {
        let name = "un nom de fichier assez long.xlsx".to_string();
        let v = vec![Some(name.clone()); 1000];
        let s = text_series("source", &v);
        assert!(s.equals_missing(&Series::new("source".into(), v)));
        let bytes: usize = s
            .str()
            .unwrap()
            .downcast_iter()
            .map(|a| a.total_buffer_len())
            .sum();
        assert_eq!(bytes, name.len());
        // Anything else is the column as given, in its order, nulls included.
        for mixed in [
            vec![Some("a".to_string()), None, Some("a".to_string())],
            vec![
                None,
                None,
                Some("une valeur assez longue".to_string()),
                None,
            ],
            vec![
                Some("b".to_string()),
                Some("b".to_string()),
                Some("c".to_string()),
            ],
        ] {
            let s = text_series("x", &mixed);
            assert!(s.equals_missing(&Series::new("x".into(), mixed)));
            assert_eq!(s.name().as_str(), "x");
        }
        let nulls: Vec<Option<String>> = vec![None, None];
        let s = text_series("n", &nulls);
        assert_eq!((s.null_count(), s.dtype()), (2, &DataType::String));
        assert_eq!(text_series("e", &[]).len(), 0);
    }

    proptest! {
        /// Whatever the values, the finished column reads as they were pushed, and a
        /// copy taken on the way reads as the values pushed so far.
        #[test]
        fn a_text_column_reads_as_pushed(
            values in prop::collection::vec(
                prop::sample::select(vec![
                    None,
                    Some(String::new()),
                    Some("a".to_string()),
                    Some("une valeur assez longue".to_string()),
                    Some("une autre valeur assez longue".to_string()),
                ]),
                0..40,
            ),
            at in 0usize..=40,
        ) {
            let mut t = TextColumn::new();
            let mut copy = None;
            for (i, v) in values.iter().enumerate() {
                if i == at {
                    copy = Some(t.snapshot());
                }
                t.push(v.as_deref());
            }
            if at >= values.len() {
                copy = Some(t.snapshot());
            }
            let expected = Series::new("x".into(), values.clone());
            prop_assert!(t.finish("x".into()).equals_missing(&expected));
            if let Some(copy) = copy {
                let so_far = expected.slice(0, at.min(values.len()));
                prop_assert!(copy.into_series().equals_missing(&so_far));
            }
        }
    }
}
