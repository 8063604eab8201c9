//! Stage 2 — pseudonymise, at the partner. Replaces the direct identifiers of
//! `accompagnements` (nom, prénom, date de naissance, nom de la mère, numéro de dossier)
//! with keyed, irreversible pseudonyms, a keyed Bloom-filter encoding for fuzzy linkage
//! and keyed blocking keys, and generalises quasi-identifiers (birth date → month and
//! year, age and age band at the reference date; residence → département; free text
//! dropped). The output — the pseudonymised extract — is the only thing that leaves a
//! partner; raw identities never pass this point.
//!
//! Pseudonyms are HMAC-SHA-256 under the collective's key, over normalised fields
//! ([`normalise`]) with a domain label and a field separator. The default key set is the
//! one of CASF art. D226-3-4 (prénom, mois et année de naissance, nom de famille de la
//! mère), then nom + prénom + date de naissance + sexe for files without the mother's
//! name.

pub mod bloom;
pub mod generalise;
pub mod keys;
pub mod letters;
mod memo;
pub mod normalise;
mod rekey;
mod rows;

use chrono::NaiveDate;
use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::Error;
use crate::tables::columns as col;
use bloom::Clk;
use keys::SecretKey;
pub use memo::Memos;
pub use rekey::{Rekey, rekey};
use rows::{
    BLOCK, CHUNK_ROWS, CLK, CONTROL, Chunk, ENCODINGS, FILE, FIRST_NAME, FIRST_NAME_LETTERS,
    FIRST_NAME_NEIGHBOURS, FIXED_TEXTS, Finish, Identities, MOTHER, SURNAME, SURNAME_CLK,
    SURNAME_LETTERS, SURNAME_NEIGHBOURS, pseudonymise_chunk,
};

/// Identity columns removed by this stage.
pub const IDENTITY_COLUMNS: [&str; 5] = [
    "nom",
    "prenom",
    "date_naissance",
    "nom_mere",
    "numero_dossier",
];
/// Free-text columns dropped before anything leaves a partner.
pub use crate::settings::FREE_TEXT_FIELDS as FREE_TEXT_COLUMNS;

/// Columns of the pseudonymised extract added by this stage.
pub mod columns;

pub use crate::settings::KEY_FIELDS;

pub use crate::settings::{PseudonymiseSettings as Settings, default_key_set};

/// What this stage did, for the manifest and the report (counts only).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub empreinte_cle: String,
    pub enregistrements: usize,
    /// Records with a pseudonym, per key of the key set.
    pub cles_calculees: Vec<usize>,
    pub encodages_flous: usize,
    /// Records with no pseudonym at all (kept, counted, each taken as its own person).
    pub sans_cle: usize,
    /// Smallest number of records sharing the same quasi-identifiers.
    pub k_anonymat: usize,
    pub quasi_identifiants: Vec<String>,
}

fn text_col(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, Error> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// A text column, borrowed from the table (no copy of its values).
fn text_ref<'a>(df: &'a DataFrame, name: &str) -> Result<Vec<Option<&'a str>>, Error> {
    Ok(df.column(name)?.str()?.iter().collect())
}

fn day_col(df: &DataFrame, name: &str) -> Result<Vec<Option<NaiveDate>>, Error> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    Ok(df
        .column(name)?
        .cast(&DataType::Int32)?
        .i32()?
        .iter()
        .map(|v| v.and_then(|d| epoch.checked_add_signed(chrono::Duration::days(i64::from(d)))))
        .collect())
}

/// Pseudonymises `accompaniments` (canonical table with identities) into the extract.
/// Rows are pseudonymised in parallel by runs of [`CHUNK_ROWS`]; the output does not
/// depend on the number of threads. The identity columns are only borrowed, never
/// copied, and the borrowed views are released as soon as every row is pseudonymised.
pub fn pseudonymise(
    accompaniments: &DataFrame,
    key: &SecretKey,
    settings: &Settings,
) -> Result<(DataFrame, Report), Error> {
    pseudonymise_with(accompaniments, key, settings, &Memos::new())
}

/// [`pseudonymise`] with a reading session's memos ([`Memos`]: one for every file of a
/// run).
pub fn pseudonymise_with(
    accompaniments: &DataFrame,
    key: &SecretKey,
    settings: &Settings,
    memos: &Memos,
) -> Result<(DataFrame, Report), Error> {
    pseudonymise_as(accompaniments, key, Finish::Collective, settings, memos)
}

