//! Corpus cases: row-level trust in ingest — closed vocabularies (a name typed in a
//! coded column), absent mapped columns, CSV structure (unclosed quotes, shifted
//! columns, line numbers), duplicates, implausible values and dates, unknown services,
//! a sector without data, several-file sources with an unreadable file, exit codes.

use super::*;

/// A child's name planted where it does not belong: must appear nowhere.
const NAME: &str = "Zephyrine";
const NAME2: &str = "Quentaloup";

const ACC_HEADER: &str = "Nom;Prénom;Date de naissance;Sexe;Nom de la mère;Code service;Type de mesure;Cadre;Date de début;Date de fin\n";

/// One accompaniment line: person `i`, service, measure type, frame, start, end.
fn acc_line(i: usize, service: &str, measure: &str, frame: &str, start: &str, end: &str) -> String {
    format!(
        "Nom{i:04};Prenom{i:04};{:02}/0{}/2010;{};Mere{i:04};{service};{measure};{frame};{start};{end}\n",
        1 + i % 28,
        1 + i % 9,
        if i.is_multiple_of(2) { "F" } else { "M" }
    )
}

/// `n` clean accompaniment lines in S1 (MECS) and, for every third person, S2 (DITEP).
fn acc_rows(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&acc_line(
            i,
            "S1",
            "Placement ASE",
            "judiciaire",
            "01/02/2021",
            "",
        ));
        if i.is_multiple_of(3) {
            s.push_str(&acc_line(
                i,
                "S2",
                "Accompagnement DITEP",
                "médico-social",
                "01/03/2021",
                "",
            ));
        }
    }
    s
}

fn acc_pipeline(name: &str, extra: &str) -> String {
    format!(
        "{}{}[[sources]]\nfichier = \"mesures.csv\"\ntable = \"accompagnements\"\n{extra}\n",
        head(name),
        services_source()
    )
}

fn acc_case(name: &'static str, body: String, exit: u8) -> Case {
    Case::new(name, acc_pipeline(name, ""), Cmd::Executer, exit)
        .file("services.csv", services_csv())
        .file("mesures.csv", format!("{ACC_HEADER}{body}"))
}

/// Reads a Parquet table of the outputs.
fn parquet(o: &Outcome, rel: &str) -> polars::prelude::DataFrame {
    use polars::prelude::*;
    let f = std::fs::File::open(o.out.join(rel)).expect("parquet");
    ParquetReader::new(f).finish().expect("lecture parquet")
}

fn texts(df: &polars::prelude::DataFrame, c: &str) -> Vec<Option<String>> {
    crate::util::strings(df, c)
}

