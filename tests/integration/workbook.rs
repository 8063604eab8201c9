//! The demo's Excel workbook (`classeur.xlsx`) read back as a user's spreadsheet would:
//! every figure of `indicateurs.parquet` is on its line with the same value or the
//! secret mark, the contents list every sheet, and every chart series points at cells
//! holding published numbers.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use calamine::{Data, DataType, Range, Reader, Xlsx, open_workbook};
use observatoire::publish::paths;
use polars::prelude::*;

use crate::demo::demo_output;
use crate::util::*;

/// (indicator, level, perimeter code, category, year).
type Key = (String, String, String, String, i32);

fn workbook(dir: &Path) -> Xlsx<std::io::BufReader<std::fs::File>> {
    open_workbook(dir.join(paths::WORKBOOK)).unwrap_or_else(|e| panic!("classeur : {e}"))
}

fn text(d: Option<&Data>) -> String {
    match d {
        None | Some(Data::Empty) => String::new(),
        Some(d) => d.to_string(),
    }
}

/// Every line of the family sheets: key → (value cell, status).
fn lines(wb: &mut Xlsx<std::io::BufReader<std::fs::File>>) -> BTreeMap<Key, (Data, String)> {
    let mut out = BTreeMap::new();
    for name in wb.sheet_names() {
        if ["Sommaire", "Graphiques", "Définitions"].contains(&name.as_str()) {
            continue;
        }
        let range = wb.worksheet_range(&name).unwrap();
        let rows: Vec<&[Data]> = range.rows().collect();
        let header: Vec<String> = rows[2].iter().map(|c| c.to_string()).collect();
        let col = |h: &str| {
            header
                .iter()
                .position(|c| c == h)
                .unwrap_or_else(|| panic!("{name} : colonne {h} absente de {header:?}"))
        };
        let (id, level, code, cat, year, value, status) = (
            col("Code indicateur"),
            col("Niveau"),
            col("Code du périmètre"),
            col("Catégorie"),
            col("Année"),
            col("Valeur"),
            col("Statut"),
        );
        assert!(matches!(&rows[0][0], Data::String(s) if s.contains("DÉMONSTRATION")));
        for r in &rows[3..] {
            let key = (
                text(r.get(id)),
                text(r.get(level)),
                text(r.get(code)),
                text(r.get(cat)),
                r.get(year).and_then(|y| y.as_f64()).unwrap() as i32,
            );
            let cell = r.get(value).cloned().unwrap_or(Data::Empty);
            let previous = out.insert(key.clone(), (cell, text(r.get(status))));
            assert!(previous.is_none(), "{name} : ligne en double {key:?}");
        }
    }
    out
}

/// The level and code the workbook gives a Parquet row's perimeter.
fn perimeter(
    service: &Option<String>,
    org: &Option<String>,
    level: &str,
    code: &Option<String>,
) -> (String, String) {
    match (service, org, level, code) {
        (Some(s), _, _, _) => ("Service".into(), s.clone()),
        (None, Some(o), _, None) => ("Organisation".into(), o.clone()),
        (None, Some(o), _, Some(t)) => ("Organisation".into(), format!("{o} / {t}")),
        (None, None, "departement", Some(d)) => ("Département".into(), d.clone()),
        (None, None, "territoire_interne", Some(t)) => ("Territoire interne".into(), t.clone()),
        _ => ("Ensemble du réseau".into(), String::new()),
    }
}

