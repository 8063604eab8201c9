//! Stage 3 — link, at the observatory. Recognises the same person across records and
//! sources from pseudonymised extracts only: exact stepwise linkage over the key set
//! (strict key first, then looser ones, then the within-service file number), each record
//! compared with a bounded set of cluster representatives of its key group; then an
//! optional fuzzy pass ([`fuzzy`]) comparing keyed Bloom-filter encodings with Dice
//! similarity, only between clusters that can still gain a link, inside capped keyed
//! blocks, in parallel, with one-to-one greedy assignment above a threshold. Adds the
//! `personne` column and reports how each link was made (docs/architecture.md, Linkage).

mod columns;
pub mod fuzzy;
pub mod quality;

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use serde::Serialize;

use crate::error::Error;
use crate::pseudonymise::bloom::Clk;
use crate::pseudonymise::{columns as pcol, pseudonym_columns};
use crate::tables::columns as col;
use columns::{Bytes, Flags, Texts};

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
/// records share an exact key (with the default keys: same first name, birth month and
/// mother's name): the exact pass refused that link ([`SURNAME_MISMATCH_THRESHOLD`]),
/// the fuzzy pass takes it back only for a close encoding (a typo in the surname), not
/// for a namesake.
pub const SHARED_KEY_SURNAME_THRESHOLD: f64 = 0.85;
/// Dice similarity a fuzzy link needs (at least) when both mothers' names are known and
/// differ, neither being one of the two surnames (a married name): only a typo in her
/// name leaves the encodings this close.
pub const MOTHER_MISMATCH_THRESHOLD: f64 = 0.9;
/// Surname-encoding similarity below which two different surnames are two families,
/// not a typo (one mistyped letter keeps well over half of a name's bigrams).
pub const SURNAME_TYPO_THRESHOLD: f64 = 0.5;
/// First-name similarity below which two first names are clearly different (a usual
/// first name, or twins), not a typo.
pub const DIFFERENT_FIRST_NAME: f64 = 0.6;
/// Dice similarity a fuzzy link needs (at least) when the first names are clearly
/// different ([`DIFFERENT_FIRST_NAME`]) and no mother's name is known in common.
pub const DIFFERENT_FIRST_NAME_THRESHOLD: f64 = 0.8;
/// The same, when both records carry the same mother's name.
pub const DIFFERENT_FIRST_NAME_SAME_MOTHER_THRESHOLD: f64 = 0.75;
/// First-name similarity a fuzzy link must exceed (strictly: twins differ by their first
/// name, and two twins sitting exactly on this value are two children).
pub const FIRST_NAME_THRESHOLD: f64 = 0.4;
/// Whether two spellings of one name (first name or surname) are one slip of the pen
/// apart, from the bigrams each lacks of the other
/// ([`Clk::name_bigram_difference`]): at most three lost and three gained, differing by
/// at most one (a substitution, a transposition, a letter inserted or dropped), or none
/// lost on one side (a doubled letter). Two names further apart are two names: twins'
/// first names often share half their bigrams, so a similarity cannot tell them from a
/// typo (docs/architecture.md, Linkage).
pub fn one_slip((lost, gained): (u32, u32)) -> bool {
    (lost.max(gained) <= 3 && lost.abs_diff(gained) <= 1) || lost.min(gained) == 0
}