pub fn cases() -> Vec<Case> {
    let mut v = vec![
        Case::new(
            "services_seuls_ok",
            format!("{}{}", head("services"), services_source()),
            Cmd::Executer,
            exit::OK,
        )
        .file("services.csv", services_csv()),
    ];

    // 2. A name typed in coded columns: never a published label.
    let mut body = acc_rows(30);
    body.push_str(&acc_line(900, "S1", NAME, "judiciaire", "01/02/2021", ""));
    body.push_str(&acc_line(901, "S1", "AEMO", NAME2, "01/02/2021", ""));
    v.push(
        acc_case("nom_dans_type_de_mesure_et_cadre", body, exit::OK)
            .mention("valeur_hors_vocabulaire")
            .mention("G42")
            .mention("H43")
            .secret(NAME)
            .secret(NAME2),
    );
    let mut body = acc_rows(30);
    body.push_str(&format!(
        "Nom0950;Prenom0950;03/03/2010;{NAME};Mere0950;S1;AED;administratif;01/02/2021;\n"
    ));
    v.push(
        acc_case("nom_dans_sexe", body, exit::OK)
            .mention("valeur_hors_vocabulaire")
            .mention("D42")
            .secret(NAME),
    );
    let mut body = acc_rows(12);
    body.push_str(&acc_line(
        960,
        NAME,
        "AED",
        "administratif",
        "01/02/2021",
        "",
    ));
    v.push(
        acc_case("nom_dans_code_service", body, exit::REJECTED)
            .mention("service_inconnu")
            .mention("F18")
            .secret(NAME),
    );
    v.push(
        Case::new(
            "nom_dans_capacite",
            format!("{}{}", head("capacité"), services_source()),
            Cmd::Executer,
            exit::REJECTED,
        )
        .file(
            "services.csv",
            format!("Code service;Type;Année;Capacité\nS1;MECS;2021;20\nS1;MECS;2022;{NAME}\n"),
        )
        .mention("nombre_invalide")
        .mention("D3")
        .secret(NAME),
    );
    v.push(
        Case::new(
            "nom_dans_metier",
            format!(
                "{}{}[[sources]]\nfichier = \"personnel.csv\"\ntable = \"personnel\"\n",
                head("métier"),
                services_source()
            ),
            Cmd::Executer,
            exit::OK,
        )
        .file("services.csv", services_csv())
        .file(
            "personnel.csv",
            format!(
                "Matricule;Code service;Année;Métier;ETP\n1;S1;2021;Éducatrice spécialisée;1\n2;S1;2021;{NAME};0,8\n3;S1;2021;Psychologue;0,5\n"
            ),
        )
        .mention("valeur_hors_vocabulaire")
        .mention("D3")
        .secret(NAME),
    );
    v.push(
        Case::new(
            "nom_dans_theme_de_formation",
            format!(
                "{}{}[[sources]]\nfichier = \"formation.csv\"\ntable = \"formation\"\n",
                head("thème"),
                services_source()
            ),
            Cmd::Executer,
            exit::REJECTED,
        )
        .file("services.csv", services_csv())
        .file(
            "formation.csv",
            format!(
                "Matricule;Code service;Thème;Année;Jours réalisés\n1;S1;ESOPPE;2021;2\n2;S1;{NAME};2021;1\n"
            ),
        )
        .mention("valeur_hors_vocabulaire")
        .mention("C3")
        .secret(NAME),
    );
    v.push(
        Case::new(
            "nom_dans_type_de_repondant",
            format!(
                "{}{}[[sources]]\nfichier = \"satisfaction.csv\"\ntable = \"satisfaction\"\n",
                head("répondant"),
                services_source()
            ),
            Cmd::Executer,
            exit::REJECTED,
        )
        .file("services.csv", services_csv())
        .file(
            "satisfaction.csv",
            format!(
                "Code service;Destinataire;Année;Retourné\nS1;famille;2021;oui\nS1;{NAME};2021;oui\n"
            ),
        )
        .mention("valeur_hors_vocabulaire")
        .mention("B3")
        .secret(NAME),
    );

    // 6. A mapped column that does not exist.
    v.push(
        Case::new(
            "colonne_mappee_absente",
            format!(
                "{}{}[[sources]]\nfichier = \"satisfaction.csv\"\ntable = \"satisfaction\"\n[sources.colonnes]\nquestion_1 = \"Accueil sur 4\"\n",
                head("question absente"),
                services_source()
            ),
            Cmd::Executer,
            exit::INVALID,
        )
        .file("services.csv", services_csv())
        .file(
            "satisfaction.csv",
            "Code service;Destinataire;Année;Retourné;Accueil /4\nS1;famille;2021;oui;3\n",
        )
        .mention("question_1")
        .mention("Accueil sur 4")
        .mention("ligne 15")
        .mention("« Accueil /4 »"),
    );
    v.push(
        Case::new(
            "colonne_mappee_absente_par_lettre",
            acc_pipeline("lettre", "[sources.colonnes]\ndate_fin = \"colonne Z\"\n"),
            Cmd::Executer,
            exit::INVALID,
        )
        .file("services.csv", services_csv())
        .file("mesures.csv", format!("{ACC_HEADER}{}", acc_rows(3)))
        .mention("date_fin"),
    );

    // A header row set on a data row: the row is not quoted as "headers found".
    v.push(
        Case::new(
            "ligne_entete_sur_une_ligne_de_donnees",
            acc_pipeline(
                "entête",
                "ligne_entete = 2\n[sources.colonnes]\ndate_fin = \"Date de fin\"\n",
            ),
            Cmd::Executer,
            exit::INVALID,
        )
        .file("services.csv", services_csv())
        .file(
            "mesures.csv",
            format!(
                "{ACC_HEADER}{NAME};{NAME2};01/01/2010;F;X;S1;AED;administratif;01/02/2021;\n{}",
                acc_rows(3)
            ),
        )
        .mention("date_fin")
        .mention("ligne_entete")
        .secret(NAME)
        .secret(NAME2),
    );

    // 5. CSV structure.
    let mut body = String::new();
    for i in 0..90 {
        let line = acc_line(i, "S1", "AED", "administratif", "01/02/2021", "");
        if i == 4 {
            // An opening quote never closed: swallows every line below.
            body.push_str(&line.replacen("AED", "\"AED", 1));
        } else {
            body.push_str(&line);
        }
    }
    v.push(
        acc_case("csv_guillemet_non_ferme", body, exit::REJECTED)
            .mention("guillemet_non_ferme")
            .mention("ligne 6")
            .check(|o| {
                assert!(o.rows.contains("guillemet_non_ferme;86"), "{}", o.rows);
            }),
    );
    let header_plus_one = ACC_HEADER.replace("Sexe;", "Sexe;Commune;");
    v.push(
        Case::new(
            "csv_entete_une_colonne_de_plus",
            acc_pipeline("décalage", ""),
            Cmd::Executer,
            exit::REJECTED,
        )
        .file("services.csv", services_csv())
        .file("mesures.csv", format!("{header_plus_one}{}", acc_rows(20)))
        .mention("nombre_de_champs")
        .check(|o| {
            assert!(o.rows.contains("acceptee;;0"), "{}", o.rows);
        }),
    );
    let mut body = acc_rows(20);
    body.push_str(
        "Nom0999;Prenom0999;01/01/2010;F;Mere0999;S1;AED;administratif;01/02/2021;;en trop\n",
    );
    v.push(
        acc_case("csv_une_ligne_avec_un_champ_de_plus", body, exit::REJECTED)
            .mention("nombre_de_champs")
            .mention("ligne 29"),
    );
    // Blank lines are the file's own lines: an error on line 79 is at line 79.
    let mut body = String::new();
    for i in 0..70 {
        body.push_str(&acc_line(i, "S1", "AED", "administratif", "01/02/2021", ""));
        if i.is_multiple_of(10) {
            body.push('\n');
        }
    }
    body.push_str("Nom0990;Prenom0990;01/01/2010;F;Mere0990;S1;AED;administratif;31/13/2021;\n");
    v.push(
        acc_case("csv_lignes_vides_numerotees", body, exit::REJECTED)
            .mention("I79")
            .check(|o| {
                assert!(!o.problems.contains("I78"), "{}", o.problems);
            }),
    );
    v.push(
        Case::new(
            "csv_vide",
            acc_pipeline("vide", ""),
            Cmd::Executer,
            exit::INVALID,
        )
        .file("services.csv", services_csv())
        .file("mesures.csv", Vec::new())
        .mention("mesures.csv"),
    );
    v.push(
        Case::new(
            "csv_une_seule_ligne_geante",
            acc_pipeline("ligne", "").replace(
                "[[sources]]\nfichier = \"services.csv\"",
                "[limites]\nlongueur_ligne_ko = 64\n[[sources]]\nfichier = \"services.csv\"",
            ),
            Cmd::Executer,
            exit::INVALID,
        )
        .file("services.csv", services_csv())
        .file("mesures.csv", "x;".repeat(200_000))
        .mention("longueur_ligne_ko")
        .mention("ligne 1"),
    );
    v.push(
        Case::new(
            "csv_cellule_geante",
            acc_pipeline("cellule", "").replace(
                "[[sources]]\nfichier = \"services.csv\"",
                "[limites]\ncaracteres_par_cellule = 1000\n[[sources]]\nfichier = \"services.csv\"",
            ),
            Cmd::Executer,
            exit::INVALID,
        )
        .file("services.csv", services_csv())
        .file(
            "mesures.csv",
            format!(
                "{ACC_HEADER}{}",
                acc_rows(2).replace("Nom0001", &NAME.repeat(200))
            ),
        )
        .mention("caracteres_par_cellule")
        .secret(NAME),
    );

    // 5. Duplicates and one child on many rows.
    let mut body = acc_rows(15);
    let dup = acc_line(3, "S1", "Placement ASE", "judiciaire", "01/02/2021", "");
    for _ in 0..4 {
        body.push_str(&dup);
    }
    v.push(
        acc_case("lignes_en_double", body, exit::REJECTED)
            .mention("ligne_en_double")
            .check(|o| {
                assert!(o.rows.contains("ligne_en_double;4"), "{}", o.rows);
            }),
    );
    let mut body = acc_rows(12);
    for k in 0..2000 {
        body.push_str(&acc_line(
            7,
            "S1",
            "Placement ASE",
            "judiciaire",
            &format!("{:02}/{:02}/2021", 1 + k % 28, 1 + (k / 28) % 12),
            "",
        ));
    }
    v.push(
        acc_case("un_enfant_sur_2000_lignes", body, exit::REJECTED)
            .mention("mesures_simultanees")
            .mention("mesures_simultanees_max"),
    );

    // 5 / 7. Implausible values.
    for (name, capacity) in [
        ("capacite_zero", "0"),
        ("capacite_negative", "-20"),
        ("capacite_1e300", "1e300"),
    ] {
        v.push(
            Case::new(
                name,
                format!("{}{}", head(name), services_source()),
                Cmd::Executer,
                exit::REJECTED,
            )
            .file(
                "services.csv",
                format!(
                    "Code service;Type;Année;Capacité\nS1;MECS;2021;20\nS1;MECS;2022;{capacity}\n"
                ),
            )
            .mention("valeur_hors_limites")
            .mention("D3"),
        );
    }
    for (name, days) in [("activite_1e300", "1e300"), ("activite_negative", "-1e15")] {
        v.push(
            Case::new(
                name,
                format!(
                    "{}{}[[sources]]\nfichier = \"activite.csv\"\ntable = \"activite\"\nservice = \"S1\"\n",
                    head(name),
                    services_source()
                ),
                Cmd::Executer,
                exit::OK,
            )
            .file("services.csv", services_csv())
            .file(
                "activite.csv",
                format!(
                    "Année;Mois;Journées réalisées;Journées théoriques\n2021;1;600;620\n2021;2;{days};560\n2021;3;610;620\n"
                ),
            )
            .mention("valeur_hors_limites")
            .mention("C3"),
        );
    }
    let mut body = acc_rows(20);
    body.push_str("Nom0970;Prenom0970;05/05/2021;F;Mere0970;S1;AED;administratif;01/02/2021;\n");
    body.push_str("Nom0971;Prenom0971;05/05/2099;M;Mere0971;S1;AED;administratif;01/02/2021;\n");
    v.push(
        acc_case("naissance_apres_admission_ou_en_2099", body, exit::OK)
            .mention("naissance_apres_debut")
            .mention("date_invraisemblable")
            .mention("C30")
            .secret("avant la naissance"),
    );
    let mut body = acc_rows(20);
    body.push_str("Nom0972;Prenom0972;05/05/2012;F;Mere0972;S1;AED;administratif;01/02/2099;\n");
    body.push_str("Nom0973;Prenom0973;05/05/2012;F;Mere0973;S1;AED;administratif;01/02/1985;\n");
    v.push(
        acc_case("debut_en_2099_ou_1985", body, exit::REJECTED)
            .mention("date_invraisemblable")
            .mention("I29")
            .mention("I30"),
    );

    // 6. Unknown services, a sector without data.
    let mut body = acc_rows(20);
    body.push_str(&acc_line(
        980,
        "S9",
        "AED",
        "administratif",
        "01/02/2021",
        "",
    ));
    v.push(
        acc_case("service_absent_du_referentiel", body, exit::REJECTED)
            .mention("service_inconnu")
            .mention("F29"),
    );
    v.push(
        Case::new(
            "service_constant_inconnu",
            acc_pipeline("constant", "service = \"S7\"\n"),
            Cmd::Executer,
            exit::INVALID,
        )
        .file("services.csv", services_csv())
        .file(
            "mesures.csv",
            "Nom;Prénom;Date de naissance;Date de début\nA;B;01/01/2010;01/02/2021\n",
        )
        .mention("S7")
        .mention("table services"),
    );
    let mut body = String::new();
    for i in 0..30 {
        body.push_str(&acc_line(
            i,
            "S1",
            "Placement ASE",
            "judiciaire",
            "01/02/2021",
            "",
        ));
    }
    v.push(
        acc_case("secteur_ditep_sans_donnees", body, exit::OK).check(|o| {
            let df = parquet(o, "indicateurs.parquet");
            let ids = texts(&df, "indicateur");
            let values = crate::util::floats(&df, "valeur");
            let nums = crate::util::floats(&df, "numerateur");
            let mut seen = 0;
            for ((id, v), n) in ids.iter().zip(&values).zip(&nums) {
                if id.as_deref() == Some("part_pe_accompagnes_ditep") {
                    seen += 1;
                    assert_eq!((*v, *n), (None, None), "part DITEP sans DITEP : {v:?}");
                }
            }
            assert!(seen > 0);
            let html = std::fs::read_to_string(o.out.join("rapport.html")).unwrap_or_default();
            assert!(
                html.contains("non calculable"),
                "rapport sans « non calculable »"
            );
        }),
    );

    // 10. verifier with rejected rows: exit 5.
    let mut body = acc_rows(10);
    body.push_str(&acc_line(
        990,
        "S1",
        "AED",
        "administratif",
        "01/02/2021",
        "01/01/2021",
    ));
    v.push(
        Case::new(
            "verifier_avec_lignes_rejetees",
            acc_pipeline("vérifier", ""),
            Cmd::Verifier,
            exit::REJECTED,
        )
        .file("services.csv", services_csv())
        .file("mesures.csv", format!("{ACC_HEADER}{body}"))
        .mention("dates_incoherentes"),
    );
    v.push(
        Case::new(
            "partenaire_avec_lignes_rejetees",
            acc_pipeline("partenaire", ""),
            Cmd::Partenaire,
            exit::REJECTED,
        )
        .file("services.csv", services_csv())
        .file(
            "mesures.csv",
            format!(
                "{ACC_HEADER}{}{}",
                acc_rows(10),
                acc_line(991, "S1", "AED", "administratif", "31/02/2021", "")
            ),
        )
        .mention("date_invalide")
        .secret("Nom0991"),
    );

    // A several-file source with one unreadable file: the others are read.
    let mut c = Case::new(
        "glob_un_fichier_illisible",
        format!(
            "{}{}[[sources]]\nfichier = \"mesures/*.csv\"\ntable = \"accompagnements\"\n",
            head("glob"),
            services_source()
        ),
        Cmd::Executer,
        exit::REJECTED,
    )
    .file("services.csv", services_csv())
    .mention("source_illisible")
    .mention("mesures/m3.csv")
    .check(|o| {
        assert!(o.rows.contains("mesures/m5.csv"), "{}", o.rows);
        assert!(o.rows.contains("illisible"), "{}", o.rows);
    });
    for k in 0..6 {
        let body = if k == 3 {
            // Not a table: no header can be found.
            "\u{0}\u{1}\u{2}binaire\n".to_string()
        } else {
            format!("{ACC_HEADER}{}", acc_rows(4))
        };
        c = c.file(&format!("mesures/m{k}.csv"), body);
    }
    v.push(c);
    v
}
