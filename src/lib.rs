//! # observatoire
//!
//! Turns the spreadsheets French child-protection and medico-social services already
//! keep into anonymous, comparable figures. The modules follow the data flow of
//! docs/architecture.md §1; stages talk only through the canonical tables of [`tables`]:
//!
//! ```text
//! pipeline ─► ingest ─► pseudonymise ─► link ─► indicators ─► disclosure ─► publish
//!  (TOML)     (cells →   (identities →   (one     (long-format  (statistical   (Parquet,
//!             tables,     keyed           person   table)        confidential-  charts,
//!             validation) pseudonyms)     across                 ity: V/A/D     reports,
//!                                         sources)               per figure)    manifest)
//! ```
//!
//! [`run`] chains the stages for one pipeline; [`error`] holds the typed errors and the
//! exit codes of the binary.

pub mod disclosure;
pub mod error;
pub mod format;
pub mod indicators;
pub mod ingest;
pub mod link;
pub mod memory;
pub mod pipeline;
pub mod propose;
pub mod pseudonymise;
pub mod publish;
pub mod run;
pub mod settings;
pub mod tables;
pub mod territory;
pub mod text;
pub mod validation;
pub mod vocabulary;
