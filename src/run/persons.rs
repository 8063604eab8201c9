//! The persons of a run: local accompaniments pseudonymised, partners' extracts added,
//! everything re-keyed with the observatory's key and linked; staff identifiers
//! pseudonymised.

use super::*;

/// The persons of a run: pseudonymised, re-keyed, linked accompaniments.
pub struct Linked {
    pub table: DataFrame,
    pub privacy: serde_json::Value,
}

/// Pseudonymises the local accompaniments, adds the partners' extracts, re-keys
/// everything with the observatory's key and links it.
pub fn pseudonymise_and_link(pipeline: &Pipeline, ing: &Ingested) -> Result<Option<Linked>, Error> {
    pseudonymise_and_link_observed(pipeline, ing, &mut |_| {})
}

/// [`pseudonymise_and_link`], telling `observe` when linkage begins and what it linked.
pub(super) fn pseudonymise_and_link_observed(
    pipeline: &Pipeline,
    ing: &Ingested,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<Option<Linked>, Error> {
    let local = &ing.tables.accompaniments;
    let extracts = &ing.tables.extracts;
    if local.height() == 0 && extracts.height() == 0 {
        return Ok(None);
    }
    let c = &pipeline.spec.confidentialite;
    let demo = c.cle_demonstration.as_ref().is_some_and(|d| *d.get_ref());
    // The observatory holds its own key; the collective's key is needed only to
    // pseudonymise spreadsheets read here (extracts arrive already pseudonymised).
    let observatory = if demo {
        SecretKey::demonstration("observatoire")
    } else {
        load_key(
            pipeline,
            &c.cle_observatoire,
            &c.cle_observatoire_env,
            "OBSERVATOIRE_CLE_OBSERVATOIRE",
        )?
    };
    let mut parts: Vec<DataFrame> = Vec::new();
    let mut pseudo_report = None;
    if local.height() > 0 {
        let collective = if demo {
            SecretKey::demonstration("collectif")
        } else {
            load_key(pipeline, &c.cle, &c.cle_env, "OBSERVATOIRE_CLE")?
        };
        let (extract, report) =
            pseudonymise::pseudonymise(local, &collective, &pseudonymise_settings(pipeline))?;
        pseudo_report = Some(report);
        parts.push(extract);
    }
    if extracts.height() > 0 {
        parts.push(extracts.clone());
    }
    let all = ingest::stack(parts)?;
    // Every part must come from the same collective key and the same key set, or the
    // same child would get unrelated pseudonyms.
    let fingerprints = pseudonymise::distinct_values(&all, pseudonymise::columns::KEY_FINGERPRINT)?;
    let key_sets = pseudonymise::distinct_values(&all, pseudonymise::columns::KEY_SET)?;
    if fingerprints.len() > 1 || key_sets.len() > 1 {
        return Err(Error::InconsistentExtracts(format!(
            "empreintes de clé {} ; jeux de clés {}",
            fingerprints.join(", "),
            key_sets.join(" / ")
        )));
    }
    let rekeyed = pseudonymise::rekey(&all, &observatory)?;
    observe(Event::Stage(stage::LINK));
    let (table, link_report) = link::link(&rekeyed, &link_settings(pipeline))?;
    observe(Event::Linked(&table));
    let privacy = serde_json::json!({
        "empreinte_cle_collectif": fingerprints.first(),
        "empreinte_cle_observatoire": observatory.fingerprint(),
        "cles_de_demonstration": observatory.is_demonstration(),
        "pseudonymisation_locale": pseudo_report,
        "extraits_partenaires": extracts.height(),
        "appariement": link_report,
    });
    Ok(Some(Linked { table, privacy }))
}

/// Replaces staff identifiers in `personnel` and `formation` with pseudonyms under the
/// collective's key (needed only when those tables hold identifiers).
pub fn pseudonymise_staff_tables(
    pipeline: &Pipeline,
    ing: &Ingested,
) -> Result<(DataFrame, DataFrame), Error> {
    let has_ids = |df: &DataFrame| {
        df.column("salarie")
            .is_ok_and(|c| c.null_count() < df.height())
    };
    if !has_ids(&ing.tables.staff) && !has_ids(&ing.tables.training) {
        return Ok((ing.tables.staff.clone(), ing.tables.training.clone()));
    }
    let c = &pipeline.spec.confidentialite;
    let key = if c.cle_demonstration.as_ref().is_some_and(|d| *d.get_ref()) {
        SecretKey::demonstration("collectif")
    } else {
        load_key(pipeline, &c.cle, &c.cle_env, "OBSERVATOIRE_CLE")?
    };
    Ok((
        pseudonymise::pseudonymise_staff(&ing.tables.staff, &key)?,
        pseudonymise::pseudonymise_staff(&ing.tables.training, &key)?,
    ))
}
