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
pub mod limits;
pub mod prescan;
pub mod values;
pub mod workbook;

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
use grid::{Grid, cell_ref};
use header::{Header, Target};
use values::{Kind, Missing, Parsed, Value};

/// The canonical tables after ingest.
#[derive(Debug, Clone)]
pub struct CanonicalTables {
    pub services: DataFrame,
    /// Contains direct identifiers: only the pseudonymisation stage may read them.
    pub accompaniments: DataFrame,
    /// Pseudonymised extracts received from partners (Parquet, no direct identifier).
    pub extracts: DataFrame,
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

/// Checks of plausibility a pipeline can tune (`[controles]`).
#[derive(Debug, Clone)]
pub struct Checks {
    /// More simultaneous measures of one person in one service than this is implausible.
    pub max_simultaneous: usize,
    /// Latest plausible date: 31/12 of the year after the later of the period's end and
    /// the current year.
    pub latest_date: NaiveDate,
}

impl Checks {
    pub fn of(pipeline: &Pipeline) -> Checks {
        use chrono::Datelike;
        let this_year = chrono::Local::now().date_naive().year();
        let end = (*pipeline.spec.periode.fin.get_ref()).max(this_year) + 1;
        Checks {
            max_simultaneous: pipeline
                .spec
                .controles
                .mesures_simultanees_max
                .as_ref()
                .map_or(3, |v| *v.get_ref()),
            latest_date: NaiveDate::from_ymd_opt(end, 12, 31).unwrap_or(NaiveDate::MAX),
        }
    }
}

/// Reads every source of `pipeline`. Services sources are read first, so that every
/// other table's service codes can be checked against them. A source of several files
/// or sheets goes on when one of them cannot be read (it is an error of the validation
/// report); a source of one file and one sheet that cannot be read stops the run.
pub fn ingest(pipeline: &Pipeline) -> Result<Ingested, Error> {
    let limits = pipeline.limits();
    let checks = Checks::of(pipeline);
    let mut builders: BTreeMap<Table, TableBuilder> = Table::ALL
        .iter()
        .map(|t| (*t, TableBuilder::new(*t)))
        .collect();
    let mut acc = Accumulated::default();
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
        for path in files {
            jobs.push(FileJob {
                display: display_path(pipeline, &path),
                path,
                source_name: source_name.clone(),
                spec: src,
                table,
                several_files,
            });
        }
    }
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
    for job in &jobs[..n_services] {
        let builder = builders
            .get_mut(&Table::Services)
            .ok_or_else(|| Error::Internal("table".into()))?;
        let outcome = ingest_file(&env, job, builder);
        acc.absorb(job, outcome)?;
    }
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
    let outcomes: Vec<(FileOutcome, Option<DataFrame>)> = rest
        .par_iter()
        .map(|job| {
            if job.table == Table::Reference {
                return (FileOutcome::default(), None);
            }
            let mut own = TableBuilder::new(job.table);
            let outcome = ingest_file(&env, job, &mut own);
            let frame = if own.height > 0 {
                Some(own.finish())
            } else {
                None
            };
            match frame {
                Some(Ok(df)) => (outcome, Some(df)),
                Some(Err(e)) => (
                    FileOutcome {
                        internal: Some(e),
                        ..outcome
                    },
                    None,
                ),
                None => (outcome, None),
            }
        })
        .collect();
    for (job, (outcome, frame)) in rest.iter().zip(outcomes) {
        let outcome = if job.table == Table::Reference {
            let builder = builders
                .get_mut(&Table::Reference)
                .ok_or_else(|| Error::Internal("table".into()))?;
            ingest_file(&env, job, builder)
        } else {
            outcome
        };
        acc.absorb(job, outcome)?;
        if let Some(df) = frame {
            acc.file_parts.entry(job.table).or_default().push(df);
        }
    }
    let Accumulated {
        report,
        inputs,
        mut parquet_parts,
        mut file_parts,
        extract_parts,
    } = acc;
    let mut take = |t: Table| -> Result<DataFrame, Error> {
        let built = builders
            .remove(&t)
            .map(TableBuilder::finish)
            .unwrap_or_else(|| TableBuilder::new(t).finish())?;
        let mut parts = vec![built];
        parts.extend(file_parts.remove(&t).unwrap_or_default());
        parts.extend(parquet_parts.remove(&t).unwrap_or_default());
        stack(parts)
    };
    let tables = CanonicalTables {
        services: take(Table::Services)?,
        accompaniments: take(Table::Accompaniments)?,
        activity: take(Table::Activity)?,
        reference: take(Table::Reference)?,
        staff: take(Table::Staff)?,
        training: take(Table::Training)?,
        satisfaction: take(Table::Satisfaction)?,
        action_plan: take(Table::ActionPlan)?,
        extracts: stack(extract_parts)?,
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
}

/// What every file job reads.
#[derive(Clone, Copy)]
struct JobEnv<'a> {
    pipeline: &'a Pipeline,
    limits: &'a limits::Limits,
    checks: &'a Checks,
    known_services: Option<&'a BTreeMap<String, String>>,
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
        match read_parquet(&job.path, display, job.table) {
            Ok(df) => {
                out.stats.push(SourceStats {
                    source: job.source_name.clone(),
                    fichier: display.clone(),
                    feuille: None,
                    table: job.table.id().to_string(),
                    lignes_entete: vec![],
                    lignes_lues: df.height(),
                    lignes_acceptees: df.height(),
                    lignes_produites: df.height(),
                    ..Default::default()
                });
                out.parquet = Some(df);
            }
            Err(e) => fail(&mut out, several_files, e),
        }
        return out;
    }
    let sheets = match read_sheets(&job.path, display, job.spec, env.limits) {
        Ok(s) => s,
        Err(e) => {
            fail(&mut out, several_files, e);
            return out;
        }
    };
    let several = several_files || sheets.len() > 1;
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
        };
        match map_sheet(&ctx, &grid, builder, &mut out.issues) {
            Ok(stats) => out.stats.push(stats),
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

/// Service codes of the services read so far (folded code → code as written).
fn service_codes(
    builder: Option<&TableBuilder>,
    parquet: Option<&Vec<DataFrame>>,
) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    if let Some(b) = builder {
        for code in b.texts(col::SERVICE).flatten() {
            out.insert(values::fold(code), code.to_string());
        }
    }
    for df in parquet.into_iter().flatten() {
        if let Ok(c) = df.column(col::SERVICE)
            && let Ok(ca) = c.str()
        {
            for code in ca.iter().flatten() {
                out.insert(values::fold(code), code.to_string());
            }
        }
    }
    Ok(out)
}

/// Stacks DataFrames vertically; columns missing from a part are filled with nulls, and
/// each column takes the type of its first occurrence.
pub fn stack(parts: Vec<DataFrame>) -> Result<DataFrame, Error> {
    let parts: Vec<DataFrame> = parts.into_iter().filter(|d| d.width() > 0).collect();
    let Some(first) = parts.first() else {
        return Ok(DataFrame::empty());
    };
    let mut schema: Vec<(PlSmallStr, DataType)> = first
        .columns()
        .iter()
        .map(|c| (c.name().clone(), c.dtype().clone()))
        .collect();
    for p in &parts[1..] {
        for c in p.columns() {
            if !schema.iter().any(|(n, _)| n == c.name()) {
                schema.push((c.name().clone(), c.dtype().clone()));
            }
        }
    }
    let mut out: Option<DataFrame> = None;
    for p in &parts {
        let mut cols: Vec<Column> = Vec::with_capacity(schema.len());
        for (name, dtype) in &schema {
            let c = match p.column(name.as_str()) {
                Ok(c) => c.cast(dtype)?,
                Err(_) => Column::full_null(name.clone(), p.height(), dtype),
            };
            cols.push(c);
        }
        let df = DataFrame::new(p.height(), cols)?;
        match &mut out {
            None => out = Some(df),
            Some(o) => {
                o.vstack_mut(&df)?;
            }
        }
    }
    Ok(out.unwrap_or_default())
}

/// Reads a Parquet source: a partner's pseudonymised extract (`accompagnements`) or a
/// canonical table written by `partenaire`. An extract holding direct identifiers is
/// refused.
fn read_parquet(path: &Path, display: &str, table: Table) -> Result<DataFrame, SourceError> {
    let err = |detail: String| SourceError {
        file: display.to_string(),
        sheet: None,
        kind: SourceErrorKind::Corrupt(detail),
    };
    let f = std::fs::File::open(path).map_err(|_| SourceError {
        file: display.into(),
        sheet: None,
        kind: SourceErrorKind::NotFound,
    })?;
    let df = ParquetReader::new(f)
        .finish()
        .map_err(|_| err("fichier Parquet illisible".into()))?;
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let required: Vec<&str> = match table {
        Table::Accompaniments => {
            if let Some(id) = crate::pseudonymise::IDENTITY_COLUMNS
                .iter()
                .find(|c| names.iter().any(|n| n == *c))
            {
                return Err(SourceError {
                    file: display.into(),
                    sheet: None,
                    kind: SourceErrorKind::NotAnExtract(format!(
                        "il contient la colonne identifiante « {id} »"
                    )),
                });
            }
            vec![col::SERVICE, col::START, "pseudonyme_1"]
        }
        Table::Services => vec![col::SERVICE, col::YEAR],
        Table::Activity => vec![col::SERVICE, col::YEAR],
        Table::Reference => vec![col::REF_VARIABLE, col::REF_CODE, col::REF_VALUE],
        Table::Staff | Table::Training => {
            if names.iter().any(|n| n == "salarie")
                && !names.iter().any(|n| n == "salarie_pseudonyme")
            {
                return Err(SourceError {
                    file: display.into(),
                    sheet: None,
                    kind: SourceErrorKind::NotAnExtract(
                        "il contient la colonne identifiante « salarie »".into(),
                    ),
                });
            }
            vec![col::SERVICE]
        }
        Table::Satisfaction => vec![col::SERVICE],
        Table::ActionPlan => vec!["fiche", col::YEAR],
    };
    if let Some(missing) = required.iter().find(|r| !names.iter().any(|n| n == *r)) {
        return Err(SourceError {
            file: display.into(),
            sheet: None,
            kind: SourceErrorKind::NotAnExtract(format!("la colonne « {missing} » manque")),
        });
    }
    Ok(df)
}

