//! Chains the stages for one pipeline: ingest → pseudonymise → indicators → publish
//! (DESIGN.md §2). `check` stops after ingest and publishes only the validation report.
//! Nothing holding names or birth dates is ever written: only the pseudonymised stage
//! output reaches the indicators, and only aggregates reach the disk.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::indicators::{self, Results};
use crate::ingest::{self, Ingested};
use crate::pipeline::Pipeline;
use crate::pseudonymise::{PseudonymKey, pseudonymise};
use crate::publish::{Staging, chart, manifest, parquet, paths, report};
use crate::validation::Severity;

/// What a run wrote, for the terminal.
#[derive(Debug, Clone)]
pub struct Summary {
    pub output_dir: PathBuf,
    pub files: Vec<String>,
    pub validation: String,
    pub indicators: usize,
    pub errors: usize,
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
    staging.write(
        paths::PROBLEMS,
        ing.report.to_csv().map_err(Error::Internal)?,
    )?;
    staging.write(
        paths::ROWS,
        ing.report.stats_csv().map_err(Error::Internal)?,
    )?;
    let html = report::render_validation(&ing.report, &pipeline.spec.pipeline.nom, demo)?;
    staging.write(paths::VALIDATION_HTML, html.into_bytes())?;
    Ok(())
}

fn write_manifest(
    staging: &mut Staging,
    pipeline: &Pipeline,
    ing: &Ingested,
    indicators: usize,
    pseudo: &str,
) -> Result<(), Error> {
    let outputs: Vec<manifest::OutputFile> = staging
        .written()
        .iter()
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
        pseudonymisation: pseudo.to_string(),
        entrees: ing.inputs.clone(),
        lignes: ing.report.sources.clone(),
        problemes: manifest::ProblemCounts {
            erreurs: ing.report.count(Severity::Error),
            avertissements: ing.report.count(Severity::Warning),
            informations: ing.report.count(Severity::Info),
        },
        indicateurs: indicators,
        sorties: outputs,
    };
    let json = serde_json::to_vec_pretty(&m).map_err(|e| Error::Internal(e.to_string()))?;
    staging.write(paths::MANIFEST, json)
}

fn summary(dir: PathBuf, staging_files: Vec<String>, ing: &Ingested, indicators: usize) -> Summary {
    Summary {
        output_dir: dir,
        files: staging_files,
        validation: ing.report.terminal_summary(),
        indicators,
        errors: ing.report.count(Severity::Error),
    }
}

/// Default directory of `verifier`: beside the run's outputs, `<sortie>-verification`,
/// so a check never replaces the outputs of the last run.
pub fn check_dir(pipeline: &Pipeline) -> PathBuf {
    let out = output_dir(pipeline, None);
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("sortie");
    out.with_file_name(format!("{name}-verification"))
}

/// Checks the inputs only: writes the validation report and the manifest.
pub fn check(pipeline: &Pipeline, out: &Path) -> Result<Summary, Error> {
    let ing = ingest::ingest(pipeline)?;
    let mut staging = Staging::new(out)?;
    write_validation(&mut staging, pipeline, &ing)?;
    write_manifest(
        &mut staging,
        pipeline,
        &ing,
        0,
        "aucune (vérification des entrées seulement)",
    )?;
    let files = staging.written().iter().map(|(p, _)| p.clone()).collect();
    let dir = staging.commit()?;
    Ok(summary(dir, files, &ing, 0))
}

/// Runs the whole pipeline into `out`.
pub fn run(pipeline: &Pipeline, out: &Path) -> Result<Summary, Error> {
    let ing = ingest::ingest(pipeline)?;
    let key = PseudonymKey::ephemeral()?;
    let accompaniments = pseudonymise(&ing.tables.accompaniments, &key)?;
    let years = pipeline.spec.periode.years();
    let results: Results = indicators::activity::compute(
        &ing.tables.services,
        &accompaniments,
        &ing.tables.activity,
        years.clone(),
    )?;
    let demo = pipeline.spec.pipeline.demonstration;

    let mut staging = Staging::new(out)?;
    let df = results.to_dataframe()?;
    let meta = [
        (
            "observatoire:version",
            env!("CARGO_PKG_VERSION").to_string(),
        ),
        ("observatoire:pipeline", pipeline.spec.pipeline.nom.clone()),
        (
            "observatoire:demonstration",
            if demo {
                "DÉMONSTRATION — données fictives".into()
            } else {
                "non".into()
            },
        ),
    ];
    staging.write(paths::INDICATORS, parquet::to_parquet(&df, &meta)?)?;

    let chart_svg = if pipeline.spec.sorties.graphique {
        let spec = rate_chart(&results, demo);
        let rendered = chart::render(&spec).map_err(|e| Error::Internal(e.to_string()))?;
        staging.write(paths::CHART_SVG, rendered.svg.clone().into_bytes())?;
        staging.write(paths::CHART_PNG, rendered.png)?;
        Some(rendered.svg)
    } else {
        None
    };
    if pipeline.spec.sorties.rapport {
        let html = report::render_report(&report::ReportInput {
            title: &format!("Rapport d'activité — {}", pipeline.spec.pipeline.nom),
            pipeline: &pipeline.spec.pipeline.nom,
            years: years.clone(),
            demonstration: demo,
            chart_svg: chart_svg.as_deref(),
            results: &results,
            validation: &ing.report,
        })?;
        staging.write(paths::REPORT, html.into_bytes())?;
    }
    write_validation(&mut staging, pipeline, &ing)?;
    write_manifest(
        &mut staging,
        pipeline,
        &ing,
        results.rows.len(),
        "clé HMAC-SHA-256 aléatoire propre à l'exécution, jamais écrite ; identités supprimées avant le calcul",
    )?;
    let files = staging.written().iter().map(|(p, _)| p.clone()).collect();
    let dir = staging.commit()?;
    Ok(summary(dir, files, &ing, results.rows.len()))
}

/// The activity / occupancy chart: one line per service.
fn rate_chart(results: &Results, demo: bool) -> chart::ChartSpec {
    use indicators::activity::{ACTIVITY_RATE, OCCUPANCY_RATE};
    let mut services: Vec<(String, String)> = results
        .rows
        .iter()
        .filter(|r| r.indicateur == ACTIVITY_RATE || r.indicateur == OCCUPANCY_RATE)
        .map(|r| (r.service.clone(), r.indicateur.clone()))
        .collect();
    services.sort();
    services.dedup();
    let series = services
        .iter()
        .map(|(s, ind)| {
            let mut points: Vec<(i32, f64)> = results
                .rows
                .iter()
                .filter(|r| &r.service == s && &r.indicateur == ind)
                .filter_map(|r| r.valeur.map(|v| (r.periode, v)))
                .collect();
            points.sort_by_key(|p| p.0);
            let name = results
                .rows
                .iter()
                .find(|r| &r.service == s)
                .and_then(|r| r.nom_service.clone())
                .unwrap_or_else(|| s.clone());
            let kind = if ind == ACTIVITY_RATE {
                "activité"
            } else {
                "occupation"
            };
            chart::ChartSeries {
                label: format!("{name} ({kind})"),
                points,
            }
        })
        .collect();
    chart::ChartSpec {
        title: "Taux d'activité et d'occupation par année".into(),
        y_label: "Taux".into(),
        series,
        reference: Some((1.0, "Capacité autorisée (100 %)".into())),
        banner: demo.then(|| "DÉMONSTRATION — données fictives".into()),
    }
}
