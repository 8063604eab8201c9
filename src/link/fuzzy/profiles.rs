//! The profiles of the fuzzy pass: one per cluster left by the exact keys, with what
//! the comparison reads of it (its first encoding, controls, names' encodings, sex),
//! its exact-key pseudonyms and services in flat arrays ([`Spans`]), and its block
//! under each blocking key.

// Polars' fast hash: short keys (pseudonyms, codes) hashed once a record.
use polars::prelude::PlHashMap as HashMap;

use super::super::columns::{Bytes, Texts};
use super::super::{Records, UnionFind};
use super::{KEYS, NONE};
use crate::pseudonymise::bloom::Clk;

/// A cluster after the exact pass, as the fuzzy pass sees it. Its fields are dense ids
/// and record indices ([`NONE`]: absent) rather than borrowed values: 72 bytes a
/// profile instead of 120, 40 MB less at the top of a national linkage
/// (docs/architecture.md, « Benchmarks »).
pub(super) struct Profile<'a> {
    /// The cluster's union-find root (its smallest record index).
    pub(super) root: u32,
    /// The encoding of the cluster's first encoded record, as the extract's 128 bytes
    /// (borrowed: a decoded copy per cluster was 100 MB on a national network).
    pub(super) clk: &'a [u8],
    pub(super) ones: u32,
    /// First birth-date control of the cluster's records (in record order).
    control: u32,
    /// First surname control of the cluster's records.
    surname: u32,
    /// First mother's-name control of the cluster's records (same ids as `surname`).
    mother: u32,
    /// The first record of the cluster with a first-name encoding (decoded only for a
    /// pair that gets that far).
    first_name: u32,
    /// The first record of the cluster with a surname encoding.
    surname_clk: u32,
    /// First sex of the cluster's records, as a dense id.
    sex: u32,
    /// First birth month of the cluster's records (1–12; 0: none). One byte, so that
    /// the flag below fits beside it in the profile's 72 bytes.
    month: u8,
    /// Whether the mother's name of `mother` is one part of its record's double
    /// surname (`Records::mother_parts`).
    mother_part: bool,
    /// Block of each blocking key ([`NONE`]: no value, alone, or block too large).
    pub(super) blocks: [u32; KEYS],
}

fn known(v: u32) -> Option<u32> {
    (v != NONE).then_some(v)
}

impl Profile<'_> {
    pub(super) fn control(&self) -> Option<u32> {
        known(self.control)
    }

    pub(super) fn surname(&self) -> Option<u32> {
        known(self.surname)
    }

    pub(super) fn mother(&self) -> Option<u32> {
        known(self.mother)
    }

    pub(super) fn sex(&self) -> Option<u32> {
        known(self.sex)
    }

    pub(super) fn month(&self) -> Option<u32> {
        (self.month != 0).then_some(u32::from(self.month))
    }

    /// Whether the mother's name is known and one part of the child's double surname
    /// (her maiden name, or her married one: the father's part).
    pub(super) fn mother_in_surname(&self) -> bool {
        self.mother_part && self.mother().is_some()
    }

    /// The cluster's first-name encoding.
    pub(super) fn first_name(&self, records: &Records) -> Option<Clk> {
        let i = usize::try_from(known(self.first_name)?).ok()?;
        records.first_names.get(i).and_then(Clk::from_bytes)
    }

    /// Whether the first name of [`Profile::first_name`]'s record may be compound: not
    /// where its record says it is not; where it does not say (an extract of an earlier
    /// version, alone or stacked with newer ones), as linkage read it before.
    pub(super) fn compound_first_name(&self, records: &Records) -> bool {
        known(self.first_name)
            .is_none_or(|i| records.compound_first_names.get(i as usize) != Some(false))
    }

    /// The cluster's surname encoding.
    pub(super) fn surname_clk(&self, records: &Records) -> Option<Clk> {
        let i = usize::try_from(known(self.surname_clk)?).ok()?;
        records.surname_clks.get(i).and_then(Clk::from_bytes)
    }

    /// The letter control and neighbourhood of the first name, from the record the
    /// first-name encoding is taken from.
    pub(super) fn first_name_letters<'r>(&self, records: &Records<'r>) -> NameLetters<'r> {
        letters_at(
            self.first_name,
            &records.first_name_letters,
            &records.first_name_neighbours,
        )
    }

    /// The letter control and neighbourhood of the surname, from the record the surname
    /// encoding is taken from.
    pub(super) fn surname_letters<'r>(&self, records: &Records<'r>) -> NameLetters<'r> {
        letters_at(
            self.surname_clk,
            &records.surname_letters,
            &records.surname_neighbours,
        )
    }
}

/// A name's letter control and letter neighbourhood, as one record carries them.
pub(super) type NameLetters<'r> = (Option<&'r str>, Option<&'r [u8]>);

