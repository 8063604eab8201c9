//! The attacker audit, run on every publication, by methods independent of the
//! suppression itself:
//!
//! - **rank test**: the relations restricted to suppressed cells (published cells are
//!   constants) are brought to reduced row-echelon form, exactly; a suppressed cell i
//!   is recomputable iff one reduced row is the unit vector eᵢ;
//! - **interval bounds**: for each primary cell, the smallest and largest values
//!   compatible with everything published (cells ≥ 0), as the `attack()` of sdcTable.
//!   The interval must leave a protection margin: for a count v, an upper bound of at
//!   least v + 1 and a width of at least 2 (the protection intervals of
//!   GaussSuppression); for an amount, a width of at least 10 % of v and an upper bound
//!   above v. Proving it takes four steps, each sound, the next only for the cells the
//!   previous one could not clear: moves along null-space directions from the true
//!   values (no solver), one program per component for a feasible point that moves
//!   the remaining cells together (checked against the relations), a linear program on
//!   the cell's neighbourhood (other cells at their true values), then the exact
//!   linear programs over the cell's whole component (spread over the cores). A step
//!   only ever proves protection; a solver that fails proves nothing, so a cell it
//!   leaves goes to the next step and, at the last, is reported narrow.

use polars::prelude::{PlHashMap, PlHashSet};
use std::collections::{BTreeMap, BTreeSet};

use microlp::{ComparisonOp, OptimizationDirection, Problem};

use super::linear::{Overflow, Sparse, coef, combine};
use super::system::{Kind, System};

/// A primary cell whose interval is too narrow.
#[derive(Debug, Clone, PartialEq)]
pub struct Narrow {
    pub cell: usize,
    pub low: f64,
    pub up: f64,
}

/// Relations restricted to suppressed cells, grouped by connected component of
/// suppressed cells; relations with no suppressed cell are dropped.
pub fn components(system: &System, suppressed: &[bool]) -> Vec<(Vec<usize>, Vec<Sparse>)> {
    let n = system.cells.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let restricted: Vec<Sparse> = system
        .relations
        .iter()
        .map(|r| r.iter().copied().filter(|&(j, _)| suppressed[j]).collect())
        .collect();
    for r in &restricted {
        for w in r.windows(2) {
            let (a, b) = (find(&mut parent, w[0].0), find(&mut parent, w[1].0));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: BTreeMap<usize, (Vec<usize>, Vec<Sparse>)> = BTreeMap::new();
    for j in (0..n).filter(|&j| suppressed[j]) {
        let root = find(&mut parent, j);
        groups.entry(root).or_default().0.push(j);
    }
    for r in restricted.into_iter().filter(|r| !r.is_empty()) {
        let root = find(&mut parent, r[0].0);
        if let Some(g) = groups.get_mut(&root) {
            g.1.push(r);
        }
    }
    groups.into_values().collect()
}

/// Reduced row-echelon form of some rows: pivot coordinate → row, every pivot column
/// zero in the other rows. Exact.
fn rref(rows: Vec<Sparse>) -> Result<BTreeMap<usize, Sparse>, Overflow> {
    let mut basis: BTreeMap<usize, Sparse> = BTreeMap::new();
    // Column → pivots of the rows that hold it. Hash sets: each holder is reduced on
    // its own, so the order they are walked in cannot change the basis, and they insert
    // and remove without a B-tree's node allocations.
    let mut holders: PlHashMap<usize, PlHashSet<usize>> = PlHashMap::default();
    for r in rows {
        let mut v = r;
        // Eliminating a pivot brings in only non-pivot columns (the basis is reduced),
        // so one pass over the pivots v holds now is enough.
        let pivots: Vec<usize> = v
            .iter()
            .map(|&(k, _)| k)
            .filter(|k| basis.contains_key(k))
            .collect();
        for p in pivots {
            let row = &basis[&p];
            let c = coef(&v, p);
            if c != 0 {
                v = combine(coef(row, p), &v, c, row)?;
            }
        }
        let Some(&(p, _)) = v.first() else { continue };
        let users: Vec<usize> = holders
            .remove(&p)
            .map(|s| s.into_iter().collect())
            .unwrap_or_default();
        for q in users {
            let Some(row) = basis.get(&q) else { continue };
            let c = coef(row, p);
            if c == 0 {
                continue;
            }
            let new = combine(coef(&v, p), row, c, &v)?;
            for &(k, _) in row {
                if let Some(h) = holders.get_mut(&k) {
                    h.remove(&q);
                }
            }
            for &(k, _) in &new {
                holders.entry(k).or_default().insert(q);
            }
            basis.insert(q, new);
        }
        for &(k, _) in &v {
            holders.entry(k).or_default().insert(p);
        }
        basis.insert(p, v);
    }
    Ok(basis)
}

/// Suppressed primary cells that the published cells determine exactly (rank test).
pub fn recomputable(system: &System, suppressed: &[bool]) -> Result<Vec<usize>, Overflow> {
    let mut out = Vec::new();
    for (cells, rows) in components(system, suppressed) {
        let basis = rref(rows)?;
        for i in cells {
            if system.cells[i].primary && basis.get(&i).is_some_and(|row| row.len() == 1) {
                out.push(i);
            }
        }
    }
    Ok(out)
}

/// Whether an interval protects a cell of this value and kind.
pub fn protects(kind: Kind, value: f64, low: f64, up: f64) -> bool {
    let tol = 1e-6 * value.abs().max(1.0);
    match kind {
        Kind::Count => up >= value + 1.0 - tol && up - low >= 2.0 - tol,
        Kind::Amount => up > value + tol && up - low >= 0.1 * value.abs() - tol,
    }
}

/// Attacker bounds of the suppressed primary cells (all, or those of `only`), with
/// `f64::INFINITY` when unbounded: two linear programs per cell over its component,
/// spread over the machine's cores; sorted by cell.
pub fn bounds(
    system: &System,
    suppressed: &[bool],
    only: Option<&[usize]>,
) -> Vec<(usize, f64, f64)> {
    let only: Option<BTreeSet<usize>> = only.map(|o| o.iter().copied().collect());
    let wanted = |i: usize| system.cells[i].primary && only.as_ref().is_none_or(|o| o.contains(&i));
    let comps = components(system, suppressed);
    let jobs: Vec<(usize, usize)> = comps
        .iter()
        .enumerate()
        .flat_map(|(k, (cells, _))| {
            cells
                .iter()
                .copied()
                .filter(|&i| wanted(i))
                .map(move |i| (k, i))
        })
        .collect();
    let attack = |&(k, target): &(usize, usize)| attack(system, &comps[k], target);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len())
        .max(1);
    // Jobs dealt round-robin (a large component's cells spread over every thread).
    let mut out: Vec<(usize, f64, f64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                let mine: Vec<&(usize, usize)> = jobs.iter().skip(k).step_by(threads).collect();
                let handle = scope.spawn({
                    let mine = mine.clone();
                    move || mine.into_iter().map(attack).collect::<Vec<_>>()
                });
                (mine, handle)
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|(mine, h)| {
                // A thread that failed proves nothing: its cells count as unprotected.
                h.join().unwrap_or_else(|_| {
                    mine.iter()
                        .map(|&&(_, t)| (t, system.cells[t].value, system.cells[t].value))
                        .collect()
                })
            })
            .collect()
    });
    out.sort_by_key(|r| r.0);
    out
}

