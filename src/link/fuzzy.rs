//! The fuzzy pass of linkage (docs/architecture.md, Linkage): after the exact keys, each
//! cluster is one profile (the encoding of its first record that has one); profiles that
//! can still gain a link are grouped by several keyed blocking keys, blocks larger than
//! [`MAX_BLOCK`] are left out (and counted), every pair met in a block is compared once
//! — in parallel, Dice by word-level popcount on the 1 024-bit encodings — and the pairs
//! above the threshold are accepted greedily, best first, one-to-one. The output does not
//! depend on the number of threads: candidates are sorted on a total order.

use std::collections::HashMap;

use polars::prelude::PlRandomState;
use rayon::prelude::*;

use super::columns::Texts;
use super::{
    DIFFERENT_DATES_THRESHOLD, DIFFERENT_FIRST_NAME, DIFFERENT_FIRST_NAME_SAME_MOTHER_THRESHOLD,
    DIFFERENT_FIRST_NAME_THRESHOLD, FIRST_NAME_THRESHOLD, MOTHER_MISMATCH_THRESHOLD, Records,
    Report, SHARED_KEY_SURNAME_THRESHOLD, SURNAME_AND_FIRST_NAME_THRESHOLD, SURNAME_TYPO_THRESHOLD,
    Settings, UnionFind, shortened,
};

mod names;
mod profiles;
use names::{FirstNames, Letters, Spellings, first_name_relation, slip};
use profiles::{Profile, Spans, profiles};

/// Largest block compared (in clusters): at most `MAX_BLOCK²/2` pairs per block, so the
/// pairs grow with the number of blocks, i.e. about linearly with the records.
pub const MAX_BLOCK: usize = 256;

/// Blocking keys, in the order pairs are attributed to them: the birth-date control (the
/// full date, day and month in either order) with the sex, surname control with the first name's
/// encoding (a wrong birth date), then the partner's three keyed blocks (birth year with
/// month, with the first name's first letters, with the surname's first letters).
const KEYS: usize = 5;
const NONE: u32 = u32::MAX;

/// A pair above the threshold: (similarity, smaller root, larger root).
type Candidate = (f64, usize, usize);

fn disjoint(x: &[u32], y: &[u32]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        match x[i].cmp(&y[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return false,
        }
    }
    true
}

/// Sørensen–Dice with the first operand's popcount known: same value, bit for bit, as
/// [`Clk::dice`].
fn dice(a: &[u8], ones_a: u32, b: &[u8], ones_b: u32) -> f64 {
    let inter = common_ones(a, b);
    let total = ones_a + ones_b;
    if total == 0 {
        0.0
    } else {
        2.0 * f64::from(inter) / f64::from(total)
    }
}

/// The bits set in both encodings. Tens of millions of pairs are compared at national
/// scale, and the baseline x86-64 target has no popcount instruction: where the
/// processor has one (nearly every x86-64 since 2008), the count is compiled with it,
/// chosen at run time (the standard library caches the detection).
#[inline]
fn common_ones(a: &[u8], b: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the processor has the feature the function is compiled for.
        return unsafe { common_ones_popcnt(a, b) };
    }
    common_ones_portable(a, b)
}

#[inline(always)]
fn common_ones_portable(a: &[u8], b: &[u8]) -> u32 {
    let word = |c: &[u8]| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
    a.chunks_exact(8)
        .zip(b.chunks_exact(8))
        .map(|(x, y)| (word(x) & word(y)).count_ones())
        .sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn common_ones_popcnt(a: &[u8], b: &[u8]) -> u32 {
    common_ones_portable(a, b)
}

/// What one block gave: pairs compared, refused (by their first names, as namesakes born
/// on the mirrored day, as a changed surname nothing explains) and the candidates found.
#[derive(Default)]
struct Compared {
    compared: usize,
    first_names: usize,
    mirrored: usize,
    unexplained_surnames: usize,
    found: Vec<Candidate>,
}

/// Why [`needed_similarity`] refuses a pair whatever its encodings.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Refusal {
    /// Another family's surname: neither one slip from the other nor a part of it.
    Surname,
    /// Sharing an exact key, a changed surname that no mother's name explains; `floor`
    /// is the similarity it would have needed as a changed surname.
    UnexplainedSurname { floor: f64 },
}

