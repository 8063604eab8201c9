//! The compact binary encoding between the parent and a reading child: the request
//! (path, sheets, limits) and the answer (grids or error, then the child's peak memory).
//! Little-endian integers, strings as a u64 length and UTF-8 bytes.

use super::*;

pub(super) fn put_u8(w: &mut impl Write, v: u8) -> io::Result<()> {
    w.write_all(&[v])
}

pub(super) fn put_u32(w: &mut impl Write, v: u32) -> io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

pub(super) fn put_u64(w: &mut impl Write, v: u64) -> io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

pub(super) fn put_bytes(w: &mut impl Write, b: &[u8]) -> io::Result<()> {
    put_u64(w, b.len() as u64)?;
    w.write_all(b)
}

pub(super) fn put_str(w: &mut impl Write, s: &str) -> io::Result<()> {
    put_bytes(w, s.as_bytes())
}

pub(super) fn bad() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "flux")
}

pub(super) fn get_array<const N: usize>(r: &mut impl Read) -> io::Result<[u8; N]> {
    let mut b = [0u8; N];
    r.read_exact(&mut b)?;
    Ok(b)
}

pub(super) fn get_u8(r: &mut impl Read) -> io::Result<u8> {
    Ok(get_array::<1>(r)?[0])
}

pub(super) fn get_u32(r: &mut impl Read) -> io::Result<u32> {
    Ok(u32::from_le_bytes(get_array(r)?))
}

pub(super) fn get_u64(r: &mut impl Read) -> io::Result<u64> {
    Ok(u64::from_le_bytes(get_array(r)?))
}

pub(super) fn get_usize(r: &mut impl Read) -> io::Result<usize> {
    usize::try_from(get_u64(r)?).map_err(|_| bad())
}

pub(super) fn get_bytes(r: &mut impl Read) -> io::Result<Vec<u8>> {
    let n = get_u64(r)?;
    // A short value (most are cell texts of a few bytes) is read at once; beyond
    // 64 KiB, `take` grows the buffer as bytes arrive, so a forged length allocates
    // no more than that.
    if n <= 1 << 16 {
        let mut v = vec![0; n as usize];
        r.read_exact(&mut v)?;
        return Ok(v);
    }
    let mut v = Vec::with_capacity(1 << 16);
    r.take(n).read_to_end(&mut v)?;
    if v.len() as u64 != n {
        return Err(bad());
    }
    Ok(v)
}

pub(super) fn get_str(r: &mut impl Read) -> io::Result<String> {
    String::from_utf8(get_bytes(r)?).map_err(|_| bad())
}

pub(super) fn put_limits(w: &mut impl Write, l: &Limits) -> io::Result<()> {
    for v in [
        l.file_bytes,
        l.cells_per_sheet,
        l.decompressed_bytes,
        l.shared_strings,
        l.cell_chars as u64,
        l.line_bytes as u64,
        l.sheet_text_bytes,
        l.reader_memory_bytes,
        l.reader_seconds,
    ] {
        put_u64(w, v)?;
    }
    Ok(())
}

pub(super) fn get_limits(r: &mut impl Read) -> io::Result<Limits> {
    Ok(Limits {
        file_bytes: get_u64(r)?,
        cells_per_sheet: get_u64(r)?,
        decompressed_bytes: get_u64(r)?,
        shared_strings: get_u64(r)?,
        cell_chars: get_usize(r)?,
        line_bytes: get_usize(r)?,
        sheet_text_bytes: get_u64(r)?,
        reader_memory_bytes: get_u64(r)?,
        reader_seconds: get_u64(r)?,
    })
}

#[cfg(unix)]
pub(super) fn path_bytes(p: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    p.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
pub(super) fn path_bytes(p: &Path) -> Vec<u8> {
    p.to_string_lossy().as_bytes().to_vec()
}

#[cfg(unix)]
pub(super) fn path_from(b: Vec<u8>) -> io::Result<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    Ok(PathBuf::from(std::ffi::OsString::from_vec(b)))
}

#[cfg(not(unix))]
pub(super) fn path_from(b: Vec<u8>) -> io::Result<PathBuf> {
    String::from_utf8(b).map(PathBuf::from).map_err(|_| bad())
}

