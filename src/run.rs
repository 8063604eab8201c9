//! Chains the stages for one pipeline: ingest → pseudonymise → indicators → publish
//! (docs/architecture.md §1). `check` stops after ingest and publishes only the validation report.
//! Nothing holding names or birth dates is ever written: only the pseudonymised stage
//! output reaches the indicators, and only aggregates reach the disk.

use std::path::{Path, PathBuf};

use crate::disclosure;
use crate::error::Error;
use crate::indicators::{self, Results};
use crate::ingest::{self, Ingested};
use crate::link;
use crate::pipeline::Pipeline;
use crate::pseudonymise::keys::{KeyError, SecretKey};
use crate::pseudonymise::{self};
use crate::publish::{Staging, chart, manifest, parquet, paths, report};
use crate::tables::Table;
use crate::validation::Severity;
use polars::prelude::DataFrame;

mod executer;
mod keys;
mod partenaire;
mod persons;
mod verifier;

pub use executer::*;
pub use keys::*;
pub use partenaire::*;
pub use persons::*;
pub use verifier::*;

/// A stage boundary: memory the previous stage freed goes back to the system
/// ([`crate::memory`]), then the observer hears of the new stage.
fn boundary(observe: &mut dyn FnMut(Event<'_>), name: &'static str) {
    crate::memory::release_freed();
    observe(Event::Stage(name));
}

/// What a run wrote, for the terminal.
#[derive(Debug, Clone)]
pub struct Summary {
    pub output_dir: PathBuf,
    pub files: Vec<String>,
    pub validation: String,
    /// Figures computed (rows of the indicator table) and distinct indicators among them.
    pub indicators: usize,
    pub indicator_kinds: usize,
    pub errors: usize,
    /// French lines on keys, pseudonymisation and linkage (counts and fingerprints only).
    pub privacy: Vec<String>,
}

/// Terminal lines describing the privacy JSON of a run (counts and fingerprints only).
fn privacy_lines(p: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    let get = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
    if let Some(f) = p.get("empreinte_cle_collectif").and_then(|v| v.as_str()) {
        out.push(format!("Clé du collectif : empreinte {f}"));
    }
    if let Some(f) = p.get("empreinte_cle_observatoire").and_then(|v| v.as_str()) {
        out.push(format!("Clé de l'observatoire : empreinte {f}"));
    }
    if p.get("cles_de_demonstration").and_then(|v| v.as_bool()) == Some(true) {
        out.push(
            "DÉMONSTRATION : clés publiques, valables seulement pour les données fictives".into(),
        );
    }
    for key in ["pseudonymisation", "pseudonymisation_locale"] {
        if let Some(r) = p.get(key).filter(|v| !v.is_null()) {
            out.push(format!(
                "Pseudonymisation : {} enregistrements, {} sans aucune clé ; k-anonymat de l'extrait (plus petit groupe de mêmes quasi-identifiants) : {}",
                get(r, "enregistrements"),
                get(r, "sans_cle"),
                get(r, "k_anonymat")
            ));
        }
    }
    if let Some(r) = p.get("appariement") {
        let exact: Vec<String> = r
            .get("liens_exacts")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().map(|x| x.to_string()).collect())
            .unwrap_or_default();
        out.push(format!(
            "Appariement : {} enregistrements → {} personnes ; liens exacts par clé : {} ; liens approchés : {} (dont {} ambigus) ; sans clé : {}",
            get(r, "enregistrements"),
            get(r, "personnes"),
            exact.join(" + "),
            get(r, "liens_flous"),
            get(r, "paires_ambigues"),
            get(r, "enregistrements_sans_cle")
        ));
        let files = r
            .get("fichiers_encodages_illisibles")
            .and_then(|v| v.as_object())
            .into_iter()
            .flatten();
        for (file, n) in files {
            let n = n.as_u64().unwrap_or(0);
            let what = if n > 1 {
                format!("{n} empreintes chiffrées de noms (clk) sont illisibles")
            } else {
                "1 empreinte chiffrée de nom (clk) est illisible".to_string()
            };
            out.push(format!(
                "ATTENTION : dans l'extrait « {file} », {what} (fichier endommagé ou modifié) : ces dossiers ne sont appariés que par leurs clés exactes ; demandez au partenaire de produire à nouveau son extrait"
            ));
        }
    }
    out
}

