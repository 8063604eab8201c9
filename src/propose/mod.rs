//! `observatoire proposer`: describes workbooks the tool has never seen. For each sheet
//! (or CSV file) it finds the header row(s), picks the canonical table whose fields the
//! columns fit best, guesses each column's field from its header and its values, and
//! lists the coded values it could not decide as questions; [`render`] writes the
//! result as a commented pipeline for the user to review (docs/architecture.md,
//! « Proposer un pipeline »).
//!
//! Reading goes through ingest's own bounded readers (the isolated child process in the
//! binary), so a hostile workbook is refused here as in a run. No data value of an
//! identifying field is ever kept; coded values seen once are not shown (see
//! [`values`]).

pub mod columns;
pub mod profile;
pub mod render;
pub mod values;

use std::path::{Path, PathBuf};

use crate::error::{Error, SourceError};
use crate::ingest::csv::{Encoding, read_csv};
use crate::ingest::grid::{Grid, column_letters};
use crate::ingest::header::{self, Header, Target};
use crate::ingest::values::clean_text;
use crate::ingest::workbook::{SheetSelection, read_workbook};
use crate::settings::Limits;
use crate::tables::{Field, Kind, Table};

use columns::{Assigned, Reason};
use profile::Profile;
use values::ColumnValues;

/// What the user tells the proposer (everything else is guessed).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The table of every sheet, when the user knows it.
    pub table: Option<Table>,
    /// The service (code) the files are about, written as `service = "…"`.
    pub service: Option<String>,
    pub organisation: Option<String>,
    pub limits: Limits,
}

/// One column of a proposed source.
#[derive(Debug, Clone)]
pub struct ColumnLine {
    /// Column letter (`C`).
    pub letter: String,
    /// The header as the pipeline names it (`Identité Prénom` for a two-row header).
    pub header: String,
    pub field: Option<&'static Field>,
    pub reason: Option<Reason>,
}

/// The proposal for one sheet or CSV file.
#[derive(Debug, Clone)]
pub struct SheetProposal {
    /// The file as given on the command line.
    pub file: PathBuf,
    /// The sheet (`None` for a CSV file).
    pub sheet: Option<String>,
    /// CSV encoding and separator found.
    pub csv: Option<(&'static str, char)>,
    /// Header rows, 1-based.
    pub header_rows: Vec<usize>,
    pub table: Option<Table>,
    pub columns: Vec<ColumnLine>,
    pub values: Vec<ColumnValues>,
    /// Years the dates of the sheet cover.
    pub years: Option<(i32, i32)>,
    /// Why the sheet is not proposed as a source (no table recognised).
    pub skipped: Option<String>,
    /// Public reference series (`reference`): the numeric columns, each a measure.
    pub measures: Vec<ColumnLine>,
    /// Reference series: whether the territory codes are mostly département codes.
    pub departements: bool,
    /// The service and organisation the user gave for the file.
    pub service: Option<String>,
    pub organisation: Option<String>,
}

impl SheetProposal {
    /// The field given to the column named `header`, if any.
    pub fn field_of(&self, header: &str) -> Option<&'static str> {
        let n = header::normalize(header);
        self.columns
            .iter()
            .find(|c| header::normalize(&c.header) == n)
            .and_then(|c| c.field.map(|f| f.name))
    }

    /// The column given `field`, if any.
    pub fn column_of(&self, field: &str) -> Option<&ColumnLine> {
        self.columns
            .iter()
            .find(|c| c.field.is_some_and(|f| f.name == field))
    }
}

/// Proposes a description of every sheet of every file.
pub fn propose(files: &[PathBuf], opts: &Options) -> Result<Vec<SheetProposal>, Error> {
    let mut out = Vec::new();
    for file in files {
        out.extend(propose_file(file, opts)?);
    }
    Ok(out)
}

fn is_csv(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("txt"))
}

