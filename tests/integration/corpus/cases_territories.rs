//! Corpus cases: territories of the public context tables (DREES, INSEE) read with the
//! territory table — code and name in one cell, Corsica written 20A/20B or given twice,
//! wide year columns beside code columns, collectivités d'outre-mer, the statistical-secret
//! mark, footnotes under a total, a second block below blank rows — and the services'
//! département.

use std::collections::BTreeMap;

use super::*;

/// DREES-like table: `Code département;Département;Total des enfants accueillis`.
fn ase_csv(rows: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut s = String::from("Code département;Département;Total des enfants accueillis\n");
    for (code, name, n) in rows {
        s.push_str(&format!("{code};{name};{n}\n"));
    }
    s.into_bytes()
}

/// INSEE-like wide table (two header rows): 1 000 per five-year band, so that the
/// under-21 population of each département is 4 200.
fn population_csv(codes: &[&str]) -> Vec<u8> {
    let mut s = String::from(
        "Départements;Départements;Ensemble;Ensemble;Ensemble;Ensemble;Ensemble\n\
         ;;0 à 4 ans;5 à 9 ans;10 à 14 ans;15 à 19 ans;20 à 24 ans\n",
    );
    for c in codes {
        s.push_str(&format!("{c};;1000;1000;1000;1000;1000\n"));
    }
    s.into_bytes()
}

/// Sources for `ase.csv` (DREES, 2021, `mesures`) and `population.csv` (INSEE, 2022).
fn context_pipeline(name: &str, ase_extra: &str) -> String {
    format!(
        "{}\
[[sources]]\nnom = \"ASE\"\nfichier = \"ase.csv\"\ntable = \"reference\"\n{ase_extra}\
[sources.colonnes]\ncode_territoire = \"Code département\"\nlibelle_territoire = \"Département\"\n\
[sources.reference]\nsource = \"DREES\"\nperiode = 2021\n\
[sources.reference.mesures]\nenfants_accueillis = \"Total des enfants accueillis\"\n\
{}",
        head(name),
        population_source()
    )
}

fn population_source() -> String {
    "[[sources]]\nnom = \"Population\"\nfichier = \"population.csv\"\nligne_entete = [1, 2]\n\
table = \"reference\"\n\
[sources.colonnes]\ncode_territoire = \"colonne A\"\nlibelle_territoire = \"colonne B\"\n\
[sources.reference]\nsource = \"INSEE\"\nperiode = 2022\n\
[sources.reference.colonnes_larges]\nvariable = \"population\"\n"
        .into()
}

/// The ASE rate of 2021 in `indicateurs.parquet`: code (`ensemble` for the national
/// row) → (numerator, denominator).
fn ase_rates(o: &Outcome) -> BTreeMap<String, (f64, f64)> {
    use polars::prelude::*;
    let f = std::fs::File::open(o.out.join("indicateurs.parquet")).expect("indicateurs");
    let df = ParquetReader::new(f).finish().expect("parquet");
    let text = |c: &str| -> Vec<Option<String>> {
        df.column(c)
            .expect(c)
            .cast(&DataType::String)
            .expect(c)
            .str()
            .expect(c)
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    };
    let num = |c: &str| -> Vec<Option<f64>> {
        df.column(c)
            .expect(c)
            .cast(&DataType::Float64)
            .expect(c)
            .f64()
            .expect(c)
            .iter()
            .collect()
    };
    let (ind, code, period, n, d) = (
        text("indicateur"),
        text("code_territoire"),
        num("periode"),
        num("numerateur"),
        num("denominateur"),
    );
    let mut out = BTreeMap::new();
    for i in 0..df.height() {
        if ind[i].as_deref() == Some("enfants_accueillis_ase_pour_1000_moins_21_ans")
            && period[i] == Some(2021.0)
        {
            out.insert(
                code[i].clone().unwrap_or_else(|| "ensemble".into()),
                (n[i].unwrap_or(f64::NAN), d[i].unwrap_or(f64::NAN)),
            );
        }
    }
    out
}

/// Problem codes of the validation report.
fn problem_codes(o: &Outcome) -> Vec<String> {
    o.problems
        .lines()
        .skip(1)
        .filter_map(|l| l.split(';').nth(5).map(str::to_string))
        .collect()
}

