//! `verifier`: reads the inputs and writes only the validation report and the manifest.

use super::*;

/// Checks the inputs only: writes the validation report and the manifest.
pub fn check(pipeline: &Pipeline, out: &Path) -> Result<Summary, Error> {
    // The output folder is checked (and interrupted runs repaired) before reading.
    let mut staging = Staging::for_pipeline(pipeline, out)?;
    // Nothing downstream needs the identities: dropped file by file as they are read.
    let as_read = AsRead::dropping(pipeline);
    let ing = ingest::ingest_with(pipeline, Some(&|t, df| as_read.apply(t, df)))?;
    write_validation(&mut staging, pipeline, &ing)?;
    write_manifest(
        &mut staging,
        pipeline,
        &ing,
        0,
        serde_json::Value::Null,
        None,
    )?;
    let files = staging.written().iter().map(|(p, _)| p.clone()).collect();
    let dir = staging.commit()?;
    Ok(summary(dir, files, &ing, 0, &serde_json::Value::Null))
}
