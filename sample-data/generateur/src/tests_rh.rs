//! Tests of the staff, training, satisfaction, action-plan and template
//! files: the accompaniment files do not depend on them, the truth equals
//! what the files say, the world is plausible.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::Datelike;
use serde_json::Value;

use crate::dates::{Date, date, plus_days};
use crate::formation::Theme;
use crate::personnel::{Metier, Motif};
use crate::satisfaction::Public;
use crate::world::{INDICATOR_YEARS, Service};

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "observatoire-exemple-rh-{}-{tag}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A generated sample-data folder, removed when dropped.
struct Generated(PathBuf);

impl Generated {
    fn new(tag: &str) -> Self {
        let dir = scratch(tag);
        crate::generate(&dir).expect("generate");
        Generated(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn truth(&self) -> Value {
        let text = std::fs::read_to_string(self.0.join("verite.json")).expect("json");
        serde_json::from_str(&text).expect("json")
    }
}

impl Drop for Generated {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rh_year(v: &Value, service: Service, y: i32) -> &Value {
    &v["rh_formation_satisfaction"]["services"][service.code()]["annees"][y.to_string()]
}

fn approx(a: f64, b: &Value) -> bool {
    b.as_f64().is_some_and(|b| (a - b).abs() < 1e-6)
}

// ----------------------------------------------------------- small readers

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn zip_text(path: &Path, name: &str) -> Option<String> {
    let file = std::fs::File::open(path).expect("open");
    let mut z = zip::ZipArchive::new(file).expect("zip");
    let mut s = String::new();
    z.by_name(name).ok()?.read_to_string(&mut s).expect("read");
    Some(s)
}

/// Every `<tag …>inner</tag>` (non-nested) of `xml`, as (attributes, inner).
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<(&'a str, &'a str)> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        // Make sure the tag name ends here (`<c ` vs `<cols`).
        if !after.starts_with([' ', '>', '/']) {
            rest = after;
            continue;
        }
        let end_open = after.find('>').expect(">");
        let attrs = &after[..end_open];
        if attrs.ends_with('/') {
            out.push((attrs, ""));
            rest = &after[end_open + 1..];
            continue;
        }
        let body = &after[end_open + 1..];
        let j = body.find(&close).expect("close");
        out.push((attrs, &body[..j]));
        rest = &body[j + close.len()..];
    }
    out
}

fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = attrs.find(&key)? + key.len();
    let j = attrs[i..].find('"')? + i;
    Some(&attrs[i..j])
}

/// Column index of a cell reference (`C12` → 2).
fn col_of(r: &str) -> usize {
    r.chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .fold(0, |acc, c| acc * 26 + (c as usize - 'A' as usize + 1))
        - 1
}

