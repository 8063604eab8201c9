//! Tests of the generator: determinism, exact APMN targets, truth file
//! consistent with the world and with the written files.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::Datelike;
use serde_json::Value;

use crate::dates::{Date, age, date, days_exclusive, days_in_month};
use crate::names::fold;
use crate::world::{APMN_TARGETS, FIRST_YEAR, INDICATOR_YEARS, LAST_YEAR, Service, World};

/// A fresh, empty folder under the system temp dir.
fn scratch(tag: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("observatoire-exemple-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every file under `root`, as relative path → bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .expect("prefix")
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

fn world() -> World {
    crate::build_world().expect("world")
}

fn truth_of(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("verite.json")).expect("verite.json");
    serde_json::from_str(&text).expect("json")
}

#[test]
fn generation_is_byte_identical() {
    let (a, b) = (scratch("det-a"), scratch("det-b"));
    let pa = crate::generate(&a).expect("first run");
    let pb = crate::generate(&b).expect("second run");
    // 7 accompaniment files, 9 staff/training/satisfaction/action-plan
    // files, 7 templates, 2 fictitious context tables.
    assert_eq!(pa.len(), 25);
    assert_eq!(pa.len(), pb.len());
    let (ta, tb) = (tree(&a), tree(&b));
    assert_eq!(ta.len(), 25);
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (k, v) in &ta {
        assert!(v == &tb[k], "{k} differs between two runs");
    }
    // Regenerating over existing files gives the same bytes again.
    crate::generate(&a).expect("third run");
    assert_eq!(tree(&a), ta);
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn apmn_targets_are_exact() {
    let w = world();
    for (y, target) in APMN_TARGETS {
        assert_eq!(w.measure_days(Service::Apmn, y), target, "APMN {y}");
    }
    // The rates the brief quotes.
    let rate = |y: i32| {
        let days = w.measure_days(Service::Apmn, y) as f64;
        (10_000.0 * days / (Service::Apmn.capacity(y) * Service::Apmn.opening_days(y)) as f64)
            .round()
            / 100.0
    };
    assert_eq!(rate(2020), 115.00);
    assert_eq!(rate(2021), 120.05);
    assert_eq!(rate(2022), 121.38);
    assert_eq!(rate(2023), 118.00);
}

#[test]
fn world_is_plausible() {
    let w = world();
    // Ages at entry 0–20, no end before start, no end on 31/12 or 01/01.
    for s in &w.stays {
        let a = age(w.children[s.child].birth, s.start);
        assert!((0..=20).contains(&a), "age {a} at entry");
        if let Some(e) = s.end {
            assert!(e > s.start);
            let edge = (e.month(), e.day()) == (12, 31) || (e.month(), e.day()) == (1, 1);
            assert!(!edge, "end on a year edge");
            assert!(e <= date(LAST_YEAR, 12, 31));
        }
        assert!(s.touches(date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)));
    }
    // APMN measures last 3–30 months (about 89–915 days).
    for s in w.stays_of(Service::Apmn) {
        if let Some(e) = s.end {
            let d = (e - s.start).num_days();
            assert!((89..=920).contains(&d), "APMN duration {d}");
        }
    }
    // Concurrency: APMN about 75–90 measures, placements within capacity.
    let mut d = date(2020, 1, 1);
    while d <= date(LAST_YEAR, 12, 31) {
        let apmn = w.present_on(Service::Apmn, d);
        assert!((65..=95).contains(&apmn), "APMN {apmn} on {d}");
        assert!(
            w.present_on(Service::Mecs, d) <= 30,
            "MECS over capacity on {d}"
        );
        assert!(
            w.present_on(Service::Pf, d) <= 40,
            "PF over capacity on {d}"
        );
        // DITEP: about 45 during the school year (July exits, September entries).
        let summer = (7..=8).contains(&d.month()) || (d.month() == 9 && d.day() < 15);
        if !summer {
            let ditep = w.present_on(Service::Ditep, d);
            assert!((38..=50).contains(&ditep), "DITEP {ditep} on {d}");
        }
        d += chrono::Duration::days(1);
    }
    // DITEP: 70–90 children, about 30 % also in child protection, about a
    // quarter of those spelled differently.
    let ditep: BTreeSet<usize> = w.stays_of(Service::Ditep).map(|s| s.child).collect();
    assert!(
        (70..=90).contains(&ditep.len()),
        "{} DITEP children",
        ditep.len()
    );
    let cross: Vec<usize> = ditep
        .iter()
        .copied()
        .filter(|&c| {
            w.stays
                .iter()
                .any(|s| s.child == c && s.service.child_protection())
        })
        .collect();
    let share = cross.len() as f64 / ditep.len() as f64;
    assert!((0.25..=0.35).contains(&share), "cross share {share}");
    let variants = cross
        .iter()
        .filter(|&&c| w.children[c].ditep_spelling.is_some())
        .count();
    assert!(
        variants * 4 >= cross.len() - 2 && variants * 4 <= cross.len() + 4,
        "{variants} variants"
    );
    for &c in &cross {
        assert!(w.ditep_child_has_cp_overlap(c));
    }
    // Only cross children are in both worlds; names identify children.
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for s in &w.stays {
        let ch = &w.children[s.child];
        let key = (fold(&ch.nom), fold(&ch.prenom));
        assert_eq!(*seen.entry(key).or_insert(s.child), s.child, "homonyms");
    }
    // About 5 % of mothers unknown.
    let kids: BTreeSet<usize> = w.stays.iter().map(|s| s.child).collect();
    let unknown = kids
        .iter()
        .filter(|&&c| w.children[c].mother.is_none())
        .count();
    assert!(unknown > 0 && unknown * 100 <= kids.len() * 10);
}

/// Reads a Windows-1252 CSV into rows of fields.
fn read_cp1252(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).expect("csv");
    let (text, _, bad) = encoding_rs::WINDOWS_1252.decode(&bytes);
    assert!(!bad);
    assert!(text.ends_with("\r\n"));
    text.split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split(';').map(str::to_string).collect())
        .collect()
}

