//! Every figure the demo's declared reports show comes from the disclosure-controlled
//! table: the visible text of each page (`rapports/<nom>.html`, tags, style sheet,
//! attributes and SVG drawing data dropped) and every cell of each workbook
//! (`rapports/<nom>.xlsx`) are read, every number in them is parsed (French format:
//! `12,3 %`, `1 514`, `4,2 ‰`), and each must be a published value of
//! `indicateurs.parquet`, rounded as displayed: a value in its display unit (× 100 for
//! `%`, × 1 000 for `‰`), a numerator, a denominator, a change, a peer quartile or count
//! of peers. Disclosure control empties in the Parquet what is secret (the value of a
//! row under secret, and its numerator or denominator when that side is small), so any
//! number the Parquet holds is published — a secret row's large denominator included.
//!
//! The only other numbers allowed, each for a stated reason:
//! - numbers inside published words: the labels of the Parquet (categories such as
//!   `0-2 ans`, indicator labels, territory and service names), the definitions of the
//!   registry (`registre_indicateurs.parquet`), the texts of the COPIL action plan (fiche, objective,
//!   sub-action and indicator labels: the plan holds no person) — removed before parsing;
//! - years of the period and of the action plan (four digits, no separator), the
//!   `N+1` … `N+4` year offsets of the COPIL board;
//! - the statistical-secret threshold where it is stated (« moins de 11 personnes »,
//!   « seuil 11 »), the tool's version;
//! - the services table (the observatory's « référentiel », not about persons): the
//!   authorised capacity before « mesures » / « places », and the mean number of
//!   measures (places) exercised per day, a published numerator over the days of the
//!   year (or the opening days);
//! - footnote and chapter numbers (small integers before a definition or a title);
//! - the counts of figures and indicators a report or a workbook's contents state
//!   (« 335 chiffres pour 30 indicateurs », « dont 28 en secret statistique »): rows of
//!   the Parquet counted;
//! - the days of a year in the definition of the mean daily number (« 365 ou 366 »);
//! - in a workbook, a row of years (the header of the charts' data).
//! - in the chart, the axis graduations (multiples of 10 between 0 and 200);
//! - derived from published values: the quantiles of the départements' published
//!   values (the plaidoyer's quartiles, the map's class bounds);
//! - territory names of the reference table (`Guadeloupe (971)`, for a département
//!   without a figure), the map's credit line (« ADMIN EXPRESS COG 2018 »);
//! - the plaidoyer's method: the run's linkage counts (`manifeste.json`, before
//!   « dossiers / enfants / liens »), and the linkage quality the benchmark measured on
//!   generated files (« Sur 20 000 + 5 000 dossiers, précision 0,9979, rappel … »).
//!
//! A failure prints each offending number with its context.

use std::collections::BTreeSet;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use polars::prelude::*;

mod text;

use crate::demo::demo_output;
use crate::util::*;
use text::{Number, numbers, split_svg, visible_text};

/// Published values (sorted) and the texts whose digits are words, not figures.
struct Published {
    /// Values as displayed (× 100 for `%`, × 1 000 for `‰`) and as stored.
    values: Vec<f64>,
    /// Labels and definitions, longest first (removed before parsing).
    labels: Vec<String>,
    years: std::ops::RangeInclusive<i32>,
    threshold: f64,
    /// Authorised capacities and opening days of the services table.
    capacities: BTreeSet<i64>,
    /// The run's linkage counts (`manifeste.json`, « appariement »).
    linkage: Vec<f64>,
}

fn read_parquet(path: &Path) -> DataFrame {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(f).finish().unwrap()
}

