//! Messy and broken inputs: a corrupt xlsx, a password-protected xlsx, a Windows-1252
//! CSV with decimal commas, a 1904-system workbook, a header over two rows with merged
//! cells, formula error cells, a missing sheet or column, a bad pipeline file.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use observatoire::error::{Error, SourceErrorKind};
use observatoire::ingest;
use observatoire::validation::Severity;
use rust_xlsxwriter::{Format, Formula, Workbook};

use crate::util::*;

const HEAD: &str = "[pipeline]\nnom = \"essai\"\n[periode]\ndebut = 2021\nfin = 2022\n";

fn source(file: &str, table: &str, extra: &str) -> String {
    format!(
        "{HEAD}[[sources]]\nfichier = \"{file}\"\ntable = \"{table}\"\nservice = \"S1\"\n{extra}\n"
    )
}

fn source_error(dir: &Path, text: &str) -> SourceErrorKind {
    let p = pipeline(dir, text);
    match ingest::ingest(&p) {
        Err(Error::Source(e)) => {
            let msg = e.to_string();
            assert!(msg.contains("fichier"), "{msg}");
            e.kind
        }
        other => panic!("erreur de source attendue, obtenu {:?}", other.map(|_| ())),
    }
}

#[test]
fn corrupt_workbook_is_a_located_french_error() {
    let dir = temp_dir("corrupt");
    std::fs::write(
        dir.join("abime.xlsx"),
        b"PK\x03\x04 ceci n'est pas un classeur",
    )
    .unwrap();
    let kind = source_error(&dir, &source("abime.xlsx", "accompagnements", ""));
    assert!(matches!(kind, SourceErrorKind::Corrupt(_)), "{kind:?}");
}

#[test]
fn password_protected_workbook_is_recognised() {
    let dir = temp_dir("password");
    // What Excel writes for an encrypted .xlsx: an OLE compound file holding the
    // streams EncryptionInfo and EncryptedPackage.
    let path = dir.join("protege.xlsx");
    let mut comp = cfb::create(&path).unwrap();
    comp.create_stream("EncryptionInfo")
        .unwrap()
        .write_all(&[4, 0, 4, 0, 0x40, 0, 0, 0])
        .unwrap();
    comp.create_stream("EncryptedPackage")
        .unwrap()
        .write_all(&[0u8; 4096])
        .unwrap();
    comp.flush().unwrap();
    drop(comp);
    let kind = source_error(&dir, &source("protege.xlsx", "accompagnements", ""));
    assert_eq!(kind, SourceErrorKind::PasswordProtected);
    let msg = observatoire::error::SourceError {
        file: "protege.xlsx".into(),
        sheet: None,
        kind,
    }
    .to_string();
    assert!(msg.contains("mot de passe"), "{msg}");
}

#[test]
fn missing_file_sheet_and_column_say_what_to_do() {
    let dir = temp_dir("missing");
    assert_eq!(
        source_error(&dir, &source("absent.xlsx", "accompagnements", "")),
        SourceErrorKind::NotFound
    );
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Données").unwrap();
    ws.write(0, 0, "Nom").unwrap();
    ws.write(0, 1, "Sortie").unwrap();
    ws.write(1, 0, "X").unwrap();
    wb.save(dir.join("c.xlsx")).unwrap();
    match source_error(
        &dir,
        &source("c.xlsx", "accompagnements", "feuille = \"Autre\""),
    ) {
        SourceErrorKind::SheetNotFound {
            wanted,
            visible,
            hidden,
        } => {
            // Counted, never listed (a sheet name may be a child's name).
            assert_eq!(wanted, "Autre");
            assert_eq!((visible, hidden), (1, 0));
        }
        k => panic!("{k:?}"),
    }
    match source_error(
        &dir,
        &source("c.xlsx", "accompagnements", "ligne_entete = 1"),
    ) {
        SourceErrorKind::MissingColumn { field, .. } => assert_eq!(field, "date_debut"),
        k => panic!("{k:?}"),
    }
}

