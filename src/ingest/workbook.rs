//! Reading spreadsheet files (xlsx, xlsm, xlsb, xls, ods) into [`Grid`]s through calamine,
//! bounded. Owns format detection, password and corruption errors (translated into what
//! the user should do, in French — never the library's text), sheet selection, merged
//! regions, the 1904 date system, and the limits applied while a grid is built (used area,
//! cell text length, total text of a sheet). The checks made before calamine allocates
//! anything live in [`super::prescan`]; reading in a child process lives in
//! [`super::isolate`]. Knows nothing of canonical tables.
//!
//! Only the selected sheets become grids; for `.xlsx`, `.xlsm` and `.xlsb` the other
//! sheets are never read (only their names and visibility). Calamine reads `.xls` and
//! `.ods` files whole when it opens them, so every sheet of those is bounded by the
//! pre-checks.

use std::path::Path;

use calamine::{Data, DataRef, Reader, SheetVisible, Sheets};

use super::grid::{Cell, Grid, MergedRegion};
use super::limits::{Limits, MIB};
use super::prescan::{self, Format};
use crate::error::{SourceError, SourceErrorKind};

mod cells;
use cells::*;

/// What calamine reads from: the file itself (`.xlsx`, `.xlsm`, `.xlsb`, read lazily), or
/// a copy rebuilt in memory with only the selected sheets (`.ods`, `.xls`).
pub trait ReadSeek: std::io::Read + std::io::Seek {}
impl<T: std::io::Read + std::io::Seek> ReadSeek for T {}

type Book = Sheets<Box<dyn ReadSeek>>;

/// Where a workbook comes from and how to give it to calamine.
struct Source {
    file: String,
    path: std::path::PathBuf,
    format: Format,
    limits: Limits,
    /// `.ods`: what is left of the decompression budget after the pre-checks.
    budget: u64,
    /// `.xls`: the BIFF workbook stream.
    biff: Vec<u8>,
    /// Whether a sheet may hold merged regions ([`prescan::ZipScan::merges`]).
    merges: bool,
}

/// An opened workbook.
pub struct Workbook {
    src: Source,
    sheets: Book,
    /// For `.ods` and `.xls`: the positions (1-based) of the sheets calamine was given.
    loaded: Vec<usize>,
    pub is_1904: bool,
}

/// One sheet's name and visibility.
#[derive(Debug, Clone)]
pub struct SheetInfo {
    pub name: String,
    pub visible: bool,
}

/// Which sheets of a workbook a source reads (from the pipeline's `feuille` or `feuilles`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetSelection {
    /// `feuilles = [...]`: glob patterns, each matching at least one visible sheet.
    Patterns(Vec<String>),
    /// `feuille = "Nom"`: exact name, or equal once accents and case are folded.
    Name(String),
    /// `feuille = 2`: 1-based position among all sheets.
    Position(usize),
    /// Nothing said: the first visible sheet.
    FirstVisible,
}

/// The selected sheets of one workbook, read.
#[derive(Debug, Clone, Default)]
pub struct WorkbookRead {
    pub is_1904: bool,
    pub sheets: Vec<(String, Grid)>,
    /// Hidden sheets a wildcard of the selection would match: not read, reported.
    pub hidden: Vec<String>,
}

fn err(file: &str, sheet: Option<&str>, kind: SourceErrorKind) -> SourceError {
    SourceError {
        file: file.to_string(),
        sheet: sheet.map(str::to_string),
        kind,
    }
}

/// Reads the selected sheets of a workbook: in a child process when isolation is on (the
/// binary turns it on; see [`super::isolate`]), in this process otherwise.
pub fn read_workbook(
    path: &Path,
    display: &str,
    selection: &SheetSelection,
    limits: &Limits,
) -> Result<WorkbookRead, SourceError> {
    if super::isolate::enabled() {
        super::isolate::read_in_child(path, display, selection, limits)
    } else {
        read_workbook_in_process(path, display, selection, limits)
    }
}

