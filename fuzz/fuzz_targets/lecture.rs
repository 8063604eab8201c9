//! Fuzz target: workbook and CSV reading through the tool's own ingest entry point.
//!
//! Input layout: byte 0 chooses the format (xlsx, xlsm, xlsb, xls, ods, csv), byte 1 the
//! canonical table every sheet is read into, the rest is the file. The file is written to
//! a tmpfs folder (`/dev/shm`, else the temp dir) with that extension, beside a small
//! pipeline reading all its sheets; `Pipeline::parse` + `ingest::ingest` must return
//! (an error is fine) — a panic that escapes `ingest`, an abort (allocation failure), a
//! timeout or memory above `-rss_limit_mb` is a finding.
//!
//! Panics: ingest calls the reading library inside `catch_unwind` and turns a library
//! panic into a French error naming the file (a designed outcome, like any error). So
//! the harness replaces libfuzzer-sys's abort-on-every-panic hook by one that only
//! records the message; a panic that reaches the harness is printed and aborts. Set
//! `FUZZ_STRICT_PANICS=1` to make every panic a finding, caught or not (to hunt bugs in
//! the libraries themselves).

#![no_main]

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

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

const PREFIX: &str = "observatoire-fuzz-";

fn root() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    }
}

/// Removes the work folders of fuzzing processes that are gone (fork mode starts a
/// process per job: over a long campaign their folders would fill the tmpfs). A folder
/// whose process still runs (checked in /proc) is never touched.
fn remove_dead_folders() {
    let Ok(entries) = std::fs::read_dir(root()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let is_pid = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
        if is_pid
            && !PathBuf::from("/proc").join(pid).exists()
            && PathBuf::from("/proc/self").exists()
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// One folder per fuzzing process.
fn folder() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = root().join(format!("{PREFIX}{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("dossier de travail du fuzzing");
        d
    })
}

/// The last panic's message and place (any thread).
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

fn init() {
    remove_dead_folders();
    install_panic_hook();
}

fn install_panic_hook() {
    if std::env::var_os("FUZZ_STRICT_PANICS").is_some_and(|v| v == "1") {
        return; // keep libfuzzer-sys's hook: every panic aborts
    }
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(info.to_string());
        }
    }));
}

fuzz_target!(init: init(), |data: &[u8]| {
    let [format, table, file @ ..] = data else {
        return;
    };
    let ext = FORMATS[*format as usize % FORMATS.len()];
    let table = TABLES[*table as usize % TABLES.len()];
    let dir = folder();
    // A fresh name per format, so that a previous input of another format never stays.
    let input = dir.join(format!("entree.{ext}"));
    // The folder may have been removed under a long campaign (a tmpfs clean-up): make it
    // again. An input that cannot be written must never count as an execution.
    if std::fs::write(&input, file).is_err() {
        let again = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&input, file));
        if let Err(e) = again {
            eprintln!("cannot write the input to {}: {e}", input.display());
            std::process::abort();
        }
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
    let outcome = std::panic::catch_unwind(|| {
        let _ = ingest::ingest(&pipeline);
    });
    if outcome.is_err() {
        let message = LAST_PANIC
            .lock()
            .ok()
            .and_then(|mut m| m.take())
            .unwrap_or_default();
        eprintln!("panic escaped ingest: {message}");
        std::process::abort();
    }
});