#[test]
fn windows_1252_csv_with_decimal_commas() {
    let dir = temp_dir("cp1252");
    let text = "Ann\u{e9}e;Mois;Journ\u{e9}es r\u{e9}alis\u{e9}es;Journ\u{e9}es th\u{e9}oriques\r\n\
                2021;janvier;1 180,5;1240,0\r\n2021;f\u{e9}vrier;ND;1120,0\r\n2021;mars;beaucoup;1240,0\r\n";
    let (bytes, _, bad) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!bad);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the file must really be Windows-1252"
    );
    std::fs::write(dir.join("activite.csv"), &bytes).unwrap();
    let p = pipeline(&dir, &source("activite.csv", "activite", ""));
    let ing = ingest::ingest(&p).unwrap();
    let a = &ing.tables.activity;
    assert_eq!(
        floats(a, "journees_realisees"),
        vec![Some(1180.5), None, None]
    );
    assert_eq!(
        floats(a, "journees_financees"),
        vec![Some(1240.0), Some(1120.0), Some(1240.0)]
    );
    assert_eq!(ints(a, "mois"), vec![Some(1), Some(2), Some(3)]);
    let issues = &ing.report.problemes;
    let nd = issues
        .iter()
        .find(|i| i.code == "valeur_non_disponible")
        .unwrap();
    assert_eq!(nd.cellule.as_deref(), Some("C3"));
    let bad = issues.iter().find(|i| i.code == "nombre_invalide").unwrap();
    assert_eq!(
        (bad.cellule.as_deref(), bad.gravite),
        (Some("C4"), Severity::Warning)
    );
    assert_eq!(bad.colonne.as_deref(), Some("Journées réalisées"));
}

/// Rewrites `xl/workbook.xml` of an xlsx so that it uses the 1904 date system.
fn make_1904(path: &Path) {
    rewrite_zip_part(path, "xl/workbook.xml", |s| {
        if s.contains("<workbookPr") {
            s.replacen("<workbookPr", "<workbookPr date1904=\"1\"", 1)
        } else {
            s.replacen("<bookViews>", "<workbookPr date1904=\"1\"/><bookViews>", 1)
        }
    });
}

