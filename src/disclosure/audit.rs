//! The attacker audit, run on every publication, by methods independent of the
//! suppression itself:
//!
//! - **rank test**: the relations restricted to suppressed cells (published cells are
//!   constants) are brought to reduced row-echelon form, exactly; a suppressed cell i
//!   is recomputable iff one reduced row is the unit vector eᵢ;
//! - **interval bounds**: for each primary cell, the smallest and largest values
//!   compatible with everything published (linear programs, cells ≥ 0), as the
//!   `attack()` of sdcTable. The interval must leave a protection margin: for a count
//!   v, an upper bound of at least v + 1 and a width of at least 2 (the protection
//!   intervals of GaussSuppression); for an amount, a width of at least 10 % of v and
//!   an upper bound above v.

use std::collections::BTreeMap;

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
    for r in rows {
        let mut v = r;
        for (&p, row) in &basis {
            let c = coef(&v, p);
            if c != 0 {
                v = combine(coef(row, p), &v, c, row)?;
            }
        }
        let Some(&(p, _)) = v.first() else { continue };
        for row in basis.values_mut() {
            let c = coef(row, p);
            if c != 0 {
                *row = combine(coef(&v, p), row, c, &v)?;
            }
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
/// `f64::INFINITY` when unbounded.
pub fn bounds(
    system: &System,
    suppressed: &[bool],
    only: Option<&[usize]>,
) -> Vec<(usize, f64, f64)> {
    let wanted = |i: usize| system.cells[i].primary && only.is_none_or(|o| o.contains(&i));
    let mut out = Vec::new();
    for (cells, rows) in components(system, suppressed) {
        let targets: Vec<usize> = cells.iter().copied().filter(|&i| wanted(i)).collect();
        if targets.is_empty() {
            continue;
        }
        if rows.is_empty() {
            out.extend(targets.iter().map(|&i| (i, 0.0, f64::INFINITY)));
            continue;
        }
        let position: BTreeMap<usize, usize> =
            cells.iter().enumerate().map(|(p, &c)| (c, p)).collect();
        let solve = |target: usize, direction: OptimizationDirection| -> f64 {
            let mut lp = Problem::new(direction);
            let vars: Vec<_> = cells
                .iter()
                .map(|&c| lp.add_var(if c == target { 1.0 } else { 0.0 }, (0.0, f64::INFINITY)))
                .collect();
            for r in &rows {
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
        for i in targets {
            let low = solve(i, OptimizationDirection::Minimize);
            let up = solve(i, OptimizationDirection::Maximize);
            out.push((i, low, up));
        }
    }
    out
}

/// An inner bound of the attacker interval of each suppressed primary cell, without a
/// linear program: from the true values (a feasible point), move along each direction of
/// the null space of the suppressed relations that changes the cell (one per free column
/// of the reduced form), as far as non-negativity allows. The true interval contains
/// every such segment, so a cell these bounds already protect is protected.
fn inner_bounds(
    system: &System,
    cells: &[usize],
    basis: &BTreeMap<usize, Sparse>,
    i: usize,
) -> (f64, f64) {
    let v = system.cells[i].value;
    let (mut low, mut up) = (v, v);
    // Free columns whose direction moves cell i.
    let free: Vec<usize> = match basis.get(&i) {
        Some(row) => row.iter().map(|&(j, _)| j).filter(|&j| j != i).collect(),
        None => vec![i],
    };
    for f in free {
        if basis.contains_key(&f) || cells.binary_search(&f).is_err() {
            continue;
        }
        // d_f = 1, d_p = −row_p[f] / row_p[p] for every pivot row holding f.
        let mut d: Vec<(usize, f64)> = vec![(f, 1.0)];
        for (&p, row) in basis {
            let c = coef(row, f);
            if c != 0 {
                d.push((p, -(c as f64) / coef(row, p) as f64));
            }
        }
        let (mut t_lo, mut t_hi) = (f64::NEG_INFINITY, f64::INFINITY);
        for &(j, dj) in &d {
            let x = system.cells[j].value;
            if dj > 0.0 {
                t_lo = t_lo.max(-x / dj);
            } else if dj < 0.0 {
                t_hi = t_hi.min(x / -dj);
            }
        }
        let di = d.iter().find(|&&(j, _)| j == i).map_or(0.0, |&(_, x)| x);
        for t in [t_lo, t_hi] {
            let moved = v + di * t;
            if moved.is_nan() {
                continue;
            }
            low = low.min(moved);
            up = up.max(moved);
        }
    }
    (low.max(0.0), up)
}

/// Suppressed primary cells (all, or those of `only`) whose attacker interval leaves no
/// protection margin. Cells protected by a cheap inner bound need no linear program.
pub fn narrow_among(system: &System, suppressed: &[bool], only: Option<&[usize]>) -> Vec<Narrow> {
    let wanted = |i: usize| system.cells[i].primary && only.is_none_or(|o| o.contains(&i));
    let mut doubtful: Vec<usize> = Vec::new();
    for (cells, rows) in components(system, suppressed) {
        let targets: Vec<usize> = cells.iter().copied().filter(|&i| wanted(i)).collect();
        if targets.is_empty() {
            continue;
        }
        let Ok(basis) = rref(rows) else {
            doubtful.extend(targets);
            continue;
        };
        for i in targets {
            let (low, up) = inner_bounds(system, &cells, &basis, i);
            let c = &system.cells[i];
            if !protects(c.kind, c.value, low, up) {
                doubtful.push(i);
            }
        }
    }
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
