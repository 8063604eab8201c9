//! Stage 3 — link, at the observatory. Recognises the same person across records and
//! sources from pseudonymised extracts only: exact stepwise linkage over the key set
//! (strict key first, then looser ones, then the within-service file number), each record
//! compared with a bounded set of cluster representatives of its key group; then an
//! optional fuzzy pass ([`fuzzy`]) comparing keyed Bloom-filter encodings with Dice
//! similarity, only between clusters that can still gain a link, inside capped keyed
//! blocks, in parallel, with one-to-one greedy assignment above a threshold. Adds the
//! `personne` column and reports how each link was made (docs/architecture.md, Linkage).

pub mod fuzzy;
pub mod quality;

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::Error;
use crate::pseudonymise::bloom::Clk;
use crate::pseudonymise::{columns as pcol, pseudonym_columns};
use crate::tables::columns as col;

pub use crate::settings::LinkSettings as Settings;

/// Dice similarity a fuzzy link needs when the two birth dates differ.
pub const DIFFERENT_DATES_THRESHOLD: f64 = 0.95;
/// Dice similarity an exact-key link needs when the surnames differ.
pub const SURNAME_MISMATCH_THRESHOLD: f64 = 0.9;
/// Dice similarity a fuzzy link needs (at least) when the surnames differ and so do the
/// first names: two differences between records of one birth date are more often two
/// children.
pub const SURNAME_AND_FIRST_NAME_THRESHOLD: f64 = 0.8;
/// Dice similarity a fuzzy link needs (at least) when the surnames differ but the two
/// records share an exact key (same first name, birth month and mother's name): the exact
/// pass refused that link ([`SURNAME_MISMATCH_THRESHOLD`]), the fuzzy pass takes it back
/// only for a close encoding (a typo in the surname), not for a namesake.
pub const SHARED_KEY_SURNAME_THRESHOLD: f64 = 0.85;
/// First-name similarity a fuzzy link must exceed (strictly: twins differ by their first
/// name, and two twins sitting exactly on this value are two children).
pub const FIRST_NAME_THRESHOLD: f64 = 0.4;
/// Representatives kept per exact-key group: one per cluster the group holds (records
/// that agree with none of them). A key group is a handful of records of one child, or of
/// a few homonyms; past this many distinct clusters a record is compared with these only.
pub const MAX_REPRESENTATIVES: usize = 16;

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
    /// Records whose key group already held [`MAX_REPRESENTATIVES`] distinct clusters:
    /// compared with those only, not kept as a representative.
    pub representants_plafonnes: usize,
    pub liens_flous: usize,
    pub paires_comparees: usize,
    /// Fuzzy blocks left out because they hold more than [`fuzzy::MAX_BLOCK`] clusters
    /// (their pairs can still meet in a block of another blocking key).
    pub blocs_trop_grands: usize,
    /// Fuzzy links whose runner-up is within 0,02 of the chosen similarity.
    pub paires_ambigues: usize,
    /// Pairs above the threshold not linked because one side was already linked.
    pub paires_ecartees: usize,
    pub seuil: f64,
    /// Accepted fuzzy similarities by bin (`0,80–0,85` …).
    pub distribution_similarites: BTreeMap<String, usize>,
}

pub(crate) struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
        }
    }
    pub(crate) fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
    /// Joins the sets of `a` and `b`; the smaller index stays root (deterministic).
    pub(crate) fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[hi] = lo;
        true
    }
}

/// A text column, borrowed (no copy of its values).
fn text<'a>(df: &'a DataFrame, name: &str) -> Result<Vec<Option<&'a str>>, Error> {
    Ok(df.column(name)?.str()?.iter().collect())
}

/// A text column, or all nulls when the extract does not have it.
fn optional_text<'a>(df: &'a DataFrame, name: &str) -> Result<Vec<Option<&'a str>>, Error> {
    match df.column(name) {
        Ok(_) => text(df, name),
        Err(_) => Ok(vec![None; df.height()]),
    }
}

