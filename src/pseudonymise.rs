//! Stage 2 — pseudonymise. Replaces the direct identifiers of `accompagnements` (nom,
//! prénom, date de naissance, nom de la mère, numéro de dossier) with a keyed,
//! irreversible person key, and keeps only generalised quasi-identifiers (birth year and
//! month). Raw identities never pass this point: every later stage, and everything
//! written to disk, sees only the output of [`pseudonymise`].
//!
//! Key: HMAC-SHA-256 over the normalised fields, with a domain label and a field
//! separator. In this version the key is drawn at random for each run and never
//! written, so person keys only serve to count distinct persons within a run.

use hmac::{Hmac, KeyInit, Mac};
use polars::prelude::*;
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;

use crate::error::Error;
use crate::tables::columns as col;

/// Identity columns removed by this stage.
pub const IDENTITY_COLUMNS: [&str; 5] = [
    "nom",
    "prenom",
    "date_naissance",
    "nom_mere",
    "numero_dossier",
];

/// Generalised columns added by this stage.
pub const BIRTH_YEAR: &str = "annee_naissance";
pub const BIRTH_MONTH: &str = "mois_naissance";

/// A 256-bit secret key, wiped from memory when dropped.
pub struct PseudonymKey([u8; 32]);

impl Drop for PseudonymKey {
    fn drop(&mut self) {
        self.0 = [0; 32];
        std::hint::black_box(&self.0);
    }
}

impl PseudonymKey {
    /// A fresh random key for this run only.
    pub fn ephemeral() -> Result<PseudonymKey, Error> {
        let mut k = [0u8; 32];
        getrandom::fill(&mut k)
            .map_err(|e| Error::Internal(format!("générateur aléatoire indisponible : {e}")))?;
        Ok(PseudonymKey(k))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> PseudonymKey {
        PseudonymKey(bytes)
    }

    /// Keyed hash of `fields` under `domain`, hex-encoded.
    pub fn pseudonym(&self, domain: &str, fields: &[&str]) -> Result<String, Error> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .map_err(|_| Error::Internal("clé HMAC invalide".into()))?;
        mac.update(domain.as_bytes());
        for f in fields {
            mac.update(&[0x1F]);
            mac.update(f.as_bytes());
        }
        Ok(hex::encode(mac.finalize().into_bytes()))
    }
}

/// Normalises a name for keying: Unicode NFKD, accents removed, œ/æ/ß spelled out,
/// upper case, only A–Z kept (hyphens, spaces, apostrophes and digits dropped).
/// `Marie-Ève` and `MARIE EVE` give `MARIEEVE`; NFC and NFD inputs give the same result.
pub fn normalise_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd() {
        match c {
            'œ' | 'Œ' => out.push_str("OE"),
            'æ' | 'Æ' => out.push_str("AE"),
            'ß' => out.push_str("SS"),
            c if c.is_ascii_alphabetic() => out.push(c.to_ascii_uppercase()),
            _ => {}
        }
    }
    out
}

/// Replaces identity columns with `personne`, `annee_naissance`, `mois_naissance`.
pub fn pseudonymise(accompaniments: &DataFrame, key: &PseudonymKey) -> Result<DataFrame, Error> {
    let n = accompaniments.height();
    let text = |name: &str| -> Result<Vec<Option<String>>, Error> {
        let c = accompaniments.column(name)?;
        Ok(c.str()?.iter().map(|v| v.map(str::to_string)).collect())
    };
    let nom = text("nom")?;
    let prenom = text("prenom")?;
    let dossier = text("numero_dossier")?;
    let service = text(col::SERVICE)?;
    let births: Vec<Option<i32>> = accompaniments
        .column("date_naissance")?
        .cast(&DataType::Int32)?
        .i32()?
        .iter()
        .collect();
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let mut persons: Vec<Option<String>> = Vec::with_capacity(n);
    let mut years: Vec<Option<i32>> = Vec::with_capacity(n);
    let mut months: Vec<Option<i32>> = Vec::with_capacity(n);
    for i in 0..n {
        let birth =
            births[i].and_then(|d| epoch.checked_add_signed(chrono::Duration::days(i64::from(d))));
        use chrono::Datelike;
        years.push(birth.map(|b| b.year()));
        months.push(birth.map(|b| b.month() as i32));
        let nn: Option<String> = nom[i]
            .as_deref()
            .map(normalise_name)
            .filter(|s| !s.is_empty());
        let pn: Option<String> = prenom[i]
            .as_deref()
            .map(normalise_name)
            .filter(|s| !s.is_empty());
        let person = match (nn, pn, birth) {
            (Some(nn), Some(pn), Some(b)) => Some(key.pseudonym(
                "observatoire/personne/v1",
                &[&pn, &nn, &b.format("%Y-%m-%d").to_string()],
            )?),
            _ => match (&dossier[i], &service[i]) {
                (Some(d), Some(s)) if !d.trim().is_empty() => {
                    Some(key.pseudonym("observatoire/dossier/v1", &[s.trim(), d.trim()])?)
                }
                _ => None,
            },
        };
        persons.push(person);
    }
    let mut out = accompaniments.drop_many(IDENTITY_COLUMNS);
    out.with_column(Column::new(col::PERSON.into(), persons))?;
    out.with_column(Column::new(BIRTH_YEAR.into(), years))?;
    out.with_column(Column::new(BIRTH_MONTH.into(), months))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_normalisation_rules() {
        assert_eq!(normalise_name("Marie-Ève"), "MARIEEVE");
        assert_eq!(normalise_name("marie eve"), "MARIEEVE");
        assert_eq!(normalise_name("N'Diaye"), "NDIAYE");
        assert_eq!(normalise_name("Lætitia"), "LAETITIA");
        assert_eq!(normalise_name("Cœur"), "COEUR");
        assert_eq!(normalise_name("Strauß"), "STRAUSS");
        assert_eq!(normalise_name("Ça"), "CA");
        // NFC and NFD spellings of the same name.
        assert_eq!(
            normalise_name("H\u{e9}l\u{e8}ne"),
            normalise_name("He\u{301}le\u{300}ne")
        );
    }

    #[test]
    fn pseudonyms_depend_on_key_and_input() {
        let k1 = PseudonymKey::from_bytes([1; 32]);
        let k2 = PseudonymKey::from_bytes([2; 32]);
        let a = k1.pseudonym("d", &["LEA", "MARTIN"]).unwrap();
        assert_eq!(a, k1.pseudonym("d", &["LEA", "MARTIN"]).unwrap());
        assert_ne!(a, k2.pseudonym("d", &["LEA", "MARTIN"]).unwrap());
        assert_ne!(a, k1.pseudonym("e", &["LEA", "MARTIN"]).unwrap());
        // The separator keeps field boundaries: ("AB","C") differs from ("A","BC").
        assert_ne!(
            k1.pseudonym("d", &["AB", "C"]).unwrap(),
            k1.pseudonym("d", &["A", "BC"]).unwrap()
        );
        assert_eq!(a.len(), 64);
    }
}
