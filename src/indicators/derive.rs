//! Figures derived from computed rows, the same way for every indicator: rates pooled
//! from services to organisations, départements and the whole network (sums of
//! numerators over sums of denominators), change from the previous year and from the
//! base year, and peer comparison of a service with the quartiles of services of the
//! same type (ANAP *parangonnage*).

use polars::prelude::*;

use super::{Directory, IndicatorRow, columns as out};
use crate::error::Error;

/// Pools service rows of additive rates: Σ numerators / Σ denominators per perimeter.
/// A perimeter where one service lacks its numerator or denominator gets no value.
pub fn pool_services(rows: &[IndicatorRow], dir: &Directory) -> Result<Vec<IndicatorRow>, Error> {
    use super::frame::{self, Perimeters, k};
    let pooled: Vec<&IndicatorRow> = rows
        .iter()
        .filter(|r| r.service.is_some() && r.ventilation.is_none())
        .collect();
    if pooled.is_empty() {
        return Ok(Vec::new());
    }
    // One iteration per service row (and column): the bridge from the family's rows.
    let text = |name: &str, f: &dyn Fn(&IndicatorRow) -> Option<&str>| {
        Column::new(name.into(), pooled.iter().map(|r| f(r)).collect::<Vec<_>>())
    };
    let df = DataFrame::new(
        pooled.len(),
        vec![
            text(k::SERVICE, &|r| r.service.as_deref()),
            text(out::INDICATOR, &|r| Some(r.indicateur.as_str())),
            text(out::UNIT, &|r| Some(r.unite.as_str())),
            Column::new(
                k::YEAR.into(),
                pooled.iter().map(|r| r.periode).collect::<Vec<i32>>(),
            ),
            Column::new(
                "_n".into(),
                pooled.iter().map(|r| r.numerateur).collect::<Vec<_>>(),
            ),
            Column::new(
                "_d".into(),
                pooled.iter().map(|r| r.denominateur).collect::<Vec<_>>(),
            ),
        ],
    )?;
    let services: Vec<String> = pooled.iter().filter_map(|r| r.service.clone()).collect();
    let perimeters = Perimeters::new(dir, &services)?;
    let missing = col("_n").is_null().or(col("_d").is_null()).any(true);
    let null = || lit(Null {}).cast(DataType::Float64);
    let sum = |c: &str| when(missing.clone()).then(null()).otherwise(col(c).sum());
    let agg = perimeters
        .expand(df.lazy())
        .filter(col(k::OWN).not())
        .group_by([
            col(k::PERIMETER),
            col(k::YEAR),
            col(out::INDICATOR),
            col(out::UNIT),
        ])
        .agg([sum("_n").alias("_n"), sum("_d").alias("_d")]);
    let parts = vec![
        agg.select([
            col(k::PERIMETER),
            col(k::YEAR).alias(out::PERIOD),
            col(out::INDICATOR),
            lit(Null {}).cast(DataType::String).alias(out::BREAKDOWN),
            lit(Null {})
                .cast(DataType::String)
                .alias(out::BREAKDOWN_VALUE),
            col("_n").alias(out::NUMERATOR),
            col("_d").alias(out::DENOMINATOR),
            frame::ratio(col("_n"), col("_d")).alias(out::VALUE),
            col(out::UNIT),
        ]),
    ];
    frame::rows(parts, &perimeters)
}

/// Quantile with linear interpolation between order statistics (type 7).
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Key of a figure's series across years (evolutions) and of a peer group (peers), as
/// dense integers: the plans join and window on one integer column instead of seven text
/// columns (half a million rows at national scale: the text keys took 540 MB while the
/// plans ran; docs/architecture.md, « Indicators in bounded memory »).
const KEY: &str = "_cle";
const GROUP: &str = "_groupe";
const PEER: &str = "_pair";

/// A dense id per distinct key, in order of first appearance (equal keys, equal ids;
/// absent parts compare equal, as the joins' `nulls_equal` did).
fn dense_ids<'a, K: std::hash::Hash + Eq>(
    rows: &'a [IndicatorRow],
    key: impl Fn(&'a IndicatorRow) -> K,
) -> Vec<u32> {
    let mut ids: PlHashMap<K, u32> = PlHashMap::default();
    // One iteration per row: interning borrowed keys is the bridge from the rows, no
    // figure is computed here.
    rows.iter()
        .map(|r| {
            let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            *ids.entry(key(r)).or_insert(next)
        })
        .collect()
}

/// The rows' series keys, periods and values as a frame (one row per row, in order).
fn series_frame(rows: &[IndicatorRow]) -> Result<DataFrame, Error> {
    let ids = dense_ids(rows, |r| {
        (
            r.indicateur.as_str(),
            r.niveau_territoire.as_str(),
            r.code_territoire.as_deref(),
            r.organisation.as_deref(),
            r.service.as_deref(),
            r.ventilation.as_deref(),
            r.modalite.as_deref(),
        )
    });
    Ok(DataFrame::new(
        rows.len(),
        vec![
            Column::new(KEY.into(), ids),
            Column::new(
                out::PERIOD.into(),
                rows.iter().map(|r| r.periode).collect::<Vec<i32>>(),
            ),
            Column::new(
                out::VALUE.into(),
                rows.iter().map(|r| r.valeur).collect::<Vec<Option<f64>>>(),
            ),
        ],
    )?)
}