fn compare_block(
    k: usize,
    members: &[u32],
    records: &Records,
    profiles: &[Profile],
    spans: &Spans,
    spellings: &Spellings,
    settings: &Settings,
) -> Compared {
    let mut out = Compared::default();
    for (x, &a) in members.iter().enumerate() {
        let pa = &profiles[a as usize];
        for &b in &members[x + 1..] {
            let pb = &profiles[b as usize];
            // Only clusters of different services can still gain a link; a pair that
            // shares the block of an earlier key was compared there.
            if !disjoint(spans.services(a), spans.services(b))
                || (0..k).any(|e| pa.blocks[e] != NONE && pa.blocks[e] == pb.blocks[e])
            {
                continue;
            }
            out.compared += 1;
            let d = dice(pa.clk, pa.ones, pb.clk, pb.ones);
            // Different birth dates (day and month in either order): only a
            // near-identical encoding may still be the same child with a mistyped
            // date; homonyms born on other days are not.
            let dates_differ = matches!((pa.control(), pb.control()), (Some(x), Some(y)) if x != y);
            if dates_differ && d < settings.threshold.max(DIFFERENT_DATES_THRESHOLD) {
                continue;
            }
            // Below the threshold, only a pair whose every field agrees or differs by one
            // slip, with one side's mother missing, is still taken.
            if d < settings.threshold
                && !(d >= FIELDWISE_FLOOR && fieldwise(pa, pb, records, spellings))
            {
                continue;
            }
            // One birth-date control but other birth months: day and month swapped. A
            // slip of the pen where one child is followed; two children followed in no
            // common département are namesakes born on the mirrored day, unless all
            // their names agree, their mother's own among them. Each is counted: the
            // pair was close enough to link otherwise.
            let mirror = matches!((pa.month(), pb.month()), (Some(x), Some(y)) if x != y);
            if mirror && spans.apart(a, b) && !same_names_and_own_mother(pa, pb, records) {
                out.mirrored += 1;
                continue;
            }
            // Twins share everything but the first name: a first-name similarity at
            // the guard or below is two children.
            let (fa, fb) = (pa.first_name(records), pb.first_name(records));
            let first_names = match (&fa, &fb) {
                (Some(x), Some(y)) => Some(x.dice(y)),
                _ => None,
            };
            let relation = first_name_relation(
                fa.as_ref(),
                fb.as_ref(),
                Letters::of(
                    pa.first_name_letters(records),
                    pb.first_name_letters(records),
                    &spellings.first,
                ),
                [
                    pa.compound_first_name(records),
                    pb.compound_first_name(records),
                ],
            );
            // Another first name and another sex: two children (a slip of the sex
            // alone, or of the first name alone, is still one).
            let sexes_differ = matches!((pa.sex(), pb.sex()), (Some(x), Some(y)) if x != y);
            // Swapped letters, or a rare spelling one letter from the other, are a slip
            // however few bigrams a short name keeps (`LEO`, `LOE`); twins are not
            // spelled with each other's letters, nor misspelt.
            let first_name_ok = (first_names.is_none_or(|f| f > FIRST_NAME_THRESHOLD)
                || relation == FirstNames::Misspelt)
                && relation != FirstNames::Other
                && !(sexes_differ && relation != FirstNames::Same);
            // A pair below the threshold got here by agreeing field by field; the others
            // need what their differences call for.
            let needed = (d >= settings.threshold).then(|| {
                needed_similarity(
                    (pa, pb),
                    (records, spellings),
                    first_names,
                    relation,
                    spans.shared_key(a, b),
                    settings.threshold,
                )
            });
            // An unexplained surname is counted where the encodings reached the floor
            // a changed surname needs and the first names agreed: a candidate before.
            if let Some(Err(Refusal::UnexplainedSurname { floor })) = needed
                && first_name_ok
                && d >= floor
            {
                out.unexplained_surnames += 1;
            }
            let close_enough = needed.is_none_or(|n| n.is_ok_and(|n| d >= n));
            if close_enough && d >= settings.threshold && !first_name_ok {
                out.first_names += 1;
            }
            if first_name_ok && close_enough {
                let (lo, hi) = if pa.root < pb.root {
                    (pa.root, pb.root)
                } else {
                    (pb.root, pa.root)
                };
                out.found.push((d, lo as usize, hi as usize));
            }
        }
    }
    out
}