/// [`pseudonymise`] then [`Rekey::apply`], in one pass: each pseudonym is re-keyed as it
/// is made and each encoding permuted, so the values under the collective's key never
/// form a column (the observatory reading its own spreadsheets). The extract is the
/// same as the two steps', and so is the report (it names the collective's key).
pub fn pseudonymise_rekeyed(
    accompaniments: &DataFrame,
    key: &SecretKey,
    rekey: &Rekey,
    settings: &Settings,
    memos: &Memos,
) -> Result<(DataFrame, Report), Error> {
    pseudonymise_as(
        accompaniments,
        key,
        Finish::Observatory(rekey),
        settings,
        memos,
    )
}

fn pseudonymise_as(
    accompaniments: &DataFrame,
    key: &SecretKey,
    finish: Finish,
    settings: &Settings,
    memos: &Memos,
) -> Result<(DataFrame, Report), Error> {
    let n = accompaniments.height();
    // What the session's memos serve: the key, and the observatory's when re-keyed.
    let owner = match finish {
        Finish::Collective => key.fingerprint(),
        Finish::Observatory(r) => format!("{}/{}", key.fingerprint(), r.key().fingerprint()),
    };
    let ids = Identities {
        nom: text_ref(accompaniments, "nom")?,
        prenom: text_ref(accompaniments, "prenom")?,
        mere: text_ref(accompaniments, "nom_mere")?,
        dossier: text_ref(accompaniments, "numero_dossier")?,
        sexe: text_ref(accompaniments, "sexe")?,
        service: text_ref(accompaniments, col::SERVICE)?,
        births: day_col(accompaniments, "date_naissance")?,
    };
    let residence = text_col(accompaniments, "departement_residence")?;
    let free_text: Vec<(&str, Vec<Option<String>>)> = FREE_TEXT_COLUMNS
        .iter()
        .filter(|c| settings.coded_values.contains_key(**c))
        .map(|c| Ok((*c, text_col(accompaniments, c)?)))
        .collect::<Result<_, Error>>()?;

    let starts: Vec<usize> = (0..n).step_by(CHUNK_ROWS).collect();
    let chunks: Vec<Chunk> = starts
        .into_par_iter()
        .map(|s| {
            memos.with(&owner, |memo| {
                pseudonymise_chunk(
                    &ids,
                    s..(s + CHUNK_ROWS).min(n),
                    key,
                    finish,
                    settings,
                    memo,
                )
            })
        })
        .collect();
    drop(ids);
    let (merged, mut report) = merge(chunks, key, n, settings.key_set.len())?;

    let mut out = accompaniments.drop_many(
        IDENTITY_COLUMNS
            .iter()
            .chain(FREE_TEXT_COLUMNS.iter())
            .copied(),
    );
    let Chunk {
        text,
        encoded,
        years,
        months,
        ages,
        bands,
        sexes,
        mother_parts,
        compound,
        ..
    } = merged;
    out.with_column(sexes.with_name("sexe".into()).into_column())?;
    out = out.drop_many(["departement_residence"]);
    let generalised: Vec<Option<String>> = residence
        .iter()
        .map(|r| {
            r.as_deref()
                .and_then(|r| generalise::residence_at(r, settings.residence_level))
        })
        .collect();
    out.with_column(Column::new(columns::RESIDENCE.into(), generalised))?;
    // Free text passes only as one of the codes the pipeline maps it to.
    for (name, values) in free_text {
        let allowed = settings.coded_values.get(name);
        let kept: Vec<Option<String>> = values
            .into_iter()
            .map(|v| v.filter(|v| allowed.is_some_and(|a| a.contains(v))))
            .collect();
        out.with_column(Column::new(name.into(), kept))?;
    }
    out.with_column(Column::new(columns::BIRTH_YEAR.into(), years))?;
    out.with_column(Column::new(columns::BIRTH_MONTH.into(), months))?;
    out.with_column(Column::new(columns::AGE.into(), ages))?;
    out.with_column(bands.with_name(columns::AGE_BAND.into()).into_column())?;
    with_pseudonyms(
        &mut out,
        (text, encoded, [mother_parts, compound]),
        key,
        settings,
    )?;
    let qi = [
        "annee_naissance",
        "mois_naissance",
        "sexe",
        columns::RESIDENCE,
        col::SERVICE,
    ];
    report.k_anonymat = generalise::smallest_group(&out, &qi)?;
    report.quasi_identifiants = qi.iter().map(|s| s.to_string()).collect();
    Ok((out, report))
}