/// The rows' peer groups (indicator, year, breakdown and the service's folded type),
/// whether each row is a service with a known type, and its value.
fn peer_frame(rows: &[IndicatorRow], dir: &Directory) -> Result<DataFrame, Error> {
    // The folded type of each service, once per service of the directory.
    let types: std::collections::BTreeMap<&str, String> = dir
        .codes()
        .filter_map(|s| {
            let t = dir.get(s)?.service_type.as_deref()?;
            Some((s, crate::text::fold(t)))
        })
        .collect();
    let type_of = |r: &IndicatorRow| {
        r.service
            .as_deref()
            .and_then(|s| types.get(s))
            .map(String::as_str)
    };
    let groups = dense_ids(rows, |r| {
        (
            r.indicateur.as_str(),
            r.periode,
            r.ventilation.as_deref(),
            r.modalite.as_deref(),
            type_of(r),
        )
    });
    Ok(DataFrame::new(
        rows.len(),
        vec![
            Column::new(GROUP.into(), groups),
            Column::new(
                PEER.into(),
                rows.iter()
                    .map(|r| type_of(r).is_some())
                    .collect::<Vec<bool>>(),
            ),
            Column::new(
                out::VALUE.into(),
                rows.iter().map(|r| r.valeur).collect::<Vec<Option<f64>>>(),
            ),
        ],
    )?)
}