fn published() -> Published {
    let out = demo_output();
    let df = read_parquet(&out.join(observatoire::publish::paths::INDICATORS));
    let id = strings(&df, "indicateur");
    let year = ints(&df, "periode");
    let factor = floats(&df, "facteur_affichage");
    let num = floats(&df, "numerateur");
    let scaled = [
        "valeur",
        "evolution_annuelle",
        "evolution_depuis_base",
        "pairs_q1",
        "pairs_mediane",
        "pairs_q3",
    ]
    .map(|c| floats(&df, c));
    let raw = ["numerateur", "denominateur", "pairs_nombre"].map(|c| floats(&df, c));
    let mut values = Vec::new();
    for i in 0..df.height() {
        let f = factor[i].unwrap_or(1.0);
        for c in &scaled {
            if let Some(v) = c[i] {
                values.extend([(v * f).abs(), v.abs()]);
            }
        }
        values.extend(raw.iter().filter_map(|c| c[i]).map(f64::abs));
        // Mean number exercised per day: the activity's numerator (days of measures
        // or of presence) over the days of the year.
        if let (Some("taux_activite" | "taux_occupation"), Some(n), Some(y)) =
            (id[i].as_deref(), num[i], year[i])
        {
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
            values.push(n / if leap { 366.0 } else { 365.0 });
        }
    }
    values.extend(department_quantiles(&df));
    values.sort_by(f64::total_cmp);
    let mut labels = BTreeSet::new();
    for c in [
        "modalite",
        "libelle_indicateur",
        "nom_territoire",
        "nom_service",
        "perimetre",
    ] {
        labels.extend(strings(&df, c).into_iter().flatten());
    }
    let registry = read_parquet(&out.join(observatoire::publish::paths::REGISTRY));
    for c in registry.get_column_names() {
        if let Ok(s) = registry.column(c).and_then(|c| c.str().cloned()) {
            labels.extend(s.iter().flatten().map(str::to_string));
        }
    }
    labels.extend(plan_texts());
    // Territory names of the reference table (`Guadeloupe (971)`), and the map's
    // credit line (its source's edition year).
    for t in observatoire::territory::all() {
        labels.insert(t.display());
    }
    labels.insert("ADMIN EXPRESS COG 2018".into());
    let mut labels: Vec<String> = labels
        .into_iter()
        .filter(|l| l.chars().any(|c| c.is_ascii_digit()) && l.chars().any(char::is_alphabetic))
        .collect();
    labels.sort_by_key(|l| std::cmp::Reverse(l.len()));
    let years: Vec<i32> = year.iter().flatten().copied().collect();
    let (first, last) = (years.iter().min().unwrap(), years.iter().max().unwrap());
    Published {
        values,
        labels,
        // The plan's years N … N+4 go past the period.
        years: *first..=*last + 4,
        threshold: 11.0,
        capacities: services_table(),
        linkage: linkage_counts(),
    }
}

/// Quantiles (linear interpolation between order statistics, as the plaidoyer's
/// quartiles and the map's classes compute them) of the published values of the
/// départements, per indicator, category and year: every `i / k` for up to 7 classes.
fn department_quantiles(df: &DataFrame) -> Vec<f64> {
    use std::collections::BTreeMap;
    let (id, level, cat, year) = (
        strings(df, "indicateur"),
        strings(df, "niveau_territoire"),
        strings(df, "modalite"),
        ints(df, "periode"),
    );
    let (value, factor) = (floats(df, "valeur"), floats(df, "facteur_affichage"));
    let mut groups: BTreeMap<_, (f64, Vec<f64>)> = BTreeMap::new();
    for i in 0..df.height() {
        if level[i].as_deref() != Some("departement") {
            continue;
        }
        if let Some(v) = value[i] {
            let g = groups
                .entry((id[i].clone(), cat[i].clone(), year[i]))
                .or_insert((factor[i].unwrap_or(1.0), Vec::new()));
            g.1.push(v);
        }
    }
    let mut out = Vec::new();
    for (f, mut v) in groups.into_values() {
        v.sort_by(f64::total_cmp);
        let last = (v.len() - 1) as f64;
        for k in 2..=7 {
            for i in 0..=k {
                let pos = last * i as f64 / k as f64;
                let lo = pos.floor() as usize;
                let q = match v.get(lo + 1) {
                    Some(hi) => v[lo] + (hi - v[lo]) * (pos - pos.floor()),
                    None => v[lo],
                };
                out.extend([q * f, q]);
            }
        }
    }
    out
}

/// The run's linkage counts as the manifest gives them (a list summed).
fn linkage_counts() -> Vec<f64> {
    let path = demo_output().join(observatoire::publish::paths::MANIFEST);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let Some(link) = m["confidentialite"]["appariement"].as_object() else {
        return Vec::new();
    };
    link.values()
        .filter_map(|v| match v.as_array() {
            Some(a) => Some(a.iter().filter_map(serde_json::Value::as_f64).sum()),
            None => v.as_f64(),
        })
        .collect()
}

