//! Corpus cases: the output folder. The tool never replaces or writes inside what it did
//! not write (input folders, the pipeline's folder, a key's folder, a file, a folder of
//! the user's with a copied `manifeste.json`); leftovers of an interrupted run are cleaned
//! or restored; an unwritable location fails with exit 3 and the previous outputs
//! visible and intact; CSV outputs are neutralised against formula injection.
//!
//! Most cases choose their own `--sortie` through [`Case::output_args`], whose hook runs
//! after the reference outputs were written to `<case>/sortie`: it prepares the folder
//! (copies, hidden leftovers, locked folders) and returns the arguments.

use super::*;

fn out_arg(p: &Path) -> Vec<String> {
    vec!["--sortie".into(), p.display().to_string()]
}

/// Every file under `dir`, relative path → bytes.
fn files_of(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    snapshot(dir, None)
}

fn copy_tree(from: &Path, to: &Path) {
    for (rel, bytes) in files_of(from) {
        let p = to.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, bytes).unwrap();
    }
}

/// Hidden entries `.sortie.*` beside the output folder (leftovers of a run).
fn hidden_leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".sortie."))
                .collect()
        })
        .unwrap_or_default()
}

/// Makes `dir` unwritable: mode 0555, and for a user the permissions do not stop (root),
/// the immutable attribute (`chattr +i`).
fn lock(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = dir.join(".sonde");
    if std::fs::write(&probe, b"x").is_ok() {
        let _ = std::fs::remove_file(&probe);
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "impossible de rendre {} non modifiable (ni droits ni chattr)",
            dir.display()
        );
    }
}

fn unlock(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = Command::new("chattr")
        .arg("-i")
        .arg(dir)
        .stderr(Stdio::null())
        .status();
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
}

/// A pipeline reading `donnees/services.csv`.
fn pipeline_in_data_folder() -> String {
    format!(
        "{}[[sources]]\nfichier = \"donnees/services.csv\"\ntable = \"services\"\n",
        head("sorties")
    )
}

fn data_case(name: &'static str, exit: u8) -> Case {
    Case::new(name, pipeline_in_data_folder(), Cmd::Executer, exit)
        .file("donnees/services.csv", services_csv())
}

pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();

    // Finding 1: the folder of the spreadsheets, with a forged `manifeste.json` in it.
    let mut c = data_case(
        "sortie_dossier_des_entrees_manifeste_contrefait",
        exit::INVALID,
    )
    .file("donnees/manifeste.json", b"{}".to_vec())
    .mention("donnees/services.csv")
    .mention("--sortie");
    c.output_args = Some(|dir| out_arg(&dir.join("donnees")));
    v.push(c.check(|o| {
        assert_eq!(
            std::fs::read(o.dir.join("donnees/services.csv")).unwrap(),
            services_csv(),
            "le classeur d'entrée a été touché"
        );
        assert!(hidden_leftovers(&o.dir.join("donnees")).is_empty());
    }));

    // The same folder given through `..`: paths are compared once canonicalised.
    let mut c = data_case("sortie_dossier_des_entrees_par_detour", exit::INVALID)
        .file("donnees/manifeste.json", b"{}".to_vec())
        .mention("donnees/services.csv");
    c.output_args = Some(|dir| out_arg(&dir.join("base/../donnees/./")));
    v.push(c.check(|o| {
        assert!(o.dir.join("donnees/services.csv").is_file());
    }));

    // A folder read by a recursive pattern: the outputs would be read back as inputs.
    let mut c = Case::new(
        "sortie_dans_un_dossier_lu_par_motif",
        format!(
            "{}[[sources]]\nfichier = \"donnees/**/services*.csv\"\ntable = \"services\"\n",
            head("motif")
        ),
        Cmd::Executer,
        exit::INVALID,
    )
    .file("donnees/2022/services.csv", services_csv())
    .mention("donnees/**/services*.csv")
    .mention("--sortie");
    c.output_args = Some(|dir| out_arg(&dir.join("donnees/resultats")));
    v.push(c.check(|o| {
        assert!(!o.dir.join("donnees/resultats").exists());
        assert!(hidden_leftovers(&o.dir.join("donnees")).is_empty());
    }));

    // `partenaire` is guarded the same way.
    let mut c = Case::new(
        "sortie_partenaire_dans_le_dossier_des_entrees",
        pipeline_in_data_folder(),
        Cmd::Partenaire,
        exit::INVALID,
    )
    .file("donnees/services.csv", services_csv())
    .mention("donnees/services.csv");
    c.output_args = Some(|dir| out_arg(&dir.join("donnees")));
    v.push(c.check(|o| {
        assert!(o.dir.join("donnees/services.csv").is_file());
        assert!(!o.dir.join("donnees/manifeste.json").exists());
    }));

    // The folder of the pipeline file.
    let mut c = data_case("sortie_dossier_du_pipeline", exit::INVALID).mention("pipeline.toml");
    c.output_args = Some(out_arg);
    v.push(c.check(|o| {
        assert!(o.dir.join("pipeline.toml").is_file());
        assert!(o.dir.join("donnees/services.csv").is_file());
    }));

    // The folder of a key file.
    let mut c = Case::new(
        "sortie_dossier_d_une_cle",
        format!(
            "{}[confidentialite]\ncle = \"cles/collectif.cle\"\n{}",
            head("cle"),
            services_source()
        ),
        Cmd::Executer,
        exit::INVALID,
    )
    .file("services.csv", services_csv())
    .file("cles/collectif.cle", KEY_COLLECTIVE.as_bytes().to_vec())
    .mention("clé");
    c.output_args = Some(|dir| out_arg(&dir.join("cles")));
    v.push(c.check(|o| {
        assert_eq!(
            std::fs::read(o.dir.join("cles/collectif.cle")).unwrap(),
            KEY_COLLECTIVE.as_bytes()
        );
    }));

    // A file given as the output folder.
    let mut c = data_case("sortie_est_un_fichier", exit::INVALID).mention("fichier");
    c.output_args = Some(|dir| {
        std::fs::write(dir.join("resultats.txt"), b"mes notes").unwrap();
        out_arg(&dir.join("resultats.txt"))
    });
    v.push(c.check(|o| {
        assert_eq!(
            std::fs::read(o.dir.join("resultats.txt")).unwrap(),
            b"mes notes"
        );
    }));

    // A folder of the user's holding a copy of a real manifest: the manifest lists every
    // file the tool wrote with its SHA-256, so a copied one does not make it the tool's.
    let mut c = data_case(
        "sortie_manifeste_copie_dans_un_dossier_personnel",
        exit::INVALID,
    )
    .mention("lettre.odt")
    .secret("lettre au juge");
    c.output_args = Some(|dir| {
        let docs = dir.join("documents");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("lettre.odt"), b"lettre au juge").unwrap();
        std::fs::copy(
            dir.join("sortie/manifeste.json"),
            docs.join("manifeste.json"),
        )
        .unwrap();
        out_arg(&docs)
    });
    v.push(c.check(|o| {
        assert_eq!(
            std::fs::read(o.dir.join("documents/lettre.odt")).unwrap(),
            b"lettre au juge"
        );
    }));

    // A file the user added to a previous output folder is not replaced without a word.
    let mut c =
        data_case("sortie_precedente_avec_un_fichier_ajoute", exit::INVALID).mention("notes.txt");
    c.output_args = Some(|dir| {
        std::fs::write(dir.join("sortie/notes.txt"), b"mes notes").unwrap();
        out_arg(&dir.join("sortie"))
    });
    v.push(c.check(|o| {
        assert_eq!(
            std::fs::read(o.out.join("notes.txt")).unwrap(),
            b"mes notes"
        );
        assert!(o.out.join("manifeste.json").is_file());
    }));

    // Finding 8: leftovers of a killed run (pid 999999 is not running) are cleaned, and
    // the run says so.
    let mut c = data_case("sortie_restes_d_une_execution_tuee", exit::OK).mention("interrompue");
    c.output_args = Some(|dir| {
        // The previous outputs moved aside, and a half-written staging folder with its
        // journal of the files the tool was writing.
        copy_tree(&dir.join("sortie"), &dir.join(".sortie.old-999999"));
        let tmp = dir.join(".sortie.tmp-999999");
        std::fs::create_dir_all(tmp.join("validation")).unwrap();
        std::fs::write(
            tmp.join(".observatoire-ecriture"),
            "observatoire : écriture en cours\nindicateurs.parquet\nvalidation/problemes.csv\n",
        )
        .unwrap();
        std::fs::write(tmp.join("indicateurs.parquet"), b"PAR1").unwrap();
        std::fs::write(tmp.join("validation/problemes.csv"), b"fich").unwrap();
        out_arg(&dir.join("sortie"))
    });
    v.push(c.check(|o| {
        assert_eq!(o.code, exit::OK);
        assert!(
            hidden_leftovers(&o.dir).is_empty(),
            "restes : {:?}",
            hidden_leftovers(&o.dir)
        );
        assert!(o.out.join("manifeste.json").is_file());
    }));

    // A hidden folder with the leftovers' name that the tool did not write is left alone.
    let mut c =
        data_case("sortie_dossier_cache_etranger_laisse", exit::OK).mention("laissé(s) en place");
    c.output_args = Some(|dir| {
        let d = dir.join(".sortie.old-999998");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("photo.jpg"), b"photo").unwrap();
        out_arg(&dir.join("sortie"))
    });
    v.push(c.check(|o| {
        assert_eq!(
            std::fs::read(o.dir.join(".sortie.old-999998/photo.jpg")).unwrap(),
            b"photo"
        );
    }));

    // A kill between the two renames: the output folder is missing, the previous results
    // are only in the hidden folder. The next run puts them back before anything else,
    // even when it then fails on its own input.
    let mut c = Case::new(
        "sortie_absente_resultats_precedents_restaures",
        format!(
            "{}[[sources]]\nfichier = \"absent.csv\"\ntable = \"services\"\n",
            head("restauration")
        ),
        Cmd::Executer,
        exit::INVALID,
    )
    .mention("absent.csv")
    .mention("remis en place");
    c.output_args = Some(|dir| {
        let out = dir.join("sortie");
        copy_tree(&out, &dir.join("sortie-reference"));
        std::fs::rename(&out, dir.join(".sortie.old-999999")).unwrap();
        out_arg(&out)
    });
    v.push(c.check(|o| {
        assert_eq!(
            files_of(&o.out),
            files_of(&o.dir.join("sortie-reference")),
            "résultats précédents non restaurés"
        );
        assert!(hidden_leftovers(&o.dir).is_empty());
    }));

    // An unwritable parent folder: exit 3, French message, previous outputs intact.
    let mut c = data_case("sortie_parent_en_lecture_seule", exit::INTERNAL)
        .mention("écriture des résultats impossible")
        .mention("--sortie");
    c.output_args = Some(|dir| {
        let ro = dir.join("ro");
        copy_tree(&dir.join("sortie"), &ro.join("sortie"));
        lock(&ro);
        out_arg(&ro.join("sortie"))
    });
    v.push(c.check(|o| {
        let ro = o.dir.join("ro");
        unlock(&ro);
        assert_eq!(files_of(&ro.join("sortie")), files_of(&o.out));
        assert!(hidden_leftovers(&ro).is_empty());
        assert!(!o.stderr.contains("denied") && !o.stderr.contains("os error"));
    }));

    // Finding 8: a previous output folder that cannot be emptied (read-only sub-folder)
    // used to « succeed » and leave the old results hidden, half deleted.
    let mut c = data_case("sortie_precedente_en_lecture_seule", exit::INTERNAL)
        .mention("écriture des résultats impossible");
    c.output_args = Some(|dir| {
        copy_tree(&dir.join("sortie"), &dir.join("sortie-reference"));
        lock(&dir.join("sortie/validation"));
        out_arg(&dir.join("sortie"))
    });
    v.push(c.check(|o| {
        unlock(&o.out.join("validation"));
        assert_eq!(files_of(&o.out), files_of(&o.dir.join("sortie-reference")));
        assert!(
            hidden_leftovers(&o.dir).is_empty(),
            "restes : {:?}",
            hidden_leftovers(&o.dir)
        );
    }));

    // Finding 9: a header starting with `=` ends up neutralised in problemes.csv.
    v.push(
        Case::new(
            "sortie_csv_entete_formule",
            format!(
                "{}[[sources]]\nnom = \"+source\"\nfichier = \"services.csv\"\ntable = \"services\"\n[sources.colonnes]\ncapacite = [\"=HYPERLINK(\\\"http://exemple.invalid\\\")\"]\n",
                head("formule")
            ),
            Cmd::Executer,
            // The capacity « vingt » is rejected: the run ends with exit code 5.
            exit::REJECTED,
        )
        .file(
            "services.csv",
            b"Code service;Nom du service;Type;D\xc3\xa9partement;Ann\xc3\xa9e;=HYPERLINK(\"http://exemple.invalid\")\n\
S1;Maison A;MECS;63;2021;vingt\nS1;Maison A;MECS;63;2022;20\n"
                .to_vec(),
        )
        .mention("nombre_invalide")
        .check(|o| {
            assert!(o.problems.contains("'=HYPERLINK"), "{}", o.problems);
            assert_no_formula_cell(&o.problems);
            assert_no_formula_cell(&o.rows);
            assert!(o.rows.contains("'+source"), "{}", o.rows);
        }),
    );

    // Finding 9: hostile sheet name and header in a workbook.
    v.push(
        Case::new(
            "sortie_csv_feuille_formule",
            format!(
                "{}[[sources]]\nfichier = \"services.xlsx\"\nfeuille = \"@SOMME(1+1)\"\ntable = \"services\"\n[sources.colonnes]\ncapacite = [\"-2+3\"]\n",
                head("feuille")
            ),
            Cmd::Verifier,
            exit::REJECTED,
        )
        .file("services.xlsx", hostile_workbook())
        .mention("nombre_invalide")
        .check(|o| {
            assert!(o.rows.contains("'@SOMME(1+1)"), "{}", o.rows);
            assert!(o.problems.contains("'-2+3"), "{}", o.problems);
            assert_no_formula_cell(&o.problems);
            assert_no_formula_cell(&o.rows);
        }),
    );
    v
}