/// Reads the selected sheets of a workbook in this process (library tests, the fuzz
/// target, and the isolated child itself).
pub fn read_workbook_in_process(
    path: &Path,
    display: &str,
    selection: &SheetSelection,
    limits: &Limits,
) -> Result<WorkbookRead, SourceError> {
    let mut wb = Workbook::open_with(path, display, limits)?;
    let chosen = select_sheets(&wb.sheet_infos(), selection).map_err(|k| err(display, None, k))?;
    wb.load(&chosen)?;
    let mut out = WorkbookRead {
        is_1904: wb.is_1904,
        sheets: Vec::new(),
        hidden: hidden_matches(&wb.sheet_infos(), selection),
    };
    for name in chosen {
        let grid = wb.read_sheet(&name)?;
        out.sheets.push((name, grid));
    }
    Ok(out)
}

/// The hidden sheets that a wildcard pattern of `selection` matches (a pattern never
/// reads a hidden sheet; the caller reports them).
pub fn hidden_matches(infos: &[SheetInfo], selection: &SheetSelection) -> Vec<String> {
    let SheetSelection::Patterns(list) = selection else {
        return Vec::new();
    };
    let patterns: Vec<glob::Pattern> = list
        .iter()
        .filter_map(|p| glob::Pattern::new(p).ok())
        .collect();
    infos
        .iter()
        .filter(|s| !s.visible && patterns.iter().any(|p| p.matches(&s.name)))
        .map(|s| s.name.clone())
        .collect()
}

/// The sheets `selection` designates. A sheet that cannot be found is an error that
/// counts the sheets but never lists their names (one sheet per child is a real layout).
pub fn select_sheets(
    infos: &[SheetInfo],
    selection: &SheetSelection,
) -> Result<Vec<String>, SourceErrorKind> {
    let not_found = |wanted: String| SourceErrorKind::SheetNotFound {
        wanted,
        visible: infos.iter().filter(|s| s.visible).count(),
        hidden: infos.iter().filter(|s| !s.visible).count(),
    };
    match selection {
        SheetSelection::Patterns(list) => {
            let mut out: Vec<String> = Vec::new();
            for pat in list {
                let p = glob::Pattern::new(pat).map_err(|_| not_found(pat.clone()))?;
                let mut any = false;
                for s in infos.iter().filter(|s| s.visible && p.matches(&s.name)) {
                    any = true;
                    if !out.contains(&s.name) {
                        out.push(s.name.clone());
                    }
                }
                if !any {
                    return Err(not_found(pat.clone()));
                }
            }
            Ok(out)
        }
        SheetSelection::Name(n) => infos
            .iter()
            .find(|s| s.name == *n)
            .or_else(|| {
                infos
                    .iter()
                    .find(|s| super::values::fold(&s.name) == super::values::fold(n))
            })
            .map(|s| vec![s.name.clone()])
            .ok_or_else(|| not_found(n.clone())),
        SheetSelection::Position(p) => infos
            .get(p.saturating_sub(1))
            .filter(|_| *p >= 1)
            .map(|s| vec![s.name.clone()])
            .ok_or_else(|| not_found(format!("n° {p}"))),
        SheetSelection::FirstVisible => infos
            .iter()
            .find(|s| s.visible)
            .map(|s| vec![s.name.clone()])
            .ok_or_else(|| not_found("première feuille visible".into())),
    }
}

impl Workbook {
    /// Opens `path` with the default limits; `display` is how the file is named in
    /// messages.
    pub fn open(path: &Path, display: &str) -> Result<Workbook, SourceError> {
        Workbook::open_with(path, display, &Limits::default())
    }

    /// Opens `path` after the pre-checks of its format against `limits`.
    pub fn open_with(path: &Path, display: &str, limits: &Limits) -> Result<Workbook, SourceError> {
        let e = |kind| err(display, None, kind);
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let format = Format::from_extension(&ext)
            .ok_or_else(|| e(SourceErrorKind::UnsupportedFormat(ext)))?;
        let meta = std::fs::metadata(path).map_err(|_| e(SourceErrorKind::NotFound))?;
        if meta.len() > limits.file_bytes {
            return Err(e(SourceErrorKind::TooLarge(format!(
                "fichier de plus de {} Mo ; {}",
                prescan::count(limits.file_bytes / MIB),
                prescan::raise_hint("taille_fichier_mo")
            ))));
        }
        prescan::sniff(path, format).map_err(e)?;
        let (budget, biff, merges) = if is_cfb(path) {
            let stream = prescan::read_biff_stream(path, format, limits).map_err(e)?;
            // The workbook globals only: the sheets are checked when they are loaded.
            prescan::check_biff(&stream, limits, &|_| false).map_err(e)?;
            (0, stream, true)
        } else {
            let scan = prescan::check_zip(path, format, limits).map_err(e)?;
            (scan.left, Vec::new(), scan.merges)
        };
        let src = Source {
            file: display.to_string(),
            path: path.to_path_buf(),
            format,
            limits: *limits,
            budget,
            biff,
            merges,
        };
        // `.ods` and `.xls` are opened with no sheet content (names and visibility only).
        let sheets = src.open(&[])?;
        let is_1904 = match &sheets {
            Sheets::Xlsx(x) => x.has_1904_epoch(),
            Sheets::Xls(x) => x.has_1904_epoch(),
            Sheets::Xlsb(x) => x.has_1904_epoch(),
            Sheets::Ods(_) => false,
        };
        Ok(Workbook {
            src,
            sheets,
            loaded: Vec::new(),
            is_1904,
        })
    }