/// Every text cell of the demo's COPIL action plan.
fn plan_texts() -> Vec<String> {
    let path = repo().join("sample-data/anef-cantal/Plan d'action COPIL qualité.xlsx");
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        for c in range.used_cells() {
            if let Data::String(s) = c.2 {
                out.push(s.trim().to_string());
            }
        }
    }
    out
}

/// Capacities and opening days of the services table.
fn services_table() -> BTreeSet<i64> {
    let text =
        std::fs::read_to_string(repo().join("sample-data/referentiel-services.csv")).unwrap();
    text.lines()
        .skip(1)
        .flat_map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            [f.get(9), f.get(11)]
                .into_iter()
                .flatten()
                .filter_map(|v| v.trim().parse().ok())
                .collect::<Vec<i64>>()
        })
        .collect()
}

impl Published {
    /// Whether a published value rounds to `n` as displayed.
    fn has(&self, n: &Number) -> bool {
        let half = 0.5 * 10f64.powi(-n.decimals) + 1e-7;
        let from = self.values.partition_point(|v| *v < n.value - half);
        self.values.get(from).is_some_and(|v| *v <= n.value + half)
    }

    /// Whether `n`, in `text`, is one of the stated exceptions.
    fn excepted(&self, n: &Number, text: &str, in_chart: bool) -> bool {
        let before = &text[..n.start];
        let after = &text[n.end..];
        let whole = n.decimals == 0;
        let int = n.value as i64;
        (whole && !n.grouped && self.years.contains(&(int as i32)) && n.end - n.start == 4)
            || (whole && before.ends_with("N+"))
            || (whole
                && n.value == self.threshold
                && (after.trim_start().starts_with("personne") || before.ends_with("seuil ")))
            || (whole
                && self.capacities.contains(&int)
                && ["mesures", "places", "jours"]
                    .iter()
                    .any(|u| after.trim_start().starts_with(u)))
            || (whole && int <= 99 && footnote(before, after))
            || (whole
                && ["chiffre", "indicateur", "en secret statistique"]
                    .iter()
                    .any(|w| after.trim_start().starts_with(w)))
            || (whole
                && (int == 365 && after.starts_with(" ou 366")
                    || int == 366 && before.ends_with("365 ou ")))
            || (in_chart && whole && int % 10 == 0 && int <= 200)
            || (self.linkage.contains(&n.value)
                && (["dossier", "enfant", "lien"]
                    .iter()
                    .any(|w| after.trim_start().starts_with(w))
                    || before.ends_with("est de ")))
            || benchmark(before, after)
    }

    /// The offending numbers of `text`, each with its context.
    fn leaks(&self, text: &str, in_chart: bool) -> Vec<String> {
        let mut text = text.replace(
            &format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
            " ",
        );
        for l in &self.labels {
            if text.contains(l.as_str()) {
                text = text.replace(l.as_str(), " ");
            }
        }
        numbers(&text)
            .into_iter()
            .filter(|n| !self.has(n) && !self.excepted(n, &text, in_chart))
            .map(|n| {
                let mut a = n.start.saturating_sub(60);
                while !text.is_char_boundary(a) {
                    a -= 1;
                }
                let mut b = (n.end + 40).min(text.len());
                while !text.is_char_boundary(b) {
                    b += 1;
                }
                format!("{} dans « {} »", n.value, text[a..b].replace('\n', " ⏎ "))
            })
            .collect()
    }
}

/// The linkage quality measured by the benchmark on generated files, stated in the
/// plaidoyer's method (docs/architecture.md §7): « Sur 20 000 + 5 000 dossiers,
/// précision 0,9979, rappel 0,9879 ».
fn benchmark(before: &str, after: &str) -> bool {
    before.ends_with("précision ")
        || before.ends_with("rappel ")
        || (after.starts_with(" + ") && before.ends_with("Sur "))
        || (after.starts_with(" + ") && before.ends_with("("))
        || (before.ends_with(" + ") && after.starts_with(" dossiers"))
}

/// A footnote call or number, a chapter or section number: a small integer alone on
/// its line, or before « . » and a title.
fn footnote(before: &str, after: &str) -> bool {
    let line_start = before.ends_with('\n') || before.trim_end_matches(' ').ends_with('\n');
    let line_end = after.starts_with('\n') || after.starts_with(". ");
    line_start && line_end
}

fn declared_reports() -> Vec<std::path::PathBuf> {
    let dir = demo_output().join("rapports");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    assert!(out.len() >= 6, "trois rapports, page et classeur : {out:?}");
    out
}

