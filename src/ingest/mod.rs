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

mod builder;
mod checks;
mod reference;
mod rows;
mod sheet;
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
pub use reference::is_department_code;
use reference::*;
use sheet::*;
use wide::*;

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
