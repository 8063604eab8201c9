//! Writing DataFrames as Parquet (zstd, statistics, key-value metadata), in memory so
//! that the staging directory receives complete files only.

use polars::prelude::*;

use crate::error::Error;

/// Encodes `df` as a Parquet file with zstd compression and `metadata` key-values.
pub fn to_parquet(df: &DataFrame, metadata: &[(&str, String)]) -> Result<Vec<u8>, Error> {
    let mut df = df.clone();
    let mut buf: Vec<u8> = Vec::new();
    let kv: Vec<(String, String)> = metadata
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    ParquetWriter::new(&mut buf)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(kv)))
        .finish(&mut df)?;
    Ok(buf)
}

/// Columns added to the indicator table for analysts (docs/architecture.md, « Parquet
/// for analysts »); the columns of [`crate::indicators::Results::to_dataframe`] keep
/// their names and meaning.
pub mod analyst {
    /// The indicator's label (`registre_indicateurs.parquet` has its definition).
    pub const LABEL: &str = "libelle_indicateur";
    /// `service`, `organisation`, `departement`, `territoire_interne` or `reseau`.
    pub const PERIMETER: &str = "perimetre";
    /// Name of `code_territoire` from the COG (`Cantal`; an internal territory as
    /// `Cantal — Arrondissement d'Aurillac`); empty for the network or an unknown code.
    pub const TERRITORY_NAME: &str = "nom_territoire";
    /// What `valeur` is: `proportion` (a ratio, 1 = 100 %; the report shows it × 100
    /// with `%`, or × 1 000 with `‰`) or `nombre` (a count, amount or mean in the unit
    /// of `unite`).
    pub const VALUE_UNIT: &str = "unite_valeur";
    /// `valeur × facteur_affichage` is the figure as the reports show it in `unite`
    /// (100 for `%`, 1 000 for `‰`, 1 otherwise).
    pub const DISPLAY_FACTOR: &str = "facteur_affichage";
    /// Rank of `modalite` among the values of its `ventilation` (age bands in age
    /// order, vocabularies in their order, numbers in numeric order, « non renseigné »
    /// last); empty without a breakdown.
    pub const MODALITY_ORDER: &str = "ordre_modalite";
    /// Hive partition key of the dataset `indicateurs/annee=…/part-0.parquet`.
    pub const PARTITION_KEY: &str = "annee";
}

/// Folder of the indicator dataset partitioned by year (Hive layout).
pub const DATASET_DIR: &str = "indicateurs";

/// What `valeur` is for a display unit: (`unite_valeur`, `facteur_affichage`).
pub fn value_unit(unite: &str) -> (&'static str, f64) {
    match unite {
        "%" => ("proportion", 100.0),
        "‰" => ("proportion", 1000.0),
        _ => ("nombre", 1.0),
    }
}

/// The name of a territory code of the indicator table: a département (`Cantal`), or
/// an internal territory `<département>-<territoire>` (`Cantal — <territoire>`).
pub fn territory_name(level: &str, code: &str) -> Option<String> {
    if level == "territoire_interne" {
        let (dep, rest) = code.split_once('-')?;
        let d = crate::territory::department(dep)?;
        return Some(format!("{} — {rest}", d.name));
    }
    crate::territory::by_code(code).map(|t| t.name.to_string())
}

/// Sort key of a breakdown value: « non renseigné » last; the vocabulary's order when
/// the dimension has one; else the first number in the text (age bands, questions,
/// fiches); else the folded text.
fn modality_key(dimension: &str, modality: &str) -> (u8, usize, u64, String) {
    use crate::tables::Table;
    let folded = crate::text::fold(modality);
    if folded == crate::text::fold(crate::indicators::frame::UNKNOWN) {
        return (1, 0, 0, folded);
    }
    let position = Table::ALL
        .iter()
        .filter_map(|t| crate::vocabulary::of(*t, dimension))
        .find_map(|terms| terms.iter().position(|t| t.label == modality))
        .unwrap_or(usize::MAX);
    let digits: String = modality
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    let number = digits.parse::<u64>().unwrap_or(u64::MAX);
    (0, position, number, folded)
}

/// `df` (the long-format table) with the analysts' columns of [`analyst`] added at the
/// end. Each rule runs once per distinct value (indicators, territories, breakdown
/// values), then joins.
pub fn for_analysts(df: &DataFrame) -> Result<DataFrame, Error> {
    use crate::indicators::columns as c;
    use crate::indicators::frame::{left_ordered_join, lookup};
    use analyst::*;
    let mut lf = df.clone().lazy();
    // Indicator labels.
    let ids = distinct(df, c::INDICATOR)?;
    let labels = lookup(&ids, c::INDICATOR, LABEL, |id| {
        crate::indicators::definition(id).map(|d| d.libelle.to_string())
    })?;
    lf = left_ordered_join(lf, labels, &[c::INDICATOR], JoinType::Left);
    // Value units.
    let units = distinct(df, c::UNIT)?;
    let kinds = lookup(&units, c::UNIT, VALUE_UNIT, |u| value_unit(u).0.to_string())?;
    let factors = lookup(&units, c::UNIT, DISPLAY_FACTOR, |u| value_unit(u).1)?;
    lf = left_ordered_join(lf, kinds, &[c::UNIT], JoinType::Left);
    lf = left_ordered_join(lf, factors, &[c::UNIT], JoinType::Left);
    let names = territory_names(df)?;
    lf = left_ordered_join(lf, names, &[c::LEVEL, c::TERRITORY], JoinType::Left);
    let order = modality_order(df)?;
    lf = left_ordered_join(
        lf,
        order,
        &[c::BREAKDOWN, c::BREAKDOWN_VALUE],
        JoinType::Left,
    );
    lf = lf.with_column(perimeter());
    let mut order: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    order.extend(
        [
            LABEL,
            PERIMETER,
            TERRITORY_NAME,
            VALUE_UNIT,
            DISPLAY_FACTOR,
            MODALITY_ORDER,
        ]
        .map(String::from),
    );
    Ok(lf
        .select(order.iter().map(|s| col(s.as_str())).collect::<Vec<_>>())
        .collect()?)
}