fn display_path(pipeline: &Pipeline, path: &Path) -> String {
    // Paths are shown relative to the pipeline's directory when possible.
    path.strip_prefix(&pipeline.base_dir)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn resolve_files(pipeline: &Pipeline, src: &SourceSpec) -> Result<Vec<PathBuf>, SourceError> {
    let raw = src.fichier.get_ref();
    let full = pipeline.resolve(raw);
    if raw.contains(['*', '?', '[']) {
        let pattern = full.to_string_lossy().to_string();
        let mut found: Vec<PathBuf> = glob::glob(&pattern)
            .map_err(|_| SourceError {
                file: raw.clone(),
                sheet: None,
                kind: SourceErrorKind::NoFileMatches,
            })?
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        if found.is_empty() {
            return Err(SourceError {
                file: raw.clone(),
                sheet: None,
                kind: SourceErrorKind::NoFileMatches,
            });
        }
        Ok(found)
    } else if full.is_file() {
        Ok(vec![full])
    } else {
        Err(SourceError {
            file: raw.clone(),
            sheet: None,
            kind: SourceErrorKind::NotFound,
        })
    }
}

fn hash_file(path: &Path, display: &str) -> Result<InputFile, SourceError> {
    let mut f = std::fs::File::open(path).map_err(|_| SourceError {
        file: display.into(),
        sheet: None,
        kind: SourceErrorKind::NotFound,
    })?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| SourceError {
            file: display.into(),
            sheet: None,
            kind: SourceErrorKind::Corrupt(e.kind().to_string()),
        })?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok(InputFile {
        chemin: display.to_string(),
        sha256: hex::encode(hasher.finalize()),
        octets: total,
        format: path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_lowercase(),
    })
}

type SheetGrid = (Option<String>, Grid, bool);

fn read_sheets(
    path: &Path,
    display: &str,
    src: &SourceSpec,
    limits: &limits::Limits,
) -> Result<Vec<SheetGrid>, SourceError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_lowercase();
    if ext == "csv" || ext == "txt" {
        let enc = match src
            .csv
            .as_ref()
            .and_then(|c| c.encodage.as_ref())
            .map(|e| e.get_ref().as_str())
        {
            Some("utf-8") => csv::Encoding::Utf8,
            Some("windows-1252") => csv::Encoding::Windows1252,
            _ => csv::Encoding::Auto,
        };
        let sep = src
            .csv
            .as_ref()
            .and_then(|c| c.separateur.as_ref())
            .and_then(|s| s.get_ref().bytes().next());
        let (grid, _) = csv::read_csv(path, display, enc, sep, limits)?;
        return Ok(vec![(None, grid, false)]);
    }
    // Workbook branch (bounded, isolated reading: see `workbook`, `prescan`, `isolate`).
    let selection = if let Some(list) = &src.feuilles {
        workbook::SheetSelection::Patterns(list.get_ref().clone())
    } else {
        match src.feuille.as_ref().map(|s| s.get_ref()) {
            Some(SheetSel::Name(n)) => workbook::SheetSelection::Name(n.clone()),
            Some(SheetSel::Position(p)) => workbook::SheetSelection::Position(*p),
            None => workbook::SheetSelection::FirstVisible,
        }
    };
    let read = workbook::read_workbook(path, display, &selection, limits)?;
    Ok(read
        .sheets
        .into_iter()
        .map(|(name, grid)| (Some(name), grid, read.is_1904))
        .collect())
}

struct SheetContext<'a> {
    source_name: &'a str,
    file: &'a str,
    sheet: Option<&'a str>,
    spec: &'a SourceSpec,
    table: Table,
    is_1904: bool,
    pipeline: &'a Pipeline,
    checks: &'a Checks,
    /// Service codes of the services table (folded → as written); `None` when the
    /// pipeline has no services table.
    known_services: Option<&'a BTreeMap<String, String>>,
}

impl SheetContext<'_> {
    fn issue(
        &self,
        cell: Option<String>,
        column: Option<String>,
        field: Option<&str>,
        code: &str,
        severity: Severity,
        message: String,
    ) -> Issue {
        Issue {
            fichier: self.file.to_string(),
            feuille: self.sheet.map(str::to_string),
            cellule: cell,
            colonne: column,
            champ: field.map(str::to_string),
            code: code.to_string(),
            gravite: severity,
            message,
        }
    }

    /// Line of `[sources.colonnes] <field> = …` in the pipeline file.
    fn mapping_line(&self, field: &str) -> Option<usize> {
        self.spec
            .colonnes
            .iter()
            .find(|(k, _)| k.get_ref() == field)
            .map(|(k, _)| crate::pipeline::line_col(&self.pipeline.text, k.span().start).0)
    }

    fn err(&self, kind: SourceErrorKind) -> SourceError {
        SourceError {
            file: self.file.to_string(),
            sheet: self.sheet.map(str::to_string),
            kind,
        }
    }
}

