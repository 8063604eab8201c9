//! Pseudonymisation of a run of rows, independent of every other row: the unit of the
//! parallel pseudonymisation ([`super::pseudonymise`]).

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use super::bloom::{Clk, TokenMemo};
use super::generalise::Generalised;
use super::keys::{SHORT_PSEUDONYM_CHARS, SecretKey, hex_array};
use super::memo::{self, Memo};
use super::{Rekey, Settings, columns, letters, normalise};

pub(super) mod names;
use names::{NameMemo, Role};

/// One identity, normalised ([`normalise`]).
pub(super) struct Identity {
    pub(super) prenom: Option<String>,
    pub(super) nom: Option<String>,
    pub(super) nom_mere: Option<String>,
    pub(super) naissance: Option<NaiveDate>,
    pub(super) sexe: Option<char>,
}

impl Identity {
    /// Appends field `f` to `out` ([`normalise`]'s forms); `false` when the identity
    /// has no value for it.
    fn write_field(&self, f: &str, out: &mut String) -> bool {
        use normalise::DatePart;
        let text =
            |v: &Option<String>, out: &mut String| v.as_deref().map(|t| out.push_str(t)).is_some();
        match f {
            "prenom" => text(&self.prenom, out),
            "nom" => text(&self.nom, out),
            "nom_mere" => text(&self.nom_mere, out),
            "date_naissance" | "mois_naissance" | "annee_naissance" => {
                let part = match f {
                    "date_naissance" => DatePart::Day,
                    "mois_naissance" => DatePart::Month,
                    _ => DatePart::Year,
                };
                self.naissance
                    .map(|d| normalise::write_date(d, part, out))
                    .is_some()
            }
            "sexe" => self.sexe.map(|c| out.push(c)).is_some(),
            _ => false,
        }
    }
}

/// What [`SecretKey::mac_text`] writes between two fields: several fields written into
/// one text with it between them are MACed (and remembered) as the same bytes.
const SEPARATOR: char = '\u{1F}';

/// The domain under which the observatory re-keys a pseudonym of the collective's key.
pub(super) const REKEY_DOMAIN: &str = "observatoire/recle/v1";

/// What a pseudonym becomes in the extract: the hexadecimal HMAC under the collective's
/// key (a partner's extract), or that value re-keyed at once with the observatory's
/// key, exactly what [`Rekey::apply`] would make of it (the observatory reading its own
/// spreadsheets: no column under the collective's key is ever built).
#[derive(Clone, Copy)]
pub(super) enum Finish<'a> {
    Collective,
    Observatory(&'a Rekey),
}

/// One pseudonym's characters: 64 hexadecimal, or a short pseudonym's 12.
#[derive(Clone, Copy)]
pub(super) struct Signed {
    bytes: [u8; 64],
    len: usize,
}

impl Signed {
    fn as_str(&self) -> &str {
        // Hexadecimal and base64 are ASCII.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }

    /// Overwrites the characters (a remembered pseudonym, when its memo is emptied).
    pub(super) fn wipe(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.bytes);
    }
}

/// The memo key of a value under `slot` ([`MEMO_DOMAINS`]): the slot, the length and
/// the bytes of the one field, packed into an integer, which the memo finds by its
/// keyed hash (`memo::Keyed`: no byte vector a look-up, no clear value kept); `None`
/// for what does not fit in 15 bytes, signed without the memo. The birth-date controls and blocking keys always fit: a year, a
/// separator and two numbers or three letters of a normalised name.
pub(super) fn memo_key(slot: usize, fields: &[&str]) -> Option<u128> {
    let [field] = fields else { return None };
    let (bytes, slot) = (field.as_bytes(), u8::try_from(slot).ok()?);
    if bytes.len() > 15 || slot > 15 {
        return None;
    }
    let mut packed = [0u8; 16];
    // Both are under 16: one byte.
    packed[0] = (slot << 4) | bytes.len() as u8;
    packed[1..=bytes.len()].copy_from_slice(bytes);
    Some(u128::from_le_bytes(packed))
}

/// The key of a birth date and sex in the session's memo of dates' bits.
fn date_key(d: NaiveDate, sexe: Option<char>) -> u64 {
    // Days since year 1 fit in 32 bits for every date chrono holds; a char in 32 bits.
    (u64::from(d.num_days_from_ce() as u32) << 32) | sexe.map_or(0, |c| u64::from(c) + 1)
}

