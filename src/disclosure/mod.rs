//! Stage 4 — disclosure control (DESIGN §7). Takes the computed indicator rows and
//! decides, for every published figure, whether it can be published: **primary**
//! suppression of figures counting fewer persons than the threshold, **secondary**
//! suppression so that none of them can be recomputed from what is published (totals,
//! margins, perimeters, numerators and denominators of rates, the same count in two
//! indicators), then an **attacker audit** (exact rank test and interval bounds) that
//! fails the run if a suppressed figure is still exposed. Owns the cell statuses
//! (European codes V / A / D) and the per-indicator suppression figures of the
//! manifest; the linear algebra lives in [`linear`], [`gauss`], [`audit`] and [`shared`], the
//! mapping from indicator rows to cells and relations in [`cells`].
//!
//! Zero rule: a zero counts no one and is published (it is not a primary cell); with
//! `secret_zeros = true` zeros are primary cells too. Distinct persons are not exactly
//! additive over perimeters (a child followed by two services counts once for their
//! organisation); the relations are written with the overlap as a known constant, as if
//! the attacker knew it — the cautious assumption.

pub mod audit;
pub mod cells;
pub mod gauss;
pub mod linear;
pub mod shared;
pub mod system;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::Error;
use crate::indicators::{CellStatus, Directory, IndicatorRow};
use system::System;

pub use crate::settings::{Audience, DEFAULT_THRESHOLD, DisclosureSettings as Settings};

/// Why a pattern is not safe (cells of the system).
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Suppressed primary cells the published cells determine exactly.
    Recomputable(Vec<usize>),
    /// Suppressed primary cells whose attacker interval is too narrow.
    Narrow(Vec<audit::Narrow>),
    /// An exact coefficient exceeded 64 bits.
    Overflow,
}

impl From<linear::Overflow> for Failure {
    fn from(_: linear::Overflow) -> Failure {
        Failure::Overflow
    }
}

/// Secondary suppression then interval repair on a system whose primary cells are
/// marked. Deterministic. Returns the status of every cell once the interval audit of
/// its last pass finds every primary cell protected (or the cells it cannot protect);
/// the rank test of [`audit_system`] is still to be run on the pattern.
///
/// Runs on each independent part of the system ([`System::parts`]) alone, the parts
/// spread over the cores: no relation crosses two parts, so the pattern is the one the
/// whole system would give, and a part that needs more repair passes does not make the
/// others run again.
pub fn protect_system(system: &System) -> Result<Vec<CellStatus>, Failure> {
    let parts = system.parts();
    let results: Vec<Result<Vec<CellStatus>, Failure>> = parts
        .par_iter()
        .with_max_len(1)
        .map(|p| protect_part(&p.system))
        .collect();
    merge(system.cells.len(), &parts, results)
}

/// Puts the results of the parts back in the cells of the whole system; the failures of
/// every failing part are reported together (an overflow first).
fn merge(
    n: usize,
    parts: &[system::Part],
    results: Vec<Result<Vec<CellStatus>, Failure>>,
) -> Result<Vec<CellStatus>, Failure> {
    let mut out = vec![CellStatus::default(); n];
    let (mut recomputable, mut narrow, mut overflow) = (Vec::new(), Vec::new(), false);
    for (p, r) in parts.iter().zip(results) {
        match r {
            Ok(v) => {
                for (k, x) in v.into_iter().enumerate() {
                    out[p.cells[k]] = x;
                }
            }
            Err(Failure::Overflow) => overflow = true,
            Err(Failure::Recomputable(c)) => recomputable.extend(c.into_iter().map(|c| p.cells[c])),
            Err(Failure::Narrow(v)) => narrow.extend(v.into_iter().map(|n| audit::Narrow {
                cell: p.cells[n.cell],
                ..n
            })),
        }
    }
    if overflow {
        return Err(Failure::Overflow);
    }
    if !recomputable.is_empty() {
        recomputable.sort_unstable();
        return Err(Failure::Recomputable(recomputable));
    }
    if !narrow.is_empty() {
        narrow.sort_by_key(|n| n.cell);
        return Err(Failure::Narrow(narrow));
    }
    Ok(out)
}