#[test]
fn workbook_shows_the_parquet_figures_and_marks() {
    let out = demo_output();
    let df = ParquetReader::new(std::fs::File::open(out.join(paths::INDICATORS)).unwrap())
        .finish()
        .unwrap();
    let mut wb = workbook(out);
    let found = lines(&mut wb);
    let (ids, services, orgs, levels, codes, cats) = (
        strings(&df, "indicateur"),
        strings(&df, "service"),
        strings(&df, "organisation"),
        strings(&df, "niveau_territoire"),
        strings(&df, "code_territoire"),
        strings(&df, "modalite"),
    );
    let (years, values, units, status) = (
        ints(&df, "periode"),
        floats(&df, "valeur"),
        strings(&df, "unite"),
        strings(&df, "statut"),
    );
    let (mut published, mut secret) = (0, 0);
    for i in 0..df.height() {
        let (level, code) = perimeter(
            &services[i],
            &orgs[i],
            levels[i].as_deref().unwrap(),
            &codes[i],
        );
        let key = (
            ids[i].clone().unwrap(),
            level,
            code,
            cats[i].clone().unwrap_or_default(),
            years[i].unwrap(),
        );
        let (cell, st) = found
            .get(&key)
            .unwrap_or_else(|| panic!("ligne absente du classeur : {key:?}"));
        let st_parquet = status[i].as_deref().unwrap();
        assert_eq!(st, st_parquet, "{key:?}");
        match (st_parquet, values[i]) {
            ("V", Some(v)) => {
                let scale = if units[i].as_deref() == Some("‰") {
                    1000.0
                } else {
                    1.0
                };
                let got = cell
                    .as_f64()
                    .unwrap_or_else(|| panic!("{key:?} : {cell:?}"));
                assert!(
                    (got - v * scale).abs() <= 1e-12 * (v * scale).abs().max(1.0),
                    "{key:?} : {got} ≠ {v}"
                );
                if scale == 1.0 {
                    assert_eq!(got, v, "{key:?}: the very same number");
                }
                published += 1;
            }
            ("V", None) => assert_eq!(cell, &Data::String("n.c.".into()), "{key:?}"),
            _ => {
                assert_eq!(cell, &Data::String("s".into()), "{key:?}");
                secret += 1;
            }
        }
    }
    // Nothing else: one line per row of the Parquet.
    assert_eq!(found.len(), df.height());
    assert!(
        published > 1000 && secret > 100,
        "{published} publiés, {secret} en secret"
    );
}

#[test]
fn workbook_contents_list_every_sheet() {
    let mut wb = workbook(demo_output());
    let names = wb.sheet_names();
    assert_eq!(names.first().map(String::as_str), Some("Sommaire"));
    assert_eq!(names.last().map(String::as_str), Some("Définitions"));
    for family in [
        "Activité",
        "Personnes accompagnées",
        "Ressources humaines",
        "Formation",
        "Satisfaction",
        "Démarche qualité",
        "Territoires",
        "Graphiques",
    ] {
        assert!(names.iter().any(|n| n == family), "{family} : {names:?}");
    }
    let contents = wb.worksheet_range("Sommaire").unwrap();
    let listed: BTreeSet<String> = contents
        .rows()
        .filter_map(|r| r.first().map(|c| c.to_string()))
        .collect();
    for n in &names[1..] {
        assert!(listed.contains(n), "{n} absent du sommaire");
    }
    let all: String = contents.rows().flatten().map(|c| c.to_string()).collect();
    assert!(
        all.contains("DÉMONSTRATION")
            && all.contains("secret primaire")
            && all.contains("2020–2023")
    );
    // Every indicator shown is defined.
    let defs = wb.worksheet_range("Définitions").unwrap();
    let defined: BTreeSet<String> = defs.rows().skip(3).map(|r| r[0].to_string()).collect();
    let df =
        ParquetReader::new(std::fs::File::open(demo_output().join(paths::INDICATORS)).unwrap())
            .finish()
            .unwrap();
    let shown: BTreeSet<String> = strings(&df, "indicateur").into_iter().flatten().collect();
    assert_eq!(defined, shown);
}

/// `Sheet!$B$6:$E$6` or `'Sheet name'!$B$6` → (sheet, first (row, col), last (row, col)).
fn reference(f: &str) -> (String, (u32, u32), (u32, u32)) {
    let (sheet, cells) = f.rsplit_once('!').unwrap();
    let sheet = sheet.trim_matches('\'').replace("''", "'");
    let cell = |c: &str| {
        let c = c.replace('$', "");
        let split = c.find(|ch: char| ch.is_ascii_digit()).unwrap();
        let col = c[..split]
            .bytes()
            .fold(0u32, |n, b| n * 26 + u32::from(b - b'A' + 1))
            - 1;
        (c[split..].parse::<u32>().unwrap() - 1, col)
    };
    let (a, b) = cells.split_once(':').unwrap_or((cells, cells));
    (sheet, cell(a), cell(b))
}

