//! Exact sparse integer vectors for the linear relations between published cells.
//! Coefficients stay integers (fraction-free elimination, divided by their gcd after
//! every step), so "this cell is determined" is decided exactly, never up to a
//! floating-point tolerance. An overflow is reported, never wrapped.

use std::collections::BTreeMap;

/// A sparse vector: (coordinate, coefficient) sorted by coordinate, no zero coefficient.
pub type Sparse = Vec<(usize, i64)>;

/// Raised when an exact coefficient would not fit in 64 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

pub fn gcd(mut a: i64, mut b: i64) -> i64 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Divides by the gcd of the coefficients and makes the first coefficient positive, so
/// two parallel vectors normalise to the same vector.
pub fn normalise(v: &mut Sparse) {
    let g = v.iter().fold(0, |g, &(_, c)| gcd(g, c));
    let sign = if v.first().is_some_and(|&(_, c)| c < 0) {
        -1
    } else {
        1
    };
    if g > 1 || sign < 0 {
        for (_, c) in v.iter_mut() {
            *c = *c / g * sign;
        }
    }
}

/// `a·x − b·y`, normalised.
pub fn combine(a: i64, x: &[(usize, i64)], b: i64, y: &[(usize, i64)]) -> Result<Sparse, Overflow> {
    let mut out = combine_exact(a, x, b, y)?;
    normalise(&mut out);
    Ok(out)
}

/// `a·x − b·y`, exactly (not rescaled).
pub fn combine_exact(
    a: i64,
    x: &[(usize, i64)],
    b: i64,
    y: &[(usize, i64)],
) -> Result<Sparse, Overflow> {
    let mut out = Vec::with_capacity(x.len() + y.len());
    combine_exact_into(a, x, b, y, &mut out)?;
    Ok(out)
}

/// [`combine_exact`] into `out` (cleared first), whose allocation is reused: the
/// elimination combines one vector per user of a pivot, millions at national scale.
pub fn combine_exact_into(
    a: i64,
    x: &[(usize, i64)],
    b: i64,
    y: &[(usize, i64)],
    out: &mut Sparse,
) -> Result<(), Overflow> {
    out.clear();
    out.reserve(x.len() + y.len());
    let (mut i, mut j) = (0, 0);
    let term = |c: i64, k: i64| c.checked_mul(k).ok_or(Overflow);
    while i < x.len() || j < y.len() {
        let (k, c) = match (x.get(i), y.get(j)) {
            (Some(&(kx, cx)), Some(&(ky, cy))) if kx == ky => {
                i += 1;
                j += 1;
                (kx, term(cx, a)?.checked_sub(term(cy, b)?).ok_or(Overflow)?)
            }
            (Some(&(kx, cx)), Some(&(ky, _))) if kx < ky => {
                i += 1;
                (kx, term(cx, a)?)
            }
            (Some(&(kx, cx)), None) => {
                i += 1;
                (kx, term(cx, a)?)
            }
            (_, Some(&(ky, cy))) => {
                j += 1;
                (ky, term(cy, b)?.checked_neg().ok_or(Overflow)?)
            }
            (None, None) => break,
        };
        if c != 0 {
            out.push((k, c));
        }
    }
    Ok(())
}

/// Σ cᵢ·vᵢ over sparse vectors, normalised.
pub fn linear_combination<'a>(
    terms: impl IntoIterator<Item = (i64, &'a [(usize, i64)])>,
) -> Result<Sparse, Overflow> {
    let mut acc: BTreeMap<usize, i64> = BTreeMap::new();
    for (c, v) in terms {
        for &(k, x) in v {
            let e = acc.entry(k).or_default();
            *e = e
                .checked_add(c.checked_mul(x).ok_or(Overflow)?)
                .ok_or(Overflow)?;
        }
    }
    let mut out: Sparse = acc.into_iter().filter(|&(_, c)| c != 0).collect();
    normalise(&mut out);
    Ok(out)
}

/// Whether `a` is a non-zero multiple of `b` (what [`normalise`] makes equal), compared
/// in place: no copy of `a` (the elimination asks this of every protected cell sharing
/// a pivot, for every candidate).
pub fn parallel(a: &[(usize, i64)], b: &[(usize, i64)]) -> bool {
    let (Some(&(_, a0)), Some(&(_, b0))) = (a.first(), b.first()) else {
        return false;
    };
    a.len() == b.len()
        && a.iter().zip(b).all(|(&(ka, ca), &(kb, cb))| {
            ka == kb && i128::from(ca) * i128::from(b0) == i128::from(cb) * i128::from(a0)
        })
}

/// The coefficient of coordinate `k`, or 0.
pub fn coef(v: &[(usize, i64)], k: usize) -> i64 {
    v.binary_search_by_key(&k, |&(i, _)| i)
        .map(|p| v[p].1)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combine_eliminates_and_normalises() {
        let x = vec![(0, 2), (1, 4)];
        let y = vec![(1, 1), (2, 3)];
        // 1·x − 4·y = 2e0 − 12e2 → normalised e0 − 6e2
        assert_eq!(combine(1, &x, 4, &y).unwrap(), vec![(0, 1), (2, -6)]);
        assert_eq!(combine(1, &x, 1, &x).unwrap(), vec![]);
        let mut v = vec![(3, -4), (5, 6)];
        normalise(&mut v);
        assert_eq!(v, vec![(3, 2), (5, -3)]);
        assert_eq!(coef(&v, 5), -3);
        assert_eq!(coef(&v, 4), 0);
        assert_eq!(combine(i64::MAX, &x, 1, &y), Err(Overflow));
    }

    #[test]
    fn parallel_is_equality_once_normalised() {
        let cases: [Sparse; 6] = [
            vec![(1, 2), (4, -6)],
            vec![(1, -1), (4, 3)],
            vec![(1, 1), (4, 3)],
            vec![(1, 2), (5, -6)],
            vec![(1, 2)],
            vec![],
        ];
        for a in &cases {
            for b in &cases {
                let (mut na, mut nb) = (a.clone(), b.clone());
                normalise(&mut na);
                normalise(&mut nb);
                let same = !na.is_empty() && na == nb;
                assert_eq!(parallel(a, b), same, "{a:?} {b:?}");
            }
        }
        assert!(parallel(&[(0, i64::MAX)], &[(0, i64::MIN + 1)]));
    }

    #[test]
    fn combinations_sum_terms() {
        let a = vec![(0, 1), (1, 1)];
        let b = vec![(1, 1), (2, 1)];
        assert_eq!(
            linear_combination([(1, a.as_slice()), (-1, b.as_slice())]).unwrap(),
            vec![(0, 1), (2, -1)]
        );
    }
}
