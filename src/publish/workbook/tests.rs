use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use super::*;
use crate::indicators::{activity, persons};

fn row(id: &str, service: &str, year: i32, valeur: Option<f64>, st: CellStatus) -> IndicatorRow {
    IndicatorRow {
        indicateur: id.into(),
        periode: year,
        niveau_territoire: "departement".into(),
        code_territoire: Some("15".into()),
        organisation: Some("=ORG".into()),
        service: Some(service.into()),
        nom_service: Some(format!("=HYPERLINK(\"http://x\";\"{service}\")")),
        numerateur: valeur.map(|v| v * 100.0),
        denominateur: Some(100.0),
        valeur,
        unite: "%".into(),
        statut: st,
        ..Default::default()
    }
}

fn sample() -> Vec<IndicatorRow> {
    vec![
        row(
            activity::ACTIVITY_RATE,
            "S1",
            2020,
            Some(0.9),
            CellStatus::Published,
        ),
        IndicatorRow {
            evolution_annuelle: Some(0.15),
            ..row(
                activity::ACTIVITY_RATE,
                "S1",
                2021,
                Some(1.05),
                CellStatus::Published,
            )
        },
        row(
            activity::ACTIVITY_RATE,
            "S2",
            2020,
            None,
            CellStatus::Primary,
        ),
        row(
            activity::ACTIVITY_RATE,
            "S2",
            2021,
            None,
            CellStatus::Published,
        ),
        IndicatorRow {
            indicateur: persons::ACTIVE_FILE.into(),
            unite: "personnes".into(),
            ..row(
                persons::ACTIVE_FILE,
                "S1",
                2021,
                Some(1514.0),
                CellStatus::Published,
            )
        },
    ]
}

fn bytes(rows: &[IndicatorRow], demo: bool) -> Vec<u8> {
    let refs: Vec<&IndicatorRow> = rows.iter().collect();
    workbook_bytes(
        &WorkbookInput {
            title: "Rapport d'activité — essai",
            banner: Some("Destinataire : Conseil départemental"),
            audience: "Diffusion publique : secret statistique à 11 personnes",
            scope: None,
            demonstration: demo,
            years: 2020..=2021,
            rows: &refs,
            notes: &["Service S2, 2021 : capacité absente.".to_string()],
        },
        "classeur.xlsx",
    )
    .unwrap()
}

fn part(xlsx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn sheets_values_and_marks_read_back() {
    let xlsx = bytes(&sample(), true);
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx.clone())).unwrap();
    assert_eq!(
        wb.sheet_names(),
        [
            "Sommaire",
            "Activité",
            "Personnes accompagnées",
            "Graphiques",
            "Définitions"
        ]
    );
    let act = wb.worksheet_range("Activité").unwrap();
    let cell = |r: u32, c: u32| act.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert!(matches!(cell(0, 0), Data::String(s) if s.starts_with("DÉMONSTRATION")));
    assert_eq!(cell(2, 8), Data::String("Valeur".into()));
    // S1 2020, S1 2021, S2 2020 (secret), S2 2021 (not computable).
    assert_eq!(cell(3, 8), Data::Float(0.9));
    assert_eq!(cell(4, 8), Data::Float(1.05));
    // A rate's change in points.
    assert!(matches!(cell(4, 13), Data::Float(p) if (p - 15.0).abs() < 1e-9));
    assert_eq!(cell(5, 8), Data::String("s".into()));
    assert_eq!(cell(5, 10), Data::String("A".into()));
    assert_eq!(cell(6, 8), Data::String("n.c.".into()));
    assert_eq!(cell(3, 19), Data::String(activity::ACTIVITY_RATE.into()));
    // Text that looks like a formula is a string, with Excel's quote prefix.
    assert!(matches!(cell(3, 2), Data::String(s) if s.starts_with("=HYPERLINK")));
    let sheet = part(&xlsx, "xl/worksheets/sheet2.xml");
    assert!(!sheet.contains("<f>"), "aucune formule");
    let styles = part(&xlsx, "xl/styles.xml");
    assert!(styles.contains("quotePrefix=\"1\""));
    // French number formats (Excel shows them with the locale's comma and spaces): a
    // proportion `0,0 %`, a count with thousands separator, changes of a rate in points.
    assert!(styles.contains("formatCode=\"0.0%\"") && styles.contains("formatCode=\"#,##0\""));
    assert!(styles.contains("pt&quot;"), "{styles}");
    // The contents list every sheet, with a link.
    let contents = wb.worksheet_range("Sommaire").unwrap();
    let listed: Vec<String> = contents
        .rows()
        .filter_map(|r| r.first().map(|c| c.to_string()))
        .collect();
    for name in [
        "Activité",
        "Personnes accompagnées",
        "Graphiques",
        "Définitions",
    ] {
        assert!(listed.iter().any(|l| l == name), "{name} : {listed:?}");
    }
    assert!(part(&xlsx, "xl/worksheets/sheet1.xml").contains("location=\"Activité!A1\""));
    // Frozen header and autofilter on the section sheets.
    assert!(sheet.contains("state=\"frozen\"") && sheet.contains("<autoFilter ref=\"A3:T7\""));
    // The chart's series point at the Graphiques table.
    let chart = part(&xlsx, "xl/charts/chart1.xml");
    assert!(chart.contains("<c:f>Graphiques!$B$5:$C$5</c:f>"), "{chart}");
}