/// The pseudonyms of one run of rows: the key, what they become ([`Finish`]), the
/// domains formatted once, and the session's memo of the values that repeat from row
/// to row and file to file ([`super::memo`]: birth-date controls, blocking keys; two
/// HMACs saved a repeat), and of what each name gives ([`names`]).
struct Signer<'a> {
    key: &'a SecretKey,
    finish: Finish<'a>,
    key_domains: Vec<String>,
    session: &'a mut Memo,
    /// The key of the letter neighbourhoods ([`letters::LetterKey`]).
    letters: letters::LetterKey,
}

/// The domains of the values that repeat, by slot. The birth-date control and the
/// blocking keys are remembered in the session's memo, where the slot keeps them apart
/// (one byte instead of the domain's text); names and their letters are remembered with
/// the rest of what a name gives ([`names`]). The blocking keys' domains are
/// `observatoire/bloc/v1/{b}`, at `SLOT_BLOCK + b`.
const MEMO_DOMAINS: [&str; SLOT_BLOCK + columns::BLOCKS] = [
    "observatoire/controle-naissance/v1",
    "observatoire/controle-nom/v1",
    "observatoire/controle-lettres/v1",
    "observatoire/bloc/v1/0",
    "observatoire/bloc/v1/1",
    "observatoire/bloc/v1/2",
];

/// Memo slots, indices of [`MEMO_DOMAINS`].
const SLOT_CONTROL: usize = 0;
const SLOT_NAME: usize = 1;
const SLOT_LETTERS: usize = 2;
const SLOT_BLOCK: usize = 3;

impl<'a> Signer<'a> {
    fn new(
        key: &'a SecretKey,
        finish: Finish<'a>,
        settings: &Settings,
        session: &'a mut Memo,
    ) -> Signer<'a> {
        Signer {
            session,
            key,
            finish,
            key_domains: settings
                .key_set
                .iter()
                .map(|fields| format!("observatoire/cle/v1/{}", fields.join("+")))
                .collect(),
            letters: letters::LetterKey::new(key),
        }
    }

    /// The letter neighbourhood of a normalised name, as the extract stores it
    /// ([`letters`]), re-keyed as made for the observatory.
    fn neighbourhood(&self, name: &str) -> Vec<u8> {
        let mut values = Vec::with_capacity(name.len() + 1);
        letters::multisets(&letters::sorted(name), |m| {
            let v = self.letters.value(m);
            values.push(match self.finish {
                Finish::Collective => v,
                Finish::Observatory(r) => r.letter_permutation()[usize::from(v)],
            });
        });
        letters::to_bytes(&mut values)
    }

    fn sign(&self, domain: &str, fields: &[&str]) -> Signed {
        let hex = hex_array(&self.key.mac_text(domain, fields));
        match self.finish {
            Finish::Collective => Signed {
                bytes: hex,
                len: hex.len(),
            },
            Finish::Observatory(r) => {
                let hex = std::str::from_utf8(&hex).unwrap_or_default();
                let short = r.key().short_pseudonym_bytes(REKEY_DOMAIN, &[hex]);
                let mut bytes = [0u8; 64];
                bytes[..SHORT_PSEUDONYM_CHARS].copy_from_slice(&short);
                Signed {
                    bytes,
                    len: SHORT_PSEUDONYM_CHARS,
                }
            }
        }
    }

    /// [`Signer::sign`] appended to `out`.
    fn append(&self, out: &mut StringChunkedBuilder, domain: &str, fields: &[&str]) {
        out.append_value(self.sign(domain, fields).as_str());
    }

    /// [`Signer::sign`] under the domain of `slot` ([`MEMO_DOMAINS`]).
    fn sign_slot(&self, slot: usize, fields: &[&str]) -> Signed {
        self.sign(MEMO_DOMAINS[slot], fields)
    }

    /// [`Signer::append`] of a value that repeats from row to row and file to file,
    /// through the session's memo, under the domain of `slot` ([`MEMO_DOMAINS`]).
    fn append_memo(&mut self, out: &mut StringChunkedBuilder, slot: usize, fields: &[&str]) {
        let domain = MEMO_DOMAINS[slot];
        let Some(packed) = memo_key(slot, fields) else {
            self.append(out, domain, fields);
            return;
        };
        let key = self.session.keyed.hash(&packed.to_le_bytes());
        if let Some(v) = self.session.values.get(&key) {
            out.append_value(v.as_str());
            return;
        }
        let signed = self.sign(domain, fields);
        out.append_value(signed.as_str());
        if self.session.values.len() >= memo::VALUES_CAPACITY {
            self.session.clear_values();
        }
        self.session.values.insert(key, signed);
    }

    /// The bits of a birth date and sex in the identity encoding, finished, through
    /// the session's memo.
    fn date_part(&mut self, d: NaiveDate, sexe: Option<char>, tokens: &mut TokenMemo) -> Clk {
        let key = self.session.keyed.hash(&date_key(d, sexe).to_le_bytes());
        if let Some(&c) = self.session.dates.get(&key) {
            return c;
        }
        let c = self.finished(Clk::date_part(self.key, d, sexe, tokens));
        if self.session.dates.len() >= memo::VALUES_CAPACITY {
            self.session.clear_dates();
        }
        self.session.dates.insert(key, c);
        c
    }

    /// An encoding as made, or with the observatory's permutation of its bits (which
    /// moves each bit alone: the union of finished parts is the finished union).
    fn finished(&self, clk: Clk) -> Clk {
        match self.finish {
            Finish::Collective => clk,
            Finish::Observatory(r) => clk.permute(r.permutation()),
        }
    }
}