/// Output directory: the `--sortie` argument, else the pipeline's `sorties.dossier`,
/// else `sortie/<pipeline file name>`.
pub fn output_dir(pipeline: &Pipeline, cli: Option<&Path>) -> PathBuf {
    if let Some(p) = cli {
        return p.to_path_buf();
    }
    if let Some(d) = &pipeline.spec.sorties.dossier {
        return lexical_normalise(&pipeline.resolve(d));
    }
    let stem = pipeline
        .path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("pipeline");
    PathBuf::from("sortie").join(stem)
}

/// `pipelines/../sortie/demo` → `sortie/demo` (without touching the file system).
fn lexical_normalise(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        PathBuf::from(".")
    } else {
        out.iter().collect()
    }
}

fn write_validation(
    staging: &mut Staging,
    pipeline: &Pipeline,
    ing: &Ingested,
) -> Result<(), Error> {
    let demo = pipeline.spec.pipeline.demonstration;
    // Demonstration outputs say so visibly: in the CSV files, a last column
    // `demonstration` = `oui` (a line above the header would break spreadsheet import).
    staging.write(
        paths::PROBLEMS,
        ing.report.to_csv(demo).map_err(Error::Internal)?,
    )?;
    staging.write(
        paths::ROWS,
        ing.report.stats_csv(demo).map_err(Error::Internal)?,
    )?;
    let banner = pipeline.audience_banner();
    let html = report::render_validation(
        &ing.report,
        &pipeline.spec.pipeline.nom,
        demo,
        banner.as_deref(),
    )?;
    staging.write(paths::VALIDATION_HTML, html.into_bytes())?;
    Ok(())
}

fn write_manifest(
    staging: &mut Staging,
    pipeline: &Pipeline,
    ing: &Ingested,
    indicators: usize,
    privacy: serde_json::Value,
    secrecy: Option<&disclosure::Report>,
) -> Result<(), Error> {
    // Each file's hash on every core (88 MB of outputs on a national network), in the
    // order the files were written.
    use rayon::prelude::*;
    let outputs: Vec<manifest::OutputFile> = staging
        .written()
        .par_iter()
        .map(|(p, b)| manifest::OutputFile::of(p, b))
        .collect();
    let m = manifest::Manifest {
        outil: manifest::Tool::default(),
        pipeline: manifest::PipelineInfo {
            fichier: pipeline.path.display().to_string(),
            sha256: manifest::sha256_hex(pipeline.text.as_bytes()),
            nom: pipeline.spec.pipeline.nom.clone(),
            periode: (
                *pipeline.spec.periode.debut.get_ref(),
                *pipeline.spec.periode.fin.get_ref(),
            ),
            parametres: manifest::settings_json(&pipeline.text),
        },
        demonstration: pipeline.spec.pipeline.demonstration,
        confidentialite: privacy,
        entrees: ing.inputs.clone(),
        lignes: ing.report.sources.clone(),
        problemes: manifest::ProblemCounts {
            erreurs: ing.report.count(Severity::Error),
            avertissements: ing.report.count(Severity::Warning),
            informations: ing.report.count(Severity::Info),
        },
        indicateurs: indicators,
        secret_statistique: serde_json::to_value(secrecy)
            .map_err(|e| Error::Internal(e.to_string()))?,
        sorties: outputs,
    };
    let json = serde_json::to_vec_pretty(&m).map_err(|e| Error::Internal(e.to_string()))?;
    staging.write(paths::MANIFEST, json)
}

fn summary(
    dir: PathBuf,
    staging_files: Vec<String>,
    ing: &Ingested,
    indicators: usize,
    privacy: &serde_json::Value,
) -> Summary {
    Summary {
        output_dir: dir,
        files: staging_files,
        validation: ing.report.terminal_summary(),
        indicators,
        indicator_kinds: 0,
        errors: ing.report.count(Severity::Error),
        privacy: privacy_lines(privacy),
    }
}

/// Default directory of `verifier`: beside the run's outputs, `<sortie>-verification`,
/// so a check never replaces the outputs of the last run.
pub fn check_dir(pipeline: &Pipeline) -> PathBuf {
    let out = output_dir(pipeline, None);
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("sortie");
    out.with_file_name(format!("{name}-verification"))
}

/// Default directory of `partenaire`: `<sortie>-partenaire`.
pub fn partner_dir(pipeline: &Pipeline) -> PathBuf {
    let out = output_dir(pipeline, None);
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("sortie");
    out.with_file_name(format!("{name}-partenaire"))
}
