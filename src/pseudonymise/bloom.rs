//! Keyed Bloom-filter encodings of identities (cryptographic long-term keys, CLK;
//! Schnell 2009/2011, as in clkhash): name bigrams and birth-date tokens are hashed with
//! HMAC-SHA-256 under the collective's key into a 1 024-bit filter; two encodings of the
//! same person spelled slightly differently share most bits, which Dice similarity
//! measures. A keyed permutation of the bits re-keys filters at the observatory without
//! changing any similarity.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use polars::prelude::PlHashMap;

use super::keys::SecretKey;

/// Filter length in bits.
pub const BITS: usize = 1024;
const WORDS: usize = BITS / 64;

/// A 1 024-bit encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Clk(pub [u64; WORDS]);

/// Identity fields, already normalised (see [`super::normalise`]).
#[derive(Debug, Clone, Default)]
pub struct ClkInput<'a> {
    pub prenom: Option<&'a str>,
    pub nom: Option<&'a str>,
    pub nom_mere: Option<&'a str>,
    pub naissance: Option<NaiveDate>,
    pub sexe: Option<char>,
}

/// Bits set per token, by field: names weigh by their bigrams, the birth date by a few
/// strong tokens (year; day and month as an unordered pair, robust to a day/month swap;
/// day and month in order).
const K_FIRST_NAME: usize = 10;
const K_SURNAME: usize = 10;
const K_MOTHER: usize = 8;
const K_YEAR: usize = 24;
const K_DAY_MONTH_SET: usize = 20;
const K_DAY_MONTH: usize = 12;
const K_SEX: usize = 8;

/// Calls `f` with `prefix` followed by each bigram of `s` padded with `_` at both ends
/// (`LEA` → `_L`, `LE`, `EA`, `A_`), built in `buf` without allocating per bigram.
fn for_each_bigram(s: &str, prefix: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    let mut prev = '_';
    for c in s.chars().chain(std::iter::once('_')) {
        buf.clear();
        buf.push_str(prefix);
        buf.push(prev);
        buf.push(c);
        f(buf);
        prev = c;
    }
}

/// The two 64-bit hashes of a token (the first 16 bytes of its HMAC), remembered per
/// domain: a memo is only ever used with one key. Bounded: past
/// [`TokenMemo::CAPACITY`] tokens a domain starts again empty.
#[derive(Default)]
pub struct TokenMemo {
    // A fast hash over tokens packed into one integer ([`packed`]: a token is at most a
    // dozen bytes, and there are tens of look-ups a row, a million rows at national
    // scale, where hashing and comparing strings was a tenth of pseudonymisation); the
    // maps live as long as the reading session's memo (`super::memo`).
    clk: PlHashMap<u128, (u64, u64)>,
    first_name: PlHashMap<u128, (u64, u64)>,
    surname: PlHashMap<u128, (u64, u64)>,
    /// The bigrams of normalised names (letters `A`–`Z` and the `_` of either end, with
    /// or without a `P:`, `N:` or `M:` prefix), by their place ([`bigram_slot`]): most
    /// look-ups, found without hashing (allocated at first use).
    bigrams: Vec<Option<(u64, u64)>>,
}

/// The letters of a normalised name's bigrams: `_` then `A`–`Z`.
const BIGRAM_LETTERS: usize = 27;
/// Bigram places of one domain: four prefixes (none, `P:`, `N:`, `M:`) by two letters.
const BIGRAM_SLOTS: usize = 4 * BIGRAM_LETTERS * BIGRAM_LETTERS;

/// The place of a bigram token in [`TokenMemo::bigrams`] under `domain`, `None` for any
/// other token.
fn bigram_slot(domain: Domain, token: &str) -> Option<usize> {
    let letter = |b: u8| match b {
        b'_' => Some(0),
        b'A'..=b'Z' => Some(usize::from(b - b'A') + 1),
        _ => None,
    };
    let (prefix, pair) = match token.as_bytes() {
        [a, b] => (0, [*a, *b]),
        [p, b':', a, b] => {
            let prefix = match p {
                b'P' => 1,
                b'N' => 2,
                b'M' => 3,
                _ => return None,
            };
            (prefix, [*a, *b])
        }
        _ => return None,
    };
    let place = (prefix * BIGRAM_LETTERS + letter(pair[0])?) * BIGRAM_LETTERS + letter(pair[1])?;
    Some(domain as usize * BIGRAM_SLOTS + place)
}

