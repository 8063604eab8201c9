//! The demo pipeline on sample-data/: every output is written, the sample services'
//! figures match values computed by hand from the generator's truth, no name or birth
//! date leaks into any output, the Parquet table reads the same in pyarrow, and the
//! committed sample files are exactly what the generator makes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use observatoire::format::percent_fr;
use observatoire::ingest;
use observatoire::pipeline::Pipeline;
use observatoire::publish::paths;
use observatoire::run;
use polars::prelude::*;

use crate::util::*;

/// Runs the demo once for all tests of this module.
pub fn demo_output() -> &'static PathBuf {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = temp_dir("demo").join("sortie");
        let p = Pipeline::load(&repo().join("pipelines/demo.toml")).unwrap();
        run::run(&p, &out).unwrap_or_else(|e| panic!("{e}"));
        out
    })
}

/// The demo as a service's internal dashboard would run it: threshold lowered to 1
/// person by the explicit settings, so every computed figure is published (golden
/// values of small figures are checked on it).
pub fn internal_output() -> &'static PathBuf {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = temp_dir("demo-interne").join("sortie");
        let path = repo().join("pipelines/demo.toml");
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("diffusion = \"publique\"", "diffusion = \"interne\"")
            + "\n[secret_statistique]\nseuil = 1\n";
        let p = Pipeline::parse(&path, text).unwrap_or_else(|e| panic!("{e}"));
        run::run(&p, &out).unwrap_or_else(|e| panic!("{e}"));
        out
    })
}

fn read_indicators(dir: &Path) -> DataFrame {
    let f = std::fs::File::open(dir.join(paths::INDICATORS)).unwrap();
    ParquetReader::new(f).finish().unwrap()
}

fn indicators() -> DataFrame {
    read_indicators(demo_output())
}

fn value(
    df: &DataFrame,
    id: &str,
    service: &str,
    year: i32,
) -> (Option<f64>, Option<f64>, Option<f64>) {
    let ind = strings(df, "indicateur");
    let svc = strings(df, "service");
    let per = ints(df, "periode");
    let (n, d, v) = (
        floats(df, "numerateur"),
        floats(df, "denominateur"),
        floats(df, "valeur"),
    );
    let i = (0..df.height())
        .find(|&i| {
            ind[i].as_deref() == Some(id)
                && svc[i].as_deref() == Some(service)
                && per[i] == Some(year)
        })
        .unwrap_or_else(|| panic!("{id} {service} {year}"));
    (n[i], d[i], v[i])
}

#[test]
fn demo_writes_every_output() {
    let out = demo_output();
    for f in [
        paths::INDICATORS,
        paths::CHART_SVG,
        paths::CHART_PNG,
        paths::REPORT,
        paths::PROBLEMS,
        paths::ROWS,
        paths::VALIDATION_HTML,
        paths::MANIFEST,
    ] {
        let meta = std::fs::metadata(out.join(f)).unwrap_or_else(|_| panic!("{f} manquant"));
        assert!(meta.len() > 0, "{f} vide");
    }
    let png = std::fs::read(out.join(paths::CHART_PNG)).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let svg = std::fs::read_to_string(out.join(paths::CHART_SVG)).unwrap();
    assert!(
        svg.contains("@font-face") && svg.contains("121,4"),
        "embedded font and French format"
    );
    // Every output made with the demonstration keys says so visibly.
    for f in [paths::REPORT, paths::CHART_SVG, paths::VALIDATION_HTML] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(text.contains("DÉMONSTRATION"), "{f}");
    }
    // The validation CSV files: header first (Excel import), the mark as a last column
    // `demonstration` = `oui` on every row.
    for (f, first) in [(paths::PROBLEMS, "fichier"), (paths::ROWS, "source")] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let mut rd = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(body.as_bytes());
        let header = rd.headers().unwrap().clone();
        assert_eq!(header.get(0), Some(first), "{f}");
        assert_eq!(header.iter().next_back(), Some("demonstration"), "{f}");
        let records: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        assert!(!records.is_empty(), "{f}");
        assert!(
            records.iter().all(|r| r.iter().next_back() == Some("oui")),
            "{f}"
        );
    }
    let html = std::fs::read_to_string(out.join(paths::REPORT)).unwrap();
    assert!(html.contains("DÉMONSTRATION"));
    assert!(
        html.contains("121,38\u{a0}%")
            && html.contains("120,05\u{a0}%")
            && html.contains("115,00\u{a0}%")
    );
    assert!(html.contains("Définition") && html.contains("ANAP"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(paths::MANIFEST)).unwrap()).unwrap();
    assert_eq!(manifest["demonstration"], true);
    // Seventeen distinct files (some workbooks feed two sources).
    assert_eq!(manifest["entrees"].as_array().unwrap().len(), 17);
    for e in manifest["entrees"].as_array().unwrap() {
        assert_eq!(e["sha256"].as_str().unwrap().len(), 64);
    }
    assert!(
        manifest["lignes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["lignes_lues"].as_u64().unwrap() > 0)
    );
    assert!(manifest["outil"]["version"].is_string());
}