/// Rows pseudonymised together by one task: large enough to amortise the task, small
/// enough that the clear identities and pseudonym strings in flight stay small.
pub(super) const CHUNK_ROWS: usize = 8_192;

/// The identity columns as read, borrowed from the canonical table.
pub(super) struct Identities<'a> {
    pub(super) nom: Vec<Option<&'a str>>,
    pub(super) prenom: Vec<Option<&'a str>>,
    pub(super) mere: Vec<Option<&'a str>>,
    pub(super) dossier: Vec<Option<&'a str>>,
    pub(super) sexe: Vec<Option<&'a str>>,
    pub(super) service: Vec<Option<&'a str>>,
    pub(super) births: Vec<Option<NaiveDate>>,
}

/// Text columns of the extract made by this stage, in the order of [`Chunk::text`]:
/// the pseudonyms (one per key), then these.
pub(super) const FILE: usize = 0;
pub(super) const CONTROL: usize = 1;
pub(super) const SURNAME: usize = 2;
pub(super) const MOTHER: usize = 3;
pub(super) const FIRST_NAME_LETTERS: usize = 4;
pub(super) const SURNAME_LETTERS: usize = 5;
pub(super) const BLOCK: usize = 6;
pub(super) const FIXED_TEXTS: usize = BLOCK + columns::BLOCKS;
/// Binary columns (Bloom encodings, 128 bytes each, then letter neighbourhoods), in the
/// order of [`Chunk::encoded`].
pub(super) const CLK: usize = 0;
pub(super) const FIRST_NAME: usize = 1;
pub(super) const SURNAME_CLK: usize = 2;
/// Letter neighbourhoods ([`letters`]), after the Bloom encodings.
pub(super) const FIRST_NAME_NEIGHBOURS: usize = 3;
pub(super) const SURNAME_NEIGHBOURS: usize = 4;
pub(super) const ENCODINGS: usize = 5;

/// The pseudonymised columns of a run of rows, with what the report counts.
pub(super) struct Chunk {
    /// Key pseudonyms (one per key), then [`FILE`]…[`BLOCK`] + blocks.
    pub(super) text: Vec<StringChunked>,
    /// The encodings: [`CLK`], [`FIRST_NAME`], [`SURNAME_CLK`].
    pub(super) encoded: Vec<BinaryChunked>,
    pub(super) years: Vec<Option<i32>>,
    pub(super) months: Vec<Option<i32>>,
    pub(super) ages: Vec<Option<i32>>,
    pub(super) bands: StringChunked,
    pub(super) sexes: StringChunked,
    /// Whether the mother's name is one part of the child's double surname
    /// ([`normalise::is_part_of_double_surname`]; `None`: either name missing).
    pub(super) mother_parts: Vec<Option<bool>>,
    /// Whether the first name is compound ([`normalise::is_compound`]; `None`: no
    /// first name).
    pub(super) compound: Vec<Option<bool>>,
    pub(super) keys_computed: Vec<usize>,
    pub(super) encodings: usize,
    pub(super) without_key: usize,
}

