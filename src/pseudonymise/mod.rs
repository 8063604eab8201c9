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
pub mod normalise;

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use serde::Serialize;

use crate::error::Error;
use crate::tables::columns as col;
use bloom::{Clk, ClkInput};
use keys::SecretKey;

/// Identity columns removed by this stage.
pub const IDENTITY_COLUMNS: [&str; 5] = [
    "nom",
    "prenom",
    "date_naissance",
    "nom_mere",
    "numero_dossier",
];
/// Free-text columns dropped before anything leaves a partner.
pub const FREE_TEXT_COLUMNS: [&str; 1] = ["motif_sortie"];

/// Columns of the pseudonymised extract added by this stage.
pub mod columns {
    pub const BIRTH_YEAR: &str = "annee_naissance";
    /// Residence reduced to the pipeline's territory level (département by default).
    pub const RESIDENCE: &str = "territoire_residence";
    pub const BIRTH_MONTH: &str = "mois_naissance";
    pub const AGE: &str = "age_fin_periode";
    pub const AGE_BAND: &str = "tranche_age_fin_periode";
    /// `pseudonyme_1`, `pseudonyme_2`…: one per key of the key set, in order.
    pub const PSEUDONYM_PREFIX: &str = "pseudonyme_";
    /// Pseudonym of (service, numéro de dossier): links records within one service.
    pub const FILE_PSEUDONYM: &str = "pseudonyme_dossier";
    pub const CLK: &str = "clk";
    /// Keyed control of the birth date (year, day and month in either order): two
    /// records sharing an exact key but not this control are different children.
    pub const BIRTH_CONTROL: &str = "controle_naissance";
    /// Fingerprint of the collective's key the extract was made with.
    pub const KEY_FINGERPRINT: &str = "empreinte_cle";
    /// The key set, e.g. `prenom+mois_naissance+nom_mere|nom+prenom+date_naissance+sexe`.
    pub const KEY_SET: &str = "jeu_de_cles";
    /// Keyed control of the normalised surname.
    pub const SURNAME_CONTROL: &str = "controle_nom";
    /// Bloom encoding of the first name alone.
    pub const FIRST_NAME_CLK: &str = "clk_prenom";
    /// `bloc_1`…`bloc_3`: keyed blocking keys for fuzzy linkage.
    pub const BLOCK_PREFIX: &str = "bloc_";
    pub const BLOCKS: usize = 3;
}

pub use crate::settings::KEY_FIELDS;

/// The default key set: D226-3-4, then a looser key for files without the mother's name.
pub fn default_key_set() -> Vec<Vec<String>> {
    vec![
        vec!["prenom".into(), "mois_naissance".into(), "nom_mere".into()],
        vec![
            "nom".into(),
            "prenom".into(),
            "date_naissance".into(),
            "sexe".into(),
        ],
    ]
}

/// Settings of this stage.
#[derive(Debug, Clone)]
pub struct Settings {
    pub key_set: Vec<Vec<String>>,
    /// Age bands: lower bounds in years, e.g. `[0, 3, 6, 11, 16, 18, 21]`.
    pub age_bands: Vec<u32>,
    /// Ages are computed at 31/12 of this year.
    pub reference_year: i32,
    /// Territory level the residence is reduced to.
    pub residence_level: generalise::ResidenceLevel,
    /// Free-text fields kept because the pipeline maps them to codes: only these
    /// canonical values pass; any other text is dropped.
    pub coded_values: std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
}

impl Settings {
    /// Defaults: D226-3-4 key set, default age bands, residence by département.
    pub fn new(reference_year: i32) -> Settings {
        Settings {
            key_set: default_key_set(),
            age_bands: generalise::DEFAULT_AGE_BANDS.to_vec(),
            reference_year,
            residence_level: generalise::ResidenceLevel::Department,
            coded_values: Default::default(),
        }
    }
}

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