fn cells(ranges: &BTreeMap<String, Range<Data>>, f: &str) -> Vec<Data> {
    let (sheet, a, b) = reference(f);
    let range = &ranges[&sheet];
    let mut out = Vec::new();
    for r in a.0..=b.0 {
        for c in a.1..=b.1 {
            out.push(range.get_value((r, c)).cloned().unwrap_or(Data::Empty));
        }
    }
    out
}

/// The `<c:f>` references inside each `<c:{part}>` element of a chart part.
fn refs(xml: &str, part: &str) -> Vec<String> {
    let open = format!("<c:{part}>");
    let close = format!("</c:{part}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|s| s.split(&close).next())
        .filter_map(|s| s.split("<c:f>").nth(1)?.split("</c:f>").next())
        .map(str::to_string)
        .collect()
}

#[test]
fn workbook_charts_point_at_published_numbers() {
    let out = demo_output();
    let path = out.join(paths::WORKBOOK);
    let mut wb = workbook(out);
    let ranges: BTreeMap<String, Range<Data>> = wb
        .sheet_names()
        .into_iter()
        .map(|n| {
            let r = wb.worksheet_range(&n).unwrap();
            (n, r)
        })
        .collect();
    // Published values of the Parquet (‰ per 1 000), and the 100 % reference line.
    let df = ParquetReader::new(std::fs::File::open(out.join(paths::INDICATORS)).unwrap())
        .finish()
        .unwrap();
    let (values, units) = (floats(&df, "valeur"), strings(&df, "unite"));
    let mut published: Vec<f64> = vec![1.0];
    for (v, u) in values.iter().zip(&units) {
        if let Some(v) = v {
            published.push(if u.as_deref() == Some("‰") {
                v * 1000.0
            } else {
                *v
            });
        }
    }
    let mut zip = ::zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let charts: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .filter(|n| n.starts_with("xl/charts/chart") && n.ends_with(".xml"))
        .collect();
    assert!(charts.len() >= 5, "{charts:?}");
    let mut series = 0;
    for name in charts {
        let mut xml = String::new();
        zip.by_name(&name)
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        let (names, cats, vals) = (refs(&xml, "tx"), refs(&xml, "cat"), refs(&xml, "val"));
        assert!(
            !vals.is_empty() && vals.len() == cats.len() && vals.len() == names.len(),
            "{name}"
        );
        for ((n, c), v) in names.iter().zip(&cats).zip(&vals) {
            assert!(
                matches!(&cells(&ranges, n)[..], [Data::String(s)] if !s.is_empty()),
                "{name} {n}"
            );
            let years = cells(&ranges, c);
            assert!(
                years
                    .iter()
                    .all(|y| matches!(y, Data::Float(y) if (2020.0..=2023.0).contains(y))),
                "{name} {c} : {years:?}"
            );
            let points = cells(&ranges, v);
            assert_eq!(points.len(), years.len(), "{name} {v}");
            assert!(
                points.iter().any(|p| matches!(p, Data::Float(_))),
                "{name} {v} : aucun nombre"
            );
            for p in points {
                match p {
                    Data::Float(x) => {
                        assert!(published.contains(&x), "{name} {v} : {x} n'est pas publié")
                    }
                    Data::Empty => {}
                    other => panic!("{name} {v} : {other:?}"),
                }
            }
            series += 1;
        }
    }
    assert!(series >= 10, "{series} séries");
}

#[test]
fn workbook_follows_the_report_switch_and_the_audience() {
    let dir = temp_dir("classeur-interrupteur");
    std::fs::write(dir.join("services.csv"), crate::corpus::services_csv()).unwrap();
    for report in [false, true] {
        let p = pipeline(
            &dir,
            &format!(
                "[pipeline]\nnom = \"essai\"\n[periode]\ndebut = 2021\nfin = 2022\n[sorties]\ngraphique = false\nrapport = {report}\n{}",
                crate::corpus::services_source()
            ),
        );
        let out = dir.join(format!("sortie-{report}"));
        observatoire::run::run(&p, &out).unwrap_or_else(|e| panic!("{e}"));
        // `rapport = false` writes neither the report nor the workbook.
        assert_eq!(out.join(paths::WORKBOOK).is_file(), report);
        assert_eq!(out.join(paths::REPORT).is_file(), report);
    }
    // An internal dashboard's workbook says so on every sheet.
    let mut wb = workbook(crate::demo::internal_output());
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        let all: String = range
            .rows()
            .take(4)
            .flatten()
            .map(|c| c.to_string())
            .collect();
        assert!(all.contains("DIFFUSION INTERNE"), "{name}");
    }
}