/// Pseudonymises rows `range` (independent of every other row).
pub(super) fn pseudonymise_chunk(
    ids: &Identities,
    range: std::ops::Range<usize>,
    key: &SecretKey,
    finish: Finish,
    settings: &Settings,
    session: &mut Memo,
) -> Chunk {
    let clean = |v: Option<&str>| v.map(normalise::name).filter(|s| !s.is_empty());
    let tiers = settings.key_set.len();
    let len = range.len();
    let mut text: Vec<StringChunkedBuilder> = (0..tiers + FIXED_TEXTS)
        .map(|_| StringChunkedBuilder::new(PlSmallStr::EMPTY, len))
        .collect();
    let mut encoded: Vec<BinaryChunkedBuilder> = (0..ENCODINGS)
        .map(|_| BinaryChunkedBuilder::new(PlSmallStr::EMPTY, len))
        .collect();
    let mut chunk = Chunk {
        text: Vec::new(),
        encoded: Vec::new(),
        years: Vec::with_capacity(len),
        months: Vec::with_capacity(len),
        ages: Vec::with_capacity(len),
        bands: StringChunked::full_null(PlSmallStr::EMPTY, 0),
        sexes: StringChunked::full_null(PlSmallStr::EMPTY, 0),
        mother_parts: Vec::with_capacity(len),
        compound: Vec::with_capacity(len),
        keys_computed: vec![0; tiers],
        encodings: 0,
        without_key: 0,
    };
    // Token hashes of the encodings and remembered pseudonyms, shared by the runs of
    // the session on this thread (one key and finish).
    let mut tokens = std::mem::take(&mut session.tokens);
    // What names give, remembered by the session (bounded between two runs).
    let mut names = std::mem::take(&mut session.names);
    names.bound();
    let mut signer = Signer::new(key, finish, settings, session);
    // Values put together for a MAC, reused from row to row.
    let mut scratch = String::new();
    let mut generalised = Generalised {
        bands: StringChunkedBuilder::new(PlSmallStr::EMPTY, len),
        sexes: StringChunkedBuilder::new(PlSmallStr::EMPTY, len),
        labels: Vec::new(),
    };
    for i in range {
        let id = Identity {
            prenom: clean(ids.prenom[i]),
            nom: clean(ids.nom[i]),
            nom_mere: clean(ids.mere[i]),
            naissance: ids.births[i],
            sexe: ids.sexe[i].and_then(normalise::sex),
        };
        chunk
            .mother_parts
            .push(match (ids.nom[i], &id.nom, &id.nom_mere) {
                (Some(nom), Some(_), Some(mere)) => {
                    Some(normalise::is_part_of_double_surname(nom, mere))
                }
                _ => None,
            });
        chunk.compound.push(
            ids.prenom[i]
                .filter(|_| id.prenom.is_some())
                .map(normalise::is_compound),
        );
        let mut keyed = key_pseudonyms(&id, &signer, settings, &mut text, &mut chunk, &mut scratch);
        match (ids.dossier[i], ids.service[i]) {
            (Some(d), Some(s)) if !d.trim().is_empty() => {
                keyed = true;
                signer.append(
                    &mut text[tiers + FILE],
                    "observatoire/dossier/v1",
                    &[s.trim(), d.trim()],
                );
            }
            _ => text[tiers + FILE].append_null(),
        }
        if encodings(
            &id,
            &mut signer,
            &mut names,
            &mut text[tiers..],
            &mut encoded,
            &mut tokens,
            &mut scratch,
        ) {
            chunk.encodings += 1;
            keyed = true;
        }
        blocking_keys(&id, &mut signer, &mut text[tiers..], &mut scratch);
        if !keyed {
            chunk.without_key += 1;
        }
        chunk.push_generalised(&id, settings, &mut generalised);
    }
    drop(signer);
    session.tokens = tokens;
    session.names = names;
    chunk.bands = generalised.bands.finish();
    chunk.sexes = generalised.sexes.finish();
    chunk.text = text.into_iter().map(StringChunkedBuilder::finish).collect();
    chunk.encoded = encoded
        .into_iter()
        .map(BinaryChunkedBuilder::finish)
        .collect();
    chunk
}

/// The pseudonym of each key of the key set that the identity fills, counted in
/// `chunk`; whether any was computed.
fn key_pseudonyms(
    id: &Identity,
    signer: &Signer,
    settings: &Settings,
    text: &mut [StringChunkedBuilder],
    chunk: &mut Chunk,
    scratch: &mut String,
) -> bool {
    let mut keyed = false;
    for (t, fields) in settings.key_set.iter().enumerate() {
        // The key's fields in one text ([`SEPARATOR`]).
        scratch.clear();
        let mut filled = true;
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                scratch.push(SEPARATOR);
            }
            filled &= id.write_field(f, scratch);
        }
        if filled {
            // A key of no field MACs its domain alone, as it always did.
            let joined: &[&str] = if fields.is_empty() { &[] } else { &[scratch] };
            signer.append(&mut text[t], &signer.key_domains[t], joined);
            chunk.keys_computed[t] += 1;
            keyed = true;
        } else {
            text[t].append_null();
        }
    }
    keyed
}

