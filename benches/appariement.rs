//! Linkage benchmark: precision and recall of exact and fuzzy linkage, and the error on
//! the estimated overlap share, on the generator's French test population (known truth),
//! with timings and the pairs compared. Run: `cargo bench --bench appariement` (add
//! `-- 200000 50000` for other sizes: protection file, DITEP file); peak memory with
//! `/usr/bin/time -v target/release/deps/appariement-* 600000 200000`. Both files are
//! pseudonymised once; each linkage run reads the same re-keyed extract.
//! `APPARIEMENT_DIAG=0.75` instead prints the wrong and missed links at that threshold by
//! what the two records share, and writes each pair's features to
//! `/tmp/appariement-paires.txt`, and (with `APPARIEMENT_MEMES=1`) every same-day cross-file pair sharing the surname or
//! the first name to `/tmp/appariement-memes.txt` (synthetic identities only).

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
    if let Some(t) = std::env::var("APPARIEMENT_DIAG")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        diagnose(&pop, &prepared, t);
        return;
    }
    println!(
        "mode      seuil  précision  rappel   part estimée  part vraie  écart (pts)  liens flous  ambigus  jumeaux fusionnés  paires comparées  blocs trop grands  appariement"
    );
    let mut runs = vec![(false, 0.8)];
    runs.extend([0.7, 0.72, 0.75, 0.8, 0.85].map(|s| (true, s)));
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