/// The distinct non-null values of a column of `df`, sorted. Found by the plan, not by
/// a text a row: the 560 000 rows of a national table gave their texts one by one for a
/// handful of distinct values (docs/architecture.md, « Benchmarks »).
fn distinct(df: &DataFrame, name: &str) -> Result<Vec<String>, Error> {
    let mut values = crate::indicators::frame::distinct(df.clone().lazy(), col(name))?;
    values.sort_unstable();
    Ok(values)
}

/// The distinct pairs of two text columns of `df` where both are known, sorted (found by
/// the plan, as in [`distinct`]).
fn distinct_pairs(df: &DataFrame, a: &str, b: &str) -> Result<Vec<(String, String)>, Error> {
    let pairs = df
        .clone()
        .lazy()
        .select([col(a).cast(DataType::String), col(b).cast(DataType::String)])
        .drop_nulls(None)
        .unique(None, UniqueKeepStrategy::Any)
        .collect()?;
    let (x, y) = (pairs.column(a)?.str()?, pairs.column(b)?.str()?);
    let mut out: Vec<(String, String)> = x
        .iter()
        .zip(y.iter())
        .filter_map(|(x, y)| Some((x?.to_string(), y?.to_string())))
        .collect();
    out.sort_unstable();
    Ok(out)
}

/// Territory names, per (level, code) present in `df`.
fn territory_names(df: &DataFrame) -> Result<LazyFrame, Error> {
    use crate::indicators::columns as c;
    let pairs = distinct_pairs(df, c::LEVEL, c::TERRITORY)?;
    let (pl, pc): (Vec<String>, Vec<String>) = pairs.iter().cloned().unzip();
    let names: Vec<Option<String>> = pairs.iter().map(|(l, c)| territory_name(l, c)).collect();
    Ok(DataFrame::new(
        pl.len(),
        vec![
            Column::new(c::LEVEL.into(), pl),
            Column::new(c::TERRITORY.into(), pc),
            Column::new(analyst::TERRITORY_NAME.into(), names),
        ],
    )?
    .lazy())
}

/// Modality order, per (breakdown, value) present in `df`.
fn modality_order(df: &DataFrame) -> Result<LazyFrame, Error> {
    use crate::indicators::columns as c;
    let mut by_dim: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (d, m) in distinct_pairs(df, c::BREAKDOWN, c::BREAKDOWN_VALUE)? {
        by_dim.entry(d).or_default().push(m);
    }
    let (mut od, mut om, mut rank) = (Vec::new(), Vec::new(), Vec::new());
    for (d, values) in by_dim {
        let mut v = values;
        v.sort_by_cached_key(|m| modality_key(&d, m));
        for (i, m) in v.into_iter().enumerate() {
            od.push(d.clone());
            om.push(m);
            rank.push(i as u32 + 1);
        }
    }
    Ok(DataFrame::new(
        od.len(),
        vec![
            Column::new(c::BREAKDOWN.into(), od),
            Column::new(c::BREAKDOWN_VALUE.into(), om),
            Column::new(analyst::MODALITY_ORDER.into(), rank),
        ],
    )?
    .lazy())
}

/// The perimeter of a row: service, organisation, network, internal territory or
/// département.
fn perimeter() -> Expr {
    use crate::indicators::columns as c;
    when(col(c::SERVICE).is_not_null())
        .then(lit("service"))
        .when(
            col(c::LEVEL)
                .eq(lit("ensemble"))
                .and(col(c::ORGANISATION).is_not_null()),
        )
        .then(lit("organisation"))
        .when(col(c::LEVEL).eq(lit("ensemble")))
        .then(lit("reseau"))
        .when(col(c::LEVEL).eq(lit("territoire_interne")))
        .then(lit("territoire_interne"))
        .otherwise(lit("departement"))
        .alias(analyst::PERIMETER)
}

/// The table as a Hive-partitioned dataset by year: one `(path, bytes)` per year,
/// `indicateurs/annee=<year>/part-0.parquet`, each file holding that year's rows (all
/// columns, `periode` included), with the same metadata.
pub fn partitions_by_year(
    df: &DataFrame,
    metadata: &[(&str, String)],
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    use crate::indicators::columns as c;
    let years: Vec<i32> = df
        .column(c::PERIOD)?
        .cast(&DataType::Int32)?
        .i32()?
        .iter()
        .flatten()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // Years are independent files: encoded on every core (zstd is most of the time).
    use rayon::prelude::*;
    years
        .into_par_iter()
        .map(|y| {
            let part = df
                .clone()
                .lazy()
                .filter(col(c::PERIOD).eq(lit(y)))
                .collect()?;
            Ok((
                format!(
                    "{DATASET_DIR}/{}={y}/part-0.parquet",
                    analyst::PARTITION_KEY
                ),
                to_parquet(&part, metadata)?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests;