#[test]
fn sample_services_golden_values() {
    let df = indicators();
    // APMN: authorised 65 measures (2020–2022), 73 (2023); measure-days from the data.
    // 2020: 27 358 / (65 × 366 = 23 790) = 115,00 %
    // 2021: 28 482 / (65 × 365 = 23 725) = 120,05 %
    // 2022: 28 797 / 23 725 = 121,38 %
    // 2023: 31 441 / (73 × 365 = 26 645) = 118,00 %
    let expected = [
        (2020, 27358.0, 23790.0, "115,00"),
        (2021, 28482.0, 23725.0, "120,05"),
        (2022, 28797.0, 23725.0, "121,38"),
        (2023, 31441.0, 26645.0, "118,00"),
    ];
    for (y, n, d, pct) in expected {
        let (num, den, v) = value(&df, "taux_activite", "APMN-15", y);
        assert_eq!((num, den), (Some(n), Some(d)), "{y}");
        assert_eq!(percent_fr(v.unwrap(), 2), format!("{pct}\u{a0}%"), "{y}");
    }
    // Occupancy = journées réalisées (sum of the monthly sheet) / (places × opening days).
    // MECS Les Tilleuls, 30 places, 365 days: 2021: 10 420 / 10 950 = 95,16 %.
    let (n, d, v) = value(&df, "taux_occupation", "MECS-63", 2021);
    assert_eq!((n, d), (Some(10420.0), Some(10950.0)));
    assert_eq!(percent_fr(v.unwrap(), 2), "95,16\u{a0}%");
    // 2020 is a leap year but the registry gives 366 opening days: 10 170 / 10 980.
    assert_eq!(
        value(&df, "taux_occupation", "MECS-63", 2020).1,
        Some(10980.0)
    );
    // DITEP Le Cèdre, 45 places, 196 opening days in 2020: 7 951 / 8 820 = 90,15 %.
    let (n, d, v) = value(&df, "taux_occupation", "DITEP-15", 2020);
    assert_eq!((n, d), (Some(7951.0), Some(8820.0)));
    assert_eq!(percent_fr(v.unwrap(), 2), "90,15\u{a0}%");
    // Placement familial, 40 places, CSV Windows-1252: 2022: 14 018 / 14 600 = 96,01 %.
    let (n, d, v) = value(&df, "taux_occupation", "PF-63", 2022);
    assert_eq!((n, d), (Some(14018.0), Some(14600.0)));
    assert_eq!(percent_fr(v.unwrap(), 2), "96,01\u{a0}%");
    // File active = distinct children accompanied ≥ 1 day in the year (truth of the
    // generator, sample-data/verite.json).
    let fa = |s: &str| -> Vec<f64> {
        (2020..=2023)
            .map(|y| value(&df, "file_active", s, y).2.unwrap())
            .collect()
    };
    assert_eq!(fa("APMN-15"), vec![142.0, 149.0, 154.0, 164.0]);
    assert_eq!(fa("MECS-63"), vec![45.0, 52.0, 41.0, 41.0]);
    assert_eq!(fa("DITEP-15"), vec![47.0, 53.0, 59.0, 51.0]);
    assert_eq!(fa("PF-63"), vec![49.0, 55.0, 50.0, 49.0]);
}