/// [`protect_system`] on one part.
fn protect_part(system: &System) -> Result<Vec<CellStatus>, Failure> {
    let order = system.candidate_order();
    let mut rank = vec![None; system.cells.len()];
    for (p, &c) in order.iter().enumerate() {
        rank[c] = Some(p);
    }
    let mut relations_of: Vec<Vec<usize>> = vec![Vec::new(); system.cells.len()];
    for (k, r) in system.relations.iter().enumerate() {
        for &(j, _) in r {
            relations_of[j].push(k);
        }
    }
    let mut protected: Vec<bool> = system.cells.iter().map(|c| c.primary).collect();
    loop {
        let mut status: Vec<CellStatus> = (0..system.cells.len())
            .map(|j| {
                if system.cells[j].primary {
                    CellStatus::Primary
                } else if protected[j] {
                    CellStatus::Secondary
                } else {
                    CellStatus::Published
                }
            })
            .collect();
        for c in gauss::secondary(system, &order, &protected)? {
            status[c] = CellStatus::Secondary;
        }
        let suppressed: Vec<bool> = status.iter().map(|&s| s != CellStatus::Published).collect();
        let narrow = audit::narrow_among(system, &suppressed, None);
        let mut added = false;
        for n in &narrow {
            if let Some(j) = nearest_candidate(system, &relations_of, &protected, &rank, n.cell) {
                protected[j] = true;
                added = true;
            }
        }
        if narrow.is_empty() {
            return Ok(status);
        }
        if !added {
            return Err(Failure::Narrow(narrow));
        }
    }
}

/// The cell to protect for a cell whose interval is too narrow: an unprotected cell of
/// one of its relations (non-zero first, then the latest in the candidate order); when
/// every cell of its relations is already protected, the bound comes through them, so
/// the search goes on through the relations of those protected cells, nearest first.
fn nearest_candidate(
    system: &System,
    relations_of: &[Vec<usize>],
    protected: &[bool],
    rank: &[Option<usize>],
    cell: usize,
) -> Option<usize> {
    let mut seen_cell = vec![false; system.cells.len()];
    let mut seen_relation = vec![false; system.relations.len()];
    seen_cell[cell] = true;
    let mut frontier = vec![cell];
    while !frontier.is_empty() {
        let mut next = Vec::new();
        let mut best: Option<usize> = None;
        for &c in &frontier {
            for &k in &relations_of[c] {
                if std::mem::replace(&mut seen_relation[k], true) {
                    continue;
                }
                for &(j, _) in &system.relations[k] {
                    if !protected[j] {
                        let key = |j: usize| (system.cells[j].value != 0.0, rank[j]);
                        if best.is_none_or(|b| key(j) >= key(b)) {
                            best = Some(j);
                        }
                    } else if !std::mem::replace(&mut seen_cell[j], true) {
                        next.push(j);
                    }
                }
            }
        }
        if best.is_some() {
            return best;
        }
        frontier = next;
    }
    None
}

/// Protection then the exact rank test, on one part (see [`protect`]).
fn protect_and_check(system: &System) -> Result<Vec<CellStatus>, Failure> {
    let status = protect_part(system)?;
    let suppressed: Vec<bool> = status.iter().map(|&s| s != CellStatus::Published).collect();
    let exposed = audit::recomputable(system, &suppressed)?;
    if !exposed.is_empty() {
        return Err(Failure::Recomputable(exposed));
    }
    Ok(status)
}

/// The attacker audit of a pattern: rank test and interval bounds.
pub fn audit_system(system: &System, status: &[CellStatus]) -> Result<(), Failure> {
    let suppressed: Vec<bool> = status.iter().map(|&s| s != CellStatus::Published).collect();
    let exposed = audit::recomputable(system, &suppressed)?;
    if !exposed.is_empty() {
        return Err(Failure::Recomputable(exposed));
    }
    let narrow = audit::narrow_among(system, &suppressed, None);
    if !narrow.is_empty() {
        return Err(Failure::Narrow(narrow));
    }
    Ok(())
}

/// Suppression figures of one published table (indicator), for the manifest.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct TableFigures {
    pub cases_publiees: usize,
    pub secret_primaire: usize,
    pub secret_secondaire: usize,
    /// Secondary / primary suppressions (INSEE: « généralement autour de 2 »); `None`
    /// without primary suppression.
    pub ratio_secondaire_primaire: Option<f64>,
}

/// What disclosure control did, for the manifest and the report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub seuil: u32,
    pub zeros_en_secret: bool,
    pub diffusion: Audience,
    /// Cells (numerators and denominators) and relations checked by the audit.
    pub cases_controlees: usize,
    pub relations: usize,
    pub audit: &'static str,
    pub ensemble: TableFigures,
    pub par_indicateur: BTreeMap<String, TableFigures>,
}

