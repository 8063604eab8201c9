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
    // All départements: the DREES France total (hors Mayotte).
    assert_eq!(num[find(None)], Some(199_530.0));
}