/// The attacker's interval for one target cell of a component: the least and greatest
/// value its equations allow (0 and `f64::INFINITY` when it has none).
fn attack(
    system: &System,
    (cells, rows): &(Vec<usize>, Vec<Sparse>),
    target: usize,
) -> (usize, f64, f64) {
    if rows.is_empty() {
        return (target, 0.0, f64::INFINITY);
    }
    let position: BTreeMap<usize, usize> = cells.iter().enumerate().map(|(p, &c)| (c, p)).collect();
    let solve = |direction: OptimizationDirection| -> f64 {
        let mut lp = Problem::new(direction);
        let vars: Vec<_> = cells
            .iter()
            .map(|&c| lp.add_var(if c == target { 1.0 } else { 0.0 }, (0.0, f64::INFINITY)))
            .collect();
        for r in rows {
            let rhs: f64 = r
                .iter()
                .map(|&(j, c)| c as f64 * system.cells[j].value)
                .sum();
            let expr: Vec<_> = r
                .iter()
                .map(|&(j, c)| (vars[position[&j]], c as f64))
                .collect();
            lp.add_constraint(expr.as_slice(), ComparisonOp::Eq, rhs);
        }
        match lp.solve().map(|o| o.into_solution()) {
            Ok(Ok(s)) => s.objective(),
            Err(microlp::Error::Unbounded) => match direction {
                OptimizationDirection::Maximize => f64::INFINITY,
                OptimizationDirection::Minimize => 0.0,
            },
            // The true values are a solution: a solver failure must not pass the
            // audit, so it is reported as the tightest interval (the value itself).
            _ => system.cells[target].value,
        }
    };
    (
        target,
        solve(OptimizationDirection::Minimize),
        solve(OptimizationDirection::Maximize),
    )
}

