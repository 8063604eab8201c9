//! Privacy and linkage: the cross-sector shares equal the generator's truth, the
//! partner's extract holds no direct identifier, re-keying changes every pseudonym, the
//! two-place flow (partner extract → observatory) gives the same figures as one run,
//! keys are refused when missing or readable by others, and nothing leaks.

use std::path::{Path, PathBuf};

use observatoire::error::Error;
use observatoire::ingest;
use observatoire::pipeline::Pipeline;
use observatoire::pseudonymise::keys::{KeyError, SecretKey};
use observatoire::pseudonymise::{self, IDENTITY_COLUMNS, pseudonym_columns};
use observatoire::publish::paths;
use observatoire::run;
use polars::prelude::*;

use crate::demo::{demo_output, files, identities, leaks, text_of};
use crate::util::*;

fn truth() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(repo().join("sample-data/verite.json")).unwrap())
        .unwrap()
}

fn read(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

/// (numerator, denominator) of a pooled or per-département row.
fn share(df: &DataFrame, id: &str, year: i32, dep: Option<&str>) -> (f64, f64) {
    let ind = strings(df, "indicateur");
    let per = ints(df, "periode");
    let code = strings(df, "code_territoire");
    let dim = strings(df, "ventilation");
    let (n, d) = (floats(df, "numerateur"), floats(df, "denominateur"));
    let i = (0..df.height())
        .find(|&i| {
            ind[i].as_deref() == Some(id)
                && per[i] == Some(year)
                && code[i].as_deref() == dep
                && dim[i].is_none()
        })
        .unwrap_or_else(|| panic!("{id} {year} {dep:?}"));
    (n[i].unwrap(), d[i].unwrap())
}

#[test]
fn cross_sector_shares_equal_the_generators_truth() {
    // 8 or 9 children are followed on both sides each year: under the threshold of 11,
    // so the public demo withholds them (status A) and never shows them as 0.
    let public = read(&demo_output().join(paths::INDICATORS));
    let (ind, status, num) = (
        strings(&public, "indicateur"),
        strings(&public, "statut"),
        floats(&public, "numerateur"),
    );
    let code = strings(&public, "code_territoire");
    let dim = strings(&public, "ventilation");
    let network: Vec<usize> = (0..public.height())
        .filter(|&i| {
            ind[i].as_deref() == Some("part_pe_accompagnes_ditep")
                && code[i].is_none()
                && dim[i].is_none()
        })
        .collect();
    assert!(!network.is_empty());
    let per = ints(&public, "periode");
    let t = truth();
    let mut withheld = 0;
    for &i in &network {
        let y = per[i].unwrap().to_string();
        let both = t["chevauchement"]["par_annee"][&y]["ditep_avec_mesure_pe"]
            .as_f64()
            .unwrap();
        if both < 11.0 {
            assert_ne!(status[i].as_deref(), Some("V"), "{y}");
            assert_eq!(num[i], None, "{y}");
            withheld += 1;
        } else {
            assert_eq!(num[i], Some(both), "{y}");
        }
    }
    assert_eq!(
        withheld, 3,
        "2020, 2022 and 2023 have 8 or 9 children in both"
    );
    // The figures themselves, on the internal dashboard (threshold 1).
    let df = read(&crate::demo::internal_output().join(paths::INDICATORS));
    for y in 2020..=2023 {
        let yt = &t["chevauchement"]["par_annee"][y.to_string()];
        let both = yt["ditep_avec_mesure_pe"].as_f64().unwrap();
        let pe = yt["enfants_protection"].as_f64().unwrap();
        let ditep = yt["enfants_ditep"].as_f64().unwrap();
        assert_eq!(
            share(&df, "part_pe_accompagnes_ditep", y, None),
            (both, pe),
            "{y}"
        );
        assert_eq!(
            share(&df, "part_ditep_avec_mesure_pe", y, None),
            (both, ditep),
            "{y}"
        );
        for dep in ["15", "63"] {
            let n = yt["ditep_avec_mesure_pe_par_departement"][dep]
                .as_f64()
                .unwrap();
            let d = yt["enfants_protection_par_departement"][dep]
                .as_f64()
                .unwrap();
            assert_eq!(
                share(&df, "part_pe_accompagnes_ditep", y, Some(dep)),
                (n, d),
                "{y} {dep}"
            );
        }
    }
    // Breakdowns by type of measure and by age band exist and never exceed the pooled
    // denominator.
    let dims: Vec<Option<String>> = strings(&df, "ventilation");
    assert!(dims.iter().any(|d| d.as_deref() == Some("type_mesure")));
    assert!(dims.iter().any(|d| d.as_deref() == Some("tranche_age")));
}

#[test]
fn extract_has_no_identifier_and_rekeying_changes_every_pseudonym() {
    let p = Pipeline::load(&repo().join("pipelines/demo.toml")).unwrap();
    let ing = ingest::ingest(&p).unwrap();
    let settings = run::pseudonymise_settings(&p);
    let key = SecretKey::demonstration("collectif");
    let (extract, report) =
        pseudonymise::pseudonymise(&ing.tables.accompaniments, &key, &settings).unwrap();
    let names: Vec<String> = extract
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    for c in IDENTITY_COLUMNS.iter().chain(["motif_sortie"].iter()) {
        assert!(
            !names.contains(&c.to_string()),
            "{c} est encore dans l'extrait"
        );
    }
    assert_eq!(report.enregistrements, extract.height());
    assert_eq!(report.sans_cle, 0);
    assert!(report.k_anonymat >= 1);
    // Same input and key → same pseudonyms; another key → other pseudonyms.
    let (again, _) =
        pseudonymise::pseudonymise(&ing.tables.accompaniments, &key, &settings).unwrap();
    assert!(extract.equals_missing(&again));
    let (other, _) = pseudonymise::pseudonymise(
        &ing.tables.accompaniments,
        &SecretKey::from_bytes([9; 32]),
        &settings,
    )
    .unwrap();
    let a = strings(&extract, "pseudonyme_1");
    let b = strings(&other, "pseudonyme_1");
    assert!(a.iter().zip(&b).all(|(x, y)| x.is_none() || x != y));
    // Re-keying at the observatory changes every pseudonym, block key and filter.
    let rekeyed =
        pseudonymise::rekey(extract.clone(), &SecretKey::demonstration("observatoire")).unwrap();
    let mut cols = pseudonym_columns(&extract);
    cols.extend(
        [
            "pseudonyme_dossier",
            "clk",
            "clk_prenom",
            "clk_nom",
            "controle_naissance",
            "controle_nom",
            "controle_mere",
            "controle_lettres_prenom",
            "controle_lettres_nom",
            "bloc_1",
            "bloc_2",
            "bloc_3",
        ]
        .map(String::from),
    );
    for c in cols {
        let before = strings(&extract, &c);
        let after = strings(&rekeyed, &c);
        let non_null = before.iter().filter(|v| v.is_some()).count();
        let changed = before
            .iter()
            .zip(&after)
            .filter(|(x, y)| x.is_some() && x != y)
            .count();
        assert_eq!(changed, non_null, "{c}");
        assert_eq!(
            after.iter().filter(|v| v.is_some()).count(),
            non_null,
            "{c}"
        );
    }
}

/// The demo pipeline rewritten with real key files and absolute paths, in `dir`.
fn pipeline_with_keys(dir: &Path, collective: &Path, observatory: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("pipelines/demo.toml")).unwrap();
    let sample = repo().join("sample-data");
    let text = text
        .replace("../sample-data", &sample.display().to_string())
        .replace(
            "cle_demonstration = true",
            &format!(
                "cle = \"{}\"\ncle_observatoire = \"{}\"",
                collective.display(),
                observatory.display()
            ),
        )
        .replace("demonstration = true", "demonstration = false");
    let p = dir.join("reseau.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// The demo's (public, fictitious) context tables, read directly by the observatory.
fn context_sources() -> String {
    let text = std::fs::read_to_string(repo().join("pipelines/demo.toml")).unwrap();
    let start = text.find("[[sources]]\nnom = \"Contexte fictif").unwrap();
    text[start..].replace(
        "../sample-data",
        &repo().join("sample-data").display().to_string(),
    )
}

#[test]
fn partner_extract_then_observatory_gives_the_same_figures_as_one_run() {
    let dir = temp_dir("two-places");
    let (kc, ko) = (
        dir.join("cles/collectif.cle"),
        dir.join("cles/observatoire.cle"),
    );
    // Keys are created in an existing folder only.
    std::fs::create_dir_all(dir.join("cles")).unwrap();
    SecretKey::create_file(&kc).unwrap();
    SecretKey::create_file(&ko).unwrap();
    let p = Pipeline::load(&pipeline_with_keys(&dir, &kc, &ko)).unwrap();
    run::run(&p, &dir.join("un-poste")).unwrap();
    // At the partner: only the extract leaves.
    let partner_out = dir.join("partenaire");
    run::partner(&p, &partner_out).unwrap();
    let extract = read(&partner_out.join(paths::EXTRACT_ACCOMPANIMENTS));
    for c in IDENTITY_COLUMNS {
        assert!(extract.column(c).is_err(), "{c}");
    }
    // At the observatory: the extracts only.
    // The observatory holds only its own key.
    let obs = format!(
        "[pipeline]\nnom = \"observatoire\"\n[periode]\ndebut = 2020\nfin = 2023\n\
         [confidentialite]\ncle_observatoire = \"{}\"\n\
         [[sources]]\nfichier = \"partenaire/extrait/services.parquet\"\ntable = \"services\"\n\
         [[sources]]\nfichier = \"partenaire/extrait/activite.parquet\"\ntable = \"activite\"\n\
         [[sources]]\nfichier = \"partenaire*/extrait/accompagnements.parquet\"\ntable = \"accompagnements\"\n\
         [[sources]]\nfichier = \"partenaire/extrait/personnel.parquet\"\ntable = \"personnel\"\n\
         [[sources]]\nfichier = \"partenaire/extrait/formation.parquet\"\ntable = \"formation\"\n\
         [[sources]]\nfichier = \"partenaire/extrait/satisfaction.parquet\"\ntable = \"satisfaction\"\n\
         [[sources]]\nfichier = \"partenaire/extrait/plan_action.parquet\"\ntable = \"plan_action\"\n{}",
        ko.display(),
        context_sources()
    );
    std::fs::write(dir.join("observatoire.toml"), obs).unwrap();
    let o = Pipeline::load(&dir.join("observatoire.toml")).unwrap();
    run::run(&o, &dir.join("observatoire")).unwrap();
    let a = read(&dir.join("un-poste").join(paths::INDICATORS));
    let b = read(&dir.join("observatoire").join(paths::INDICATORS));
    assert_eq!(a.height(), b.height());
    assert!(
        a.equals_missing(&b),
        "the two-place flow must give the same figures"
    );
    // An extract made with another collective key cannot be mixed in.
    let other_key = dir.join("cles/autre.cle");
    SecretKey::create_file(&other_key).unwrap();
    let other = Pipeline::load(&pipeline_with_keys(&dir, &other_key, &ko)).unwrap();
    run::partner(&other, &dir.join("partenaire-autre-cle")).unwrap();
    match run::run(&o, &dir.join("observatoire")) {
        Err(e @ Error::InconsistentExtracts(_)) => {
            assert!(e.to_string().contains("même clé"), "{e}")
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    std::fs::remove_dir_all(dir.join("partenaire-autre-cle")).unwrap();
    // A damaged encoding (bytes of another length) is read as absent and reported,
    // never dropped without a word.
    let mut damaged = extract.clone();
    let clk: BinaryChunked = damaged
        .column(pseudonymise::columns::CLK)
        .unwrap()
        .binary()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, v)| if i == 0 { Some(&b"abc"[..]) } else { v })
        .collect();
    damaged
        .with_column(
            clk.with_name(pseudonymise::columns::CLK.into())
                .into_column(),
        )
        .unwrap();
    let mut f =
        std::fs::File::create(dir.join("partenaire/extrait/accompagnements.parquet")).unwrap();
    ParquetWriter::new(&mut f).finish(&mut damaged).unwrap();
    let summary = run::run(&o, &dir.join("observatoire")).unwrap();
    assert!(
        summary
            .privacy
            .iter()
            .any(|l| l.starts_with("ATTENTION : dans l'extrait « partenaire/extrait/accompagnements.parquet », 1 empreinte chiffrée de nom (clk) est illisible")),
        "{:?}",
        summary.privacy
    );
    // An extract rewritten by another tool: dates with a time of day, whole numbers
    // stored as decimals (another tool's integers with missing values). Converted
    // without loss, it gives the same figures.
    let mut retyped = extract.clone();
    let start = retyped
        .column("date_debut")
        .unwrap()
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
        .unwrap();
    let years = retyped
        .column(pseudonymise::columns::BIRTH_YEAR)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap();
    retyped.with_column(start).unwrap();
    retyped.with_column(years).unwrap();
    // A column no stage reads is reported by its name, never dropped without a word.
    retyped
        .with_column(Column::new(
            "commentaire".into(),
            vec!["SECRET"; extract.height()],
        ))
        .unwrap();
    let mut f =
        std::fs::File::create(dir.join("partenaire/extrait/accompagnements.parquet")).unwrap();
    ParquetWriter::new(&mut f).finish(&mut retyped).unwrap();
    run::run(&o, &dir.join("observatoire-autre-outil")).unwrap();
    let c = read(&dir.join("observatoire-autre-outil").join(paths::INDICATORS));
    assert!(
        a.equals_missing(&c),
        "a lossless conversion keeps every figure"
    );
    let unused_in = |out: &str| -> Vec<String> {
        let text = std::fs::read_to_string(dir.join(out).join("validation/problemes.csv")).unwrap();
        text.lines()
            .filter(|l| l.contains("colonnes_non_utilisees") && l.contains(".parquet"))
            .map(str::to_string)
            .collect()
    };
    let reported = unused_in("observatoire-autre-outil");
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(reported[0].contains("« commentaire »"), "{reported:?}");
    assert!(!reported[0].contains("SECRET"), "{reported:?}");
    assert_eq!(unused_in("observatoire"), Vec::<String>::new());
    // A row whose service the observatory's services table does not know is rejected and
    // counted, as a sheet's row is (before, it counted in the network's figures and in
    // no département's, without a word); the others are kept.
    let mut elsewhere = extract.clone();
    let services: StringChunked = elsewhere
        .column("service")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if i == 0 {
                Some("SERVICE-D-AILLEURS")
            } else {
                v
            }
        })
        .collect();
    elsewhere
        .with_column(services.with_name("service".into()).into_column())
        .unwrap();
    let mut f =
        std::fs::File::create(dir.join("partenaire/extrait/accompagnements.parquet")).unwrap();
    ParquetWriter::new(&mut f).finish(&mut elsewhere).unwrap();
    run::run(&o, &dir.join("observatoire-service-inconnu")).unwrap();
    let problems =
        std::fs::read_to_string(dir.join("observatoire-service-inconnu/validation/problemes.csv"))
            .unwrap();
    let unknown: Vec<&str> = problems
        .lines()
        .filter(|l| l.contains("service_inconnu") && l.contains("accompagnements.parquet"))
        .collect();
    assert_eq!(unknown.len(), 1, "{problems}");
    assert!(
        unknown[0].contains("1 ligne(s) rejetée(s)"),
        "{}",
        unknown[0]
    );
    assert!(unknown[0].contains("ligne 1"), "{}", unknown[0]);
    assert!(!unknown[0].contains("D-AILLEURS"), "{}", unknown[0]);
    // Dates written as text, or a mark written as text, are refused with the column
    // named (before, every date became null and every record left the figures without
    // a word).
    for (column, as_text) in [
        ("date_fin", true),
        (pseudonymise::columns::MOTHER_IN_SURNAME, true),
        (pseudonymise::columns::BIRTH_MONTH, false),
    ] {
        let mut wrong = extract.clone();
        let c = wrong.column(column).unwrap();
        let changed = if as_text {
            c.cast(&DataType::String).unwrap()
        } else {
            // Months with a fraction.
            (c.cast(&DataType::Float64).unwrap().as_materialized_series() + 0.5).into_column()
        };
        wrong.with_column(changed).unwrap();
        let mut f =
            std::fs::File::create(dir.join("partenaire/extrait/accompagnements.parquet")).unwrap();
        ParquetWriter::new(&mut f).finish(&mut wrong).unwrap();
        match run::run(&o, &dir.join("observatoire-refus")) {
            Err(Error::Source(e)) => {
                let text = e.to_string();
                assert!(text.contains(&format!("« {column} » contient")), "{text}");
                assert!(text.contains("accompagnements.parquet"), "{text}");
            }
            other => panic!("{column}: {:?}", other.map(|_| ())),
        }
    }
    // An extract still holding names is refused at the observatory.
    let mut with_names = extract.clone();
    with_names
        .with_column(Column::new("nom".into(), vec!["X"; extract.height()]))
        .unwrap();
    let mut f =
        std::fs::File::create(dir.join("partenaire/extrait/accompagnements.parquet")).unwrap();
    ParquetWriter::new(&mut f).finish(&mut with_names).unwrap();
    match run::run(&o, &dir.join("observatoire")) {
        Err(Error::Source(e)) => assert!(e.to_string().contains("« nom »"), "{e}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    // The partner's directory leaks no name; its only dates are the measures' start and
    // end (a measure may start on some child's birthday, so dates are checked by column).
    let (names, _) = identities();
    let no_dates = std::collections::BTreeSet::new();
    for f in files(&partner_out) {
        if let Some(text) = text_of(&f) {
            assert!(leaks(&text, &names, &no_dates).is_none(), "{}", f.display());
        }
    }
    let date_columns: Vec<String> = extract
        .columns()
        .iter()
        .filter(|c| matches!(c.dtype(), DataType::Date | DataType::Datetime(..)))
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(date_columns, vec!["date_debut", "date_fin"]);
}

#[test]
fn keys_are_refused_when_missing_readable_or_demo_outside_sample_data() {
    let dir = temp_dir("key-refusals");
    let (kc, ko) = (dir.join("collectif.cle"), dir.join("observatoire.cle"));
    // Missing key.
    let p = Pipeline::load(&pipeline_with_keys(&dir, &kc, &ko)).unwrap();
    assert!(matches!(
        run::run(&p, &dir.join("s")),
        Err(Error::Key(KeyError::Missing(_)))
    ));
    // Readable by others.
    SecretKey::create_file(&kc).unwrap();
    SecretKey::create_file(&ko).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&kc, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = run::run(&p, &dir.join("s")).map(|_| ()).unwrap_err();
        assert!(matches!(e, Error::Key(KeyError::Readable(_, 0o640))), "{e}");
        assert!(e.to_string().contains("chmod 600"), "{e}");
        assert_eq!(e.exit_code(), 1);
    }
    assert!(!dir.join("s").exists(), "nothing written");
    // The public demonstration key on data outside sample-data/ is a pipeline error.
    std::fs::write(dir.join("a.csv"), "x").unwrap();
    let text = "[pipeline]\nnom = \"x\"\ndemonstration = true\n[periode]\ndebut = 2021\nfin = 2021\n\
                [confidentialite]\ncle_demonstration = true\n\
                [[sources]]\nfichier = \"a.csv\"\ntable = \"accompagnements\"\nservice = \"S\"\n";
    std::fs::write(dir.join("demo.toml"), text).unwrap();
    let e = Pipeline::load(&dir.join("demo.toml")).unwrap_err();
    assert_eq!(e.line, Some(8));
    assert!(e.message.contains("sample-data"), "{}", e.message);
}

#[test]
fn cli_creates_a_private_key() {
    let bin = env!("CARGO_BIN_EXE_observatoire");
    let dir = temp_dir("cli-key");
    let path = dir.join("ma.cle");
    let o = std::process::Command::new(bin)
        .args(["cle", "creer"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fp = String::from_utf8_lossy(&o.stdout).to_string();
    let key_text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(key_text.trim().len(), 64);
    assert!(!fp.contains(key_text.trim()), "the key is never printed");
    let o = std::process::Command::new(bin)
        .args(["cle", "creer"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "never overwrites");
    let o = std::process::Command::new(bin)
        .args(["cle", "empreinte"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(fp.contains(String::from_utf8_lossy(&o.stdout).trim()));
}

#[test]
fn command_line_output_and_files_of_a_run_leak_nothing() {
    let bin = env!("CARGO_BIN_EXE_observatoire");
    let dir = temp_dir("cli-leak");
    let out = dir.join("sortie");
    let o = std::process::Command::new(bin)
        .args(["executer", "pipelines/demo.toml", "--sortie"])
        .arg(&out)
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let terminal = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(terminal.contains("DÉMONSTRATION") && terminal.contains("empreinte demo-"));
    let (names, dates) = identities();
    assert!(
        leaks(&terminal, &names, &dates).is_none(),
        "le terminal montre une donnée identifiante"
    );
    for f in files(&out) {
        if let Some(text) = text_of(&f) {
            assert!(leaks(&text, &names, &dates).is_none(), "{}", f.display());
            // No pseudonym or encoding of a person is published either.
            assert!(
                !text.contains("pseudonyme_1") && !text.contains("\"clk\""),
                "{}",
                f.display()
            );
        }
    }
}

#[test]
fn free_text_leaves_only_as_a_mapped_code_and_residence_is_generalised() {
    let dir = temp_dir("free-text");
    std::fs::write(
        dir.join("a.csv"),
        "Nom;Prénom;Date de naissance;Date de début;Date de fin;Motif de sortie;Département de résidence\n\
         Arnaud;Alice;01/02/2010;01/01/2021;30/06/2021;Retour en famille;63113\n\
         Bernard;Bruno;02/03/2011;01/01/2021;30/06/2021;parti chez sa tante Josette;15014\n",
    )
    .unwrap();
    let text = "[pipeline]\nnom = \"x\"\n[periode]\ndebut = 2021\nfin = 2021\n\
                [confidentialite]\nniveau_residence = \"region\"\n\
                [[sources]]\nfichier = \"a.csv\"\ntable = \"accompagnements\"\nservice = \"S\"\n\
                [sources.valeurs.motif_sortie]\n\"Retour en famille\" = \"retour en famille\"\n";
    let p = pipeline(&dir, text);
    let ing = ingest::ingest(&p).unwrap();
    let settings = run::pseudonymise_settings(&p);
    let (extract, _) = pseudonymise::pseudonymise(
        &ing.tables.accompaniments,
        &SecretKey::from_bytes([1; 32]),
        &settings,
    )
    .unwrap();
    assert_eq!(
        strings(&extract, "motif_sortie"),
        vec![Some("retour en famille".into()), None]
    );
    assert_eq!(
        strings(&extract, "territoire_residence"),
        vec![Some("84".into()), Some("84".into())]
    );
    // Without a mapping, the free-text column does not leave at all.
    let p = pipeline(
        &dir,
        &text.replace(
            "[sources.valeurs.motif_sortie]\n\"Retour en famille\" = \"retour en famille\"\n",
            "",
        ),
    );
    let ing = ingest::ingest(&p).unwrap();
    let (extract, _) = pseudonymise::pseudonymise(
        &ing.tables.accompaniments,
        &SecretKey::from_bytes([1; 32]),
        &run::pseudonymise_settings(&p),
    )
    .unwrap();
    assert!(extract.column("motif_sortie").is_err());
}

/// Pseudonymising file by file as ingest reads (`run::AsRead`) gives the same extract,
/// row for row, and the same report as pseudonymising the whole table at once; `verifier`
/// keeps no identity column.
#[test]
fn pseudonymising_as_read_equals_pseudonymising_the_whole_table() {
    let p = Pipeline::load(&repo().join("pipelines/demo.toml")).unwrap();
    let whole = ingest::ingest(&p).unwrap();
    let key = SecretKey::demonstration("collectif");
    let (expected, expected_report) = pseudonymise::pseudonymise(
        &whole.tables.accompaniments,
        &key,
        &run::pseudonymise_settings(&p),
    )
    .unwrap();
    assert!(expected.height() > 100, "{}", expected.height());

    let as_read = run::AsRead::pseudonymising(&p);
    let ing = ingest::ingest_with(&p, Some(&|t, df| as_read.apply(t, df))).unwrap();
    let got = &ing.tables.accompaniments;
    assert_eq!(got.height(), expected.height());
    for name in expected.get_column_names() {
        let a = expected.column(name.as_str()).unwrap();
        let b = got.column(name.as_str()).unwrap();
        assert!(a.equals_missing(b), "colonne {name} différente");
    }
    for c in IDENTITY_COLUMNS {
        assert!(got.column(c).is_err(), "{c} présente");
    }
    let report = as_read.report(got).unwrap().unwrap();
    assert_eq!(report.enregistrements, expected_report.enregistrements);
    assert_eq!(report.cles_calculees, expected_report.cles_calculees);
    assert_eq!(report.encodages_flous, expected_report.encodages_flous);
    assert_eq!(report.sans_cle, expected_report.sans_cle);
    assert_eq!(report.k_anonymat, expected_report.k_anonymat);

    // `executer` re-keys each file as it is read: the same as re-keying the whole
    // extract, and every keyed value is a 12-character short pseudonym.
    let rekeying = run::AsRead::pseudonymising_and_rekeying(&p);
    assert!(rekeying.rekeys() && !as_read.rekeys());
    let ing = ingest::ingest_with(&p, Some(&|t, df| rekeying.apply(t, df))).unwrap();
    let got = &ing.tables.accompaniments;
    let whole_rekeyed =
        pseudonymise::rekey(expected.clone(), &SecretKey::demonstration("observatoire")).unwrap();
    for name in whole_rekeyed.get_column_names() {
        let a = whole_rekeyed.column(name.as_str()).unwrap();
        let b = got.column(name.as_str()).unwrap();
        assert!(a.equals_missing(b), "colonne re-chiffrée {name} différente");
    }
    let p1 = got.column("pseudonyme_1").unwrap().str().unwrap();
    assert!(p1.iter().flatten().all(|v| v.len() == 12));
    assert!(
        !expected
            .column("pseudonyme_1")
            .unwrap()
            .equals_missing(got.column("pseudonyme_1").unwrap())
    );

    let dropping = run::AsRead::dropping(&p);
    let checked = ingest::ingest_with(&p, Some(&|t, df| dropping.apply(t, df))).unwrap();
    assert_eq!(
        checked.tables.accompaniments.height(),
        whole.tables.accompaniments.height()
    );
    for c in IDENTITY_COLUMNS {
        assert!(
            checked.tables.accompaniments.column(c).is_err(),
            "{c} gardée"
        );
    }
    assert_eq!(checked.report.problemes.len(), whole.report.problemes.len());
}