/// Every identity value of the sample data, read through ingest (names of children and
/// mothers, birth dates in the formats an output could use).
pub fn identities() -> (BTreeSet<String>, BTreeSet<String>) {
    let p = Pipeline::load(&repo().join("pipelines/demo.toml")).unwrap();
    let ing = ingest::ingest(&p).unwrap();
    let a = &ing.tables.accompaniments;
    let mut names = BTreeSet::new();
    for c in ["nom", "prenom", "nom_mere"] {
        for v in strings(a, c).into_iter().flatten() {
            names.insert(observatoire::ingest::values::fold(&v));
        }
    }
    // Staff names (the DITEP file identifies staff by name; numeric matricules are left
    // out: they would collide with counts).
    for v in strings(&ing.tables.staff, "salarie").into_iter().flatten() {
        for w in v
            .split_whitespace()
            .filter(|w| w.chars().count() >= 3 && w.chars().all(char::is_alphabetic))
        {
            names.insert(observatoire::ingest::values::fold(w));
        }
    }
    // A surname that is also the name of a département or région (« Hérault ») is not
    // a leak when a map names every département: territory names are public geography.
    for t in observatoire::territory::all() {
        names.remove(&observatoire::ingest::values::fold(t.name));
    }
    let mut dates = BTreeSet::new();
    for d in ints(a, "date_naissance").into_iter().flatten() {
        let (y, m, dd) = observatoire::indicators::activity::date_of(d);
        dates.insert(format!("{dd:02}/{m:02}/{y}"));
        dates.insert(format!("{y}-{m:02}-{dd:02}"));
    }
    assert!(
        names.len() > 100 && dates.len() > 300,
        "{} {}",
        names.len(),
        dates.len()
    );
    (names, dates)
}

pub fn text_of(path: &Path) -> Option<String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "parquet" => {
            let df = ParquetReader::new(std::fs::File::open(path).unwrap())
                .finish()
                .unwrap();
            let mut s = String::new();
            for c in df.columns() {
                // Binary columns are the Bloom encodings: bytes, no text to scan.
                if c.dtype() == &DataType::Binary {
                    continue;
                }
                let as_text = c.cast(&DataType::String).unwrap();
                for v in as_text.str().unwrap().iter().flatten() {
                    s.push_str(v);
                    s.push('\n');
                }
            }
            // (The raw bytes are compressed: random letters in them are not scanned.)
            Some(s)
        }
        "png" => None,
        // A workbook is zipped XML: its parts are scanned, not the compressed bytes.
        "xlsx" => {
            use std::io::Read;
            let mut zip = ::zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
            let mut s = String::new();
            for i in 0..zip.len() {
                zip.by_index(i).unwrap().read_to_string(&mut s).unwrap();
                s.push('\n');
            }
            Some(s)
        }
        _ => Some(String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()),
    }
}

pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p))
        } else {
            out.push(p)
        }
    }
    out
}

/// Whether `text` contains one of `names` (compared without case or accents: whole
/// names with their hyphens or spaces, single-word names as whole words) or `dates`.
pub fn leaks(
    text: &str,
    names: &BTreeSet<String>,
    dates: &BTreeSet<String>,
) -> Option<&'static str> {
    let folded = observatoire::ingest::values::fold(text);
    let tokens: BTreeSet<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| t.len() >= 3)
        .collect();
    for n in names {
        let hit = if n.contains([' ', '-', '\'']) {
            folded.contains(n.as_str())
        } else {
            tokens.contains(n.as_str())
        };
        if hit {
            return Some("un nom");
        }
    }
    dates
        .iter()
        .find(|d| text.contains(d.as_str()))
        .map(|_| "une date de naissance")
}

#[test]
fn no_name_or_birth_date_in_any_output() {
    let (names, dates) = identities();
    // The scan itself works: a planted name or date is found.
    let some_name = names.iter().find(|n| !n.contains(' ')).unwrap();
    assert!(
        leaks(
            &format!("<td>{}</td>", some_name.to_lowercase()),
            &names,
            &dates
        )
        .is_some()
    );
    assert!(
        leaks(
            &format!("né le {}", dates.iter().next().unwrap()),
            &names,
            &dates
        )
        .is_some()
    );
    let out = demo_output();
    let all = files(out);
    assert!(all.len() >= 8);
    for f in all {
        let Some(text) = text_of(&f) else { continue };
        if let Some(what) = leaks(&text, &names, &dates) {
            panic!("{} contient {what} des données d'exemple", f.display());
        }
    }
}