/// An inner bound of the attacker interval of each suppressed primary cell, without a
/// linear program: from the true values (a feasible point), move along directions of the
/// null space of the suppressed relations that change the cell (one per free column of
/// the reduced form), each as far as non-negativity allows, one after the other (every
/// point reached is feasible). The true interval contains every point reached, so a
/// cell these bounds already protect is protected; the others go to linear programs.
fn inner_bounds(
    system: &System,
    cells: &[usize],
    basis: &BTreeMap<usize, Sparse>,
    holders: &BTreeMap<usize, Vec<(usize, i64)>>,
    i: usize,
) -> (f64, f64) {
    let v = system.cells[i].value;
    // Free columns whose direction moves cell i.
    let free: Vec<usize> = match basis.get(&i) {
        Some(row) => row.iter().map(|&(j, _)| j).filter(|&j| j != i).collect(),
        None => vec![i],
    };
    let directions: Vec<Vec<(usize, f64)>> = free
        .into_iter()
        .filter(|f| !basis.contains_key(f) && cells.binary_search(f).is_ok())
        .map(|f| {
            // d_f = 1, d_p = −row_p[f] / row_p[p] for every pivot row holding f.
            let mut d: Vec<(usize, f64)> = vec![(f, 1.0)];
            for &(p, c) in holders.get(&f).map(Vec::as_slice).unwrap_or(&[]) {
                d.push((p, -(c as f64) / coef(&basis[&p], p) as f64));
            }
            d
        })
        .collect();
    let extreme = |sign: f64| -> f64 {
        let mut x: BTreeMap<usize, f64> = BTreeMap::new();
        let value = |x: &BTreeMap<usize, f64>, j: usize| {
            x.get(&j).copied().unwrap_or(system.cells[j].value)
        };
        for _pass in 0..2 {
            for d in &directions {
                let di = d.iter().find(|&&(j, _)| j == i).map_or(0.0, |&(_, c)| c);
                if di == 0.0 {
                    continue;
                }
                // Move so that x_i goes the `sign` way: t·di has the sign of `sign`.
                let s = sign * di.signum();
                let mut t = f64::INFINITY;
                for &(j, dj) in d {
                    let step = s * dj;
                    if step < 0.0 {
                        t = t.min(value(&x, j) / -step);
                    }
                }
                if t.is_infinite() {
                    return sign * f64::INFINITY;
                }
                if t > 0.0 {
                    for &(j, dj) in d {
                        let now = value(&x, j) + t * s * dj;
                        x.insert(j, now.max(0.0));
                    }
                }
            }
        }
        value(&x, i)
    };
    (extreme(-1.0).max(0.0).min(v), extreme(1.0).max(v))
}

/// Another inner bound, by a linear program on a neighbourhood of the cell only (the
/// suppressed cells within a few relations of it, at most [`NEIGHBOURHOOD`]); every
/// other cell keeps its true value, so every point of this smaller program is a point
/// of the whole one. Much faster than the program over a whole component (thousands of
/// cells at national scale), and usually enough.
fn local_bounds(
    system: &System,
    rows: &[Sparse],
    rows_of: &BTreeMap<usize, Vec<usize>>,
    i: usize,
    limit: usize,
) -> (f64, f64) {
    let v = system.cells[i].value;
    // Breadth-first through the short relations first (a service's breakdown, an
    // organisation of a few services), where the cycles that hide a cell are; then
    // through all of them if there is room left.
    let mut near: BTreeSet<usize> = BTreeSet::from([i]);
    for max_len in [12, usize::MAX] {
        let mut frontier: Vec<usize> = near.iter().copied().collect();
        while !frontier.is_empty() && near.len() < limit {
            let mut next = Vec::new();
            for j in frontier {
                for &k in rows_of.get(&j).map(Vec::as_slice).unwrap_or(&[]) {
                    if rows[k].len() > max_len {
                        continue;
                    }
                    for &(m, _) in &rows[k] {
                        if near.len() < limit && near.insert(m) {
                            next.push(m);
                        }
                    }
                }
            }
            frontier = next;
        }
    }
    let position: BTreeMap<usize, usize> = near.iter().enumerate().map(|(p, &c)| (c, p)).collect();
    let touched: BTreeSet<usize> = near
        .iter()
        .flat_map(|j| {
            rows_of
                .get(j)
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .copied()
        })
        .collect();
    let solve = |direction: OptimizationDirection| -> Option<f64> {
        let mut lp = Problem::new(direction);
        let vars: Vec<_> = near
            .iter()
            .map(|&c| lp.add_var(if c == i { 1.0 } else { 0.0 }, (0.0, f64::INFINITY)))
            .collect();
        for &k in &touched {
            let inside: Vec<_> = rows[k]
                .iter()
                .filter_map(|&(j, c)| position.get(&j).map(|&p| (vars[p], c as f64)))
                .collect();
            let rhs: f64 = rows[k]
                .iter()
                .filter(|(j, _)| position.contains_key(j))
                .map(|&(j, c)| c as f64 * system.cells[j].value)
                .sum();
            lp.add_constraint(inside.as_slice(), ComparisonOp::Eq, rhs);
        }
        match lp.solve().map(|o| o.into_solution()) {
            Ok(Ok(s)) => Some(s.objective()),
            Err(microlp::Error::Unbounded) => Some(match direction {
                OptimizationDirection::Maximize => f64::INFINITY,
                OptimizationDirection::Minimize => 0.0,
            }),
            _ => None,
        }
    };
    // A failed solve proves nothing: the cell then keeps its value as both bounds.
    let low = solve(OptimizationDirection::Minimize).unwrap_or(v).min(v);
    let up = solve(OptimizationDirection::Maximize).unwrap_or(v).max(v);
    (low, up)
}

