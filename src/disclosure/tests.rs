//! The counter-example of research/privacy.md §2 and property tests over random
//! hierarchical tables.

use proptest::prelude::*;

use super::system::{Cell, Kind, System};
use super::{Failure, audit, audit_system, protect_system};
use crate::indicators::CellStatus;

/// A table with margins: every dimension has leaf codes and aggregate codes (each the
/// sum of listed codes); cells are all combinations of codes; values are sums of
/// leaves; a relation per aggregate and combination of the other dimensions.
/// A dimension: number of leaf codes, then aggregate codes as lists of child codes.
type Dim = (usize, Vec<Vec<usize>>);

struct Table {
    system: System,
    /// Codes of each cell (index into the dimension's codes).
    coords: Vec<Vec<usize>>,
}

// Long function: a test fixture — the whole linked table (cells, totals, relations)
// is built in one place so each test reads its shape from its arguments alone.
/// `dims[d]` = (number of leaves, aggregates as lists of children codes); codes of a
/// dimension are its leaves `0..leaves` then its aggregates in order.
fn table(dims: &[(usize, Vec<Vec<usize>>)], leaf_values: &[f64], threshold: f64) -> Table {
    let sizes: Vec<usize> = dims.iter().map(|(l, a)| l + a.len()).collect();
    let leaves_under = |d: usize, code: usize| -> Vec<usize> {
        fn walk(dim: &(usize, Vec<Vec<usize>>), code: usize, out: &mut Vec<usize>) {
            if code < dim.0 {
                out.push(code);
            } else {
                for &c in &dim.1[code - dim.0] {
                    walk(dim, c, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&dims[d], code, &mut out);
        out
    };
    let n: usize = sizes.iter().product();
    let decode = |mut i: usize| -> Vec<usize> {
        let mut v = vec![0; sizes.len()];
        for d in (0..sizes.len()).rev() {
            v[d] = i % sizes[d];
            i /= sizes[d];
        }
        v
    };
    let encode =
        |v: &[usize]| -> usize { v.iter().zip(&sizes).fold(0, |acc, (&c, &s)| acc * s + c) };
    let leaf_sizes: Vec<usize> = dims.iter().map(|(l, _)| *l).collect();
    let leaf_index = |v: &[usize]| -> usize {
        v.iter()
            .zip(&leaf_sizes)
            .fold(0, |acc, (&c, &s)| acc * s + c)
    };
    let coords: Vec<Vec<usize>> = (0..n).map(decode).collect();
    let cells: Vec<Cell> = coords
        .iter()
        .map(|v| {
            // Sum over the product of the leaves under each code.
            let mut combos: Vec<Vec<usize>> = vec![vec![]];
            for (d, &c) in v.iter().enumerate() {
                combos = combos
                    .into_iter()
                    .flat_map(|p| {
                        leaves_under(d, c).into_iter().map(move |l| {
                            let mut q = p.clone();
                            q.push(l);
                            q
                        })
                    })
                    .collect();
            }
            let value: f64 = combos.iter().map(|l| leaf_values[leaf_index(l)]).sum();
            Cell {
                value,
                freq: value,
                kind: Kind::Count,
                primary: value > 0.0 && value < threshold,
                known: false,
            }
        })
        .collect();
    let mut relations = Vec::new();
    for v in &coords {
        for (d, dim) in dims.iter().enumerate() {
            if v[d] < dim.0 {
                continue;
            }
            let mut r: Vec<(usize, i64)> = dim.1[v[d] - dim.0]
                .iter()
                .map(|&c| {
                    let mut w = v.clone();
                    w[d] = c;
                    (encode(&w), 1)
                })
                .collect();
            r.push((encode(v), -1));
            r.sort_unstable();
            relations.push(r);
        }
    }
    Table {
        system: System { cells, relations },
        coords,
    }
}

fn flat(leaves: usize) -> (usize, Vec<Vec<usize>>) {
    (leaves, vec![(0..leaves).collect()])
}

/// Territorial hierarchy: `communes` split into `deps` départements, and a total.
fn territory(communes: usize, deps: usize) -> (usize, Vec<Vec<usize>>) {
    let mut aggs: Vec<Vec<usize>> = (0..deps)
        .map(|d| (0..communes).filter(|c| c % deps == d).collect())
        .collect();
    aggs.push((communes..communes + deps).collect());
    (communes, aggs)
}

fn statuses_suppressed(s: &[CellStatus]) -> Vec<bool> {
    s.iter().map(|&x| x != CellStatus::Published).collect()
}

#[test]
fn counter_example_4x4_of_sdctable() {
    // Rows w, x, y, z; columns a, b, c, d (sdcTable, test-simpleheuristic.R).
    let inner = [
        [30.0, 47.0, 64.0, 89.0],
        [90.0, 124.0, 5.0, 31.0],
        [92.0, 100.0, 59.0, 85.0],
        [800.0, 991.0, 651.0, 685.0],
    ];
    let leaves: Vec<f64> = inner.iter().flatten().copied().collect();
    let mut t = table(&[flat(4), flat(4)], &leaves, 0.0);
    // Codes: 0..4 leaves, 4 = total. Nine primary cells, at least two per row and column.
    let primaries = [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 2),
        (2, 1),
        (2, 3),
        (3, 1),
        (3, 3),
    ];
    let at = |r: usize, c: usize| r * 5 + c;
    for &(r, c) in &primaries {
        t.system.cells[at(r, c)].primary = true;
    }
    assert_eq!(t.system.cells[at(4, 4)].value, 3943.0);
    assert_eq!(t.system.cells.iter().filter(|c| c.primary).count(), 9);

    // Publishing everything else: the audit finds exactly w|b recomputable.
    let only_primary: Vec<bool> = t.system.cells.iter().map(|c| c.primary).collect();
    assert_eq!(
        audit::recomputable(&t.system, &only_primary).unwrap(),
        vec![at(0, 1)]
    );
    let status: Vec<CellStatus> = only_primary
        .iter()
        .map(|&p| {
            if p {
                CellStatus::Primary
            } else {
                CellStatus::Published
            }
        })
        .collect();
    assert_eq!(
        audit_system(&t.system, &status),
        Err(Failure::Recomputable(vec![at(0, 1)]))
    );

    // Secondary suppression adds exactly one cell, and the audit then passes.
    let protected = protect_system(&t.system).unwrap();
    let secondary: Vec<usize> = (0..protected.len())
        .filter(|&i| protected[i] == CellStatus::Secondary)
        .collect();
    assert_eq!(
        secondary.len(),
        1,
        "{:?}",
        secondary.iter().map(|&i| &t.coords[i]).collect::<Vec<_>>()
    );
    // The added cell is an inner cell of row w's component or column b (it closes a cycle
    // through the bridge w|b), never a margin.
    let (r, c) = (t.coords[secondary[0]][0], t.coords[secondary[0]][1]);
    assert!(r < 4 && c < 4 && (r <= 1 || c == 1), "{r} {c}");
    audit_system(&t.system, &protected).unwrap();
    // Interval of w|b: the attacker no longer knows it exactly.
    let b = audit::bounds(
        &t.system,
        &statuses_suppressed(&protected),
        Some(&[at(0, 1)]),
    );
    assert_eq!(b.len(), 1);
    assert!(b[0].1 <= 47.0 - 1.0 && b[0].2 >= 47.0 + 1.0, "{:?}", b);
    // Deterministic.
    assert_eq!(protect_system(&t.system).unwrap(), protected);
}

#[test]
fn one_dimension_singleton_is_paired_and_zero_is_no_cover() {
    // Cells 3, 0, 40, 50 and their total: suppressing 3 alone is recomputable; pairing it
    // with the zero would leave the attacker an upper bound of 3 (= the value): the
    // smallest non-zero cell (40) is suppressed instead.
    let t = table(&[flat(4)], &[3.0, 0.0, 40.0, 50.0], 11.0);
    let s = protect_system(&t.system).unwrap();
    audit_system(&t.system, &s).unwrap();
    assert_eq!(s[0], CellStatus::Primary);
    assert_eq!(s[2], CellStatus::Secondary);
    assert_eq!(s[3], CellStatus::Published);
    assert_eq!(s[4], CellStatus::Published);
}

fn dims_strategy() -> impl Strategy<Value = Vec<Dim>> {
    prop_oneof![
        (2usize..7).prop_map(|n| vec![flat(n)]),
        (4usize..9, 2usize..4).prop_map(|(c, d)| vec![territory(c, d)]),
        (2usize..5, 2usize..5).prop_map(|(a, b)| vec![flat(a), flat(b)]),
        (4usize..7, 2usize..3, 2usize..4).prop_map(|(c, d, b)| vec![territory(c, d), flat(b)]),
        (2usize..4, 2usize..4, 2usize..3).prop_map(|(a, b, c)| vec![flat(a), flat(b), flat(c)]),
        (4usize..6, 2usize..3, 2usize..3).prop_map(|(c, d, b)| vec![
            territory(c, d),
            flat(b),
            flat(2)
        ]),
    ]
}

fn case() -> impl Strategy<Value = (Vec<Dim>, Vec<f64>)> {
    dims_strategy().prop_flat_map(|dims| {
        let leaves: usize = dims.iter().map(|(l, _)| *l).product();
        // Many small counts and zeros, some large ones.
        let value = prop_oneof![
            3 => Just(0.0),
            5 => (1u32..11).prop_map(f64::from),
            4 => (11u32..80).prop_map(f64::from),
            1 => (80u32..400).prop_map(f64::from),
        ];
        (Just(dims), proptest::collection::vec(value, leaves))
    })
}

proptest! {
    // 256 cases by default; more with PROPTEST_CASES=… for a deeper run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn suppression_never_leaves_a_recomputable_cell((dims, leaves) in case()) {
        let t = table(&dims, &leaves, 11.0);
        let s = protect_system(&t.system).unwrap();
        // Independent audit: exact rank test and interval bounds.
        prop_assert_eq!(audit_system(&t.system, &s), Ok(()));
        // Every primary cell stays suppressed; nothing under the threshold is published.
        for (c, st) in t.system.cells.iter().zip(&s) {
            prop_assert!(!c.primary || *st == CellStatus::Primary);
            prop_assert!(*st != CellStatus::Published || c.value == 0.0 || c.value >= 11.0);
        }
        // The same input always gives the same pattern.
        prop_assert_eq!(protect_system(&t.system).unwrap(), s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128),
        ..ProptestConfig::default()
    })]

    /// The cheap steps of the interval audit (null-space moves, neighbourhood programs,
    /// shared feasible points) are sound and lose nothing: on patterns with narrow cells
    /// (primary suppression alone, counts and amounts), the narrow cells they report are
    /// exactly those the two exact programs per cell find too narrow.
    #[test]
    fn interval_audit_equals_exact_bounds((dims, leaves) in case(), amounts in 0usize..3) {
        let mut t = table(&dims, &leaves, 11.0);
        for (k, c) in t.system.cells.iter_mut().enumerate() {
            if amounts > 0 && k % (amounts + 1) == 0 {
                c.kind = Kind::Amount;
            }
        }
        let suppressed: Vec<bool> = t.system.cells.iter().map(|c| c.primary).collect();
        let reported: Vec<usize> =
            audit::narrow_among(&t.system, &suppressed, None).iter().map(|n| n.cell).collect();
        let exact_bounds = audit::bounds(&t.system, &suppressed, None);
        let exact: Vec<usize> = exact_bounds
            .iter()
            .filter(|&&(i, low, up)| {
                let c = &t.system.cells[i];
                !audit::protects(c.kind, c.value, low, up)
            })
            .map(|&(i, _, _)| i)
            .collect();
        prop_assert_eq!(reported, exact.clone());
        // The shared-point step alone, on every primary cell: what it proves, the exact
        // programs prove too.
        let primary: Vec<usize> = (0..t.system.cells.len()).filter(|&i| suppressed[i]).collect();
        let proven = super::shared::proven_by_shared_points(&t.system, &suppressed, &primary);
        for i in proven {
            prop_assert!(!exact.contains(&i), "cell {} proven by a shared point but narrow", i);
        }
    }
}
