//! The run manifest (`manifeste.json`): what went in (files and SHA-256), how many rows
//! were accepted or rejected and why, the pipeline settings, the tool version and what
//! came out. It holds no timestamp, so the same inputs give the same manifest.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ingest::InputFile;
use crate::validation::SourceStats;

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub outil: Tool,
    pub pipeline: PipelineInfo,
    pub demonstration: bool,
    /// Key fingerprints (never the keys), pseudonymisation and linkage counts.
    pub confidentialite: serde_json::Value,
    pub entrees: Vec<InputFile>,
    pub lignes: Vec<SourceStats>,
    pub problemes: ProblemCounts,
    pub indicateurs: usize,
    /// Disclosure control: threshold, audience, audit, and per published table (each
    /// indicator) cells published, primary and secondary suppressions and their ratio.
    pub secret_statistique: serde_json::Value,
    pub sorties: Vec<OutputFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub nom: &'static str,
    pub version: &'static str,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            nom: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PipelineInfo {
    pub fichier: String,
    pub sha256: String,
    pub nom: String,
    pub periode: (i32, i32),
    /// The pipeline file's settings, as JSON.
    pub parametres: serde_json::Value,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ProblemCounts {
    pub erreurs: usize,
    pub avertissements: usize,
    pub informations: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputFile {
    pub chemin: String,
    pub sha256: String,
    pub octets: usize,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl OutputFile {
    pub fn of(path: &str, bytes: &[u8]) -> OutputFile {
        OutputFile {
            chemin: path.to_string(),
            sha256: sha256_hex(bytes),
            octets: bytes.len(),
        }
    }
}

/// The pipeline's TOML text as JSON (settings for the manifest).
pub fn settings_json(toml_text: &str) -> serde_json::Value {
    toml::from_str::<toml::Value>(toml_text)
        .ok()
        .and_then(|v| serde_json::to_value(v).ok())
        .unwrap_or(serde_json::Value::Null)
}