#[test]
fn the_same_rows_make_the_same_file() {
    assert_eq!(bytes(&sample(), false), bytes(&sample(), false));
    assert!(!part(&bytes(&sample(), false), "xl/sharedStrings.xml").contains("DÉMONSTRATION"));
}

#[test]
fn no_rows_still_make_a_workbook() {
    let xlsx = bytes(&[], false);
    let wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    assert_eq!(wb.sheet_names(), ["Sommaire", "Graphiques", "Définitions"]);
}

#[test]
fn errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("obs-classeur-{}", std::process::id()));
    let path = dir.join("absent").join("classeur.xlsx");
    let rows = sample();
    let refs: Vec<&IndicatorRow> = rows.iter().collect();
    let e = write_workbook(
        &WorkbookInput {
            title: "t",
            banner: None,
            audience: "a",
            scope: Some("tout"),
            demonstration: false,
            years: 2020..=2021,
            rows: &refs,
            notes: &[],
        },
        &path,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("classeur.xlsx"), "{e}");
}

#[test]
fn contents_count_in_french() {
    let rows = sample();
    let refs: Vec<&IndicatorRow> = rows.iter().collect();
    assert_eq!(
        describe(&refs[..4]),
        "1 indicateur, 4 chiffres dont 1 en secret statistique"
    );
    assert_eq!(
        describe(&refs[4..]),
        "1 indicateur, 1 chiffre dont aucun en secret statistique"
    );
}

#[test]
fn a_large_network_keeps_the_network_and_its_departements() {
    let n = crate::publish::report::SINGLE_PAGE_MAX_SERVICES;
    let mut rows: Vec<IndicatorRow> = (0..n)
        .map(|i| {
            row(
                activity::ACTIVITY_RATE,
                &format!("S{i}"),
                2020,
                Some(1.0),
                CellStatus::Published,
            )
        })
        .collect();
    let network = IndicatorRow {
        niveau_territoire: "ensemble".into(),
        ..IndicatorRow::default()
    };
    let dep = IndicatorRow {
        niveau_territoire: "departement".into(),
        code_territoire: Some("15".into()),
        ..IndicatorRow::default()
    };
    let dep_by_age = IndicatorRow {
        ventilation: Some("tranche_age".into()),
        ..dep.clone()
    };
    rows.extend([network.clone(), dep.clone(), dep_by_age]);
    let (kept, scope) = run_rows(&rows);
    assert_eq!((kept.len(), scope), (rows.len(), None));
    rows.push(row(
        activity::ACTIVITY_RATE,
        "S+",
        2020,
        Some(1.0),
        CellStatus::Published,
    ));
    let (kept, scope) = run_rows(&rows);
    assert_eq!(kept, [&network, &dep]);
    assert!(scope.unwrap().contains(&format!("{} services", n + 1)));
}