pub fn cases() -> Vec<Case> {
    vec![
        // Finding 11a: `01-Ain` (code and name in one cell) excluded the whole table with
        // « 0 erreur(s), 0 avertissement(s) ».
        Case::new(
            "territoires_code_et_nom_dans_une_cellule",
            context_pipeline("code et nom", ""),
            Cmd::Executer,
            exit::OK,
        )
        .file(
            "ase.csv",
            ase_csv(&[
                ("01-Ain", "", "42"),
                ("15 - Cantal", "", "21"),
                ("63 – Puy-de-Dôme", "", "84"),
            ]),
        )
        .file("population.csv", population_csv(&["01", "15", "63"]))
        .check(|o| {
            let r = ase_rates(o);
            assert_eq!(r.get("01"), Some(&(42.0, 4200.0)), "{r:?}");
            assert_eq!(r.get("15"), Some(&(21.0, 4200.0)), "{r:?}");
            assert_eq!(r.get("63"), Some(&(84.0, 4200.0)), "{r:?}");
            assert_eq!(r.get("ensemble"), Some(&(147.0, 12600.0)), "{r:?}");
            // The report names the départements from the territory table.
            let html = std::fs::read_to_string(o.out.join("rapport.html")).unwrap_or_default();
            assert!(html.contains("Cantal (15)"), "rapport sans « Cantal (15) »");
            assert!(html.contains("Puy-de-Dôme (63)"));
            assert!(!html.contains("Département 15"));
        }),
        // Finding 11b: Corsica written 20A/20B was dropped as « pas un code de
        // département » (information only).
        Case::new(
            "territoires_corse_20a_20b",
            context_pipeline("Corse 20A 20B", ""),
            Cmd::Executer,
            exit::OK,
        )
        .file(
            "ase.csv",
            ase_csv(&[("20A", "Corse-du-Sud", "30"), ("20B", "Haute-Corse", "40")]),
        )
        .file("population.csv", population_csv(&["2A", "2B"]))
        .check(|o| {
            let r = ase_rates(o);
            assert_eq!(r.get("2A"), Some(&(30.0, 4200.0)), "{r:?}");
            assert_eq!(r.get("2B"), Some(&(40.0, 4200.0)), "{r:?}");
            assert!(
                !problem_codes(o)
                    .iter()
                    .any(|c| c == "territoire_hors_niveau")
            );
        }),
        // Finding 11c: a series giving 20, 2A and 2B for the same year counted Corsica
        // twice in the national total.
        Case::new(
            "territoires_corse_comptee_une_seule_fois",
            context_pipeline("Corse une fois", ""),
            Cmd::Executer,
            exit::OK,
        )
        .file(
            "ase.csv",
            ase_csv(&[
                ("15", "Cantal", "100"),
                ("20", "Corse", "70"),
                ("2A", "Corse-du-Sud", "30"),
                ("2B", "Haute-Corse", "40"),
            ]),
        )
        .file("population.csv", population_csv(&["15", "2A", "2B"]))
        .mention("corse_en_double")
        .check(|o| {
            let r = ase_rates(o);
            assert!(!r.contains_key("20"), "{r:?}");
            assert_eq!(r.get("ensemble"), Some(&(170.0, 12600.0)), "{r:?}");
            assert!(o.problems.contains("ase.csv;;A3;"), "{}", o.problems);
        }),
        // Finding 11d: wide year columns were read as one value with a neighbouring code
        // column (the region code added to the count: 123 ‰ for one département).
        Case::new(
            "territoires_colonnes_larges_annees_et_codes",
            format!(
                "{}[[sources]]\nnom = \"ASE séries longues\"\nfichier = \"series.csv\"\n\
table = \"reference\"\n[sources.colonnes]\ncode_territoire = \"Code département\"\n\
libelle_territoire = \"Département\"\n[sources.reference]\nsource = \"DREES\"\nperiode = 2021\n\
[sources.reference.colonnes_larges]\nvariable = \"enfants_accueillis\"\n{}",
                head("séries longues"),
                population_source()
            ),
            Cmd::Executer,
            exit::OK,
        )
        .file(
            "series.csv",
            "Code région;Code département;Département;2019;2020;2021\n\
84;15;Cantal;300;310;320\n84;63;Puy-de-Dôme;500;510;520\n"
                .as_bytes()
                .to_vec(),
        )
        .file("population.csv", population_csv(&["15", "63"]))
        .mention("colonne_de_codes")
        .mention("colonnes_annees")
        .check(|o| {
            let r = ase_rates(o);
            assert_eq!(r.get("15"), Some(&(320.0, 4200.0)), "{r:?}");
            assert_eq!(r.get("63"), Some(&(520.0, 4200.0)), "{r:?}");
            assert_eq!(r.get("ensemble"), Some(&(840.0, 8400.0)), "{r:?}");
        }),
        // Finding 11e: 975 (Saint-Pierre-et-Miquelon, a collectivité d'outre-mer) was
        // accepted as a département.
        Case::new(
            "territoires_975_pas_un_departement",
            context_pipeline("975", ""),
            Cmd::Executer,
            exit::OK,
        )
        .file(
            "ase.csv",
            ase_csv(&[
                ("974", "La Réunion", "50"),
                ("975", "Saint-Pierre-et-Miquelon", "5"),
            ]),
        )
        .file("population.csv", population_csv(&["974", "975"]))
        .mention("territoire_hors_niveau")
        .mention("collectivité d'outre-mer")
        .check(|o| {
            let r = ase_rates(o);
            assert!(!r.contains_key("975"), "{r:?}");
            assert_eq!(r.get("ensemble"), Some(&(50.0, 4200.0)), "{r:?}");
            // Reported at its cell, in both tables, as a warning.
            assert!(o.problems.contains("ase.csv;;A3;"), "{}", o.problems);
            assert!(o.problems.contains("population.csv;;A4;"), "{}", o.problems);
        }),
        // Finding 11f: the statistical-secret mark `s` was an unreadable number.
        Case::new(
            "territoires_secret_statistique_s",
            context_pipeline("secret s", ""),
            Cmd::Executer,
            exit::OK,
        )
        .file(
            "ase.csv",
            ase_csv(&[("15", "Cantal", "s"), ("63", "Puy-de-Dôme", "60")]),
        )
        .file("population.csv", population_csv(&["15", "63"]))
        .mention("valeur_non_disponible")
        .mention("(S)")
        .check(|o| {
            assert!(!problem_codes(o).iter().any(|c| c == "nombre_invalide"));
            let r = ase_rates(o);
            assert!(!r.contains_key("15"), "{r:?}");
            assert_eq!(r.get("63"), Some(&(60.0, 4200.0)), "{r:?}");
        }),
        // Finding 11g: a footnote under a total was reported as « erreur … la ligne est
        // rejetée » while the row count said excluded.
        Case::new(
            "territoires_note_sous_un_total",
            format!(
                "{}[[sources]]\nnom = \"ASE\"\nfichier = \"ase.csv\"\ntable = \"reference\"\n\
[sources.colonnes]\ncode_territoire = \"Code département\"\n\
[sources.reference]\nsource = \"DREES\"\nperiode = 2021\n\
[sources.reference.mesures]\nenfants_accueillis = \"Total des enfants accueillis\"\n",
                head("note sous un total")
            ),
            Cmd::Executer,
            exit::OK,
        )
        .file(
            "ase.csv",
            "Code région;Code département;Total des enfants accueillis\n\
84;15;100\n84;63;200\nTOTAL;TOTAL;300\n(1) Estimation DREES pour les non-répondants;;\n\
;Source : DREES, enquête Aide sociale;\n"
                .as_bytes()
                .to_vec(),
        )
        // Both notes are recognised as notes (issue 12: notes under the data).
        .mention("ligne_note")
        .check(|o| {
            assert!(!o.problems.contains("rejetée"), "{}", o.problems);
            assert!(!o.rows.contains("rejetee"), "{}", o.rows);
            assert!(o.rows.contains("exclue;ligne_note;2"), "{}", o.rows);
            assert!(o.rows.contains("acceptee;;2"), "{}", o.rows);
        }),
        // Finding 11h: overseas départements in a second block below blank rows were
        // dropped, and the warning's only fix was editing the workbook.
        Case::new(
            "territoires_second_bloc_sans_option",
            context_pipeline("second bloc", "").replace("ase.csv", "ase.xlsx"),
            Cmd::Executer,
            exit::OK,
        )
        .file("ase.xlsx", second_block_xlsx())
        .file(
            "population.csv",
            population_csv(&["15", "63", "971", "974"]),
        )
        .mention("sous_le_tableau")
        .mention("lire_apres_lignes_vides = true"),
        Case::new(
            "territoires_second_bloc_avec_option",
            context_pipeline("second bloc", "lire_apres_lignes_vides = true\n")
                .replace("ase.csv", "ase.xlsx"),
            Cmd::Executer,
            exit::OK,
        )
        .file("ase.xlsx", second_block_xlsx())
        .file(
            "population.csv",
            population_csv(&["15", "63", "971", "974"]),
        )
        .mention("entete_repete")
        .check(|o| {
            let r = ase_rates(o);
            assert_eq!(r.get("971"), Some(&(7.0, 4200.0)), "{r:?}");
            assert_eq!(r.get("974"), Some(&(9.0, 4200.0)), "{r:?}");
            assert_eq!(r.get("ensemble"), Some(&(316.0, 16800.0)), "{r:?}");
            assert!(!o.problems.contains("sous_le_tableau"));
        }),
        // Two sheets giving the same territory, variable and period (a fixed `periode`
        // with one sheet per year): never added up.
        Case::new(
            "territoires_meme_periode_deux_feuilles",
            context_pipeline("deux feuilles", "feuilles = [\"*\"]\n")
                .replace("ase.csv", "ase.xlsx"),
            Cmd::Executer,
            exit::OK,
        )
        .file("ase.xlsx", two_sheets_xlsx())
        .file("population.csv", population_csv(&["15"]))
        .mention("territoire_en_double")
        .check(|o| {
            let r = ase_rates(o);
            assert_eq!(r.get("15"), Some(&(100.0, 4200.0)), "{r:?}");
            assert!(o.problems.contains("ase.xlsx;2021;A2;"), "{}", o.problems);
        }),
        // The services' département and an unknown territory: recognised in any form,
        // or reported with its cell (never kept as written); a reference row whose
        // territory is unknown is rejected with its cell.
        Case::new(
            "territoires_services_et_inconnus",
            format!(
                "{}[[sources]]\nfichier = \"services.csv\"\ntable = \"services\"\n",
                context_pipeline("services", "")
            ),
            Cmd::Executer,
            exit::REJECTED,
        )
        .file(
            "services.csv",
            "Code service;Nom du service;Type;Département;Année;Capacité\n\
S1;Maison A;MECS;Puy-de-Dôme;2021;20\nS2;Institut B;DITEP;15 - Cantal;2021;30\n\
S3;Foyer C;MECS;975;2021;10\n"
                .as_bytes()
                .to_vec(),
        )
        .file(
            "ase.csv",
            ase_csv(&[("15", "Cantal", "10"), ("Cantall", "", "12")]),
        )
        .file("population.csv", population_csv(&["15"]))
        .mention("territoire_inconnu")
        .check(|o| {
            // S3's département (975) is reported at its cell; S1 and S2 are not.
            assert!(o.problems.contains("services.csv;;D4;"), "{}", o.problems);
            assert!(!o.problems.contains("services.csv;;D2;"), "{}", o.problems);
            assert!(!o.problems.contains("services.csv;;D3;"), "{}", o.problems);
            // The unknown reference territory is rejected at its cell.
            assert!(o.problems.contains("ase.csv;;A3;"), "{}", o.problems);
            assert!(
                o.rows.contains("rejetee;territoire_inconnu;1"),
                "{}",
                o.rows
            );
            let r = ase_rates(o);
            assert_eq!(r.get("ensemble"), Some(&(10.0, 4200.0)), "{r:?}");
        }),
    ]
}

