//! Chains the stages for one pipeline: ingest → pseudonymise → indicators → publish
//! (DESIGN.md §2). `check` stops after ingest and publishes only the validation report.
//! Nothing holding names or birth dates is ever written: only the pseudonymised stage
//! output reaches the indicators, and only aggregates reach the disk.

use std::path::{Path, PathBuf};

use crate::disclosure;
use crate::error::Error;
use crate::indicators::{self, Results};
use crate::ingest::{self, Ingested};
use crate::link;
use crate::pipeline::Pipeline;
use crate::pseudonymise::generalise::{DEFAULT_AGE_BANDS, ResidenceLevel};
use crate::pseudonymise::keys::{KeyError, SecretKey};
use crate::pseudonymise::{self};
use crate::publish::{Staging, chart, manifest, parquet, paths, report};
use crate::validation::Severity;
use polars::prelude::DataFrame;

/// What a run wrote, for the terminal.
#[derive(Debug, Clone)]
pub struct Summary {
    pub output_dir: PathBuf,
    pub files: Vec<String>,
    pub validation: String,
    pub indicators: usize,
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
    // Demonstration outputs say so visibly, CSV files included (first line).
    let mark = |csv: Vec<u8>| -> Vec<u8> {
        if !demo {
            return csv;
        }
        let body = csv.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&csv);
        let mut out =
            b"\xEF\xBB\xBFD\xC3\x89MONSTRATION \xE2\x80\x94 donn\xC3\xA9es fictives\n".to_vec();
        out.extend_from_slice(body);
        out
    };
    staging.write(
        paths::PROBLEMS,
        mark(ing.report.to_csv().map_err(Error::Internal)?),
    )?;
    staging.write(
        paths::ROWS,
        mark(ing.report.stats_csv().map_err(Error::Internal)?),
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
    privacy: serde_json::Value,
    secrecy: Option<&disclosure::Report>,
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

/// Checks the inputs only: writes the validation report and the manifest.
pub fn check(pipeline: &Pipeline, out: &Path) -> Result<Summary, Error> {
    // The output folder is checked (and interrupted runs repaired) before reading.
    let mut staging = Staging::for_pipeline(pipeline, out)?;
    let ing = ingest::ingest(pipeline)?;
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

/// The keys a run uses.
pub struct Keys {
    /// The collective's key: pseudonyms made at the partners.
    pub collective: SecretKey,
    /// The observatory's key: re-keying before linkage (absent at a partner).
    pub observatory: Option<SecretKey>,
}

fn load_key(
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
fn coded_values(
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

fn link_settings(pipeline: &Pipeline) -> link::Settings {
    let c = &pipeline.spec.confidentialite;
    link::Settings {
        fuzzy: c.appariement_flou.unwrap_or(true),
        threshold: c.seuil_dice.as_ref().map(|t| *t.get_ref()).unwrap_or(0.75),
        ..link::Settings::default()
    }
}

/// The persons of a run: pseudonymised, re-keyed, linked accompaniments.
pub struct Linked {
    pub table: DataFrame,
    pub privacy: serde_json::Value,
}

/// Pseudonymises the local accompaniments, adds the partners' extracts, re-keys
/// everything with the observatory's key and links it.
pub fn pseudonymise_and_link(pipeline: &Pipeline, ing: &Ingested) -> Result<Option<Linked>, Error> {
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
    let (table, link_report) = link::link(&rekeyed, &link_settings(pipeline))?;
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

/// Runs the whole pipeline into `out`.
pub fn run(pipeline: &Pipeline, out: &Path) -> Result<Summary, Error> {
    // The output folder is checked (and interrupted runs repaired) before reading.
    let mut staging = Staging::for_pipeline(pipeline, out)?;
    let ing = ingest::ingest(pipeline)?;
    let linked = pseudonymise_and_link(pipeline, &ing)?;
    let years = pipeline.spec.periode.years();
    let none = DataFrame::empty();
    let bands = pseudonymise_settings(pipeline).age_bands;
    let (staff, training) = pseudonymise_staff_tables(pipeline, &ing)?;
    let mut results: Results = indicators::compute_all(&indicators::Inputs {
        services: &ing.tables.services,
        persons: linked.as_ref().map(|l| &l.table).unwrap_or(&none),
        activity: &ing.tables.activity,
        reference: &ing.tables.reference,
        staff: &staff,
        training: &training,
        satisfaction: &ing.tables.satisfaction,
        action_plan: &ing.tables.action_plan,
        years: years.clone(),
        age_bands: &bands,
    })?;
    // Disclosure control, then evolutions and peer quartiles again from what is left.
    let settings = pipeline.disclosure_settings();
    let directory = indicators::Directory::from_services(&ing.tables.services)?;
    let secrecy = disclosure::protect(&mut results.rows, &directory, &settings)?;
    indicators::derive::refresh(&mut results.rows, &ing.tables.services, *years.start())?;
    let demo = pipeline.spec.pipeline.demonstration;
    let internal = settings.audience == disclosure::Audience::Internal;

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
        (
            "observatoire:diffusion",
            if internal {
                format!("{INTERNAL_BANNER} (seuil {})", settings.threshold)
            } else {
                "publique".into()
            },
        ),
        (
            "observatoire:secret_statistique",
            format!(
                "seuil {} personnes ; statut V diffusable, A secret primaire, D secret secondaire",
                settings.threshold
            ),
        ),
    ];
    staging.write(paths::INDICATORS, parquet::to_parquet(&df, &meta)?)?;
    staging.write(
        paths::REGISTRY,
        parquet::to_parquet(&indicators::registry_dataframe()?, &meta)?,
    )?;

    let chart_svg = if pipeline.spec.sorties.graphique {
        let spec = rate_chart(&results, demo, internal.then_some(settings.threshold));
        let rendered = chart::render(&spec).map_err(|e| Error::Internal(e.to_string()))?;
        staging.write(paths::CHART_SVG, rendered.svg.clone().into_bytes())?;
        staging.write(paths::CHART_PNG, rendered.png)?;
        Some(rendered.svg)
    } else {
        None
    };
    let privacy = linked
        .as_ref()
        .map(|l| l.privacy.clone())
        .unwrap_or(serde_json::Value::Null);
    if pipeline.spec.sorties.rapport {
        let pages = report::render_report(&report::ReportInput {
            title: &format!("Rapport d'activité — {}", pipeline.spec.pipeline.nom),
            pipeline: &pipeline.spec.pipeline.nom,
            years: years.clone(),
            demonstration: demo,
            chart_svg: chart_svg.as_deref(),
            results: &results,
            validation: &ing.report,
            linkage: &privacy,
            secrecy: &secrecy,
        })?;
        for page in pages {
            staging.write(&page.path, page.html.into_bytes())?;
        }
    }
    write_validation(&mut staging, pipeline, &ing)?;
    write_manifest(
        &mut staging,
        pipeline,
        &ing,
        results.rows.len(),
        privacy.clone(),
        Some(&secrecy),
    )?;
    let files = staging.written().iter().map(|(p, _)| p.clone()).collect();
    let dir = staging.commit()?;
    Ok(summary(dir, files, &ing, results.rows.len(), &privacy))
}

/// At a partner: reads the spreadsheets, pseudonymises them with the collective's key
/// and writes the pseudonymised extract (Parquet, no direct identifier) with the
/// validation report and the manifest. Only this directory leaves the partner.
pub fn partner(pipeline: &Pipeline, out: &Path) -> Result<Summary, Error> {
    // The output folder is checked (and interrupted runs repaired) before reading.
    let mut staging = Staging::for_pipeline(pipeline, out)?;
    let ing = ingest::ingest(pipeline)?;
    let keys = load_keys(pipeline, false)?;
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
        let (extract, report) = pseudonymise::pseudonymise(
            &ing.tables.accompaniments,
            &keys.collective,
            &pseudonymise_settings(pipeline),
        )?;
        staging.write(
            paths::EXTRACT_ACCOMPANIMENTS,
            parquet::to_parquet(&extract, &meta)?,
        )?;
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

/// The activity / occupancy chart: one line per service.
/// Banner of the outputs of an internal dashboard (threshold possibly lowered).
pub const INTERNAL_BANNER: &str = "DIFFUSION INTERNE — ne pas diffuser hors du service";

fn rate_chart(results: &Results, demo: bool, internal: Option<u32>) -> chart::ChartSpec {
    let banner = match (demo, internal) {
        (true, Some(n)) => Some(format!(
            "DÉMONSTRATION — données fictives — {INTERNAL_BANNER} (seuil {n})"
        )),
        (true, None) => Some("DÉMONSTRATION — données fictives".into()),
        (false, Some(n)) => Some(format!("{INTERNAL_BANNER} (seuil {n})")),
        (false, None) => None,
    };
    chart::rates::rate_chart(results, banner)
}