/// The chunks put end to end (in the order of the rows), and the report's counts.
fn merge(
    chunks: Vec<Chunk>,
    key: &SecretKey,
    n: usize,
    tiers: usize,
) -> Result<(Chunk, Report), Error> {
    let mut report = Report {
        empreinte_cle: key.fingerprint(),
        enregistrements: n,
        cles_calculees: vec![0; tiers],
        ..Default::default()
    };
    let mut text: Vec<StringChunked> = (0..tiers + FIXED_TEXTS)
        .map(|_| StringChunked::full_null(PlSmallStr::EMPTY, 0))
        .collect();
    let (mut years, mut months, mut ages) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut bands = StringChunked::full_null(PlSmallStr::EMPTY, 0);
    let mut sexes = StringChunked::full_null(PlSmallStr::EMPTY, 0);
    let mut mother_parts = Vec::with_capacity(n);
    let mut compound = Vec::with_capacity(n);
    let mut encoded: Vec<BinaryChunked> = (0..ENCODINGS)
        .map(|_| BinaryChunked::full_null(PlSmallStr::EMPTY, 0))
        .collect();
    for c in chunks {
        for (all, part) in text.iter_mut().zip(&c.text) {
            all.append(part)?;
        }
        for (all, part) in encoded.iter_mut().zip(&c.encoded) {
            all.append(part)?;
        }
        for (t, k) in c.keys_computed.iter().enumerate() {
            report.cles_calculees[t] += k;
        }
        report.encodages_flous += c.encodings;
        report.sans_cle += c.without_key;
        years.extend(c.years);
        months.extend(c.months);
        ages.extend(c.ages);
        bands.append(&c.bands)?;
        sexes.append(&c.sexes)?;
        mother_parts.extend(c.mother_parts);
        compound.extend(c.compound);
    }
    let merged = Chunk {
        text,
        encoded,
        years,
        months,
        ages,
        bands,
        sexes,
        mother_parts,
        compound,
        keys_computed: Vec::new(),
        encodings: 0,
        without_key: 0,
    };
    Ok((merged, report))
}

/// Adds the pseudonym columns to `out`, in the order of the contract: key pseudonyms,
/// file pseudonym, fuzzy encoding, birth control, key fingerprint and set, surname and
/// mother's-name controls, whether the mother's name is a part of the surname and
/// whether the first name is compound, first-name and surname encodings, blocking keys.
fn with_pseudonyms(
    out: &mut DataFrame,
    (text, encoded, [mother_parts, compound]): (
        Vec<StringChunked>,
        Vec<BinaryChunked>,
        [Vec<Option<bool>>; 2],
    ),
    key: &SecretKey,
    settings: &Settings,
) -> Result<(), Error> {
    let n = out.height();
    let tiers = settings.key_set.len();
    let named = |c: Option<&StringChunked>, name: &str| -> Column {
        c.cloned()
            .unwrap_or_else(|| StringChunked::full_null(PlSmallStr::EMPTY, n))
            .with_name(name.into())
            .into_series()
            .into()
    };
    let fixed = |i: usize, name: &str| named(text.get(tiers + i), name);
    let binary = |i: usize, name: &str| -> Column {
        encoded
            .get(i)
            .cloned()
            .unwrap_or_else(|| BinaryChunked::full_null(PlSmallStr::EMPTY, n))
            .with_name(name.into())
            .into_series()
            .into()
    };
    for t in 0..tiers {
        out.with_column(named(
            text.get(t),
            &format!("{}{}", columns::PSEUDONYM_PREFIX, t + 1),
        ))?;
    }
    out.with_column(fixed(FILE, columns::FILE_PSEUDONYM))?;
    out.with_column(binary(CLK, columns::CLK))?;
    out.with_column(fixed(CONTROL, columns::BIRTH_CONTROL))?;
    // One value for every row: kept once, not once a row (stacking keeps it so,
    // `ingest::stack`).
    let constant = |name: &str, value: String| {
        Column::new_scalar(
            name.into(),
            Scalar::new(DataType::String, AnyValue::StringOwned(value.into())),
            n,
        )
    };
    out.with_column(constant(columns::KEY_FINGERPRINT, key.fingerprint()))?;
    let key_set: Vec<String> = settings.key_set.iter().map(|k| k.join("+")).collect();
    out.with_column(constant(columns::KEY_SET, key_set.join("|")))?;
    out.with_column(fixed(SURNAME, columns::SURNAME_CONTROL))?;
    out.with_column(fixed(MOTHER, columns::MOTHER_CONTROL))?;
    out.with_column(Column::new(columns::MOTHER_IN_SURNAME.into(), mother_parts))?;
    out.with_column(Column::new(columns::COMPOUND_FIRST_NAME.into(), compound))?;
    out.with_column(fixed(FIRST_NAME_LETTERS, columns::FIRST_NAME_LETTERS))?;
    out.with_column(fixed(SURNAME_LETTERS, columns::SURNAME_LETTERS))?;
    out.with_column(binary(FIRST_NAME, columns::FIRST_NAME_CLK))?;
    out.with_column(binary(SURNAME_CLK, columns::SURNAME_CLK))?;
    out.with_column(binary(
        FIRST_NAME_NEIGHBOURS,
        columns::FIRST_NAME_NEIGHBOURS,
    ))?;
    out.with_column(binary(SURNAME_NEIGHBOURS, columns::SURNAME_NEIGHBOURS))?;
    for b in 0..columns::BLOCKS {
        out.with_column(fixed(
            BLOCK + b,
            &format!("{}{}", columns::BLOCK_PREFIX, b + 1),
        ))?;
    }
    Ok(())
}

