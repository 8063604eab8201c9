//! From aggregates to output rows: a figure (`Fig`) names its indicator, perimeter and
//! numerator / denominator columns; `rows` turns the plans of a family into
//! `IndicatorRow`s, in a stable order.

use super::*;

/// How a figure's value follows from its numerator and denominator.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// A count or amount: the value is the numerator.
    Count,
    /// numerator / denominator (null when it cannot be computed).
    Ratio,
}

/// One indicator read from an aggregated frame (one row per perimeter and year, or per
/// perimeter, year and breakdown value).
pub struct Fig {
    pub id: &'static str,
    pub unit: &'static str,
    pub breakdown: Option<(&'static str, Expr)>,
    pub num: Expr,
    pub den: Option<Expr>,
    pub value: Value,
    pub staff: (Option<Expr>, Option<Expr>),
}

impl Fig {
    pub fn count(id: &'static str, unit: &'static str, num: Expr) -> Fig {
        Fig {
            id,
            unit,
            breakdown: None,
            num,
            den: None,
            value: Value::Count,
            staff: (None, None),
        }
    }

    pub fn ratio(id: &'static str, unit: &'static str, num: Expr, den: Expr) -> Fig {
        Fig {
            id,
            unit,
            breakdown: None,
            num,
            den: Some(den),
            value: Value::Ratio,
            staff: (None, None),
        }
    }

    pub fn by(mut self, dimension: &'static str, modality: Expr) -> Fig {
        self.breakdown = Some((dimension, modality));
        self
    }

    /// Persons behind the numerator / denominator (frequency rule).
    pub fn staff(mut self, num: Option<Expr>, den: Option<Expr>) -> Fig {
        self.staff = (num, den);
        self
    }

