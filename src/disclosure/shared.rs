//! The shared-point step of the interval audit (docs/architecture.md, « Disclosure
//! control at national scale »): the cells the cheap steps of [`super::audit`] could not
//! prove protected are tried together, per component, with one convex program whose
//! answer — a single point moving all of them — is then checked against every relation
//! as written. The program is solved by an interior-point method (Clarabel): on the
//! national components (≈ 11 000 cells, 6 500 relations) it answers in about 0,15 s
//! where the simplex of `microlp` took 7 s, and since the point is checked afterwards the
//! proof never rests on the solver's own accuracy.

use std::collections::{BTreeMap, BTreeSet};

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus, ZeroConeT,
};
use rayon::prelude::*;

use super::audit::{components, protects};
use super::linear::Sparse;
use super::system::{Kind, System};

/// The upper value that proves a cell protected on its own: with the true value as the
/// low end (the true values are a feasible point, so the attacker's low bound is at most
/// the value), [`protects`] holds from this value up; a little above it so that a
/// solver's round-off cannot undo the proof.
fn sufficient_up(kind: Kind, value: f64) -> f64 {
    let tol = 1e-6 * value.abs().max(1.0);
    match kind {
        Kind::Count => value + 2.0 + 4.0 * tol,
        Kind::Amount => value + 0.1 * value.abs() + 4.0 * tol,
    }
}

/// Rounds of [`proven_by_shared_points`] per component.
const SHARED_ROUNDS: usize = 3;

/// How far above its [`sufficient_up`] each target is aimed, relative to its value. An
/// interior point stops a little short of its bounds (6·10⁻⁵ short of the caps on the
/// secret bench, where the solver settles for « almost solved »); aimed at the sufficient
/// value itself, no target reached it there, aimed this far above it the same cells as
/// the simplex's vertex did (15 of 18, 4 of 7, 3 of 4 in three rounds). A cell whose
/// greatest value lies in between goes to the exact programs: slower, never wrong.
const AIM_MARGIN: f64 = 1e-3;

/// Accuracy asked of the interior-point solver (feasibility and gap). Tighter than its
/// default (1e-8) so that the point passes the check of [`shared_point`] (relations met
/// within 1e-7 of their largest term): at 1e-8 one national component in four missed it.
const ACCURACY: f64 = 1e-11;

/// The cells of `doubtful` that a feasible point shared by several of them already
/// protects, without the two programs per cell of [`super::audit::bounds`]. Per
/// component holding doubtful cells, one program maximises the sum of those cells, each
/// scaled by and capped just above its [`sufficient_up`] (the cap keeps the program
/// bounded and spreads the effort over the cells); its solution is checked against
/// every relation of the component and non-negativity, and each doubtful cell that
/// reaches its sufficient value there is protected: the attacker's interval holds both its true
/// value and that point's value. Up to [`SHARED_ROUNDS`] rounds on the cells still
/// doubtful, while a round proves one more. Sound as the other steps are; the cells it
/// does not prove go to the exact programs.
pub fn proven_by_shared_points(
    system: &System,
    suppressed: &[bool],
    doubtful: &[usize],
) -> BTreeSet<usize> {
    let wanted: BTreeSet<usize> = doubtful.iter().copied().collect();
    let comps: Vec<(Vec<usize>, Vec<Sparse>)> = components(system, suppressed)
        .into_iter()
        .filter(|(cells, rows)| !rows.is_empty() && cells.iter().any(|c| wanted.contains(c)))
        .collect();
    let proven_in = |(cells, rows): &(Vec<usize>, Vec<Sparse>)| -> Vec<usize> {
        let mut open: Vec<usize> = cells
            .iter()
            .copied()
            .filter(|c| wanted.contains(c))
            .collect();
        let mut proven = Vec::new();
        for _ in 0..SHARED_ROUNDS {
            let Some(point) = shared_point(system, cells, rows, &open) else {
                break;
            };
            let before = open.len();
            open.retain(|&c| {
                let cell = &system.cells[c];
                let done = cells
                    .binary_search(&c)
                    .is_ok_and(|p| protects(cell.kind, cell.value, cell.value, point[p]));
                if done {
                    proven.push(c);
                }
                !done
            });
            if open.is_empty() || open.len() == before {
                break;
            }
        }
        proven
    };
    // Components spread over the cores; one whose solver panicked proves nothing (its
    // cells go to the exact programs).
    comps
        .par_iter()
        .flat_map_iter(|comp| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| proven_in(comp)))
                .unwrap_or_default()
        })
        .collect()
}