/// A workbook: metropolitan block, two blank rows, the header again, then the overseas
/// block (the layout of INSEE's 1990–1998 sheets).
fn second_block_xlsx() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let header = [
        "Code département",
        "Département",
        "Total des enfants accueillis",
    ];
    let rows: [(u32, &str, &str, f64); 4] = [
        (1, "15", "Cantal", 100.0),
        (2, "63", "Puy-de-Dôme", 200.0),
        (6, "971", "Guadeloupe", 7.0),
        (7, "974", "La Réunion", 9.0),
    ];
    let mut write = || -> Result<(), rust_xlsxwriter::XlsxError> {
        for r in [0u32, 5] {
            for (c, h) in header.iter().enumerate() {
                ws.write(r, c as u16, *h)?;
            }
        }
        for (r, code, name, n) in rows {
            ws.write(r, 0, code)?;
            ws.write(r, 1, name)?;
            ws.write(r, 2, n)?;
        }
        Ok(())
    };
    write().expect("classeur");
    wb.save_to_buffer().expect("classeur")
}

/// A workbook with sheets `2020` and `2021`, both giving the Cantal.
fn two_sheets_xlsx() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let mut write = |name: &str, n: f64| -> Result<(), rust_xlsxwriter::XlsxError> {
        let ws = wb.add_worksheet().set_name(name)?;
        ws.write(0, 0, "Code département")?;
        ws.write(0, 1, "Département")?;
        ws.write(0, 2, "Total des enfants accueillis")?;
        ws.write(1, 0, "15")?;
        ws.write(1, 1, "Cantal")?;
        ws.write(1, 2, n)?;
        Ok(())
    };
    write("2020", 100.0).expect("classeur");
    write("2021", 110.0).expect("classeur");
    wb.save_to_buffer().expect("classeur")
}