/// Whether one name is the other shortened to its first part (`JEANBAPTISTE` →
/// `JEAN`): only the short name's last bigram is missing from the long one.
pub fn shortened((lost, gained): (u32, u32)) -> bool {
    lost.min(gained) == 1 && lost.max(gained) >= 4
}

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
    /// Pairs close enough by their encodings but refused by their first names: further
    /// than one slip apart (twins), at the twin guard or below, or another first name
    /// with another sex.
    pub paires_refusees_prenoms: usize,
    /// Pairs whose birth dates only swap day and month, refused because the two are
    /// followed in known départements, none in common (namesakes, not a slip); counted
    /// where the pair was otherwise close enough to link (encodings at the threshold,
    /// or every field agreeing).
    pub paires_refusees_dates_inversees: usize,
    /// Pairs sharing an exact key (with the default keys: same first name, birth month
    /// and mother's name) whose surnames are neither one slip apart nor the one part of
    /// the other, and neither a mother's name: another family's namesakes, refused
    /// although their encodings reached what a changed surname needs and their first
    /// names agreed.
    pub paires_refusees_noms_inexpliques: usize,
    /// Pairs above the threshold not linked because one side was already linked.
    pub paires_ecartees: usize,
    pub seuil: f64,
    /// Encodings present but unreadable in the partners' extracts (damaged or forged),
    /// read as absent: those records are linked by their exact keys only. Counted by the
    /// run as the extracts arrive, before any conversion or re-keying could hide them
    /// ([`crate::pseudonymise::unreadable_encodings`]).
    pub encodages_illisibles: usize,
    /// The same, by extract file (its name as messages show it).
    pub fichiers_encodages_illisibles: BTreeMap<String, usize>,
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

/// The length of a record encoding in bytes; any other value is not one.
const ENCODING_BYTES: usize = crate::pseudonymise::bloom::BITS / 8;

/// What the exact and fuzzy passes read of each record.
/// Columns read in place ([`columns`]); encodings as bytes, decoded where compared
/// (a decoded copy of every record's would be 136 MB on a national network).
pub(crate) struct Records<'a> {
    /// Number of records.
    pub n: usize,
    pub services: Texts<'a>,
    /// Record encodings (values of another length read as absent).
    pub clks: Bytes<'a>,
    pub controls: Texts<'a>,
    pub surnames: Texts<'a>,
    /// Mother's-name controls, comparable with the surname controls.
    pub mothers: Texts<'a>,
    /// Whether each record's mother's name is one part of the child's double surname
    /// (`mere_partie_du_nom`): it then tells nothing of her.
    pub mother_parts: Flags<'a>,
    /// Whether each record's first name is compound (`prenom_compose`).
    pub compound_first_names: Flags<'a>,
    /// First-name encodings, still as bytes: decoded only for the fuzzy pass's profiles.
    pub first_names: Bytes<'a>,
    /// Surname encodings, still as bytes (as the first names').
    pub surname_clks: Bytes<'a>,
    /// Sex (generalised column of the extract), for blocking only.
    pub sexes: Texts<'a>,
    /// Letter controls of the first name and of the surname (their letters in
    /// alphabetical order, keyed): equal for two spellings that only swap letters.
    pub first_name_letters: Texts<'a>,
    pub surname_letters: Texts<'a>,
    /// Letter neighbourhoods of the first name and of the surname: two meet when the
    /// names are at most one letter apart ([`crate::pseudonymise::letters`]).
    pub first_name_neighbours: Bytes<'a>,
    pub surname_neighbours: Bytes<'a>,
    /// Birth month (1–12) of each record, when known.
    pub months: Vec<Option<u32>>,
    /// Département of each record's service ([`SERVICE_DEPARTMENT`]), when known.
    pub departments: Texts<'a>,
}

