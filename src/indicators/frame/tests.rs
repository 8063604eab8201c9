//! Unit tests of `frame`.

use super::*;

#[test]
fn field_constants_are_canonical_fields() {
    use fields::*;
    let check = |t: Table, names: &[&str]| {
        for n in names {
            assert!(t.field(n).is_some(), "{n} n'est pas un champ de {}", t.id());
        }
    };
    check(Table::Accompaniments, &[MEASURE_TYPE, FRAME, SEX]);
    check(Table::Services, &[SECTOR, TERRITORY]);
    check(Table::Staff, &[JOB, ETP, ENTRY, EXIT, CONTRACT]);
    check(Table::Staff, &ABSENCES);
    check(
        Table::Training,
        &[
            THEME,
            DATE,
            DAYS_REQUESTED,
            DAYS_DELIVERED,
            INTER_ASSOCIATION,
        ],
    );
    check(Table::Satisfaction, &[RESPONDENT, RETURNED, OVERALL]);
    check(Table::Satisfaction, &QUESTIONS);
    check(
        Table::ActionPlan,
        &[
            FICHE,
            SUB_ACTION,
            STATUS,
            INDICATOR,
            INDICATOR_KIND,
            TARGET,
            OBSERVED,
        ],
    );
}

#[test]
fn a_misspelt_column_is_an_error_not_nulls() {
    let df = polars::df!["service" => ["A"], "annee" => [2021]].unwrap();
    let lf = canonical(&df, Table::Services);
    // An unmapped canonical field reads as null…
    let ok = lf.clone().select([col("capacite")]).collect().unwrap();
    assert_eq!(ok.column("capacite").unwrap().null_count(), 1);
    // …a name outside the table is an error at its first use.
    assert!(lf.select([col("capacit")]).collect().is_err());
}

#[test]
fn days_in_year_expression_matches_the_rule() {
    use super::super::activity::{day_number, days_in_year as rule};
    let cases = [
        (day_number(2019, 6, 1), None),
        (day_number(2020, 12, 30), Some(day_number(2021, 1, 2))),
        (day_number(2021, 3, 1), Some(day_number(2021, 3, 1))),
        (day_number(2018, 1, 1), Some(day_number(2019, 12, 31))),
        (day_number(2022, 1, 1), None),
    ];
    let df = polars::df![
        "a" => cases.iter().map(|c| c.0).collect::<Vec<_>>(),
        "b" => cases.iter().map(|c| c.1).collect::<Vec<_>>(),
    ]
    .unwrap();
    let got = per_year(df.lazy(), 2020..=2021)
        .unwrap()
        .select([col(k::YEAR), days_in_year(col("a"), col("b")).alias("d")])
        .collect()
        .unwrap();
    let d: Vec<i64> = got
        .column("d")
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    let expected: Vec<i64> = [2020, 2021]
        .iter()
        .flat_map(|y| cases.iter().map(move |c| rule(c.0, c.1, *y)))
        .collect();
    assert_eq!(d, expected);
}

#[test]
fn person_numbers_are_dense_and_keep_nulls_and_other_columns() {
    use crate::tables::columns::PERSON;
    let df = DataFrame::new(
        5,
        vec![
            Column::new(
                PERSON.into(),
                [Some("b"), Some("a"), None, Some("b"), Some("c")],
            ),
            Column::new("x".into(), [1i32, 2, 3, 4, 5]),
        ],
    )
    .unwrap();
    let out = person_numbers(&df).unwrap();
    assert_eq!(out.get_column_names(), df.get_column_names());
    assert_eq!(out.column("x").unwrap(), df.column("x").unwrap());
    let ids: Vec<Option<u32>> = out
        .column(PERSON)
        .unwrap()
        .cast(&DataType::UInt32)
        .unwrap()
        .u32()
        .unwrap()
        .iter()
        .collect();
    // The same pseudonym, the same number; different ones, different numbers; nulls
    // stay null; numbers are dense.
    assert_eq!(ids[0], ids[3]);
    assert_eq!(ids[2], None);
    let mut distinct: Vec<u32> = ids.iter().flatten().copied().collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct, vec![0, 1, 2]);
    // Already numbered: returned as it is.
    assert_eq!(person_numbers(&out).unwrap(), out);
}

/// `pair` is one-to-one over the values it is given (a signed 32-bit first value, a
/// second one in `0..2³²`), and null when either value is.
#[test]
fn pairs_are_one_to_one_and_null_with_a_null() {
    let a = [i32::MIN, -1, 0, 0, 1, 1, 2020, i32::MAX];
    let b = [0u32, u32::MAX, 0, 1, 0, u32::MAX, 5, u32::MAX];
    let mut a: Vec<Option<i32>> = a.into_iter().map(Some).collect();
    let mut b: Vec<Option<u32>> = b.into_iter().map(Some).collect();
    a.extend([None, Some(3)]);
    b.extend([Some(3), None]);
    let df = df!["a" => a, "b" => b].unwrap();
    let out = df
        .lazy()
        .select([pair(col("a"), col("b")).alias("p")])
        .collect()
        .unwrap();
    let p: Vec<Option<i64>> = out.column("p").unwrap().i64().unwrap().iter().collect();
    let known: Vec<i64> = p[..8].iter().map(|v| v.unwrap()).collect();
    let mut distinct = known.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), known.len(), "{known:?}");
    assert_eq!(known[6], 2020 * (1i64 << 32) + 5);
    assert_eq!(&p[8..], &[None, None]);
}