#[test]
fn workbook_in_the_1904_date_system() {
    let dir = temp_dir("d1904");
    let path = dir.join("mac.xlsx");
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let ws = wb.add_worksheet();
    ws.write(0, 0, "Nom").unwrap();
    ws.write(0, 1, "Date d'entrée").unwrap();
    ws.write(0, 2, "Date de sortie").unwrap();
    ws.write(1, 0, "A").unwrap();
    // 1904 serials: 42368 = 31/12/2019, 43464 = 31/12/2022 (1900 serial − 1462).
    ws.write_with_format(1, 1, 42368.0, &date).unwrap();
    ws.write(1, 2, 43464.0).unwrap(); // a plain number in a date column
    wb.save(&path).unwrap();
    make_1904(&path);
    let p = pipeline(&dir, &source("mac.xlsx", "accompagnements", ""));
    let ing = ingest::ingest(&p).unwrap();
    let a = &ing.tables.accompaniments;
    let d = |y, m, dd| {
        (chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap()
            - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
        .num_days() as i32
    };
    assert_eq!(ints(a, "date_debut"), vec![Some(d(2019, 12, 31))]);
    assert_eq!(ints(a, "date_fin"), vec![Some(d(2022, 12, 31))]);
}

#[test]
fn two_row_header_with_merged_cells_and_error_cells() {
    let dir = temp_dir("tworows");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Accueils").unwrap();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    ws.write(0, 0, "Suivi des accueils 2021").unwrap();
    ws.merge_range(2, 0, 2, 1, "Identité", &Format::new())
        .unwrap();
    ws.merge_range(2, 2, 2, 3, "Accueil", &Format::new())
        .unwrap();
    ws.merge_range(2, 4, 3, 4, "Statut1", &Format::new())
        .unwrap();
    for (c, h) in ["Nom", "Prénom", "Date d'admission", "Date de sortie "]
        .iter()
        .enumerate()
    {
        ws.write(3, c as u16, *h).unwrap();
    }
    let rows = [
        ("A", "a", 44197.0, Some(44561.0)),
        ("B", "b", 44300.0, None),
        ("C", "c", 44400.0, Some(44500.0)),
    ];
    for (i, (n, p, s, e)) in rows.iter().enumerate() {
        let r = 4 + i as u32;
        ws.write(r, 0, *n).unwrap();
        ws.write(r, 1, *p).unwrap();
        ws.write_with_format(r, 2, *s, &date).unwrap();
        if let Some(e) = e {
            ws.write_with_format(r, 3, *e, &date).unwrap();
        }
        ws.write(r, 4, "Placement ASE").unwrap();
    }
    // An error cell in an optional column (kept, warned) and one in a required date
    // column (row rejected).
    ws.write_formula(5, 3, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    ws.write_formula(6, 2, Formula::new("=NA()").set_result("#N/A"))
        .unwrap();
    ws.write(7, 0, "Total").unwrap();
    ws.write(7, 1, 3).unwrap();
    wb.save(dir.join("accueils.xlsx")).unwrap();
    let p = pipeline(
        &dir,
        &source(
            "accueils.xlsx",
            "accompagnements",
            "[sources.colonnes]\ntype_mesure = \"Statut\"\nnom = \"Identité Nom\"",
        ),
    );
    let ing = ingest::ingest(&p).unwrap();
    let s = &ing.report.sources[0];
    assert_eq!(s.lignes_entete, vec![3, 4]);
    assert_eq!((s.lignes_lues, s.lignes_acceptees), (4, 2));
    assert_eq!(s.lignes_rejetees["cellule_en_erreur"], 1);
    assert_eq!(s.lignes_exclues["ligne_total"], 1);
    assert!(s.balanced());
    let a = &ing.tables.accompaniments;
    assert_eq!(
        strings(a, "type_mesure"),
        vec![Some("Placement ASE".into()); 2]
    );
    assert_eq!(ints(a, "date_fin")[1], None);
    let warn = ing
        .report
        .problemes
        .iter()
        .find(|i| i.cellule.as_deref() == Some("D6"))
        .unwrap();
    assert_eq!(
        (warn.code.as_str(), warn.gravite),
        ("cellule_en_erreur", Severity::Warning)
    );
    assert_eq!(warn.colonne.as_deref(), Some("Accueil / Date de sortie"));
    assert!(warn.message.contains("#DIV/0!"));
    let err = ing
        .report
        .problemes
        .iter()
        .find(|i| i.cellule.as_deref() == Some("C7"))
        .unwrap();
    assert_eq!(err.gravite, Severity::Error);
    // No message ever quotes a name.
    for i in &ing.report.problemes {
        for name in ["\"A\"", "« A »", "« a »"] {
            assert!(!i.message.contains(name), "{}", i.message);
        }
    }
}

#[test]
fn identifying_values_are_never_echoed_in_messages() {
    let dir = temp_dir("noecho");
    std::fs::write(
        dir.join("a.csv"),
        "Nom;Prénom;Date de naissance;Date de début;Date de fin\nZébulon-Secret;Ophélie;32/13/2010;01/02/2021;pas encore\n",
    )
    .unwrap();
    let p = pipeline(&dir, &source("a.csv", "accompagnements", ""));
    let ing = ingest::ingest(&p).unwrap();
    assert_eq!(ing.report.count(Severity::Warning), 2);
    let all = format!("{:?}", ing.report);
    for secret in ["Zébulon", "Ophélie", "32/13/2010", "pas encore"] {
        assert!(!all.contains(secret), "{secret} apparaît dans le rapport");
    }
}

#[test]
fn cli_exit_codes_and_failed_run_leaves_previous_outputs() {
    let bin = env!("CARGO_BIN_EXE_observatoire");
    let dir = temp_dir("cli");
    std::fs::write(dir.join("abime.xlsx"), b"rien").unwrap();
    let out = dir.join("sortie");
    std::fs::create_dir_all(&out).unwrap();
    // Previous outputs of the tool (a manifest listing its files, here none).
    let previous = r#"{"outil":{"nom":"observatoire"},"sorties":[],"note":"résultats précédents"}"#;
    std::fs::write(out.join("manifeste.json"), previous).unwrap();
    std::fs::write(
        dir.join("p.toml"),
        source("abime.xlsx", "accompagnements", ""),
    )
    .unwrap();
    let o = Command::new(bin)
        .args(["executer", "p.toml", "--sortie", "sortie"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("abime.xlsx") && err.contains("réenregistrez"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("manifeste.json")).unwrap(),
        previous
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        3,
        "no staging directory left behind"
    );

    std::fs::write(
        dir.join("bad.toml"),
        format!("{HEAD}[[sources]]\nfichier = \"x.csv\"\ntable = \"activites\"\n"),
    )
    .unwrap();
    let o = Command::new(bin)
        .args(["verifier", "bad.toml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ligne 8") && err.contains("« activite »"),
        "{err}"
    );

    let o = Command::new(bin)
        .args(["--option-inconnue"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = Command::new(bin).args(["--aide"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Exécuter un pipeline"));
}