fn propose_file(file: &Path, opts: &Options) -> Result<Vec<SheetProposal>, SourceError> {
    let display = file.display().to_string();
    if is_csv(file) {
        let (grid, info) = read_csv(file, &display, Encoding::Auto, None, &opts.limits)?;
        let mut p = propose_sheet(file, None, &grid, false, opts);
        p.csv = Some((info.encoding, info.separator));
        return Ok(vec![p]);
    }
    let all = SheetSelection::Patterns(vec!["*".to_string()]);
    let read = read_workbook(file, &display, &all, &opts.limits)?;
    Ok(read
        .sheets
        .iter()
        .map(|(name, grid)| propose_sheet(file, Some(name.clone()), grid, read.is_1904, opts))
        .collect())
}

fn targets(table: Table) -> Vec<Target> {
    table
        .fields()
        .iter()
        .map(|f| Target {
            key: f.name.to_string(),
            user: Vec::new(),
            builtin: f.synonyms.iter().map(|s| s.to_string()).collect(),
            required: f.required && f.name != "service",
        })
        .collect()
}

/// A table tried on a sheet: its header, the columns' profiles and the assignment.
struct Trial {
    table: Table,
    header: Header,
    profiles: Vec<Profile>,
    assigned: Vec<Assigned>,
    score: f64,
}

/// The header of a reference series whose headers name none of its fields (a group
/// label « Départements » over the code and the name): the row or two rows above the
/// first row holding a département code and numbers.
fn reference_header(grid: &Grid) -> Option<Header> {
    let data = (0..grid.height().min(40)).find(|&r| {
        let row = grid.rows.get(r);
        let cells = || row.into_iter().flatten();
        cells().any(|c| {
            c.text()
                .is_some_and(|t| crate::ingest::is_department_code(t.trim()))
        }) && cells()
            .filter(|c| matches!(c, crate::ingest::grid::Cell::Number(_)))
            .count()
            >= 2
    })?;
    let above = |r: usize| r < data && !grid.row_is_empty(r);
    let rows = match data {
        d if d >= 2 && above(d - 2) && above(d - 1) => vec![d - 2, d - 1],
        d if d >= 1 && above(d - 1) => vec![d - 1],
        _ => return None,
    };
    Some(header::header_at(grid, &rows))
}

fn try_table(table: Table, grid: &Grid, is_1904: bool) -> Option<Trial> {
    let header = match header::detect(grid, &targets(table)) {
        Some(h) => h,
        None if table == Table::Reference => reference_header(grid)?,
        None => return None,
    };
    let start = header.data_start();
    let profiles: Vec<Profile> = header
        .columns
        .iter()
        .map(|c| profile::profile(grid, c.index, start, is_1904))
        .collect();
    let assigned = columns::assign(table, &header.columns, &profiles);
    let score = columns::table_score(table, &assigned);
    Some(Trial {
        table,
        header,
        profiles,
        assigned,
        score,
    })
}

/// Tables a sheet may be proposed as: all, or the one the user names.
fn candidate_tables(opts: &Options) -> Vec<Table> {
    match opts.table {
        Some(t) => vec![t],
        None => Table::ALL.to_vec(),
    }
}

/// The numeric columns no field took: the measures of a reference series.
fn measures(trial: &Trial) -> Vec<ColumnLine> {
    trial
        .header
        .columns
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            !c.display().is_empty()
                && !trial.assigned.iter().any(|a| a.column == *i)
                && trial
                    .profiles
                    .get(*i)
                    .is_some_and(|p| p.filled > 0 && p.share(p.numbers) >= 0.8)
        })
        .map(|(_, c)| ColumnLine {
            letter: column_letters(c.index),
            header: pipeline_header(c),
            field: None,
            reason: None,
        })
        .collect()
}