fn parse_fr(s: &str) -> Option<Date> {
    chrono::NaiveDate::parse_from_str(s, "%d/%m/%Y").ok()
}

#[test]
fn truth_matches_world_and_files() {
    let dir = scratch("truth");
    crate::generate(&dir).expect("generate");
    let w = world();
    let v = truth_of(&dir);
    let text = std::fs::read_to_string(dir.join("verite.json")).expect("json");

    // No name of the world appears in the truth file.
    for ch in &w.children {
        assert!(!text.contains(&format!("\"{}\"", ch.nom)), "name in truth");
    }

    // Figures equal a fresh computation.
    for s in Service::ALL {
        for y in INDICATOR_YEARS {
            let f = crate::truth::figures(&w, s, y);
            let t = &v["services"][s.code()]["annees"][y.to_string()];
            assert_eq!(t["file_active"], f.file_active, "{} {y}", s.code());
            assert_eq!(t["presents_31_12"], f.presents_31_12);
            assert_eq!(t["entrees"], f.entrees);
            assert_eq!(t["sorties"], f.sorties);
            assert_eq!(t["mesures_jours"].as_i64(), f.mesures_jours);
            assert_eq!(t["journees_realisees"].as_i64(), f.journees_realisees);
            assert!(f.presents_31_12 <= f.file_active);
        }
    }
    for (y, target) in APMN_TARGETS {
        assert_eq!(
            v["services"]["APMN-15"]["annees"][y.to_string()]["mesures_jours"],
            target
        );
    }

    // PF: recompute everything from the CSV files alone.
    let rows = read_cp1252(&dir.join("entraide63/export_placement_familial.csv"));
    assert_eq!(rows[0].len(), 9);
    assert_eq!(rows[0][1], "Prénom");
    let placements: Vec<(String, Date, Option<Date>)> = rows[1..]
        .iter()
        .map(|r| {
            let id = format!("{}|{}|{}", r[0], r[1], r[2]);
            (id, parse_fr(&r[6]).expect("entrée"), parse_fr(&r[7]))
        })
        .collect();
    assert!(
        rows[1..]
            .iter()
            .any(|r| r[0].contains('œ') || r[1].contains('œ'))
    );
    let activity = read_cp1252(&dir.join("entraide63/activite_mensuelle.csv"));
    assert_eq!(activity.len(), 61);
    let mut per_year: BTreeMap<i32, i64> = BTreeMap::new();
    for r in &activity[1..] {
        let (y, m): (i32, u32) = (r[0].parse().expect("année"), r[1].parse().expect("mois"));
        let from = date(y, m, 1);
        let to = date(y, m, days_in_month(y, m));
        let from_rows: i64 = placements
            .iter()
            .map(|(_, s, e)| days_exclusive(*s, *e, from, to))
            .sum();
        assert_eq!(
            r[2].parse::<i64>().expect("réalisées"),
            from_rows,
            "{y}-{m}"
        );
        assert_eq!(r[3], format!("{},0", 40 * days_in_month(y, m)));
        assert!(r[4].contains(','));
        *per_year.entry(y).or_insert(0) += from_rows;
    }
    for y in INDICATOR_YEARS {
        let t = &v["services"]["PF-63"]["annees"][y.to_string()];
        assert_eq!(t["journees_realisees"], per_year[&y]);
        let (from, to) = (date(y, 1, 1), date(y, 12, 31));
        let active: BTreeSet<&String> = placements
            .iter()
            .filter(|(_, s, e)| *s <= to && e.is_none_or(|e| e >= from))
            .map(|(id, _, _)| id)
            .collect();
        assert_eq!(t["file_active"], active.len());
    }

    // DITEP: the `x` flags and the ND months.
    let file = std::fs::File::open(dir.join("chemins/DITEP Le Cèdre.ods")).expect("ods");
    let mut zip = zip::ZipArchive::new(file).expect("zip");
    let mut first = String::new();
    zip.by_index(0)
        .expect("mimetype")
        .read_to_string(&mut first)
        .expect("read");
    assert_eq!(first, "application/vnd.oasis.opendocument.spreadsheet");
    let mut content = String::new();
    zip.by_name("content.xml")
        .expect("content")
        .read_to_string(&mut content)
        .expect("read");
    let x = content.matches("<text:p>x</text:p>").count();
    assert_eq!(v["chevauchement"]["enfants_ditep_mesure_ase_x"], x);
    assert_eq!(v["chevauchement"]["enfants_ditep_et_protection"], x);
    assert!(content.matches("<text:p>ND</text:p>").count() >= 1);
    assert!(v["services"]["DITEP-15"]["annees"]["2020"]["journees_realisees"].is_i64());

    // Row counts of the registry and of the MECS activity sheet.
    let files = v["fichiers"].as_array().expect("fichiers");
    let find = |f: &str, s: Option<&str>| {
        files
            .iter()
            .find(|e| e["fichier"] == f && e["feuille"].as_str() == s)
            .cloned()
            .expect("entry")
    };
    assert_eq!(find("referentiel-services.csv", None)["lignes_donnees"], 20);
    assert_eq!(
        find(
            "volcans/MECS Les Tilleuls - jeunes accueillis.xlsx",
            Some("Activité mensuelle")
        )["lignes_donnees"],
        60
    );
    assert_eq!(
        find("entraide63/export_placement_familial.csv", None)["lignes_donnees"],
        placements.len()
    );
    let registry = std::fs::read_to_string(dir.join("referentiel-services.csv")).expect("registry");
    assert_eq!(registry.lines().count(), 21);

    // Overlap figures by year are consistent.
    for y in INDICATOR_YEARS {
        let o = &v["chevauchement"]["par_annee"][y.to_string()];
        let total = o["enfants_protection"].as_u64().expect("n");
        let by_dep = o["enfants_protection_par_departement"]["15"]
            .as_u64()
            .expect("15")
            + o["enfants_protection_par_departement"]["63"]
                .as_u64()
                .expect("63");
        assert!(total <= by_dep);
        assert!(o["ditep_avec_mesure_pe"].as_u64() <= o["enfants_ditep"].as_u64());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
