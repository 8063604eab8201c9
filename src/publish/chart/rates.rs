//! What the activity / occupancy chart shows: one line per service for a small network;
//! above [`MAX_SERVICE_LINES`] lines (a national network has a thousand services, whose
//! lines nobody could tell apart), the median and quartiles of the published service
//! rates, per year, for each of the two rates. Built in one pass over the rows.

use std::collections::BTreeMap;

use super::{ChartSeries, ChartSpec};
use crate::indicators::activity::{ACTIVITY_RATE, OCCUPANCY_RATE};
use crate::indicators::derive::quantile;
use crate::indicators::{CellStatus, Results};

/// Most lines drawn one per service (the palette has 8 colours, each with 2 markers).
pub const MAX_SERVICE_LINES: usize = 16;

fn kind(indicator: &str) -> &'static str {
    if indicator == ACTIVITY_RATE {
        "activité"
    } else {
        "occupation"
    }
}

/// The chart of activity and occupancy rates, with `banner` across its top.
pub fn rate_chart(results: &Results, banner: Option<String>) -> ChartSpec {
    // (service, indicator) → (yearly values, withheld years), one pass.
    let mut by: ByService = BTreeMap::new();
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    for r in &results.rows {
        let Some(s) = r.service.as_deref() else {
            continue;
        };
        if let Some(n) = r.nom_service.as_deref() {
            names.entry(s).or_insert(n);
        }
        if r.indicateur != ACTIVITY_RATE && r.indicateur != OCCUPANCY_RATE {
            continue;
        }
        let e = by.entry((s, r.indicateur.as_str())).or_default();
        if let Some(v) = r.valeur {
            e.0.push((r.periode, v));
        }
        if r.ventilation.is_none() && r.statut != CellStatus::Published {
            e.1.push(r.periode);
        }
    }
    let quartiles = by.len() > MAX_SERVICE_LINES;
    let (series, secret) = if quartiles {
        (quartile_lines(&by), Vec::new())
    } else {
        service_lines(by, &names)
    };
    ChartSpec {
        title: if quartiles {
            "Taux d'activité et d'occupation par année — médiane et quartiles des services".into()
        } else {
            "Taux d'activité et d'occupation par année".into()
        },
        y_label: "Taux".into(),
        series,
        reference: Some((1.0, "Capacité autorisée (100 %)".into())),
        banner,
        secret,
    }
}

type Lines = (Vec<ChartSeries>, Vec<(usize, i32)>);

/// (service, indicator) → (yearly values, withheld years).
type ByService<'a> = BTreeMap<(&'a str, &'a str), (Vec<(i32, f64)>, Vec<i32>)>;

fn service_lines(by: ByService, names: &BTreeMap<&str, &str>) -> Lines {
    let mut series = Vec::new();
    let mut secret = Vec::new();
    for (k, ((s, ind), (mut points, hidden))) in by.into_iter().enumerate() {
        points.sort_by_key(|p| p.0);
        secret.extend(hidden.into_iter().map(|y| (k, y)));
        let name = names.get(s).copied().unwrap_or(s);
        series.push(ChartSeries {
            label: format!("{name} ({})", kind(ind)),
            points,
        });
    }
    (series, secret)
}

/// First quartile, median and third quartile of the published service rates, per year
/// and rate.
fn quartile_lines(by: &ByService) -> Vec<ChartSeries> {
    let mut values: BTreeMap<(&str, i32), Vec<f64>> = BTreeMap::new();
    for ((_, ind), (points, _)) in by {
        for &(y, v) in points {
            if v.is_finite() {
                values.entry((ind, y)).or_default().push(v);
            }
        }
    }
    let mut series = Vec::new();
    for ind in [ACTIVITY_RATE, OCCUPANCY_RATE] {
        for (label, q) in [
            ("Médiane", 0.5),
            ("1er quartile", 0.25),
            ("3e quartile", 0.75),
        ] {
            let points: Vec<(i32, f64)> = values
                .iter_mut()
                .filter(|((i, _), _)| *i == ind)
                .filter_map(|((_, y), v)| {
                    v.sort_by(f64::total_cmp);
                    quantile(v, q).map(|x| (*y, x))
                })
                .collect();
            if !points.is_empty() {
                series.push(ChartSeries {
                    label: format!("{label} des services ({})", kind(ind)),
                    points,
                });
            }
        }
    }
    series
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::IndicatorRow;

    fn row(service: &str, year: i32, v: Option<f64>, statut: CellStatus) -> IndicatorRow {
        IndicatorRow {
            indicateur: ACTIVITY_RATE.into(),
            periode: year,
            service: Some(service.into()),
            nom_service: Some(format!("Service {service}")),
            valeur: v,
            statut,
            ..Default::default()
        }
    }

    #[test]
    fn few_services_get_a_line_each_and_many_get_quartiles() {
        let mut results = Results::default();
        results
            .rows
            .push(row("A", 2022, Some(1.1), CellStatus::Published));
        results
            .rows
            .push(row("A", 2021, Some(1.0), CellStatus::Published));
        results.rows.push(row("B", 2022, None, CellStatus::Primary));
        let spec = rate_chart(&results, None);
        assert_eq!(spec.series.len(), 2);
        assert_eq!(spec.series[0].label, "Service A (activité)");
        assert_eq!(spec.series[0].points, vec![(2021, 1.0), (2022, 1.1)]);
        assert_eq!(spec.secret, vec![(1, 2022)]);

        let mut results = Results::default();
        for k in 0..100 {
            results.rows.push(row(
                &format!("S{k}"),
                2022,
                Some(f64::from(k) / 100.0),
                CellStatus::Published,
            ));
        }
        let spec = rate_chart(&results, Some("DÉMONSTRATION".into()));
        let labels: Vec<&str> = spec.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Médiane des services (activité)",
                "1er quartile des services (activité)",
                "3e quartile des services (activité)"
            ]
        );
        assert_eq!(spec.series[0].points, vec![(2022, 0.495)]);
        assert!(spec.title.contains("médiane"));
        assert!(spec.secret.is_empty());
    }
}