fn propose_sheet(
    file: &Path,
    sheet: Option<String>,
    grid: &Grid,
    is_1904: bool,
    opts: &Options,
) -> SheetProposal {
    let mut p = SheetProposal {
        file: file.to_path_buf(),
        sheet,
        csv: None,
        header_rows: Vec::new(),
        table: None,
        columns: Vec::new(),
        values: Vec::new(),
        years: None,
        skipped: None,
        measures: Vec::new(),
        departements: false,
        service: opts.service.clone(),
        organisation: opts.organisation.clone(),
    };
    // A table needs three columns recognised, or (a narrow table) most of its columns.
    let named = |t: &Trial| {
        t.header
            .columns
            .iter()
            .filter(|c| !c.display().is_empty())
            .count()
    };
    // A reference series: a territory code column and numbers.
    let enough = |t: &Trial| {
        if t.table == Table::Reference {
            return t.assigned.iter().any(|a| a.field.name == "code_territoire")
                && !measures(t).is_empty();
        }
        t.score >= 1.5
            && (t.assigned.len() >= 3 || (t.assigned.len() >= 2 && 2 * t.assigned.len() > named(t)))
    };
    let best = candidate_tables(opts)
        .into_iter()
        .filter_map(|t| try_table(t, grid, is_1904))
        .filter(enough)
        .max_by(|a, b| a.score.total_cmp(&b.score));
    let Some(trial) = best else {
        p.skipped = Some(
            "aucun en-tête de table reconnu (feuille de présentation, de listes, ou tableau d'une forme inconnue)"
                .into(),
        );
        return p;
    };
    p.table = Some(trial.table);
    if trial.table == Table::Reference {
        p.measures = measures(&trial);
        p.departements = trial
            .assigned
            .iter()
            .find(|a| a.field.name == "code_territoire")
            .and_then(|a| trial.profiles.get(a.column))
            .is_some_and(|pr| pr.share(pr.departements) >= 0.8);
    }
    p.header_rows = trial.header.rows.iter().map(|r| r + 1).collect();
    p.columns = column_lines(&trial);
    p.values = trial
        .assigned
        .iter()
        .filter_map(|a| {
            let column = trial.header.columns.get(a.column)?;
            let prof = trial.profiles.get(a.column)?;
            values::column_values(trial.table, a.field, column, prof)
        })
        .collect();
    p.years = years(&trial);
    p
}

/// The columns of the sheet; one whose header text another column shares (a group
/// label over two columns) is named by its letter (`colonne A`), as ingest reads it.
fn column_lines(trial: &Trial) -> Vec<ColumnLine> {
    let texts: Vec<String> = trial.header.columns.iter().map(pipeline_header).collect();
    let shared = |t: &String| {
        texts
            .iter()
            .filter(|x| header::normalize(x) == header::normalize(t))
            .count()
            > 1
    };
    trial
        .header
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.display().is_empty())
        .map(|(i, c)| {
            let a = trial.assigned.iter().find(|a| a.column == i);
            let letter = column_letters(c.index);
            let text = &texts[i];
            ColumnLine {
                header: if shared(text) {
                    format!("colonne {letter}")
                } else {
                    text.clone()
                },
                letter,
                field: a.map(|a| a.field),
                reason: a.map(|a| a.reason),
            }
        })
        .collect()
}

/// The header text a pipeline names a column by: the group and the lower row joined by
/// a space for a two-row header (`Identité Prénom`), as ingest matches it.
fn pipeline_header(c: &header::HeaderColumn) -> String {
    match (&c.upper, &c.lower) {
        (Some(u), Some(l)) if u != l => format!("{} {}", clean_text(u), clean_text(l)),
        (_, Some(l)) => clean_text(l),
        (Some(u), None) => clean_text(u),
        (None, None) => String::new(),
    }
}

/// The years the sheet's activity covers: its start and end dates; without them, its
/// other dates but birth dates.
fn years(trial: &Trial) -> Option<(i32, i32)> {
    let collect = |keep: &dyn Fn(&str) -> bool| -> Vec<i32> {
        trial
            .assigned
            .iter()
            .filter(|a| a.field.kind == Kind::Date && keep(a.field.name))
            .filter_map(|a| trial.profiles.get(a.column))
            .flat_map(|p| p.years.iter().copied())
            .collect()
    };
    let mut ys = collect(&|n| n == "date_debut" || n == "date_fin");
    if ys.is_empty() {
        ys = collect(&|n| n != "date_naissance");
    }
    Some((*ys.iter().min()?, *ys.iter().max()?))
}