/// Size of the neighbourhood of [`local_bounds`]. Measured at national scale: of 78 786
/// primary cells, 49 needed a local program and 10 the program over their whole
/// component; neighbourhoods of 1 500 then 12 000 cells cleared none of those 10 and
/// the second cost as much as the whole program, so there is one size only.
const NEIGHBOURHOOD: usize = 150;

/// Suppressed primary cells (all, or those of `only`) whose attacker interval leaves no
/// protection margin. Cells protected by a cheap inner bound need no linear program.
pub fn narrow_among(system: &System, suppressed: &[bool], only: Option<&[usize]>) -> Vec<Narrow> {
    let only: Option<BTreeSet<usize>> = only.map(|o| o.iter().copied().collect());
    let wanted = |i: usize| system.cells[i].primary && only.as_ref().is_none_or(|o| o.contains(&i));
    // Cheapest first: the inner bounds of the reduced form, then one shared point per
    // component for every cell they leave (one convex program, whatever the number of
    // cells), then a local program per cell still left, then the exact programs.
    // Each step is sound, so a cell any of them proves is protected, and the order only
    // changes the cost. On the four largest components of the national network the
    // inner bounds leave 39–106 cells each; the shared point proves all but 0–3 of them
    // in about 0,5 s, where a local program per cell took 0,3–0,8 s before the shared
    // point was even tried.
    let mut pending: Vec<Pending> = Vec::new();
    for (cells, rows) in components(system, suppressed) {
        let targets: Vec<usize> = cells.iter().copied().filter(|&i| wanted(i)).collect();
        if targets.is_empty() {
            continue;
        }
        let unproven: Vec<usize> = match rref(rows.clone()) {
            Ok(basis) => {
                let mut holders: BTreeMap<usize, Vec<(usize, i64)>> = BTreeMap::new();
                for (&p, row) in &basis {
                    for &(k, c) in row {
                        if k != p {
                            holders.entry(k).or_default().push((p, c));
                        }
                    }
                }
                targets
                    .into_iter()
                    .filter(|&i| {
                        let (low, up) = inner_bounds(system, &cells, &basis, &holders, i);
                        let c = &system.cells[i];
                        !protects(c.kind, c.value, low, up)
                    })
                    .collect()
            }
            Err(Overflow) => targets,
        };
        if !unproven.is_empty() {
            pending.push(Pending {
                rows,
                cells: unproven,
            });
        }
    }
    let unproven: Vec<usize> = pending
        .iter()
        .flat_map(|p| p.cells.iter().copied())
        .collect();
    if unproven.is_empty() {
        return Vec::new();
    }
    let proven = super::shared::proven_by_shared_points(system, suppressed, &unproven);
    let doubtful = unproven_by_local_programs(system, &pending, &proven);
    if doubtful.is_empty() {
        return Vec::new();
    }
    bounds(system, suppressed, Some(&doubtful))
        .into_iter()
        .filter(|&(i, low, up)| {
            let c = &system.cells[i];
            !protects(c.kind, c.value, low, up)
        })
        .map(|(cell, low, up)| Narrow { cell, low, up })
        .collect()
}

/// The cells of one component that the inner bounds left unproven, with the
/// component's relations (for their local programs).
struct Pending {
    rows: Vec<Sparse>,
    cells: Vec<usize>,
}

/// The cells of `pending` that neither the shared point (`proven`) nor a local program
/// on their neighbourhood proves protected.
fn unproven_by_local_programs(
    system: &System,
    pending: &[Pending],
    proven: &BTreeSet<usize>,
) -> Vec<usize> {
    let mut doubtful: Vec<usize> = Vec::new();
    for p in pending {
        let left: Vec<usize> = p
            .cells
            .iter()
            .copied()
            .filter(|c| !proven.contains(c))
            .collect();
        if left.is_empty() {
            continue;
        }
        let mut rows_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (k, r) in p.rows.iter().enumerate() {
            for &(j, _) in r {
                rows_of.entry(j).or_default().push(k);
            }
        }
        for i in left {
            let (low, up) = local_bounds(system, &p.rows, &rows_of, i, NEIGHBOURHOOD);
            let c = &system.cells[i];
            if !protects(c.kind, c.value, low, up) {
                doubtful.push(i);
            }
        }
    }
    doubtful
}
