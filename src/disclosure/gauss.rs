//! Secondary suppression by Gaussian elimination (after Langsrud 2024, the
//! GaussSuppression method of Statistics Norway), over the linear relations of every
//! published table at once.
//!
//! What the attacker knows is a vector space K of linear functionals of the cells: the
//! relations (totals, margins, perimeters…) and the unit vector of every published cell.
//! A suppressed cell i is recomputable exactly when eᵢ ∈ K. We keep every cell's image
//! in the quotient space ℝᴺ / K, in coordinates (a sparse integer vector qⱼ): cell j is
//! determined when qⱼ = 0. Publishing a candidate c adds e_c to K: every qⱼ is reduced
//! by q_c on one pivot coordinate. A primary cell i would become determined exactly
//! when qᵢ is parallel to q_c, so such a candidate is suppressed instead (secondary).
//! Candidates come in priority order (most persons first), so large cells stay
//! published; the same order always gives the same pattern.

use polars::prelude::PlHashSet;

use super::linear::{
    Overflow, Sparse, coef, combine_exact_into, gcd, linear_combination, normalise, parallel,
};
use super::system::System;

struct Quotient {
    /// Image of each cell in ℝᴺ / K is `q[j] / den[j]` (exact: images are combined
    /// when a relation is added, so their scale matters).
    q: Vec<Sparse>,
    den: Vec<i64>,
    /// Cells whose image has a non-zero coefficient on each coordinate. Unordered: it
    /// is only counted ([`Quotient::pivot`]) and walked where the order cannot change
    /// the outcome (each user is reduced on its own; "any exposed cell"), and a hash set
    /// inserts and removes without the node allocations of a B-tree, which were a
    /// tenth of the elimination's time at national scale.
    index: Vec<PlHashSet<usize>>,
    /// Scratch vector of [`Quotient::add`], reused from one user to the next.
    scratch: Sparse,
}

impl Quotient {
    fn new(n: usize) -> Quotient {
        Quotient {
            q: (0..n).map(|j| vec![(j, 1)]).collect(),
            den: vec![1; n],
            index: (0..n).map(|j| PlHashSet::from_iter([j])).collect(),
            scratch: Vec::new(),
        }
    }

    /// Image of a vector of cell coefficients, up to a non-zero factor (enough to add
    /// it to the known space).
    fn image(&self, v: &[(usize, i64)]) -> Result<Sparse, Overflow> {
        let mut lcm: i64 = 1;
        for &(j, _) in v {
            let d = self.den[j];
            lcm = (lcm / gcd(lcm, d)).checked_mul(d).ok_or(Overflow)?;
        }
        let terms: Vec<(i64, &[(usize, i64)])> = v
            .iter()
            .map(|&(j, c)| {
                Ok((
                    c.checked_mul(lcm / self.den[j]).ok_or(Overflow)?,
                    self.q[j].as_slice(),
                ))
            })
            .collect::<Result<_, Overflow>>()?;
        linear_combination(terms)
    }

    /// The image of cell `j`, normalised (for comparisons up to a factor).
    fn direction(&self, j: usize) -> Sparse {
        let mut v = self.q[j].clone();
        normalise(&mut v);
        v
    }

    /// Coordinate of `w` used to eliminate: the one fewest images use (less fill-in),
    /// then the smallest, so the result never depends on anything but the input.
    fn pivot(&self, w: &[(usize, i64)]) -> usize {
        w.iter()
            .map(|&(k, _)| (self.index[k].len(), k))
            .min()
            .map(|(_, k)| k)
            .unwrap_or(0)
    }

    /// Moves cell `j` in the index from the coordinates of `old` to those of `new` (both
    /// sorted): only the coordinates that appear or disappear change, most stay.
    fn reindex(&mut self, j: usize, old: &Sparse, new: &Sparse) {
        let (mut a, mut b) = (0, 0);
        loop {
            match (old.get(a), new.get(b)) {
                (Some(&(x, _)), Some(&(y, _))) if x == y => {
                    a += 1;
                    b += 1;
                }
                (Some(&(x, _)), Some(&(y, _))) if x < y => {
                    self.index[x].remove(&j);
                    a += 1;
                }
                (Some(&(x, _)), None) => {
                    self.index[x].remove(&j);
                    a += 1;
                }
                (_, Some(&(y, _))) => {
                    self.index[y].insert(j);
                    b += 1;
                }
                (None, None) => break,
            }
        }
    }

    /// Adds the (non-zero) image `w` to the known space, eliminating coordinate `k`.
    fn add(&mut self, w: &Sparse, k: usize) -> Result<(), Overflow> {
        let wk = coef(w, k);
        let users: Vec<usize> = self.index[k].iter().copied().collect();
        let mut new = std::mem::take(&mut self.scratch);
        for j in users {
            let mut qj = std::mem::take(&mut self.q[j]);
            // qⱼ − (qⱼ[k] / w_k)·w, exactly: numerator w_k·qⱼ − qⱼ[k]·w over w_k·den.
            combine_exact_into(wk, &qj, coef(&qj, k), w, &mut new)?;
            let mut den = wk.checked_mul(self.den[j]).ok_or(Overflow)?;
            // (An empty image keeps a denominator of 1 below, whatever `g` is.)
            let mut g = if new.is_empty() {
                1
            } else {
                den.checked_abs().ok_or(Overflow)?
            };
            for &(_, c) in &new {
                if g == 1 {
                    break;
                }
                g = gcd(g, c);
            }
            let sign = if den < 0 { -1 } else { 1 };
            if g != 1 || sign != 1 {
                for (_, c) in new.iter_mut() {
                    *c = *c / g * sign;
                }
            }
            den = den / g * sign;
            self.den[j] = if new.is_empty() { 1 } else { den };
            self.reindex(j, &qj, &new);
            // The image's own allocation takes the new coefficients; the scratch
            // vector is reused for the next user.
            qj.clear();
            qj.extend_from_slice(&new);
            self.q[j] = qj;
        }
        self.scratch = new;
        Ok(())
    }
}

/// Chooses secondary suppressions so that no protected cell (`protected[i]`: the
/// primary cells, and any cell the interval repair needs kept unknown) is a linear
/// combination of published cells and relations. `order` lists the candidates from the
/// one to keep published most to the least. Returns the candidates to suppress.
pub fn secondary(
    system: &System,
    order: &[usize],
    protected: &[bool],
) -> Result<Vec<usize>, Overflow> {
    let n = system.cells.len();
    let mut quotient = Quotient::new(n);
    for r in &system.relations {
        let w = quotient.image(r)?;
        if !w.is_empty() {
            let k = quotient.pivot(&w);
            quotient.add(&w, k)?;
        }
    }
    let mut out = Vec::new();
    for &c in order {
        if protected[c] {
            continue;
        }
        let w = quotient.direction(c);
        if w.is_empty() {
            continue; // already known from what is published: publishing it adds nothing
        }
        let k = quotient.pivot(&w);
        let exposes = quotient.index[k]
            .iter()
            .any(|&i| i != c && protected[i] && parallel(&quotient.q[i], &w));
        if exposes {
            out.push(c);
        } else {
            quotient.add(&w, k)?;
        }
    }
    Ok(out)
}
