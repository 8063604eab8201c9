//! Stage 1 — ingest. Reads the sources a pipeline lists (xlsx, xlsm, xlsb, xls, ods,
//! csv), finds each table's header, maps columns onto the canonical tables and interprets
//! every cell. Output: the canonical tables as DataFrames (identity fields still inside
//! `accompagnements`, which never leaves memory), the validation report, and the list of
//! input files with their SHA-256 for the manifest.
//!
//! A source that cannot be read at all (missing file, sheet or required column, corrupt
//! or password-protected workbook) stops the run with a [`SourceError`]; bad cells never
//! do: they go to the validation report, and every row read is accepted, rejected or
//! excluded by reason.

pub mod csv;
pub mod grid;
pub mod header;
pub mod isolate;
pub use isolate::reading_lanes;
pub mod limits;
pub mod prescan;
pub mod values;
pub mod workbook;

mod builder;
mod capacities;
mod checks;
mod directory;
mod files;
mod markers;
mod names;
mod open_ends;
mod parquet_rows;
mod reference;
mod rows;
mod sheet;
mod stack;
mod typed;
mod wide;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, SourceError, SourceErrorKind};
use crate::pipeline::{HeaderSel, PeriodSel, Pipeline, SheetSel, SourceSpec};
use crate::tables::{Field, Table, columns as col};
use crate::validation::{Issue, Severity, SourceStats, ValidationReport};
use grid::{Cell, Grid, cell_ref};
use header::{Header, Target};
use values::{Kind, Missing, Parsed, Value};

use builder::*;
use checks::*;
use files::*;
pub use reference::is_department_code;
use reference::*;
use sheet::*;
pub use stack::stack;
use wide::*;

/// The canonical tables after ingest.
#[derive(Debug, Clone)]
pub struct CanonicalTables {
    pub services: DataFrame,
    /// Contains direct identifiers: only the pseudonymisation stage may read them.
    pub accompaniments: DataFrame,
    /// Pseudonymised extracts received from partners (Parquet, no direct identifier).
    pub extracts: DataFrame,
    /// The file of each run of `extracts` rows, in order: its name as messages show it,
    /// and its number of rows (so a later stage can say which file a row came from).
    pub extract_files: Vec<(String, usize)>,
    /// Staff (identifier still inside: only the pseudonymisation stage may read it).
    pub staff: DataFrame,
    pub training: DataFrame,
    pub satisfaction: DataFrame,
    pub action_plan: DataFrame,
    pub activity: DataFrame,
    pub reference: DataFrame,
}

/// An input file as recorded in the manifest.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InputFile {
    pub chemin: String,
    pub sha256: String,
    pub octets: u64,
    pub format: String,
}

/// Everything ingest produces.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub tables: CanonicalTables,
    pub report: ValidationReport,
    pub inputs: Vec<InputFile>,
}

pub use crate::settings::Checks;

/// Reads every source of `pipeline`. Services sources are read first, so that every
/// other table's service codes can be checked against them. A source of several files
/// or sheets goes on when one of them cannot be read (it is an error of the validation
/// report); a source of one file and one sheet that cannot be read stops the run.
pub fn ingest(pipeline: &Pipeline) -> Result<Ingested, Error> {
    ingest_with(pipeline, None)
}

/// What is done to each file's checked rows before they join their table (a parallel
/// task, like the reading): the run pseudonymises the accompaniments of each file there,
/// so that no column of clear names for the whole network is ever held in memory
/// (docs/architecture.md, « Files in parallel, results in order »).
pub type FileTransform<'a> = &'a (dyn Fn(Table, DataFrame) -> Result<DataFrame, Error> + Sync);

/// Told after each file is read and mapped: (files done, files in all). Called from the
/// reading threads.
pub type FileProgress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// [`ingest`], with `transform` applied to the table of every file read in parallel (every
/// table but the services and the reference tables, which hold no identity).
pub fn ingest_with(
    pipeline: &Pipeline,
    transform: Option<FileTransform<'_>>,
) -> Result<Ingested, Error> {
    ingest_observed(pipeline, transform, None)
}