/// What a matched column feeds.
#[derive(Debug, Clone)]
enum Role {
    Field(&'static Field),
    Measure(String),
}

fn targets_for(ctx: &SheetContext) -> (Vec<Target>, Vec<Role>) {
    let mut targets = Vec::new();
    let mut roles = Vec::new();
    let user = |name: &str| -> Vec<String> {
        ctx.spec
            .colonnes
            .iter()
            .find(|(k, _)| k.get_ref() == name)
            .map(|(_, v)| v.list())
            .unwrap_or_default()
    };
    for f in ctx.table.fields() {
        let u = user(f.name);
        // A constant service from the source replaces the column.
        if f.name == "service" && ctx.spec.service.is_some() && u.is_empty() {
            continue;
        }
        // The year may come from a date (month of activity, training date, sending date).
        let year_from_date = f.name == "annee"
            && (ctx.spec.annee_depuis_feuille
                || matches!(
                    ctx.table,
                    Table::Activity | Table::Training | Table::Satisfaction
                ));
        let required = f.required && !year_from_date;
        targets.push(Target {
            key: f.name.to_string(),
            user: u,
            builtin: f.synonyms.iter().map(|s| s.to_string()).collect(),
            required,
        });
        roles.push(Role::Field(f));
    }
    if let Some(r) = &ctx.spec.reference {
        for (var, syn) in &r.mesures {
            targets.push(Target {
                key: var.clone(),
                user: syn.list(),
                builtin: vec![],
                required: true,
            });
            roles.push(Role::Measure(var.clone()));
        }
    }
    (targets, roles)
}

fn locate_header(
    ctx: &SheetContext,
    grid: &Grid,
    targets: &[Target],
) -> Result<Header, SourceError> {
    match ctx.spec.ligne_entete.as_ref().map(|h| h.get_ref()) {
        Some(HeaderSel::Row(n)) => Ok(header::header_at(grid, &[n - 1])),
        Some(HeaderSel::Rows(v)) => {
            let rows: Vec<usize> = v.iter().map(|n| n - 1).collect();
            Ok(header::header_at(grid, &rows))
        }
        _ => header::detect(grid, targets).ok_or(ctx.err(SourceErrorKind::HeaderNotFound {
            searched_rows: header::SEARCH_ROWS.min(grid.height().max(1)),
        })),
    }
}

fn is_total_row(ctx: &SheetContext, grid: &Grid, row: usize) -> bool {
    let first = grid
        .rows
        .get(row)
        .and_then(|r| r.iter().find(|c| !c.is_empty()))
        .and_then(|c| c.as_text());
    let Some(first) = first else { return false };
    let norm = header::normalize(&first);
    let defaults = ["total", "sous total", "total general"];
    let user = ctx.spec.lignes_total.clone().unwrap_or_default();
    defaults
        .iter()
        .map(|s| s.to_string())
        .chain(user.iter().map(|s| header::normalize(s)))
        .any(|m| !m.is_empty() && (norm == m || norm.starts_with(&format!("{m} "))))
}

/// At most `max` characters of a header text, with an ellipsis.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

fn bump(map: &mut BTreeMap<String, usize>, key: &str) {
    *map.entry(key.to_string()).or_default() += 1;
}

/// Maps the rows of one sheet into `builder`.
fn map_sheet(
    ctx: &SheetContext,
    grid: &Grid,
    builder: &mut TableBuilder,
    issues: &mut Vec<Issue>,
) -> Result<SourceStats, SourceError> {
    if ctx.table != Table::Services
        && let (Some(known), Some(code)) = (ctx.known_services, &ctx.spec.service)
        && !known.contains_key(&values::fold(code))
    {
        let line = ctx
            .pipeline
            .text
            .lines()
            .position(|l| {
                let l = l.trim_start();
                l.starts_with("service") && l.contains(code.as_str())
            })
            .map(|i| i + 1);
        return Err(ctx.err(SourceErrorKind::UnknownService {
            code: code.clone(),
            line,
        }));
    }
    let (targets, roles) = targets_for(ctx);
    let header = locate_header(ctx, grid, &targets)?;
    let matched = header::match_columns(&header, &targets);
    // Header texts are quoted in messages only when the row really is a header (it
    // matched at least two fields): a `ligne_entete` pointing at a data row must not
    // print a child's row.
    let header_trusted = matched.iter().filter(|m| m.is_some()).count() >= 2;
    // A column the pipeline names must exist: a mapping that matches nothing is an
    // error, never a field silently left empty.
    for ((t, m), role) in targets.iter().zip(&matched).zip(&roles) {
        if m.is_none() && !t.user.is_empty() {
            let found: Vec<String> = header
                .columns
                .iter()
                .filter(|_| header_trusted)
                .map(|c| shorten(&c.display(), 40))
                .take(40)
                .collect();
            let wanted_keys: Vec<String> = t.user.iter().map(|u| header::normalize(u)).collect();
            let suggestion = header
                .columns
                .iter()
                .map(|c| c.display())
                .filter(|d| !d.is_empty())
                .map(|d| {
                    let k = header::normalize(&d);
                    let dist = wanted_keys
                        .iter()
                        .map(|w| crate::pipeline::levenshtein(w, &k))
                        .min()
                        .unwrap_or(usize::MAX);
                    (dist, d)
                })
                .filter(|_| header_trusted)
                .filter(|(dist, d)| *dist <= (header::normalize(d).chars().count() / 3).max(2))
                .min_by_key(|(dist, _)| *dist)
                .map(|(_, d)| shorten(&d, 40));
            return Err(ctx.err(SourceErrorKind::MappedColumnAbsent(Box::new(
                crate::error::MappedColumn {
                    field: t.key.clone(),
                    wanted: t.user.clone(),
                    line: match role {
                        Role::Field(_) => ctx.mapping_line(&t.key),
                        Role::Measure(_) => None,
                    },
                    header_rows: header.rows.iter().map(|r| r + 1).collect(),
                    found,
                    suggestion,
                },
            ))));
        }
    }
    // Required columns must exist.
    for (t, m) in targets.iter().zip(&matched) {
        if t.required && m.is_none() {
            let mut expected = t.user.clone();
            expected.extend(t.builtin.iter().cloned());
            return Err(ctx.err(SourceErrorKind::MissingColumn {
                field: t.key.clone(),
                expected,
            }));
        }
    }
    let mut stats = SourceStats {
        source: ctx.source_name.to_string(),
        fichier: ctx.file.to_string(),
        feuille: ctx.sheet.map(str::to_string),
        table: ctx.table.id().to_string(),
        lignes_entete: header.rows.iter().map(|r| r + 1).collect(),
        ..Default::default()
    };
    // Columns in play: (grid column, header display, role).
    let mut cols: Vec<(usize, String, Role)> = Vec::new();
    for ((m, role), _t) in matched.iter().zip(&roles).zip(&targets) {
        if let Some(ci) = m {
            let hc = &header.columns[*ci];
            cols.push((hc.index, hc.display(), role.clone()));
        }
    }
    let used: Vec<usize> = cols.iter().map(|c| c.0).collect();
    let (wide, set_aside) = wide_columns(ctx, grid, &header, &cols, issues);
    // Nothing silent: a column of the header that feeds nothing is reported (its header,
    // never its values), so a misspelt mapping or a forgotten field is visible.
    let unused: Vec<String> = header
        .columns
        .iter()
        .filter(|hc| {
            !used.contains(&hc.index)
                && !wide.iter().any(|w| w.index == hc.index)
                && !set_aside.contains(&hc.index)
        })
        .map(|hc| format!("« {} »", shorten(&hc.display(), 40)))
        .collect();
    if !unused.is_empty() && header_trusted {
        issues.push(ctx.issue(
            Some(format!("ligne {}", header.rows.last().map_or(1, |r| r + 1))),
            None,
            None,
            "colonnes_non_utilisees",
            Severity::Info,
            format!(
                "{} colonne(s) de l'en-tête ne correspondent à aucun champ de la table {} et ne sont pas lues : {} ; pour en lire une, ajoutez-la dans [sources.colonnes]",
                unused.len(),
                ctx.table.id(),
                unused.join(", ")
            ),
        ));
    }
    let sheet_year: Option<i32> = if ctx.spec.annee_depuis_feuille {
        match ctx
            .sheet
            .and_then(|s| s.trim().parse::<i32>().ok())
            .filter(|y| (1900..=2100).contains(y))
        {
            Some(y) => Some(y),
            None => {
                return Err(ctx.err(SourceErrorKind::Corrupt(
                    "le nom de la feuille n'est pas une année, alors que annee_depuis_feuille = true".into(),
                )));
            }
        }
    } else {
        None
    };
    let period = match ctx.spec.reference.as_ref().map(|r| r.periode.get_ref()) {
        Some(PeriodSel::Year(y)) => Some(*y),
        Some(PeriodSel::FromSheet(_)) => {
            let y = ctx.sheet.and_then(|s| s.trim().parse::<i32>().ok());
            if y.is_none() {
                return Err(ctx.err(SourceErrorKind::Corrupt(
                    "le nom de la feuille n'est pas une année, alors que periode = \"feuille\""
                        .into(),
                )));
            }
            y
        }
        None => None,
    };

    let mut pending: Vec<PendingRef> = Vec::new();
    let mut seen_data = false;
    let mut accepted: Vec<(usize, RowValues)> = Vec::new();
    let mut end_of_table: Option<usize> = None;
    let start = header.data_start();
    for r in start..grid.height() {
        if grid.row_is_empty(r) {
            // In a CSV file, blank lines (and the lines of a multi-line record) are not
            // the end of the table; in a workbook, `lire_apres_lignes_vides` reads past
            // them (a second block).
            if seen_data
                && end_of_table.is_none()
                && grid.text_layout.is_none()
                && !ctx.spec.lire_apres_lignes_vides
            {
                end_of_table = Some(r);
            }
            continue;
        }
        stats.lignes_lues += 1;
        if end_of_table.is_some() {
            bump(&mut stats.lignes_exclues, "sous_le_tableau");
            continue;
        }
        if is_total_row(ctx, grid, r) {
            bump(&mut stats.lignes_exclues, "ligne_total");
            issues.push(
                ctx.issue(
                    Some(format!("ligne {}", r + 1)),
                    None,
                    None,
                    "ligne_total",
                    Severity::Info,
                    "ligne de total ou de sous-total : mise de côté (les totaux sont recalculés)"
                        .into(),
                ),
            );
            continue;
        }
        if let Some(layout) = &grid.text_layout
            && let Some(reason) = text_structure(ctx, layout, &header, grid, r, &mut stats, issues)
        {
            seen_data = true;
            bump(&mut stats.lignes_rejetees, reason);
            continue;
        }
        if is_repeated_header(grid, r, &header, &cols, &wide) {
            bump(&mut stats.lignes_exclues, "entete_repete");
            issues.push(ctx.issue(
                Some(format!("ligne {}", r + 1)),
                None,
                None,
                "entete_repete",
                Severity::Info,
                "ligne d'en-tête répétée (début d'un nouveau bloc) : mise de côté".into(),
            ));
            continue;
        }
        // Interpret every column in play.
        let mut row = RowValues::default();
        let mut rejected: Option<&'static str> = None;
        let mut any_value = false;
        // Issues about empty required cells wait until the row is known to hold data: a
        // note or a footnote under the table is excluded, not rejected.
        let mut missing_required: Vec<Issue> = Vec::new();
        for (c, display, role) in &cols {
            let cell = grid.get(r, *c);
            let (kind, field_name, identifying, required) = match role {
                Role::Field(f) => (
                    f.kind,
                    f.name.to_string(),
                    f.identifying,
                    targets.iter().any(|t| t.key == f.name && t.required),
                ),
                Role::Measure(m) => (Kind::Number, m.clone(), false, false),
            };
            let mut parsed = values::parse(cell, kind, ctx.is_1904);
            let mut user_mapped = false;
            if let (Parsed::Value(Value::Text(t)), Role::Field(f)) = (&parsed, role)
                && let Some(mapped) = map_value(ctx.spec, f.name, t)
            {
                parsed = Parsed::Value(Value::Text(mapped));
                user_mapped = true;
            }
            let place = Some(cell_ref(r, *c));
            let col_name = Some(display.clone());
            match parsed {
                Parsed::Value(v) => {
                    any_value = true;
                    // Factors (`facteurs`): ETP written as percentages, for instance.
                    let v = match (
                        v,
                        ctx.spec
                            .facteurs
                            .iter()
                            .find(|(k, _)| *k.get_ref() == field_name),
                    ) {
                        (Value::Number(n), Some((_, f))) => Value::Number(n * f),
                        (v, _) => v,
                    };
                    let vetted = match role {
                        Role::Field(f) => vet(ctx, f, v, user_mapped),
                        Role::Measure(_) => Ok(v),
                    };
                    match vetted {
                        Ok(v) => {
                            row.values.insert(field_name, v);
                        }
                        Err(p) => {
                            let reject = p.reject || required;
                            if reject {
                                rejected.get_or_insert(p.code);
                            }
                            let sev = if reject {
                                Severity::Error
                            } else {
                                Severity::Warning
                            };
                            let effect = if reject {
                                "la ligne est rejetée"
                            } else {
                                "valeur laissée de côté (non renseignée)"
                            };
                            issues.push(ctx.issue(
                                place,
                                col_name,
                                Some(&field_name),
                                p.code,
                                sev,
                                format!("{} : {effect} ; {}", p.what, p.fix),
                            ));
                        }
                    }
                }
                Parsed::Missing(Missing::Empty) => {
                    if required {
                        rejected.get_or_insert("valeur_obligatoire_manquante");
                        missing_required.push(ctx.issue(place, col_name, Some(&field_name), "valeur_obligatoire_manquante", Severity::Error,
                            format!("valeur obligatoire absente ({}) : la ligne est rejetée ; complétez la cellule", field_label(role))));
                    }
                }
                Parsed::Missing(Missing::Marker(m)) => {
                    any_value = true;
                    let (sev, code) = if required {
                        (Severity::Error, "valeur_obligatoire_manquante")
                    } else {
                        (Severity::Info, "valeur_non_disponible")
                    };
                    if required {
                        rejected.get_or_insert(code);
                    }
                    issues.push(ctx.issue(place, col_name, Some(&field_name), code, sev,
                        format!("valeur signalée comme non disponible ({m}) pour {} : traitée comme manquante", field_label(role))));
                }
                Parsed::Missing(Missing::ErrorCell(e)) => {
                    any_value = true;
                    let sev = if required {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    if required {
                        rejected.get_or_insert("cellule_en_erreur");
                    }
                    issues.push(ctx.issue(place, col_name, Some(&field_name), "cellule_en_erreur", sev,
                        format!("cellule en erreur de formule ({e}) pour {} : corrigez la formule dans le tableur ; valeur traitée comme manquante", field_label(role))));
                }
                Parsed::Invalid(inv) => {
                    any_value = true;
                    let sev = if required {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    if required {
                        rejected.get_or_insert(inv.code());
                    }
                    // Never echo the value of an identifying or free-text cell.
                    let shown = match (identifying, kind, cell.as_text()) {
                        (
                            false,
                            Kind::Number | Kind::Integer | Kind::Bool | Kind::Month,
                            Some(t),
                        ) if t.chars().count() <= 20 && looks_numeric(&t) => {
                            format!(" (« {} »)", values::clean_text(&t))
                        }
                        _ => String::new(),
                    };
                    issues.push(ctx.issue(
                        place,
                        col_name,
                        Some(&field_name),
                        inv.code(),
                        sev,
                        format!(
                            "valeur illisible pour {}{shown} : {}",
                            field_label(role),
                            inv.hint()
                        ),
                    ));
                }
            }
        }
        if !any_value && wide.iter().all(|w| grid.get(r, w.index).is_empty()) {
            bump(&mut stats.lignes_exclues, "ligne_sans_donnees");
            continue;
        }
        issues.extend(missing_required);
        seen_data = true;
        if let Some(y) = sheet_year
            && !row.values.contains_key("annee")
        {
            row.values
                .insert("annee".into(), Value::Integer(i64::from(y)));
        }
        normalise_territory_fields(ctx, &mut row, r, &cols, issues);
        if rejected.is_none()
            && let Some(reason) = check_row(ctx, &mut row, r, issues)
        {
            rejected = Some(reason);
        }
        if let Some(reason) = rejected {
            bump(&mut stats.lignes_rejetees, reason);
            continue;
        }
        // Reference rows: the territory read with the territory table, then one row per
        // value column (pushed once the whole sheet is read: see `resolve_reference`).
        if ctx.table == Table::Reference {
            let mut refs = RefRow {
                stats: &mut stats,
                issues: &mut *issues,
                pending: &mut pending,
            };
            reference_row(ctx, grid, r, &row, &cols, &wide, period, &mut refs);
            continue;
        }
        accepted.push((r, row));
        stats.lignes_acceptees += 1;
    }
    // Checks across rows: exact duplicates, one person on too many simultaneous measures.
    let set_aside = across_rows(ctx, &accepted, issues);
    for (i, (_, row)) in accepted.iter().enumerate() {
        if let Some(reason) = set_aside.get(&i) {
            stats.lignes_acceptees -= 1;
            bump(&mut stats.lignes_rejetees, reason);
            continue;
        }
        builder.push_row(ctx, row);
        stats.lignes_produites += 1;
    }
    if ctx.table == Table::Reference {
        resolve_reference(ctx, pending, &mut stats, issues, builder);
        // A table read to the end without a single value is never silent.
        if stats.lignes_lues > 0 && stats.lignes_produites == 0 {
            issues.push(ctx.issue(
                None,
                None,
                None,
                "aucune_valeur_retenue",
                Severity::Warning,
                format!("aucune valeur retenue sur les {} ligne(s) lues de ce tableau : vérifiez la colonne du territoire (code_territoire), le niveau (niveau = \"departement\" ou \"region\") et les colonnes de valeurs", stats.lignes_lues),
            ));
        }
    }
    if let Some(end) = end_of_table
        && let Some(n) = stats.lignes_exclues.get("sous_le_tableau")
    {
        issues.push(ctx.issue(
            Some(format!("ligne {}", end + 1)),
            None,
            None,
            "sous_le_tableau",
            Severity::Warning,
            format!("le tableau s'arrête à la première ligne vide (ligne {}) : {n} ligne(s) non vide(s) en dessous (notes, second tableau) n'ont pas été lues ; si ce sont des données (un second bloc sous des lignes vides), ajoutez lire_apres_lignes_vides = true à cette source dans le pipeline, ou supprimez la ligne vide", end + 1),
        ));
    }
    Ok(stats)
}

fn field_label(role: &Role) -> String {
    match role {
        Role::Field(f) => format!("« {} » ({})", f.name, f.label),
        Role::Measure(m) => format!("« {m} »"),
    }
}

/// A value column of a wide reference table (`colonnes_larges`).
struct WideCol {
    index: usize,
    display: String,
    upper: Option<String>,
    lower: Option<String>,
    /// The column's header is a year: the period of its values.
    year: Option<i32>,
}

impl WideCol {
    /// Dimensions of the values: the header levels that are not the year.
    fn dims(&self) -> (Option<String>, Option<String>) {
        let keep = |t: &Option<String>| {
            t.as_deref()
                .filter(|t| header_year(t).is_none())
                .map(values::clean_text)
        };
        let (d1, d2) = (keep(&self.upper), keep(&self.lower));
        if d1.is_none() { (d2, None) } else { (d1, d2) }
    }
}

/// `2019` as a header (a four-digit year between 1900 and 2100).
fn header_year(t: &str) -> Option<i32> {
    let n = header::normalize(t);
    (n.len() == 4)
        .then(|| n.parse::<i32>().ok())
        .flatten()
        .filter(|y| (1900..=2100).contains(y))
}

/// Words of a header that name a code or a label, not a value.
const CODE_OR_LABEL_WORDS: &[&str] = &[
    "code",
    "codes",
    "libelle",
    "libelles",
    "lib",
    "nom",
    "noms",
    "departement",
    "departements",
    "dep",
    "region",
    "regions",
    "reg",
    "territoire",
    "territoires",
    "commune",
    "communes",
    "numero",
    "insee",
];

/// The value columns of a wide reference table: every header column not mapped to a
/// field, except those the pipeline excludes and those that hold codes or labels (by
/// their header, or because their cells are text): a column of codes summed as values
/// gives absurd figures.
fn wide_columns(
    ctx: &SheetContext,
    grid: &Grid,
    header: &Header,
    cols: &[(usize, String, Role)],
    issues: &mut Vec<Issue>,
) -> (Vec<WideCol>, Vec<usize>) {
    let Some(w) = ctx
        .spec
        .reference
        .as_ref()
        .and_then(|r| r.colonnes_larges.as_ref())
    else {
        return (Vec::new(), Vec::new());
    };
    let mut set_aside: Vec<usize> = Vec::new();
    let used: Vec<usize> = cols.iter().map(|c| c.0).collect();
    let excluded: Vec<String> = w.exclure.iter().map(|s| header::normalize(s)).collect();
    let mut out = Vec::new();
    for hc in header.columns.iter().filter(|hc| !used.contains(&hc.index)) {
        let keys = hc.keys();
        if keys.iter().any(|k| excluded.contains(k)) {
            continue;
        }
        let place = Some(cell_ref(header.rows.last().copied().unwrap_or(0), hc.index));
        let named_as_code = keys
            .iter()
            .any(|k| k.split(' ').any(|word| CODE_OR_LABEL_WORDS.contains(&word)));
        if named_as_code {
            issues.push(ctx.issue(
                place,
                Some(hc.display()),
                None,
                "colonne_de_codes",
                Severity::Info,
                "colonne laissée de côté par colonnes_larges : son en-tête désigne un code ou un libellé, pas une valeur".into(),
            ));
            set_aside.push(hc.index);
            continue;
        }
        // Text cells (other than missing-value markers) in most of the filled cells: codes
        // or labels, not values.
        let (mut filled, mut text) = (0usize, 0usize);
        for r in header.data_start()..grid.height() {
            let cell = grid.get(r, hc.index);
            match values::parse(cell, Kind::Number, ctx.is_1904) {
                Parsed::Missing(Missing::Empty) => {}
                Parsed::Value(_) | Parsed::Missing(_) => filled += 1,
                Parsed::Invalid(_) => {
                    filled += 1;
                    text += 1;
                }
            }
        }
        if filled > 0 && text * 2 > filled {
            issues.push(ctx.issue(
                place,
                Some(hc.display()),
                None,
                "colonne_de_codes",
                Severity::Warning,
                format!("colonne laissée de côté par colonnes_larges : {text} de ses {filled} cellules remplies sont du texte (codes ou libellés), pas des nombres ; si c'est une colonne de valeurs, corrigez ses cellules"),
            ));
            set_aside.push(hc.index);
            continue;
        }
        let year = hc
            .lower
            .as_deref()
            .and_then(header_year)
            .or_else(|| hc.upper.as_deref().and_then(header_year));
        out.push(WideCol {
            index: hc.index,
            display: hc.display(),
            upper: hc.upper.clone(),
            lower: hc.lower.clone(),
            year,
        });
    }
    if out.iter().any(|w| w.year.is_some()) {
        issues.push(ctx.issue(
            None,
            None,
            None,
            "colonnes_annees",
            Severity::Info,
            "colonnes larges par année : l'année de chaque valeur est lue dans l'en-tête de sa colonne (la période du pipeline ne s'applique pas à ces colonnes)".into(),
        ));
    }
    (out, set_aside)
}

/// A row that repeats the header (the top of a second block): at least two of the
/// columns in play hold their own header text, and they are most of the filled ones.
fn is_repeated_header(
    grid: &Grid,
    r: usize,
    header: &Header,
    cols: &[(usize, String, Role)],
    wide: &[WideCol],
) -> bool {
    let in_play = cols.iter().map(|c| c.0).chain(wide.iter().map(|w| w.index));
    let (mut filled, mut same) = (0usize, 0usize);
    for c in in_play {
        let Some(t) = grid.get(r, c).as_text().filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        filled += 1;
        let n = header::normalize(&t);
        if header
            .columns
            .iter()
            .find(|hc| hc.index == c)
            .is_some_and(|hc| {
                [&hc.upper, &hc.lower]
                    .into_iter()
                    .flatten()
                    .any(|h| header::normalize(h) == n)
            })
        {
            same += 1;
        }
    }
    same >= 2 && same * 2 > filled
}

/// Territory fields of the services (`departement`) and of the accompaniments
/// (`departement_residence`), read with the territory table: a département in any common
/// form becomes its code (`Cantal`, `15 - Cantal` → `15`); anything else (a région, a
/// collectivité d'outre-mer, a typo) is reported with its cell and left empty — never
/// silently kept.
fn normalise_territory_fields(
    ctx: &SheetContext,
    row: &mut RowValues,
    r: usize,
    cols: &[(usize, String, Role)],
    issues: &mut Vec<Issue>,
) {
    let (field, residence) = match ctx.table {
        Table::Services => (col::DEPARTMENT, false),
        Table::Accompaniments => ("departement_residence", true),
        _ => return,
    };
    let Some(text) = row.text(field) else { return };
    let found = if residence {
        crate::territory::department_of_residence(&text)
    } else {
        crate::territory::recognise(&text).department()
    };
    match found {
        Some(t) => {
            row.values
                .insert(field.to_string(), Value::Text(t.code.to_string()));
        }
        None => {
            row.values.remove(field);
            let (place, column) = cols
                .iter()
                .find(|(_, _, role)| matches!(role, Role::Field(f) if f.name == field))
                .map(|(c, d, _)| (Some(cell_ref(r, *c)), Some(d.clone())))
                .unwrap_or((Some(format!("ligne {}", r + 1)), None));
            let message = if residence {
                "département de résidence non reconnu (ni un département, ni le code commune ou postal d'une commune d'un département ; une collectivité d'outre-mer n'est pas un département) : traité comme non renseigné ; corrigez la cellule (ex. 15, 2A, 971, Cantal, 15014)"
            } else {
                "département non reconnu (ni un code ni un nom de département du Code officiel géographique ; une région ou une collectivité d'outre-mer n'est pas un département) : le service est compté sans département ; corrigez la cellule (ex. 15, 2A, 971, Cantal)"
            };
            issues.push(ctx.issue(
                place,
                column,
                Some(field),
                "territoire_inconnu",
                Severity::Warning,
                message.into(),
            ));
        }
    }
}

/// One reference value, waiting for the checks that need the whole sheet (Corsica
/// given twice, the parts of the Rhône, a territory given twice).
struct PendingRef {
    /// Grid row (0-based) and place of the territory cell.
    row: usize,
    place: String,
    variable: String,
    period: Option<i32>,
    dim1: Option<String>,
    dim2: Option<String>,
    code: String,
    label: Option<String>,
    value: f64,
}

/// What [`reference_row`] updates.
impl PendingRef {
    /// Key of the reference row: publisher, variable, period, level, territory, dimensions.
    fn key(&self, reference: &crate::pipeline::ReferenceSpec) -> RefKey {
        (
            reference.source.clone(),
            self.variable.clone(),
            self.period,
            reference.niveau.clone(),
            self.code.clone(),
            self.dim1.clone(),
            self.dim2.clone(),
        )
    }
}

struct RefRow<'a> {
    stats: &'a mut SourceStats,
    issues: &'a mut Vec<Issue>,
    pending: &'a mut Vec<PendingRef>,
}

/// Where a reference row's territory leads.
enum RowTerritory {
    Keep {
        code: String,
        name: Option<&'static str>,
    },
    Exclude(&'static str, Severity, &'static str),
    Reject(&'static str, &'static str),
}

/// Reads the territory of a reference row at the pipeline's level.
fn row_territory(level: &str, code_text: &str) -> RowTerritory {
    use crate::territory::{Level, Recognised, recognise, recognise_region};
    const UNKNOWN: &str = "territoire non reconnu : ni un code ni un nom du Code officiel géographique (ex. 01, 2A, 971, « 01 - Ain », « Ain ») : la ligne est rejetée ; corrigez la cellule";
    const CONFLICT: &str = "le code et le nom écrits dans la cellule désignent deux territoires différents : la ligne est rejetée ; corrigez la cellule";
    const TOTAL: &str = "ligne de total (France, métropole, outre-mer) : mise de côté (les totaux sont recalculés à partir des territoires)";
    const COM: &str = "collectivité d'outre-mer (Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin, Wallis-et-Futuna, Polynésie française, Nouvelle-Calédonie) : ce n'est ni un département ni une région, la ligne est mise de côté";
    let by_level = crate::territory::fold(level);
    let recognised = match by_level.as_str() {
        "DEPARTEMENT" => recognise(code_text),
        "REGION" => recognise_region(code_text),
        _ => {
            return RowTerritory::Keep {
                code: normalise_territory_code(code_text),
                name: None,
            };
        }
    };
    let regions = by_level == "REGION";
    match recognised {
        Recognised::Unknown => RowTerritory::Reject("territoire_inconnu", UNKNOWN),
        Recognised::Conflict => RowTerritory::Reject("territoire_incoherent", CONFLICT),
        Recognised::Total(_) => RowTerritory::Exclude("ligne_total", Severity::Info, TOTAL),
        Recognised::Known(t) => match (t.level, regions) {
            (Level::OverseasCollectivity, _) => {
                RowTerritory::Exclude("territoire_hors_niveau", Severity::Warning, COM)
            }
            (Level::Region, false) => RowTerritory::Exclude(
                "territoire_hors_niveau",
                Severity::Info,
                "ligne d'une région, pas d'un département : mise de côté",
            ),
            (Level::Region, true) => RowTerritory::Keep {
                code: t.code.to_string(),
                name: Some(t.name),
            },
            (_, true) => RowTerritory::Exclude(
                "territoire_hors_niveau",
                Severity::Info,
                "ligne d'un département, pas d'une région : mise de côté",
            ),
            (_, false) => RowTerritory::Keep {
                code: t.code.to_string(),
                name: Some(t.name),
            },
        },
    }
}

/// One row of a reference table: its values (measures, wide columns) and its territory.
#[allow(clippy::too_many_arguments)]
fn reference_row(
    ctx: &SheetContext,
    grid: &Grid,
    r: usize,
    row: &RowValues,
    cols: &[(usize, String, Role)],
    wide: &[WideCol],
    period: Option<i32>,
    out: &mut RefRow,
) {
    let Some(reference) = &ctx.spec.reference else {
        out.stats.lignes_acceptees += 1;
        return;
    };
    // The values of the row: (variable, period, dim1, dim2, value).
    type RowValue = (String, Option<i32>, Option<String>, Option<String>, f64);
    let mut found: Vec<RowValue> = Vec::new();
    for (_, _, role) in cols {
        if let Role::Measure(var) = role
            && let Some(v) = row.number(var)
        {
            found.push((var.clone(), period, None, None, v));
        }
    }
    let variable = reference
        .colonnes_larges
        .as_ref()
        .map(|w| w.variable.clone())
        .unwrap_or_default();
    for w in wide {
        let cell = grid.get(r, w.index);
        match values::parse(cell, Kind::Number, ctx.is_1904) {
            Parsed::Value(Value::Number(v)) => {
                let (d1, d2) = w.dims();
                found.push((variable.clone(), w.year.or(period), d1, d2, v));
            }
            Parsed::Missing(Missing::Empty) => {}
            Parsed::Missing(Missing::Marker(m)) => out.issues.push(ctx.issue(
                Some(cell_ref(r, w.index)),
                Some(w.display.clone()),
                None,
                "valeur_non_disponible",
                Severity::Info,
                format!("valeur signalée comme non disponible ({m})"),
            )),
            _ => out.issues.push(ctx.issue(
                Some(cell_ref(r, w.index)),
                Some(w.display.clone()),
                None,
                "nombre_invalide",
                Severity::Warning,
                format!("valeur illisible : {}", values::Invalid::NotANumber.hint()),
            )),
        }
    }
    let code_col = cols
        .iter()
        .find(|(_, _, role)| matches!(role, Role::Field(f) if f.name == col::REF_CODE))
        .map(|c| c.0);
    let place = code_col.map_or_else(|| format!("ligne {}", r + 1), |c| cell_ref(r, c));
    let code_text = row.text(col::REF_CODE).unwrap_or_default();
    let label = row.text(col::REF_LABEL);
    let territory = row_territory(&reference.niveau, &code_text);
    if found.is_empty() && !matches!(territory, RowTerritory::Keep { .. }) {
        // No value and no territory: a note, a footnote, a title.
        bump(&mut out.stats.lignes_exclues, "ligne_sans_valeur");
        out.issues.push(ctx.issue(
            Some(format!("ligne {}", r + 1)),
            None,
            None,
            "ligne_sans_valeur",
            Severity::Info,
            "ligne sans valeur ni territoire (note, renvoi, titre) : mise de côté".into(),
        ));
        return;
    }
    match territory {
        RowTerritory::Reject(code, message) => {
            bump(&mut out.stats.lignes_rejetees, code);
            out.issues.push(ctx.issue(
                Some(place),
                None,
                Some(col::REF_CODE),
                code,
                Severity::Error,
                message.into(),
            ));
        }
        RowTerritory::Exclude(code, severity, message) => {
            bump(&mut out.stats.lignes_exclues, code);
            out.issues.push(ctx.issue(
                Some(place),
                None,
                Some(col::REF_CODE),
                code,
                severity,
                message.into(),
            ));
        }
        RowTerritory::Keep { code, name } => {
            // A label that names another territory than the code: reported, the code wins.
            if let (Some(t), Some(l)) =
                (name.and_then(|_| crate::territory::by_code(&code)), &label)
                && let crate::territory::Recognised::Known(by_label) =
                    crate::territory::recognise(l)
                && by_label.code != t.code
                && by_label.name != t.name
                && !(t.code == "20" && by_label.code == "94")
            {
                out.issues.push(ctx.issue(
                    Some(place.clone()),
                    None,
                    Some(col::REF_LABEL),
                    "libelle_territoire_different",
                    Severity::Warning,
                    "le libellé désigne un autre territoire que le code (Code officiel géographique) : le code est retenu ; vérifiez la ligne".into(),
                ));
            }
            out.stats.lignes_acceptees += 1;
            let label = label.or_else(|| name.map(str::to_string));
            for (variable, period, dim1, dim2, value) in found {
                out.pending.push(PendingRef {
                    row: r,
                    place: place.clone(),
                    variable,
                    period,
                    dim1,
                    dim2,
                    code: code.clone(),
                    label: label.clone(),
                    value,
                });
            }
        }
    }
}

/// Pushes the reference values of one sheet after the checks that need the whole sheet,
/// for each variable, period and dimensions:
/// - a territory given twice is counted once (the first row);
/// - the parts of the Rhône (69D, 69M) are set aside when the Rhône (69) is given, and
///   add up to it when it is not (both parts needed);
/// - Corsica is never counted twice: `20` beside `2A`/`2B` is set aside (2A and 2B are
///   kept); `20` alone is kept as Corsica as a whole.
///
/// A row whose values are all set aside moves from accepted to excluded.
fn resolve_reference(
    ctx: &SheetContext,
    pending: Vec<PendingRef>,
    stats: &mut SourceStats,
    issues: &mut Vec<Issue>,
    builder: &mut TableBuilder,
) {
    let Some(reference) = &ctx.spec.reference else {
        return;
    };
    type GroupKey<'a> = (&'a str, Option<i32>, Option<&'a str>, Option<&'a str>);
    let mut groups: BTreeMap<GroupKey, Vec<usize>> = BTreeMap::new();
    for (i, p) in pending.iter().enumerate() {
        groups
            .entry((&p.variable, p.period, p.dim1.as_deref(), p.dim2.as_deref()))
            .or_default()
            .push(i);
    }
    // Why a value is set aside: (reason, severity, message).
    let mut dropped: Vec<Option<(&'static str, Severity, String)>> = vec![None; pending.len()];
    let mut merged_rows: Vec<usize> = Vec::new();
    let mut merged: Vec<PendingRef> = Vec::new();
    for idxs in groups.values() {
        let mut first: BTreeMap<&str, usize> = BTreeMap::new();
        for &i in idxs {
            match first.get(pending[i].code.as_str()) {
                Some(&f) => {
                    dropped[i] = Some((
                        "territoire_en_double",
                        Severity::Warning,
                        format!(
                            "territoire déjà donné ligne {} pour la même variable : cette ligne n'est pas comptée une seconde fois ; supprimez le doublon",
                            pending[f].row + 1
                        ),
                    ));
                }
                None => {
                    first.insert(&pending[i].code, i);
                }
            }
        }
        let kept = |code: &str| first.get(code).copied();
        let parts: Vec<usize> = ["69D", "69M"].iter().filter_map(|c| kept(c)).collect();
        if !parts.is_empty() {
            if let Some(rhone) = kept("69") {
                for &p in &parts {
                    dropped[p] = Some((
                        "partie_de_departement",
                        Severity::Info,
                        format!(
                            "partie du Rhône (69D ou 69M) : mise de côté, le Rhône (69) est donné ligne {}",
                            pending[rhone].row + 1
                        ),
                    ));
                }
            } else if parts.len() == 2 {
                let value: f64 = parts.iter().map(|&p| pending[p].value).sum();
                let p0 = &pending[parts[0]];
                merged.push(PendingRef {
                    row: p0.row,
                    place: p0.place.clone(),
                    variable: p0.variable.clone(),
                    period: p0.period,
                    dim1: p0.dim1.clone(),
                    dim2: p0.dim2.clone(),
                    code: "69".into(),
                    label: crate::territory::department("69").map(|t| t.name.to_string()),
                    value,
                });
                for &p in &parts {
                    merged_rows.push(pending[p].row);
                    dropped[p] = Some((
                        "partie_de_departement",
                        Severity::Info,
                        "le Rhône (69) n'est pas donné : il est compté comme la somme de ses deux parties (69D et 69M)".into(),
                    ));
                }
            } else {
                for &p in &parts {
                    dropped[p] = Some((
                        "partie_de_departement",
                        Severity::Warning,
                        "une seule des deux parties du Rhône (69D, 69M) est donnée, sans le Rhône (69) : elle est mise de côté et le Rhône n'est pas compté ; ajoutez l'autre partie ou la ligne du Rhône".into(),
                    ));
                }
            }
        }
        if let Some(corse) = kept("20") {
            let (a, b) = (kept("2A").is_some(), kept("2B").is_some());
            if a || b {
                let (severity, message) = if a && b {
                    (Severity::Info, "Corse (20) donnée en plus de la Corse-du-Sud (2A) et de la Haute-Corse (2B) : mise de côté pour ne pas compter la Corse deux fois".to_string())
                } else {
                    (Severity::Warning, "Corse (20) donnée en plus d'un seul des deux départements corses (2A ou 2B) : mise de côté pour ne pas compter la Corse deux fois ; la Corse est incomplète, ajoutez l'autre département".to_string())
                };
                dropped[corse] = Some(("corse_en_double", severity, message));
            }
        }
    }
    // A value already given by an earlier sheet or file of the same publisher.
    for (p, d) in pending.iter().zip(dropped.iter_mut()) {
        let key = p.key(reference);
        if d.is_none() && builder.has_reference(&key) {
            *d = Some((
                "territoire_en_double",
                Severity::Warning,
                "territoire déjà donné par une autre feuille ou un autre fichier pour la même variable et la même période : cette valeur n'est pas ajoutée ; vérifiez la période (periode = \"feuille\" pour une feuille par année) ou retirez le doublon".into(),
            ));
        }
    }
    // Issues (one per row and reason) and row accounting.
    let mut rows: BTreeMap<usize, (usize, Option<&'static str>)> = BTreeMap::new();
    let mut reported: Vec<(usize, &'static str)> = Vec::new();
    for (p, d) in pending.iter().zip(&dropped) {
        let e = rows.entry(p.row).or_insert((0, None));
        match d {
            None => e.0 += 1,
            Some((reason, severity, message)) => {
                e.1.get_or_insert(reason);
                if !reported.contains(&(p.row, reason)) {
                    reported.push((p.row, reason));
                    issues.push(ctx.issue(
                        Some(p.place.clone()),
                        None,
                        Some(col::REF_CODE),
                        reason,
                        *severity,
                        message.clone(),
                    ));
                }
            }
        }
    }
    for (row, (kept, reason)) in &rows {
        if *kept == 0
            && !merged_rows.contains(row)
            && let Some(reason) = reason
        {
            stats.lignes_acceptees = stats.lignes_acceptees.saturating_sub(1);
            bump(&mut stats.lignes_exclues, reason);
        }
    }
    for p in pending
        .into_iter()
        .zip(dropped)
        .filter(|(_, d)| d.is_none())
        .map(|(p, _)| p)
        .chain(merged)
    {
        let key = p.key(reference);
        if builder.has_reference(&key) {
            // Only the Rhône made of its two parts can get here (the other values were
            // checked above).
            issues.push(ctx.issue(
                Some(p.place.clone()),
                None,
                Some(col::REF_CODE),
                "territoire_en_double",
                Severity::Warning,
                "territoire déjà donné par une autre feuille ou un autre fichier pour la même variable et la même période : cette valeur n'est pas ajoutée".into(),
            ));
            continue;
        }
        builder.push_reference(
            ctx,
            &reference.source,
            &p.variable,
            p.period,
            &reference.niveau,
            &p.code,
            p.label.as_deref(),
            p.dim1,
            p.dim2,
            p.value,
        );
        stats.lignes_produites += 1;
    }
}

/// Why a value read is not used.
struct Problem {
    code: &'static str,
    /// What is wrong, in French, without the value when it may identify someone.
    what: String,
    /// What to do.
    fix: String,
    /// The row is rejected (else the value alone is set aside).
    reject: bool,
}

/// `true` when a text is made of digits and number punctuation only (safe to quote in a
/// message: it cannot be a name).
fn looks_numeric(t: &str) -> bool {
    t.chars().any(|c| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_digit() || " .,-+%/:eE\u{a0}\u{202f}".contains(c))
}

/// French number for messages: `100 000`, `0,5`.
fn french_number(x: f64) -> String {
    if x.abs() >= 1e12 {
        return format!("{x:e}").replace('.', ",");
    }
    let decimals = if x.fract() == 0.0 { 0 } else { 2 };
    crate::format::number_fr(x, decimals)
}

/// Checks a value against its field's closed vocabulary, the services table and the
/// plausible ranges (docs/architecture.md, « Contrôles des valeurs »).
fn vet(
    ctx: &SheetContext,
    f: &'static Field,
    v: Value,
    user_mapped: bool,
) -> Result<Value, Problem> {
    match v {
        Value::Text(t) => {
            if f.name == col::SERVICE
                && ctx.table != Table::Services
                && let Some(known) = ctx.known_services
            {
                return match known.get(&values::fold(&t)) {
                    Some(code) => Ok(Value::Text(code.clone())),
                    None => Err(Problem {
                        code: "service_inconnu",
                        what: "code de service absent du référentiel des services".into(),
                        fix: "corrigez le code, ou ajoutez le service à la table services du pipeline (ses chiffres ne peuvent être rattachés ni à un type, ni à un territoire)".into(),
                        reject: true,
                    }),
                };
            }
            if user_mapped {
                return Ok(Value::Text(t));
            }
            match crate::vocabulary::of(ctx.table, f.name) {
                None => Ok(Value::Text(t)),
                Some(terms) => match crate::vocabulary::recognise(terms, &t) {
                    Some(label) => Ok(Value::Text(label.to_string())),
                    None => Err(Problem {
                        code: "valeur_hors_vocabulaire",
                        what: format!(
                            "valeur qui n'est pas une modalité connue de {} (le contenu n'est pas reproduit : ce peut être un nom saisi dans la mauvaise colonne)",
                            field_label(&Role::Field(f))
                        ),
                        fix: format!(
                            "si c'est une vraie modalité, déclarez-la dans [sources.valeurs.{}] du pipeline (\"libellé du fichier\" = \"libellé publié\") ; modalités connues : docs/vocabulaires.md",
                            f.name
                        ),
                        reject: false,
                    }),
                },
            }
        }
        Value::Number(n) => match crate::tables::plausible_range(ctx.table, f.name) {
            Some((lo, hi)) if !(lo..=hi).contains(&n) => Err(Problem {
                code: "valeur_hors_limites",
                what: format!(
                    "valeur invraisemblable pour {} (« {} ») : attendu entre {} et {}",
                    field_label(&Role::Field(f)),
                    french_number(n),
                    french_number(lo),
                    french_number(hi)
                ),
                fix: "corrigez la cellule (une capacité ou un nombre de journées nul, négatif ou démesuré fausserait tous les taux)".into(),
                reject: false,
            }),
            _ => Ok(Value::Number(n)),
        },
        Value::Integer(i) => match crate::tables::plausible_range(ctx.table, f.name) {
            Some((lo, hi)) if !(lo..=hi).contains(&(i as f64)) => Err(Problem {
                code: "valeur_hors_limites",
                what: format!(
                    "valeur invraisemblable pour {} (« {i} ») : attendu entre {} et {}",
                    field_label(&Role::Field(f)),
                    french_number(lo),
                    french_number(hi)
                ),
                fix: "corrigez la cellule".into(),
                reject: false,
            }),
            _ => Ok(Value::Integer(i)),
        },
        Value::Date(d) => {
            use chrono::Datelike;
            let earliest = crate::tables::earliest_year(ctx.table, f.name);
            if d.year() < earliest || d > ctx.checks.latest_date {
                let dates_of_presence = matches!(
                    f.name,
                    "date_debut" | "date_fin" | "date_entree" | "date_sortie"
                );
                Err(Problem {
                    code: "date_invraisemblable",
                    what: format!(
                        "date invraisemblable pour {} : attendue entre le 01/01/{earliest} et le {}",
                        field_label(&Role::Field(f)),
                        ctx.checks.latest_date.format("%d/%m/%Y")
                    ),
                    fix: "vérifiez l'année (faute de frappe ?)".into(),
                    // A wrong start or end date changes who is counted in which year.
                    reject: dates_of_presence,
                })
            } else {
                Ok(Value::Date(d))
            }
        }
        other => Ok(other),
    }
}

/// Structure checks of a CSV line: an unclosed quote that swallowed the lines below, or
/// a number of fields that does not match the header (every value would be shifted).
/// Returns the rejection reason.
fn text_structure(
    ctx: &SheetContext,
    layout: &grid::TextLayout,
    header: &Header,
    grid: &Grid,
    r: usize,
    stats: &mut SourceStats,
    issues: &mut Vec<Issue>,
) -> Option<&'static str> {
    if let Some(&(first, last, swallowed)) = layout.swallowed.iter().find(|(f, ..)| *f == r) {
        // The swallowed non-blank lines were lines of the file: read, and rejected with
        // this one.
        stats.lignes_lues += swallowed;
        *stats
            .lignes_rejetees
            .entry("guillemet_non_ferme".into())
            .or_default() += swallowed;
        issues.push(ctx.issue(
            Some(format!("ligne {}", first + 1)),
            None,
            None,
            "guillemet_non_ferme",
            Severity::Error,
            format!(
                "un guillemet ouvert ligne {} n'est refermé que ligne {} : les lignes {} à {} ont été lues comme une seule valeur ; ces {} lignes sont rejetées ; corrigez le guillemet dans le fichier (une valeur entre guillemets doit se terminer par un guillemet)",
                first + 1,
                last + 1,
                first + 1,
                last + 1,
                swallowed + 1
            ),
        ));
        return Some("guillemet_non_ferme");
    }
    let header_raw = header
        .rows
        .iter()
        .filter_map(|h| layout.fields.get(*h))
        .copied()
        .max()
        .unwrap_or(0);
    let header_named = header
        .columns
        .iter()
        .map(|c| c.index + 1)
        .max()
        .unwrap_or(0);
    let raw = layout.fields.get(r).copied().unwrap_or(0);
    let filled = grid.rows.get(r).map_or(0, Vec::len);
    if filled > header_raw.max(header_named) || raw < header_named {
        issues.push(ctx.issue(
            Some(format!("ligne {}", r + 1)),
            None,
            None,
            "nombre_de_champs",
            Severity::Error,
            format!(
                "la ligne compte {raw} champ(s) alors que l'en-tête en compte {} : ses valeurs seraient décalées d'une colonne à l'autre ; la ligne est rejetée ; vérifiez les séparateurs de cette ligne (une valeur contenant le séparateur doit être entre guillemets)",
                header_raw.max(header_named)
            ),
        ));
        return Some("nombre_de_champs");
    }
    None
}

/// Checks across the accepted rows of one sheet. Returns the rows to reject (index in
/// `rows`) with their reason:
/// - an exact duplicate of an earlier row (every column read is equal) would be counted
///   twice — satisfaction questionnaires without a number are exempt, identical
///   unnumbered questionnaires being normal;
/// - one person (same nom, prénom, date de naissance — or same file number) with more
///   than `[controles] mesures_simultanees_max` measures at once in one service.
fn across_rows(
    ctx: &SheetContext,
    rows: &[(usize, RowValues)],
    issues: &mut Vec<Issue>,
) -> BTreeMap<usize, &'static str> {
    let mut out = BTreeMap::new();
    if ctx.table == Table::Reference {
        return out;
    }
    let mut first_seen: std::collections::HashMap<String, usize> = Default::default();
    for (i, (r, row)) in rows.iter().enumerate() {
        if ctx.table == Table::Satisfaction && !row.values.contains_key("numero") {
            continue;
        }
        let key = format!("{:?}", row.values);
        match first_seen.get(&key) {
            Some(&j) => {
                out.insert(i, "ligne_en_double");
                issues.push(ctx.issue(
                    Some(format!("ligne {}", r + 1)),
                    None,
                    None,
                    "ligne_en_double",
                    Severity::Error,
                    format!(
                        "ligne identique à la ligne {} (toutes les colonnes lues) : rejetée pour ne pas compter deux fois la même personne ou la même mesure ; supprimez le doublon",
                        rows[j].0 + 1
                    ),
                ));
            }
            None => {
                first_seen.insert(key, i);
            }
        }
    }
    if ctx.table != Table::Accompaniments {
        return out;
    }
    // Intervals of each person in each service (exact duplicates already set aside).
    type PersonKey = (String, String, String, String, String);
    let mut people: BTreeMap<PersonKey, Vec<(usize, NaiveDate, NaiveDate)>> = BTreeMap::new();
    for (i, (_, row)) in rows.iter().enumerate() {
        if out.contains_key(&i) {
            continue;
        }
        let text = |k: &str| row.text(k).map(|t| values::fold(&t)).unwrap_or_default();
        let birth = match row.values.get("date_naissance") {
            Some(Value::Date(d)) => d.to_string(),
            _ => String::new(),
        };
        let (nom, prenom, dossier) = (text("nom"), text("prenom"), text("numero_dossier"));
        let known = [&nom, &prenom, &birth]
            .iter()
            .filter(|s| !s.is_empty())
            .count();
        if known < 3 && dossier.is_empty() {
            continue;
        }
        let service = row
            .text(col::SERVICE)
            .or_else(|| ctx.spec.service.clone())
            .unwrap_or_default();
        let (Some(Value::Date(start)), end) =
            (row.values.get("date_debut"), row.values.get("date_fin"))
        else {
            continue;
        };
        let end = match end {
            Some(Value::Date(e)) => *e,
            _ => NaiveDate::MAX,
        };
        people
            .entry((service, dossier, nom, prenom, birth))
            .or_default()
            .push((i, *start, end));
    }
    let max = ctx.checks.max_simultaneous;
    for spans in people.values() {
        if spans.len() <= max {
            continue;
        }
        // Sweep: starts before ends on the same day (both ends are inclusive).
        let mut events: Vec<(NaiveDate, i8)> = spans
            .iter()
            .flat_map(|(_, s, e)| [(*s, -1i8), (e.succ_opt().unwrap_or(NaiveDate::MAX), 1)])
            .collect();
        events.sort();
        let (mut open, mut peak) = (0i64, 0i64);
        for (_, kind) in events {
            open -= i64::from(kind);
            peak = peak.max(open);
        }
        if peak as usize <= max {
            continue;
        }
        let lines: Vec<String> = spans
            .iter()
            .take(8)
            .map(|(i, ..)| (rows[*i].0 + 1).to_string())
            .collect();
        let more = if spans.len() > 8 { ", …" } else { "" };
        for (i, ..) in spans {
            out.insert(*i, "mesures_simultanees");
            issues.push(ctx.issue(
                Some(format!("ligne {}", rows[*i].0 + 1)),
                None,
                None,
                "mesures_simultanees",
                Severity::Error,
                format!(
                    "la même personne a {peak} mesures en cours en même temps dans ce service (lignes {}{more}), plus que le maximum plausible de {max} : ses {} lignes sont rejetées ; vérifiez les doublons et les dates de fin (maximum réglable : [controles] mesures_simultanees_max)",
                    lines.join(", "),
                    spans.len()
                ),
            ));
        }
    }
    out
}

/// Applies `[sources.valeurs.<field>]`, comparing without case or accents.
fn map_value(spec: &SourceSpec, field: &str, text: &str) -> Option<String> {
    let map = spec
        .valeurs
        .iter()
        .find(|(k, _)| k.get_ref() == field)
        .map(|(_, v)| v)?;
    let key = values::fold(text);
    map.iter()
        .find(|(raw, _)| values::fold(raw) == key)
        .map(|(_, v)| v.clone())
}

/// Table-specific coherence checks. Returns a rejection reason.
fn check_row(
    ctx: &SheetContext,
    row: &mut RowValues,
    r: usize,
    issues: &mut Vec<Issue>,
) -> Option<&'static str> {
    match ctx.table {
        Table::Accompaniments => {
            if let (Some(Value::Date(birth)), Some(Value::Date(start))) = (
                row.values.get("date_naissance"),
                row.values.get("date_debut"),
            ) && birth > start
            {
                issues.push(ctx.issue(Some(format!("ligne {}", r + 1)), None, Some("date_naissance"), "naissance_apres_debut", Severity::Warning,
                    "la date de naissance est postérieure à la date de début de la mesure : date de naissance laissée de côté (âge non renseigné) ; corrigez l'une des deux dates".into()));
                row.values.remove("date_naissance");
            }
            if let (Some(Value::Date(a)), Some(Value::Date(b))) =
                (row.values.get("date_debut"), row.values.get("date_fin"))
                && b < a
            {
                issues.push(ctx.issue(Some(format!("ligne {}", r + 1)), None, Some("date_fin"), "dates_incoherentes", Severity::Error,
                    "la date de fin précède la date de début : la ligne est rejetée ; corrigez l'une des deux dates".into()));
                return Some("dates_incoherentes");
            }
            None
        }
        Table::Activity => {
            let month_year = match row.values.get("mois") {
                Some(Value::Month { year, .. }) => *year,
                _ => None,
            };
            if !row.values.contains_key("annee") {
                match month_year {
                    Some(y) => {
                        row.values
                            .insert("annee".into(), Value::Integer(i64::from(y)));
                    }
                    None => {
                        issues.push(ctx.issue(Some(format!("ligne {}", r + 1)), None, Some("annee"), "annee_manquante", Severity::Error,
                            "année introuvable (ni colonne année, ni mois sous forme de date) : la ligne est rejetée".into()));
                        return Some("annee_manquante");
                    }
                }
            }
            None
        }
        Table::Training | Table::Satisfaction => {
            let date_field = if ctx.table == Table::Training {
                "date"
            } else {
                "date_envoi"
            };
            if !row.values.contains_key("annee") {
                match row.values.get(date_field) {
                    Some(Value::Date(d)) => {
                        use chrono::Datelike;
                        row.values
                            .insert("annee".into(), Value::Integer(i64::from(d.year())));
                    }
                    _ => {
                        issues.push(ctx.issue(Some(format!("ligne {}", r + 1)), None, Some("annee"), "annee_manquante", Severity::Error,
                            "année introuvable (ni colonne année, ni date) : la ligne est rejetée".into()));
                        return Some("annee_manquante");
                    }
                }
            }
            None
        }
        _ => None,
    }
}

/// Territory codes of a level the territory table does not cover: trimmed, upper case,
/// `1` → `01`.
fn normalise_territory_code(code: &str) -> String {
    let c = code.trim().to_uppercase();
    if c.len() == 1 && c.chars().all(|ch| ch.is_ascii_digit()) {
        format!("0{c}")
    } else {
        c
    }
}

/// Canonical codes of départements (01–19, 2A, 2B, 21–95, 971–974, 976) and the
/// historical `20` that DREES uses for Corsica as a whole, from the territory table. Not
/// départements: the parts of the Rhône (69D, 69M), the collectivités d'outre-mer (975,
/// 977, 978, 986–988), régions, totals.
pub fn is_department_code(code: &str) -> bool {
    crate::territory::department(code).is_some()
}

#[derive(Debug, Default)]
struct RowValues {
    values: BTreeMap<String, Value>,
}

impl RowValues {
    fn text(&self, k: &str) -> Option<String> {
        match self.values.get(k)? {
            Value::Text(t) => Some(t.clone()),
            Value::Integer(i) => Some(i.to_string()),
            Value::Number(n) => Some(grid::Cell::Number(*n).as_text().unwrap_or_default()),
            _ => None,
        }
    }
    fn number(&self, k: &str) -> Option<f64> {
        match self.values.get(k)? {
            Value::Number(n) => Some(*n),
            Value::Integer(i) => Some(*i as f64),
            _ => None,
        }
    }
}

/// Column-wise accumulation of one canonical table.
struct TableBuilder {
    table: Table,
    columns: Vec<(String, ColumnData)>,
    height: usize,
    /// Reference rows by key (publisher, variable, period, level, code, dimensions): a
    /// key is given once; a second value for it (another sheet or file) is reported and
    /// left out, never added up.
    reference_keys: BTreeMap<RefKey, usize>,
}

type RefKey = (
    String,
    String,
    Option<i32>,
    String,
    String,
    Option<String>,
    Option<String>,
);

enum ColumnData {
    Text(Vec<Option<String>>),
    Date(Vec<Option<i32>>),
    Int(Vec<Option<i32>>),
    Num(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
}

fn epoch_days(d: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (d - epoch).num_days() as i32
}

impl TableBuilder {
    fn new(table: Table) -> TableBuilder {
        let mut columns: Vec<(String, ColumnData)> = Vec::new();
        let text = |n: &str| (n.to_string(), ColumnData::Text(Vec::new()));
        match table {
            Table::Reference => {
                columns.push(text(col::SOURCE));
                columns.push(text(col::REF_SOURCE));
                columns.push(text(col::REF_VARIABLE));
                columns.push((col::REF_PERIOD.into(), ColumnData::Int(Vec::new())));
                columns.push(text(col::REF_LEVEL));
                columns.push(text(col::REF_CODE));
                columns.push(text(col::REF_LABEL));
                columns.push(text(col::REF_DIM1));
                columns.push(text(col::REF_DIM2));
                columns.push((col::REF_VALUE.into(), ColumnData::Num(Vec::new())));
            }
            _ => {
                columns.push(text(col::SOURCE));
                if !table.fields().iter().any(|f| f.name == col::ORGANISATION) {
                    columns.push(text(col::ORGANISATION));
                }
                for f in table.fields() {
                    let data = match f.kind {
                        Kind::Text => ColumnData::Text(Vec::new()),
                        Kind::Date => ColumnData::Date(Vec::new()),
                        Kind::Integer | Kind::Month => ColumnData::Int(Vec::new()),
                        Kind::Number => ColumnData::Num(Vec::new()),
                        Kind::Bool => ColumnData::Bool(Vec::new()),
                    };
                    columns.push((f.name.to_string(), data));
                }
            }
        }
        TableBuilder {
            table,
            columns,
            height: 0,
            reference_keys: BTreeMap::new(),
        }
    }

