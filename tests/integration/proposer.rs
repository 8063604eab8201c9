//! `proposer` on the sample workbooks the demo reads (the public series too): for every source of the committed
//! demo pipeline, the proposal gives the same table and the same column to every field
//! the demo maps, and the demo's value mappings are proposed, known as they are, or asked
//! with the demo's answer first; the proposal of all the workbooks, accepted as it is
//! (with the service and organisation the demo gives each file), runs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use observatoire::pipeline::{Pipeline, SheetSel, SourceSpec};
use observatoire::propose::values::Verdict;
use observatoire::propose::{self, Options, SheetProposal, render};
use observatoire::pseudonymise::keys::SecretKey;
use observatoire::run;

use crate::util::*;

fn demo() -> Pipeline {
    Pipeline::load(&repo().join("pipelines/demo.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn file_of(p: &Pipeline, s: &SourceSpec) -> PathBuf {
    p.base_dir.join(s.fichier.get_ref())
}

/// The proposal for the sheet(s) a demo source reads.
fn matching<'a>(props: &'a [SheetProposal], s: &SourceSpec) -> &'a SheetProposal {
    let wanted = |p: &&SheetProposal| match (&s.feuille, &s.feuilles) {
        (Some(f), _) => match f.get_ref() {
            SheetSel::Name(n) => p.sheet.as_deref() == Some(n.as_str()),
            SheetSel::Position(_) => true,
        },
        (None, Some(pats)) => p.sheet.as_deref().is_some_and(|n| {
            pats.get_ref().iter().any(|pat| {
                glob::Pattern::new(pat)
                    .map(|g| g.matches(n))
                    .unwrap_or(false)
            })
        }),
        (None, None) => true,
    };
    props
        .iter()
        .filter(|p| p.table.is_some())
        .find(wanted)
        .unwrap_or_else(|| panic!("no proposal for {}", s.fichier.get_ref()))
}

fn options(s: &SourceSpec) -> Options {
    Options {
        service: s.service.clone(),
        organisation: s.organisation.clone(),
        ..Options::default()
    }
}

#[test]
fn proposer_reproduces_the_demo_mappings() {
    let p = demo();
    let mut checked = (0, 0, 0);
    for s in p.spec.sources.iter() {
        let props =
            propose::propose(&[file_of(&p, s)], &options(s)).unwrap_or_else(|e| panic!("{e}"));
        let prop = matching(&props, s);
        let name = s.nom.clone().unwrap_or_default();
        assert_eq!(
            prop.table.map(|t| t.id()),
            Some(s.table.get_ref().as_str()),
            "{name}"
        );
        checked.0 += 1;
        for (field, headers) in &s.colonnes {
            let ok = headers
                .list()
                .iter()
                .any(|h| prop.field_of(h) == Some(field.get_ref().as_str()));
            assert!(
                ok,
                "{name}: {} = {:?} not proposed",
                field.get_ref(),
                headers.list()
            );
            checked.1 += 1;
        }
        for (field, map) in &s.valeurs {
            // Service names are resolved through the services table by name.
            if field.get_ref() == "service" {
                continue;
            }
            let column = prop
                .values
                .iter()
                .find(|v| v.field == field.get_ref())
                .unwrap_or_else(|| panic!("{name}: no values for {}", field.get_ref()));
            for (raw, canonical) in map {
                // A value seen once is never shown (it may be a misplaced name): its cell
                // is given instead. The demo also maps values its files do not hold.
                let Some(line) = column.lines.iter().find(|l| &l.raw == raw) else {
                    continue;
                };
                match &line.verdict {
                    Verdict::Known(c) | Verdict::Proposed(c) => {
                        assert_eq!(c, canonical, "{name}: {raw}")
                    }
                    Verdict::Question(near) => assert_eq!(
                        near.first().copied(),
                        Some(canonical.as_str()),
                        "{name}: {raw} asked without the demo's answer first"
                    ),
                }
                checked.2 += 1;
            }
        }
    }
    eprintln!("sources, columns, values checked: {checked:?}");
    assert!(
        checked.0 >= 20 && checked.1 >= 58 && checked.2 >= 15,
        "{checked:?}"
    );
}

