//! The shape of the code (docs/architecture.md, « Layers ») : the top-level modules of
//! `src/` import one another without a cycle, so that the ground floor (text, territory,
//! tables, vocabulary, settings, error) never depends on a stage and a stage never
//! depends on a later one; and no source file grows past 600 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            && p.file_name().is_some_and(|n| n != "tests.rs")
        {
            // `tests.rs` files are unit-test modules: tests may reach anywhere.
            out.push(p);
        }
    }
}

/// The code of a file without its unit-test module (tests may reach anywhere).
fn without_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    }
}

/// Top-level modules another top-level module names (`crate::x`, `use crate::{x, …}`).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = src();
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(&root) else {
        panic!("src/ illisible");
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name == "lib" || name == "main" {
            continue;
        }
        let mut files = Vec::new();
        if p.is_dir() {
            rust_files(&p, &mut files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p.clone());
        } else {
            continue;
        }
        modules.entry(name).or_default().extend(files);
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, files) in &modules {
        let deps = g.entry(m.clone()).or_default();
        for f in files {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            // Comments name modules without importing them.
            let code: String = without_tests(&text)
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for (i, _) in code.match_indices("crate::") {
                let rest = &code[i + "crate::".len()..];
                if let Some(list) = rest.strip_prefix('{') {
                    // `use crate::{a::b, c};`: the first segment of each item.
                    let end = list.find("};").unwrap_or(list.len());
                    for item in list[..end].split(',') {
                        let first: String = item
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if names.contains(&first) && &first != m {
                            deps.insert(first);
                        }
                    }
                    continue;
                }
                let first: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if names.contains(&first) && &first != m {
                    deps.insert(first);
                }
            }
        }
    }
    g
}

/// A cycle of the graph, if any (depth-first search).
fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        g: &BTreeMap<String, BTreeSet<String>>,
        node: &str,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in g.get(node).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(0) {
                1 => {
                    let from = stack.iter().position(|s| s == next).unwrap_or(0);
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(g, next, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in g.keys() {
        if state.get(node).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(g, node, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn top_level_modules_import_without_a_cycle() {
    let g = graph();
    assert!(g.len() >= 10, "modules de src/ non trouvés : {g:?}");
    if let Some(cycle) = find_cycle(&g) {
        let edges: Vec<String> = g
            .iter()
            .map(|(m, d)| {
                format!(
                    "{m} -> {}",
                    d.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        panic!(
            "cycle d'imports entre modules de src/ : {}\n{}",
            cycle.join(" -> "),
            edges.join("\n")
        );
    }
    // The ground floor imports no stage.
    for ground in [
        "text",
        "territory",
        "tables",
        "vocabulary",
        "settings",
        "error",
        "format",
        "memory",
    ] {
        for stage in [
            "ingest",
            "pseudonymise",
            "link",
            "indicators",
            "disclosure",
            "publish",
            "run",
        ] {
            assert!(
                !g.get(ground).is_some_and(|d| d.contains(stage)),
                "le module de base {ground} importe l'étape {stage}"
            );
        }
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    if let Some(d) = g.get_mut("c") {
        d.clear();
    }
    assert_eq!(find_cycle(&g), None);
}

#[test]
fn no_source_file_over_600_lines() {
    let mut files = Vec::new();
    let root = src();
    let Ok(entries) = std::fs::read_dir(&root) else {
        panic!("src/ illisible");
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_all(&p, &mut files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
    assert!(files.len() > 50, "fichiers de src/ non trouvés");
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).ok()?.lines().count();
            (n > 600).then(|| format!("{} ({n} lignes)", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "fichiers de plus de 600 lignes : {}",
        long.join(", ")
    );
}

/// Every `.rs` file below `dir`, unit-test files included.
fn collect_all(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_all(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}