struct Identity {
    prenom: Option<String>,
    nom: Option<String>,
    nom_mere: Option<String>,
    naissance: Option<NaiveDate>,
    sexe: Option<char>,
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

fn text_col(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, Error> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
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
pub fn pseudonymise(
    accompaniments: &DataFrame,
    key: &SecretKey,
    settings: &Settings,
) -> Result<(DataFrame, Report), Error> {
    let n = accompaniments.height();
    let clean = |v: Option<String>| v.map(|s| normalise::name(&s)).filter(|s| !s.is_empty());
    let nom = text_col(accompaniments, "nom")?;
    let prenom = text_col(accompaniments, "prenom")?;
    let mere = text_col(accompaniments, "nom_mere")?;
    let dossier = text_col(accompaniments, "numero_dossier")?;
    let sexe = text_col(accompaniments, "sexe")?;
    let service = text_col(accompaniments, col::SERVICE)?;
    let births = day_col(accompaniments, "date_naissance")?;
    let residence = text_col(accompaniments, "departement_residence")?;
    let free_text: Vec<(&str, Vec<Option<String>>)> = FREE_TEXT_COLUMNS
        .iter()
        .filter(|c| settings.coded_values.contains_key(**c))
        .map(|c| Ok((*c, text_col(accompaniments, c)?)))
        .collect::<Result<_, Error>>()?;

    let tiers = settings.key_set.len();
    let mut pseudonyms: Vec<Vec<Option<String>>> =
        (0..tiers).map(|_| Vec::with_capacity(n)).collect();
    let mut file_pseudo: Vec<Option<String>> = Vec::with_capacity(n);
    let mut clks: Vec<Option<String>> = Vec::with_capacity(n);
    let mut controls: Vec<Option<String>> = Vec::with_capacity(n);
    let mut surname_controls: Vec<Option<String>> = Vec::with_capacity(n);
    let mut first_name_clks: Vec<Option<String>> = Vec::with_capacity(n);
    let mut blocks: Vec<Vec<Option<String>>> = (0..columns::BLOCKS)
        .map(|_| Vec::with_capacity(n))
        .collect();
    let (mut years, mut months, mut ages, mut bands) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut sexes: Vec<Option<String>> = Vec::with_capacity(n);
    let mut report = Report {
        empreinte_cle: key.fingerprint(),
        enregistrements: n,
        cles_calculees: vec![0; tiers],
        ..Default::default()
    };

    for i in 0..n {
        let id = Identity {
            prenom: clean(prenom[i].clone()),
            nom: clean(nom[i].clone()),
            nom_mere: clean(mere[i].clone()),
            naissance: births[i],
            sexe: sexe[i].as_deref().and_then(normalise::sex),
        };
        let mut keyed = false;
        for (t, fields) in settings.key_set.iter().enumerate() {
            let values: Option<Vec<String>> = fields.iter().map(|f| id.field(f)).collect();
            let p = values.map(|v| {
                let refs: Vec<&str> = v.iter().map(String::as_str).collect();
                key.pseudonym(&format!("observatoire/cle/v1/{}", fields.join("+")), &refs)
            });
            if p.is_some() {
                report.cles_calculees[t] += 1;
                keyed = true;
            }
            pseudonyms[t].push(p);
        }
        let fp = match (&dossier[i], &service[i]) {
            (Some(d), Some(s)) if !d.trim().is_empty() => {
                keyed = true;
                Some(key.pseudonym("observatoire/dossier/v1", &[s.trim(), d.trim()]))
            }
            _ => None,
        };
        file_pseudo.push(fp);
        let clk = Clk::encode(
            key,
            &ClkInput {
                prenom: id.prenom.as_deref(),
                nom: id.nom.as_deref(),
                nom_mere: id.nom_mere.as_deref(),
                naissance: id.naissance,
                sexe: id.sexe,
            },
        );
        if clk.is_some() {
            report.encodages_flous += 1;
            keyed = true;
        }
        clks.push(clk.map(|c| c.to_hex()));
        surname_controls.push(
            id.nom
                .as_ref()
                .map(|s| key.pseudonym("observatoire/controle-nom/v1", &[s])),
        );
        first_name_clks.push(
            id.prenom
                .as_deref()
                .and_then(|p| Clk::encode_first_name(key, p))
                .map(|c| c.to_hex()),
        );
        controls.push(id.naissance.map(|d| {
            let (a, b) = (d.day().min(d.month()), d.day().max(d.month()));
            key.pseudonym(
                "observatoire/controle-naissance/v1",
                &[&d.year().to_string(), &a.to_string(), &b.to_string()],
            )
        }));
        // Blocking keys: birth year + month; birth year + first letters of the first
        // name; birth year + first letters of the surname.
        let y = id.naissance.map(normalise::year);
        let head = |s: &Option<String>, k: usize| {
            s.as_ref().map(|v| v.chars().take(k).collect::<String>())
        };
        let parts: [Option<(String, String)>; columns::BLOCKS] = [
            y.clone()
                .zip(id.naissance.map(|d| format!("{:02}", d.month()))),
            y.clone().zip(head(&id.prenom, 3)),
            y.zip(head(&id.nom, 3)),
        ];
        for (b, p) in parts.into_iter().enumerate() {
            blocks[b].push(
                p.map(|(a, c)| key.pseudonym(&format!("observatoire/bloc/v1/{b}"), &[&a, &c])),
            );
        }
        if !keyed {
            report.sans_cle += 1;
        }
        years.push(id.naissance.map(|d| d.year()));
        months.push(id.naissance.map(|d| d.month() as i32));
        let age = id
            .naissance
            .map(|d| generalise::age_at_year_end(d.year(), settings.reference_year));
        ages.push(age);
        bands.push(age.map(|a| generalise::age_band(a, &settings.age_bands)));
        sexes.push(id.sexe.map(String::from));
    }

    let mut out = accompaniments.drop_many(
        IDENTITY_COLUMNS
            .iter()
            .chain(FREE_TEXT_COLUMNS.iter())
            .copied(),
    );
    out.with_column(Column::new("sexe".into(), sexes))?;
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
    out.with_column(Column::new(columns::AGE_BAND.into(), bands))?;
    for (t, p) in pseudonyms.into_iter().enumerate() {
        out.with_column(Column::new(
            format!("{}{}", columns::PSEUDONYM_PREFIX, t + 1).into(),
            p,
        ))?;
    }
    out.with_column(Column::new(columns::FILE_PSEUDONYM.into(), file_pseudo))?;
    out.with_column(Column::new(columns::CLK.into(), clks))?;
    out.with_column(Column::new(columns::BIRTH_CONTROL.into(), controls))?;
    out.with_column(Column::new(
        columns::KEY_FINGERPRINT.into(),
        vec![key.fingerprint(); n],
    ))?;
    let key_set: Vec<String> = settings.key_set.iter().map(|k| k.join("+")).collect();
    out.with_column(Column::new(
        columns::KEY_SET.into(),
        vec![key_set.join("|"); n],
    ))?;
    out.with_column(Column::new(
        columns::SURNAME_CONTROL.into(),
        surname_controls,
    ))?;
    out.with_column(Column::new(columns::FIRST_NAME_CLK.into(), first_name_clks))?;
    for (b, v) in blocks.into_iter().enumerate() {
        out.with_column(Column::new(
            format!("{}{}", columns::BLOCK_PREFIX, b + 1).into(),
            v,
        ))?;
    }
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

/// Re-keys an extract at the observatory (two-level scheme, as PMSI's FOIN): every
/// pseudonym and blocking key is hashed again under the observatory's key, and Bloom
/// filters are permuted with a permutation derived from it, so central data cannot be
/// matched against a partner's extract while similarities are unchanged.
pub fn rekey(extract: &DataFrame, observatory: &SecretKey) -> Result<DataFrame, Error> {
    let mut out = extract.clone();
    let mut names: Vec<String> = pseudonym_columns(extract);
    names.push(columns::FILE_PSEUDONYM.into());
    names.push(columns::BIRTH_CONTROL.into());
    names.push(columns::SURNAME_CONTROL.into());
    for b in 1..=columns::BLOCKS {
        names.push(format!("{}{b}", columns::BLOCK_PREFIX));
    }
    for name in names {
        let v = text_col(extract, &name)?;
        let re: Vec<Option<String>> = v
            .into_iter()
            .map(|p| p.map(|p| observatory.pseudonym("observatoire/recle/v1", &[&p])))
            .collect();
        out.with_column(Column::new(name.as_str().into(), re))?;
    }
    let perm = bloom::keyed_permutation(observatory);
    for name in [columns::CLK, columns::FIRST_NAME_CLK] {
        let Ok(clks) = text_col(extract, name) else {
            continue;
        };
        let re: Vec<Option<String>> = clks
            .into_iter()
            .map(|c| {
                c.and_then(|h| Clk::from_hex(&h))
                    .map(|c| c.permute(&perm).to_hex())
            })
            .collect();
        out.with_column(Column::new(name.into(), re))?;
    }
    Ok(out)
}