pub(super) fn encode_request(
    w: &mut impl Write,
    path: &Path,
    display: &str,
    selection: &SheetSelection,
    limits: &Limits,
) -> io::Result<()> {
    w.write_all(REQUEST_MAGIC)?;
    put_bytes(w, &path_bytes(path))?;
    put_str(w, display)?;
    match selection {
        SheetSelection::Patterns(list) => {
            put_u8(w, 0)?;
            put_u64(w, list.len() as u64)?;
            for p in list {
                put_str(w, p)?;
            }
        }
        SheetSelection::Name(n) => {
            put_u8(w, 1)?;
            put_str(w, n)?;
        }
        SheetSelection::Position(p) => {
            put_u8(w, 2)?;
            put_u64(w, *p as u64)?;
        }
        SheetSelection::FirstVisible => put_u8(w, 3)?,
    }
    put_limits(w, limits)?;
    w.write_all(END_MAGIC)
}

pub(super) fn decode_request(
    r: &mut impl Read,
) -> io::Result<(PathBuf, String, SheetSelection, Limits)> {
    if &get_array::<8>(r)? != REQUEST_MAGIC {
        return Err(bad());
    }
    let path = path_from(get_bytes(r)?)?;
    let display = get_str(r)?;
    let selection = match get_u8(r)? {
        0 => {
            let n = get_u64(r)?;
            let mut v = Vec::new();
            for _ in 0..n {
                v.push(get_str(r)?);
            }
            SheetSelection::Patterns(v)
        }
        1 => SheetSelection::Name(get_str(r)?),
        2 => SheetSelection::Position(get_usize(r)?),
        3 => SheetSelection::FirstVisible,
        _ => return Err(bad()),
    };
    let limits = get_limits(r)?;
    if &get_array::<4>(r)? != END_MAGIC {
        return Err(bad());
    }
    Ok((path, display, selection, limits))
}

pub(super) fn put_cell(w: &mut impl Write, c: &Cell) -> io::Result<()> {
    match c {
        Cell::Empty => put_u8(w, 0),
        Cell::Text(s) => {
            put_u8(w, 1)?;
            put_str(w, s)
        }
        Cell::Number(n) => {
            put_u8(w, 2)?;
            w.write_all(&n.to_bits().to_le_bytes())
        }
        Cell::Bool(b) => {
            put_u8(w, 3)?;
            put_u8(w, u8::from(*b))
        }
        Cell::Date(d) => {
            put_u8(w, 4)?;
            w.write_all(&chrono::Datelike::num_days_from_ce(d).to_le_bytes())
        }
        Cell::IsoDate(s) => {
            put_u8(w, 5)?;
            put_str(w, s)
        }
        Cell::Error(s) => {
            put_u8(w, 6)?;
            put_str(w, s)
        }
    }
}

pub(super) fn get_cell(r: &mut impl Read) -> io::Result<Cell> {
    Ok(match get_u8(r)? {
        0 => Cell::Empty,
        1 => Cell::Text(get_str(r)?),
        2 => Cell::Number(f64::from_bits(get_u64(r)?)),
        3 => Cell::Bool(get_u8(r)? != 0),
        4 => {
            let days = i32::from_le_bytes(get_array(r)?);
            Cell::Date(chrono::NaiveDate::from_num_days_from_ce_opt(days).ok_or_else(bad)?)
        }
        5 => Cell::IsoDate(get_str(r)?),
        6 => Cell::Error(get_str(r)?),
        _ => return Err(bad()),
    })
}

pub(super) fn put_kind(w: &mut impl Write, k: &SourceErrorKind) -> io::Result<()> {
    match k {
        SourceErrorKind::NotFound => put_u8(w, 0),
        SourceErrorKind::UnsupportedFormat(s) => {
            put_u8(w, 1)?;
            put_str(w, s)
        }
        SourceErrorKind::PasswordProtected => put_u8(w, 2),
        SourceErrorKind::Corrupt(s) => {
            put_u8(w, 3)?;
            put_str(w, s)
        }
        SourceErrorKind::TooLarge(s) => {
            put_u8(w, 4)?;
            put_str(w, s)
        }
        SourceErrorKind::SheetNotFound {
            wanted,
            visible,
            hidden,
        } => {
            put_u8(w, 5)?;
            put_str(w, wanted)?;
            put_u64(w, *visible as u64)?;
            put_u64(w, *hidden as u64)
        }
        // Kinds a workbook reader does not produce.
        _ => {
            put_u8(w, 3)?;
            put_str(w, "erreur de lecture du classeur")
        }
    }
}

