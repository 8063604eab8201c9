//! Unit tests of `staging`.

use super::*;
use crate::publish::manifest;

fn tmp(name: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!(
        "observatoire-staging-{name}-{}-{n}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::canonicalize(d).unwrap()
}

/// Writes outputs the way a run does: files, then the manifest listing them.
fn publish(target: &Path, files: &[(&str, &[u8])]) -> Result<PathBuf, Error> {
    let mut s = Staging::new(target)?;
    for (rel, bytes) in files {
        s.write(rel, bytes.to_vec())?;
    }
    let listed: Vec<manifest::OutputFile> = s
        .written()
        .iter()
        .map(|(p, b)| manifest::OutputFile::of(p, b))
        .collect();
    let json = serde_json::json!({
        "outil": { "nom": env!("CARGO_PKG_NAME"), "version": "test" },
        "sorties": listed,
    });
    s.write(paths::MANIFEST, serde_json::to_vec(&json).unwrap())?;
    s.commit()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn refuses_to_replace_a_foreign_directory() {
    let root = tmp("foreign");
    let target = root.join("documents");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("lettre.odt"), b"x").unwrap();
    assert!(matches!(
        Staging::new(&target),
        Err(Error::ForeignOutputDir(_))
    ));
    assert!(target.join("lettre.odt").exists());
    assert_eq!(entries(&root), ["documents"]);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_manifest_file_name_is_not_a_marker() {
    let root = tmp("forged");
    let target = root.join("donnees");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("suivi.xlsx"), b"classeur").unwrap();
    // Any file named manifeste.json, even a well-formed one of the tool that does
    // not list the workbook, or lists it with another hash.
    for forged in [
        "{}".to_string(),
        "pas du json".to_string(),
        serde_json::json!({"outil": {"nom": "observatoire"}, "sorties": []}).to_string(),
        serde_json::json!({"outil": {"nom": "observatoire"}, "sorties": [
            {"chemin": "suivi.xlsx", "sha256": "00", "octets": 8}]})
        .to_string(),
        serde_json::json!({"outil": {"nom": "observatoire"}, "sorties": [
            {"chemin": "../donnees/suivi.xlsx", "sha256": "00", "octets": 8}]})
        .to_string(),
    ] {
        std::fs::write(target.join(paths::MANIFEST), &forged).unwrap();
        assert!(
            matches!(inspect(&target).unwrap(), Contents::Foreign(_)),
            "{forged}"
        );
        assert!(matches!(
            publish(&target, &[("a.txt", b"un")]),
            Err(Error::ForeignOutputDir(_))
        ));
        assert_eq!(
            std::fs::read(target.join("suivi.xlsx")).unwrap(),
            b"classeur"
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn commit_replaces_and_drop_discards() {
    let root = tmp("staging");
    let target = root.join("sortie");
    publish(&target, &[("a/b.txt", b"un")]).unwrap();
    assert_eq!(std::fs::read(target.join("a/b.txt")).unwrap(), b"un");
    assert_eq!(inspect(&target).unwrap(), Contents::Ours);
    // A run that fails before commit leaves the previous outputs untouched.
    {
        let mut s = Staging::new(&target).unwrap();
        s.write("a/b.txt", b"deux".to_vec()).unwrap();
    }
    assert_eq!(std::fs::read(target.join("a/b.txt")).unwrap(), b"un");
    assert_eq!(entries(&root), ["sortie"]);
    // A successful one replaces them, leaving nothing beside.
    publish(&target, &[("c.txt", b"trois")]).unwrap();
    assert!(!target.join("a/b.txt").exists());
    assert_eq!(std::fs::read(target.join("c.txt")).unwrap(), b"trois");
    assert!(!target.join(JOURNAL).exists());
    assert_eq!(entries(&root), ["sortie"]);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_changed_or_added_output_file_makes_the_folder_foreign() {
    let root = tmp("changed");
    let target = root.join("sortie");
    publish(&target, &[("rapport.html", b"<p>un</p>")]).unwrap();
    std::fs::write(target.join("rapport.html"), b"<p>mes notes</p>").unwrap();
    assert!(
        matches!(inspect(&target).unwrap(), Contents::Foreign(w) if w.contains("rapport.html"))
    );
    std::fs::write(target.join("rapport.html"), b"<p>un</p>").unwrap();
    assert_eq!(inspect(&target).unwrap(), Contents::Ours);
    std::fs::write(target.join("notes.txt"), b"x").unwrap();
    assert!(matches!(inspect(&target).unwrap(), Contents::Foreign(w) if w.contains("notes.txt")));
    std::fs::remove_file(target.join("notes.txt")).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc", target.join("lien")).unwrap();
        assert!(matches!(inspect(&target).unwrap(), Contents::Foreign(_)));
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn an_empty_folder_is_replaced_and_a_file_is_refused() {
    let root = tmp("empty");
    let target = root.join("vide");
    std::fs::create_dir_all(target.join("sous-dossier")).unwrap();
    publish(&target, &[("a.txt", b"un")]).unwrap();
    assert!(target.join("a.txt").is_file());
    let file = root.join("fichier.txt");
    std::fs::write(&file, b"x").unwrap();
    assert!(matches!(
        Staging::new(&file),
        Err(Error::ForeignOutputDir(m)) if m.contains("fichier")
    ));
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
    let _ = std::fs::remove_dir_all(&root);
}

fn protected_pipeline(root: &Path, text: &str) -> Pipeline {
    let path = root.join("pipeline.toml");
    std::fs::write(&path, text).unwrap();
    Pipeline::load(&path).unwrap()
}

const HEAD: &str = "[pipeline]\nnom = \"t\"\n[periode]\ndebut = 2021\nfin = 2022\n";

#[test]
fn the_guard_refuses_inputs_pipeline_and_keys_canonically() {
    let root = tmp("guard");
    std::fs::create_dir_all(root.join("donnees/sous")).unwrap();
    std::fs::create_dir_all(root.join("cles")).unwrap();
    std::fs::create_dir_all(root.join("lus")).unwrap();
    std::fs::write(root.join("donnees/a.csv"), b"x").unwrap();
    std::fs::write(root.join("lus/b.csv"), b"x").unwrap();
    std::fs::write(root.join("cles/c.cle"), b"x").unwrap();
    let p = protected_pipeline(
        &root,
        &format!(
            "{HEAD}[confidentialite]\ncle = \"cles/c.cle\"\n[[sources]]\nfichier = \"donnees/a.csv\"\ntable = \"services\"\n[[sources]]\nfichier = \"lus/**/*.csv\"\ntable = \"activite\"\n"
        ),
    );
    let g = Protected::of(&p);
    let refused = |t: &Path| {
        matches!(
            g.check(&canonical_target(t), "x"),
            Err(Error::ForeignOutputDir(_))
        )
    };
    assert!(refused(&root.join("donnees")));
    assert!(refused(&root.join("donnees/sous/../")));
    assert!(refused(&root.join("cles")));
    assert!(refused(&root));
    assert!(refused(&root.join("lus")));
    assert!(refused(&root.join("lus/resultats")));
    assert!(refused(&root.join("donnees/a.csv/sortie")));
    assert!(!refused(&root.join("donnees/sous")));
    assert!(!refused(&root.join("sortie")));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.join("donnees"), root.join("raccourci")).unwrap();
        assert!(refused(&root.join("raccourci")));
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_flat_pattern_does_not_forbid_a_sub_folder() {
    let root = tmp("flat");
    std::fs::create_dir_all(root.join("donnees")).unwrap();
    std::fs::write(root.join("donnees/a.csv"), b"x").unwrap();
    let p = protected_pipeline(
        &root,
        &format!("{HEAD}[[sources]]\nfichier = \"donnees/*.csv\"\ntable = \"services\"\n"),
    );
    let g = Protected::of(&p);
    assert!(
        g.check(&canonical_target(&root.join("donnees/sortie")), "x")
            .is_ok()
    );
    assert!(
        g.check(&canonical_target(&root.join("donnees")), "x")
            .is_err()
    );
    // A pattern that would read the outputs back is refused.
    let p = protected_pipeline(
        &root,
        &format!(
            "{HEAD}[[sources]]\nfichier = \"donnees/*/validation/*.csv\"\ntable = \"services\"\n"
        ),
    );
    let g = Protected::of(&p);
    assert!(
        g.check(&canonical_target(&root.join("donnees/sortie")), "x")
            .is_err()
    );
    // A wildcard in a folder name reaches only the folders it matches.
    let p = protected_pipeline(
        &root,
        &format!(
            "{HEAD}[[sources]]\nfichier = \"partenaire*/extrait/accompagnements.parquet\"\ntable = \"accompagnements\"\n"
        ),
    );
    let g = Protected::of(&p);
    let ok = |t: &str| g.check(&canonical_target(&root.join(t)), "x").is_ok();
    assert!(ok("observatoire"));
    assert!(!ok("partenaire-b"));
    assert!(!ok("partenaire-b/extrait"));
    assert!(ok("partenaire-b/autre"));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn leftovers_of_dead_runs_are_cleaned_and_previous_outputs_restored() {
    let root = tmp("leftovers");
    let target = root.join("sortie");
    publish(&target, &[("a.txt", b"un")]).unwrap();
    // A kill between the two renames of the fallback swap.
    std::fs::rename(&target, root.join(".sortie.old-999999")).unwrap();
    // A kill while writing.
    let tmp_dir = root.join(".sortie.tmp-999998");
    std::fs::create_dir_all(&tmp_dir).unwrap();
    std::fs::write(tmp_dir.join(JOURNAL), format!("{JOURNAL_HEAD}\nb.txt\n")).unwrap();
    std::fs::write(tmp_dir.join("b.txt"), b"moi").unwrap();
    // A staging folder of a run still going (this process): never touched.
    let live = root.join(format!(".sortie.tmp-{}-77", std::process::id()));
    std::fs::create_dir_all(&live).unwrap();
    // Not the tool's: a file its journal does not list.
    let foreign = root.join(".sortie.tmp-999997");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join(JOURNAL), format!("{JOURNAL_HEAD}\n")).unwrap();
    std::fs::write(foreign.join("photo.jpg"), b"photo").unwrap();
    let notices = recover(&target, "sortie");
    assert_eq!(std::fs::read(target.join("a.txt")).unwrap(), b"un");
    assert!(notices[0].contains("remis en place"), "{notices:?}");
    assert!(
        notices.iter().any(|n| n.contains("Nettoyage : 1")),
        "{notices:?}"
    );
    assert!(
        notices.iter().any(|n| n.contains("laissé(s) en place")),
        "{notices:?}"
    );
    let mut expected = vec![
        ".sortie.tmp-999997".to_string(),
        live.file_name().unwrap().to_string_lossy().into_owned(),
        "sortie".to_string(),
    ];
    expected.sort();
    assert_eq!(entries(&root), expected);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn leftover_names_are_parsed_strictly() {
    assert_eq!(
        parse_leftover(".sortie.tmp-12", "sortie"),
        Some((Leftover::Staging, 12))
    );
    assert_eq!(
        parse_leftover(".sortie.old-12-3", "sortie"),
        Some((Leftover::Old, 12))
    );
    for bad in [
        ".sortie.tmp-",
        ".sortie.tmp-12-",
        ".sortie.tmp-x",
        "sortie.tmp-1",
        ".sortie2.tmp-1",
        ".sortie.bak-1",
    ] {
        assert_eq!(parse_leftover(bad, "sortie"), None, "{bad}");
    }
}

#[cfg(unix)]
#[test]
fn the_swap_is_atomic_or_falls_back_cleanly() {
    let root = tmp("swap");
    let a = root.join("a");
    let b = root.join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(a.join("x"), b"a").unwrap();
    std::fs::write(b.join("x"), b"b").unwrap();
    match exchange(&a, &b) {
        Ok(()) => {
            assert_eq!(std::fs::read(a.join("x")).unwrap(), b"b");
            assert_eq!(std::fs::read(b.join("x")).unwrap(), b"a");
        }
        Err(e) => assert!(exchange_unsupported(&e), "{e}"),
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn the_fallback_swap_replaces_and_leaves_nothing() {
    NO_EXCHANGE.with(|c| c.set(true));
    let root = tmp("fallback");
    let target = root.join("sortie");
    publish(&target, &[("a.txt", b"un")]).unwrap();
    publish(&target, &[("b.txt", b"deux")]).unwrap();
    assert!(!target.join("a.txt").exists());
    assert_eq!(std::fs::read(target.join("b.txt")).unwrap(), b"deux");
    assert_eq!(entries(&root), ["sortie"]);
    NO_EXCHANGE.with(|c| c.set(false));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn io_errors_are_in_french() {
    let e = io::Error::from(io::ErrorKind::PermissionDenied);
    assert!(io_fr(&e).contains("droits"));
    let e = io::Error::from_raw_os_error(28);
    assert!(!io_fr(&e).contains("space"));
}

/// A folder of the tool removed half-way, at any file, is still the tool's own: a killed
/// run's next run then removes the rest instead of leaving it as foreign.
#[test]
fn a_removal_stopped_at_any_file_leaves_a_folder_still_ours() {
    let root = tmp("half-removed");
    let files: [(&str, &[u8]); 4] = [
        ("a.parquet", b"a"),
        ("graphiques/b.svg", b"b"),
        ("rapport.html", b"c"),
        ("zz.csv", b"d"),
    ];
    let order = {
        let target = root.join("ordre");
        publish(&target, &files).unwrap();
        removal_order(&target).unwrap()
    };
    assert_eq!(order.last().map(String::as_str), Some(paths::MANIFEST));
    for k in 0..=order.len() {
        let target = root.join(format!("sortie-{k}"));
        publish(&target, &files).unwrap();
        for rel in removal_order(&target).unwrap().iter().take(k) {
            std::fs::remove_file(target.join(rel)).unwrap();
        }
        let c = inspect(&target).unwrap();
        assert!(matches!(c, Contents::Ours | Contents::Empty), "{k}: {c:?}");
    }
    // A staging folder: its journal goes last.
    for k in 0..=files.len() + 2 {
        let mut s = Staging::new(&root.join(format!("en-cours-{k}"))).unwrap();
        for (rel, bytes) in files {
            s.write(rel, bytes.to_vec()).unwrap();
        }
        s.write(paths::MANIFEST, b"{}".to_vec()).unwrap();
        let order = removal_order(&s.dir).unwrap();
        assert_eq!(order.last().map(String::as_str), Some(JOURNAL));
        for rel in order.iter().take(k) {
            std::fs::remove_file(s.dir.join(rel)).unwrap();
        }
        let ours = is_our_staging(&s.dir)
            || matches!(inspect(&s.dir).unwrap(), Contents::Ours | Contents::Empty);
        assert!(ours, "{k}");
    }
    remove_ours(&root.join("ordre")).unwrap();
    assert!(!root.join("ordre").exists());
    let _ = std::fs::remove_dir_all(&root);
}

/// More files than are held open at once: flushed in batches while written, the rest at
/// the commit; every file is there with its bytes and the folder is the tool's own.
#[test]
fn more_files_than_one_batch_are_all_published() {
    let target = tmp("lots").join("sortie");
    let names: Vec<String> = (0..2 * FILES_SYNCED_AT_ONCE + 5)
        .map(|i| format!("rapport-departements/page-{i}.html"))
        .collect();
    let bodies: Vec<Vec<u8>> = (0..names.len())
        .map(|i| format!("page {i}").into_bytes())
        .collect();
    let files: Vec<(&str, &[u8])> = names
        .iter()
        .zip(&bodies)
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    publish(&target, &files).unwrap();
    for (n, b) in &files {
        assert_eq!(std::fs::read(target.join(n)).unwrap(), *b);
    }
    assert!(matches!(inspect(&target).unwrap(), Contents::Ours));
}