impl Records<'_> {
    /// Two records sharing an exact key are the same person unless what else is known
    /// contradicts it: different birth dates (day and month in either order), or
    /// encodings too dissimilar (homonyms: same first name, birth month and mother's
    /// name, but another child).
    fn agree(&self, i: usize, j: usize, verification: f64) -> bool {
        if let (Some(a), Some(b)) = (self.controls.get(i), self.controls.get(j))
            && a != b
        {
            return false;
        }
        let similarity = match (
            self.clks.get(i).and_then(Clk::from_bytes),
            self.clks.get(j).and_then(Clk::from_bytes),
        ) {
            (Some(a), Some(b)) => a.dice(&b),
            _ => return true,
        };
        // Another surname (the key does not hold it) needs near-identical encodings.
        let same_surname = match (self.surnames.get(i), self.surnames.get(j)) {
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
    values: Texts,
    records: &Records,
    verification: f64,
    uf: &mut UnionFind,
    any_key: &mut [bool],
    report: &mut Report,
) -> usize {
    use rayon::prelude::*;
    use std::hash::BuildHasher;
    // A key's records all fall in one shard (by the key's hash), taken in record order:
    // each shard decides what one pass over every record would, the shards on all
    // cores. The links found are then joined one after another; how many of them join
    // two clusters does not depend on their order.
    let state = PlRandomState::default();
    let shard_of: Vec<Option<u8>> = (0..records.n)
        .into_par_iter()
        .map(|i| {
            values
                .get(i)
                .map(|v| (state.hash_one(v) % EXACT_SHARDS as u64) as u8)
        })
        .collect();
    let mut shards: Vec<Vec<usize>> = vec![Vec::new(); EXACT_SHARDS];
    for (i, (shard, k)) in shard_of.iter().zip(any_key.iter_mut()).enumerate() {
        if let Some(s) = shard {
            *k = true;
            shards[usize::from(*s)].push(i);
        }
    }
    drop(shard_of);
    let found: Vec<ShardLinks> = shards
        .par_iter()
        .map(|shard| exact_shard(shard, values, records, verification))
        .collect();
    let mut links = 0;
    for f in found {
        report.liens_exacts_refuses += f.refused;
        report.representants_plafonnes += f.capped;
        for (i, j) in f.pairs {
            if uf.union(i, j) {
                links += 1;
            }
        }
    }
    links
}

/// Shards of an exact pass ([`exact_key`]).
const EXACT_SHARDS: usize = 64;

/// What one shard of an exact pass found: record pairs that agree, refused records,
/// records not kept as representatives past the cap.
struct ShardLinks {
    pairs: Vec<(usize, usize)>,
    refused: usize,
    capped: usize,
}

/// The exact pass over the records `rows` (in record order, every record of each of
/// their keys).
fn exact_shard(rows: &[usize], values: Texts, records: &Records, verification: f64) -> ShardLinks {
    // Most groups keep one representative: held inline, a vector only for the others
    // (one allocation per key value was 48 MB a key on a national network). Polars'
    // fast hash, not SipHash: the keys are keyed pseudonyms, which no file can choose.
    let mut groups: HashMap<&str, (usize, Vec<usize>), PlRandomState> =
        HashMap::with_capacity_and_hasher(rows.len(), PlRandomState::default());
    let mut out = ShardLinks {
        pairs: Vec::new(),
        refused: 0,
        capped: 0,
    };
    for &i in rows {
        let Some(v) = values.get(i) else { continue };
        let (first, more) = match groups.entry(v) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert((i, Vec::new()));
                continue;
            }
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        };
        match std::iter::once(*first)
            .chain(more.iter().copied())
            .find(|&j| records.agree(i, j, verification))
        {
            Some(j) => out.pairs.push((i, j)),
            None => {
                out.refused += 1;
                if 1 + more.len() < MAX_REPRESENTATIVES {
                    more.push(i);
                } else {
                    out.capped += 1;
                }
            }
        }
    }
    out
}

