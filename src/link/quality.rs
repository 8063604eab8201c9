//! Measuring linkage against known truth (synthetic populations only): precision and
//! recall of the cross-file links, and the error on the estimated overlap share.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// Linkage quality between two files A and B.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Quality {
    pub true_links: usize,
    pub predicted_links: usize,
    pub correct_links: usize,
    pub precision: f64,
    pub recall: f64,
    /// Share of B's people found in A: estimated, true, and the difference in points.
    pub overlap_estimated: f64,
    pub overlap_true: f64,
    pub overlap_error_points: f64,
}

/// `a` and `b`: for each record of each file, (truth id, linked person id).
pub fn evaluate(a: &[(u64, String)], b: &[(u64, String)]) -> Quality {
    let truth_a: BTreeSet<u64> = a.iter().map(|(t, _)| *t).collect();
    // Cross-file pairs (record of B, record of A) that share a person id.
    let mut predicted = 0usize;
    let mut correct = 0usize;
    let mut found_b = 0usize;
    let count_a: BTreeMap<&str, Vec<u64>> = a.iter().fold(BTreeMap::new(), |mut m, (t, p)| {
        m.entry(p.as_str()).or_default().push(*t);
        m
    });
    for (t, p) in b {
        if let Some(ts) = count_a.get(p.as_str()) {
            found_b += 1;
            predicted += ts.len();
            correct += ts.iter().filter(|x| *x == t).count();
        }
    }
    let truth_count_a: BTreeMap<u64, usize> = a.iter().fold(BTreeMap::new(), |mut m, (t, _)| {
        *m.entry(*t).or_default() += 1;
        m
    });
    let true_links: usize = b
        .iter()
        .map(|(t, _)| truth_count_a.get(t).copied().unwrap_or(0))
        .sum();
    let true_in_a = b.iter().filter(|(t, _)| truth_a.contains(t)).count();
    let ratio = |x: usize, y: usize| if y == 0 { 1.0 } else { x as f64 / y as f64 };
    let overlap_estimated = ratio(found_b, b.len());
    let overlap_true = ratio(true_in_a, b.len());
    Quality {
        true_links,
        predicted_links: predicted,
        correct_links: correct,
        precision: ratio(correct, predicted),
        recall: ratio(correct, true_links),
        overlap_estimated,
        overlap_true,
        overlap_error_points: (overlap_estimated - overlap_true) * 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_recall_by_hand() {
        // A: persons 1, 2, 3. B: 1 (found), 2 (missed), 4 (wrongly linked to 3).
        let a = vec![(1, "p1".to_string()), (2, "p2".into()), (3, "p3".into())];
        let b = vec![(1, "p1".to_string()), (2, "q2".into()), (4, "p3".into())];
        let q = evaluate(&a, &b);
        assert_eq!(
            (q.true_links, q.predicted_links, q.correct_links),
            (2, 2, 1)
        );
        assert_eq!((q.precision, q.recall), (0.5, 0.5));
        assert!((q.overlap_estimated - 2.0 / 3.0).abs() < 1e-12);
        assert!((q.overlap_true - 2.0 / 3.0).abs() < 1e-12);
    }
}
