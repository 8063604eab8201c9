//! The command line speaks French: usage errors, help headings, accented aliases,
//! completions and the man page generated from the definition, key messages.

use std::process::{Command, Output};

fn observatoire(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn usage_errors_are_in_french_with_exit_code_2() {
    for (args, want) in [
        (
            &["--option-inconnue"][..],
            "option ou argument inattendu « --option-inconnue »",
        ),
        (
            &["executer"][..],
            "argument obligatoire manquant : « <PIPELINE> »",
        ),
        (&["executr"][..], "commande inconnue « executr »"),
        (&["completions", "tcsh"][..], "valeur « tcsh » invalide"),
        (&[][..], "commande manquante"),
    ] {
        let o = observatoire(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = err(&o);
        assert!(e.contains(want), "{args:?}: {e}");
        for english in [
            "error:",
            "Usage:",
            "For more information",
            "the following",
            "unexpected",
        ] {
            assert!(!e.contains(english), "{args:?}: English left in {e}");
        }
    }
    // A near miss gets a suggestion.
    assert!(err(&observatoire(&["executr"])).contains("vouliez-vous dire"));
    assert!(err(&observatoire(&["completions", "tcsh"])).contains("valeurs possibles"));
}

#[test]
fn help_is_in_french_and_lists_every_exit_code() {
    for args in [
        &["--aide"][..],
        &["executer", "--aide"][..],
        &["cle", "--aide"][..],
    ] {
        let o = observatoire(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let text = out(&o);
        assert!(
            text.contains("Utilisation : observatoire"),
            "{args:?}: {text}"
        );
        assert!(
            !text.contains("Usage") && !text.contains("<COMMAND>"),
            "{text}"
        );
    }
    let main = out(&observatoire(&["--aide"]));
    for code in [
        "0 succès",
        "1 entrée invalide",
        "2 erreur d'utilisation",
        "3 erreur interne",
        "4 secret statistique",
        "5 terminé",
    ] {
        assert!(main.contains(code), "{code}: {main}");
    }
    assert!(
        main.contains("completions") && main.contains("manuel"),
        "{main}"
    );
}

#[test]
fn accented_aliases_are_accepted() {
    for args in [
        &["exécuter", "--aide"][..],
        &["vérifier", "--aide"][..],
        &["clé", "créer", "--aide"][..],
    ] {
        let o = observatoire(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", err(&o));
    }
}

#[test]
fn completions_and_man_page_come_from_the_definition() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = observatoire(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let script = out(&o);
        assert!(
            script.contains("executer") && script.contains("verifier"),
            "{shell}"
        );
    }
    let o = observatoire(&["manuel"]);
    assert_eq!(o.status.code(), Some(0));
    let page = out(&o);
    assert!(
        page.starts_with(".ie") || page.contains(".TH observatoire 1"),
        "{page}"
    );
    for heading in [".SH NOM", ".SH SYNOPSIS", ".SH COMMANDES"] {
        assert!(page.contains(heading), "{heading}: {page}");
    }
    assert!(!page.contains(".SH NAME") && !page.contains(".SH SUBCOMMANDS"));
}

#[test]
fn a_key_is_never_created_in_a_folder_that_does_not_exist() {
    let dir = std::env::temp_dir().join(format!("observatoire-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("faute-de-frappe").join("ma.cle");
    let o = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args(["cle", "creer"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("n'existe pas"), "{}", err(&o));
    assert!(!dir.join("faute-de-frappe").exists(), "no folder created");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_key_is_named() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("observatoire-cle-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("collectif.cle");
    observatoire::pseudonymise::keys::SecretKey::create_file(&key).unwrap();
    let demo = std::fs::read_to_string(repo.join("pipelines/demo.toml")).unwrap();
    let sample = repo.join("sample-data");
    let pipeline = demo
        .replace("../sample-data", &sample.display().to_string())
        .replace("../sortie/demo", &dir.join("sortie").display().to_string())
        .replace(
            "cle_demonstration = true",
            &format!("cle = \"{}\"", key.display()),
        );
    let path = dir.join("cles.toml");
    std::fs::write(&path, pipeline).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .arg("executer")
        .arg(&path)
        .env_remove("OBSERVATOIRE_CLE_OBSERVATOIRE")
        .output()
        .unwrap();
    let e = err(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("aucune clé indiquée pour cle_observatoire")
            && e.contains("OBSERVATOIRE_CLE_OBSERVATOIRE"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The subset of JSON Schema the summary's schema uses: type, enum, required,
/// properties, additionalProperties = false, items, minimum, maximum.
fn conforms(value: &serde_json::Value, schema: &serde_json::Value, at: &str) -> Result<(), String> {
    use serde_json::Value;
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            _ => false,
        };
        if !ok {
            return Err(format!("{at}: not a {t}: {value}"));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} not in {allowed:?}"));
    }
    if let (Some(min), Some(v)) = (
        schema.get("minimum").and_then(Value::as_f64),
        value.as_f64(),
    ) && v < min
    {
        return Err(format!("{at}: {v} < {min}"));
    }
    if let (Some(max), Some(v)) = (
        schema.get("maximum").and_then(Value::as_f64),
        value.as_f64(),
    ) && v > max
    {
        return Err(format!("{at}: {v} > {max}"));
    }
    if let Some(obj) = value.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap_or_default();
            if !obj.contains_key(r) {
                return Err(format!("{at}: missing {r}"));
            }
        }
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => conforms(v, s, &format!("{at}.{k}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}: unexpected {k}"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            conforms(v, items, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[test]
fn json_summary_validates_against_the_committed_schema() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("docs/resume.schema.json")).unwrap(),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("observatoire-json-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args(["executer", "pipelines/demo.toml", "--json", "--sortie"])
        .arg(dir.join("sortie"))
        .current_dir(repo)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = out(&o);
    assert_eq!(
        text.lines().count(),
        1,
        "one line of JSON on stdout: {text}"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    conforms(&v, &schema, "$").unwrap();
    assert_eq!(v["statut"], "succes");
    assert!(
        v["fichiers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "indicateurs.parquet")
    );
    // An error is a summary too.
    let o = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args(["verifier", "absent.toml", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    conforms(&v, &schema, "$").unwrap();
    assert_eq!(v["statut"], "erreur");
    assert_eq!(v["code_sortie"].as_u64(), o.status.code().map(|c| c as u64));
    // The schema rejects what it should (the checker is not a yes-machine).
    assert!(conforms(&serde_json::json!({"commande": "executer"}), &schema, "$").is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_terminal_session_shows_the_progress() {
    // `script` gives the command a pseudo-terminal (util-linux); elsewhere the test says so.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("« script » absent : test du terminal sauté");
        return;
    }
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("observatoire-pty-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cmd = format!(
        "{} executer pipelines/demo.toml --sortie {}",
        env!("CARGO_BIN_EXE_observatoire"),
        dir.join("sortie").display()
    );
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(repo)
        .output()
        .unwrap();
    let session = out(&o);
    assert!(o.status.success(), "{session}");
    for line in [
        "Lecture des tableurs",
        "fichiers",
        "✓ Lecture des tableurs :",
        "✓ Écriture des résultats :",
    ] {
        assert!(session.contains(line), "{line}: {session}");
    }
    // Not a terminal: no progress drawn, unless --verbeux asks for the stage lines.
    let o = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args(["executer", "pipelines/demo.toml", "--sortie"])
        .arg(dir.join("sortie"))
        .current_dir(repo)
        .output()
        .unwrap();
    assert!(
        !err(&o).contains("fichiers,") && !err(&o).contains('✓'),
        "{}",
        err(&o)
    );
    let o = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args(["executer", "pipelines/demo.toml", "--verbeux", "--sortie"])
        .arg(dir.join("sortie"))
        .current_dir(repo)
        .output()
        .unwrap();
    assert!(err(&o).contains("Calcul des indicateurs :"), "{}", err(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_binary_reads_in_lanes_and_publishes_what_the_library_does() {
    // The binary reads workbooks in child processes, with one reading thread more than
    // the cores (`ingest::reading_lanes`); the library in process, one a core. Three
    // cores asked here, so four files are read at once against the tests' pool (as many
    // as the machine's cores): what is published must not depend on it.
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("observatoire-lanes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args(["executer", "pipelines/demo.toml", "--sortie"])
        .arg(dir.join("sortie"))
        .env("RAYON_NUM_THREADS", "3")
        .current_dir(repo)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // The figures, and the validation report row by row: the rows rejected and the
    // problems found are said in source order whatever the threads.
    use observatoire::publish::paths;
    for name in [paths::INDICATORS, paths::PROBLEMS, paths::ROWS] {
        assert_eq!(
            std::fs::read(dir.join("sortie").join(name)).unwrap(),
            std::fs::read(crate::demo::demo_output().join(name)).unwrap(),
            "{name}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
