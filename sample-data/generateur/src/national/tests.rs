//! Invariants of the national network at scale 0.02: sizes, truth and determinism.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Kind, build, generate, truth};

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("obs-national-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn sizes_follow_the_scale() {
    let net = build(0.02).unwrap();
    // ≈ 1 000 000 rows, 775 000 children and 1 148 services at scale 1.
    assert!(
        (19_000..22_000).contains(&net.records.len()),
        "{}",
        net.records.len()
    );
    assert!((15_000..16_000).contains(&net.children), "{}", net.children);
    assert_eq!(net.services.len(), 23);
    assert!(net.services.iter().any(|s| s.kind == Kind::Ditep));
    // Every service belongs to an organisation of its département, and has rows.
    for (i, s) in net.services.iter().enumerate() {
        assert!(net.orgs[s.org].services.contains(&i));
        assert_eq!(net.orgs[s.org].departement, s.departement);
        assert!(net.records.iter().any(|r| r.service == i), "{}", s.code);
    }
    // Accompaniments are well formed: start after birth, end after start.
    for r in &net.records {
        assert!(r.start > net.identities[r.identity].date_naissance);
        assert!(r.end.is_none_or(|e| e >= r.start));
    }
    // Some children are in both sectors, written differently in the DITEP file.
    let mut sectors: BTreeMap<u64, [bool; 2]> = BTreeMap::new();
    for r in &net.records {
        sectors.entry(r.child).or_default()
            [usize::from(net.services[r.service].kind == Kind::Ditep)] = true;
    }
    let both = sectors.values().filter(|s| s[0] && s[1]).count();
    assert!(both > 500, "{both}");
    let spelled_differently = net
        .records
        .iter()
        .filter(|a| net.services[a.service].kind == Kind::Ditep)
        .filter(|a| {
            net.records.iter().any(|b| {
                b.child == a.child
                    && net.services[b.service].kind != Kind::Ditep
                    && net.identities[b.identity] != net.identities[a.identity]
            })
        })
        .count();
    assert!(spelled_differently > 100, "{spelled_differently}");
}

#[test]
fn same_scale_same_bytes_and_a_complete_truth() {
    let (a, b) = (temp("a"), temp("b"));
    let wa = generate(&a, 0.02).unwrap();
    generate(&b, 0.02).unwrap();
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(fb[k] == *v, "{k} differs between two runs");
    }
    assert_eq!(fa.len(), wa.files.len());
    assert!(fa.len() >= 90, "{}", fa.len());
    for ext in [".xlsx", ".ods", ".csv"] {
        assert!(fa.keys().any(|k| k.ends_with(ext)), "no {ext}");
    }
    // The truth: one child per data row of every accompaniment source, all rows.
    let v: serde_json::Value = serde_json::from_slice(&fa[truth::FILE]).unwrap();
    let rows: usize = v["appariement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["enfants"].as_array().unwrap().len())
        .sum();
    assert_eq!(rows, wa.accompaniment_rows);
    assert_eq!(v["lignes_accompagnements"], wa.accompaniment_rows);
    assert_eq!(v["fichiers"], fa.len());
    assert_eq!(v["services"].as_object().unwrap().len(), 23);
    assert!(
        v["parts"]["2023"]["part_pe_accompagnes_ditep"]["ensemble"]["part"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    // The pipeline names every file it reads.
    let toml = String::from_utf8(fa[super::pipeline::PIPELINE].clone()).unwrap();
    for k in fa
        .keys()
        .filter(|k| k.contains('/') && !k.ends_with(".json"))
    {
        assert!(
            toml.contains(&format!("fichier = \"{k}\"")),
            "{k} not in the pipeline"
        );
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}
