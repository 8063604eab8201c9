//! National benchmark (issue 10): the whole pipeline on the generated national network,
//! per stage, against the floor of reading the same files, and checked against the
//! generator's truth.
//!
//! ```text
//! cargo bench --bench national                          # scale 1.0 (≈ 1 M rows, long)
//! cargo bench --bench national -- --echelle 0.05        # a 5 % network, quick
//! cargo bench --bench national -- --echelle 0.1 --sans-flou
//! ```
//!
//! Options: `--echelle F` (default 1.0), `--sans-flou` (pipeline without fuzzy linkage),
//! `--dossier D` (where the network is, default `target/national/echelle-F`),
//! `--regenerer` (write the network again), `--sans-plancher` (skip the floor).
//!
//! 1. Writes the network with `observatoire_exemple::national::generate` if its truth file
//!    is absent (never committed: it lives under `target/`).
//! 2. Runs [`observatoire::run::run_observed`] on `national.toml` (or
//!    `national-sans-flou.toml`) with workbooks read in isolated child processes, as the
//!    binary does (this bench answers the hidden worker command itself). Per stage it
//!    prints wall time, CPU time (`getrusage`: this process, and the reading children
//!    waited for during the stage) and peak memory (VmHWM of this process, reset at each
//!    stage through `/proc/self/clear_refs`; the largest child's peak RSS for the
//!    reading). Linkage is one stage: exact keys then the fuzzy pass (compare with
//!    `--sans-flou` for the exact part alone).
//! 3. The floor, measured in the same run: calamine opening every workbook and touching
//!    every cell, and every CSV file parsed, on all cores (one thread per core pulling
//!    files from a shared counter); then the ratio run / floor.
//! 4. The truth check: per-service figures (file active, entries, exits) equal to the
//!    truth, cross-sector shares within 0.3 point, pairwise linkage precision and recall
//!    (all pairs, and the protection × DITEP pairs alone), each PASS or FAIL against the
//!    targets of issue 10.
//! 5. With `--diagnostic`: the network is rebuilt in memory and every false merge (one
//!    person, several children) and missed link (one child, several persons) is printed
//!    with its synthetic identities, grouped by what the children share;
//!    `NATIONAL_DIAG_TSV=file` also writes each (child, sector, person) with its identity
//!    and `NATIONAL_DIAG_RECORDS=file` each accompaniment (child, service, dates), for
//!    analysis outside the bench (synthetic data only).

#[path = "national/measure.rs"]
mod measure;
#[path = "national/truth.rs"]
mod truth;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use observatoire::ingest::isolate;
use observatoire::pipeline::Pipeline;
use observatoire::run::{self, Event};
use observatoire_exemple::national;

struct Options {
    scale: f64,
    fuzzy: bool,
    dir: Option<PathBuf>,
    regenerate: bool,
    floor: bool,
    diagnostic: bool,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        scale: 1.0,
        fuzzy: true,
        dir: None,
        regenerate: false,
        floor: true,
        diagnostic: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--echelle" => {
                let v = it.next().ok_or("--echelle attend un nombre")?;
                o.scale = v
                    .replace(',', ".")
                    .parse()
                    .map_err(|_| format!("échelle « {v} » illisible"))?;
            }
            "--sans-flou" => o.fuzzy = false,
            "--regenerer" => o.regenerate = true,
            "--sans-plancher" => o.floor = false,
            "--diagnostic" => o.diagnostic = true,
            "--dossier" => {
                o.dir = Some(PathBuf::from(
                    it.next().ok_or("--dossier attend un chemin")?,
                ))
            }
            // cargo bench passes --bench to harness-less benches.
            "--bench" => {}
            other => return Err(format!("argument inattendu : {other}")),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    // The isolated workbook reader re-executes this binary.
    if std::env::args().nth(1).as_deref() == Some(isolate::WORKER_COMMAND) {
        return ExitCode::from(isolate::worker_main());
    }
    match bench() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("erreur : {e}");
            ExitCode::from(2)
        }
    }
}