/// Both mothers' names known and equal, and neither the one nor the other child's
/// surname: a name the child does not carry, which a namesake's mother shares less
/// often than the child's own names (a single mother's child carries her name, a
/// mother written under her married name carries the child's: both say nothing of the
/// mother). Profiles keep one surname control, so a mother named after one part of a
/// double surname still counts as her own name here: two records giving the same
/// part agree on her, where two giving different parts do not disagree
/// ([`mothers_in_surnames`]).
fn same_own_mother(pa: &Profile, pb: &Profile) -> bool {
    matches!((pa.mother(), pb.mother()), (Some(x), Some(y))
        if x == y && pa.surname() != Some(x) && pb.surname() != Some(x))
}

/// Both mothers' names known and each one part of its own child's double surname
/// (`DUMONT DIARRA` with `DIARRA`, `DUMMONT DIARRA` with `DUMONT`): one record gave her
/// maiden name, the other her married one (the father's part, which the child carries),
/// so two different names are not two mothers. A part on one side only says nothing of
/// the other: `PETIT LAMBERT` with `LAMBERT` and `PETIT` with `MARTIN` are two mothers.
fn mothers_in_surnames(pa: &Profile, pb: &Profile) -> bool {
    pa.mother_in_surname() && pb.mother_in_surname()
}

/// The same surname and first name, and the same mother's own name ([`same_own_mother`]).
fn same_names_and_own_mother(pa: &Profile, pb: &Profile, records: &Records) -> bool {
    same_own_mother(pa, pb)
        && pa.surname().is_some()
        && pa.surname() == pb.surname()
        && matches!((pa.first_name(records), pb.first_name(records)), (Some(x), Some(y)) if x == y)
}

/// Similarity under which no pair is taken, even one whose fields agree ([`fieldwise`]).
const FIELDWISE_FLOOR: f64 = 0.6;

/// Whether two profiles agree field by field although their encodings are not close: a
/// missing mother's name on one side takes a fifth of the bits away, and a slip in a short
/// name as much again. Same birth-date control and sex, the mother's name missing on one
/// side (or written there as the other's surname), and the two names equal but one,
/// which is one slip away (not a first name at the twin guard or below) or spelled with
/// the same letters. Twins differ by their whole first name, homonyms by their birth
/// day: neither passes.
fn fieldwise(pa: &Profile, pb: &Profile, records: &Records, spellings: &Spellings) -> bool {
    let known_equal =
        |x: Option<u32>, y: Option<u32>| matches!((x, y), (Some(a), Some(b)) if a == b);
    // The mother's name missing on one side, written on one side as the other's
    // surname (her married name, which the child carries), or on each side as one part
    // of the child's double surname ([`mothers_in_surnames`]): bits lost that do not
    // tell two children apart.
    let (ma, mb) = (pa.mother(), pb.mother());
    let married = known_equal(ma, pb.surname())
        || known_equal(mb, pa.surname())
        || mothers_in_surnames(pa, pb);
    if !known_equal(pa.control(), pb.control())
        || !matches!((pa.sex(), pb.sex()), (Some(a), Some(b)) if a == b)
        || (ma.is_some() && mb.is_some() && !married)
    {
        return false;
    }
    let (Some(fa), Some(fb), Some(sa), Some(sb)) = (
        pa.first_name(records),
        pb.first_name(records),
        pa.surname_clk(records),
        pb.surname_clk(records),
    ) else {
        return false;
    };
    let same_first = fa == fb;
    let same_surname = known_equal(pa.surname(), pb.surname()) && sa == sb;
    let first_letters = Letters::of(
        pa.first_name_letters(records),
        pb.first_name_letters(records),
        &spellings.first,
    );
    let surname_letters = Letters::of(
        pa.surname_letters(records),
        pb.surname_letters(records),
        &spellings.surname,
    );
    match (same_first, same_surname) {
        (true, true) => true,
        (false, true) => {
            first_letters.misspelt()
                || (fa.dice(&fb) > FIRST_NAME_THRESHOLD
                    && slip(fa.name_bigram_difference(&fb), first_letters))
        }
        (true, false) => {
            surname_letters.misspelt()
                || (sa.dice(&sb) >= SURNAME_TYPO_THRESHOLD
                    && slip(sa.name_bigram_difference(&sb), surname_letters))
        }
        (false, false) => false,
    }
}