/// Links the records of a (re-keyed) pseudonymised extract; returns it with `personne`.
pub fn link(extract: &DataFrame, settings: &Settings) -> Result<(DataFrame, Report), Error> {
    // Encodings in hexadecimal (an extract of an earlier version) are read as bytes, and
    // every column is one array, read in place (a stacked table already is).
    let extract = &{
        let mut df = crate::pseudonymise::encodings_as_binary(extract.clone())?;
        df.rechunk_mut_par();
        df
    };
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
        n,
        services: Texts::read(extract, col::SERVICE)?,
        clks: Bytes::optional(extract, pcol::CLK, Some(ENCODING_BYTES))?,
        controls: Texts::optional(extract, pcol::BIRTH_CONTROL)?,
        surnames: Texts::optional(extract, pcol::SURNAME_CONTROL)?,
        mothers: Texts::optional(extract, pcol::MOTHER_CONTROL)?,
        mother_parts: Flags::optional(extract, pcol::MOTHER_IN_SURNAME)?,
        compound_first_names: Flags::optional(extract, pcol::COMPOUND_FIRST_NAME)?,
        first_names: Bytes::optional(extract, pcol::FIRST_NAME_CLK, None)?,
        surname_clks: Bytes::optional(extract, pcol::SURNAME_CLK, None)?,
        sexes: Texts::optional(extract, "sexe")?,
        first_name_letters: Texts::optional(extract, pcol::FIRST_NAME_LETTERS)?,
        surname_letters: Texts::optional(extract, pcol::SURNAME_LETTERS)?,
        first_name_neighbours: Bytes::optional(extract, pcol::FIRST_NAME_NEIGHBOURS, None)?,
        surname_neighbours: Bytes::optional(extract, pcol::SURNAME_NEIGHBOURS, None)?,
        months: months(extract)?,
        departments: Texts::optional(extract, SERVICE_DEPARTMENT)?,
    };

    // Exact stepwise linkage.
    let mut keys: Vec<Texts> = Vec::new();
    for name in pseudonym_columns(extract) {
        let values = Texts::read(extract, &name)?;
        let links = exact_key(
            values,
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
    for (i, k) in any_key.iter_mut().enumerate() {
        if records.clks.get(i).is_some() {
            *k = true;
        }
    }
    report.enregistrements_sans_cle = any_key.iter().filter(|k| !**k).count();
    // The exact passes' maps are freed: given back before the fuzzy pass builds its
    // profiles (docs/architecture.md, « Benchmarks »).
    crate::memory::release_freed();

    if settings.fuzzy {
        let mut blocks: Vec<Texts> = Vec::new();
        for b in 1..=pcol::BLOCKS {
            blocks.push(Texts::optional(
                extract,
                &format!("{}{b}", pcol::BLOCK_PREFIX),
            )?);
        }
        fuzzy::pass(&records, &keys, &blocks, settings, &mut uf, &mut report);
    }

    let (persons, count) = person_ids(&mut uf, n);
    report.personnes = count;
    let mut out = extract.clone();
    out.with_column(persons)?;
    Ok((out, report))
}

/// Column of the linked table giving the département of each record's service (from
/// the services' directory, added by the run before linkage): two records whose birth
/// dates only swap day and month are one child's where they are followed in one
/// département, and a namesake's elsewhere (docs/architecture.md, Linkage).
pub const SERVICE_DEPARTMENT: &str = "departement_service";

/// The birth month of each record (`None`: unknown, or no such column).
fn months(extract: &DataFrame) -> Result<Vec<Option<u32>>, Error> {
    let Ok(c) = extract.column(pcol::BIRTH_MONTH) else {
        return Ok(vec![None; extract.height()]);
    };
    let c = c.cast(&DataType::Int32)?;
    Ok(c.i32()?
        .iter()
        .map(|m| {
            m.and_then(|m| u32::try_from(m).ok())
                .filter(|m| (1..=12).contains(m))
        })
        .collect())
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
    let values = Texts::read(extract, pcol::FILE_PSEUDONYM)?;
    // Keyed pseudonyms: Polars' fast hash, as in `exact_shard`.
    let mut first: HashMap<&str, usize, PlRandomState> = HashMap::default();
    for (i, k) in any_key.iter_mut().enumerate() {
        let Some(v) = values.get(i) else { continue };
        *k = true;
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
fn person_ids(uf: &mut UnionFind, n: usize) -> (Column, usize) {
    use std::fmt::Write as _;
    let mut ids: Vec<usize> = vec![usize::MAX; n];
    let mut next = 0usize;
    // Written straight into the Arrow column through one buffer: a `String` per record
    // first was 60 MB more at the end of a national linkage.
    let mut persons = StringChunkedBuilder::new(col::PERSON.into(), n);
    let mut id = String::new();
    for i in 0..n {
        let r = uf.find(i);
        if ids[r] == usize::MAX {
            ids[r] = next;
            next += 1;
        }
        id.clear();
        let _ = write!(id, "p{:07}", ids[r]);
        persons.append_value(&id);
    }
    (persons.finish().into_column(), next)
}

#[cfg(test)]
mod tests;