/// A point of the component (`cells` sorted, `rows` over them) maximising the scaled
/// sum of the `targets`, each capped a little above its [`sufficient_up`]; `None` when
/// the solver fails or its answer does not meet the relations and non-negativity within
/// round-off.
///
/// In Clarabel's form (minimise `qᵀx` subject to `Ax + s = b`, `s` in a cone): the
/// relations are the zero cone (`s = 0`), then `−x ≤ 0` for every cell and `x ≤ cap`
/// for every target in the non-negative cone.
fn shared_point(
    system: &System,
    cells: &[usize],
    rows: &[Sparse],
    targets: &[usize],
) -> Option<Vec<f64>> {
    let cap: BTreeMap<usize, f64> = targets
        .iter()
        .filter_map(|&c| {
            let p = cells.binary_search(&c).ok()?;
            let cell = &system.cells[c];
            let aim = sufficient_up(cell.kind, cell.value) + AIM_MARGIN * cell.value.abs().max(1.0);
            Some((p, aim))
        })
        .collect();
    let at = |j: usize| cells.binary_search(&j).ok();
    let n = cells.len();
    // Entries (row, column, value) of A, and b.
    let mut entries: Vec<(usize, usize, f64)> = Vec::new();
    let mut b: Vec<f64> = Vec::with_capacity(rows.len() + n + cap.len());
    for (k, r) in rows.iter().enumerate() {
        for &(j, c) in r {
            entries.push((k, at(j)?, c as f64));
        }
        b.push(
            r.iter()
                .map(|&(j, c)| c as f64 * system.cells[j].value)
                .sum(),
        );
    }
    let equalities = rows.len();
    for p in 0..n {
        entries.push((equalities + p, p, -1.0));
        b.push(0.0);
    }
    for (k, (&p, &up)) in cap.iter().enumerate() {
        entries.push((equalities + n + k, p, 1.0));
        b.push(up);
    }
    let m = b.len();
    let a = csc(m, n, entries);
    let q: Vec<f64> = (0..n)
        .map(|p| cap.get(&p).map_or(0.0, |&up| -1.0 / up.max(1e-3)))
        .collect();
    let cones = [ZeroConeT(equalities), NonnegativeConeT(m - equalities)];
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .tol_feas(ACCURACY)
        .tol_gap_abs(ACCURACY)
        .tol_gap_rel(ACCURACY)
        .build()
        .ok()?;
    let mut solver =
        DefaultSolver::new(&CscMatrix::zeros((n, n)), &q, &a, &b, &cones, settings).ok()?;
    solver.solve();
    if !matches!(
        solver.solution.status,
        SolverStatus::Solved | SolverStatus::AlmostSolved
    ) {
        return None;
    }
    let point = solver.solution.x;
    // Checked against the relations as written: the proof never rests on the solver.
    let feasible = point.len() == n
        && point.iter().all(|&x| x >= -1e-9)
        && rows.iter().all(|r| {
            let (mut sum, mut rhs, mut scale) = (0.0, 0.0, 1.0_f64);
            for &(j, c) in r {
                let x = at(j).map_or(f64::NAN, |p| point[p]);
                sum += c as f64 * x;
                rhs += c as f64 * system.cells[j].value;
                scale = scale.max((c as f64 * x).abs());
            }
            (sum - rhs).abs() <= 1e-7 * scale
        });
    feasible.then_some(point)
}

/// A compressed-sparse-column matrix from its entries (row, column, value).
fn csc(m: usize, n: usize, mut entries: Vec<(usize, usize, f64)>) -> CscMatrix<f64> {
    entries.sort_by_key(|&(row, col, _)| (col, row));
    let mut colptr = vec![0usize; n + 1];
    for &(_, col, _) in &entries {
        colptr[col + 1] += 1;
    }
    for col in 0..n {
        colptr[col + 1] += colptr[col];
    }
    let rowval = entries.iter().map(|e| e.0).collect();
    let nzval = entries.iter().map(|e| e.2).collect();
    CscMatrix::new(m, n, colptr, rowval, nzval)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::system::Cell;

    /// A 2 × 2 table a b / c d with its margins published and the four inner cells
    /// suppressed: a can grow by t while b and c shrink by t and d grows by t, so its
    /// greatest value is a + min(b, c).
    fn table(a: f64, b: f64, c: f64, d: f64) -> (System, Vec<bool>) {
        let cell = |value: f64| Cell {
            value,
            freq: value,
            kind: Kind::Count,
            primary: true,
            known: false,
        };
        let values = [a, b, c, d, a + b, c + d, a + c, b + d, a + b + c + d];
        let cells = values.iter().map(|&v| cell(v)).collect();
        let relations = vec![
            vec![(0, 1), (1, 1), (4, -1)],
            vec![(2, 1), (3, 1), (5, -1)],
            vec![(0, 1), (2, 1), (6, -1)],
            vec![(1, 1), (3, 1), (7, -1)],
            vec![(4, 1), (5, 1), (8, -1)],
        ];
        let suppressed = (0..9).map(|i| i < 4).collect();
        (System { cells, relations }, suppressed)
    }

    #[test]
    fn a_shared_point_proves_a_cell_that_can_move_far_enough() {
        // a = 5 can reach 5 + min(7, 6) = 11 ≥ 5 + 2: proven.
        let (system, suppressed) = table(5.0, 7.0, 6.0, 8.0);
        let proven = proven_by_shared_points(&system, &suppressed, &[0]);
        assert_eq!(proven, BTreeSet::from([0]));
        // The point itself meets every relation and reaches the aim.
        let rows: Vec<Sparse> = components(&system, &suppressed)[0].1.clone();
        let point = shared_point(&system, &[0, 1, 2, 3], &rows, &[0]).unwrap();
        assert!(point[0] >= 7.0, "{point:?}");
        assert!((point[0] + point[1] - 12.0).abs() < 1e-6);
        assert!((point[0] + point[2] - 11.0).abs() < 1e-6);
        assert!(point.iter().all(|&x| x >= 0.0));
    }

    #[test]
    fn a_cell_that_cannot_move_far_enough_is_not_proven() {
        // a = 5 reaches at most 5 + min(1, 6) = 6 < 7: left to the exact programs.
        let (system, suppressed) = table(5.0, 1.0, 6.0, 8.0);
        assert!(proven_by_shared_points(&system, &suppressed, &[0]).is_empty());
    }
}
