//! The two real public workbooks of ../shared/fixtures/ (not in the repository), read
//! through the pipeline files written for them.

use std::collections::BTreeMap;

use observatoire::ingest;
use observatoire::pipeline::Pipeline;

use crate::util::*;

#[test]
fn drees_tab1_ase_gives_one_row_per_department_with_workbook_values() {
    if fixture("drees-beneficiaires-aide-sociale-departementale-2020.xlsx").is_none() {
        return;
    }
    let p = Pipeline::load(&repo().join("pipelines/drees-ase-2020.toml")).unwrap();
    let ing = ingest::ingest(&p).unwrap();
    let r = &ing.tables.reference;
    let codes = strings(r, "code_territoire");
    let vars = strings(r, "variable");
    let vals = floats(r, "valeur");
    let mut by_code: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for i in 0..r.height() {
        by_code
            .entry(codes[i].clone().unwrap())
            .or_default()
            .insert(vars[i].clone().unwrap(), vals[i].unwrap());
    }
    // 95 metropolitan rows (Corse as the single Collectivité de Corse "20" in 2020; the
    // Rhône as 69, its parts 69D and 69M set aside) + 4 DROM (Mayotte excluded).
    assert_eq!(
        by_code.len(),
        99,
        "{:?}",
        by_code.keys().collect::<Vec<_>>()
    );
    for v in by_code.values() {
        assert_eq!(v.len(), 3);
    }
    let ain = &by_code["01"];
    assert_eq!(ain["enfants_confies_ase"], 1514.0);
    assert_eq!(ain["placements_directs"], 105.0);
    assert_eq!(ain["enfants_accueillis"], 1619.0);
    // Rhône = 69D (1 240) + 69M (3 030); the parts are not rows of their own.
    assert_eq!(by_code["69"]["enfants_accueillis"], 1240.0 + 3030.0);
    assert!(!by_code.contains_key("69D") && !by_code.contains_key("69M"));
    assert_eq!(by_code["20"]["enfants_accueillis"], 531.0);
    assert_eq!(by_code["974"]["enfants_accueillis"], 2732.0);
    assert!(
        !by_code.contains_key("976"),
        "Mayotte n'est pas dans le fichier"
    );
    // No total row, no region row: the national total is not among the values and the
    // region block (Île-de-France 29065) was not read.
    assert!(!vals.contains(&Some(199530.0)) && !vals.contains(&Some(29065.0)));
    let total: f64 = by_code.values().map(|v| v["enfants_accueillis"]).sum();
    assert_eq!(
        total, 199530.0,
        "the départements add up to the published France total"
    );
    // Every row read is accounted for.
    let s = &ing.report.sources[0];
    assert!(s.balanced());
    assert_eq!(s.lignes_exclues["ligne_total"], 3);
    assert!(s.lignes_exclues["sous_le_tableau"] > 0);
}

