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
    (setting, default_env): (&str, &str),
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
    Err(KeyError::NotConfigured(
        setting.to_string(),
        default_env.to_string(),
    ))
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
    let collective = load_key(pipeline, &c.cle, &c.cle_env, ("cle", "OBSERVATOIRE_CLE"))?;
    let observatory = if observatory {
        Some(load_key(
            pipeline,
            &c.cle_observatoire,
            &c.cle_observatoire_env,
            ("cle_observatoire", "OBSERVATOIRE_CLE_OBSERVATOIRE"),
        )?)
    } else {
        None
    };
    Ok(Keys {
        collective,
        observatory,
    })
}

/// Pseudonymisation settings of `pipeline` (built once with the pipeline).
pub fn pseudonymise_settings(pipeline: &Pipeline) -> pseudonymise::Settings {
    pipeline.settings.pseudonymise.clone()
}