/// A token of at most 15 bytes as one integer: its bytes, then its length in the top
/// byte (so two different tokens never pack alike). `None` for a longer token, which is
/// then hashed without the memo.
fn packed(token: &str) -> Option<u128> {
    let b = token.as_bytes();
    if b.len() > 15 {
        return None;
    }
    let mut bytes = [0u8; 16];
    bytes[..b.len()].copy_from_slice(b);
    bytes[15] = b.len() as u8;
    Some(u128::from_le_bytes(bytes))
}

/// What a name is encoded as: its part of the identity encoding (as the child's first
/// name, surname or mother's name), or the first-name or surname encoding alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NamePart {
    IdentityFirstName,
    IdentitySurname,
    IdentityMother,
    FirstName,
    Surname,
}

impl std::ops::BitOrAssign for Clk {
    fn bitor_assign(&mut self, other: Clk) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }
}

/// The three encodings, each hashing its tokens under its own domain and memo.
#[derive(Debug, Clone, Copy)]
enum Domain {
    Clk = 0,
    FirstName = 1,
    Surname = 2,
}

impl Domain {
    fn text(self) -> &'static str {
        match self {
            Domain::Clk => "observatoire/clk/v1",
            Domain::FirstName => "observatoire/clk-prenom/v1",
            Domain::Surname => "observatoire/clk-nom/v1",
        }
    }
}

impl TokenMemo {
    const CAPACITY: usize = 1 << 16;

    fn hashes(&mut self, key: &SecretKey, domain: Domain, token: &str) -> (u64, u64) {
        if let Some(slot) = bigram_slot(domain, token) {
            if self.bigrams.is_empty() {
                self.bigrams = vec![None; 3 * BIGRAM_SLOTS];
            }
            if let Some(h) = self.bigrams.get(slot).copied().flatten() {
                return h;
            }
            let h = token_hashes(key, domain, token);
            if let Some(cell) = self.bigrams.get_mut(slot) {
                *cell = Some(h);
            }
            return h;
        }
        let map = match domain {
            Domain::FirstName => &mut self.first_name,
            Domain::Surname => &mut self.surname,
            Domain::Clk => &mut self.clk,
        };
        let packed = packed(token);
        if let Some(h) = packed.and_then(|p| map.get(&p)) {
            return *h;
        }
        let (h1, h2) = token_hashes(key, domain, token);
        if let Some(p) = packed {
            if map.len() >= Self::CAPACITY {
                wipe(map);
                map.clear();
            }
            map.insert(p, (h1, h2));
        }
        (h1, h2)
    }
}

/// The two hashes of a token: the first 16 bytes of its HMAC under `domain`.
fn token_hashes(key: &SecretKey, domain: Domain, token: &str) -> (u64, u64) {
    let mac = key.mac(domain.text(), &[token.as_bytes()]);
    let h1 = u64::from_le_bytes(mac[0..8].try_into().unwrap_or([0; 8]));
    let h2 = u64::from_le_bytes(mac[8..16].try_into().unwrap_or([0; 8])) | 1;
    (h1, h2)
}

/// Overwrites the remembered hashes in place: they are derived from the key, like the
/// keyed HMAC state that `hmac`'s `zeroize` feature wipes.
fn wipe(map: &mut PlHashMap<u128, (u64, u64)>) {
    for h in map.values_mut() {
        zeroize::Zeroize::zeroize(&mut h.0);
        zeroize::Zeroize::zeroize(&mut h.1);
    }
}

impl Drop for TokenMemo {
    fn drop(&mut self) {
        wipe(&mut self.clk);
        wipe(&mut self.first_name);
        wipe(&mut self.surname);
        for (h1, h2) in self.bigrams.iter_mut().flatten() {
            zeroize::Zeroize::zeroize(h1);
            zeroize::Zeroize::zeroize(h2);
        }
    }
}

impl Clk {
    pub fn empty() -> Clk {
        Clk([0; WORDS])
    }

    /// Encodes an identity. Returns `None` when there is too little to encode (no first
    /// name or no birth date).
    pub fn encode(key: &SecretKey, input: &ClkInput) -> Option<Clk> {
        Self::encode_memo(key, input, &mut TokenMemo::default())
    }

    /// [`Clk::encode`], remembering the hashes of the tokens in `memo` (which must only
    /// ever see `key`): names share most of their bigrams, so a run of records hashes
    /// each bigram once. The encoding is the union of its names' parts
    /// ([`Clk::name_part`]) and of its date and sex tokens ([`Clk::date_part`]).
    pub fn encode_memo(key: &SecretKey, input: &ClkInput, memo: &mut TokenMemo) -> Option<Clk> {
        let (prenom, naissance) = (input.prenom.filter(|s| !s.is_empty())?, input.naissance?);
        let mut clk = Clk::name_part(key, NamePart::IdentityFirstName, prenom, memo);
        if let Some(nom) = input.nom.filter(|s| !s.is_empty()) {
            clk |= Clk::name_part(key, NamePart::IdentitySurname, nom, memo);
        }
        if let Some(m) = input.nom_mere.filter(|s| !s.is_empty()) {
            clk |= Clk::name_part(key, NamePart::IdentityMother, m, memo);
        }
        clk |= Clk::date_part(key, naissance, input.sexe, memo);
        Some(clk)
    }

