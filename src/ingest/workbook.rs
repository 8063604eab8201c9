//! Reading spreadsheet files (xlsx, xlsm, xlsb, xls, ods) into [`Grid`]s through calamine.
//! Owns format detection, password and corruption errors, sheet selection, merged
//! regions, the 1904 date system and size limits. Knows nothing of canonical tables.

use std::io::Read;
use std::path::Path;

use calamine::{Data, Reader, SheetVisible, Sheets, open_workbook_auto};

use super::grid::{Cell, Grid, MergedRegion};
use crate::error::{SourceError, SourceErrorKind};

/// Largest sheet (rows × columns of its used area) we agree to materialise.
pub const MAX_CELLS: u64 = 20_000_000;
/// Largest input file accepted, in bytes.
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// An opened workbook.
pub struct Workbook {
    file: String,
    sheets: Sheets<std::io::BufReader<std::fs::File>>,
    pub is_1904: bool,
}

/// One sheet's name and visibility.
#[derive(Debug, Clone)]
pub struct SheetInfo {
    pub name: String,
    pub visible: bool,
}

const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn err(file: &str, sheet: Option<&str>, kind: SourceErrorKind) -> SourceError {
    SourceError {
        file: file.to_string(),
        sheet: sheet.map(str::to_string),
        kind,
    }
}

impl Workbook {
    /// Opens `path`; `display` is how the file is named in messages.
    pub fn open(path: &Path, display: &str) -> Result<Workbook, SourceError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if !["xlsx", "xlsm", "xlsb", "xls", "ods"].contains(&ext.as_str()) {
            return Err(err(display, None, SourceErrorKind::UnsupportedFormat(ext)));
        }
        let meta =
            std::fs::metadata(path).map_err(|_| err(display, None, SourceErrorKind::NotFound))?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(err(
                display,
                None,
                SourceErrorKind::TooLarge(format!(
                    "{} octets, maximum {MAX_FILE_BYTES}",
                    meta.len()
                )),
            ));
        }
        // An encrypted OOXML file is an OLE container holding an `EncryptedPackage`.
        let mut head = [0u8; 8];
        let is_cfb = std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok()
            && head == CFB_MAGIC;
        let opened = std::panic::catch_unwind(|| open_workbook_auto(path));
        let sheets = match opened {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                if is_password_error(&e) || (is_cfb && ext != "xls" && looks_encrypted(path)) {
                    return Err(err(display, None, SourceErrorKind::PasswordProtected));
                }
                return Err(err(
                    display,
                    None,
                    SourceErrorKind::Corrupt(short(&e.to_string())),
                ));
            }
            Err(_) => {
                return Err(err(
                    display,
                    None,
                    SourceErrorKind::Corrupt("lecture interrompue".into()),
                ));
            }
        };
        let is_1904 = match &sheets {
            Sheets::Xlsx(x) => x.has_1904_epoch(),
            Sheets::Xls(x) => x.has_1904_epoch(),
            Sheets::Xlsb(x) => x.has_1904_epoch(),
            Sheets::Ods(_) => false,
        };
        Ok(Workbook {
            file: display.to_string(),
            sheets,
            is_1904,
        })
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

    /// Reads one sheet into a grid, merged regions filled.
    pub fn read_sheet(&mut self, name: &str) -> Result<Grid, SourceError> {
        let file = self.file.clone();
        self.check_size(name)?;
        let sheets = &mut self.sheets;
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            sheets.worksheet_range(name)
        }));
        let range = match read {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                if is_password_error(&e) {
                    return Err(err(&file, Some(name), SourceErrorKind::PasswordProtected));
                }
                return Err(err(
                    &file,
                    Some(name),
                    SourceErrorKind::Corrupt(short(&e.to_string())),
                ));
            }
            Err(_) => {
                return Err(err(
                    &file,
                    Some(name),
                    SourceErrorKind::Corrupt("lecture interrompue".into()),
                ));
            }
        };
        let mut grid = Grid::default();
        if let Some((r0, c0)) = range.start() {
            let (r0, c0) = (r0 as usize, c0 as usize);
            for _ in 0..r0 {
                grid.rows.push(Vec::new());
            }
            for row in range.rows() {
                let mut cells = vec![Cell::Empty; c0];
                cells.extend(row.iter().map(convert));
                while cells.last().is_some_and(|c| *c == Cell::Empty) {
                    cells.pop();
                }
                grid.rows.push(cells);
            }
        }
        let merged = self.merged_regions(name);
        grid.fill_merged(&merged);
        Ok(grid)
    }

    fn merged_regions(&mut self, name: &str) -> Vec<MergedRegion> {
        let dims = match &mut self.sheets {
            Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
            Sheets::Xls(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
            _ => Vec::new(),
        };
        dims.iter()
            .map(|d| MergedRegion {
                first_row: d.start.0 as usize,
                first_col: d.start.1 as usize,
                last_row: d.end.0 as usize,
                last_col: d.end.1 as usize,
            })
            .collect()
    }

    /// For xlsx, streams the cells once to bound the used area before calamine builds a
    /// dense range (a tiny file with cells in A1 and XFD1048576 would need 500 GB).
    fn check_size(&mut self, name: &str) -> Result<(), SourceError> {
        let Sheets::Xlsx(x) = &mut self.sheets else {
            return Ok(());
        };
        let Ok(mut reader) = x.worksheet_cells_reader(name) else {
            return Ok(());
        };
        let (mut max_r, mut max_c, mut min_r, mut min_c) = (0u64, 0u64, u64::MAX, u64::MAX);
        let mut n = 0u64;
        while let Ok(Some(cell)) = reader.next_cell() {
            let (r, c) = cell.get_position();
            let (r, c) = (u64::from(r), u64::from(c));
            max_r = max_r.max(r);
            max_c = max_c.max(c);
            min_r = min_r.min(r);
            min_c = min_c.min(c);
            n += 1;
        }
        if n > 0 {
            let area = (max_r - min_r + 1) * (max_c - min_c + 1);
            if area > MAX_CELLS {
                return Err(err(
                    &self.file,
                    Some(name),
                    SourceErrorKind::TooLarge(format!(
                        "zone utilisée de {area} cellules, maximum {MAX_CELLS}"
                    )),
                ));
            }
        }
        Ok(())
    }
}

fn convert(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Float(f) => Cell::Number(*f),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => {
            if dt.is_datetime() {
                // calamine applies the workbook's own epoch (1900 or 1904).
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                match chrono::NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)) {
                    Some(date) => Cell::Date(date),
                    None => Cell::Number(dt.as_f64()),
                }
            } else {
                Cell::Number(dt.as_f64())
            }
        }
        Data::DateTimeIso(s) => Cell::IsoDate(s.clone()),
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

fn is_password_error(e: &calamine::Error) -> bool {
    matches!(
        e,
        calamine::Error::Xlsx(calamine::XlsxError::Password)
            | calamine::Error::Xls(calamine::XlsError::Password)
            | calamine::Error::Ods(calamine::OdsError::Password)
    ) || e.to_string().to_lowercase().contains("password")
}

/// An OLE container with an `EncryptedPackage` stream name inside (UTF-16 in the
/// directory), as written by Excel for a password-protected .xlsx.
fn looks_encrypted(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let needle: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    bytes.windows(needle.len()).any(|w| w == needle.as_slice())
}

fn short(s: &str) -> String {
    let s: String = s.chars().take(160).collect();
    s.replace('\n', " ")
}
