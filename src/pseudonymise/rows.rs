//! Pseudonymisation of a run of rows, independent of every other row: the unit of the
//! parallel pseudonymisation ([`super::pseudonymise`]).

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use super::bloom::{Clk, ClkInput, TokenMemo};
use super::keys::SecretKey;
use super::{Settings, columns, generalise, normalise};

/// One identity, normalised ([`normalise`]).
pub(super) struct Identity {
    pub(super) prenom: Option<String>,
    pub(super) nom: Option<String>,
    pub(super) nom_mere: Option<String>,
    pub(super) naissance: Option<NaiveDate>,
    pub(super) sexe: Option<char>,
}

impl Identity {
    fn field(&self, f: &str) -> Option<String> {
        match f {
            "prenom" => self.prenom.clone(),
            "nom" => self.nom.clone(),
            "nom_mere" => self.nom_mere.clone(),
            "date_naissance" => self.naissance.map(normalise::full_date),
            "mois_naissance" => self.naissance.map(normalise::month_year),
            "annee_naissance" => self.naissance.map(normalise::year),
            "sexe" => self.sexe.map(String::from),
            _ => None,
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
pub(super) const BLOCK: usize = 4;
pub(super) const FIXED_TEXTS: usize = BLOCK + columns::BLOCKS;
/// Binary columns (Bloom encodings, 128 bytes each), in the order of [`Chunk::encoded`].
pub(super) const CLK: usize = 0;
pub(super) const FIRST_NAME: usize = 1;
pub(super) const SURNAME_CLK: usize = 2;
pub(super) const ENCODINGS: usize = 3;

/// The pseudonymised columns of a run of rows, with what the report counts.
pub(super) struct Chunk {
    /// Key pseudonyms (one per key), then [`FILE`]…[`BLOCK`] + blocks.
    pub(super) text: Vec<StringChunked>,
    /// The encodings: [`CLK`], [`FIRST_NAME`], [`SURNAME_CLK`].
    pub(super) encoded: Vec<BinaryChunked>,
    pub(super) years: Vec<Option<i32>>,
    pub(super) months: Vec<Option<i32>>,
    pub(super) ages: Vec<Option<i32>>,
    pub(super) bands: Vec<Option<String>>,
    pub(super) sexes: Vec<Option<String>>,
    pub(super) keys_computed: Vec<usize>,
    pub(super) encodings: usize,
    pub(super) without_key: usize,
}

/// Pseudonymises rows `range` (independent of every other row).
pub(super) fn pseudonymise_chunk(
    ids: &Identities,
    range: std::ops::Range<usize>,
    key: &SecretKey,
    settings: &Settings,
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
        bands: Vec::with_capacity(len),
        sexes: Vec::with_capacity(len),
        keys_computed: vec![0; tiers],
        encodings: 0,
        without_key: 0,
    };
    // Token hashes of the encodings, shared by the rows of this run (one key).
    let mut memo = TokenMemo::default();
    for i in range {
        let id = Identity {
            prenom: clean(ids.prenom[i]),
            nom: clean(ids.nom[i]),
            nom_mere: clean(ids.mere[i]),
            naissance: ids.births[i],
            sexe: ids.sexe[i].and_then(normalise::sex),
        };
        let mut keyed = key_pseudonyms(&id, key, settings, &mut text, &mut chunk);
        let fp = match (ids.dossier[i], ids.service[i]) {
            (Some(d), Some(s)) if !d.trim().is_empty() => {
                keyed = true;
                Some(key.pseudonym("observatoire/dossier/v1", &[s.trim(), d.trim()]))
            }
            _ => None,
        };
        text[tiers + FILE].append_option(fp);
        if encodings(&id, key, &mut text[tiers..], &mut encoded, &mut memo) {
            chunk.encodings += 1;
            keyed = true;
        }
        blocking_keys(&id, key, &mut text[tiers..]);
        if !keyed {
            chunk.without_key += 1;
        }
        chunk.push_generalised(&id, settings);
    }
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
    key: &SecretKey,
    settings: &Settings,
    text: &mut [StringChunkedBuilder],
    chunk: &mut Chunk,
) -> bool {
    let mut keyed = false;
    for (t, fields) in settings.key_set.iter().enumerate() {
        let values: Option<Vec<String>> = fields.iter().map(|f| id.field(f)).collect();
        let p = values.map(|v| {
            let refs: Vec<&str> = v.iter().map(String::as_str).collect();
            key.pseudonym(&format!("observatoire/cle/v1/{}", fields.join("+")), &refs)
        });
        if p.is_some() {
            chunk.keys_computed[t] += 1;
            keyed = true;
        }
        text[t].append_option(p);
    }
    keyed
}

/// The fuzzy encoding of the identity and its control pseudonyms (surname and mother's
/// name under one domain, so that a mother's name can be compared with a surname;
/// first-name and surname encodings; birth date in either day/month order), into
/// `fixed` (the text columns after the key pseudonyms) and `encoded`; whether the
/// identity could be encoded.
fn encodings(
    id: &Identity,
    key: &SecretKey,
    fixed: &mut [StringChunkedBuilder],
    encoded: &mut [BinaryChunkedBuilder],
    memo: &mut TokenMemo,
) -> bool {
    let clk = Clk::encode_memo(
        key,
        &ClkInput {
            prenom: id.prenom.as_deref(),
            nom: id.nom.as_deref(),
            nom_mere: id.nom_mere.as_deref(),
            naissance: id.naissance,
            sexe: id.sexe,
        },
        memo,
    );
    let made = clk.is_some();
    encoded[CLK].append_option(clk.map(|c| c.to_bytes()));
    let name_control = |s: &Option<String>| {
        s.as_ref()
            .map(|s| key.pseudonym("observatoire/controle-nom/v1", &[s]))
    };
    fixed[SURNAME].append_option(name_control(&id.nom));
    fixed[MOTHER].append_option(name_control(&id.nom_mere));
    encoded[SURNAME_CLK].append_option(
        id.nom
            .as_deref()
            .and_then(|s| Clk::encode_surname_memo(key, s, memo))
            .map(|c| c.to_bytes()),
    );
    encoded[FIRST_NAME].append_option(
        id.prenom
            .as_deref()
            .and_then(|p| Clk::encode_first_name_memo(key, p, memo))
            .map(|c| c.to_bytes()),
    );
    fixed[CONTROL].append_option(id.naissance.map(|d| {
        let (a, b) = (d.day().min(d.month()), d.day().max(d.month()));
        key.pseudonym(
            "observatoire/controle-naissance/v1",
            &[&d.year().to_string(), &a.to_string(), &b.to_string()],
        )
    }));
    made
}

/// Blocking keys: birth year + month; birth year + first letters of the first name;
/// birth year + first letters of the surname.
fn blocking_keys(id: &Identity, key: &SecretKey, fixed: &mut [StringChunkedBuilder]) {
    let y = id.naissance.map(normalise::year);
    let head =
        |s: &Option<String>, k: usize| s.as_ref().map(|v| v.chars().take(k).collect::<String>());
    let parts: [Option<(String, String)>; columns::BLOCKS] = [
        y.clone()
            .zip(id.naissance.map(|d| format!("{:02}", d.month()))),
        y.clone().zip(head(&id.prenom, 3)),
        y.zip(head(&id.nom, 3)),
    ];
    for (b, p) in parts.into_iter().enumerate() {
        fixed[BLOCK + b].append_option(
            p.map(|(a, c)| key.pseudonym(&format!("observatoire/bloc/v1/{b}"), &[&a, &c])),
        );
    }
}

impl Chunk {
    /// The generalised quasi-identifiers of one identity: birth year and month, age at
    /// the end of the reference year, age band, sex.
    fn push_generalised(&mut self, id: &Identity, settings: &Settings) {
        self.years.push(id.naissance.map(|d| d.year()));
        self.months.push(id.naissance.map(|d| d.month() as i32));
        let age = id
            .naissance
            .map(|d| generalise::age_at_year_end(d.year(), settings.reference_year));
        self.ages.push(age);
        self.bands
            .push(age.map(|a| generalise::age_band(a, &settings.age_bands)));
        self.sexes.push(id.sexe.map(String::from));
    }
}
