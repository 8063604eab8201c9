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