/// Each declared report's workbook (`rapports/<nom>.xlsx`) holds the rows of its
/// perimeter, and only those, with the Parquet's values: the APMN-15 report its
/// service's rows, the COPIL board the service's `copil_*` rows, the plaidoyer the
/// network's and départements' rows; each names its report and addressee.
#[test]
fn each_declared_report_has_its_own_workbook() {
    let out = demo_output();
    let df = ParquetReader::new(std::fs::File::open(out.join(paths::INDICATORS)).unwrap())
        .finish()
        .unwrap();
    let (ids, services, orgs, levels, codes, cats, years, values) = (
        strings(&df, "indicateur"),
        strings(&df, "service"),
        strings(&df, "organisation"),
        strings(&df, "niveau_territoire"),
        strings(&df, "code_territoire"),
        strings(&df, "modalite"),
        ints(&df, "periode"),
        floats(&df, "valeur"),
    );
    let units = strings(&df, "unite");
    type Keep = fn(&str, &Option<String>, &Option<String>, &str) -> bool;
    let reports: [(&str, Keep); 3] = [
        ("activite-apmn-15", |_, s, _, _| {
            s.as_deref() == Some("APMN-15")
        }),
        ("copil-anef-cantal", |id, s, _, _| {
            s.as_deref() == Some("APMN-15") && id.starts_with("copil_")
        }),
        ("plaidoyer-reseau", |_, s, o, level| {
            s.is_none() && o.is_none() && level != "territoire_interne"
        }),
    ];
    for (name, keep) in reports {
        let path = out.join("rapports").join(format!("{name}.xlsx"));
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap_or_else(|e| panic!("{name} : {e}"));
        let found = lines(&mut wb);
        let mut expected = 0;
        for i in 0..df.height() {
            let level = levels[i].as_deref().unwrap();
            if !keep(ids[i].as_deref().unwrap(), &services[i], &orgs[i], level) {
                continue;
            }
            expected += 1;
            let (level, code) = perimeter(&services[i], &orgs[i], level, &codes[i]);
            let key = (
                ids[i].clone().unwrap(),
                level,
                code,
                cats[i].clone().unwrap_or_default(),
                years[i].unwrap(),
            );
            let (cell, _) = found
                .get(&key)
                .unwrap_or_else(|| panic!("{name} : ligne absente {key:?}"));
            if let (Some(v), Some(got)) = (values[i], cell.as_f64()) {
                let v = if units[i].as_deref() == Some("‰") {
                    v * 1000.0
                } else {
                    v
                };
                assert!(
                    (got - v).abs() <= 1e-12 * v.abs().max(1.0),
                    "{name} {key:?} : {got} ≠ {v}"
                );
            }
        }
        assert_eq!(found.len(), expected, "{name} : lignes hors du périmètre");
        assert!(expected > 40, "{name} : {expected} lignes");
    }
    let mut wb: Xlsx<_> = open_workbook(out.join("rapports/activite-apmn-15.xlsx")).unwrap();
    let all: String = wb
        .worksheet_range("Sommaire")
        .unwrap()
        .rows()
        .flatten()
        .map(|c| c.to_string())
        .collect();
    assert!(
        all.contains("Rapport d'activité — Service APMN (APMN-15)"),
        "{all}"
    );
    assert!(all.contains("Conseil départemental du Cantal"), "{all}");
}
