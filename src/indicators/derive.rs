//! Figures derived from computed rows, the same way for every indicator: rates pooled
//! from services to organisations, départements and the whole network (sums of
//! numerators over sums of denominators), change from the previous year and from the
//! base year, and peer comparison of a service with the quartiles of services of the
//! same type (ANAP *parangonnage*).

use std::collections::BTreeMap;

use polars::prelude::DataFrame;

use super::persons::Perimeter;
use super::{Directory, IndicatorRow, ratio};
use crate::error::Error;

/// Pools service rows of additive rates: Σ numerators / Σ denominators per perimeter.
/// A perimeter where one service lacks its numerator or denominator gets no value.
pub fn pool_services(rows: &[IndicatorRow], dir: &Directory) -> Vec<IndicatorRow> {
    type Key = (String, i32, Perimeter);
    let mut acc: BTreeMap<Key, (f64, f64, bool, IndicatorRow)> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.service.is_some() && r.ventilation.is_none())
    {
        let Some(service) = &r.service else { continue };
        let perimeters = Perimeter::of_service(dir, service)
            .into_iter()
            .filter(|p| !matches!(p, Perimeter::Service(_)));
        for p in perimeters {
            let mut template = p.row(dir, &r.indicateur, r.periode);
            template.unite = r.unite.clone();
            let e = acc
                .entry((r.indicateur.clone(), r.periode, p))
                .or_insert((0.0, 0.0, false, template));
            match (r.numerateur, r.denominateur) {
                (Some(n), Some(d)) => {
                    e.0 += n;
                    e.1 += d;
                }
                _ => e.2 = true,
            }
        }
    }
    acc.into_values()
        .map(|(n, d, missing, mut row)| {
            if !missing {
                row.numerateur = Some(n);
                row.denominateur = Some(d);
                row.valeur = ratio(Some(n), Some(d));
            }
            row
        })
        .collect()
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

/// Sets the peer columns of service rows: services of the same type, same indicator,
/// year and breakdown.
pub fn peers(rows: &mut [IndicatorRow], services: &DataFrame) -> Result<(), Error> {
    let dir = Directory::from_services(services)?;
    type Key = (String, i32, Option<String>, Option<String>, String);
    let key = |r: &IndicatorRow| -> Option<Key> {
        let s = r.service.as_ref()?;
        let t = dir.get(s).and_then(|d| d.service_type.clone())?;
        Some((
            r.indicateur.clone(),
            r.periode,
            r.ventilation.clone(),
            r.modalite.clone(),
            crate::text::fold(&t),
        ))
    };
    let mut groups: BTreeMap<Key, Vec<f64>> = BTreeMap::new();
    for r in rows.iter() {
        if let (Some(k), Some(v)) = (key(r), r.valeur) {
            groups.entry(k).or_default().push(v);
        }
    }
    for v in groups.values_mut() {
        v.sort_by(f64::total_cmp);
    }
    for r in rows.iter_mut() {
        if let Some(v) = key(r).and_then(|k| groups.get(&k)) {
            r.pairs_nombre = Some(v.len() as f64);
            r.pairs_q1 = quantile(v, 0.25);
            r.pairs_mediane = quantile(v, 0.5);
            r.pairs_q3 = quantile(v, 0.75);
        }
    }
    Ok(())
}

/// Recomputes peer comparisons and evolutions from the values the rows hold now (after
/// disclosure control has hidden some): a hidden value never enters a quartile or a
/// difference, so none of them can be worked back to it.
pub fn refresh(
    rows: &mut [IndicatorRow],
    services: &DataFrame,
    base_year: i32,
) -> Result<(), Error> {
    for r in rows.iter_mut() {
        r.evolution_annuelle = None;
        r.evolution_depuis_base = None;
        r.pairs_nombre = None;
        r.pairs_q1 = None;
        r.pairs_mediane = None;
        r.pairs_q3 = None;
    }
    peers(rows, services)?;
    evolutions(rows, base_year);
    Ok(())
}

/// Sets the change from the previous year and from `base_year` on every row.
pub fn evolutions(rows: &mut [IndicatorRow], base_year: i32) {
    type Key = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let key = |r: &IndicatorRow| -> Key {
        (
            r.indicateur.clone(),
            r.niveau_territoire.clone(),
            r.code_territoire.clone(),
            r.organisation.clone(),
            r.service.clone(),
            r.ventilation.clone(),
            r.modalite.clone(),
        )
    };
    let mut values: BTreeMap<(Key, i32), f64> = BTreeMap::new();
    for r in rows.iter() {
        if let Some(v) = r.valeur {
            values.insert((key(r), r.periode), v);
        }
    }
    for r in rows.iter_mut() {
        let k = key(r);
        let Some(v) = r.valeur else { continue };
        r.evolution_annuelle = values.get(&(k.clone(), r.periode - 1)).map(|p| v - p);
        if r.periode > base_year {
            r.evolution_depuis_base = values.get(&(k, base_year)).map(|b| v - b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let pooled = pool_services(&rows, &dir);
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