/// The similarity a pair of profiles born the same day needs, from what else they
/// share; `Err`: never the same child, and why (docs/architecture.md, Linkage). Another surname
/// or another mother's name is a second child more often than a typo as the population
/// grows (namesakes born the same day), so the more disagrees, the closer the encodings
/// must be.
fn needed_similarity(
    (pa, pb): (&Profile, &Profile),
    (records, spellings): (&Records, &Spellings),
    first_names: Option<f64>,
    relation: FirstNames,
    shared_key: bool,
    threshold: f64,
) -> Result<f64, Refusal> {
    let (sa, sb) = (pa.surname(), pb.surname());
    let surnames_differ = matches!((sa, sb), (Some(x), Some(y)) if x != y);
    // Both mothers' names known and different, and neither is the other record's surname
    // (a mother written under her married name, which the child carries), nor each one
    // part of its child's double surname ([`mothers_in_surnames`]): another mother,
    // unless the encodings are near-identical (a typo in her name).
    let (ma, mb) = (pa.mother(), pb.mother());
    let parts = mothers_in_surnames(pa, pb);
    let mothers_differ = match (ma, mb) {
        (Some(x), Some(y)) => x != y && sb != Some(x) && sa != Some(y) && !parts,
        _ => false,
    };
    let mothers_same = matches!((ma, mb), (Some(x), Some(y)) if x == y);
    let mut needed = threshold;
    // Both mothers' names known and different, married name or not (two parts of a
    // double surname are not two mothers).
    let mothers_known_apart = matches!((ma, mb), (Some(x), Some(y)) if x != y) && !parts;
    if (relation == FirstNames::Shortened
        || (mothers_known_apart && relation != FirstNames::Misspelt))
        && first_names.is_some_and(|f| f < DIFFERENT_FIRST_NAME)
    {
        // Twins share everything but the first name; a usual first name (the first part
        // of a compound one, the same child) is told from them only by the rest of the
        // encoding, and a mother known in common makes it likelier. A slip is not
        // another first name, however few bigrams a short name keeps, unless the
        // mothers' names disagree too (a namesake born the same day).
        needed = needed.max(if mothers_same {
            DIFFERENT_FIRST_NAME_SAME_MOTHER_THRESHOLD
        } else {
            DIFFERENT_FIRST_NAME_THRESHOLD
        });
    }

    if mothers_differ {
        needed = needed.max(MOTHER_MISMATCH_THRESHOLD);
    }
    if !surnames_differ {
        return Ok(needed);
    }
    let letters = Letters::of(
        pa.surname_letters(records),
        pb.surname_letters(records),
        &spellings.surname,
    );
    if shared_key {
        // Same first name, birth month and mother's name: the exact pass refused the
        // link for the surname; a close encoding is a typo or a changed surname, and
        // so is a misspelt surname, however many bigrams the slip changed. Two common
        // surnames that are neither one slip apart nor the one part of the other are a
        // changed surname only if a mother's name explains it (a child recognised
        // later changes from her name to the father's): otherwise another family's
        // namesake, born the same day with the same first name and mother's name.
        if letters.misspelt() {
            return Ok(needed);
        }
        if let (Some(x), Some(y)) = (pa.surname_clk(records), pb.surname_clk(records)) {
            let e = x.name_bigram_difference(&y);
            // A rare spelling, or one letter apart whatever the order of the letters, is
            // a slip of the pen however many bigrams it changed; a surname whose bigrams
            // all but one lie in the other, which has at least two more, is a part of it
            // (a particle dropped, `DASILVA`/`SILVA`, a double surname cut short),
            // however short.
            let part = e.0.min(e.1) <= 1 && e.0.abs_diff(e.1) >= 2;
            let typo_or_part = letters.rare
                || letters.near == Some(true)
                || part
                || (x.dice(&y) >= SURNAME_TYPO_THRESHOLD && slip(e, letters));
            let mothers = [ma, mb];
            let explained = mothers
                .iter()
                .any(|m| m.is_some() && (*m == sa || *m == sb));
            if !typo_or_part && !explained {
                return Err(Refusal::UnexplainedSurname {
                    floor: needed.max(SHARED_KEY_SURNAME_THRESHOLD),
                });
            }
        }
        return Ok(needed.max(SHARED_KEY_SURNAME_THRESHOLD));
    }
    // Without that key, a mistyped surname keeps most of its bigrams and is one slip
    // from the other; another family's is not, unless one surname is the other's first
    // part (a double surname shortened) and the mother is the same.
    // Whether the surnames are known one slip apart (misspelt, or one slip by their
    // bigrams), not a double surname shortened nor unknown encodings.
    let mut surname_slip = false;
    if let (Some(x), Some(y)) = (pa.surname_clk(records), pb.surname_clk(records)) {
        if letters.misspelt() {
            surname_slip = true;
        } else {
            let e = x.name_bigram_difference(&y);
            if x.dice(&y) < SURNAME_TYPO_THRESHOLD
                || !(slip(e, letters) || (shortened(e) && mothers_same))
            {
                return Err(Refusal::Surname);
            }
            surname_slip = slip(e, letters);
        }
    }
    // Another surname and another first name: two differences, 0,80 — unless each is
    // one slip from the other (not a usual first name, not a double surname shortened)
    // and the mother's own name is known on both sides and the same: a namesake born
    // the same day with a surname and a first name one slip away would also need a
    // mother of the same maiden name.
    let two_slips_one_mother = surname_slip
        && matches!(relation, FirstNames::Slip | FirstNames::Misspelt)
        && same_own_mother(pa, pb);
    if first_names.is_some_and(|f| f < 1.0) && !two_slips_one_mother {
        needed = needed.max(SURNAME_AND_FIRST_NAME_THRESHOLD);
    }
    Ok(needed)
}