fn floats(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>, Error> {
    Ok(df
        .column(name)?
        .cast(&DataType::Float64)?
        .f64()?
        .iter()
        .collect())
}

/// Sets the peer columns of service rows: services of the same type, same indicator,
/// year and breakdown — window expressions (`over`) on the values that are not hidden.
pub fn peers(rows: &mut [IndicatorRow], services: &DataFrame) -> Result<(), Error> {
    let values = peer_values(rows, services)?;
    set_peers(rows, values);
    Ok(())
}

/// The peers' count and quartiles of each row ([`peers`]).
type PeerValues = [Vec<Option<f64>>; 4];

fn set_peers(rows: &mut [IndicatorRow], [n, q1, q2, q3]: PeerValues) {
    // One iteration per row: the results go back to the rows.
    for (i, r) in rows.iter_mut().enumerate() {
        r.pairs_nombre = n[i];
        r.pairs_q1 = q1[i];
        r.pairs_mediane = q2[i];
        r.pairs_q3 = q3[i];
    }
}

fn peer_values(rows: &[IndicatorRow], services: &DataFrame) -> Result<PeerValues, Error> {
    let dir = Directory::from_services(services)?;
    let df = peer_frame(rows, &dir)?;
    let group = [col(GROUP)];
    let peer = col(PEER);
    let value = when(peer.clone())
        .then(col(out::VALUE))
        .otherwise(lit(Null {}).cast(DataType::Float64));
    let n = value.clone().count().over(group.clone())?;
    let q = |p: f64| value.clone().quantile(lit(p), QuantileMethod::Linear);
    let has = peer.and(n.clone().gt(lit(0)));
    let only = |e: Expr, name: &str| {
        when(has.clone())
            .then(e)
            .otherwise(lit(Null {}).cast(DataType::Float64))
            .alias(name)
    };
    let df = df
        .lazy()
        .select([
            only(n.cast(DataType::Float64), out::PEERS_N),
            only(q(0.25).over(group.clone())?, out::PEERS_Q1),
            only(q(0.5).over(group.clone())?, out::PEERS_MEDIAN),
            only(q(0.75).over(group)?, out::PEERS_Q3),
        ])
        .collect()?;
    Ok([
        floats(&df, out::PEERS_N)?,
        floats(&df, out::PEERS_Q1)?,
        floats(&df, out::PEERS_MEDIAN)?,
        floats(&df, out::PEERS_Q3)?,
    ])
}

/// Recomputes peer comparisons and evolutions from the values the rows hold now (after
/// disclosure control has hidden some): a hidden value never enters a quartile or a
/// difference, so none of them can be worked back to it.
pub fn refresh(
    rows: &mut [IndicatorRow],
    services: &DataFrame,
    base_year: i32,
) -> Result<(), Error> {
    // Two plans over the same rows, run at once; their results go back after.
    let (peers, evolutions) = rayon::join(
        || peer_values(rows, services),
        || evolution_values(rows, base_year),
    );
    set_peers(rows, peers?);
    set_evolutions(rows, evolutions?);
    Ok(())
}

/// Sets the change from the previous year and from `base_year` on every row.
pub fn evolutions(rows: &mut [IndicatorRow], base_year: i32) {
    // The plan only fails on an internal inconsistency; rows then keep no evolution.
    match evolution_values(rows, base_year) {
        Ok(values) => set_evolutions(rows, values),
        Err(_) => {
            for r in rows.iter_mut() {
                r.evolution_annuelle = None;
                r.evolution_depuis_base = None;
            }
        }
    }
}

/// The change of each row from the year before and from the base year.
type EvolutionValues = (Vec<Option<f64>>, Vec<Option<f64>>);

fn set_evolutions(rows: &mut [IndicatorRow], (year, since): EvolutionValues) {
    // One iteration per row: the results go back to the rows.
    for (i, r) in rows.iter_mut().enumerate() {
        r.evolution_annuelle = year[i];
        r.evolution_depuis_base = since[i];
    }
}

/// Evolutions by joining each row to the value of the same key the year before and in
/// the base year (the last row of a duplicated key and year counts, as a map would).
fn evolution_values(rows: &[IndicatorRow], base_year: i32) -> Result<EvolutionValues, Error> {
    let df = series_frame(rows)?;
    let keys = vec![col(KEY)];
    let with_period = vec![col(KEY), col(out::PERIOD)];
    let values = df
        .clone()
        .lazy()
        .filter(col(out::VALUE).is_not_null())
        .select([col(KEY), col(out::PERIOD), col(out::VALUE).alias("_v")])
        .unique_stable(
            Some(by_name([KEY, out::PERIOD], true, false)),
            UniqueKeepStrategy::Last,
        )
        .cache();
    let mut args = JoinArgs::new(JoinType::Left);
    args.maintain_order = MaintainOrderJoin::Left;
    let previous = values
        .clone()
        .with_column((col(out::PERIOD) + lit(1)).alias(out::PERIOD));
    let base = values
        .filter(col(out::PERIOD).eq(lit(base_year)))
        .drop(by_name([out::PERIOD], true, false))
        .rename(["_v"], ["_base"], true);
    let df = df
        .lazy()
        .join(
            previous.rename(["_v"], ["_avant"], true),
            with_period.clone(),
            with_period,
            args.clone(),
        )
        .join(base, keys.clone(), keys, args)
        .select([
            (col(out::VALUE) - col("_avant")).alias(out::CHANGE_YEAR),
            when(col(out::PERIOD).gt(lit(base_year)))
                .then(col(out::VALUE) - col("_base"))
                .otherwise(lit(Null {}).cast(DataType::Float64))
                .alias(out::CHANGE_BASE),
        ])
        .collect()?;
    if df.height() != rows.len() {
        return Err(Error::Internal(
            "évolutions : le nombre de lignes a changé".into(),
        ));
    }
    Ok((
        floats(&df, out::CHANGE_YEAR)?,
        floats(&df, out::CHANGE_BASE)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::ratio;

    #[test]
    fn quantiles_by_hand() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), Some(2.5));
        assert_eq!(quantile(&v, 0.25), Some(1.75));
        assert_eq!(quantile(&v, 0.75), Some(3.25));
        assert_eq!(quantile(&[5.0], 0.25), Some(5.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn pooling_and_evolutions_by_hand() {
        let row = |s: &str, y: i32, n: f64, d: f64| IndicatorRow {
            indicateur: "t".into(),
            periode: y,
            niveau_territoire: "departement".into(),
            code_territoire: Some("15".into()),
            organisation: Some("O".into()),
            service: Some(s.into()),
            numerateur: Some(n),
            denominateur: Some(d),
            valeur: ratio(Some(n), Some(d)),
            unite: "%".into(),
            ..Default::default()
        };
        // Two services: (90 + 30) / (100 + 50) = 0,80 — not the mean of 0,90 and 0,60.
        let rows = vec![row("A", 2021, 90.0, 100.0), row("B", 2021, 30.0, 50.0)];
        let services = polars::df![
            "service" => ["A", "B"],
            "organisation" => ["O", "O"],
            "departement" => ["15", "15"],
            "territoire" => [Some("Aurillac"), None],
            "annee" => [2021, 2021],
        ]
        .unwrap();
        let dir = Directory::from_services(&services).unwrap();
        let pooled = pool_services(&rows, &dir).unwrap();
        // Organisation, département, network — and the internal territory of A alone.
        assert_eq!(pooled.len(), 4);
        let territory = pooled
            .iter()
            .find(|r| r.niveau_territoire == "territoire_interne")
            .unwrap();
        assert_eq!(
            (territory.code_territoire.as_deref(), territory.valeur),
            (Some("15-Aurillac"), Some(0.9))
        );
        let pooled: Vec<_> = pooled
            .into_iter()
            .filter(|r| r.niveau_territoire != "territoire_interne")
            .collect();
        assert!(
            pooled
                .iter()
                .all(|r| r.valeur == Some(0.8) && r.denominateur == Some(150.0))
        );
        let mut rows = vec![
            row("A", 2020, 80.0, 100.0),
            row("A", 2021, 90.0, 100.0),
            row("A", 2022, 85.0, 100.0),
        ];
        evolutions(&mut rows, 2020);
        assert_eq!(rows[0].evolution_annuelle, None);
        assert!((rows[1].evolution_annuelle.unwrap() - 0.1).abs() < 1e-12);
        assert!((rows[2].evolution_annuelle.unwrap() + 0.05).abs() < 1e-12);
        assert!((rows[2].evolution_depuis_base.unwrap() - 0.05).abs() < 1e-12);
    }
}