    /// The bits one name sets in an encoding (`part`): its bigrams, each hashed under
    /// the part's domain and prefix with the part's number of bits.
    pub(super) fn name_part(
        key: &SecretKey,
        part: NamePart,
        name: &str,
        memo: &mut TokenMemo,
    ) -> Clk {
        let (domain, prefix, k) = match part {
            NamePart::IdentityFirstName => (Domain::Clk, "P:", K_FIRST_NAME),
            NamePart::IdentitySurname => (Domain::Clk, "N:", K_SURNAME),
            NamePart::IdentityMother => (Domain::Clk, "M:", K_MOTHER),
            NamePart::FirstName => (Domain::FirstName, "", K_FIRST_NAME),
            NamePart::Surname => (Domain::Surname, "", K_SURNAME),
        };
        let mut clk = Clk::empty();
        let mut token = String::new();
        for_each_bigram(name, prefix, &mut token, |t| {
            let (h1, h2) = memo.hashes(key, domain, t);
            clk.set_bits(h1, h2, k);
        });
        clk
    }

    /// The bits of the birth date's tokens (year; day and month as an unordered pair;
    /// day and month in order) and of the sex in the identity encoding.
    pub(super) fn date_part(
        key: &SecretKey,
        naissance: NaiveDate,
        sexe: Option<char>,
        memo: &mut TokenMemo,
    ) -> Clk {
        let mut clk = Clk::empty();
        let mut token = String::new();
        let mut add = |token: &str, k: usize| {
            let (h1, h2) = memo.hashes(key, Domain::Clk, token);
            clk.set_bits(h1, h2, k);
        };
        let (d, m) = (naissance.day(), naissance.month());
        let _ = write!(token, "A:{}", naissance.year());
        add(&token, K_YEAR);
        token.clear();
        let _ = write!(token, "JM:{}-{}", d.min(m), d.max(m));
        add(&token, K_DAY_MONTH_SET);
        token.clear();
        let _ = write!(token, "J:{d}/M:{m}");
        add(&token, K_DAY_MONTH);
        if let Some(s) = sexe {
            token.clear();
            let _ = write!(token, "S:{s}");
            add(&token, K_SEX);
        }
        clk
    }

    /// Encoding of the first name alone (its bigrams), to tell twins apart: they share
    /// everything but the first name.
    pub fn encode_first_name(key: &SecretKey, prenom: &str) -> Option<Clk> {
        Self::encode_first_name_memo(key, prenom, &mut TokenMemo::default())
    }

    /// [`Clk::encode_first_name`] with a memo of token hashes (see [`Clk::encode_memo`]).
    pub fn encode_first_name_memo(
        key: &SecretKey,
        prenom: &str,
        memo: &mut TokenMemo,
    ) -> Option<Clk> {
        Self::encode_name(key, NamePart::FirstName, prenom, memo)
    }

    /// Encoding of the surname alone (its bigrams, under its own domain), to tell a
    /// mistyped surname (most bigrams shared) from another family's (few shared).
    pub fn encode_surname_memo(key: &SecretKey, nom: &str, memo: &mut TokenMemo) -> Option<Clk> {
        Self::encode_name(key, NamePart::Surname, nom, memo)
    }

    /// The bigrams of one name alone, under its own domain.
    fn encode_name(
        key: &SecretKey,
        part: NamePart,
        name: &str,
        memo: &mut TokenMemo,
    ) -> Option<Clk> {
        (!name.is_empty()).then(|| Clk::name_part(key, part, name, memo))
    }

    /// Sets the `k` bits of double hashing `h1 + i·h2` (mod [`BITS`]).
    fn set_bits(&mut self, h1: u64, h2: u64, k: usize) {
        for i in 0..k as u64 {
            let bit = (h1.wrapping_add(i.wrapping_mul(h2)) % BITS as u64) as usize;
            self.0[bit / 64] |= 1u64 << (bit % 64);
        }
    }