/// Runs the fuzzy pass over the clusters left by the exact keys.
pub(crate) fn pass(
    records: &Records,
    keys: &[Texts],
    blocks: &[Texts],
    settings: &Settings,
    uf: &mut UnionFind,
    report: &mut Report,
) {
    let (mut all, spans) = profiles(records, keys, blocks, uf);
    let spellings = Spellings::count(&all, records);
    // A cluster already present in every service can gain nothing (every other cluster
    // shares a service with it), unless some cluster has no service at all.
    let services: usize = {
        let mut s: Vec<u32> = spans.services.clone();
        s.sort_unstable();
        s.dedup();
        s.len()
    };
    let some_without = (0..all.len() as u32).any(|c| spans.services(c).is_empty());
    if services > 0 && !some_without {
        for (c, p) in all.iter_mut().enumerate() {
            if spans.services(c as u32).len() == services {
                p.blocks = [NONE; KEYS];
            }
        }
    }
    // Blocks of each key, in a deterministic order; too large ones left out.
    let mut work: Vec<(usize, Vec<u32>)> = Vec::new();
    for k in 0..KEYS {
        let count = all
            .iter()
            .filter_map(|p| (p.blocks[k] != NONE).then_some(p.blocks[k]))
            .max()
            .map_or(0, |m| m as usize + 1);
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); count];
        for (c, p) in all.iter().enumerate() {
            if p.blocks[k] != NONE {
                members[p.blocks[k] as usize].push(c as u32);
            }
        }
        for m in members {
            if m.len() > MAX_BLOCK {
                report.blocs_trop_grands += 1;
                for &c in &m {
                    all[c as usize].blocks[k] = NONE;
                }
            } else if m.len() > 1 {
                work.push((k, m));
            } else {
                for &c in &m {
                    all[c as usize].blocks[k] = NONE;
                }
            }
        }
    }
    let results: Vec<Compared> = work
        .par_iter()
        .map(|(k, m)| compare_block(*k, m, records, &all, &spans, &spellings, settings))
        .collect();
    let mut candidates: Vec<Candidate> = Vec::new();
    for r in results {
        report.paires_refusees_dates_inversees += r.mirrored;
        report.paires_refusees_noms_inexpliques += r.unexplained_surnames;
        report.paires_comparees += r.compared;
        report.paires_refusees_prenoms += r.first_names;
        candidates.extend(r.found);
    }
    candidates.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    accept(&candidates, uf, report);
}

/// One-to-one greedy assignment, best similarity first.
fn accept(candidates: &[Candidate], uf: &mut UnionFind, report: &mut Report) {
    // Clusters are numbered by their roots (record indices): Polars' fast hash for the
    // similarities of each, a flag a record for the linked ones (SipHash over a few
    // hundred thousand candidates held one core for half a second on a national network).
    let mut best_other: HashMap<usize, Vec<f64>, PlRandomState> = HashMap::default();
    for (d, a, b) in candidates {
        best_other.entry(*a).or_default().push(*d);
        best_other.entry(*b).or_default().push(*d);
    }
    let roots = candidates
        .iter()
        .map(|c| c.1.max(c.2) + 1)
        .max()
        .unwrap_or(0);
    let mut linked = vec![false; roots];
    for (d, a, b) in candidates {
        if linked[*a] || linked[*b] {
            report.paires_ecartees += 1;
            continue;
        }
        linked[*a] = true;
        linked[*b] = true;
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

#[cfg(test)]
mod tests;