/// The letter control and neighbourhood of record `slot` ([`NONE`]: none).
fn letters_at<'r>(slot: u32, controls: &Texts<'r>, neighbours: &Bytes<'r>) -> NameLetters<'r> {
    match known(slot).and_then(|i| usize::try_from(i).ok()) {
        Some(i) => (controls.get(i), neighbours.get(i)),
        None => (None, None),
    }
}

/// Keeps record `i` in `slot` when the slot is still empty and `i` holds a readable
/// encoding in `column`.
fn first_encoded(slot: &mut u32, column: &Bytes, i: usize) {
    if *slot == NONE && column.get(i).is_some_and(|b| Clk::from_bytes(b).is_some()) {
        *slot = index(i);
    }
}

/// A record index as a profile field (the extract's height fits: linkage numbers its
/// records with `u32` ids throughout).
fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NONE)
}

/// Dense interning of text values in order of first appearance.
fn intern<'a>(ids: &mut HashMap<&'a str, u32>, v: &'a str) -> u32 {
    let next = ids.len() as u32;
    *ids.entry(v).or_insert(next)
}

/// What each profile holds of variable length, in flat arrays: two small vectors per
/// cluster were 90 MB on a national network (docs/architecture.md, « Benchmarks »).
pub(super) struct Spans {
    /// Exact-key pseudonyms of each profile's first encoded record, `width` per profile
    /// ([`NONE`]: no value).
    keys: Vec<u32>,
    width: usize,
    /// The services of profile `c` are `services[start[c]..start[c + 1]]`: the
    /// cluster's records' services, as sorted distinct ids.
    start: Vec<u32>,
    pub(super) services: Vec<u32>,
    /// The département of each service id ([`NONE`]: unknown).
    departments: Vec<u32>,
}