pub(super) fn get_kind(r: &mut impl Read) -> io::Result<SourceErrorKind> {
    Ok(match get_u8(r)? {
        0 => SourceErrorKind::NotFound,
        1 => SourceErrorKind::UnsupportedFormat(get_str(r)?),
        2 => SourceErrorKind::PasswordProtected,
        3 => SourceErrorKind::Corrupt(get_str(r)?),
        4 => SourceErrorKind::TooLarge(get_str(r)?),
        5 => SourceErrorKind::SheetNotFound {
            wanted: get_str(r)?,
            visible: get_usize(r)?,
            hidden: get_usize(r)?,
        },
        _ => return Err(bad()),
    })
}

/// The child's answer: what it read or the error, then its own peak resident set (kB).
pub(super) fn encode_response(
    w: &mut impl Write,
    result: &Result<WorkbookRead, SourceError>,
    peak_kb: u64,
) -> io::Result<()> {
    w.write_all(RESPONSE_MAGIC)?;
    match result {
        Ok(read) => {
            put_u8(w, 0)?;
            put_u8(w, u8::from(read.is_1904))?;
            put_u64(w, read.sheets.len() as u64)?;
            for (name, grid) in &read.sheets {
                put_str(w, name)?;
                put_u64(w, grid.rows.len() as u64)?;
                for row in &grid.rows {
                    put_u32(w, u32::try_from(row.len()).map_err(|_| bad())?)?;
                    for c in row {
                        put_cell(w, c)?;
                    }
                }
            }
            put_u64(w, read.hidden.len() as u64)?;
            for name in &read.hidden {
                put_str(w, name)?;
            }
        }
        Err(e) => {
            put_u8(w, 1)?;
            match &e.sheet {
                Some(s) => {
                    put_u8(w, 1)?;
                    put_str(w, s)?;
                }
                None => put_u8(w, 0)?,
            }
            put_kind(w, &e.kind)?;
        }
    }
    put_u64(w, peak_kb)?;
    w.write_all(END_MAGIC)
}

/// Decodes the child's answer. The outer error means a broken stream (the child died);
/// the inner result is what the child read or the error it reported.
pub(super) fn decode_response(
    r: &mut impl Read,
    display: &str,
) -> io::Result<Result<WorkbookRead, SourceError>> {
    if &get_array::<8>(r)? != RESPONSE_MAGIC {
        return Err(bad());
    }
    let result = match get_u8(r)? {
        0 => {
            let is_1904 = get_u8(r)? != 0;
            let n = get_u64(r)?;
            let mut sheets = Vec::new();
            for _ in 0..n {
                let name = get_str(r)?;
                let rows = get_u64(r)?;
                let mut grid = Grid::default();
                for _ in 0..rows {
                    let len = get_u32(r)?;
                    // Sized at once, up to a bound a forged length cannot exceed.
                    let mut row = Vec::with_capacity(len.min(1 << 12) as usize);
                    for _ in 0..len {
                        row.push(get_cell(r)?);
                    }
                    grid.rows.push(row);
                }
                sheets.push((name, grid));
            }
            let mut hidden = Vec::new();
            for _ in 0..get_u64(r)? {
                hidden.push(get_str(r)?);
            }
            Ok(WorkbookRead {
                is_1904,
                sheets,
                hidden,
            })
        }
        1 => {
            let sheet = match get_u8(r)? {
                0 => None,
                _ => Some(get_str(r)?),
            };
            Err(SourceError {
                file: display.to_string(),
                sheet,
                kind: get_kind(r)?,
            })
        }
        _ => return Err(bad()),
    };
    let peak_kb = get_u64(r)?;
    if &get_array::<4>(r)? != END_MAGIC {
        return Err(bad());
    }
    LARGEST_CHILD_PEAK_KB.fetch_max(peak_kb, Ordering::SeqCst);
    Ok(result)
}