#[test]
fn insee_strict_ooxml_yields_population_by_department_and_age_band() {
    if fixture("insee-estimations-population-departement-sexe-age-1975-2022.xlsx").is_none() {
        return;
    }
    let p = Pipeline::load(&repo().join("pipelines/insee-population.toml")).unwrap();
    let ing = ingest::ingest(&p).unwrap();
    let r = &ing.tables.reference;
    let code = strings(r, "code_territoire");
    let period = ints(r, "periode");
    let sex = strings(r, "dimension_1");
    let band = strings(r, "dimension_2");
    let val = floats(r, "valeur");
    let find = |c: &str, y: i32, s: &str, b: &str| -> Option<f64> {
        (0..r.height())
            .find(|&i| {
                code[i].as_deref() == Some(c)
                    && period[i] == Some(y)
                    && sex[i].as_deref() == Some(s)
                    && band[i].as_deref() == Some(b)
            })
            .and_then(|i| val[i])
    };
    // Values read off the workbook (sheet 2020, row 6 and row 103).
    assert_eq!(find("01", 2020, "Ensemble", "0 à 4 ans"), Some(38745.0));
    assert_eq!(find("01", 2020, "Ensemble", "5 à 9 ans"), Some(44448.0));
    assert_eq!(find("971", 2020, "Ensemble", "0 à 4 ans"), Some(18662.0));
    assert!(find("01", 2020, "Hommes", "0 à 4 ans").is_some());
    assert!(find("01", 2020, "Femmes", "95 ans et plus").is_some());
    // Hommes + Femmes = Ensemble, for every département and band of 2020.
    for c in ["01", "15", "63", "75", "974"] {
        let e = find(c, 2020, "Ensemble", "15 à 19 ans").unwrap();
        let h = find(c, 2020, "Hommes", "15 à 19 ans").unwrap();
        let f = find(c, 2020, "Femmes", "15 à 19 ans").unwrap();
        assert_eq!(e, h + f, "{c}");
    }
    // One row per département per year: 96 + 5 DROM (Mayotte included by INSEE).
    let mut depts: Vec<&str> = (0..r.height())
        .filter(|&i| period[i] == Some(2020))
        .filter_map(|i| code[i].as_deref())
        .collect();
    depts.sort_unstable();
    depts.dedup();
    assert_eq!(depts.len(), 101);
    // Five sheets (2018–2022), no total columns, no "France" rows.
    let mut years: Vec<i32> = period.iter().flatten().copied().collect();
    years.sort_unstable();
    years.dedup();
    assert_eq!(years, vec![2018, 2019, 2020, 2021, 2022]);
    assert!(band.iter().all(|b| b.as_deref() != Some("Total")));
    assert!(ing.report.sources.iter().all(|s| s.balanced()));
}

#[test]
fn region_table_agrees_with_the_drees_workbook() {
    let Some(path) = fixture("drees-beneficiaires-aide-sociale-departementale-2020.xlsx") else {
        return;
    };
    let mut wb = observatoire::ingest::workbook::Workbook::open(&path, "drees").unwrap();
    let g = wb.read_sheet("Tab1-ase").unwrap();
    let mut checked = 0;
    for r in 5..106 {
        let (Some(region), Some(dep)) = (g.get(r, 0).as_text(), g.get(r, 1).as_text()) else {
            continue;
        };
        if !observatoire::ingest::is_department_code(&dep) {
            continue;
        }
        // DREES codes the DROM regions 101–104; INSEE 01–04.
        let region = region
            .strip_prefix("10")
            .map(|d| format!("0{d}"))
            .unwrap_or(region);
        assert_eq!(
            observatoire::pseudonymise::generalise::region_of(&dep),
            Some(region.as_str()),
            "{dep}"
        );
        checked += 1;
    }
    assert_eq!(checked, 99);
}