/// No cell of a `;`-separated CSV starts with a character a spreadsheet reads as a formula.
fn assert_no_formula_cell(csv: &str) {
    let mut r = ::csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    for rec in r.records() {
        let rec = rec.unwrap();
        for cell in rec.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "cellule dangereuse « {cell} » dans\n{csv}"
            );
        }
    }
}

fn hostile_workbook() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("@SOMME(1+1)").unwrap();
    let header = [
        "Code service",
        "Nom du service",
        "Type",
        "Département",
        "Année",
        "-2+3",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (year, cap)) in [(2021, "vingt"), (2022, "20")].iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, "S1").unwrap();
        ws.write_string(r, 1, "Maison A").unwrap();
        ws.write_string(r, 2, "MECS").unwrap();
        ws.write_string(r, 3, "63").unwrap();
        ws.write_number(r, 4, *year as f64).unwrap();
        ws.write_string(r, 5, *cap).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// Finding 8 for real: runs of the demo pipeline killed (SIGKILL) at moments spread over
/// the run leave, every time, the complete previous or new outputs under the target's
/// name; the next run removes whatever the killed ones left.
#[test]
fn killed_runs_leave_old_or_new_outputs() {
    use observatoire::publish::staging::{Contents, inspect};
    let dir = temp_dir("execution-tuee");
    let out = dir.join("sortie");
    let run = || {
        Command::new(bin())
            .args(["executer", "pipelines/demo.toml", "--sortie"])
            .arg(&out)
            .current_dir(crate::util::repo())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("lancement du binaire")
    };
    let status = run().wait().unwrap();
    assert!(status.success());
    let full = Instant::now();
    let status = run().wait().unwrap();
    assert!(status.success());
    let length = full.elapsed();
    for i in 0..12u32 {
        let mut child = run();
        std::thread::sleep(length * i / 11);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(
            inspect(&out).unwrap(),
            Contents::Ours,
            "tuée à {}/11 de l'exécution : sortie incomplète",
            i
        );
    }
    let (code, _, stderr) = run_bin(
        &[
            "executer".into(),
            crate::util::repo()
                .join("pipelines/demo.toml")
                .display()
                .to_string(),
            "--sortie".into(),
            out.display().to_string(),
        ],
        &dir,
        Duration::from_secs(120),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(inspect(&out).unwrap(), Contents::Ours);
    assert!(
        hidden_leftovers(&dir).is_empty(),
        "restes : {:?}\n{stderr}",
        hidden_leftovers(&dir)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