    /// For two encodings of one name (first name or surname, [`Clk::encode_first_name`],
    /// [`Clk::encode_surname_memo`]): how many bigrams of `self` the other lacks, and how
    /// many of the other's `self` lacks, estimated from the bits alone (a filter with `x`
    /// of `m` bits set holds about `-(m/k)·ln(1 - x/m)` tokens of `k` bits) and rounded.
    /// One substitution changes (2, 2) bigrams, a transposition (3, 3), one inserted
    /// letter (1, 2); a compound name shortened to its first part keeps all but one of
    /// the short name's.
    pub fn name_bigram_difference(&self, other: &Clk) -> (u32, u32) {
        debug_assert_eq!(K_FIRST_NAME, K_SURNAME);
        let tokens = |ones: u32| -> f64 {
            let m = BITS as f64;
            let filled = (f64::from(ones) / m).min(1.0 - 1.0 / m);
            -(m / K_FIRST_NAME as f64) * (1.0 - filled).ln()
        };
        let mut union = Clk::empty();
        for i in 0..WORDS {
            union.0[i] = self.0[i] | other.0[i];
        }
        let all = tokens(union.count_ones());
        let only = |x: &Clk| (all - tokens(x.count_ones())).round().max(0.0) as u32;
        (only(other), only(self))
    }

    pub fn count_ones(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    /// Sørensen–Dice similarity: 2·|A∧B| / (|A|+|B|).
    pub fn dice(&self, other: &Clk) -> f64 {
        let mut inter = 0u32;
        let mut total = 0u32;
        for i in 0..WORDS {
            inter += (self.0[i] & other.0[i]).count_ones();
            total += self.0[i].count_ones() + other.0[i].count_ones();
        }
        if total == 0 {
            0.0
        } else {
            2.0 * f64::from(inter) / f64::from(total)
        }
    }

    /// The 128 bytes of the encoding (words little-endian, lowest first): its form in
    /// the extract.
    pub fn to_bytes(&self) -> [u8; BITS / 8] {
        let mut bytes = [0u8; BITS / 8];
        for (chunk, w) in bytes.chunks_exact_mut(8).zip(self.0) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        bytes
    }

    /// The encoding of [`Clk::to_bytes`]; `None` for any other length.
    pub fn from_bytes(bytes: &[u8]) -> Option<Clk> {
        if bytes.len() != BITS / 8 {
            return None;
        }
        let mut c = Clk::empty();
        for (i, chunk) in bytes.chunks_exact(8).enumerate() {
            c.0[i] = u64::from_le_bytes(chunk.try_into().ok()?);
        }
        Some(c)
    }

    /// The bytes of [`Clk::to_bytes`] in lower-case hexadecimal (extracts of earlier
    /// versions, tests).
    pub fn to_hex(&self) -> String {
        super::keys::hex_lower(&self.to_bytes())
    }

    pub fn from_hex(s: &str) -> Option<Clk> {
        // Decoded into a fixed buffer: no allocation per encoding; a text of another
        // length is refused by `decode_to_slice`.
        let mut bytes = [0u8; BITS / 8];
        hex::decode_to_slice(s, &mut bytes).ok()?;
        Clk::from_bytes(&bytes)
    }

    /// Applies a bit permutation.
    pub fn permute(&self, perm: &[u16]) -> Clk {
        let mut out = Clk::empty();
        // Only the set bits move: walk them word by word (lowest first).
        for (w, &word) in self.0.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let from = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if let Some(&to) = perm.get(from) {
                    let to = to as usize;
                    out.0[to / 64] |= 1u64 << (to % 64);
                }
            }
        }
        out
    }
}

/// A permutation of the filter's bits derived from `key` (Fisher–Yates driven by HMAC
/// output), used by the observatory to re-key partners' filters.
pub fn keyed_permutation(key: &SecretKey) -> Vec<u16> {
    let mut perm: Vec<u16> = (0..BITS as u16).collect();
    shuffle(key, "observatoire/clk-permutation/v1", &mut perm);
    perm
}

/// Shuffles `values` with Fisher–Yates driven by the HMAC output of `key` under
/// `domain` (the same key and domain give the same order).
pub(super) fn shuffle(key: &SecretKey, domain: &str, values: &mut [u16]) {
    let mut counter = 0u64;
    let mut pool: Vec<u8> = Vec::new();
    let mut next = |bound: usize| -> usize {
        loop {
            if pool.len() < 8 {
                pool.extend_from_slice(&key.mac(domain, &[&counter.to_le_bytes()]));
                counter += 1;
            }
            let v = u64::from_le_bytes(pool[..8].try_into().unwrap_or([0; 8]));
            pool.drain(..8);
            // Rejection sampling keeps the draw uniform.
            let limit = u64::MAX - (u64::MAX % bound as u64);
            if v < limit {
                return (v % bound as u64) as usize;
            }
        }
    };
    for i in (1..values.len()).rev() {
        let j = next(i + 1);
        values.swap(i, j);
    }
}

#[cfg(test)]
mod tests;