/// `to_rows` reads a frame in slices on every core: rows come back in the frame's order
/// with every field, across slice boundaries and in a last, shorter slice; a missing
/// staff count is none, a null text stays none.
#[test]
fn rows_of_a_frame_in_slices_keep_order_and_fields() {
    let n = 2 * ROWS_A_TASK + 17;
    let texts =
        |f: &dyn Fn(usize) -> Option<String>| -> Vec<Option<String>> { (0..n).map(f).collect() };
    let df = DataFrame::new(
        n,
        vec![
            Column::new(
                out::INDICATOR.into(),
                texts(&|i| Some(format!("ind{}", i % 7))),
            ),
            Column::new(
                out::PERIOD.into(),
                (0..n).map(|i| 2000 + (i % 30) as i32).collect::<Vec<_>>(),
            ),
            Column::new(out::LEVEL.into(), texts(&|_| Some("departement".into()))),
            Column::new(
                out::TERRITORY.into(),
                texts(&|i| (i % 3 != 0).then(|| format!("{:02}", i % 95))),
            ),
            Column::new(
                out::ORGANISATION.into(),
                texts(&|i| (i % 4 != 0).then(|| format!("O{}", i % 11))),
            ),
            Column::new(out::SERVICE.into(), texts(&|i| Some(format!("S{i}")))),
            Column::new(
                out::SERVICE_NAME.into(),
                texts(&|i| Some(format!("Service {i}"))),
            ),
            Column::new(
                out::BREAKDOWN.into(),
                texts(&|i| (i % 5 != 1).then(|| format!("dim{}", i % 2))),
            ),
            Column::new(
                out::BREAKDOWN_VALUE.into(),
                texts(&|i| (i % 6 != 2).then(|| format!("m{i}"))),
            ),
            Column::new(out::UNIT.into(), texts(&|_| Some("personnes".into()))),
            Column::new(
                out::NUMERATOR.into(),
                (0..n).map(|i| i as f64).collect::<Vec<_>>(),
            ),
            Column::new(
                out::DENOMINATOR.into(),
                (0..n)
                    .map(|i| (i % 5 != 0).then_some(2.0 * i as f64))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                out::VALUE.into(),
                (0..n).map(|i| i as f64 / 2.0).collect::<Vec<_>>(),
            ),
        ],
    )
    .unwrap();
    let rows = to_rows(&df).unwrap();
    assert_eq!(rows.len(), n);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.indicateur, format!("ind{}", i % 7));
        assert_eq!(r.periode, 2000 + (i % 30) as i32);
        assert_eq!(r.niveau_territoire, "departement");
        assert_eq!(
            r.code_territoire,
            (i % 3 != 0).then(|| format!("{:02}", i % 95))
        );
        assert_eq!(r.organisation, (i % 4 != 0).then(|| format!("O{}", i % 11)));
        assert_eq!(r.ventilation, (i % 5 != 1).then(|| format!("dim{}", i % 2)));
        assert_eq!(r.modalite, (i % 6 != 2).then(|| format!("m{i}")));
        assert_eq!(r.service.as_deref(), Some(format!("S{i}").as_str()));
        assert_eq!(
            r.nom_service.as_deref(),
            Some(format!("Service {i}").as_str())
        );
        assert_eq!(r.unite, "personnes");
        assert_eq!(r.numerateur, Some(i as f64));
        assert_eq!(r.denominateur, (i % 5 != 0).then_some(2.0 * i as f64));
        assert_eq!(r.valeur, Some(i as f64 / 2.0));
        assert_eq!(
            (r.effectif_numerateur, r.effectif_denominateur),
            (None, None)
        );
    }
    assert!(to_rows(&df.slice(0, 0)).unwrap().is_empty());
    // Staff counts, when the frame has them, land in their rows too.
    let mut staffed = df.clone();
    staffed
        .with_column(Column::new(
            k::STAFF_NUM.into(),
            (0..n)
                .map(|i| (i % 7 != 3).then_some(i as f64 + 0.5))
                .collect::<Vec<_>>(),
        ))
        .unwrap();
    staffed
        .with_column(Column::new(
            k::STAFF_DEN.into(),
            (0..n).map(|i| 3.0 * i as f64).collect::<Vec<_>>(),
        ))
        .unwrap();
    for (i, r) in to_rows(&staffed).unwrap().iter().enumerate() {
        assert_eq!(
            r.effectif_numerateur,
            (i % 7 != 3).then_some(i as f64 + 0.5)
        );
        assert_eq!(r.effectif_denominateur, Some(3.0 * i as f64));
        assert_eq!(r.service.as_deref(), Some(format!("S{i}").as_str()));
    }
    // A frame without the long-format columns is an error, even empty.
    assert!(to_rows(&DataFrame::empty()).is_err());
}