/// [`ingest_with`], telling `progress` after each file.
pub fn ingest_observed(
    pipeline: &Pipeline,
    transform: Option<FileTransform<'_>>,
    progress: Option<FileProgress<'_>>,
) -> Result<Ingested, Error> {
    let limits = pipeline.settings.limits;
    let checks = pipeline.settings.checks.clone();
    // Reading children are kept from one workbook to the next until the reading ends.
    let _readers = isolate::Session::begin();
    let mut builders: BTreeMap<Table, TableBuilder> = Table::ALL
        .iter()
        .map(|t| (*t, TableBuilder::new(*t)))
        .collect();
    let mut acc = Accumulated::default();
    let (jobs, has_services) = file_jobs(pipeline)?;
    let ticker = Ticker {
        done: std::sync::atomic::AtomicUsize::new(0),
        total: jobs.len(),
        progress,
    };
    // The total is known before the first file is done: say it at once.
    if let Some(p) = progress {
        p(0, jobs.len());
    }
    let tick = || ticker.tick();
    let env = JobEnv {
        pipeline,
        limits: &limits,
        checks: &checks,
        known_services: None,
    };
    // Services first, in order: the other tables' service codes are checked against them.
    let n_services = jobs
        .iter()
        .take_while(|j| j.table == Table::Services)
        .count();
    let services = &jobs[..n_services];
    read_services(&env, services, &mut builders, &mut acc, &ticker)?;
    let known_services = if has_services {
        Some(service_codes(
            builders.get(&Table::Services),
            acc.parquet_parts.get(&Table::Services),
        )?)
    } else {
        None
    };
    let env = JobEnv {
        known_services: known_services.as_ref(),
        ..env
    };
    // Every other file is read and mapped on its own (in parallel, each into a table of
    // its own), then the results are taken in source order, so the tables, the report and
    // the first error that stops the run are the same whatever the number of threads.
    // Reference tables keep one builder across files (a key given twice is reported and
    // left out, whichever file comes second): they are mapped in order after the reads.
    let rest = &jobs[n_services..];
    let read_all = || -> Vec<(FileOutcome, Option<DataFrame>)> {
        rest.par_iter()
            .map(|job| {
                if job.table == Table::Reference {
                    (FileOutcome::default(), None)
                } else {
                    let read = file_alone(&env, job, transform);
                    tick();
                    read
                }
            })
            .collect()
    };
    let workbooks = rest
        .iter()
        .any(|j| j.table != Table::Reference && files::is_workbook(&j.path));
    let outcomes = isolate::in_reading_lanes(workbooks, read_all);
    for (job, (outcome, frame)) in rest.iter().zip(outcomes) {
        let outcome = if job.table == Table::Reference {
            let builder = builders
                .get_mut(&Table::Reference)
                .ok_or_else(|| Error::Internal("table".into()))?;
            let mapped = ingest_file(&env, job, builder);
            tick();
            mapped
        } else {
            outcome
        };
        acc.absorb(job, outcome)?;
        if let Some(df) = frame {
            acc.file_parts.entry(job.table).or_default().push(df);
        }
    }
    assemble(builders, acc, pipeline)
}

/// One job per file of every source, services sources first (then in pipeline order);
/// and whether the pipeline has a services table.
fn file_jobs(pipeline: &Pipeline) -> Result<(Vec<FileJob<'_>>, bool), Error> {
    let mut sources: Vec<(usize, &SourceSpec, Table)> = Vec::new();
    for (i, src) in pipeline.spec.sources.iter().enumerate() {
        let table = Table::from_id(src.table.get_ref())
            .ok_or_else(|| Error::Internal("table non validée".into()))?;
        sources.push((i, src, table));
    }
    sources.sort_by_key(|(i, _, t)| (*t != Table::Services, *i));
    let has_services = sources.iter().any(|(_, _, t)| *t == Table::Services);
    let mut jobs: Vec<FileJob> = Vec::new();
    for (i, src, table) in sources {
        let source_name = src
            .nom
            .clone()
            .unwrap_or_else(|| format!("source {}", i + 1));
        let files = resolve_files(pipeline, src)?;
        let several_files = files.len() > 1;
        let file_names = names::file_names(src, &files)?;
        for (path, file_name) in files.into_iter().zip(file_names) {
            jobs.push(FileJob {
                file_name,
                display: display_path(pipeline, &path),
                path,
                source_name: source_name.clone(),
                spec: src,
                table,
                several_files,
            });
        }
    }
    Ok((jobs, has_services))
}

/// Reads and maps one file into a table of its own (a parallel task).
fn file_alone(
    env: &JobEnv,
    job: &FileJob,
    transform: Option<FileTransform<'_>>,
) -> (FileOutcome, Option<DataFrame>) {
    let mut own = TableBuilder::new(job.table);
    let outcome = ingest_file(env, job, &mut own);
    if own.height == 0 || outcome.fatal.is_some() {
        return (outcome, None);
    }
    let frame = own.finish().and_then(|df| match transform {
        Some(t) => t(job.table, df),
        None => Ok(df),
    });
    match frame {
        Ok(df) => (outcome, Some(df)),
        Err(e) => (
            FileOutcome {
                internal: Some(e),
                ..outcome
            },
            None,
        ),
    }
}

