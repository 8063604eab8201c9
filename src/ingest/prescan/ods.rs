//! OpenDocument spreadsheets (`.ods`): `content.xml` streamed once, every table's
//! repeated rows and columns unfolded in counts only, each cell's text bounded; the
//! workbook rebuilt in memory with only the selected tables.

use super::*;

/// Rebuilds an ODS in memory for calamine: `mimetype` and `META-INF/manifest.xml` as they
/// are, `content.xml` with only the tables `keep` accepts (see [`filter_ods_content`]),
/// read within `budget` inflated bytes. Calamine never sees the original archive.
pub fn rebuild_ods(
    path: &Path,
    limits: &Limits,
    budget: u64,
    keep: &dyn Fn(usize) -> bool,
) -> Result<Vec<u8>, SourceErrorKind> {
    let file = std::fs::File::open(path).map_err(|_| SourceErrorKind::NotFound)?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|_| corrupt("l'archive du classeur est tronquée ou endommagée"))?;
    let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(budget > u64::from(u32::MAX));
    let mut left = budget;
    let spent = StdCell::new(false);
    let broken = |e: Scan, spent: bool| match e {
        _ if spent => decompressed_too_large(limits),
        Scan::Limit(k) => k,
        Scan::Xml => corrupt(
            "le contenu XML du classeur est malformé : fichier forgé, ou enregistré par un logiciel défaillant",
        ),
        Scan::Broken => corrupt("une partie de l'archive du classeur est endommagée"),
    };
    for name in ["mimetype", "META-INF/manifest.xml", "content.xml"] {
        let part = match archive.by_name(name) {
            Ok(p) => p,
            // calamine names what is missing; the message is translated there.
            Err(zip::result::ZipError::FileNotFound) => continue,
            Err(_) => {
                return Err(corrupt(
                    "une partie de l'archive du classeur est endommagée",
                ));
            }
        };
        let mut reader = Budget {
            inner: part,
            left: &mut left,
            spent: &spent,
        };
        w.start_file(name, stored)
            .map_err(|_| corrupt("classeur impossible à recopier en mémoire"))?;
        let result = if name == "content.xml" {
            let mut xw = quick_xml::Writer::new(&mut w);
            filter_ods_content(BufReader::new(reader), &mut xw, keep, limits)
        } else {
            io::copy(&mut reader, &mut w)
                .map(|_| ())
                .map_err(Scan::from)
        };
        result.map_err(|e| broken(e, spent.get()))?;
    }
    w.finish()
        .map(io::Cursor::into_inner)
        .map_err(|_| corrupt("classeur impossible à recopier en mémoire"))
}

/// One ODS table being scanned.
#[derive(Default)]
pub(super) struct OdsTable {
    /// 1-based position of the table in the workbook (used in messages).
    pub(super) position: usize,
    /// Rows so far, repeats included.
    pub(super) rows: u64,
    /// End (exclusive) of the last row holding a value, repeats included.
    pub(super) last_row_end: u64,
    /// Widest row holding a value (columns up to its last value, repeats included).
    pub(super) width: u64,
    /// Text of the sheet once repeats are unfolded, in bytes.
    pub(super) text_bytes: u64,
}

/// The row being scanned.
#[derive(Default)]
pub(super) struct OdsRow {
    pub(super) repeat: u64,
    pub(super) col: u64,
    pub(super) extent: u64,
    pub(super) text_bytes: u64,
}

/// The cell being scanned.
#[derive(Default)]
pub(super) struct OdsCell {
    pub(super) repeat: u64,
    pub(super) has_value: bool,
    pub(super) chars: u64,
    pub(super) bytes: u64,
}

