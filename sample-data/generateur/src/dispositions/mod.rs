//! Workbooks in the layouts partners deliver as they are (issue « first hour »): each
//! submodule writes, from a small seeded world, one layout the tool must read with no
//! pre-processing, the pipeline that reads it, and the truth its figures must equal.
//! They are written on demand by the integration tests (`tests/integration/dispositions/`)
//! into temporary folders, never committed.
//!
//! - [`annuaire`]: the services directory in two sheets (services; capacities per year).
//! - [`fins`]: open ends written as text (`en cours`, `-`, `encore présent`, `/`).
//! - [`nom_service`]: the service given by its name in a column, not by its code.
//! - [`occupation`]: MECS occupancy from admissions and exits, without an activity sheet.
//! - [`onglets`]: files and sheets by pattern (one sheet per service, one file per
//!   département, one sheet per entry year, a « Lisez-moi » sheet, a hidden « Listes »).
//! - [`entetes`]: two-row headers with merged group labels, title rows, totals and notes
//!   under the data, blank separator rows.

pub mod annuaire;
pub mod entetes;
pub mod fins;
pub mod nom_service;
pub mod occupation;
pub mod onglets;