/// Bloom encodings decoded once from their hex form (in parallel).
fn decode(hex: &[Option<&str>]) -> Vec<Option<Clk>> {
    hex.par_iter().map(|c| c.and_then(Clk::from_hex)).collect()
}

/// What the exact and fuzzy passes read of each record.
pub(crate) struct Records<'a> {
    pub services: Vec<Option<&'a str>>,
    pub clks: Vec<Option<Clk>>,
    pub controls: Vec<Option<&'a str>>,
    pub surnames: Vec<Option<&'a str>>,
    /// First-name encodings, still in hex: decoded only for the fuzzy pass's profiles.
    pub first_names: Vec<Option<&'a str>>,
    /// Sex (generalised column of the extract), for blocking only.
    pub sexes: Vec<Option<&'a str>>,
}

impl Records<'_> {
    /// Two records sharing an exact key are the same person unless what else is known
    /// contradicts it: different birth dates (day and month in either order), or
    /// encodings too dissimilar (homonyms: same first name, birth month and mother's
    /// name, but another child).
    fn agree(&self, i: usize, j: usize, verification: f64) -> bool {
        if let (Some(a), Some(b)) = (self.controls[i], self.controls[j])
            && a != b
        {
            return false;
        }
        let similarity = match (&self.clks[i], &self.clks[j]) {
            (Some(a), Some(b)) => a.dice(b),
            _ => return true,
        };
        // Another surname (the key does not hold it) needs near-identical encodings.
        let same_surname = match (self.surnames[i], self.surnames[j]) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        similarity >= verification && (same_surname || similarity >= SURNAME_MISMATCH_THRESHOLD)
    }
}

/// Exact linkage on one key column: each record is compared with the representatives of
/// its key group — the first record of each cluster the group met, at most
/// [`MAX_REPRESENTATIVES`] — and joins the first that agrees. A record that agrees with
/// one is represented by it from then on; one that agrees with none is refused (when the
/// group was not empty) and becomes a representative. Linear in the records.
fn exact_key(
    values: &[Option<&str>],
    records: &Records,
    verification: f64,
    uf: &mut UnionFind,
    any_key: &mut [bool],
    report: &mut Report,
) -> usize {
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::with_capacity(values.len());
    let mut links = 0;
    for (i, v) in values.iter().enumerate() {
        let Some(v) = v else { continue };
        any_key[i] = true;
        let reps = groups.entry(v).or_default();
        match reps
            .iter()
            .copied()
            .find(|&j| records.agree(i, j, verification))
        {
            Some(j) => {
                if uf.union(i, j) {
                    links += 1;
                }
            }
            None => {
                if !reps.is_empty() {
                    report.liens_exacts_refuses += 1;
                }
                if reps.len() < MAX_REPRESENTATIVES {
                    reps.push(i);
                } else {
                    report.representants_plafonnes += 1;
                }
            }
        }
    }
    links
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
    let mut any_key = vec![false; n];
    // Bloom encodings and birth-date controls, used to verify exact links and for the
    // fuzzy pass.
    let records = Records {
        services: text(extract, col::SERVICE)?,
        clks: decode(&optional_text(extract, pcol::CLK)?),
        controls: optional_text(extract, pcol::BIRTH_CONTROL)?,
        surnames: optional_text(extract, pcol::SURNAME_CONTROL)?,
        first_names: optional_text(extract, pcol::FIRST_NAME_CLK)?,
        sexes: optional_text(extract, "sexe")?,
    };

    // Exact stepwise linkage.
    let mut keys: Vec<Vec<Option<&str>>> = Vec::new();
    for name in pseudonym_columns(extract) {
        let values = text(extract, &name)?;
        let links = exact_key(
            &values,
            &records,
            settings.verification,
            &mut uf,
            &mut any_key,
            &mut report,
        );
        report.liens_exacts.push(links);
        keys.push(values);
    }
    file_links(extract, &mut uf, &mut any_key, &mut report)?;
    for (i, c) in records.clks.iter().enumerate() {
        if c.is_some() {
            any_key[i] = true;
        }
    }
    report.enregistrements_sans_cle = any_key.iter().filter(|k| !**k).count();

    if settings.fuzzy {
        let mut blocks: Vec<Vec<Option<&str>>> = Vec::new();
        for b in 1..=pcol::BLOCKS {
            blocks.push(optional_text(
                extract,
                &format!("{}{b}", pcol::BLOCK_PREFIX),
            )?);
        }
        fuzzy::pass(&records, &keys, &blocks, settings, &mut uf, &mut report);
    }

    let (persons, count) = person_ids(&mut uf, n);
    report.personnes = count;
    let mut out = extract.clone();
    out.with_column(Column::new(col::PERSON.into(), persons))?;
    Ok((out, report))
}