    fn push_row(&mut self, ctx: &SheetContext, row: &RowValues) {
        for (name, data) in &mut self.columns {
            let v = row.values.get(name.as_str());
            match data {
                ColumnData::Text(vec) => vec.push(match name.as_str() {
                    col::SOURCE => Some(ctx.source_name.to_string()),
                    col::ORGANISATION if v.is_none() => ctx.spec.organisation.clone(),
                    col::SERVICE if v.is_none() => ctx.spec.service.clone(),
                    _ => match v {
                        Some(Value::Text(t)) => Some(t.clone()),
                        Some(Value::Integer(i)) => Some(i.to_string()),
                        Some(Value::Number(n)) => grid::Cell::Number(*n).as_text(),
                        _ => None,
                    },
                }),
                ColumnData::Date(vec) => vec.push(match v {
                    Some(Value::Date(d)) => Some(epoch_days(*d)),
                    _ => None,
                }),
                ColumnData::Int(vec) => vec.push(match v {
                    Some(Value::Integer(i)) => i32::try_from(*i).ok(),
                    Some(Value::Month { month, .. }) => Some(*month as i32),
                    _ => None,
                }),
                ColumnData::Num(vec) => vec.push(match v {
                    Some(Value::Number(n)) => Some(*n),
                    Some(Value::Integer(i)) => Some(*i as f64),
                    _ => None,
                }),
                ColumnData::Bool(vec) => vec.push(match v {
                    Some(Value::Bool(b)) => Some(*b),
                    _ => None,
                }),
            }
        }
        self.height += 1;
    }