#[test]
fn ase_rate_per_1000_under_21_from_drees_and_insee() {
    if fixture("drees-beneficiaires-aide-sociale-departementale-2020.xlsx").is_none()
        || fixture("insee-estimations-population-departement-sexe-age-1975-2022.xlsx").is_none()
    {
        return;
    }
    let p = Pipeline::load(&repo().join("pipelines/contexte-territorial.toml")).unwrap();
    let ing = ingest::ingest(&p).unwrap();
    // The workbook's Ain row (sheet 2021, Ensemble): 0-4 ans 38 656, 5-9 ans 43 720,
    // 10-14 ans 46 254, 15-19 ans 40 939, 20-24 ans 32 298 → under 21:
    // 38 656 + 43 720 + 46 254 + 40 939 + 32 298 / 5 = 176 028,6.
    let _ = ing;
    let out = temp_dir("context").join("sortie");
    observatoire::run::run(&p, &out).unwrap();
    let f = std::fs::File::open(out.join("indicateurs.parquet")).unwrap();
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(f).finish().unwrap();
    let (code, num, den, val) = (
        strings(&df, "code_territoire"),
        floats(&df, "numerateur"),
        floats(&df, "denominateur"),
        floats(&df, "valeur"),
    );
    let ind = strings(&df, "indicateur");
    let find = |c: Option<&str>| {
        (0..df.height())
            .find(|&i| {
                ind[i].as_deref() == Some("enfants_accueillis_ase_pour_1000_moins_21_ans")
                    && code[i].as_deref() == c
            })
            .unwrap_or_else(|| panic!("{c:?}"))
    };
    let ain = find(Some("01"));
    assert_eq!(num[ain], Some(1619.0));
    assert!((den[ain].unwrap() - 176_028.6).abs() < 1e-6);
    assert_eq!(
        observatoire::format::number_fr(val[ain].unwrap() * 1000.0, 2),
        "9,20"
    );
    // Corsica: DREES counts the Collectivité (20), INSEE 2A and 2B.
    assert_eq!(num[find(Some("20"))], Some(531.0));
    // All départements: the DREES France total (hors Mayotte), as the workbook's own
    // « TOTAL estimé France entière » row gives it; Corsica counted once (as 20).
    let path = fixture("drees-beneficiaires-aide-sociale-departementale-2020.xlsx").unwrap();
    let g = sheet(&path, "Tab1-ase");
    let france = number(&g, row_starting(&g, "TOTAL estimé France entière", 5), 5);
    assert_eq!(num[find(None)], Some(france));
    assert_eq!(france, 199_530.0);
    assert!((0..df.height()).all(|i| !matches!(code[i].as_deref(), Some("2A" | "2B"))));
    // The national denominator is the under-21 population of the départements counted
    // (Mayotte, absent from DREES, is not in it): 20 stands for 2A + 2B.
    let departments: f64 = (0..df.height())
        .filter(|&i| {
            ind[i].as_deref() == Some("enfants_accueillis_ase_pour_1000_moins_21_ans")
                && code[i].is_some()
        })
        .filter_map(|i| den[i])
        .sum();
    assert!((den[find(None)].unwrap() - departments).abs() < 1e-6);
}

/// The grid of one sheet of a fixture workbook.
fn sheet(path: &std::path::Path, name: &str) -> observatoire::ingest::grid::Grid {
    let mut wb = observatoire::ingest::workbook::Workbook::open(path, "fixture").unwrap();
    wb.read_sheet(name).unwrap()
}

/// The first row whose first cell starts with `label` (case and spaces ignored).
fn row_starting(g: &observatoire::ingest::grid::Grid, label: &str, from: usize) -> usize {
    (from..g.height())
        .find(|&r| {
            g.get(r, 0)
                .as_text()
                .is_some_and(|t| t.trim().to_lowercase().starts_with(&label.to_lowercase()))
        })
        .unwrap_or_else(|| panic!("ligne « {label} » introuvable"))
}

fn number(g: &observatoire::ingest::grid::Grid, r: usize, c: usize) -> f64 {
    match g.get(r, c) {
        observatoire::ingest::grid::Cell::Number(n) => *n,
        other => panic!("{r},{c}: {other:?}"),
    }
}

/// Overseas départements (971–976) by the territory table's régions 01–06.
fn overseas(code: &str) -> bool {
    observatoire::territory::region_of(code).is_some_and(|r| r.starts_with('0'))
}