/// Development aid (`APPARIEMENT_DIAG=0.75`): profiles of the wrong and of the missed
/// cross-file links at one threshold, by what the two records share.
fn diagnose(
    pop: &observatoire_exemple::population::TestPopulation,
    prepared: &linkage_harness::Prepared,
    threshold: f64,
) {
    use observatoire::pseudonymise::bloom::Clk;
    use observatoire::pseudonymise::normalise::name;
    use std::collections::{BTreeMap, HashMap};
    let (linked, _) = observatoire::link::link(
        &prepared.extract,
        &observatoire::link::Settings {
            threshold,
            ..Default::default()
        },
    )
    .unwrap();
    let col = |n: &str| -> Vec<Option<String>> {
        linked
            .column(n)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    };
    let persons = col("personne");
    // Encodings are binary in the extract; here in hexadecimal, to compare as text.
    let encodings = |n: &str| -> Vec<Option<Clk>> {
        linked
            .column(n)
            .unwrap()
            .binary()
            .unwrap()
            .iter()
            .map(|v| v.and_then(Clk::from_bytes))
            .collect()
    };
    let clk = encodings("clk");
    let fnc = encodings("clk_prenom");
    let k1 = col("pseudonyme_1");
    let k2 = col("pseudonyme_2");
    let na = pop.protection.len();
    let rec = |i: usize| {
        if i < na {
            &pop.protection[i]
        } else {
            &pop.ditep[i - na]
        }
    };
    let features = |i: usize, j: usize| -> String {
        let (a, b) = (&rec(i).identity, &rec(j).identity);
        let swap = |d: chrono::NaiveDate| {
            use chrono::Datelike;
            (d.year(), d.day().min(d.month()), d.day().max(d.month()))
        };
        let mother = match (&a.nom_mere, &b.nom_mere) {
            (Some(x), Some(y)) if name(x) == name(y) => "mS",
            (Some(_), Some(_)) => "mD",
            _ => "m-",
        };
        let d = |x: &Option<Clk>, y: &Option<Clk>| match (x, y) {
            (Some(x), Some(y)) => format!("{:.1}", (x.dice(y) * 10.0).floor() / 10.0),
            _ => "-".into(),
        };
        let c = match (&clk[i], &clk[j]) {
            (Some(x), Some(y)) => format!("{:.2}", (x.dice(y) * 20.0).floor() / 20.0),
            _ => "-".into(),
        };
        let exact = if k1[i].is_some() && k1[i] == k1[j] {
            "k1"
        } else if k2[i].is_some() && k2[i] == k2[j] {
            "k2"
        } else {
            "fz"
        };
        format!(
            "date {} nom {} {} sexe {} prenom {} clk {} {}",
            if swap(a.date_naissance) == swap(b.date_naissance) {
                "S"
            } else {
                "D"
            },
            if name(&a.nom) == name(&b.nom) {
                "S"
            } else {
                "D"
            },
            mother,
            if a.sexe == b.sexe { "S" } else { "D" },
            d(&fnc[i], &fnc[j]),
            c,
            exact
        )
    };
    let mut by_person: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_truth: HashMap<u64, usize> = HashMap::new();
    for (i, p) in persons[..na].iter().enumerate() {
        by_person
            .entry(p.as_deref().unwrap_or(""))
            .or_default()
            .push(i);
        by_truth.insert(pop.protection[i].truth_id, i);
    }
    let mut wrong: BTreeMap<String, usize> = BTreeMap::new();
    let mut missed: BTreeMap<String, usize> = BTreeMap::new();
    let mut right: BTreeMap<String, usize> = BTreeMap::new();
    let mut raw = String::new();
    let mut dump = |label: &str, i: usize, j: usize| {
        let dd = |x: &Option<Clk>, y: &Option<Clk>| match (x, y) {
            (Some(x), Some(y)) => x.dice(y),
            _ => -1.0,
        };
        let (a, b) = (&rec(i).identity, &rec(j).identity);
        raw.push_str(&format!(
            "{label} {:.4} {:.4} {} {} {} {} {} {} {:.3}\n",
            dd(&clk[i], &clk[j]),
            dd(&fnc[i], &fnc[j]),
            u8::from(name(&a.nom) == name(&b.nom)),
            u8::from(k1[i].is_some() && k1[i] == k1[j]),
            u8::from(k2[i].is_some() && k2[i] == k2[j]),
            u8::from(a.date_naissance == b.date_naissance),
            match (&a.nom_mere, &b.nom_mere) {
                (Some(x), Some(y)) if name(x) == name(y) => "S",
                (Some(_), Some(_)) => "D",
                _ => "-",
            },
            // A mother's name equal to one of the two surnames (a married name).
            u8::from([&a.nom_mere, &b.nom_mere].iter().any(|m| {
                m.as_deref()
                    .is_some_and(|m| name(m) == name(&a.nom) || name(m) == name(&b.nom))
            })),
            bigram_dice(&name(&a.nom), &name(&b.nom))
        ));
    };
    let mut examples: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let show = |i: usize| {
        let r = &rec(i).identity;
        format!(
            "{} {} {} {:?}",
            r.prenom, r.nom, r.date_naissance, r.nom_mere
        )
    };
    for j in na..persons.len() {
        let t = rec(j).truth_id;
        for &i in by_person
            .get(persons[j].as_deref().unwrap_or(""))
            .into_iter()
            .flatten()
        {
            dump(if rec(i).truth_id == t { "J" } else { "F" }, i, j);
            if rec(i).truth_id == t {
                *right.entry(features(i, j)).or_default() += 1;
            } else {
                let f = features(i, j);
                let e = examples.entry(format!("F {f}")).or_default();
                if e.len() < 3 {
                    e.push(format!("{} | {}", show(i), show(j)));
                }
                *wrong.entry(f).or_default() += 1;
            }
        }
        if let Some(&i) = by_truth.get(&t)
            && persons[i] != persons[j]
        {
            dump("M", i, j);
            let f = features(i, j);
            let e = examples.entry(format!("M {f}")).or_default();
            if e.len() < 3 {
                e.push(format!("{} | {}", show(i), show(j)));
            }
            *missed.entry(f).or_default() += 1;
        }
    }
    std::fs::write("/tmp/appariement-paires.txt", &raw).unwrap();
    for (title, m, tag) in [
        ("faux liens", wrong, "F"),
        ("liens manqués", missed, "M"),
        ("liens justes", right, "J"),
    ] {
        let mut v: Vec<(String, usize)> = m.into_iter().collect();
        v.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        println!("{title} : {}", v.iter().map(|x| x.1).sum::<usize>());
        for (k, n) in v.iter().take(70) {
            println!("  {n:>6}  {k}");
            if *n >= 5 {
                for e in examples.get(&format!("{tag} {k}")).into_iter().flatten() {
                    println!("            {e}");
                }
            }
        }
    }
    if std::env::var_os("APPARIEMENT_MEMES").is_none() {
        return;
    }
    // Every cross-file pair born the same day (day and month in either order) sharing
    // the surname or the first name, linked or not.
    let ctl = col("controle_naissance");
    let sur = col("controle_nom");
    let fnh: Vec<Option<String>> = fnc.iter().map(|c| c.map(|c| c.to_hex())).collect();
    let mut all = String::new();
    for (which, other) in [(&sur, &fnh), (&fnh, &sur)] {
        // Records of each (birth-date control, value): protection ones, then DITEP ones.
        type Sides = (Vec<usize>, Vec<usize>);
        let mut groups: HashMap<(&str, &str), Sides> = HashMap::new();
        for i in 0..persons.len() {
            if let (Some(c), Some(v)) = (ctl[i].as_deref(), which[i].as_deref()) {
                let g = groups.entry((c, v)).or_default();
                if i < na { g.0.push(i) } else { g.1.push(i) }
            }
        }
        for (a, b) in groups.values() {
            for &i in a {
                for &j in b {
                    // Pairs sharing both are written once (surname pass).
                    if which == &fnh && other[i].is_some() && other[i] == other[j] {
                        continue;
                    }
                    let dd = |x: &Option<Clk>, y: &Option<Clk>| match (x, y) {
                        (Some(x), Some(y)) => x.dice(y),
                        _ => -1.0,
                    };
                    let label = if rec(i).truth_id == rec(j).truth_id {
                        "J"
                    } else {
                        "F"
                    };
                    all.push_str(&format!(
                        "{label} {:.4} {:.4} {} {} {} {} {}\n",
                        dd(&clk[i], &clk[j]),
                        dd(&fnc[i], &fnc[j]),
                        u8::from(sur[i].is_some() && sur[i] == sur[j]),
                        u8::from(k1[i].is_some() && k1[i] == k1[j]),
                        u8::from(k2[i].is_some() && k2[i] == k2[j]),
                        match (k1[i].is_some(), k1[j].is_some()) {
                            (true, true) => "2",
                            _ => "1",
                        },
                        {
                            // The mother's name of one record is the other's surname.
                            let (a, b) = (&rec(i).identity, &rec(j).identity);
                            let usage = |x: &observatoire_exemple::population::Identity,
                                         y: &observatoire_exemple::population::Identity| {
                                x.nom_mere.as_deref().map(name) == Some(name(&y.nom))
                            };
                            u8::from(usage(a, b) || usage(b, a))
                        }
                    ));
                }
            }
        }
    }
    std::fs::write("/tmp/appariement-memes.txt", &all).unwrap();
}

/// Dice of the padded bigram sets of two names (diagnostics only).
fn bigram_dice(a: &str, b: &str) -> f64 {
    use std::collections::BTreeSet;
    let grams = |s: &str| -> BTreeSet<(char, char)> {
        let c: Vec<char> = std::iter::once('_')
            .chain(s.chars())
            .chain(std::iter::once('_'))
            .collect();
        c.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (x, y) = (grams(a), grams(b));
    if x.is_empty() && y.is_empty() {
        return 1.0;
    }
    2.0 * x.intersection(&y).count() as f64 / (x.len() + y.len()) as f64
}