#[test]
fn the_proposal_accepted_as_is_runs() {
    let p = demo();
    // One proposal per workbook, with the service and organisation the demo gives it.
    let mut files: BTreeMap<PathBuf, &SourceSpec> = BTreeMap::new();
    for s in p.spec.sources.iter() {
        files.entry(file_of(&p, s)).or_insert(s);
    }
    let mut props = Vec::new();
    for (f, s) in &files {
        props.extend(
            propose::propose(std::slice::from_ref(f), &options(s))
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    let dir = temp_dir("proposer-runs");
    let text = render::pipeline(&props, &dir);
    assert!(!text.contains("service = \"À COMPLÉTER\""), "{text}");
    // The public series' publisher is the one thing asked.
    assert!(text.contains("source = \"À COMPLÉTER"), "{text}");
    let path = dir.join("propose.toml");
    std::fs::write(&path, &text).unwrap();
    std::fs::create_dir_all(dir.join("cles")).unwrap();
    SecretKey::create_file(&dir.join("cles/collectif.cle")).unwrap();
    SecretKey::create_file(&dir.join("cles/observatoire.cle")).unwrap();
    let pipeline = Pipeline::load(&path).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let out = dir.join("sortie");
    let summary = run::run(&pipeline, &out).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(out.join("indicateurs.parquet").is_file());
    assert!(summary.files.iter().any(|f| f.ends_with("rapport.html")));
}

#[test]
fn the_proposal_shows_no_identity_value() {
    let p = demo();
    let files: Vec<PathBuf> = p.spec.sources.iter().map(|s| file_of(&p, s)).collect();
    let props = propose::propose(&files, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
    let text = render::pipeline(&props, &repo());
    let (names, dates) = crate::demo::identities();
    assert_eq!(crate::demo::leaks(&text, &names, &dates), None, "{text}");
    // Without a service given, the proposal says what to complete.
    assert!(text.contains("service = \"À COMPLÉTER\""));
}

#[test]
fn the_partner_templates_are_proposed_as_their_tables() {
    let expected: &[(&str, &[&str])] = &[
        ("modele-accompagnements.xlsx", &["accompagnements"]),
        ("modele-activite.xlsx", &["activite"]),
        ("modele-formation.xlsx", &["formation"]),
        ("modele-personnel.xlsx", &["personnel"]),
        ("modele-plan-action.xlsx", &["plan_action", "plan_action"]),
        (
            "modele-referentiel-services.xlsx",
            &["services", "capacites"],
        ),
        ("modele-satisfaction.xlsx", &["satisfaction"]),
    ];
    for (file, tables) in expected {
        let path = repo().join("sample-data/modeles").join(file);
        let props =
            propose::propose(&[path], &Options::default()).unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<&str> = props
            .iter()
            .filter_map(|p| p.table.map(|t| t.id()))
            .collect();
        assert_eq!(&got, tables, "{file}");
        // The help sheet is listed as not proposed, with its reason.
        assert!(
            props
                .iter()
                .any(|p| p.sheet.as_deref() == Some("Aide") && p.skipped.is_some()),
            "{file}"
        );
    }
}

#[test]
fn the_command_writes_the_proposal_and_never_overwrites_it() {
    let dir = temp_dir("proposer-cli");
    let out = dir.join("propose.toml");
    let workbook = repo().join("sample-data/chemins/DITEP Le Cèdre.ods");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_observatoire"))
            .args(["proposer", "--service", "DITEP-15", "--sortie"])
            .arg(&out)
            .arg(&workbook)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("Proposition écrite"));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("table = \"accompagnements\"") && text.contains("table = \"activite\""));
    assert!(
        text.contains("fichier = \"../"),
        "paths relative to the proposal: {text}"
    );
    let second = run();
    assert_eq!(second.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&second.stderr).contains("jamais écrasé"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text);
}