    /// The figure's columns from `lf` (which holds `_perimetre` and `_annee`).
    pub fn select(self, lf: LazyFrame) -> LazyFrame {
        let null_text = || lit(Null {}).cast(DataType::String);
        let null_num = || lit(Null {}).cast(DataType::Float64);
        let num = self.num.cast(DataType::Float64);
        let den = self.den.map(|d| d.cast(DataType::Float64));
        let value = match (self.value, &den) {
            (Value::Ratio, Some(d)) => ratio(num.clone(), d.clone()),
            _ => num.clone(),
        };
        let (dim, modality) = match self.breakdown {
            Some((d, m)) => (lit(d), m.cast(DataType::String)),
            None => (null_text(), null_text()),
        };
        let f64_or_null = |e: Option<Expr>| e.map_or_else(null_num, |e| e.cast(DataType::Float64));
        lf.select([
            col(k::PERIMETER),
            col(k::YEAR).cast(DataType::Int32).alias(out::PERIOD),
            lit(self.id).alias(out::INDICATOR),
            dim.alias(out::BREAKDOWN),
            modality.alias(out::BREAKDOWN_VALUE),
            num.alias(out::NUMERATOR),
            den.unwrap_or_else(null_num).alias(out::DENOMINATOR),
            value.alias(out::VALUE),
            lit(self.unit).alias(out::UNIT),
            f64_or_null(self.staff.0).alias(k::STAFF_NUM),
            f64_or_null(self.staff.1).alias(k::STAFF_DEN),
        ])
    }
}

/// The rows of figure frames ([`Fig::select`]) described by their perimeters.
pub fn rows(parts: Vec<LazyFrame>, perimeters: &Perimeters) -> Result<Vec<IndicatorRow>, Error> {
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let df = concat(parts, UnionArgs::default())?
        .join(
            perimeters.described.clone().lazy(),
            [col(k::PERIMETER)],
            [col(k::PERIMETER)],
            JoinArgs::new(JoinType::Left),
        )
        .collect()?;
    to_rows(&df)
}

/// Output rows of a frame holding the long-format columns (the staff counts optional).
/// This is where the plans' results become the `IndicatorRow`s that disclosure control
/// and publishing read. The rows are made empty once, then filled in slices of
/// [`ROWS_A_TASK`] on every core ([`fill_rows`]), each slice in its place: on one core,
/// the 560 000 figures of a national network kept the other core idle for a second and a
/// half (docs/architecture.md, « Indicators as Polars plans »); filled in place, no
/// second buffer of the rows is held.
pub fn to_rows(df: &DataFrame) -> Result<Vec<IndicatorRow>, Error> {
    use rayon::prelude::*;
    let mut rows: Vec<IndicatorRow> = Vec::new();
    if df.height() == 0 {
        // Still checks that the frame has the long-format columns.
        fill_rows(df, &mut rows)?;
        return Ok(rows);
    }
    // An empty row holds no text: nothing is allocated before it is filled.
    rows.resize_with(df.height(), IndicatorRow::default);
    rows.par_chunks_mut(ROWS_A_TASK)
        .with_max_len(1)
        .enumerate()
        .try_for_each(|(k, out)| fill_rows(&df.slice((k * ROWS_A_TASK) as i64, out.len()), out))?;
    Ok(rows)
}

/// Rows of one slice of [`to_rows`]: a few thousand, so that a family's frame is shared
/// fairly between the cores.
pub(super) const ROWS_A_TASK: usize = 8_192;

/// Fills `out` with the rows of `df` (a slice of [`to_rows`], as many rows as `out`), in
/// its order. Each text is made once and moved into its row. One iteration per output
/// figure: nothing is computed here.
fn fill_rows(df: &DataFrame, out: &mut [IndicatorRow]) -> Result<(), Error> {
    type Texts = std::vec::IntoIter<Option<String>>;
    type Numbers = std::vec::IntoIter<Option<f64>>;
    let s = |name: &str| -> Result<Texts, Error> {
        Ok(df
            .column(name)?
            .cast(&DataType::String)?
            .str()?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect::<Vec<_>>()
            .into_iter())
    };
    let f = |name: &str| -> Result<Numbers, Error> {
        Ok(df
            .column(name)?
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .collect::<Vec<_>>()
            .into_iter())
    };
    let f_opt = |name: &str| -> Result<Numbers, Error> {
        if df.column(name).is_ok() {
            f(name)
        } else {
            Ok(vec![None; df.height()].into_iter())
        }
    };
    let mut period = df
        .column(out::PERIOD)?
        .cast(&DataType::Int32)?
        .i32()?
        .iter()
        .collect::<Vec<_>>()
        .into_iter();
    let (mut ind, mut level, mut code, mut org, mut svc, mut name) = (
        s(out::INDICATOR)?,
        s(out::LEVEL)?,
        s(out::TERRITORY)?,
        s(out::ORGANISATION)?,
        s(out::SERVICE)?,
        s(out::SERVICE_NAME)?,
    );
    let (mut dim, mut modality, mut unit) =
        (s(out::BREAKDOWN)?, s(out::BREAKDOWN_VALUE)?, s(out::UNIT)?);
    let (mut n, mut d, mut v) = (f(out::NUMERATOR)?, f(out::DENOMINATOR)?, f(out::VALUE)?);
    let (mut sn, mut sd) = (f_opt(k::STAFF_NUM)?, f_opt(k::STAFF_DEN)?);
    // Every column has the frame's height, which is `out`'s: each `next` gives a value.
    let text = |it: &mut Texts| it.next().flatten();
    let number = |it: &mut Numbers| it.next().flatten();
    for row in out.iter_mut() {
        *row = IndicatorRow {
            indicateur: text(&mut ind).unwrap_or_default(),
            periode: period.next().flatten().unwrap_or_default(),
            niveau_territoire: text(&mut level).unwrap_or_default(),
            code_territoire: text(&mut code),
            organisation: text(&mut org),
            service: text(&mut svc),
            nom_service: text(&mut name),
            ventilation: text(&mut dim),
            modalite: text(&mut modality),
            numerateur: number(&mut n),
            denominateur: number(&mut d),
            valeur: number(&mut v),
            unite: text(&mut unit).unwrap_or_default(),
            effectif_numerateur: number(&mut sn),
            effectif_denominateur: number(&mut sd),
            ..Default::default()
        };
    }
    debug_assert!(
        [
            ind.len(),
            level.len(),
            code.len(),
            org.len(),
            svc.len(),
            name.len()
        ]
        .into_iter()
        .chain([dim.len(), modality.len(), unit.len(), period.len()])
        .chain([n.len(), d.len(), v.len(), sn.len(), sd.len()])
        .all(|left| left == 0),
        "every column of the slice read once per row"
    );
    Ok(())
}

/// Sorts rows in the order of the long-format table, stably (ties keep their order):
/// indicator, service, level, territory, breakdown, value, period, then organisation and
/// service name; a missing text sorts before any text.
///
/// The order is computed as indices ([`order`]) and applied in place, cycle by cycle: a
/// stable sort of the rows themselves allocates a buffer of the rows, 250 MB for the
/// 560 000 figures of a national network (docs/architecture.md, « Benchmarks »).
pub fn sort(rows: &mut [IndicatorRow]) {
    let order = order(rows);
    permute(rows, order);
}

/// A text field of the sort key, `None` sorting first.
type Field = fn(&IndicatorRow) -> Option<&str>;

/// The text fields of the order of [`sort`] (the period goes after the sixth).
const FIELDS: [Field; 8] = [
    |r| Some(&r.indicateur),
    |r| r.service.as_deref(),
    |r| Some(&r.niveau_territoire),
    |r| r.code_territoire.as_deref(),
    |r| r.ventilation.as_deref(),
    |r| r.modalite.as_deref(),
    |r| r.organisation.as_deref(),
    |r| r.nom_service.as_deref(),
];

/// The stable order of [`sort`]: `order[i]` is the row that goes at `i`.
///
/// Comparing the key's texts directly was a third of the indicators' CPU at national
/// scale (half a million rows, a few million comparisons of mostly equal texts, two or
/// three sorts a run). Each text field is ranked once among its distinct values (a few
/// hundred to a few thousand) and the rows are sorted by their ranks: integers that
/// order exactly as the texts do, with the row's index as the last key (so ties keep
/// their order and an unstable sort gives the stable result).
pub fn order(rows: &[IndicatorRow]) -> Vec<usize> {
    use rayon::prelude::*;
    let ranked: Vec<Vec<u32>> = FIELDS.par_iter().map(|f| ranks(rows, *f)).collect();
    // The period compares as a signed number: flipping the sign bit keeps its order.
    let period = |r: &IndicatorRow| (r.periode as u32) ^ (1 << 31);
    let mut keys: Vec<([u32; 9], usize)> = (0..rows.len())
        .into_par_iter()
        .map(|i| {
            let f = |k: usize| ranked[k][i];
            let key = [
                f(0),
                f(1),
                f(2),
                f(3),
                f(4),
                f(5),
                period(&rows[i]),
                f(6),
                f(7),
            ];
            (key, i)
        })
        .collect();
    keys.par_sort_unstable();
    keys.into_iter().map(|(_, i)| i).collect()
}

/// Each row's rank of `field` among its distinct values: 0 for none, then 1, 2… in the
/// texts' order.
fn ranks(rows: &[IndicatorRow], field: Field) -> Vec<u32> {
    let mut ids: PlHashMap<&str, u32> = PlHashMap::default();
    let first_seen: Vec<u32> = rows
        .iter()
        .map(|r| match field(r) {
            None => 0,
            Some(v) => {
                let next = ids.len() as u32 + 1;
                *ids.entry(v).or_insert(next)
            }
        })
        .collect();
    let mut distinct: Vec<(&str, u32)> = ids.into_iter().collect();
    distinct.sort_unstable();
    let mut rank = vec![0u32; distinct.len() + 1];
    for (r, (_, id)) in distinct.iter().enumerate() {
        rank[*id as usize] = r as u32 + 1;
    }
    first_seen.into_iter().map(|id| rank[id as usize]).collect()
}

/// Puts `v[order[i]]` at `i` for every `i`, in place (`order` is a permutation).
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for i in 0..v.len() {
        let mut j = i;
        while order[j] != DONE {
            let next = order[j];
            order[j] = DONE;
            if next == i {
                break;
            }
            v.swap(j, next);
            j = next;
        }
    }
}