    /// Makes the sheets `names` readable: for `.ods` and `.xls`, reopens the workbook with
    /// their content (and only theirs).
    pub fn load(&mut self, names: &[String]) -> Result<(), SourceError> {
        if !matches!(self.src.format, Format::Ods | Format::Xls) {
            return Ok(());
        }
        let infos = self.sheet_infos();
        let mut positions: Vec<usize> = names
            .iter()
            .filter_map(|n| infos.iter().position(|s| s.name == *n).map(|i| i + 1))
            .collect();
        positions.sort_unstable();
        positions.dedup();
        if positions.iter().all(|p| self.loaded.contains(p)) {
            return Ok(());
        }
        self.sheets = self.src.open(&positions)?;
        self.loaded = positions;
        Ok(())
    }

    pub fn sheet_infos(&self) -> Vec<SheetInfo> {
        self.sheets
            .sheets_metadata()
            .iter()
            .map(|s| SheetInfo {
                name: s.name.clone(),
                visible: s.visible == SheetVisible::Visible,
            })
            .collect()
    }

    /// Reads one sheet into a grid, merged regions filled, within the limits.
    pub fn read_sheet(&mut self, name: &str) -> Result<Grid, SourceError> {
        let position = self.sheet_infos().iter().position(|s| s.name == name);
        if position.is_some_and(|p| !self.loaded.contains(&(p + 1))) {
            self.load(&[name.to_string()])?;
        }
        let file = self.src.file.clone();
        let limits = self.src.limits;
        let sheets = &mut self.sheets;
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            build_grid(sheets, name, &limits)
        }));
        let mut builder = match read {
            Ok(Ok(b)) => b,
            Ok(Err(k)) => return Err(err(&file, Some(name), k)),
            Err(_) => return Err(err(&file, Some(name), interrupted())),
        };
        let merged = if self.src.merges {
            self.merged_regions(name)
        } else {
            Vec::new()
        };
        builder
            .fill_merged(&merged)
            .map_err(|k| err(&file, Some(name), k))?;
        Ok(builder.grid)
    }

    fn merged_regions(&mut self, name: &str) -> Vec<MergedRegion> {
        let sheets = &mut self.sheets;
        let dims = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match sheets {
            Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
            Sheets::Xls(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
            _ => Vec::new(),
        }))
        .unwrap_or_default();
        dims.iter()
            .map(|d| MergedRegion {
                first_row: d.start.0 as usize,
                first_col: d.start.1 as usize,
                last_row: d.end.0 as usize,
                last_col: d.end.1 as usize,
            })
            .collect()
    }
}

