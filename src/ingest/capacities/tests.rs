//! Unit tests of `capacities`.

use super::*;

fn services(rows: &[(&str, Option<i32>, Option<f64>)]) -> DataFrame {
    let n = rows.len();
    DataFrame::new(
        n,
        vec![
            Column::new("source".into(), vec!["Services"; n]),
            Column::new(
                "service".into(),
                rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            ),
            Column::new("type_service".into(), vec!["AEMO"; n]),
            Column::new("annee".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
            Column::new(
                "capacite".into(),
                rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            ),
            Column::new("jours_ouverture".into(), vec![Some(200.0); n]),
        ],
    )
    .unwrap()
}

fn capacities(rows: &[(&str, i32, f64)]) -> DataFrame {
    let n = rows.len();
    DataFrame::new(
        n,
        vec![
            Column::new("source".into(), vec!["Capacités"; n]),
            Column::new(
                "service".into(),
                rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            ),
            Column::new("annee".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
            Column::new(
                "capacite".into(),
                rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            ),
        ],
    )
    .unwrap()
}

/// (service, year) → (capacity, opening days), sorted.
fn table(df: &DataFrame) -> Vec<(String, i32, Option<f64>, Option<f64>)> {
    let s = texts(df, "service").unwrap();
    let y: Vec<Option<i32>> = df.column("annee").unwrap().i32().unwrap().iter().collect();
    let c: Vec<Option<f64>> = df
        .column("capacite")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect();
    let j: Vec<Option<f64>> = df
        .column("jours_ouverture")
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect();
    let mut out: Vec<_> = (0..df.height())
        .map(|i| (s[i].clone().unwrap(), y[i].unwrap(), c[i], j[i]))
        .collect();
    out.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    out
}

#[test]
fn a_directory_gets_one_row_per_service_and_year_of_its_capacities() {
    let s = services(&[("A", None, None), ("B", None, None)]);
    let c = capacities(&[("A", 2022, 65.0), ("A", 2023, 73.0), ("B", 2022, 12.0)]);
    let mut issues = Vec::new();
    let out = join(s, &c, 2022..=2023, &mut issues).unwrap();
    assert_eq!(
        table(&out),
        vec![
            ("A".into(), 2022, Some(65.0), Some(200.0)),
            ("A".into(), 2023, Some(73.0), Some(200.0)),
            ("B".into(), 2022, Some(12.0), Some(200.0)),
        ]
    );
    assert!(issues.is_empty(), "{issues:?}");
    // The description travels with each year.
    assert_eq!(
        texts(&out, "type_service").unwrap(),
        vec![Some("AEMO".to_string()); 3]
    );
}

#[test]
fn agreeing_capacities_are_one_and_disagreeing_ones_are_an_error_and_left_empty() {
    let s = services(&[("A", Some(2022), Some(65.0)), ("A", Some(2023), Some(70.0))]);
    let c = capacities(&[("A", 2022, 65.0), ("A", 2023, 73.0)]);
    let mut issues = Vec::new();
    let out = join(s, &c, 2022..=2023, &mut issues).unwrap();
    assert_eq!(
        table(&out),
        vec![
            ("A".into(), 2022, Some(65.0), Some(200.0)),
            ("A".into(), 2023, None, Some(200.0)),
        ]
    );
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].code, "capacite_contradictoire");
    assert_eq!(issues[0].gravite, Severity::Error);
    assert!(
        issues[0].message.contains("année 2023"),
        "{}",
        issues[0].message
    );
    assert!(issues[0].message.contains("70"), "{}", issues[0].message);
    assert!(issues[0].message.contains("73"), "{}", issues[0].message);
}

#[test]
fn two_capacities_in_the_capacities_table_disagreeing_are_an_error() {
    let s = services(&[("A", None, None)]);
    let c = capacities(&[("A", 2022, 65.0), ("A", 2022, 66.0)]);
    let mut issues = Vec::new();
    let out = join(s, &c, 2022..=2022, &mut issues).unwrap();
    assert_eq!(table(&out), vec![("A".into(), 2022, None, Some(200.0))]);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].code, "capacite_contradictoire");
}

#[test]
fn an_unknown_service_is_reported_and_a_service_without_capacity_kept_every_year() {
    let s = services(&[("A", None, None), ("B", None, None)]);
    let c = capacities(&[("A", 2022, 65.0), ("Z", 2022, 5.0), ("Z", 2023, 5.0)]);
    let mut issues = Vec::new();
    let out = join(s, &c, 2022..=2023, &mut issues).unwrap();
    assert_eq!(
        table(&out),
        vec![
            ("A".into(), 2022, Some(65.0), Some(200.0)),
            ("B".into(), 2022, None, Some(200.0)),
            ("B".into(), 2023, None, Some(200.0)),
        ]
    );
    let codes: Vec<&str> = issues.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(codes, vec!["capacite_service_inconnu", "capacite_absente"]);
}

#[test]
fn a_capacity_for_a_new_year_fills_from_the_latest_row_of_a_dated_table() {
    let s = services(&[("A", Some(2022), None)]);
    let c = capacities(&[("A", 2022, 65.0), ("A", 2023, 73.0)]);
    let mut issues = Vec::new();
    let out = join(s, &c, 2022..=2023, &mut issues).unwrap();
    assert_eq!(
        table(&out),
        vec![
            ("A".into(), 2022, Some(65.0), Some(200.0)),
            ("A".into(), 2023, Some(73.0), Some(200.0)),
        ]
    );
    assert!(issues.is_empty(), "{issues:?}");
}
