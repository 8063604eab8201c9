//! # observatoire
//!
//! Turns the spreadsheets French child-protection and medico-social services already
//! keep into anonymous, comparable figures. The modules follow the data flow of
//! DESIGN.md §2; stages talk only through the canonical tables of [`tables`]:
//!
//! ```text
//! pipeline ─► ingest ─► pseudonymise ─► indicators ─► publish
//!  (TOML)     (cells →   (identities →   (long-format  (Parquet, charts, HTML report,
//!             tables,     person keys)    table)        validation report, manifest)
//!             validation)
//! ```
//!
//! [`run`] chains the stages for one pipeline; [`error`] holds the typed errors and the
//! exit codes of the binary.

pub mod error;
pub mod format;
pub mod indicators;
pub mod ingest;
pub mod pipeline;
pub mod pseudonymise;
pub mod publish;
pub mod run;
pub mod tables;
pub mod validation;