impl Source {
    /// Opens the workbook with calamine; for `.ods` and `.xls`, from a copy holding only
    /// the sheets at `positions` (after their pre-checks).
    fn open(&self, positions: &[usize]) -> Result<Book, SourceError> {
        let e = |kind| err(&self.file, None, kind);
        let keep = |p: usize| positions.contains(&p);
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
            || -> Result<Result<Book, calamine::Error>, SourceErrorKind> {
                let file = || -> Result<Box<dyn ReadSeek>, SourceErrorKind> {
                    std::fs::File::open(&self.path)
                        .map(|f| Box::new(std::io::BufReader::new(f)) as Box<dyn ReadSeek>)
                        .map_err(|_| SourceErrorKind::NotFound)
                };
                let memory = |b: Vec<u8>| Box::new(std::io::Cursor::new(b)) as Box<dyn ReadSeek>;
                Ok(match self.format {
                    Format::Xlsx => calamine::Xlsx::new(file()?)
                        .map(Sheets::Xlsx)
                        .map_err(calamine::Error::Xlsx),
                    Format::Xlsb => calamine::Xlsb::new(file()?)
                        .map(Sheets::Xlsb)
                        .map_err(calamine::Error::Xlsb),
                    Format::Ods => {
                        let bytes =
                            prescan::rebuild_ods(&self.path, &self.limits, self.budget, &keep)?;
                        calamine::Ods::new(memory(bytes))
                            .map(Sheets::Ods)
                            .map_err(calamine::Error::Ods)
                    }
                    Format::Xls => {
                        prescan::check_biff(&self.biff, &self.limits, &keep)?;
                        let bytes = prescan::rebuild_xls(&self.biff, &keep)?;
                        calamine::Xls::new(memory(bytes))
                            .map(Sheets::Xls)
                            .map_err(calamine::Error::Xls)
                    }
                })
            },
        ));
        match opened {
            Ok(Ok(Ok(s))) => Ok(s),
            Ok(Ok(Err(x))) => Err(e(translate(&x))),
            Ok(Err(k)) => Err(e(k)),
            Err(_) => Err(e(interrupted())),
        }
    }
}

fn is_cfb(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == prescan::CFB_MAGIC
}

fn interrupted() -> SourceErrorKind {
    SourceErrorKind::Corrupt(
        "la lecture s'est interrompue sur une structure invalide : fichier forgé ou endommagé"
            .into(),
    )
}

fn is_password_error(e: &calamine::Error) -> bool {
    matches!(
        e,
        calamine::Error::Xlsx(calamine::XlsxError::Password)
            | calamine::Error::Xls(calamine::XlsError::Password)
            | calamine::Error::Ods(calamine::OdsError::Password)
    ) || e.to_string().to_lowercase().contains("password")
}

/// What a calamine error means for the user, in French. The library's own text (English,
/// and sometimes quoting a part name or a value) is never shown.
fn translate(e: &calamine::Error) -> SourceErrorKind {
    use calamine::{Error as E, OdsError, XlsError, XlsbError, XlsxError};
    if is_password_error(e) {
        return SourceErrorKind::PasswordProtected;
    }
    let detail = match e {
        E::Xlsx(XlsxError::Zip(_)) | E::Xlsb(XlsbError::Zip(_)) | E::Ods(OdsError::Zip(_)) => {
            "l'archive du classeur est tronquée ou endommagée"
        }
        E::Xlsx(XlsxError::Xml(_) | XlsxError::XmlAttr(_) | XlsxError::XmlEof(_))
        | E::Xlsb(XlsbError::Xml(_) | XlsbError::XmlAttr(_))
        | E::Ods(
            OdsError::Xml(_)
            | OdsError::XmlAttr(_)
            | OdsError::AttrError(_)
            | OdsError::Eof(_)
            | OdsError::EncodingError(_),
        ) => {
            "le contenu XML du classeur est malformé : fichier forgé, ou enregistré par un logiciel défaillant"
        }
        E::Xlsx(XlsxError::FileNotFound(_) | XlsxError::RelationshipNotFound)
        | E::Xlsb(XlsbError::FileNotFound(_))
        | E::Ods(OdsError::FileNotFound(_)) => {
            "une partie obligatoire du classeur manque : fichier incomplet, ou produit par un logiciel non conforme"
        }
        E::Xlsx(XlsxError::Unexpected(m)) if m.contains("shared strings") => {
            "une cellule renvoie à un texte partagé qui n'existe pas : partie des textes partagés absente ou incomplète"
        }
        E::Ods(OdsError::InvalidMime(_)) => "ce n'est pas un classeur OpenDocument (.ods)",
        E::Xls(XlsError::Cfb(_) | XlsError::Io(_)) | E::Io(_) => {
            "le conteneur du classeur est endommagé ou tronqué"
        }
        E::Ods(OdsError::CellLimitExceeded { .. }) => {
            return SourceErrorKind::TooLarge(format!(
                "zone utilisée trop grande ; {}",
                prescan::raise_hint("cellules_par_feuille")
            ));
        }
        _ => {
            "structure du classeur non reconnue : fichier endommagé, forgé, ou d'une version non prise en charge"
        }
    };
    SourceErrorKind::Corrupt(detail.to_string())
}

#[cfg(test)]
mod tests;