#[test]
fn every_number_of_the_reports_is_a_published_value() {
    let p = published();
    let mut leaks = Vec::new();
    for path in declared_reports() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        match path.extension().and_then(|e| e.to_str()) {
            Some("html") => {
                let html = std::fs::read_to_string(&path).unwrap();
                // Charts: their text is checked, their drawing data is not text.
                let (page, charts) = split_svg(&html);
                let read = numbers(&visible_text(&page)).len();
                assert!(read >= 50, "{name} : {read} nombres seulement lus");
                for l in p.leaks(&visible_text(&page), false) {
                    leaks.push(format!("{name} : {l}"));
                }
                for l in p.leaks(&visible_text(&charts), true) {
                    leaks.push(format!("{name} (graphique) : {l}"));
                }
            }
            Some("xlsx") => leaks.extend(workbook_leaks(&p, &path, &name)),
            _ => panic!("fichier inattendu {name}"),
        }
    }
    assert!(
        leaks.is_empty(),
        "{} nombre(s) hors des valeurs publiées :\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

/// Numbers of a workbook: a number cell must be a published value as stored or as
/// displayed (the « Année » column holds years); a text cell is read as a page's text.
fn workbook_leaks(p: &Published, path: &Path, name: &str) -> Vec<String> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap_or_else(|e| panic!("{name} : {e}"));
    let mut leaks = Vec::new();
    for sheet in wb.sheet_names() {
        let range = wb.worksheet_range(&sheet).unwrap();
        let rows: Vec<&[Data]> = range.rows().collect();
        let year_col = rows.iter().take(5).find_map(|r| {
            r.iter()
                .position(|c| matches!(c, Data::String(s) if s == "Année"))
        });
        let is_year = |c: &Data| match c {
            Data::Float(v) => v.fract() == 0.0 && p.years.contains(&(*v as i32)),
            Data::Int(v) => p.years.contains(&(*v as i32)),
            _ => false,
        };
        for (i, r) in rows.iter().enumerate() {
            // A row of years: the header of a chart's data.
            let numbers: Vec<&Data> = r
                .iter()
                .filter(|c| matches!(c, Data::Float(_) | Data::Int(_)))
                .collect();
            if numbers.len() >= 2 && numbers.iter().all(|c| is_year(c)) {
                continue;
            }
            for (j, c) in r.iter().enumerate() {
                let found = match c {
                    Data::Float(v) if Some(j) == year_col => p
                        .years
                        .contains(&(*v as i32))
                        .then_some(())
                        .map_or_else(|| vec![format!("année {v}")], |_| Vec::new()),
                    Data::Float(v) => {
                        let n = Number {
                            value: v.abs(),
                            decimals: 9,
                            grouped: false,
                            start: 0,
                            end: 0,
                        };
                        if p.has(&n) {
                            Vec::new()
                        } else {
                            vec![format!("{v}")]
                        }
                    }
                    Data::Int(v) if Some(j) == year_col && p.years.contains(&(*v as i32)) => {
                        Vec::new()
                    }
                    Data::Int(v) => vec![format!("{v}")],
                    Data::String(s) => p.leaks(s, false),
                    _ => Vec::new(),
                };
                leaks.extend(
                    found
                        .into_iter()
                        .map(|l| format!("{name} [{sheet}] L{}C{} : {l}", i + 1, j + 1)),
                );
            }
        }
    }
    leaks
}

#[test]
fn a_number_outside_the_published_values_is_caught() {
    let p = Published {
        values: vec![0.123, 12.3, 1514.0],
        labels: vec!["0-2 ans".into()],
        years: 2020..=2027,
        threshold: 11.0,
        capacities: BTreeSet::from([65]),
        linkage: vec![706.0],
    };
    let ok = "Taux 12,3\u{a0}% · 1\u{a0}514 journées · 0-2 ans · 2023 · 65 mesures · moins de 11 personnes";
    assert_eq!(p.leaks(ok, false), Vec::<String>::new());
    let leaks = p.leaks(
        "File active : 7 personnes · 1\u{a0}515 journées · 65 enfants",
        false,
    );
    assert_eq!(leaks.len(), 3, "{leaks:?}");
    assert!(leaks[0].starts_with("7 dans « File active"), "{leaks:?}");
}