    /// Whether a reference value with this key (publisher, variable, period, level,
    /// code, dimensions) is already in the table.
    fn has_reference(&self, key: &RefKey) -> bool {
        self.reference_keys.contains_key(key)
    }

    #[allow(clippy::too_many_arguments)]
    fn push_reference(
        &mut self,
        ctx: &SheetContext,
        publisher: &str,
        variable: &str,
        period: Option<i32>,
        level: &str,
        code: &str,
        label: Option<&str>,
        dim1: Option<String>,
        dim2: Option<String>,
        value: f64,
    ) {
        let key: RefKey = (
            publisher.to_string(),
            variable.to_string(),
            period,
            level.to_string(),
            code.to_string(),
            dim1.clone(),
            dim2.clone(),
        );
        // A key already given (by another sheet or file) is never added up: the caller
        // reports it (see `has_reference`).
        if self.reference_keys.contains_key(&key) {
            return;
        }
        self.reference_keys.insert(key, self.height);
        for (name, data) in &mut self.columns {
            match data {
                ColumnData::Text(vec) => vec.push(match name.as_str() {
                    col::SOURCE => Some(ctx.source_name.to_string()),
                    col::REF_SOURCE => Some(publisher.to_string()),
                    col::REF_VARIABLE => Some(variable.to_string()),
                    col::REF_LEVEL => Some(level.to_string()),
                    col::REF_CODE => Some(code.to_string()),
                    col::REF_LABEL => label.map(str::to_string),
                    col::REF_DIM1 => dim1.clone(),
                    col::REF_DIM2 => dim2.clone(),
                    _ => None,
                }),
                ColumnData::Int(vec) => vec.push(period),
                ColumnData::Num(vec) => vec.push(Some(value)),
                ColumnData::Date(vec) => vec.push(None),
                ColumnData::Bool(vec) => vec.push(None),
            }
        }
        self.height += 1;
    }

