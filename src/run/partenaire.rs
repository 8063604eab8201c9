//! `partenaire`: at a partner, the spreadsheets read and pseudonymised with the
//! collective's key; only the pseudonymised extract and the validation report leave.

use super::*;

/// At a partner: reads the spreadsheets, pseudonymises them with the collective's key
/// and writes the pseudonymised extract (Parquet, no direct identifier) with the
/// validation report and the manifest. Only this directory leaves the partner.
pub fn partner(pipeline: &Pipeline, out: &Path) -> Result<Summary, Error> {
    // The output folder is checked (and interrupted runs repaired) before reading.
    let mut staging = Staging::for_pipeline(pipeline, out)?;
    let keys = load_keys(pipeline, false)?;
    // Identities are pseudonymised file by file as they are read (see `AsRead`).
    let as_read = AsRead::pseudonymising(pipeline);
    let ing = ingest::ingest_with(pipeline, Some(&|t, df| as_read.apply(t, df)))?;
    as_read.read_all();
    let demo = pipeline.spec.pipeline.demonstration;
    let meta = [
        (
            "observatoire:version",
            env!("CARGO_PKG_VERSION").to_string(),
        ),
        (
            "observatoire:extrait",
            "pseudonymisé : données personnelles, à transmettre par un canal sûr".to_string(),
        ),
        ("observatoire:empreinte_cle", keys.collective.fingerprint()),
        (
            "observatoire:demonstration",
            if demo {
                "DÉMONSTRATION — données fictives".into()
            } else {
                "non".into()
            },
        ),
    ];
    let mut privacy =
        serde_json::json!({ "empreinte_cle_collectif": keys.collective.fingerprint() });
    if ing.tables.accompaniments.height() > 0 {
        let extract = &ing.tables.accompaniments;
        staging.write(
            paths::EXTRACT_ACCOMPANIMENTS,
            parquet::to_parquet(extract, &meta)?,
        )?;
        let report = as_read.report(extract)?;
        privacy["pseudonymisation"] = serde_json::to_value(&report).unwrap_or_default();
    }
    if ing.tables.services.height() > 0 {
        staging.write(
            paths::EXTRACT_SERVICES,
            parquet::to_parquet(&ing.tables.services, &meta)?,
        )?;
    }
    let (staff, training) = pseudonymise_staff_tables(pipeline, &ing)?;
    for (path, df) in [
        (paths::EXTRACT_STAFF, &staff),
        (paths::EXTRACT_TRAINING, &training),
        (paths::EXTRACT_SATISFACTION, &ing.tables.satisfaction),
        (paths::EXTRACT_ACTION_PLAN, &ing.tables.action_plan),
    ] {
        if df.height() > 0 {
            staging.write(path, parquet::to_parquet(df, &meta)?)?;
        }
    }
    if ing.tables.activity.height() > 0 {
        staging.write(
            paths::EXTRACT_ACTIVITY,
            parquet::to_parquet(&ing.tables.activity, &meta)?,
        )?;
    }
    write_validation(&mut staging, pipeline, &ing)?;
    write_manifest(&mut staging, pipeline, &ing, 0, privacy.clone(), None)?;
    let files = staging.written().iter().map(|(p, _)| p.clone()).collect();
    let dir = staging.commit()?;
    Ok(summary(dir, files, &ing, 0, &privacy))
}