/// The fuzzy encoding of the identity and its control pseudonyms (surname and mother's
/// name under one domain, so that a mother's name can be compared with a surname;
/// first-name and surname encodings; birth date in either day/month order), into
/// `fixed` (the text columns after the key pseudonyms) and `encoded`; whether the
/// identity could be encoded. What each name gives comes from `names` ([`names`]).
#[allow(clippy::too_many_arguments)]
fn encodings(
    id: &Identity,
    signer: &mut Signer,
    names: &mut NameMemo,
    fixed: &mut [StringChunkedBuilder],
    encoded: &mut [BinaryChunkedBuilder],
    memo: &mut TokenMemo,
    scratch: &mut String,
) -> bool {
    use std::fmt::Write;
    let mut place = |role: Role, name: &Option<String>| {
        name.as_deref().map(|n| names.place(role, n, signer, memo))
    };
    let places = [
        place(Role::FirstName, &id.prenom),
        place(Role::Surname, &id.nom),
        place(Role::Mother, &id.nom_mere),
    ];
    let [first, surname, mother] = places.map(|at| at.and_then(|i| names.parts.get(i)));
    // The identity encoding: the union of its names' bits and its date's (no first
    // name or no birth date: none).
    let clk = match (first, id.naissance) {
        (Some(f), Some(d)) => {
            let mut clk = f.identity;
            for p in [surname, mother].into_iter().flatten() {
                clk |= p.identity;
            }
            clk |= signer.date_part(d, id.sexe, memo);
            Some(clk.to_bytes())
        }
        _ => None,
    };
    let made = clk.is_some();
    encoded[CLK].append_option(clk);
    let append = |out: &mut StringChunkedBuilder, v: Option<&Signed>| match v {
        Some(v) => out.append_value(v.as_str()),
        None => out.append_null(),
    };
    for (p, column) in [(surname, SURNAME), (mother, MOTHER)] {
        append(&mut fixed[column], p.and_then(|p| p.pseudonym.as_ref()));
    }
    encoded[SURNAME_CLK].append_option(surname.and_then(|p| p.own));
    encoded[FIRST_NAME].append_option(first.and_then(|p| p.own));
    // The letters of each name in alphabetical order, keyed: equal for two spellings
    // that only swap letters (a transposition), which the names' bigram encodings
    // cannot tell from twins' first names; and their neighbourhood, which tells one
    // letter apart from two (docs/architecture.md, Linkage).
    for (p, column, near) in [
        (first, FIRST_NAME_LETTERS, FIRST_NAME_NEIGHBOURS),
        (surname, SURNAME_LETTERS, SURNAME_NEIGHBOURS),
    ] {
        encoded[near].append_option(p.and_then(|p| p.neighbourhood.as_deref()));
        append(&mut fixed[column], p.and_then(|p| p.letters.as_ref()));
    }
    match id.naissance {
        Some(d) => {
            let (a, b) = (d.day().min(d.month()), d.day().max(d.month()));
            scratch.clear();
            let _ = write!(scratch, "{}{SEPARATOR}{a}{SEPARATOR}{b}", d.year());
            signer.append_memo(&mut fixed[CONTROL], SLOT_CONTROL, &[scratch]);
        }
        None => fixed[CONTROL].append_null(),
    }
    made
}

/// Blocking keys: birth year + month; birth year + first letters of the first name;
/// birth year + first letters of the surname.
fn blocking_keys(
    id: &Identity,
    signer: &mut Signer,
    fixed: &mut [StringChunkedBuilder],
    scratch: &mut String,
) {
    use std::fmt::Write;
    // The first three letters of a name.
    fn head(s: &Option<String>) -> Option<&str> {
        s.as_deref()
            .map(|v| &v[..v.char_indices().nth(3).map_or(v.len(), |(i, _)| i)])
    }
    let second: [Option<&str>; columns::BLOCKS] = [None, head(&id.prenom), head(&id.nom)];
    for (b, name) in second.into_iter().enumerate() {
        scratch.clear();
        // The birth year, then the month or the name's letters.
        let filled = match (id.naissance, b) {
            (Some(d), 0) => {
                normalise::write_date(d, normalise::DatePart::Year, scratch);
                write!(scratch, "{SEPARATOR}{:02}", d.month()).is_ok()
            }
            (Some(d), _) => name.is_some_and(|n| {
                normalise::write_date(d, normalise::DatePart::Year, scratch);
                scratch.push(SEPARATOR);
                scratch.push_str(n);
                true
            }),
            (None, _) => false,
        };
        if filled {
            signer.append_memo(&mut fixed[BLOCK + b], SLOT_BLOCK + b, &[scratch]);
        } else {
            fixed[BLOCK + b].append_null();
        }
    }
}