#[test]
fn parquet_reads_the_same_in_pyarrow() {
    let path = demo_output().join(paths::INDICATORS);
    let script = "import sys, json, pyarrow.parquet as pq\n\
                  t = pq.read_table(sys.argv[1])\n\
                  print(json.dumps({'schema': [f.name + ':' + str(f.type) for f in t.schema], 'rows': t.to_pylist()}))";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output();
    let ok = matches!(&out, Ok(o) if o.status.success());
    if !ok {
        let why = out
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .unwrap_or_else(|e| e.to_string());
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "pyarrow requis en CI : {why}"
        );
        eprintln!(
            "IGNORÉ : pyarrow indisponible ({})",
            why.lines().last().unwrap_or("")
        );
        return;
    }
    let json: serde_json::Value = serde_json::from_slice(&out.unwrap().stdout).unwrap();
    // Text columns are Arrow strings (pyarrow may show string, large_string or
    // string_view depending on its version).
    let schema: Vec<String> = json["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap()
                .replace("large_string", "string")
                .replace("string_view", "string")
        })
        .collect();
    assert_eq!(
        schema,
        vec![
            "indicateur:string",
            "periode:int32",
            "niveau_territoire:string",
            "code_territoire:string",
            "organisation:string",
            "service:string",
            "nom_service:string",
            "ventilation:string",
            "modalite:string",
            "numerateur:double",
            "denominateur:double",
            "valeur:double",
            "unite:string",
            "statut:string",
            "evolution_annuelle:double",
            "evolution_depuis_base:double",
            "pairs_nombre:double",
            "pairs_q1:double",
            "pairs_mediane:double",
            "pairs_q3:double",
            "libelle_indicateur:string",
            "perimetre:string",
            "nom_territoire:string",
            "unite_valeur:string",
            "facteur_affichage:double",
            "ordre_modalite:uint32"
        ]
    );
    let rows = json["rows"].as_array().unwrap();
    let df = indicators();
    assert_eq!(rows.len(), df.height());
    let ind = strings(&df, "indicateur");
    let svc = strings(&df, "service");
    let per = ints(&df, "periode");
    let val = floats(&df, "valeur");
    let num = floats(&df, "numerateur");
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["indicateur"].as_str(), ind[i].as_deref());
        assert_eq!(r["service"].as_str(), svc[i].as_deref());
        assert_eq!(r["periode"].as_i64(), per[i].map(i64::from));
        // JSON text round trip: equal to the last bit or two.
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * a.abs().max(1.0),
            (a, b) => a == b,
        };
        assert!(close(r["valeur"].as_f64(), val[i]), "{i}");
        assert!(close(r["numerateur"].as_f64(), num[i]), "{i}");
    }
}

#[test]
fn committed_sample_data_is_what_the_generator_makes() {
    let dir = temp_dir("regen");
    let written = observatoire_exemple::generate(&dir).unwrap();
    assert!(written.len() >= 7);
    for p in written {
        let rel = p.strip_prefix(&dir).unwrap();
        let committed = repo().join("sample-data").join(rel);
        let a = std::fs::read(&p).unwrap();
        let b = std::fs::read(&committed)
            .unwrap_or_else(|_| panic!("{} absent du dépôt", rel.display()));
        assert!(
            a == b,
            "{} diffère de ce que produit le générateur : relancez cargo run -p observatoire-exemple -- sample-data",
            rel.display()
        );
    }
}

