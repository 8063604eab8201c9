//! The exact passes in shards ([`crate::link`], « Exact keys »).

use super::*;

/// Keys interleaved over many records, several children a key: the sharded exact pass
/// links, refuses and counts as one pass in record order would, whatever the threads.
#[test]
fn sharded_exact_keys_decide_as_one_pass() {
    let n = 3000;
    let keys: Vec<String> = (0..n).map(|i| format!("k{}", i % 37)).collect();
    let controls: Vec<String> = (0..n)
        .map(|i| format!("c{}", (i * 7 + i / 11) % 5))
        .collect();
    let services: Vec<String> = (0..n).map(|i| format!("S{}", i % 3)).collect();
    let df = df![
        "service" => services,
        "pseudonyme_1" => keys.clone(),
        "controle_naissance" => controls.clone(),
    ]
    .unwrap();
    // One pass in record order: a record joins the representative of its birth date,
    // or is refused (its group not empty) and represents its date from then on.
    let mut met: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    let (mut refused, mut links) = (0, 0);
    for (k, c) in keys.iter().zip(&controls) {
        let reps = met.entry(k).or_default();
        if reps.contains(&c.as_str()) {
            links += 1;
        } else {
            refused += usize::from(!reps.is_empty());
            reps.push(c);
        }
    }
    let persons_expected: usize = met.values().map(Vec::len).sum();
    for threads in [1, 2] {
        let (out, r) = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| link(&df, &Settings::default()).unwrap());
        assert_eq!(r.liens_exacts, vec![links]);
        assert_eq!(r.liens_exacts_refuses, refused);
        assert_eq!(r.representants_plafonnes, 0);
        assert_eq!(r.personnes, persons_expected);
        // Two records are one person exactly when they share key and birth date.
        let p = persons(&out);
        for i in (0..n).step_by(97) {
            for j in (0..n).step_by(89) {
                let same = keys[i] == keys[j] && controls[i] == controls[j];
                assert_eq!(p[i] == p[j], same, "{i} {j}");
            }
        }
    }
}