/// The rows in the order of [`sort`], borrowed (no row is copied).
pub fn sorted(rows: &[IndicatorRow]) -> Vec<&IndicatorRow> {
    order(rows).into_iter().map(|i| &rows[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The order of the long-format table, compared text by text (the reference [`order`]
    /// must give): indicator, service, level, territory, breakdown,
    /// value, period, then organisation and service name.
    type Key<'a> = (
        &'a str,
        Option<&'a str>,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        i32,
        Option<&'a str>,
        Option<&'a str>,
    );

    fn key(r: &IndicatorRow) -> Key<'_> {
        (
            &r.indicateur,
            r.service.as_deref(),
            &r.niveau_territoire,
            r.code_territoire.as_deref(),
            r.ventilation.as_deref(),
            r.modalite.as_deref(),
            r.periode,
            r.organisation.as_deref(),
            r.nom_service.as_deref(),
        )
    }

    proptest! {
        /// Sorting by ranks, in place, gives the stable sort of the rows by their texts:
        /// every field varies, with missing texts, empty ones, texts that are prefixes of
        /// others, accents, and negative periods.
        #[test]
        fn sorting_in_place_is_the_stable_sort(
            cells in proptest::collection::vec(
                (proptest::collection::vec(0u8..6, 8), -2i32..3, 0u16..1000),
                0..200,
            )
        ) {
            const TEXTS: [&str; 5] = ["", "a", "ab", "b", "é"];
            let rows: Vec<IndicatorRow> = cells
                .iter()
                .map(|(t, y, tag)| {
                    // 5 is a missing text (the two required fields take "z" instead).
                    let o = |k: usize| TEXTS.get(usize::from(t[k])).map(|s| s.to_string());
                    let req = |k: usize| o(k).unwrap_or_else(|| "z".into());
                    IndicatorRow {
                        indicateur: req(0),
                        service: o(1),
                        niveau_territoire: req(2),
                        code_territoire: o(3),
                        ventilation: o(4),
                        modalite: o(5),
                        periode: 2020 * y.signum() + y,
                        organisation: o(6),
                        nom_service: o(7),
                        // Not in the key: tells apart rows the key ties.
                        numerateur: Some(f64::from(*tag)),
                        ..Default::default()
                    }
                })
                .collect();
            let mut expected = rows.clone();
            expected.sort_by(|a, b| key(a).cmp(&key(b)));
            let borrowed: Vec<IndicatorRow> = sorted(&rows).into_iter().cloned().collect();
            prop_assert_eq!(&borrowed, &expected);
            let mut got = rows;
            sort(&mut got);
            prop_assert_eq!(got, expected);
        }

        #[test]
        fn permute_gathers(order in Just((0..50usize).collect::<Vec<_>>()).prop_shuffle()) {
            let mut v: Vec<usize> = (100..150).collect();
            let expected: Vec<usize> = order.iter().map(|&i| 100 + i).collect();
            permute(&mut v, order);
            prop_assert_eq!(v, expected);
        }
    }
}