#[test]
fn same_inputs_same_outputs() {
    let out2 = temp_dir("demo2").join("sortie");
    let p = Pipeline::load(&repo().join("pipelines/demo.toml")).unwrap();
    run::run(&p, &out2).unwrap();
    for f in [
        paths::INDICATORS,
        paths::CHART_SVG,
        paths::CHART_PNG,
        paths::REPORT,
        paths::WORKBOOK,
        paths::PROBLEMS,
    ] {
        assert_eq!(
            std::fs::read(demo_output().join(f)).unwrap(),
            std::fs::read(out2.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn staff_training_and_satisfaction_figures_of_the_sample() {
    // Small teams: read on the internal dashboard (threshold 1), where nothing is withheld.
    let df = read_indicators(internal_output());
    let ind = strings(&df, "indicateur");
    let svc = strings(&df, "service");
    let per = ints(&df, "periode");
    let modal = strings(&df, "modalite");
    let (num, val) = (floats(&df, "numerateur"), floats(&df, "valeur"));
    let find = |id: &str, s: &str, y: i32, m: Option<&str>| {
        (0..df.height())
            .find(|&i| {
                ind[i].as_deref() == Some(id)
                    && svc[i].as_deref() == Some(s)
                    && per[i] == Some(y)
                    && modal[i].as_deref() == m
            })
            .unwrap_or_else(|| panic!("{id} {s} {y} {m:?}"))
    };
    // The generator's truth (sample-data/verite.json, rh_formation_satisfaction), APMN:
    // 2021: 11,31 ETP of which 8,23 social workers, 12 staff at 31/12, 3 trained in ESOPPE;
    // families: 45 questionnaires sent, 14 returned. 2023: 16 staff, 6 trained in ESOPPE.
    assert!((val[find("etp_total", "APMN-15", 2021, None)].unwrap() - 11.31).abs() < 1e-9);
    assert!(
        (val[find("etp_travailleurs_sociaux", "APMN-15", 2021, None)].unwrap() - 8.23).abs() < 1e-9
    );
    assert_eq!(
        val[find("effectif_31_12", "APMN-15", 2021, None)],
        Some(12.0)
    );
    assert_eq!(
        val[find("effectif_31_12", "APMN-15", 2023, None)],
        Some(16.0)
    );
    assert_eq!(
        val[find("salaries_formes_par_theme", "APMN-15", 2021, Some("ESOPPE"))],
        Some(3.0)
    );
    assert_eq!(
        val[find("salaries_formes_par_theme", "APMN-15", 2023, Some("ESOPPE"))],
        Some(6.0)
    );
    assert_eq!(
        num[find("questionnaires_envoyes", "APMN-15", 2021, Some("famille"))],
        Some(45.0)
    );
    assert_eq!(
        num[find("questionnaires_retournes", "APMN-15", 2021, Some("famille"))],
        Some(14.0)
    );
    // ETP written as percentages in the placement familial file (facteurs) and the DITEP
    // staff file with one sheet per year (annee_depuis_feuille) are read.
    assert!(val[find("etp_total", "PF-63", 2022, None)].is_some_and(|v| v > 20.0 && v < 35.0));
    assert!(val[find("etp_total", "DITEP-15", 2020, None)].is_some_and(|v| v > 10.0));
    // Rates pooled on the APMN's internal territory (the arrondissement d'Aurillac).
    let code = strings(&df, "code_territoire");
    let level = strings(&df, "niveau_territoire");
    let t = (0..df.height())
        .find(|&i| {
            ind[i].as_deref() == Some("taux_activite")
                && level[i].as_deref() == Some("territoire_interne")
                && code[i].as_deref() == Some("15-Arrondissement d'Aurillac")
                && per[i] == Some(2022)
        })
        .expect("taux d'activité du territoire interne");
    assert_eq!(
        observatoire::format::percent_fr(val[t].unwrap(), 2),
        "121,38\u{a0}%"
    );
    // Fictitious context tables: Cantal 2020, 331 children accepted / population under 21
    // at 1 January 2021 = 5 372 + 5 956 + 6 323 + 6 095 + 4 916 / 5 = 24 729,2.
    let c = (0..df.height())
        .find(|&i| {
            ind[i].as_deref() == Some("enfants_accueillis_ase_pour_1000_moins_21_ans")
                && code[i].as_deref() == Some("15")
                && per[i] == Some(2020)
        })
        .expect("taux pour 1 000 du Cantal");
    assert_eq!(num[c], Some(331.0));
    assert!((floats(&df, "denominateur")[c].unwrap() - 24_729.2).abs() < 1e-6);
    // Every indicator of the catalogue is present.
    let present: BTreeSet<&str> = ind.iter().flatten().map(String::as_str).collect();
    for d in observatoire::indicators::catalogue() {
        assert!(
            present.contains(d.id),
            "{} absent de la démonstration",
            d.id
        );
    }
}

/// Indicators whose numerator / denominator count persons (from the registry).
fn person_sides() -> Vec<(&'static str, Option<f64>, Option<f64>)> {
    use observatoire::indicators::MeasureKind;
    observatoire::indicators::catalogue()
        .iter()
        .map(|d| {
            let side = |m: &observatoire::indicators::Measure| {
                (m.kind == MeasureKind::Persons).then_some(m.scale)
            };
            (
                d.id,
                side(&d.secret.numerateur),
                side(&d.secret.denominateur),
            )
        })
        .collect()
}

#[test]
fn demo_publishes_status_codes_and_no_count_under_the_threshold() {
    let df = indicators();
    let ind = strings(&df, "indicateur");
    let status = strings(&df, "statut");
    let (num, den, val) = (
        floats(&df, "numerateur"),
        floats(&df, "denominateur"),
        floats(&df, "valeur"),
    );
    let sides = person_sides();
    let mut counts = std::collections::BTreeMap::new();
    for i in 0..df.height() {
        let st = status[i].as_deref().expect("statut renseigné");
        *counts.entry(st.to_string()).or_insert(0) += 1;
        assert!(["V", "A", "D"].contains(&st), "{st}");
        if st != "V" {
            // Withheld, never shown as 0.
            assert_eq!(val[i], None, "{:?}", ind[i]);
        }
        let id = ind[i].as_deref().unwrap();
        let (_, sn, sd) = sides.iter().find(|s| s.0 == id).unwrap();
        for (scale, v) in [(sn, num[i]), (sd, den[i])] {
            if let (Some(scale), Some(v)) = (scale, v) {
                let persons = v / scale;
                assert!(
                    persons == 0.0 || persons >= 11.0,
                    "{id} publie un compte de {persons} personnes"
                );
            }
        }
    }
    // The demo has small figures (age bands, small teams, cross-sector by département):
    // both kinds of suppression occur, and most figures are published.
    assert!(
        counts["A"] > 0 && counts["D"] > 0 && counts["V"] > counts["D"],
        "{counts:?}"
    );
    // File actives are large enough to be published; some age bands are not.
    let file_active_hidden = (0..df.height())
        .filter(|&i| ind[i].as_deref() == Some("file_active") && status[i].as_deref() != Some("V"))
        .count();
    assert_eq!(file_active_hidden, 0);

    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(demo_output().join(paths::MANIFEST)).unwrap(),
    )
    .unwrap();
    let secret = &manifest["secret_statistique"];
    assert_eq!(secret["seuil"], 11);
    assert_eq!(secret["diffusion"], "publique");
    assert!(secret["audit"].as_str().unwrap().starts_with("réussi"));
    assert_eq!(
        secret["ensemble"]["secret_primaire"].as_u64().unwrap(),
        counts["A"] as u64
    );
    let age = &secret["par_indicateur"]["repartition_age"];
    assert!(age["secret_primaire"].as_u64().unwrap() > 0);
    assert!(age["ratio_secondaire_primaire"].as_f64().is_some());
    // The report marks withheld figures and explains the marks.
    let html = std::fs::read_to_string(demo_output().join(paths::REPORT)).unwrap();
    assert!(html.contains("<abbr class=\"secret\"") && html.contains("<sup>A</sup>"));
    assert!(html.contains("secret secondaire") && html.contains("moins de 11 personnes"));
    assert!(!html.contains("DIFFUSION INTERNE"));
}

#[test]
fn internal_dashboard_publishes_small_figures_under_a_banner() {
    let out = internal_output();
    let df = read_indicators(out);
    let status = strings(&df, "statut");
    assert!(status.iter().all(|s| s.as_deref() == Some("V")));
    for f in [paths::REPORT, paths::CHART_SVG] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(text.contains("DIFFUSION INTERNE"), "{f}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(paths::MANIFEST)).unwrap()).unwrap();
    assert_eq!(manifest["secret_statistique"]["diffusion"], "interne");
    assert_eq!(manifest["secret_statistique"]["seuil"], 1);
    // A lowered threshold without the explicit audience is refused, pointing at the line.
    let path = repo().join("pipelines/demo.toml");
    let text = std::fs::read_to_string(&path).unwrap() + "\n[secret_statistique]\nseuil = 5\n";
    let err = Pipeline::parse(&path, text).unwrap_err().to_string();
    assert!(
        err.contains("seuil de 5 personnes") && err.contains("diffusion = \"interne\""),
        "{err}"
    );
}