#[test]
fn drees_national_totals_match_the_workbook_total_rows() {
    let Some(path) = fixture("drees-beneficiaires-aide-sociale-departementale-2020.xlsx") else {
        return;
    };
    let p = Pipeline::load(&repo().join("pipelines/drees-ase-2020.toml")).unwrap();
    let ing = ingest::ingest(&p).unwrap();
    let r = &ing.tables.reference;
    let (codes, vars, vals) = (
        strings(r, "code_territoire"),
        strings(r, "variable"),
        floats(r, "valeur"),
    );
    // Every code is a département of the territory table; Corsica once, as 20.
    for c in codes.iter().flatten() {
        assert!(observatoire::territory::department(c).is_some(), "{c}");
    }
    assert!(codes.iter().flatten().all(|c| c != "2A" && c != "2B"));
    let g = sheet(&path, "Tab1-ase");
    let metro = row_starting(&g, "TOTAL estimé France métropolitaine", 5);
    let drom = row_starting(&g, "TOTAL estimé DROM", 5);
    let france = row_starting(&g, "TOTAL estimé France entière", 5);
    for (col, var) in [
        (3, "enfants_confies_ase"),
        (4, "placements_directs"),
        (5, "enfants_accueillis"),
    ] {
        let sum = |keep: &dyn Fn(&str) -> bool| -> f64 {
            (0..r.height())
                .filter(|&i| vars[i].as_deref() == Some(var))
                .filter(|&i| codes[i].as_deref().is_some_and(keep))
                .filter_map(|i| vals[i])
                .sum()
        };
        assert_eq!(sum(&|c| !overseas(c)), number(&g, metro, col), "{var}");
        assert_eq!(sum(&|c| overseas(c)), number(&g, drom, col), "{var}");
        assert_eq!(sum(&|_| true), number(&g, france, col), "{var}");
    }
    // Nothing rejected; the parts of the Rhône and the total rows are excluded, with a
    // reason; the region block below the blank rows is counted, not read.
    let s = &ing.report.sources[0];
    assert!(s.balanced());
    assert_eq!(s.rejected(), 0, "{:?}", s.lignes_rejetees);
    assert_eq!(s.lignes_exclues["partie_de_departement"], 2);
}

#[test]
fn insee_totals_match_the_workbook_total_rows_for_every_band_and_sex() {
    let Some(path) = fixture("insee-estimations-population-departement-sexe-age-1975-2022.xlsx")
    else {
        return;
    };
    let p = Pipeline::load(&repo().join("pipelines/insee-population.toml")).unwrap();
    let ing = ingest::ingest(&p).unwrap();
    let r = &ing.tables.reference;
    let (code, period, sex, band, val) = (
        strings(r, "code_territoire"),
        ints(r, "periode"),
        strings(r, "dimension_1"),
        strings(r, "dimension_2"),
        floats(r, "valeur"),
    );
    let mut sums: BTreeMap<(i32, String, String, bool), f64> = BTreeMap::new();
    for i in 0..r.height() {
        let c = code[i].clone().unwrap();
        *sums
            .entry((
                period[i].unwrap(),
                sex[i].clone().unwrap(),
                band[i].clone().unwrap(),
                overseas(&c),
            ))
            .or_default() += val[i].unwrap();
    }
    for year in 2018..=2022 {
        let g = sheet(&path, &year.to_string());
        let metro = row_starting(&g, "France métropolitaine", 5);
        let dom = row_starting(&g, "DOM", 5);
        let all = row_starting(&g, "France métropolitaine et DOM", 5);
        let mut checked = 0;
        // The sex heads a merged range: it covers the columns to its right.
        let mut s = String::new();
        for c in 2..g.width() {
            if let Some(t) = g.get(3, c).as_text().filter(|t| !t.trim().is_empty()) {
                s = t;
            }
            let Some(b) = g.get(4, c).as_text() else {
                continue;
            };
            if b.trim() == "Total" {
                continue;
            }
            let key = |o: bool| (year, s.trim().to_string(), b.trim().to_string(), o);
            let m = sums[&key(false)];
            let d = sums[&key(true)];
            assert_eq!(m, number(&g, metro, c), "{year} {s} {b}");
            assert_eq!(d, number(&g, dom, c), "{year} {s} {b}");
            assert_eq!(m + d, number(&g, all, c), "{year} {s} {b}");
            checked += 1;
        }
        assert_eq!(checked, 3 * 20, "{year}");
    }
    for s in &ing.report.sources {
        assert!(s.balanced());
        assert_eq!(s.rejected(), 0, "{:?}", s.lignes_rejetees);
    }
}

