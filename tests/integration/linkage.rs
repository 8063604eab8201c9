//! Linkage quality on the generator's French test population (known truth, realistic
//! differences between files): exact linkage precision ≥ 0.999; fuzzy linkage precision
//! ≥ 0.99 and recall ≥ 0.98; the estimated overlap share within 1 point of the truth.
//! The benchmark `cargo bench --bench appariement` prints the same figures at a larger size.

use observatoire_exemple::population::test_population;

use crate::linkage_harness::measure;

#[test]
fn linkage_quality_on_the_french_test_population() {
    let pop = test_population(1, 6_000, 1_500, 0.38);
    let exact = measure(&pop, false, 0.75);
    let fuzzy = measure(&pop, true, 0.75);
    eprintln!(
        "exact : {:?}\nflou : {:?}\n{:?}\n(pseudonymisation {:?}, appariement {:?})",
        exact.quality, fuzzy.quality, fuzzy.report, fuzzy.pseudonymise_time, fuzzy.link_time
    );
    assert!(exact.quality.precision >= 0.999, "{:?}", exact.quality);
    assert!(fuzzy.quality.precision >= 0.99, "{:?}", fuzzy.quality);
    assert!(fuzzy.quality.recall >= 0.98, "{:?}", fuzzy.quality);
    assert!(
        fuzzy.quality.overlap_error_points.abs() <= 1.0,
        "{:?}",
        fuzzy.quality
    );
    // No twin merged (the generator's twins share birth date, surname and mother).
    assert_eq!(exact.twins_merged, 0);
    assert_eq!(fuzzy.twins_merged, 0);
    // Fuzzy linkage finds what exact keys miss.
    assert!(fuzzy.quality.recall > exact.quality.recall);
}