fn figures(statuses: impl Iterator<Item = CellStatus>) -> TableFigures {
    let mut f = TableFigures::default();
    for s in statuses {
        match s {
            CellStatus::Published => f.cases_publiees += 1,
            CellStatus::Primary => f.secret_primaire += 1,
            CellStatus::Secondary => f.secret_secondaire += 1,
        }
    }
    if f.secret_primaire > 0 {
        f.ratio_secondaire_primaire = Some(f.secret_secondaire as f64 / f.secret_primaire as f64);
    }
    f
}

/// Cells protected between two returns of freed memory to the system.
const RELEASE_CELLS: usize = 60_000;

/// Protects the indicator rows in place: sets every row's status, hides suppressed
/// values (value, and numerator or denominator when that cell is suppressed), and fails
/// if the audit finds an exposed cell. Evolutions and peer quartiles must be recomputed
/// afterwards from what is left (`indicators::derive::refresh`).
pub fn protect(
    rows: &mut [IndicatorRow],
    dir: &Directory,
    settings: &Settings,
) -> Result<Report, Error> {
    let built = cells::build(rows, dir, settings);
    let fail = |f: Failure| -> Error {
        let places = |cells: Vec<usize>| -> String {
            let mut v: Vec<String> = cells.iter().take(5).map(|&c| built.describe(c)).collect();
            if cells.len() > 5 {
                v.push(format!("et {} autres", cells.len() - 5));
            }
            v.join(" ; ")
        };
        Error::Disclosure(match f {
            Failure::Recomputable(c) => format!(
                "{} case(s) en secret pourraient être recalculées exactement à partir des cases publiées : {}",
                c.len(),
                places(c)
            ),
            Failure::Narrow(n) => format!(
                "{} case(s) en secret seraient encadrées trop étroitement par les cases publiées : {}",
                n.len(),
                places(n.into_iter().map(|n| n.cell).collect())
            ),
            Failure::Overflow => {
                "coefficients trop grands dans le système des relations entre cases".into()
            }
        })
    };
    // The interval audit is the last pass of `protect_system` (on this very pattern);
    // the exact rank test, by another method than the elimination, runs after it, on
    // each part, the parts spread over the cores.
    let parts = built.system.parts();
    let release = crate::memory::Releaser::every(RELEASE_CELLS);
    // One part a task: a run of consecutive parts handed to one thread whole could hold
    // several of the largest and leave the other cores idle at the end.
    let results: Vec<Result<Vec<CellStatus>, Failure>> = parts
        .par_iter()
        .with_max_len(1)
        .map(|p| {
            let r = protect_and_check(&p.system);
            // The parts' solvers leave their freed blocks in their threads' arenas,
            // where the other parts do not reuse them: given back every so many cells,
            // they no longer add up across parts (docs/architecture.md, « Benchmarks »).
            release.done(p.system.cells.len());
            r
        })
        .collect();
    let status = merge(built.system.cells.len(), &parts, results).map_err(fail)?;
    let side = |c: Option<usize>| c.map_or(CellStatus::Published, |c| status[c]);
    for (r, &(num, den)) in rows.iter_mut().zip(&built.row_cells) {
        let (sn, sd) = (side(num), side(den));
        r.statut = sn.max(sd);
        if r.statut != CellStatus::Published {
            r.valeur = None;
        }
        if sn != CellStatus::Published {
            r.numerateur = None;
        }
        if sd != CellStatus::Published {
            r.denominateur = None;
        }
    }
    let mut per: BTreeMap<String, Vec<CellStatus>> = BTreeMap::new();
    for r in rows.iter() {
        per.entry(r.indicateur.clone()).or_default().push(r.statut);
    }
    Ok(Report {
        seuil: settings.threshold,
        zeros_en_secret: settings.protect_zeros,
        diffusion: settings.audience,
        cases_controlees: built.system.cells.len(),
        relations: built.system.relations.len(),
        audit: "réussi : aucune case en secret n'est recalculable (test de rang exact) et chacune garde une marge de protection (bornes par programmation linéaire)",
        ensemble: figures(rows.iter().map(|r| r.statut)),
        par_indicateur: per
            .into_iter()
            .map(|(k, v)| (k, figures(v.into_iter())))
            .collect(),
    })
}

#[cfg(test)]
mod tests;