impl Spans {
    pub(super) fn services(&self, c: u32) -> &[u32] {
        let c = c as usize;
        match (self.start.get(c), self.start.get(c + 1)) {
            (Some(&a), Some(&b)) => self.services.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    fn keys(&self, c: u32) -> &[u32] {
        let a = c as usize * self.width;
        self.keys.get(a..a + self.width).unwrap_or(&[])
    }

    /// Whether profiles `a` and `b` are followed in known départements, none in common.
    pub(super) fn apart(&self, a: u32, b: u32) -> bool {
        let of = |c: u32| -> Vec<u32> {
            let mut d: Vec<u32> = self
                .services(c)
                .iter()
                .filter_map(|&s| self.departments.get(s as usize).copied())
                .filter(|&d| d != NONE)
                .collect();
            d.sort_unstable();
            d.dedup();
            d
        };
        let (x, y) = (of(a), of(b));
        !x.is_empty() && !y.is_empty() && !x.iter().any(|d| y.binary_search(d).is_ok())
    }

    /// Whether profiles `a` and `b` share an exact-key pseudonym.
    pub(super) fn shared_key(&self, a: u32, b: u32) -> bool {
        self.keys(a)
            .iter()
            .zip(self.keys(b))
            .any(|(x, y)| *x != NONE && x == y)
    }
}

/// One profile per cluster with an encoding, in order of the cluster's first encoded
/// record, with their keys and services.
pub(super) fn profiles<'a>(
    records: &Records<'a>,
    keys: &[Texts<'a>],
    blocks: &[Texts<'a>],
    uf: &mut UnionFind,
) -> (Vec<Profile<'a>>, Spans) {
    let (mut out, of_root, source) = seed_profiles(records, uf);
    let (start, services, departments) = fill_from_members(records, uf, &of_root, &mut out);
    let (keys, width) = keys_and_blocks(records, keys, blocks, &source, &mut out);
    (
        out,
        Spans {
            keys,
            width,
            start,
            services,
            departments,
        },
    )
}

/// The profiles with their encoding, one per cluster with an encoded record; the
/// profile of each cluster root (`NONE` for none) and the record whose blocking values
/// stand for each profile (its first encoded one).
fn seed_profiles<'a>(
    records: &Records<'a>,
    uf: &mut UnionFind,
) -> (Vec<Profile<'a>>, Vec<u32>, Vec<usize>) {
    let n = records.n;
    let mut of_root = vec![NONE; n];
    let mut out: Vec<Profile> = Vec::new();
    // The record whose blocking values stand for each profile.
    let mut source: Vec<usize> = Vec::new();
    for i in 0..n {
        let Some((bytes, c)) = records
            .clks
            .get(i)
            .and_then(|b| Some((b, Clk::from_bytes(b)?)))
        else {
            continue;
        };
        let r = uf.find(i);
        if of_root[r] == NONE {
            of_root[r] = out.len() as u32;
            source.push(i);
            out.push(Profile {
                root: index(r),
                clk: bytes,
                ones: c.count_ones(),
                control: NONE,
                first_name: NONE,
                surname: NONE,
                mother: NONE,
                surname_clk: NONE,
                sex: NONE,
                month: 0,
                mother_part: false,
                blocks: [NONE; KEYS],
            });
        }
    }
    (out, of_root, source)
}

/// Each profile's first birth-date control, surname control and first-name encoding
/// among its cluster's records; and all their services (sorted, once each), as the
/// start of each profile's run in a flat list ([`Spans`]) and the list.
fn fill_from_members<'a>(
    records: &Records<'a>,
    uf: &mut UnionFind,
    of_root: &[u32],
    out: &mut [Profile<'a>],
) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let n = records.n;
    let mut service_ids: HashMap<&str, u32> = HashMap::default();
    let mut control_ids: HashMap<&str, u32> = HashMap::default();
    let mut surname_ids: HashMap<&str, u32> = HashMap::default();
    let mut sex_ids: HashMap<&str, u32> = HashMap::default();
    let mut department_ids: HashMap<&str, u32> = HashMap::default();
    let mut departments: Vec<u32> = Vec::new();
    for i in 0..n {
        let p = of_root[uf.find(i)];
        if p == NONE {
            continue;
        }
        let p = &mut out[p as usize];
        if p.control == NONE
            && let Some(c) = records.controls.get(i)
        {
            p.control = intern(&mut control_ids, c);
        }
        if p.surname == NONE
            && let Some(s) = records.surnames.get(i)
        {
            p.surname = intern(&mut surname_ids, s);
        }
        // Mother's names and surnames share one id space: a mother's name can be
        // compared with a surname (the usage name).
        if p.mother == NONE
            && let Some(m) = records.mothers.get(i)
        {
            p.mother = intern(&mut surname_ids, m);
            p.mother_part = records.mother_parts.yes(i);
        }
        first_encoded(&mut p.first_name, &records.first_names, i);
        first_encoded(&mut p.surname_clk, &records.surname_clks, i);
        if p.sex == NONE
            && let Some(x) = records.sexes.get(i)
        {
            p.sex = intern(&mut sex_ids, x);
        }
        if p.month == 0
            && let Some(m) = records.months.get(i).copied().flatten()
        {
            p.month = u8::try_from(m).unwrap_or(0);
        }
        if let Some(s) = records.services.get(i) {
            let s = intern(&mut service_ids, s);
            pairs.push((of_root[uf.find(i)], s));
            if departments.len() <= s as usize {
                departments.resize(s as usize + 1, NONE);
            }
            if departments[s as usize] == NONE
                && let Some(d) = records.departments.get(i)
            {
                departments[s as usize] = intern(&mut department_ids, d);
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut start = vec![0u32; out.len() + 1];
    for &(c, _) in &pairs {
        if let Some(s) = start.get_mut(c as usize + 1) {
            *s += 1;
        }
    }
    for c in 0..out.len() {
        start[c + 1] += start[c];
    }
    (
        start,
        pairs.into_iter().map(|(_, s)| s).collect(),
        departments,
    )
}

/// The exact-key pseudonyms and blocking values of each profile's source record, as
/// dense ids per column.
fn keys_and_blocks<'a>(
    records: &Records<'a>,
    keys: &[Texts<'a>],
    blocks: &[Texts<'a>],
    source: &[usize],
    out: &mut [Profile],
) -> (Vec<u32>, usize) {
    // Exact-key pseudonyms of each profile's source record, `width` per profile. Each
    // table is made at its final size: clusters left apart by the exact keys seldom
    // share a key value, and a table grown to 770 000 entries by doubling is rebuilt
    // some eighteen times on the way.
    let width = keys.len();
    let mut flat = vec![NONE; out.len() * width];
    for (k, column) in keys.iter().enumerate() {
        let mut ids: HashMap<&str, u32> =
            HashMap::with_capacity_and_hasher(source.len(), Default::default());
        for (c, &i) in source.iter().enumerate() {
            if let Some(slot) = flat.get_mut(c * width + k) {
                *slot = column.get(i).map_or(NONE, |v| intern(&mut ids, v));
            }
        }
    }
    // Blocking values of each profile's source record (as bytes: a first-name encoding
    // is one).
    let values = |k: usize, i: usize| -> Option<(&[u8], &[u8])> {
        match k {
            0 => records
                .controls
                .get(i)
                .map(|c| (c.as_bytes(), records.sexes.get(i).unwrap_or("").as_bytes())),
            1 => records
                .surnames
                .get(i)
                .map(str::as_bytes)
                .zip(records.first_names.get(i)),
            _ => blocks
                .get(k - 2)
                .and_then(|b| b.get(i))
                .map(|b| (b.as_bytes(), &b""[..])),
        }
    };
    for k in 0..KEYS {
        // Blocks share their values by design: grown as they fill, not sized for
        // every profile.
        let mut ids: HashMap<(&[u8], &[u8]), u32> = HashMap::default();
        for (p, &i) in out.iter_mut().zip(source) {
            if let Some(v) = values(k, i) {
                let next = ids.len() as u32;
                p.blocks[k] = *ids.entry(v).or_insert(next);
            }
        }
    }
    (flat, width)
}
