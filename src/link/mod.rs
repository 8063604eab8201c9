//! Stage 3 — link, at the observatory. Recognises the same person across records and
//! sources from pseudonymised extracts only: exact stepwise linkage over the key set
//! (strict key first, then looser ones, then the within-service file number), then an
//! optional fuzzy pass comparing keyed Bloom-filter encodings with Dice similarity inside
//! keyed blocks, with one-to-one greedy assignment above a threshold. Adds the `personne`
//! column and reports how each link was made.

pub mod quality;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use polars::prelude::*;
use serde::Serialize;

use crate::error::Error;
use crate::pseudonymise::bloom::Clk;
use crate::pseudonymise::{columns as pcol, pseudonym_columns};
use crate::tables::columns as col;

/// Settings of the linkage.
#[derive(Debug, Clone)]
pub struct Settings {
    pub fuzzy: bool,
    /// Minimum Dice similarity for a fuzzy link.
    pub threshold: f64,
    /// Minimum Dice similarity for an exact-key link to be accepted.
    pub verification: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            fuzzy: true,
            threshold: 0.75,
            verification: 0.75,
        }
    }
}

/// Dice similarity a fuzzy link needs when the two birth dates differ.
pub const DIFFERENT_DATES_THRESHOLD: f64 = 0.95;
/// Dice similarity an exact-key link needs when the surnames differ.
pub const SURNAME_MISMATCH_THRESHOLD: f64 = 0.9;
/// Minimum first-name similarity of a fuzzy link (twins differ by their first name).
pub const FIRST_NAME_THRESHOLD: f64 = 0.4;

/// How well linkage went (counts only).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Report {
    pub enregistrements: usize,
    pub personnes: usize,
    /// Records that carry no key at all: kept, each counted as its own person.
    pub enregistrements_sans_cle: usize,
    /// Links made by each exact key, in order (then the file number).
    pub liens_exacts: Vec<usize>,
    pub liens_dossier: usize,
    /// Exact-key matches refused because birth dates or encodings disagree.
    pub liens_exacts_refuses: usize,
    pub liens_flous: usize,
    pub paires_comparees: usize,
    /// Fuzzy links whose runner-up is within 0,02 of the chosen similarity.
    pub paires_ambigues: usize,
    /// Pairs above the threshold not linked because one side was already linked.
    pub paires_ecartees: usize,
    pub seuil: f64,
    /// Accepted fuzzy similarities by bin (`0,80–0,85` …).
    pub distribution_similarites: BTreeMap<String, usize>,
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
        }
    }
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
    /// Joins the sets of `a` and `b`; the smaller index stays root (deterministic).
    fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[hi] = lo;
        true
    }
}

