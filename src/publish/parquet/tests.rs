use super::analyst::*;
use super::*;
use crate::indicators::persons::{ACTIVE_FILE, BY_AGE};
use crate::indicators::{IndicatorRow, Results};

fn row(
    id: &str,
    level: &str,
    code: Option<&str>,
    org: Option<&str>,
    svc: Option<&str>,
) -> IndicatorRow {
    IndicatorRow {
        indicateur: id.into(),
        periode: 2021,
        niveau_territoire: level.into(),
        code_territoire: code.map(String::from),
        organisation: org.map(String::from),
        service: svc.map(String::from),
        numerateur: Some(3.0),
        valeur: Some(3.0),
        unite: "personnes".into(),
        ..Default::default()
    }
}

fn table() -> DataFrame {
    let mut rows = vec![
        row(ACTIVE_FILE, "departement", Some("15"), Some("O"), Some("S")),
        row(ACTIVE_FILE, "ensemble", None, Some("O"), None),
        row(ACTIVE_FILE, "departement", Some("2A"), None, None),
        row(
            ACTIVE_FILE,
            "territoire_interne",
            Some("15-Aurillac"),
            None,
            None,
        ),
        row(ACTIVE_FILE, "ensemble", None, None, None),
    ];
    for (band, year) in [
        ("6-10 ans", 2021),
        ("non renseigné", 2021),
        ("11-15 ans", 2022),
        ("0-2 ans", 2021),
        ("21 ans et plus", 2022),
    ] {
        let mut r = row(BY_AGE, "ensemble", None, None, None);
        r.periode = year;
        r.ventilation = Some("tranche_age".into());
        r.modalite = Some(band.into());
        r.denominateur = Some(10.0);
        r.valeur = Some(0.3);
        r.unite = "%".into();
        rows.push(r);
    }
    Results {
        rows,
        notes: vec![],
    }
    .to_dataframe()
    .unwrap()
}

fn texts(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    crate::indicators::frame::texts(df, name).unwrap()
}

// Long function: one test walks every analysts' column in turn (existing columns
// unchanged, labels, units, territory names, modality order, perimeter) on one table.
#[test]
fn analysts_columns_are_added_and_nothing_else_changes() {
    let df = table();
    let a = for_analysts(&df).unwrap();
    assert_eq!(a.height(), df.height());
    // The existing columns first, unchanged.
    for name in df.get_column_names() {
        assert!(
            a.column(name.as_str())
                .unwrap()
                .equals_missing(df.column(name.as_str()).unwrap()),
            "{name}"
        );
    }
    let names: Vec<String> = a.get_column_names().iter().map(|s| s.to_string()).collect();
    assert_eq!(
        names[df.width()..],
        [
            LABEL,
            PERIMETER,
            TERRITORY_NAME,
            VALUE_UNIT,
            DISPLAY_FACTOR,
            MODALITY_ORDER
        ]
    );
    let get = |name: &str, i: usize| texts(&a, name)[i].clone();
    let ind = texts(&a, crate::indicators::columns::INDICATOR);
    let level = texts(&a, crate::indicators::columns::LEVEL);
    let code = texts(&a, crate::indicators::columns::TERRITORY);
    for i in 0..a.height() {
        let label = get(LABEL, i).unwrap();
        assert_eq!(
            Some(label.as_str()),
            crate::indicators::definition(ind[i].as_deref().unwrap()).map(|d| d.libelle)
        );
        let expected = match (
            level[i].as_deref(),
            code[i].as_deref(),
            get("service", i),
            get("organisation", i),
        ) {
            (_, _, Some(_), _) => ("service", Some("Cantal")),
            (Some("ensemble"), _, None, Some(_)) => ("organisation", None),
            (Some("ensemble"), _, None, None) => ("reseau", None),
            (Some("territoire_interne"), _, _, _) => {
                ("territoire_interne", Some("Cantal — Aurillac"))
            }
            (_, Some("2A"), _, _) => ("departement", Some("Corse-du-Sud")),
            other => panic!("{other:?}"),
        };
        assert_eq!(get(PERIMETER, i).as_deref(), Some(expected.0));
        assert_eq!(get(TERRITORY_NAME, i).as_deref(), expected.1);
    }
    // Units: a percentage's value is a proportion (0,3 shown as 30 %).
    let unit = texts(&a, VALUE_UNIT);
    let factor = crate::indicators::frame::floats(&a, DISPLAY_FACTOR).unwrap();
    let shown = texts(&a, "unite");
    for i in 0..a.height() {
        match shown[i].as_deref() {
            Some("%") => assert_eq!(
                (unit[i].as_deref(), factor[i]),
                (Some("proportion"), Some(100.0))
            ),
            _ => assert_eq!((unit[i].as_deref(), factor[i]), (Some("nombre"), Some(1.0))),
        }
    }
    // Age bands in age order, « non renseigné » last (across years).
    let order = crate::indicators::frame::ints(&a, MODALITY_ORDER).unwrap();
    let modality = texts(&a, "modalite");
    let mut ranked: Vec<(i32, String)> = (0..a.height())
        .filter_map(|i| Some((order[i]?, modality[i].clone()?)))
        .collect();
    ranked.sort();
    let bands: Vec<&str> = ranked.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(
        bands,
        [
            "0-2 ans",
            "6-10 ans",
            "11-15 ans",
            "21 ans et plus",
            "non renseigné"
        ]
    );
    assert!((0..a.height()).all(|i| modality[i].is_some() == order[i].is_some()));
}

#[test]
fn vocabulary_order_then_numbers_then_text() {
    let mut v = vec!["M", "F"];
    v.sort_by_cached_key(|m| modality_key("sexe", m));
    assert_eq!(v, ["F", "M"]);
    let mut q = vec!["question 10", "question 2", "question 1"];
    q.sort_by_cached_key(|m| modality_key("question", m));
    assert_eq!(q, ["question 1", "question 2", "question 10"]);
}

#[test]
fn one_partition_per_year_holds_that_years_rows() {
    let df = for_analysts(&table()).unwrap();
    let parts = partitions_by_year(&df, &[("observatoire:version", "x".into())]).unwrap();
    let paths: Vec<&str> = parts.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "indicateurs/annee=2021/part-0.parquet",
            "indicateurs/annee=2022/part-0.parquet"
        ]
    );
    let mut total = 0;
    for (path, bytes) in &parts {
        let year: i32 = path
            .split("annee=")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .unwrap()
            .parse()
            .unwrap();
        let part = ParquetReader::new(std::io::Cursor::new(bytes.clone()))
            .finish()
            .unwrap();
        assert_eq!(part.width(), df.width());
        let years = crate::indicators::frame::ints(&part, "periode").unwrap();
        assert!(years.iter().all(|y| *y == Some(year)));
        total += part.height();
    }
    assert_eq!(total, df.height());
}
