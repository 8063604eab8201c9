//! The keys and the stage settings of a run, resolved from the pipeline file.

use super::*;

/// The keys a run uses.
pub struct Keys {
    /// The collective's key: pseudonyms made at the partners.
    pub collective: SecretKey,
    /// The observatory's key: re-keying before linkage (absent at a partner).
    pub observatory: Option<SecretKey>,
}

pub(super) fn load_key(
    pipeline: &Pipeline,
    file: &Option<String>,
    env: &Option<String>,
    default_env: &str,
) -> Result<SecretKey, KeyError> {
    if let Some(f) = file {
        return SecretKey::load(&pipeline.resolve(f));
    }
    if let Some(v) = env {
        return SecretKey::from_env(v);
    }
    if std::env::var_os(default_env).is_some() {
        return SecretKey::from_env(default_env);
    }
    Err(KeyError::NotConfigured(default_env.to_string()))
}

/// Resolves the keys of `pipeline` (files, environment variables, or the public
/// demonstration keys, which the pipeline validation allows only on sample-data/).
pub fn load_keys(pipeline: &Pipeline, observatory: bool) -> Result<Keys, Error> {
    let c = &pipeline.spec.confidentialite;
    if c.cle_demonstration.as_ref().is_some_and(|d| *d.get_ref()) {
        return Ok(Keys {
            collective: SecretKey::demonstration("collectif"),
            observatory: observatory.then(|| SecretKey::demonstration("observatoire")),
        });
    }
    let collective = load_key(pipeline, &c.cle, &c.cle_env, "OBSERVATOIRE_CLE")?;
    let observatory = if observatory {
        Some(load_key(
            pipeline,
            &c.cle_observatoire,
            &c.cle_observatoire_env,
            "OBSERVATOIRE_CLE_OBSERVATOIRE",
        )?)
    } else {
        None
    };
    Ok(Keys {
        collective,
        observatory,
    })
}

/// Pseudonymisation settings of `pipeline`.
pub fn pseudonymise_settings(pipeline: &Pipeline) -> pseudonymise::Settings {
    let c = &pipeline.spec.confidentialite;
    pseudonymise::Settings {
        key_set: c
            .cles_appariement
            .as_ref()
            .map(|k| {
                k.iter()
                    .map(|fields| fields.iter().map(|f| f.get_ref().clone()).collect())
                    .collect()
            })
            .unwrap_or_else(pseudonymise::default_key_set),
        age_bands: c
            .tranches_age
            .as_ref()
            .map(|t| t.get_ref().clone())
            .unwrap_or_else(|| DEFAULT_AGE_BANDS.to_vec()),
        reference_year: *pipeline.spec.periode.fin.get_ref(),
        residence_level: match c.niveau_residence.as_ref().map(|n| n.get_ref().as_str()) {
            Some("region") => ResidenceLevel::Region,
            Some("aucun") => ResidenceLevel::None,
            _ => ResidenceLevel::Department,
        },
        coded_values: coded_values(pipeline),
    }
}

/// Canonical values of free-text fields the pipeline maps to codes
/// (`[sources.valeurs.motif_sortie]`), by field.
pub(super) fn coded_values(
    pipeline: &Pipeline,
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut out: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for src in &pipeline.spec.sources {
        for (field, map) in &src.valeurs {
            if pseudonymise::FREE_TEXT_COLUMNS.contains(&field.get_ref().as_str()) {
                out.entry(field.get_ref().clone())
                    .or_default()
                    .extend(map.values().cloned());
            }
        }
    }
    out
}

pub(super) fn link_settings(pipeline: &Pipeline) -> link::Settings {
    let c = &pipeline.spec.confidentialite;
    link::Settings {
        fuzzy: c.appariement_flou.unwrap_or(true),
        threshold: c.seuil_dice.as_ref().map(|t| *t.get_ref()).unwrap_or(0.75),
        ..link::Settings::default()
    }
}