fn text(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, Error> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// Links the records of a (re-keyed) pseudonymised extract; returns it with `personne`.
pub fn link(extract: &DataFrame, settings: &Settings) -> Result<(DataFrame, Report), Error> {
    let n = extract.height();
    let mut uf = UnionFind::new(n);
    let mut report = Report {
        enregistrements: n,
        seuil: settings.threshold,
        ..Default::default()
    };
    let services = text(extract, col::SERVICE)?;
    let mut any_key = vec![false; n];

    // Bloom encodings and birth-date controls, used to verify exact links and for the
    // fuzzy pass.
    let clks: Vec<Option<Clk>> = match extract.column(pcol::CLK) {
        Ok(_) => text(extract, pcol::CLK)?
            .iter()
            .map(|c| c.as_deref().and_then(Clk::from_hex))
            .collect(),
        Err(_) => vec![None; n],
    };
    let optional = |name: &str| -> Result<Vec<Option<String>>, Error> {
        match extract.column(name) {
            Ok(_) => text(extract, name),
            Err(_) => Ok(vec![None; n]),
        }
    };
    let controls = optional(pcol::BIRTH_CONTROL)?;
    let surnames = optional(pcol::SURNAME_CONTROL)?;
    let first_names: Vec<Option<Clk>> = optional(pcol::FIRST_NAME_CLK)?
        .iter()
        .map(|c| c.as_deref().and_then(Clk::from_hex))
        .collect();
    // Two records sharing an exact key are the same person unless what else is known
    // contradicts it: different birth dates (day and month in either order), or
    // encodings too dissimilar (homonyms: same first name, birth month and mother's
    // name, but another child).
    let agree = |i: usize, j: usize| -> bool {
        if let (Some(a), Some(b)) = (&controls[i], &controls[j])
            && a != b
        {
            return false;
        }
        let similarity = match (&clks[i], &clks[j]) {
            (Some(a), Some(b)) => a.dice(b),
            _ => return true,
        };
        // Another surname (the key does not hold it) needs near-identical encodings.
        let same_surname = match (&surnames[i], &surnames[j]) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        similarity >= settings.verification
            && (same_surname || similarity >= SURNAME_MISMATCH_THRESHOLD)
    };

    // Exact stepwise linkage.
    for name in pseudonym_columns(extract) {
        let values = text(extract, &name)?;
        let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut links = 0;
        for (i, v) in values.iter().enumerate() {
            let Some(v) = v else { continue };
            any_key[i] = true;
            let members = groups.entry(v.as_str()).or_default();
            match members.iter().copied().find(|&j| agree(i, j)) {
                Some(j) => {
                    if uf.union(i, j) {
                        links += 1;
                    }
                }
                None => {
                    if !members.is_empty() {
                        report.liens_exacts_refuses += 1;
                    }
                }
            }
            members.push(i);
        }
        report.liens_exacts.push(links);
    }
    if extract.column(pcol::FILE_PSEUDONYM).is_ok() {
        let values = text(extract, pcol::FILE_PSEUDONYM)?;
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, v) in values.iter().enumerate() {
            let Some(v) = v else { continue };
            any_key[i] = true;
            match first.get(v.as_str()) {
                Some(&j) => {
                    if uf.union(i, j) {
                        report.liens_dossier += 1;
                    }
                }
                None => {
                    first.insert(v, i);
                }
            }
        }
    }

    // Fuzzy linkage between clusters of different services.
    for (i, c) in clks.iter().enumerate() {
        if c.is_some() {
            any_key[i] = true;
        }
    }
    report.enregistrements_sans_cle = any_key.iter().filter(|k| !**k).count();
    if settings.fuzzy {
        // Cluster view after the exact pass.
        let mut rep_clk: HashMap<usize, Clk> = HashMap::new();
        let mut rep_control: HashMap<usize, &str> = HashMap::new();
        let mut rep_first: HashMap<usize, Clk> = HashMap::new();
        let mut cluster_services: HashMap<usize, BTreeSet<String>> = HashMap::new();
        for i in 0..n {
            let r = uf.find(i);
            if let Some(c) = clks[i] {
                rep_clk.entry(r).or_insert(c);
            }
            if let Some(c) = &controls[i] {
                rep_control.entry(r).or_insert(c.as_str());
            }
            if let Some(c) = first_names[i] {
                rep_first.entry(r).or_insert(c);
            }
            if let Some(s) = &services[i] {
                cluster_services.entry(r).or_default().insert(s.clone());
            }
        }
        let mut blocks: HashMap<(usize, String), BTreeSet<usize>> = HashMap::new();
        for b in 1..=pcol::BLOCKS {
            let Ok(values) = text(extract, &format!("{}{b}", pcol::BLOCK_PREFIX)) else {
                continue;
            };
            for (i, v) in values.into_iter().enumerate() {
                if let Some(v) = v {
                    let r = uf.find(i);
                    if rep_clk.contains_key(&r) {
                        blocks.entry((b, v)).or_default().insert(r);
                    }
                }
            }
        }
        // Dense per-cluster views for the hot loop: services as small sorted id lists,
        // pairs already compared packed in a u64.
        let mut service_ids: HashMap<&str, u32> = HashMap::new();
        let mut dense_services: HashMap<usize, Vec<u32>> = HashMap::new();
        for (r, set) in &cluster_services {
            let mut ids: Vec<u32> = set
                .iter()
                .map(|s| {
                    let next = service_ids.len() as u32;
                    *service_ids.entry(s.as_str()).or_insert(next)
                })
                .collect();
            ids.sort_unstable();
            dense_services.insert(*r, ids);
        }
        let no_services: Vec<u32> = Vec::new();
        let disjoint = |x: &[u32], y: &[u32]| x.iter().all(|a| y.binary_search(a).is_err());
        let mut seen: std::collections::HashSet<u64> = std::collections::HashSet::new();
        let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
        let mut block_list: Vec<&BTreeSet<usize>> = blocks.values().collect();
        block_list.sort();
        for members in block_list {
            let m: Vec<usize> = members.iter().copied().collect();
            for (x, &a) in m.iter().enumerate() {
                for &b in &m[x + 1..] {
                    let sa = dense_services.get(&a).unwrap_or(&no_services);
                    let sb = dense_services.get(&b).unwrap_or(&no_services);
                    if !disjoint(sa, sb) || !seen.insert(((a as u64) << 32) | b as u64) {
                        continue;
                    }
                    let (Some(ca), Some(cb)) = (rep_clk.get(&a), rep_clk.get(&b)) else {
                        continue;
                    };
                    report.paires_comparees += 1;
                    let d = ca.dice(cb);
                    // Different birth dates (day and month in either order): only a
                    // near-identical encoding may still be the same child with a
                    // mistyped date; homonyms born on other days are not.
                    let dates_differ = matches!((rep_control.get(&a), rep_control.get(&b)), (Some(x), Some(y)) if x != y);
                    let needed = if dates_differ {
                        settings.threshold.max(DIFFERENT_DATES_THRESHOLD)
                    } else {
                        settings.threshold
                    };
                    let first_name_ok = match (rep_first.get(&a), rep_first.get(&b)) {
                        (Some(x), Some(y)) => x.dice(y) >= FIRST_NAME_THRESHOLD,
                        _ => true,
                    };
                    if d >= needed && first_name_ok {
                        candidates.push((d, a, b));
                    }
                }
            }
        }
        candidates.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        let mut best_other: HashMap<usize, Vec<f64>> = HashMap::new();
        for (d, a, b) in &candidates {
            best_other.entry(*a).or_default().push(*d);
            best_other.entry(*b).or_default().push(*d);
        }
        let mut fuzzy_linked: BTreeSet<usize> = BTreeSet::new();
        for (d, a, b) in &candidates {
            if fuzzy_linked.contains(a) || fuzzy_linked.contains(b) {
                report.paires_ecartees += 1;
                continue;
            }
            fuzzy_linked.insert(*a);
            fuzzy_linked.insert(*b);
            uf.union(*a, *b);
            report.liens_flous += 1;
            let lo = (d * 20.0).floor() / 20.0;
            *report
                .distribution_similarites
                .entry(format!("{:.2}–{:.2}", lo, (lo + 0.05).min(1.0)).replace('.', ","))
                .or_default() += 1;
            // Ambiguous: another candidate of a or b within 0,02.
            let close = |x: &usize| {
                best_other
                    .get(x)
                    .map(|v| v.iter().filter(|s| (**s - d).abs() <= 0.02).count())
                    .unwrap_or(0)
            };
            if close(a) > 1 || close(b) > 1 {
                report.paires_ambigues += 1;
            }
        }
    }

    // Person ids in order of first appearance.
    let mut ids: HashMap<usize, usize> = HashMap::new();
    let mut persons: Vec<String> = Vec::with_capacity(n);
    for i in 0..n {
        let r = uf.find(i);
        let next = ids.len();
        let k = *ids.entry(r).or_insert(next);
        persons.push(format!("p{k:07}"));
    }
    report.personnes = ids.len();
    let mut out = extract.clone();
    out.with_column(Column::new(col::PERSON.into(), persons))?;
    Ok((out, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pseudonymise::bloom::ClkInput;
    use crate::pseudonymise::keys::SecretKey;

    fn clk(prenom: &str, nom: &str, d: u32) -> Option<String> {
        let k = SecretKey::from_bytes([1; 32]);
        Clk::encode(
            &k,
            &ClkInput {
                prenom: Some(prenom),
                nom: Some(nom),
                nom_mere: Some("DUPRE"),
                naissance: chrono::NaiveDate::from_ymd_opt(2012, 3, d),
                sexe: Some('F'),
            },
        )
        .map(|c| c.to_hex())
    }

    #[test]
    fn exact_then_fuzzy_one_to_one() {
        // r0, r1: same person, same service (exact key). r2: same person in another
        // service, a typo (fuzzy). r3: her twin sister in the other service (different
        // first name): must stay apart. r4: no key at all.
        let df = df![
            "service" => ["A", "A", "B", "B", "B"],
            "pseudonyme_1" => [Some("k0"), Some("k0"), Some("k2"), Some("k3"), None],
            "pseudonyme_dossier" => [None::<&str>, None, None, None, None],
            "clk" => [clk("LEA", "FAURE", 7), clk("LEA", "FAURE", 7), clk("LEA", "FAUER", 7), clk("ZOE", "FAURE", 7), None],
            "bloc_1" => [Some("b"), Some("b"), Some("b"), Some("b"), None],
        ]
        .unwrap();
        let (out, r) = link(&df, &Settings::default()).unwrap();
        let p: Vec<String> = out
            .column("personne")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect();
        assert_eq!(p[0], p[1]);
        assert_eq!(p[0], p[2]);
        assert_ne!(p[0], p[3]);
        assert_ne!(p[3], p[4]);
        assert_eq!(r.personnes, 3);
        assert_eq!(r.liens_exacts, vec![1]);
        assert_eq!(r.liens_flous, 1);
        assert_eq!(r.enregistrements_sans_cle, 1);
        // Without the fuzzy pass the typo stays apart.
        let (_, r) = link(
            &df,
            &Settings {
                fuzzy: false,
                ..Settings::default()
            },
        )
        .unwrap();
        assert_eq!(r.personnes, 4);
    }
}
