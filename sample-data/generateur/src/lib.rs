//! Deterministic synthetic sample data for `observatoire`.
//!
//! [`generate`] writes the partners' spreadsheets of an invented world
//! (four services, two départements, 2019–2023) with the quirks real files
//! have, plus `referentiel-services.csv` and `verite.json`, the truth the
//! pipeline's indicators must reproduce; then the staff, training,
//! satisfaction and quality action-plan files of [`rh`] and the empty input
//! templates of [`modeles`]. Same call, same bytes: one seed (ChaCha8; the
//! files of [`rh`] draw from their own streams of it), ordered collections
//! only, fixed document dates.

#![forbid(unsafe_code)]

pub mod apmn;
pub mod contexte;
pub mod copil;
pub mod dates;
pub mod dispositions;
pub mod ditep;
pub mod formation;
pub mod mecs;
pub mod modeles;
pub mod names;
pub mod national;
pub mod output;
pub mod personnel;
pub mod pf;
pub mod population;
pub mod registry;
pub mod rh;
pub mod rng;
pub mod satisfaction;
pub mod truth;
pub mod world;

use std::error::Error;
use std::path::{Path, PathBuf};

pub use rng::SEED;

/// Writes every sample file under `out_dir` and returns their paths.
pub fn generate(out_dir: &Path) -> Result<Vec<PathBuf>, Box<dyn Error>> {
    let (world, mut rng) = world::build(SEED)?;
    let rh = rh::build(SEED);
    let mut out = output::Output::new(out_dir);
    apmn::write(&world, &mut rng, &mut out)?;
    mecs::write(&world, &mut out)?;
    ditep::write(&world, &mut out)?;
    pf::write(&world, &mut out)?;
    registry::write(&mut out)?;
    contexte::write(&mut out)?;
    rh::write(&rh, &mut out)?;
    truth::write(&world, &rh, &mut out)?;
    Ok(out.written)
}

/// The world behind the files (for tests and curious readers).
pub fn build_world() -> Result<world::World, Box<dyn Error>> {
    Ok(world::build(SEED)?.0)
}

/// The staff, trainings, questionnaires and action plan behind the added files.
pub fn build_rh() -> rh::Rh {
    rh::build(SEED)
}

/// Fixed document date of the workbooks (the extraction date).
pub(crate) fn doc_properties(
    author: &str,
    title: &str,
) -> Result<rust_xlsxwriter::DocProperties, rust_xlsxwriter::XlsxError> {
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 1, 15)?.and_hms(9, 0, 0)?;
    Ok(rust_xlsxwriter::DocProperties::new()
        .set_author(author)
        .set_title(title)
        .set_creation_datetime(&created))
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_rh;
