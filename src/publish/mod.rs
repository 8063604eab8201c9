//! Stage 4 — publish. Writes a run's outputs into one directory, atomically: everything
//! is written into a staging directory beside the target, which replaces the target
//! only once every file is complete, so a failing run leaves the previous outputs
//! untouched; the tool only ever replaces a folder it wrote itself ([`staging`]). Owns
//! the output layout:
//!
//! ```text
//! <sortie>/
//!   indicateurs.parquet        long-format indicator table (zstd), analysts' columns
//!   indicateurs/annee=Y/part-0.parquet   the same rows, Hive-partitioned by year
//!   graphiques/taux.svg|png    activity and occupancy rates per year
//!   rapport.html               self-contained report
//!   classeur.xlsx              the same figures as an Excel workbook (workbook)
//!   rapport-departements/      one page per département (networks over 40 services)
//!   validation/problemes.csv   every problem found in the inputs
//!   validation/lignes.csv      row accounting per source
//!   validation/rapport-validation.html
//!   manifeste.json             inputs with SHA-256, rows, settings, tool version
//! ```

pub mod chart;
pub mod copil;
pub mod manifest;
pub mod map;
pub mod parquet;
pub mod report;
pub mod staging;
pub mod workbook;

pub use staging::{Protected, Staging};

/// Relative paths of the outputs.
pub mod paths {
    pub const INDICATORS: &str = "indicateurs.parquet";
    pub const REGISTRY: &str = "registre_indicateurs.parquet";
    pub const CHART_SVG: &str = "graphiques/taux.svg";
    pub const CHART_PNG: &str = "graphiques/taux.png";
    pub const REPORT: &str = "rapport.html";
    /// The Excel workbook of the whole run (`publish::workbook`), beside the report.
    pub const WORKBOOK: &str = "classeur.xlsx";
    pub const PROBLEMS: &str = "validation/problemes.csv";
    pub const ROWS: &str = "validation/lignes.csv";
    pub const VALIDATION_HTML: &str = "validation/rapport-validation.html";
    pub const MANIFEST: &str = "manifeste.json";
    /// The pseudonymised extract a partner sends to the observatory.
    pub const EXTRACT_ACCOMPANIMENTS: &str = "extrait/accompagnements.parquet";
    pub const EXTRACT_SERVICES: &str = "extrait/services.parquet";
    pub const EXTRACT_ACTIVITY: &str = "extrait/activite.parquet";
    pub const EXTRACT_STAFF: &str = "extrait/personnel.parquet";
    pub const EXTRACT_TRAINING: &str = "extrait/formation.parquet";
    pub const EXTRACT_SATISFACTION: &str = "extrait/satisfaction.parquet";
    pub const EXTRACT_ACTION_PLAN: &str = "extrait/plan_action.parquet";
}