/// Links the records that share a file pseudonym (same file number in the same
/// service), when the extract has one.
fn file_links(
    extract: &DataFrame,
    uf: &mut UnionFind,
    any_key: &mut [bool],
    report: &mut Report,
) -> Result<(), Error> {
    if extract.column(pcol::FILE_PSEUDONYM).is_err() {
        return Ok(());
    }
    let values = text(extract, pcol::FILE_PSEUDONYM)?;
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, v) in values.iter().enumerate() {
        let Some(v) = v else { continue };
        any_key[i] = true;
        match first.get(v) {
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
    Ok(())
}

/// Person ids (`p0000000`…) in order of first appearance, and how many persons.
fn person_ids(uf: &mut UnionFind, n: usize) -> (Vec<String>, usize) {
    let mut ids: Vec<usize> = vec![usize::MAX; n];
    let mut next = 0usize;
    let mut persons: Vec<String> = Vec::with_capacity(n);
    for i in 0..n {
        let r = uf.find(i);
        if ids[r] == usize::MAX {
            ids[r] = next;
            next += 1;
        }
        persons.push(format!("p{:07}", ids[r]));
    }
    (persons, next)
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

    /// A filter with the given bits set, in hex.
    fn bits(set: impl IntoIterator<Item = usize>) -> String {
        let mut c = Clk::empty();
        for b in set {
            c.0[b / 64] |= 1 << (b % 64);
        }
        c.to_hex()
    }

    fn persons(out: &DataFrame) -> Vec<String> {
        out.column("personne")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap().to_string())
            .collect()
    }

    #[test]
    fn twins_exactly_on_the_first_name_guard_stay_apart() {
        // Two records of two services, same encoding, same birth date: only their
        // first names tell them apart. First names sharing 4 of 10 bits: Dice exactly
        // 0,40 (= the guard): twins, two children. Sharing 5 of 10: 0,50, one child.
        let whole = bits(0..200);
        for (shared, linked) in [(4, false), (5, true)] {
            let second = bits((10 - shared)..(20 - shared));
            let first = bits(0..10);
            let df = df![
                "service" => ["A", "B"],
                "pseudonyme_1" => [Some("k0"), Some("k1")],
                "clk" => [Some(whole.clone()), Some(whole.clone())],
                "clk_prenom" => [Some(first), Some(second)],
                "controle_naissance" => [Some("d"), Some("d")],
                "bloc_1" => [Some("b"), Some("b")],
            ]
            .unwrap();
            let (out, r) = link(&df, &Settings::default()).unwrap();
            let p = persons(&out);
            assert_eq!(p[0] == p[1], linked, "{shared} bits shared: {r:?}");
            assert_eq!(r.paires_comparees, 1);
            assert_eq!(r.liens_flous, usize::from(linked));
        }
        let a = Clk::from_hex(&bits(0..10)).unwrap();
        let b = Clk::from_hex(&bits(6..16)).unwrap();
        assert_eq!(a.dice(&b), FIRST_NAME_THRESHOLD);
    }

    #[test]
    fn different_surnames_need_a_closer_encoding() {
        // Two records of two services born the same day, encodings at Dice 0,78 (above
        // the 0,75 threshold, below 0,80 and 0,85).
        let (a, b) = (bits(0..100), bits(22..122));
        assert_eq!(
            Clk::from_hex(&a).unwrap().dice(&Clk::from_hex(&b).unwrap()),
            0.78
        );
        let same = bits(0..10);
        let other = bits(5..15); // first-name Dice 0,50: above the twin guard
        // (second surname, second first name, second key 1, linked?)
        for (surname, first_name, key, linked) in [
            ("n1", &same, "k1", true),
            ("n2", &same, "k2", true),
            ("n2", &other, "k2", false),
            ("n1", &other, "k2", true),
            ("n2", &same, "k1", false),
        ] {
            let df = df![
                "service" => ["A", "B"],
                "pseudonyme_1" => [Some("k1"), Some(key)],
                "clk" => [Some(a.clone()), Some(b.clone())],
                "clk_prenom" => [Some(same.clone()), Some(first_name.clone())],
                "controle_naissance" => [Some("d"), Some("d")],
                "controle_nom" => [Some("n1"), Some(surname)],
                "bloc_1" => [Some("b"), Some("b")],
            ]
            .unwrap();
            let (out, r) = link(&df, &Settings::default()).unwrap();
            let p = persons(&out);
            assert_eq!(p[0] == p[1], linked, "{surname} {key}: {r:?}");
        }
    }

    #[test]
    fn exact_keys_compare_with_representatives_only() {
        // One key group: 40 records of one child (same control), then 20 homonyms born
        // on other days, each its own cluster. The child's records join the first one;
        // each homonym is refused and becomes a representative, up to the cap.
        let n_child = 40;
        let n_homonyms = MAX_REPRESENTATIVES + 4;
        let mut controls: Vec<String> = vec!["same".into(); n_child];
        controls.extend((0..n_homonyms).map(|h| format!("other{h}")));
        let n = controls.len();
        let services: Vec<String> = (0..n).map(|i| format!("S{}", i % 3)).collect();
        let df = df![
            "service" => services,
            "pseudonyme_1" => vec!["k"; n],
            "controle_naissance" => controls,
        ]
        .unwrap();
        let (out, r) = link(&df, &Settings::default()).unwrap();
        let p = persons(&out);
        assert!(p[..n_child].iter().all(|x| *x == p[0]));
        assert_eq!(r.liens_exacts, vec![n_child - 1]);
        assert_eq!(r.liens_exacts_refuses, n_homonyms);
        // The child plus the first MAX_REPRESENTATIVES - 1 homonyms fill the group.
        assert_eq!(
            r.representants_plafonnes,
            n_homonyms - (MAX_REPRESENTATIVES - 1)
        );
        assert_eq!(r.personnes, 1 + n_homonyms);
    }

    #[test]
    fn fuzzy_result_does_not_depend_on_threads() {
        // Many near-duplicate pairs across two services in one block: the same links
        // and counts with 1 and 2 threads.
        let k = SecretKey::from_bytes([3; 32]);
        let names = [
            "LEA", "LEO", "LENA", "LEON", "ELEA", "LEANE", "LEIA", "LEAH",
        ];
        let mut service = Vec::new();
        let mut clks = Vec::new();
        let mut keys = Vec::new();
        for (s, surname) in [("A", "MARTIN"), ("B", "MARTINE")] {
            for (i, p) in names.iter().enumerate() {
                service.push(s.to_string());
                keys.push(format!("{s}{i}"));
                clks.push(
                    Clk::encode(
                        &k,
                        &ClkInput {
                            prenom: Some(p),
                            nom: Some(surname),
                            nom_mere: None,
                            naissance: chrono::NaiveDate::from_ymd_opt(2012, 3, 7),
                            sexe: None,
                        },
                    )
                    .map(|c| c.to_hex()),
                );
            }
        }
        let blocks = vec!["b"; service.len()];
        let df = df![
            "service" => service,
            "pseudonyme_1" => keys,
            "clk" => clks,
            "bloc_1" => blocks,
        ]
        .unwrap();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| link(&df, &Settings::default()).unwrap())
        };
        let (a, ra) = run(1);
        let (b, rb) = run(2);
        assert_eq!(persons(&a), persons(&b));
        assert_eq!(ra, rb);
        assert!(ra.liens_flous > 0, "{ra:?}");
    }
}