/// The canonical tables: each table's shared builder, then its per-file parts in source
/// order, then its Parquet parts; the capacities joined onto the services.
fn assemble(
    mut builders: BTreeMap<Table, TableBuilder>,
    acc: Accumulated,
    pipeline: &Pipeline,
) -> Result<Ingested, Error> {
    let Accumulated {
        mut report,
        inputs,
        mut parquet_parts,
        mut file_parts,
        extract_parts,
        extract_files,
    } = acc;
    let mut take = |t: Table| -> Result<DataFrame, Error> {
        let built = builders
            .remove(&t)
            .map(TableBuilder::finish)
            .unwrap_or_else(|| TableBuilder::new(t).finish())?;
        let mut parts = Vec::new();
        let files = file_parts.remove(&t).unwrap_or_default();
        let parquets = parquet_parts.remove(&t).unwrap_or_default();
        // An empty shared builder only gives the schema of an empty table: beside parts
        // already transformed (identities pseudonymised), its clear identity columns
        // would come back, empty.
        if built.height() > 0 || (files.is_empty() && parquets.is_empty()) {
            parts.push(built);
        }
        parts.extend(files);
        parts.extend(parquets);
        stack(parts)
    };
    let mut services = take(Table::Services)?;
    if capacities::has_source(pipeline) {
        let years = pipeline.spec.periode.years();
        let found = take(Table::Capacities)?;
        services = capacities::join(services, &found, years, &mut report.problemes)?;
    }
    let tables = CanonicalTables {
        services,
        accompaniments: take(Table::Accompaniments)?,
        activity: take(Table::Activity)?,
        reference: take(Table::Reference)?,
        staff: take(Table::Staff)?,
        training: take(Table::Training)?,
        satisfaction: take(Table::Satisfaction)?,
        action_plan: take(Table::ActionPlan)?,
        extracts: stack(extract_parts)?,
        extract_files,
    };
    Ok(Ingested {
        tables,
        report,
        inputs,
    })
}

/// One input file of one source.
struct FileJob<'a> {
    path: PathBuf,
    display: String,
    source_name: String,
    spec: &'a SourceSpec,
    table: Table,
    /// The source has several files: one that cannot be read is skipped, not fatal.
    several_files: bool,
    /// What the file's name gave (`motif_fichier`).
    file_name: names::FileName,
}

/// What every file job reads.
#[derive(Clone, Copy)]
struct JobEnv<'a> {
    pipeline: &'a Pipeline,
    limits: &'a limits::Limits,
    checks: &'a Checks,
    known_services: Option<&'a directory::ServiceDirectory>,
}

/// What reading one file gave: its manifest entry, a Parquet part, the per-sheet
/// statistics and issues, or the error that stops the run.
#[derive(Default)]
struct FileOutcome {
    input: Option<InputFile>,
    parquet: Option<DataFrame>,
    stats: Vec<SourceStats>,
    issues: Vec<Issue>,
    fatal: Option<SourceError>,
    internal: Option<Error>,
}

/// The results of the file jobs, taken in source order.
#[derive(Default)]
struct Accumulated {
    report: ValidationReport,
    inputs: Vec<InputFile>,
    parquet_parts: BTreeMap<Table, Vec<DataFrame>>,
    /// Tables mapped file by file (in parallel), in source order.
    file_parts: BTreeMap<Table, Vec<DataFrame>>,
    extract_parts: Vec<DataFrame>,
    extract_files: Vec<(String, usize)>,
}

impl Accumulated {
    fn absorb(&mut self, job: &FileJob, outcome: FileOutcome) -> Result<(), Error> {
        if let Some(e) = outcome.internal {
            return Err(e);
        }
        if let Some(input) = outcome.input
            && !self.inputs.iter().any(|f| f.chemin == input.chemin)
        {
            self.inputs.push(input);
        }
        self.report.problemes.extend(outcome.issues);
        self.report.sources.extend(outcome.stats);
        if let Some(e) = outcome.fatal {
            return Err(e.into());
        }
        if let Some(df) = outcome.parquet {
            if job.table == Table::Accompaniments {
                self.extract_files.push((job.display.clone(), df.height()));
                self.extract_parts.push(df);
            } else {
                self.parquet_parts.entry(job.table).or_default().push(df);
            }
        }
        Ok(())
    }
}

