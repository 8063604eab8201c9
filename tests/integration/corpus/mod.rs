//! The malformed-input corpus: hostile and mistaken files, each generated here from code
//! (no binary blobs), each run through the real binary with the exact outcome asserted:
//!
//! - the exit code;
//! - what the messages (stdout, stderr) or the validation report must mention (file,
//!   sheet, cell, line, code);
//! - identifying tokens planted in the inputs appear in no message and no output file
//!   (Parquet tables are decoded, not searched as compressed bytes);
//! - the previous outputs are intact after a failing run (exit 1–4), replaced after a
//!   successful one (exit 0 or 5);
//! - nothing is written outside the output folder, and no hidden leftover remains.
//!
//! Areas add their cases in their own module (`cases_*.rs`), each a `fn cases() ->
//! Vec<Case>`; [`all`] gathers them. `OBSERVATOIRE_CORPUS_DIR=<dossier>` writes every
//! case's inputs there (seeds for the fuzz target) — see `fuzz/README.md`.

mod cases_formats;
mod cases_ingest;
mod cases_outputs;
mod cases_territories;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::temp_dir;

/// Exit codes (mirrors `observatoire::error::exit_code`, checked by a test).
pub mod exit {
    pub const OK: u8 = 0;
    pub const INVALID: u8 = 1;
    pub const INTERNAL: u8 = 3;
    pub const DISCLOSURE: u8 = 4;
    pub const REJECTED: u8 = 5;
}

/// The command a case runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    Executer,
    Verifier,
    Partenaire,
}

impl Cmd {
    fn arg(self) -> &'static str {
        match self {
            Cmd::Executer => "executer",
            Cmd::Verifier => "verifier",
            Cmd::Partenaire => "partenaire",
        }
    }
}

/// What happened, for a case's own extra checks.
pub struct Outcome {
    /// The case's folder (inputs, pipeline, output folder `sortie/`).
    pub dir: PathBuf,
    /// The output folder of the case.
    pub out: PathBuf,
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
    /// `validation/problemes.csv` when written.
    pub problems: String,
    /// `validation/lignes.csv` when written.
    pub rows: String,
}

impl Outcome {
    /// Messages and validation report together.
    pub fn all_text(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}",
            self.stdout, self.stderr, self.problems, self.rows
        )
    }
}

/// One corpus case.
pub struct Case {
    pub name: &'static str,
    /// Input files, relative to the case folder.
    pub files: Vec<(String, Vec<u8>)>,
    /// Pipeline text; paths are relative to the case folder. The keys come from the
    /// environment (fixed test keys).
    pub pipeline: String,
    pub command: Cmd,
    pub exit: u8,
    /// Each must appear in the messages or the validation report.
    pub mentions: Vec<String>,
    /// Identifying tokens planted in the inputs: must appear nowhere.
    pub secrets: Vec<String>,
    /// Optional extra assertions.
    pub check: Option<fn(&Outcome)>,
    /// Arguments replacing `--sortie <case>/sortie` (rare: output-folder cases).
    pub output_args: Option<fn(&Path) -> Vec<String>>,
}

impl Case {
    pub fn new(name: &'static str, pipeline: String, command: Cmd, exit: u8) -> Case {
        Case {
            name,
            files: Vec::new(),
            pipeline,
            command,
            exit,
            mentions: Vec::new(),
            secrets: Vec::new(),
            check: None,
            output_args: None,
        }
    }
    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Case {
        self.files.push((path.to_string(), bytes.into()));
        self
    }
    pub fn mention(mut self, s: &str) -> Case {
        self.mentions.push(s.to_string());
        self
    }
    pub fn secret(mut self, s: &str) -> Case {
        self.secrets.push(s.to_string());
        self
    }
    pub fn check(mut self, f: fn(&Outcome)) -> Case {
        self.check = Some(f);
        self
    }
}

/// Fixed test keys (never used for real data).
pub const KEY_COLLECTIVE: &str = "0101010101010101010101010101010101010101010101010101010101010101";
pub const KEY_OBSERVATORY: &str =
    "0202020202020202020202020202020202020202020202020202020202020202";

/// Pipeline header shared by the cases: period 2021–2022, no chart (faster).
pub fn head(name: &str) -> String {
    format!(
        "[pipeline]\nnom = \"{name}\"\n[periode]\ndebut = 2021\nfin = 2022\n[sorties]\ngraphique = false\n"
    )
}