/// INSEE 1990–1998: the overseas départements are a second block below blank rows,
/// with its own header. Without `lire_apres_lignes_vides` they are counted as not read
/// and the warning says which option reads them; with it, they are read and the
/// workbook's own « France métropolitaine et DOM » row is matched.
#[test]
fn insee_1990s_overseas_block_below_blank_rows_is_read_with_the_option() {
    let Some(path) = fixture("insee-estimations-population-departement-sexe-age-1975-2022.xlsx")
    else {
        return;
    };
    let dir = temp_dir("insee-1990s");
    let text = |option: bool| {
        format!(
            "[pipeline]\nnom = \"INSEE 1990-1998\"\n[periode]\ndebut = 1990\nfin = 1998\n\
             [[sources]]\nfichier = \"{}\"\nfeuilles = [\"199[0-8]\"]\nligne_entete = [4, 5]\n\
             table = \"reference\"\nlire_apres_lignes_vides = {option}\n\
             [sources.colonnes]\ncode_territoire = \"colonne A\"\nlibelle_territoire = \"colonne B\"\n\
             [sources.reference]\nsource = \"INSEE\"\nperiode = \"feuille\"\n\
             [sources.reference.colonnes_larges]\nvariable = \"population\"\nexclure = [\"Total\"]\n",
            path.display()
        )
    };
    let ensemble_0_4 = |ing: &ingest::Ingested, year: i32| -> (usize, f64) {
        let r = &ing.tables.reference;
        let (code, period, sex, band, val) = (
            strings(r, "code_territoire"),
            ints(r, "periode"),
            strings(r, "dimension_1"),
            strings(r, "dimension_2"),
            floats(r, "valeur"),
        );
        let rows: Vec<usize> = (0..r.height())
            .filter(|&i| period[i] == Some(year))
            .filter(|&i| sex[i].as_deref() == Some("Ensemble"))
            .filter(|&i| band[i].as_deref() == Some("0 à 4 ans"))
            .collect();
        let overseas_rows = rows
            .iter()
            .filter(|&&i| code[i].as_deref().is_some_and(overseas))
            .count();
        (overseas_rows, rows.iter().filter_map(|&i| val[i]).sum())
    };
    // Without the option: the overseas block is not read, and the warning says how.
    let p = pipeline(&dir, &text(false));
    let ing = ingest::ingest(&p).unwrap();
    assert_eq!(ensemble_0_4(&ing, 1990).0, 0);
    let warning = ing
        .report
        .problemes
        .iter()
        .find(|i| i.code == "sous_le_tableau")
        .unwrap();
    assert!(warning.message.contains("lire_apres_lignes_vides = true"));
    // With it: four overseas départements per year (no Mayotte before 1999 in this
    // file), the repeated header and the notes set aside, nothing rejected.
    let p = pipeline(&dir, &text(true));
    let ing = ingest::ingest(&p).unwrap();
    for year in 1990..=1998 {
        let g = sheet(&path, &year.to_string());
        let all = row_starting(&g, "France métropolitaine et DOM", 5);
        let (n, sum) = ensemble_0_4(&ing, year);
        assert_eq!(n, 4, "{year}");
        assert_eq!(sum, number(&g, all, 2), "{year}");
    }
    for s in &ing.report.sources {
        assert!(s.balanced());
        assert_eq!(
            s.rejected(),
            0,
            "{} {:?}",
            s.feuille.clone().unwrap_or_default(),
            s.lignes_rejetees
        );
        assert_eq!(s.lignes_exclues.get("entete_repete"), Some(&2));
        assert!(!s.lignes_exclues.contains_key("sous_le_tableau"));
    }
    // The footnote « (*) Population au recensement de 1990 » is a note, not an error.
    assert!(
        !ing.report
            .problemes
            .iter()
            .any(|i| i.gravite == observatoire::validation::Severity::Error),
    );
}