/// The sheets of an xlsx written by rust_xlsxwriter: name → rows of cells
/// (strings, numbers as written; empty string for a missing cell).
fn read_xlsx(path: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    let shared: Vec<String> = zip_text(path, "xl/sharedStrings.xml")
        .map(|x| {
            elements(&x, "si")
                .iter()
                .map(|(_, inner)| {
                    elements(inner, "t")
                        .iter()
                        .map(|(_, t)| unescape(t))
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    let wb = zip_text(path, "xl/workbook.xml").expect("workbook");
    let names: Vec<String> = elements(&wb, "sheet")
        .iter()
        .map(|(a, _)| unescape(attr(a, "name").expect("name")))
        .collect();
    names
        .into_iter()
        .enumerate()
        .map(|(k, name)| {
            let xml = zip_text(path, &format!("xl/worksheets/sheet{}.xml", k + 1)).expect("sheet");
            let mut rows: Vec<Vec<String>> = Vec::new();
            for (ra, inner) in elements(&xml, "row") {
                let r: usize = attr(ra, "r").expect("r").parse().expect("row");
                while rows.len() < r {
                    rows.push(Vec::new());
                }
                let row = &mut rows[r - 1];
                for (ca, cinner) in elements(inner, "c") {
                    let c = col_of(attr(ca, "r").expect("ref"));
                    let v = elements(cinner, "v")
                        .first()
                        .map(|(_, v)| unescape(v))
                        .unwrap_or_default();
                    let v = if attr(ca, "t") == Some("s") {
                        shared[v.parse::<usize>().expect("index")].clone()
                    } else {
                        v
                    };
                    while row.len() <= c {
                        row.push(String::new());
                    }
                    row[c] = v;
                }
            }
            (name, rows)
        })
        .collect()
}

fn cell(row: &[String], k: usize) -> &str {
    row.get(k).map_or("", String::as_str)
}

fn num(s: &str) -> f64 {
    if s.is_empty() {
        0.0
    } else {
        s.replace(',', ".").parse().expect("number")
    }
}

fn excel_day(s: &str) -> Option<Date> {
    if s.is_empty() {
        return None;
    }
    let n: i64 = s.parse().expect("serial");
    Some(plus_days(date(1899, 12, 30), n))
}

fn read_csv(path: &Path, cp1252: bool) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).expect("csv");
    let text = if cp1252 {
        let (t, _, bad) = encoding_rs::WINDOWS_1252.decode(&bytes);
        assert!(!bad);
        t.into_owned()
    } else {
        String::from_utf8(bytes).expect("utf-8")
    };
    text.lines()
        .map(|l| l.split(';').map(str::to_string).collect())
        .collect()
}

/// Canonical job of a spelling used by a partner.
fn metier_of(service: Service, spelled: &str) -> Metier {
    for m in Metier::ALL {
        for sex in [crate::world::Sex::F, crate::world::Sex::M] {
            if m.spelled(service, sex) == spelled {
                return m;
            }
        }
    }
    panic!("unknown job {spelled:?}");
}

fn theme_of(spelled: &str) -> Theme {
    Theme::ALL
        .into_iter()
        .find(|t| t.label() == spelled || t.mecs_spellings().contains(&spelled))
        .unwrap_or_else(|| panic!("unknown theme {spelled:?}"))
}

// ------------------------------------------------------------------- tests

#[test]
fn accompaniment_files_do_not_depend_on_the_added_parts() {
    let g = Generated::new("full");
    // The first files written by the generator alone, as before the staff,
    // training and satisfaction files existed.
    let dir = scratch("alone");
    let (world, mut rng) = crate::world::build(crate::SEED).expect("world");
    let mut out = crate::output::Output::new(&dir);
    crate::apmn::write(&world, &mut rng, &mut out).expect("apmn");
    crate::mecs::write(&world, &mut out).expect("mecs");
    crate::ditep::write(&world, &mut out).expect("ditep");
    crate::pf::write(&world, &mut out).expect("pf");
    crate::registry::write(&mut out).expect("registry");
    assert_eq!(out.written.len(), 6);
    for p in &out.written {
        let rel = p.strip_prefix(&dir).expect("prefix");
        let a = std::fs::read(p).expect("alone");
        let b = std::fs::read(g.path().join(rel)).expect("full");
        assert!(a == b, "{} changed", rel.display());
    }
    // verite.json: the earlier keys are what they were.
    let v = g.truth();
    let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
    assert!(keys.iter().any(|k| *k == crate::rh::KEY));
    let files = v["fichiers"].as_array().expect("fichiers");
    assert_eq!(files.len(), 10);
    for f in files {
        let name = f["fichier"].as_str().expect("name");
        assert!(
            !name.starts_with("modeles/") && !name.contains("Personnel"),
            "{name}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn apmn_staff_file_matches_the_truth() {
    let g = Generated::new("apmn");
    let v = g.truth();
    let sheets = read_xlsx(&g.path().join(crate::personnel::FILE_APMN));
    assert_eq!(sheets.len(), 1);
    let (name, rows) = &sheets[0];
    assert_eq!(name, "Personnel");
    assert!(cell(&rows[0], 0).starts_with("ANEF Cantal"));
    assert_eq!(rows[2], crate::personnel::HEADERS_APMN.map(String::from));
    let data = &rows[3..];
    let mut ids_by_year: BTreeMap<i32, BTreeSet<String>> = BTreeMap::new();
    for y in INDICATOR_YEARS {
        let mine: Vec<&Vec<String>> = data
            .iter()
            .filter(|r| num(cell(r, 2)) as i32 == y)
            .collect();
        let t = rh_year(&v, Service::Apmn, y);
        let etp: f64 = mine.iter().map(|r| num(cell(r, 4))).sum();
        assert!(
            approx((etp * 100.0).round() / 100.0, &t["etp_total"]),
            "{y}"
        );
        let ts: f64 = mine
            .iter()
            .filter(|r| metier_of(Service::Apmn, cell(r, 3)).social_worker())
            .map(|r| num(cell(r, 4)))
            .sum();
        assert!(
            approx((ts * 100.0).round() / 100.0, &t["etp_travailleurs_sociaux"]),
            "{y}"
        );
        let present = mine.iter().filter(|r| cell(r, 6).is_empty()).count();
        assert_eq!(t["effectif_31_12"], present, "{y}");
        let entries = mine
            .iter()
            .filter(|r| excel_day(cell(r, 5)).is_some_and(|d| d.year() == y))
            .count();
        assert_eq!(t["entrees"], entries);
        assert_eq!(t["sorties"], mine.len() - present);
        let sick: f64 = mine.iter().map(|r| num(cell(r, 8))).sum();
        assert_eq!(t["jours_absence_par_motif"]["maladie"], sick as i64);
        ids_by_year.insert(y, mine.iter().map(|r| cell(r, 0).to_string()).collect());
        // Matricules are text with leading zeros; contracts CDI/CDD.
        for r in &mine {
            assert_eq!(cell(r, 0).len(), 5);
            assert!(["CDI", "CDD"].contains(&cell(r, 7)));
        }
    }

    // Training: identifiers exist in the staff file the same year; ESOPPE
    // and systemic-analysis figures equal the truth.
    let sheets = read_xlsx(&g.path().join(crate::formation::FILE_APMN));
    let (name, rows) = &sheets[0];
    assert_eq!(name, "Formations");
    assert_eq!(rows[0], crate::formation::HEADERS_APMN.map(String::from));
    let mut formed: BTreeMap<(i32, Theme), BTreeSet<String>> = BTreeMap::new();
    let mut empty_realised = 0;
    for r in &rows[1..] {
        let y = excel_day(cell(r, 3)).expect("date").year();
        assert!(ids_by_year[&y].contains(cell(r, 0)), "{} {y}", cell(r, 0));
        let th = theme_of(cell(r, 1));
        assert_eq!(cell(r, 1), th.label(), "APMN spells themes canonically");
        assert!(["oui", "non"].contains(&cell(r, 6)));
        if cell(r, 5).is_empty() {
            empty_realised += 1;
        }
        if num(cell(r, 5)) > 0.0 {
            formed
                .entry((y, th))
                .or_default()
                .insert(cell(r, 0).to_string());
        }
    }
    assert!(empty_realised > 0);
    for y in INDICATOR_YEARS {
        let t = rh_year(&v, Service::Apmn, y);
        for th in Theme::ALL {
            let n = formed.get(&(y, th)).map_or(0, BTreeSet::len);
            assert_eq!(t["salaries_formes_par_theme"][th.label()], n, "{y} {th:?}");
        }
        assert!(formed.get(&(y, Theme::Esoppe)).map_or(0, BTreeSet::len) >= 2);
        let systemic = formed
            .get(&(y, Theme::AnalyseSystemique))
            .map_or(0, BTreeSet::len);
        assert_eq!(systemic > 0, y == 2023, "analyse systémique from 2023");
    }
}

#[test]
fn mecs_ditep_and_pf_staff_files_match_the_truth() {
    let g = Generated::new("others");
    let v = g.truth();
    let dir = g.path();
    // MECS: UTF-8 CSV, decimal comma.
    let rows = read_csv(&dir.join(crate::personnel::FILE_MECS), false);
    assert_eq!(rows[0].join(";"), crate::personnel::HEADER_MECS);
    let mut mecs_ids: BTreeMap<i32, BTreeSet<String>> = BTreeMap::new();
    for y in INDICATOR_YEARS {
        let mine: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[0] == y.to_string()).collect();
        let t = rh_year(&v, Service::Mecs, y);
        let etp: f64 = mine.iter().map(|r| num(&r[4])).sum();
        assert!(
            approx((etp * 100.0).round() / 100.0, &t["etp_total"]),
            "{y}"
        );
        assert!((17.5..=22.5).contains(&etp), "MECS ETP {etp}");
        assert_eq!(
            t["effectif_31_12"],
            mine.iter().filter(|r| r[6].is_empty()).count()
        );
        for r in &mine {
            assert!(["o", "n"].contains(&r[7].as_str()));
            assert!(r[4].contains(','));
        }
        mecs_ids.insert(y, mine.iter().map(|r| r[2].clone()).collect());
    }
    // MECS training: spellings map to the themes, identifiers exist.
    let rows = read_csv(&dir.join(crate::formation::FILE_MECS), false);
    assert_eq!(rows[0].join(";"), crate::formation::HEADER_MECS);
    let mut formed: BTreeMap<(i32, Theme), BTreeSet<String>> = BTreeMap::new();
    let mut spellings = BTreeSet::new();
    for r in &rows[1..] {
        let y: i32 = r[1].parse().expect("année");
        assert!(mecs_ids[&y].contains(&r[0]), "{} {y}", r[0]);
        let th = theme_of(&r[2]);
        spellings.insert(r[2].clone());
        if num(&r[7]) > 0.0 {
            formed.entry((y, th)).or_default().insert(r[0].clone());
        }
    }
    assert!(spellings.contains("Esoppe") || spellings.contains("analyse systemique"));
    for y in INDICATOR_YEARS {
        let t = rh_year(&v, Service::Mecs, y);
        for th in Theme::ALL {
            let n = formed.get(&(y, th)).map_or(0, BTreeSet::len);
            assert_eq!(t["salaries_formes_par_theme"][th.label()], n, "{y} {th:?}");
        }
    }
    // DITEP: one sheet per year, ETP as numbers.
    let sheets = read_xlsx(&dir.join(crate::personnel::FILE_DITEP));
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["2020", "2021", "2022", "2023"]);
    for (name, rows) in &sheets {
        let y: i32 = name.parse().expect("year");
        assert_eq!(rows[0], crate::personnel::HEADERS_DITEP.map(String::from));
        let t = rh_year(&v, Service::Ditep, y);
        let etp: f64 = rows[1..].iter().map(|r| num(cell(r, 2))).sum();
        assert!(
            approx((etp * 100.0).round() / 100.0, &t["etp_total"]),
            "{y}"
        );
        let ts: f64 = rows[1..]
            .iter()
            .filter(|r| metier_of(Service::Ditep, cell(r, 1)).social_worker())
            .map(|r| num(cell(r, 2)))
            .sum();
        assert!(approx(
            (ts * 100.0).round() / 100.0,
            &t["etp_travailleurs_sociaux"]
        ));
        assert!(t["salaries_formes"].is_null());
    }
    // PF: Windows-1252, ETP in percent.
    let rows = read_csv(&dir.join(crate::personnel::FILE_PF), true);
    assert_eq!(rows[0].join(";"), crate::personnel::HEADER_PF);
    for y in INDICATOR_YEARS {
        let t = rh_year(&v, Service::Pf, y);
        let pct: f64 = rows[1..]
            .iter()
            .filter(|r| r[0] == y.to_string())
            .map(|r| num(&r[3]))
            .sum();
        assert!(approx((pct).round() / 100.0, &t["etp_total"]), "{y}");
        assert!(t["satisfaction"].is_null());
    }
}

#[test]
fn satisfaction_and_action_plan_match_the_truth() {
    let g = Generated::new("satisfaction");
    let v = g.truth();
    let dir = g.path();
    let sheets = read_xlsx(&dir.join(crate::satisfaction::FILE_APMN));
    let (name, rows) = &sheets[0];
    assert_eq!(name, "Envois");
    assert_eq!(rows[0], crate::satisfaction::HEADERS_APMN.map(String::from));
    let mut counts: BTreeMap<(i32, String), (usize, usize, usize)> = BTreeMap::new();
    let mut returned_2023 = 0;
    for r in &rows[1..] {
        let y = excel_day(cell(r, 2)).expect("date").year();
        assert!(cell(r, 0).starts_with(&y.to_string()));
        let back = cell(r, 3) == "x";
        let e = counts.entry((y, cell(r, 1).to_string())).or_default();
        e.0 += 1;
        if back {
            e.1 += 1;
            let q5 = num(cell(r, 8));
            assert!((1.0..=4.0).contains(&q5));
            if q5 >= 3.0 {
                e.2 += 1;
            }
            if y == 2023 {
                returned_2023 += 1;
            }
        } else {
            assert!((4..9).all(|k| cell(r, k).is_empty()));
        }
    }
    for y in INDICATOR_YEARS {
        let t = &rh_year(&v, Service::Apmn, y)["satisfaction"];
        let sent: usize = Public::ALL
            .iter()
            .map(|p| counts.get(&(y, p.key().to_string())).map_or(0, |c| c.0))
            .sum();
        assert!((60..=80).contains(&sent), "{y}: {sent} sent");
        for p in Public::ALL {
            let (s, r, sat) = counts
                .get(&(y, p.key().to_string()))
                .copied()
                .unwrap_or_default();
            assert_eq!(t[p.key()]["envoyes"], s);
            assert_eq!(t[p.key()]["retournes"], r);
            assert_eq!(t[p.key()]["satisfaits"], sat);
        }
    }
    // Over the four years: families return about 30–45 %, partners about half.
    let rate = |p: Public| {
        let (s, r) = counts
            .iter()
            .filter(|((_, k), _)| k == p.key())
            .fold((0, 0), |(s, r), (_, c)| (s + c.0, r + c.1));
        r as f64 / s as f64
    };
    assert!((0.25..=0.45).contains(&rate(Public::Famille)));
    assert!((0.38..=0.62).contains(&rate(Public::Partenaire)));

    // The action plan: observed 2023 values equal the other files.
    let sheets = read_xlsx(&dir.join(crate::copil::FILE));
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Sous-actions", "Indicateurs"]);
    let (_, sub) = &sheets[0];
    assert_eq!(sub[0], crate::copil::HEADERS_SOUS_ACTIONS.map(String::from));
    let (_, ind) = &sheets[1];
    assert_eq!(ind[0], crate::copil::HEADERS_INDICATEURS.map(String::from));
    let observed = |label: &str| -> f64 {
        ind[1..]
            .iter()
            .find(|r| cell(r, 1) == label && cell(r, 3) == "2023")
            .map(|r| num(cell(r, 5)))
            .expect(label)
    };
    let t23 = rh_year(&v, Service::Apmn, 2023);
    assert!(approx(
        observed("Nombre de salariés formés à ESOPPE"),
        &t23["salaries_formes_par_theme"]["ESOPPE"]
    ));
    assert!(approx(
        observed("Nombre de salariés formés à l'analyse systémique"),
        &t23["salaries_formes_par_theme"]["Analyse systémique"]
    ));
    assert!(approx(
        observed("Nombre de journées de formation demandées"),
        &t23["jours_demandes"]
    ));
    assert!(approx(
        observed("Nombre de journées de formation dispensées"),
        &t23["jours_realises"]
    ));
    assert_eq!(
        observed("Nombre de questionnaires de satisfaction retournés au service") as usize,
        returned_2023
    );
    // Sub-actions per fiche and year equal the truth; 2025+ only planned.
    let fiches = &v["rh_formation_satisfaction"]["copil"]["fiches"];
    for f in 1..=3u32 {
        for y in crate::copil::YEARS {
            let mine: Vec<&Vec<String>> = sub[1..]
                .iter()
                .filter(|r| {
                    cell(r, 0) == format!("Fiche action {f}") && cell(r, 3) == y.to_string()
                })
                .collect();
            let t = &fiches[f.to_string()]["annees"][y.to_string()];
            assert_eq!(t["sous_actions_prevues"], mine.len());
            assert_eq!(
                t["sous_actions_realisees"],
                mine.iter().filter(|r| cell(r, 4) == "réalisé").count()
            );
            for r in &mine {
                assert!(crate::copil::STATUTS.contains(&cell(r, 4)));
                if y >= 2025 {
                    assert!(["prévu", "abandonné"].contains(&cell(r, 4)));
                }
            }
        }
    }
}

#[test]
fn ditep_survey_matches_the_truth() {
    let g = Generated::new("survey");
    let v = g.truth();
    let path = g.path().join(crate::satisfaction::FILE_DITEP);
    let content = zip_text(&path, "content.xml").expect("content");
    let rows: Vec<Vec<String>> = elements(&content, "table:table-row")
        .iter()
        .map(|(_, inner)| {
            elements(inner, "table:table-cell")
                .iter()
                .map(|(_, c)| {
                    elements(c, "text:p")
                        .first()
                        .map(|(_, t)| unescape(t))
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    assert_eq!(
        rows[1],
        crate::satisfaction::HEADERS_DITEP.map(String::from)
    );
    for y in INDICATOR_YEARS {
        for p in Public::ALL {
            let mine: Vec<&Vec<String>> = rows[2..]
                .iter()
                .filter(|r| r[0] == y.to_string() && r[1] == p.ditep())
                .collect();
            let t = &rh_year(&v, Service::Ditep, y)["satisfaction"][p.key()];
            assert_eq!(t["envoyes"], mine.len());
            assert_eq!(
                t["retournes"],
                mine.iter().filter(|r| r[3] == "oui").count()
            );
            let answered: Vec<f64> = mine
                .iter()
                .filter(|r| !r[4].is_empty())
                .map(|r| num(&r[4]))
                .collect();
            let mean = answered.iter().sum::<f64>() / answered.len() as f64;
            assert!(approx(
                (mean * 100.0).round() / 100.0,
                &t["moyenne_par_question"]["note_globale"]
            ));
        }
    }
}

#[test]
fn staff_world_is_plausible() {
    let g = Generated::new("plausible");
    let rh = crate::build_rh();
    let staff = &rh.staff;
    for e in &staff.employees {
        if let Some(x) = e.exit {
            assert!(x > e.entry);
            assert!(!((x.month(), x.day()) == (12, 31) || (x.month(), x.day()) == (1, 1)));
        }
        for w in e.absences.windows(2) {
            assert!(w[0].end < w[1].start, "overlapping absences");
        }
        for y in INDICATOR_YEARS {
            let abs: i64 = Motif::ALL.iter().map(|&m| e.absence_days(y, m)).sum();
            assert!(abs <= e.present_days(y));
            assert!(e.etp_centiemes(y) <= e.quotite_in(y));
        }
    }
    // APMN: 9 social workers under contract at the end of 2020–2022, then
    // an EJE and a coordinator in 2023; a psychologist at half time.
    for y in INDICATOR_YEARS {
        let end = date(y, 12, 31);
        let ts: Vec<_> = staff
            .employees
            .iter()
            .filter(|e| {
                e.service == Service::Apmn && e.metier.social_worker() && e.present_on(end) && e.cdi
            })
            .collect();
        assert!(
            (7..=10).contains(&ts.len()),
            "{y}: {} social workers",
            ts.len()
        );
        let coord = staff.employees.iter().any(|e| {
            e.service == Service::Apmn && e.metier == Metier::Coordinateur && e.present_on(end)
        });
        assert_eq!(coord, y == 2023);
    }
    let psy = staff
        .employees
        .iter()
        .find(|e| e.service == Service::Apmn && e.metier == Metier::Psychologue)
        .expect("psychologue");
    assert_eq!(psy.quotite_in(2020), 50);
    // Departures and recruitments: every year at the APMN, at least four
    // of each over the period elsewhere.
    for s in Service::ALL {
        let (mut ins, mut outs) = (0, 0);
        for y in INDICATOR_YEARS {
            let f = crate::rh::staff_figures(staff, s, y);
            if s == Service::Apmn {
                assert!(f.entrees >= 1 && f.sorties >= 1, "{} {y}", s.code());
            }
            ins += f.entrees;
            outs += f.sorties;
        }
        assert!(ins >= 4 && outs >= 4, "{}", s.code());
    }
    // No staff name in the truth file.
    let text = std::fs::read_to_string(g.path().join("verite.json")).expect("json");
    for e in &staff.employees {
        assert!(!text.contains(&e.nom_prenom()));
        assert!(!text.contains(&crate::personnel::ditep_name(e)));
    }
}

#[test]
fn templates_have_headers_help_lists_and_frozen_panes() {
    let g = Generated::new("templates");
    for t in crate::modeles::templates() {
        let path = g.path().join(t.file);
        let sheets = read_xlsx(&path);
        let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"Aide"), "{}", t.file);
        let wb = zip_text(&path, "xl/workbook.xml").expect("workbook");
        for (k, spec) in t.sheets.iter().enumerate() {
            assert_eq!(names[k], spec.name);
            let headers: Vec<String> = spec.columns.iter().map(|c| c.header.to_string()).collect();
            assert_eq!(sheets[k].1[0], headers, "{}", t.file);
            assert_eq!(sheets[k].1.len(), 1, "templates are empty");
            let xml = zip_text(&path, &format!("xl/worksheets/sheet{}.xml", k + 1)).expect("xml");
            assert!(xml.contains("state=\"frozen\""));
            let lists = spec
                .columns
                .iter()
                .filter(|c| matches!(c.kind, crate::modeles::Kind::List(_)))
                .count();
            assert_eq!(xml.matches("type=\"list\"").count(), lists, "{}", t.file);
            let long = spec.columns.iter().any(|c| match &c.kind {
                crate::modeles::Kind::List(v) => !crate::modeles::fits_inline(v),
                _ => false,
            });
            if long {
                assert!(names.contains(&"Listes"));
                assert!(wb.contains("state=\"hidden\""));
            }
            for c in &spec.columns {
                assert!(c.help.encode_utf16().count() <= 255);
            }
        }
        // The help sheet explains every column.
        let (_, aide) = sheets.iter().find(|(n, _)| n == "Aide").expect("aide");
        let n_cols: usize = t.sheets.iter().map(|s| s.columns.len()).sum();
        assert_eq!(aide.len(), 4 + n_cols);
    }
    // The function list is too long to be inline: it comes from `Listes`.
    let names: Vec<String> = Metier::ALL.iter().map(|m| m.label().to_string()).collect();
    assert!(!crate::modeles::fits_inline(&names));
}
