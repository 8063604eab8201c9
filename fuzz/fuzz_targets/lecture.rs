//! Fuzz target: workbook and CSV reading through the tool's own ingest entry point.
//!
//! Input layout: byte 0 chooses the format (xlsx, xlsm, xlsb, xls, ods, csv), byte 1 the
//! canonical table every sheet is read into, the rest is the file. The file is written to
//! a tmpfs folder (`/dev/shm`, else the temp dir) with that extension, beside a small
//! pipeline reading all its sheets; `Pipeline::parse` + `ingest::ingest` must return
//! (an error is fine) — a panic, an abort (allocation failure), a timeout or memory above
//! `-rss_limit_mb` is a finding.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use observatoire::ingest;
use observatoire::pipeline::Pipeline;

const FORMATS: [&str; 6] = ["xlsx", "xlsm", "xlsb", "xls", "ods", "csv"];
const TABLES: [&str; 7] = [
    "services",
    "accompagnements",
    "activite",
    "personnel",
    "formation",
    "satisfaction",
    "plan_action",
];

/// One folder per fuzzing process.
fn folder() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let root = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        let d = root.join(format!("observatoire-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("dossier de travail du fuzzing");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let [format, table, file @ ..] = data else {
        return;
    };
    let ext = FORMATS[*format as usize % FORMATS.len()];
    let table = TABLES[*table as usize % TABLES.len()];
    let dir = folder();
    // A fresh name per format, so that a previous input of another format never stays.
    let input = dir.join(format!("entree.{ext}"));
    if std::fs::write(&input, file).is_err() {
        return;
    }
    let sheets = if ext == "csv" {
        ""
    } else {
        "feuilles = [\"*\"]\n"
    };
    let text = format!(
        "[pipeline]\nnom = \"fuzz\"\n[periode]\ndebut = 2020\nfin = 2023\n\
         [[sources]]\nfichier = \"entree.{ext}\"\ntable = \"{table}\"\n{sheets}"
    );
    let pipeline = Pipeline::parse(&dir.join("pipeline.toml"), text)
        .expect("the harness's own pipeline is valid");
    let _ = ingest::ingest(&pipeline);
});
