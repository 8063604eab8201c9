//! The files of a source: resolving paths and patterns, hashing each file for the
//! manifest, and reading it into cell grids (CSV, workbooks through the bounded and
//! isolated reader) or into a DataFrame (Parquet extracts).

use super::*;

/// Reads a Parquet source: a partner's pseudonymised extract (`accompagnements`) or a
/// canonical table written by `partenaire`. An extract holding direct identifiers is
/// refused. Columns are checked by type ([`super::typed`]); the columns no stage reads
/// come back beside the table, to be reported.
pub(super) fn read_parquet(
    path: &Path,
    display: &str,
    table: Table,
) -> Result<(DataFrame, Vec<String>), SourceError> {
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
        Table::Activity | Table::Capacities => vec![col::SERVICE, col::YEAR],
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
    typed::typed(df, table).map_err(|detail| SourceError {
        file: display.into(),
        sheet: None,
        kind: SourceErrorKind::NotAnExtract(detail),
    })
}

/// A Parquet source read, typed and its rows checked ([`super::parquet_rows`]): the rows
/// kept, the issues (unused columns, rejected rows) and the row accounting.
pub(super) fn parquet_file(
    job: &FileJob,
    known: Option<&directory::ServiceDirectory>,
) -> Result<(DataFrame, Vec<Issue>, SourceStats), SourceError> {
    let display = &job.display;
    let (df, unused) = read_parquet(&job.path, display, job.table)?;
    let mut issues = Vec::new();
    if !unused.is_empty() {
        issues.push(unused_parquet_columns(display, job.table, &unused));
    }
    let read = df.height();
    let vetted = parquet_rows::vet(df, job.table, display, known).map_err(|e| SourceError {
        file: display.clone(),
        sheet: None,
        kind: SourceErrorKind::Corrupt(e.to_string()),
    })?;
    issues.extend(vetted.issues);
    let stats = SourceStats {
        source: job.source_name.clone(),
        fichier: display.clone(),
        feuille: None,
        table: job.table.id().to_string(),
        lignes_entete: vec![],
        lignes_lues: read,
        lignes_acceptees: vetted.df.height(),
        lignes_rejetees: vetted.rejected,
        lignes_produites: vetted.df.height(),
        ..Default::default()
    };
    Ok((vetted.df, issues, stats))
}

pub(super) fn display_path(pipeline: &Pipeline, path: &Path) -> String {
    // Paths are shown relative to the pipeline's directory when possible.
    path.strip_prefix(&pipeline.base_dir)
        .unwrap_or(path)
        .display()
        .to_string()
}

pub(super) fn resolve_files(
    pipeline: &Pipeline,
    src: &SourceSpec,
) -> Result<Vec<PathBuf>, SourceError> {
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

pub(super) fn hash_file(path: &Path, display: &str) -> Result<InputFile, SourceError> {
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

pub(super) type SheetGrid = (Option<String>, Grid, bool);

/// The grids of a file's selected sheets, and the hidden sheets a wildcard passed over.
pub(super) type FileSheets = (Vec<SheetGrid>, Vec<String>);

/// Whether `path` is read as a workbook (through calamine, in a child process when
/// reading is isolated): neither a CSV nor a Parquet file.
pub(super) fn is_workbook(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_lowercase();
    !matches!(ext.as_str(), "csv" | "txt" | "parquet")
}

pub(super) fn read_sheets(
    path: &Path,
    display: &str,
    src: &SourceSpec,
    limits: &limits::Limits,
) -> Result<FileSheets, SourceError> {
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
        return Ok((vec![(None, grid, false)], Vec::new()));
    }
    // Workbook branch (bounded, isolated reading: see `workbook`, `prescan`, `isolate`).
    let selection = if let Some(list) = &src.feuilles {
        workbook::SheetSelection::Patterns(list.get_ref().clone())
    } else if let Some(all) = super::names::default_patterns(src) {
        workbook::SheetSelection::Patterns(all)
    } else {
        match src.feuille.as_ref().map(|s| s.get_ref()) {
            Some(SheetSel::Name(n)) => workbook::SheetSelection::Name(n.clone()),
            Some(SheetSel::Position(p)) => workbook::SheetSelection::Position(*p),
            None => workbook::SheetSelection::FirstVisible,
        }
    };
    let read = workbook::read_workbook(path, display, &selection, limits)?;
    let sheets = read
        .sheets
        .into_iter()
        .map(|(name, grid)| (Some(name), grid, read.is_1904))
        .collect();
    Ok((sheets, read.hidden))
}

/// Counts the files done for a [`FileProgress`] (from any reading thread).
pub(super) struct Ticker<'a> {
    pub(super) done: std::sync::atomic::AtomicUsize,
    pub(super) total: usize,
    pub(super) progress: Option<FileProgress<'a>>,
}

impl Ticker<'_> {
    pub(super) fn tick(&self) {
        if let Some(p) = self.progress {
            let done = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            p(done, self.total);
        }
    }
}

/// Reads the services files, in order, into the services builder.
pub(super) fn read_services(
    env: &JobEnv,
    jobs: &[FileJob],
    builders: &mut BTreeMap<Table, TableBuilder>,
    acc: &mut Accumulated,
    ticker: &Ticker,
) -> Result<(), Error> {
    for job in jobs {
        let builder = builders
            .get_mut(&Table::Services)
            .ok_or_else(|| Error::Internal("table".into()))?;
        let outcome = ingest_file(env, job, builder);
        ticker.tick();
        acc.absorb(job, outcome)?;
    }
    Ok(())
}

/// Nothing silent: the columns of a Parquet source that no stage reads are reported by
/// name (never their values), as a sheet's unused columns are.
pub(super) fn unused_parquet_columns(display: &str, table: Table, unused: &[String]) -> Issue {
    let names: Vec<String> = unused
        .iter()
        .map(|n| format!("« {} »", shorten(n, 40)))
        .collect();
    Issue {
        fichier: display.to_string(),
        feuille: None,
        cellule: None,
        colonne: None,
        champ: None,
        code: "colonnes_non_utilisees".into(),
        gravite: Severity::Info,
        message: format!(
            "{} colonne(s) de ce fichier Parquet ne correspondent à aucun champ de la table {} ni à une colonne d'extrait, et ne sont pas lues : {}",
            names.len(),
            table.id(),
            names.join(", ")
        ),
    }
}
