//! Linkage benchmark: precision and recall of exact and fuzzy linkage, and the error on
//! the estimated overlap share, on the generator's French test population (known truth),
//! with timings and the pairs compared. Run: `cargo bench --bench appariement` (add
//! `-- 200000 50000` for other sizes: protection file, DITEP file); peak memory with
//! `/usr/bin/time -v target/release/deps/appariement-* 600000 200000`. Both files are
//! pseudonymised once; each linkage run reads the same re-keyed extract.

// Shared with the integration test, which uses parts this benchmark does not.
#[allow(dead_code)]
#[path = "../tests/integration/linkage_harness.rs"]
mod linkage_harness;

use observatoire_exemple::population::test_population;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n_pe = args.first().copied().unwrap_or(20_000);
    let n_ditep = args.get(1).copied().unwrap_or(5_000);
    let t = std::time::Instant::now();
    let pop = test_population(1, n_pe, n_ditep, 0.38);
    println!(
        "Population de test : {} enfants en protection de l'enfance, {} en DITEP, {} dans les deux (générée en {:.1} s)",
        pop.protection.len(),
        pop.ditep.len(),
        pop.overlap,
        t.elapsed().as_secs_f64()
    );
    println!(
        "Différences introduites dans le fichier DITEP : {:?}",
        pop.differences
    );
    let prepared = linkage_harness::prepare(&pop);
    println!(
        "Pseudonymisation et re-clé des deux fichiers : {:.2} s ({} fils)",
        prepared.pseudonymise_time.as_secs_f64(),
        rayon::current_num_threads()
    );
    println!(
        "mode      seuil  précision  rappel   part estimée  part vraie  écart (pts)  liens flous  ambigus  jumeaux fusionnés  paires comparées  blocs trop grands  appariement"
    );
    let mut runs = vec![(false, 0.8)];
    runs.extend([0.7, 0.75, 0.8, 0.85].map(|s| (true, s)));
    for (fuzzy, threshold) in runs {
        let m = linkage_harness::measure_prepared(&pop, &prepared, fuzzy, threshold);
        let q = &m.quality;
        println!(
            "{:<9} {:>5.2}  {:>9.4}  {:>6.4}  {:>12.4}  {:>10.4}  {:>11.2}  {:>11}  {:>7}  {:>17}  {:>16}  {:>17}  {:>9.2} s",
            if fuzzy { "flou" } else { "exact" },
            threshold,
            q.precision,
            q.recall,
            q.overlap_estimated,
            q.overlap_true,
            q.overlap_error_points,
            m.report.liens_flous,
            m.report.paires_ambigues,
            m.twins_merged,
            m.report.paires_comparees,
            m.report.blocs_trop_grands,
            m.link_time.as_secs_f64()
        );
    }
}