/// The Bloom-encoding columns of an extract.
pub const ENCODING_COLUMNS: [&str; 3] =
    [columns::CLK, columns::FIRST_NAME_CLK, columns::SURNAME_CLK];

/// The encodings of `df` as binary columns (128 bytes each), the extract's form since
/// issue 10: an extract of an earlier version carries them in hexadecimal, decoded here
/// (a value that is not an encoding becomes empty, as linkage always read it).
pub fn encodings_as_binary(mut df: DataFrame) -> Result<DataFrame, Error> {
    for name in ENCODING_COLUMNS {
        let Ok(c) = df.column(name) else { continue };
        if c.dtype() != &DataType::String {
            continue;
        }
        let bytes: BinaryChunked = c
            .str()?
            .iter()
            .map(|v| v.and_then(Clk::from_hex).map(|c| c.to_bytes()))
            .collect::<Vec<_>>()
            .iter()
            .map(|v| v.as_ref().map(|b| &b[..]))
            .collect();
        df.with_column(bytes.with_name(name.into()).into_column())?;
    }
    // Letter neighbourhoods were always binary: any other type is a damaged or forged
    // column, read as absent (and counted by `unreadable_encodings`).
    for name in NEIGHBOURHOOD_COLUMNS {
        let Ok(c) = df.column(name) else { continue };
        if c.dtype() != &DataType::Binary {
            let empty = BinaryChunked::full_null(name.into(), c.len());
            df.with_column(empty.into_column())?;
        }
    }
    Ok(df)
}

/// The letter-neighbourhood columns of an extract ([`letters`]).
pub const NEIGHBOURHOOD_COLUMNS: [&str; 2] =
    [columns::FIRST_NAME_NEIGHBOURS, columns::SURNAME_NEIGHBOURS];

/// Encodings present in `df` but unreadable (text that is not the hexadecimal of an
/// encoding, bytes of another length; a letter neighbourhood of an odd length or not
/// binary), over every encoding column: linkage reads them
/// as absent, so the run reports how many (`encodages_illisibles` of the link report)
/// instead of linking those records on their exact keys alone without a word. Only a
/// damaged or forged extract has any: the tool writes none.
pub fn unreadable_encodings(df: &DataFrame) -> Result<usize, Error> {
    let mut n = 0;
    for name in ENCODING_COLUMNS {
        let Ok(c) = df.column(name) else { continue };
        n += match c.dtype() {
            DataType::String => c
                .str()?
                .iter()
                .filter(|v| v.is_some_and(|v| Clk::from_hex(v).is_none()))
                .count(),
            DataType::Binary => c
                .binary()?
                .iter()
                .filter(|v| v.is_some_and(|v| Clk::from_bytes(v).is_none()))
                .count(),
            // Any other type holds no encoding at all.
            _ => c.len() - c.null_count(),
        };
    }
    for name in NEIGHBOURHOOD_COLUMNS {
        let Ok(c) = df.column(name) else { continue };
        n += match c.dtype() {
            DataType::Binary => c
                .binary()?
                .iter()
                .filter(|v| v.is_some_and(|v| !letters::readable(v)))
                .count(),
            _ => c.len() - c.null_count(),
        };
    }
    Ok(n)
}