/// The services table most cases use: `S1` (MECS, 63) and `S2` (DITEP, 15).
pub fn services_csv() -> Vec<u8> {
    b"Code service;Nom du service;Type;D\xc3\xa9partement;Ann\xc3\xa9e;Capacit\xc3\xa9\n\
S1;Maison A;MECS;63;2021;20\nS1;Maison A;MECS;63;2022;20\n\
S2;Institut B;DITEP;15;2021;30\nS2;Institut B;DITEP;15;2022;30\n"
        .to_vec()
}

/// `[[sources]]` block for the services table above.
pub fn services_source() -> String {
    "[[sources]]\nfichier = \"services.csv\"\ntable = \"services\"\n".into()
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_observatoire")
}

fn run_bin(args: &[String], cwd: &Path, timeout: Duration) -> (u8, String, String) {
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .env("OBSERVATOIRE_CLE", KEY_COLLECTIVE)
        .env("OBSERVATOIRE_CLE_OBSERVATOIRE", KEY_OBSERVATORY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lancement du binaire");
    // Read the pipes on threads so a chatty child never blocks.
    let mut so = child.stdout.take().expect("stdout");
    let mut se = child.stderr.take().expect("stderr");
    let t1 = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut so, &mut s);
        s
    });
    let t2 = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut se, &mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("attente") {
            break s;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("délai dépassé ({timeout:?}) : {args:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = String::from_utf8_lossy(&t1.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&t2.join().unwrap_or_default()).into_owned();
    let code = match status.code() {
        Some(c) => c as u8,
        None => panic!("le binaire a été tué par un signal : {args:?}\n{stderr}"),
    };
    (code, stdout, stderr)
}

/// Every file under `root` (relative path → bytes), skipping `skip`.
fn snapshot(root: &Path, skip: Option<&Path>) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if Some(p.as_path()) == skip {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

/// The text of every output file, Parquet tables decoded.
fn output_texts(out: &Path) -> Vec<(PathBuf, String)> {
    let mut v = Vec::new();
    for (rel, bytes) in snapshot(out, None) {
        let text = if rel.extension().is_some_and(|e| e == "parquet") {
            use polars::prelude::*;
            match ParquetReader::new(std::io::Cursor::new(bytes.clone())).finish() {
                Ok(df) => {
                    let mut s = String::new();
                    for c in df.columns() {
                        s.push_str(c.name());
                        s.push('\n');
                        if let Ok(c) = c.cast(&DataType::String)
                            && let Ok(ca) = c.str()
                        {
                            for x in ca.iter().flatten() {
                                s.push_str(x);
                                s.push('\n');
                            }
                        }
                    }
                    s
                }
                Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
            }
        } else if rel.extension().is_some_and(|e| e == "xlsx") {
            // A workbook is zipped XML: its parts are scanned, not the compressed bytes.
            use std::io::Read;
            let mut s = String::new();
            if let Ok(mut zip) = ::zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())) {
                for i in 0..zip.len() {
                    if let Ok(mut part) = zip.by_index(i) {
                        let _ = part.read_to_string(&mut s);
                        s.push('\n');
                    }
                }
            }
            s
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        v.push((rel, text));
    }
    v
}

const BASELINE: &str = "[pipeline]\nnom = \"référence\"\n[periode]\ndebut = 2021\nfin = 2022\n[sorties]\ngraphique = false\nrapport = false\n[[sources]]\nfichier = \"base/services.csv\"\ntable = \"services\"\n";

/// Runs one case and asserts its outcome.
pub fn run_case(case: &Case) {
    let dir = temp_dir(&format!("corpus-{}", case.name));
    for (rel, bytes) in &case.files {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, bytes).unwrap();
    }
    std::fs::write(dir.join("pipeline.toml"), &case.pipeline).unwrap();
    // Previous outputs made by the tool, to check that a failing run leaves them intact.
    std::fs::create_dir_all(dir.join("base")).unwrap();
    std::fs::write(dir.join("base/services.csv"), services_csv()).unwrap();
    std::fs::write(dir.join("base.toml"), BASELINE).unwrap();
    let out = dir.join("sortie");
    let args = |p: &str| -> Vec<String> {
        vec![
            "executer".into(),
            p.into(),
            "--sortie".into(),
            out.display().to_string(),
        ]
    };
    let (code, _, e) = run_bin(&args("base.toml"), &dir, Duration::from_secs(120));
    assert_eq!(
        code, 0,
        "{}: la sortie de référence a échoué : {e}",
        case.name
    );
    let before_out = snapshot(&out, None);
    let before_in = snapshot(&dir, Some(&out));

    let case_args = match case.output_args {
        Some(f) => {
            let mut a = vec![case.command.arg().to_string(), "pipeline.toml".into()];
            a.extend(f(&dir));
            a
        }
        None => {
            let mut a = args("pipeline.toml");
            a[0] = case.command.arg().into();
            a
        }
    };
    let (code, stdout, stderr) = run_bin(&case_args, &dir, Duration::from_secs(300));
    let read = |rel: &str| std::fs::read_to_string(out.join(rel)).unwrap_or_default();
    let outcome = Outcome {
        dir: dir.clone(),
        out: out.clone(),
        code,
        stdout,
        stderr,
        problems: read("validation/problemes.csv"),
        rows: read("validation/lignes.csv"),
    };
    let ctx = format!(
        "cas {} : code {code}\n--- stdout\n{}\n--- stderr\n{}\n--- problemes.csv\n{}",
        case.name, outcome.stdout, outcome.stderr, outcome.problems
    );
    assert_eq!(code, case.exit, "{ctx}");
    assert!(
        !outcome.stderr.contains("panicked") && !outcome.stderr.contains("RUST_BACKTRACE"),
        "{ctx}"
    );
    if case.output_args.is_none() {
        let after_out = snapshot(&out, None);
        if matches!(code, 1..=4) {
            assert!(
                before_out == after_out,
                "{}: les sorties précédentes ont changé après un échec",
                case.name
            );
        } else {
            assert!(
                before_out != after_out,
                "{}: sorties non remplacées",
                case.name
            );
            assert!(out.join("manifeste.json").is_file(), "{ctx}");
        }
    }
    let after_in = snapshot(&dir, Some(&out));
    let added: Vec<_> = after_in
        .keys()
        .filter(|k| !before_in.contains_key(*k))
        .collect();
    assert!(
        case.output_args.is_some() || added.is_empty(),
        "{}: fichiers écrits hors du dossier de sortie : {added:?}",
        case.name
    );
    for (k, v) in &before_in {
        assert!(
            after_in.get(k) == Some(v),
            "{}: entrée modifiée ou supprimée : {}",
            case.name,
            k.display()
        );
    }
    let text = outcome.all_text();
    for m in &case.mentions {
        assert!(text.contains(m.as_str()), "mention « {m} » absente — {ctx}");
    }
    let outputs = output_texts(&out);
    for s in &case.secrets {
        assert!(
            !outcome.stdout.contains(s.as_str()) && !outcome.stderr.contains(s.as_str()),
            "jeton identifiant « {s} » dans les messages — {ctx}"
        );
        for (rel, t) in &outputs {
            assert!(
                !t.contains(s.as_str()),
                "{}: jeton identifiant « {s} » dans {}",
                case.name,
                rel.display()
            );
        }
    }
    if let Some(f) = case.check {
        f(&outcome);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every case of the corpus.
pub fn all() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(cases_ingest::cases());
    v.extend(cases_formats::cases());
    v.extend(cases_territories::cases());
    v.extend(cases_outputs::cases());
    v
}

#[test]
fn exit_codes_match_the_library() {
    use observatoire::error::exit_code as e;
    assert_eq!(
        (exit::OK, exit::INVALID, exit::INTERNAL, exit::DISCLOSURE),
        (e::SUCCESS, e::INVALID_INPUT, e::INTERNAL, e::DISCLOSURE)
    );
}

/// Runs the whole corpus (cases in parallel on the available cores).
#[test]
fn corpus_of_malformed_inputs() {
    let cases = all();
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    let n = names.len();
    names.dedup();
    assert_eq!(n, names.len(), "noms de cas en double");
    eprintln!("corpus : {n} cas");
    if let Ok(dir) = std::env::var("OBSERVATOIRE_CORPUS_DIR") {
        let root = PathBuf::from(dir);
        for c in &cases {
            for (rel, bytes) in &c.files {
                let name = format!("{}--{}", c.name, rel.replace('/', "_"));
                let _ = std::fs::create_dir_all(&root);
                let _ = std::fs::write(root.join(name), bytes);
            }
        }
    }
    let filter = std::env::var("OBSERVATOIRE_CAS").ok();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let queue = std::sync::Mutex::new(cases.into_iter());
    let failures = std::sync::Mutex::new(Vec::<String>::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                    let Some(case) = next else { break };
                    if filter.as_deref().is_some_and(|f| !case.name.contains(f)) {
                        continue;
                    }
                    let name = case.name;
                    if let Err(e) = std::panic::catch_unwind(|| run_case(&case)) {
                        let msg = e
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        if let Ok(mut f) = failures.lock() {
                            f.push(format!("{name}: {msg}"));
                        }
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_default();
    assert!(
        failures.is_empty(),
        "{} cas en échec :\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(n >= 60, "le corpus doit compter au moins 60 cas ({n})");
}