fn bench() -> Result<bool, String> {
    let o = options()?;
    let dir = o.dir.clone().unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join("national")
            .join(format!("echelle-{}", o.scale))
    });
    let truth_file = dir.join(national::truth::FILE);
    if o.regenerate || !truth_file.exists() {
        let t = Instant::now();
        let w = national::generate(&dir, o.scale).map_err(|e| e.to_string())?;
        println!(
            "Réseau national (échelle {}) écrit dans {} en {:.1} s : {} fichiers, {} lignes d'accompagnement, {} enfants, {} services",
            o.scale,
            dir.display(),
            t.elapsed().as_secs_f64(),
            w.files.len(),
            w.accompaniment_rows,
            w.children,
            w.services
        );
    }
    let truth = truth::Truth::load(&truth_file)?;
    println!(
        "Réseau : {} fichiers, {} lignes d'accompagnement, {} enfants, {} services, {} organisations ({})",
        truth.files,
        truth.rows,
        truth.children,
        truth.services_count,
        truth.orgs,
        dir.display()
    );

    let file = if o.fuzzy {
        national::pipeline::PIPELINE
    } else {
        national::pipeline::PIPELINE_EXACT
    };
    let pipeline = Pipeline::load(&dir.join(file)).map_err(|e| e.to_string())?;
    let out = run::output_dir(&pipeline, None);
    isolate::set_enabled(true);
    let mut meter = measure::Meter::new();
    let mut linked = None;
    let summary = run::run_observed(&pipeline, &out, &mut |ev| match ev {
        Event::Stage(name) => meter.stage(name),
        Event::Linked(table) => {
            // Outside the stage's clock: the bench's own copy of what it needs.
            meter.pause();
            linked = Some(truth::LinkedRows::of(table));
            meter.resume();
        }
    })
    .map_err(|e| e.to_string())?;
    println!(
        "Pipeline {} : {} indicateurs, {} erreur(s) de validation ; sorties dans {}",
        file,
        summary.indicators,
        summary.errors,
        summary.output_dir.display()
    );
    for l in &summary.privacy {
        println!("  {l}");
    }
    let run_total = meter.print();
    let run_cpu = meter.cpu_total();

    let floor = if o.floor {
        Some(measure::floor(&dir)?)
    } else {
        None
    };
    let mut pass = true;
    if let (Some(f), Some(run_wall)) = (&floor, run_total) {
        let ratio = run_wall / f.wall;
        let ok = ratio <= 10.0;
        pass &= ok;
        println!(
            "Plancher : {} classeurs ({} cellules non vides), {} CSV ({} champs), {} cœurs : {:.2} s (CPU {:.2} s)",
            f.workbooks, f.cells, f.csv_files, f.csv_fields, f.threads, f.wall, f.cpu
        );
        println!(
            "Rapport exécution / plancher : {:.1} × en durée (cible ≤ 10 ×) {} ; {:.1} × en temps CPU (enfants compris)",
            ratio,
            verdict(ok),
            run_cpu / f.cpu.max(1e-9)
        );
    }
    let peak = meter.peak_mb();
    let ok = peak <= 1536.0;
    pass &= ok;
    println!(
        "Mémoire de pointe : {peak:.0} Mo (cible ≤ 1 536 Mo) {}",
        verdict(ok)
    );

    let figures = truth.check_figures(&summary.output_dir)?;
    pass &= figures.print();
    match linked {
        Some(rows) => {
            pass &= truth.check_linkage(&rows).print();
            if o.diagnostic {
                let net = national::build(o.scale).map_err(|e| e.to_string())?;
                truth.diagnose(&rows, &net);
            }
        }
        None => {
            pass = false;
            println!("Appariement : table appariée absente (aucun accompagnement lu ?) FAIL");
        }
    }
    println!(
        "{}",
        if pass {
            "RÉSULTAT : PASS"
        } else {
            "RÉSULTAT : FAIL"
        }
    );
    Ok(pass)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}