/// Column of staff pseudonyms (tables `personnel` and `formation`).
pub const STAFF_PSEUDONYM: &str = "salarie_pseudonyme";

/// Replaces the staff identifier (`salarie`: matricule or name) of `personnel` or
/// `formation` with a keyed pseudonym, per organisation, so that the same employee has
/// the same pseudonym in both tables. Rows already pseudonymised (from a partner's
/// extract) keep theirs.
pub fn pseudonymise_staff(df: &DataFrame, key: &SecretKey) -> Result<DataFrame, Error> {
    if df.height() == 0 || df.column("salarie").is_err() {
        return Ok(df.clone());
    }
    let ids = text_col(df, "salarie")?;
    let orgs = match df.column(col::ORGANISATION) {
        Ok(_) => text_col(df, col::ORGANISATION)?,
        Err(_) => vec![None; df.height()],
    };
    let existing = match df.column(STAFF_PSEUDONYM) {
        Ok(_) => text_col(df, STAFF_PSEUDONYM)?,
        Err(_) => vec![None; df.height()],
    };
    let pseudonyms: Vec<Option<String>> = (0..df.height())
        .map(|i| match (&ids[i], &existing[i]) {
            (_, Some(p)) => Some(p.clone()),
            (Some(id), None) => {
                let id = crate::text::fold(id);
                let org = orgs[i]
                    .as_deref()
                    .map(crate::text::fold)
                    .unwrap_or_default();
                Some(key.pseudonym("observatoire/salarie/v1", &[&org, &id]))
            }
            (None, None) => None,
        })
        .collect();
    let mut out = df.drop_many(["salarie"]);
    out.with_column(Column::new(STAFF_PSEUDONYM.into(), pseudonyms))?;
    Ok(out)
}

/// Distinct non-null values of a text column (empty if the column is absent).
pub fn distinct_values(df: &DataFrame, name: &str) -> Result<Vec<String>, Error> {
    let Ok(c) = df.column(name) else {
        return Ok(Vec::new());
    };
    if let Column::Scalar(one) = c {
        return Ok(one
            .scalar()
            .value()
            .extract_str()
            .filter(|_| !one.is_empty())
            .map(|v| vec![v.to_string()])
            .unwrap_or_default());
    }
    let mut v: Vec<String> = c.str()?.iter().flatten().map(str::to_string).collect();
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

/// Names of the pseudonym columns of an extract, in key order.
pub fn pseudonym_columns(df: &DataFrame) -> Vec<String> {
    let mut v: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .filter(|s| s.starts_with(columns::PSEUDONYM_PREFIX) && s != columns::FILE_PSEUDONYM)
        .collect();
    v.sort_by_key(|s| {
        s[columns::PSEUDONYM_PREFIX.len()..]
            .parse::<usize>()
            .unwrap_or(usize::MAX)
    });
    v
}

/// The columns of `df` that only linkage reads: key and file pseudonyms, encodings,
/// controls, letter controls and neighbourhoods, the two marks read on the names as
/// written (`prenom_compose`, `mere_partie_du_nom`), blocking keys, key fingerprint and
/// key set.
pub fn linkage_columns(df: &DataFrame) -> Vec<String> {
    let mut names = pseudonym_columns(df);
    names.extend(
        [
            columns::FILE_PSEUDONYM,
            columns::CLK,
            columns::FIRST_NAME_CLK,
            columns::SURNAME_CLK,
            columns::BIRTH_CONTROL,
            columns::SURNAME_CONTROL,
            columns::MOTHER_CONTROL,
            columns::MOTHER_IN_SURNAME,
            columns::COMPOUND_FIRST_NAME,
            columns::FIRST_NAME_LETTERS,
            columns::SURNAME_LETTERS,
            columns::FIRST_NAME_NEIGHBOURS,
            columns::SURNAME_NEIGHBOURS,
            columns::KEY_FINGERPRINT,
            columns::KEY_SET,
        ]
        .map(String::from),
    );
    names.extend((1..=columns::BLOCKS).map(|b| format!("{}{b}", columns::BLOCK_PREFIX)));
    names.retain(|n| df.column(n).is_ok());
    names
}

#[cfg(test)]
mod tests;
