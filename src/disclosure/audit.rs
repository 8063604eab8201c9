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

/// Suppressed primary cells that the published cells determine exactly (rank test).
pub fn recomputable(system: &System, suppressed: &[bool]) -> Result<Vec<usize>, Overflow> {
    let mut out = Vec::new();
    for (cells, rows) in components(system, suppressed) {
        // Reduced row-echelon form: pivot coordinate → row, every pivot column zero in
        // the other rows.
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

/// Suppressed primary cells (all, or those of `only`) whose attacker interval leaves no
/// protection margin.
pub fn narrow_among(system: &System, suppressed: &[bool], only: Option<&[usize]>) -> Vec<Narrow> {
    bounds(system, suppressed, only)
        .into_iter()
        .filter(|&(i, low, up)| {
            let c = &system.cells[i];
            !protects(c.kind, c.value, low, up)
        })
        .map(|(cell, low, up)| Narrow { cell, low, up })
        .collect()
}