/// `content.xml` of an ODS, copied to `out` with the content of every table that `keep`
/// (1-based position among named tables, as calamine lists them) rejects left out:
/// calamine unfolds every table it is given when it opens a file, so only the selected
/// ones are given. For each kept table, the area from A1 to the last cell holding a value
/// once `table:number-rows-repeated` and `table:number-columns-repeated` are unfolded,
/// each cell's text (paragraphs, `text:s` runs of spaces included), and the table's text
/// once unfolded are checked.
// Long function: one streaming pass over the XML events of content.xml; the repeat and
// bound state is shared by every event.
pub(super) fn filter_ods_content<R: BufRead, W: Write>(
    r: R,
    out: &mut quick_xml::Writer<W>,
    keep: &dyn Fn(usize) -> bool,
    limits: &Limits,
) -> Result<(), Scan> {
    let mut x = xml_reader(r);
    let mut buf = Vec::new();
    let mut tables = 0usize;
    let mut table: Option<OdsTable> = None;
    let mut row: Option<OdsRow> = None;
    let mut cell: Option<OdsCell> = None;
    // Depth inside a table left out (`Some(0)`: directly inside it).
    let mut skip: Option<usize> = None;
    loop {
        let ev = x.read_event_into(&mut buf)?;
        if let Some(depth) = skip.as_mut() {
            match &ev {
                Event::Start(_) => *depth += 1,
                Event::End(_) if *depth == 0 => skip = None,
                Event::End(_) => *depth -= 1,
                Event::Eof => return Ok(()),
                _ => {}
            }
            if skip.is_none() {
                out.write_event(ev)?;
            }
            buf.clear();
            continue;
        }
        let (start, empty) = match &ev {
            Event::Start(_) => (true, false),
            Event::Empty(_) => (true, true),
            _ => (false, false),
        };
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) if start => {
                let local = e.local_name();
                match local.as_ref() {
                    "table" if table.is_none() => {
                        let named = has_attr(e, "name");
                        if named {
                            tables += 1;
                        }
                        if named && keep(tables) {
                            if !empty {
                                table = Some(OdsTable {
                                    position: tables,
                                    ..Default::default()
                                });
                            }
                        } else if !empty {
                            skip = Some(0);
                        }
                    }
                    "table-row" if table.is_some() && cell.is_none() => {
                        let repeat = match attr_u64(e, "number-rows-repeated") {
                            Some(Ok(n)) => n.max(1),
                            Some(Err(())) => return Err(Scan::Xml),
                            None => 1,
                        };
                        let r = OdsRow {
                            repeat,
                            ..Default::default()
                        };
                        if empty {
                            if let Some(t) = table.as_mut() {
                                end_row(t, r, limits)?;
                            }
                        } else {
                            row = Some(r);
                        }
                    }
                    "table-cell" | "covered-table-cell" if row.is_some() && cell.is_none() => {
                        let repeat = match attr_u64(e, "number-columns-repeated") {
                            Some(Ok(n)) => n.max(1),
                            Some(Err(())) => return Err(Scan::Xml),
                            None => 1,
                        };
                        let string_value = attr_chars(e, "string-value");
                        let c = OdsCell {
                            repeat,
                            has_value: has_attr(e, "value-type") || has_attr(e, "formula"),
                            chars: string_value,
                            bytes: string_value,
                        };
                        if let (Some(t), Some(r)) = (table.as_ref(), row.as_mut()) {
                            check_cell_chars(t, r, &c, limits)?;
                            if empty {
                                end_cell(r, c);
                            } else {
                                cell = Some(c);
                            }
                        }
                    }
                    "s" if cell.is_some() => {
                        // `<text:s text:c="n"/>`: n spaces.
                        let n = match attr_u64(e, "c") {
                            Some(Ok(n)) => n,
                            Some(Err(())) => return Err(Scan::Xml),
                            None => 1,
                        };
                        if let (Some(t), Some(r), Some(c)) =
                            (table.as_ref(), row.as_ref(), cell.as_mut())
                        {
                            c.chars = c.chars.saturating_add(n);
                            c.bytes = c.bytes.saturating_add(n);
                            check_cell_chars(t, r, c, limits)?;
                        }
                    }
                    "p" | "tab" | "line-break" if cell.is_some() => {
                        if let (Some(t), Some(r), Some(c)) =
                            (table.as_ref(), row.as_ref(), cell.as_mut())
                        {
                            c.chars += 1;
                            c.bytes += 1;
                            check_cell_chars(t, r, c, limits)?;
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(ref t) if cell.is_some() => {
                let s: &str = t.as_ref();
                if let (Some(tb), Some(r), Some(c)) = (table.as_ref(), row.as_ref(), cell.as_mut())
                {
                    c.chars = c.chars.saturating_add(s.chars().count() as u64);
                    c.bytes = c.bytes.saturating_add(s.len() as u64);
                    if !s.trim().is_empty() {
                        c.has_value = true;
                    }
                    check_cell_chars(tb, r, c, limits)?;
                }
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                "table-cell" | "covered-table-cell" => {
                    if let (Some(r), Some(c)) = (row.as_mut(), cell.take()) {
                        end_cell(r, c);
                    }
                }
                "table-row" if cell.is_none() => {
                    if let (Some(t), Some(r)) = (table.as_mut(), row.take()) {
                        end_row(t, r, limits)?;
                    }
                }
                "table" if cell.is_none() => {
                    table = None;
                }
                _ => {}
            },
            Event::Eof => return Ok(()),
            _ => {}
        }
        out.write_event(ev)?;
        buf.clear();
    }
}

pub(super) fn check_cell_chars(
    t: &OdsTable,
    r: &OdsRow,
    c: &OdsCell,
    limits: &Limits,
) -> Result<(), Scan> {
    if c.chars > limits.cell_chars as u64 {
        return Err(Scan::Limit(cell_too_long(
            limits,
            Some(t.position),
            t.rows,
            r.col,
        )));
    }
    Ok(())
}

pub(super) fn end_cell(r: &mut OdsRow, c: OdsCell) {
    r.col = r.col.saturating_add(c.repeat);
    if c.has_value || c.bytes > 0 {
        r.extent = r.col;
        r.text_bytes = r
            .text_bytes
            .saturating_add(c.bytes.saturating_mul(c.repeat));
    }
}

pub(super) fn end_row(t: &mut OdsTable, r: OdsRow, limits: &Limits) -> Result<(), Scan> {
    t.rows = t.rows.saturating_add(r.repeat);
    if r.extent > 0 {
        t.last_row_end = t.rows;
        t.width = t.width.max(r.extent);
        t.text_bytes = t
            .text_bytes
            .saturating_add(r.text_bytes.saturating_mul(r.repeat));
    }
    if t.last_row_end.saturating_mul(t.width) > limits.cells_per_sheet {
        return Err(Scan::Limit(area_too_large(limits, Some(t.position))));
    }
    if t.text_bytes > limits.sheet_text_bytes {
        return Err(Scan::Limit(sheet_text_too_large(limits, Some(t.position))));
    }
    Ok(())
}