    /// Values of a text column pushed so far.
    fn texts(&self, name: &str) -> impl Iterator<Item = Option<&str>> {
        self.columns
            .iter()
            .filter(move |(n, _)| n == name)
            .flat_map(|(_, d)| match d {
                ColumnData::Text(v) => v.iter().map(|x| x.as_deref()).collect::<Vec<_>>(),
                _ => Vec::new(),
            })
    }

    fn finish(self) -> Result<DataFrame, Error> {
        let _ = self.table;
        let mut cols: Vec<Column> = Vec::with_capacity(self.columns.len());
        for (name, data) in self.columns {
            let name = PlSmallStr::from(name.as_str());
            let series = match data {
                ColumnData::Text(v) => Series::new(name, v),
                ColumnData::Date(v) => Series::new(name, v).cast(&DataType::Date)?,
                ColumnData::Int(v) => Series::new(name, v),
                ColumnData::Num(v) => Series::new(name, v),
                ColumnData::Bool(v) => Series::new(name, v),
            };
            cols.push(series.into());
        }
        Ok(DataFrame::new(self.height, cols)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn department_codes() {
        for ok in [
            "01", "19", "20", "21", "95", "2A", "2B", "971", "974", "976",
        ] {
            assert!(is_department_code(ok), "{ok}");
        }
        for no in [
            "00",
            "96",
            "101",
            "977",
            "",
            "FRANCE METROPOLITAINE",
            "69D",
            "69M",
            "975",
            "1",
        ] {
            assert!(!is_department_code(no), "{no}");
        }
        assert_eq!(normalise_territory_code("1"), "01");
        assert_eq!(normalise_territory_code(" 2a "), "2A");
    }

    #[test]
    fn reference_rows_by_territory() {
        let keep = |level: &str, text: &str| match row_territory(level, text) {
            RowTerritory::Keep { code, .. } => Some(code),
            _ => None,
        };
        let reason = |level: &str, text: &str| match row_territory(level, text) {
            RowTerritory::Keep { .. } => "garde",
            RowTerritory::Exclude(r, ..) | RowTerritory::Reject(r, _) => r,
        };
        assert_eq!(keep("departement", "01-Ain").as_deref(), Some("01"));
        assert_eq!(keep("departement", "20A").as_deref(), Some("2A"));
        assert_eq!(keep("département", "1").as_deref(), Some("01"));
        assert_eq!(keep("departement", "20").as_deref(), Some("20"));
        assert_eq!(keep("departement", "69D").as_deref(), Some("69D"));
        assert_eq!(reason("departement", "975"), "territoire_hors_niveau");
        assert_eq!(reason("departement", "Bretagne"), "territoire_hors_niveau");
        assert_eq!(reason("departement", "France entière"), "ligne_total");
        assert_eq!(reason("departement", "Cantall"), "territoire_inconnu");
        assert_eq!(reason("departement", "01 - Aisne"), "territoire_incoherent");
        assert_eq!(keep("region", "104").as_deref(), Some("04"));
        assert_eq!(reason("region", "15"), "territoire_inconnu");
        assert_eq!(reason("region", "Cantal"), "territoire_hors_niveau");
        // Another level keeps the codes as written.
        assert_eq!(keep("commune", " 15014 ").as_deref(), Some("15014"));
    }

    #[test]
    fn year_headers_and_code_columns() {
        assert_eq!(header_year("2020"), Some(2020));
        assert_eq!(header_year(" 2019 "), Some(2019));
        assert_eq!(header_year("0 à 4 ans"), None);
        assert_eq!(header_year("1850"), None);
        let named = |h: &str| {
            header::normalize(h)
                .split(' ')
                .any(|w| CODE_OR_LABEL_WORDS.contains(&w))
        };
        for h in [
            "Code région",
            "Libellé",
            "Lib_Dep",
            "Départements",
            "N° INSEE",
        ] {
            assert!(named(h), "{h}");
        }
        for h in [
            "0 à 4 ans",
            "Ensemble",
            "Hommes",
            "2020",
            "Total des enfants accueillis",
        ] {
            assert!(!named(h), "{h}");
        }
    }
}