/// Reads one file of a source into `builder` (its sheets mapped in order). An error that
/// a several-file or several-sheet source survives becomes a `source_illisible` issue;
/// any other is the outcome's `fatal`.
// Long function: the steps of reading one file (hash, Parquet or grids, each sheet) with
// the same rule for errors at each step.
fn ingest_file(env: &JobEnv, job: &FileJob, builder: &mut TableBuilder) -> FileOutcome {
    let mut out = FileOutcome::default();
    let several_files = job.several_files;
    let display = &job.display;
    let fail = |out: &mut FileOutcome, several: bool, e: SourceError| {
        if several {
            skip(
                &mut out.issues,
                &mut out.stats,
                &job.source_name,
                job.table,
                e,
            );
        } else {
            out.fatal = Some(e);
        }
    };
    if matches!(job.file_name, names::FileName::Outside) {
        out.issues.push(names::file_outside(job.spec, display));
        return out;
    }
    match hash_file(&job.path, display) {
        Ok(f) => out.input = Some(f),
        Err(e) => {
            fail(&mut out, several_files, e);
            return out;
        }
    }
    let is_parquet = job
        .path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    if is_parquet {
        match parquet_file(job, env.known_services) {
            Ok((df, issues, stats)) => {
                out.issues.extend(issues);
                out.stats.push(stats);
                out.parquet = Some(df);
            }
            Err(e) => fail(&mut out, several_files, e),
        }
        return out;
    }
    let sheets = match read_sheets(&job.path, display, job.spec, env.limits) {
        Ok((s, hidden)) => {
            out.issues.extend(names::hidden(display, &hidden));
            s
        }
        Err(e) => {
            fail(&mut out, several_files, e);
            return out;
        }
    };
    let several = several_files || sheets.len() > 1;
    if let Err(e) = names::some_sheet_matches(job.spec, display, &sheets) {
        fail(&mut out, several_files, e);
        return out;
    }
    for (sheet, grid, is_1904) in sheets {
        let ctx = SheetContext {
            source_name: &job.source_name,
            file: display,
            sheet: sheet.as_deref(),
            spec: job.spec,
            table: job.table,
            is_1904,
            pipeline: env.pipeline,
            checks: env.checks,
            known_services: env.known_services,
            file_names: job.file_name.captures(),
            by_wildcard: names::by_wildcard(job.spec, sheet.as_deref()),
        };
        match map_sheet(&ctx, &grid, builder, &mut out.issues) {
            Ok(Some(stats)) => out.stats.push(stats),
            Ok(None) => {}
            Err(e) => {
                fail(&mut out, several, e);
                if out.fatal.is_some() {
                    return out;
                }
            }
        }
    }
    out
}

/// A file or sheet of a several-file source that cannot be read: an error of the
/// validation report (the run goes on with the others and ends with exit code 5).
fn skip(
    issues: &mut Vec<Issue>,
    stats: &mut Vec<SourceStats>,
    source: &str,
    table: Table,
    e: SourceError,
) {
    issues.push(Issue {
        fichier: e.file.clone(),
        feuille: e.sheet.clone(),
        cellule: None,
        colonne: None,
        champ: None,
        code: "source_illisible".into(),
        gravite: Severity::Error,
        message: format!(
            "{} Les autres fichiers et feuilles de la source ont été lus ; celui-ci est laissé de côté.",
            e.kind
        ),
    });
    stats.push(SourceStats {
        source: source.to_string(),
        fichier: e.file,
        feuille: e.sheet,
        table: table.id().to_string(),
        illisible: true,
        ..Default::default()
    });
}

/// Codes and names of the services read so far (`directory::ServiceDirectory`).
fn service_codes(
    builder: Option<&TableBuilder>,
    parquet: Option<&Vec<DataFrame>>,
) -> Result<directory::ServiceDirectory, Error> {
    let mut out = directory::ServiceDirectory::default();
    if let Some(b) = builder {
        let (names, departments) = (b.texts(col::SERVICE_NAME), b.texts(col::DEPARTMENT));
        let (mut names, mut departments) = (names.iter(), departments.iter());
        for code in b.texts(col::SERVICE).iter() {
            let (name, department) = (names.next().flatten(), departments.next().flatten());
            if let Some(code) = code {
                out.add_in(code, name, department);
            }
        }
    }
    for df in parquet.into_iter().flatten() {
        if let Ok(c) = df.column(col::SERVICE)
            && let Ok(ca) = c.str()
        {
            let names = df
                .column(col::SERVICE_NAME)
                .ok()
                .and_then(|n| n.str().ok().cloned());
            for (i, code) in ca.iter().enumerate() {
                let name = names.as_ref().and_then(|n| n.get(i));
                if let Some(code) = code {
                    out.add(code, name);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
