//! Pre-checks of a workbook file before calamine reads it. Owns what a file really is
//! (its first bytes, whatever its extension says) and, for each format, the sizes and
//! counts calamine would allocate from: the zip central directory and the bytes actually
//! inflated (declared sizes can lie), shared-string counts, the repeated rows and columns
//! and cell texts of an ODS `content.xml`, the DIMENSIONS records and cell positions of an
//! `.xls`. Streaming readers only: nothing here holds more than one XML event or one BIFF
//! record at a time (the `.xls` workbook stream, bounded by the file size, excepted).
//!
//! Formats that calamine reads whole when it opens them (`.ods`, `.xls`) have every sheet
//! checked here; for `.xlsx`, `.xlsm` and `.xlsb` the sheets are read lazily and each
//! selected sheet is bounded while its grid is built (see `workbook`).
//!
//! Errors are [`SourceErrorKind`]s in French that name the limit and the `[limites]` key
//! that raises it, never a value read from the file.

use std::cell::Cell as StdCell;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use quick_xml::events::{BytesStart, Event};

use super::grid::cell_ref;
use super::limits::{Limits, MIB};
use crate::error::SourceErrorKind;

/// The workbook formats calamine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.xlsx` and `.xlsm` (Office Open XML).
    Xlsx,
    /// `.xlsb` (binary Office Open).
    Xlsb,
    /// `.xls` (Excel 97–2003, BIFF in an OLE container).
    Xls,
    /// `.ods` (OpenDocument).
    Ods,
}

impl Format {
    /// The format an extension names, lower case, without the dot.
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext {
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            "xlsb" => Some(Format::Xlsb),
            "xls" => Some(Format::Xls),
            "ods" => Some(Format::Ods),
            _ => None,
        }
    }

    fn is_zip(self) -> bool {
        !matches!(self, Format::Xls)
    }
}

/// How to raise a limit, appended to every limit message.
pub fn raise_hint(key: &str) -> String {
    format!(
        "limite « {key} » de la section [limites] du pipeline, à relever si le fichier est légitime"
    )
}

fn too_large(what: String, key: &str) -> SourceErrorKind {
    SourceErrorKind::TooLarge(format!("{what} ; {}", raise_hint(key)))
}

/// A count in French notation (`5 000 000`).
pub fn count(n: u64) -> String {
    crate::format::number_fr(n as f64, 0)
}

/// The message for a decompressed size over the limit.
pub fn decompressed_too_large(limits: &Limits) -> SourceErrorKind {
    too_large(
        format!(
            "contenu décompressé de plus de {} Mo",
            count(limits.decompressed_bytes / MIB)
        ),
        "taille_decompressee_mo",
    )
}

/// The message for a shared-string count over the limit.
pub fn shared_strings_too_many(limits: &Limits) -> SourceErrorKind {
    too_large(
        format!("plus de {} textes partagés", count(limits.shared_strings)),
        "chaines_partagees",
    )
}

/// The message for a used area over the limit; `sheet` says which sheet when the error
/// does not carry it (a position, never a name read from the file).
pub fn area_too_large(limits: &Limits, sheet: Option<usize>) -> SourceErrorKind {
    too_large(
        format!(
            "{}zone utilisée de plus de {} cellules, de A1 à la dernière cellule remplie",
            sheet_prefix(sheet),
            count(limits.cells_per_sheet)
        ),
        "cellules_par_feuille",
    )
}

/// The message for one cell's text over the limit.
pub fn cell_too_long(limits: &Limits, sheet: Option<usize>, row: u64, col: u64) -> SourceErrorKind {
    let place = match (usize::try_from(row), usize::try_from(col)) {
        (Ok(r), Ok(c)) => cell_ref(r, c),
        _ => "?".into(),
    };
    too_large(
        format!(
            "{}cellule {place} : texte de plus de {} caractères",
            sheet_prefix(sheet),
            count(limits.cell_chars as u64)
        ),
        "caracteres_par_cellule",
    )
}

/// The message for a sheet whose texts together exceed the limit.
pub fn sheet_text_too_large(limits: &Limits, sheet: Option<usize>) -> SourceErrorKind {
    too_large(
        format!(
            "{}textes de plus de {} Mo au total une fois la feuille dépliée",
            sheet_prefix(sheet),
            count(limits.sheet_text_bytes / MIB)
        ),
        "texte_par_feuille_mo",
    )
}

fn sheet_prefix(sheet: Option<usize>) -> String {
    sheet.map_or(String::new(), |n| format!("feuille n° {n}, "))
}

fn corrupt(detail: &str) -> SourceErrorKind {
    SourceErrorKind::Corrupt(detail.to_string())
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const ZIP_EMPTY_MAGIC: &[u8] = b"PK\x05\x06";
pub(crate) const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Checks that the file's first bytes are those of `format`, and says in French what the
/// file really is when they are not (a PDF, an HTML export, a CSV renamed…).
pub fn sniff(path: &Path, format: Format) -> Result<(), SourceErrorKind> {
    let mut head = Vec::with_capacity(1024);
    std::fs::File::open(path)
        .and_then(|f| f.take(1024).read_to_end(&mut head))
        .map_err(|_| SourceErrorKind::NotFound)?;
    if head.is_empty() {
        return Err(corrupt("le fichier est vide (0 octet)"));
    }
    let is_zip = head.starts_with(ZIP_MAGIC) || head.starts_with(ZIP_EMPTY_MAGIC);
    let is_cfb = head.starts_with(&CFB_MAGIC);
    match format {
        _ if format.is_zip() && is_zip => Ok(()),
        Format::Xls if is_cfb => Ok(()),
        // An encrypted .xlsx is an OLE container: told apart by the caller.
        Format::Xlsx | Format::Xlsb if is_cfb => Ok(()),
        Format::Ods if is_cfb => Err(corrupt(
            "c'est en réalité un classeur Excel 97-2003 (.xls) renommé en .ods : renommez-le en .xls",
        )),
        Format::Xls if is_zip => Err(corrupt(
            "c'est en réalité un classeur .xlsx ou .ods renommé en .xls : rétablissez sa vraie extension",
        )),
        _ => Err(corrupt(describe(&head))),
    }
}

/// What a file that is not a workbook looks like, from its first bytes.
fn describe(head: &[u8]) -> &'static str {
    let text = String::from_utf8_lossy(head).to_lowercase();
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if head.starts_with(b"%PDF") {
        "c'est en réalité un document PDF, pas un classeur : demandez le fichier Excel ou CSV d'origine"
    } else if trimmed.starts_with("<!doctype html")
        || trimmed.starts_with("<html")
        || trimmed.starts_with("<table")
        || (trimmed.starts_with('<') && text.contains("<table"))
    {
        "c'est en réalité une page HTML (un export de logiciel) enregistrée avec une extension de classeur : ouvrez-la dans Excel et enregistrez-la en .xlsx"
    } else if trimmed.starts_with("<?xml") {
        "c'est en réalité un fichier XML (par exemple « Feuille de calcul XML 2003 »), pas un classeur"
    } else if head.starts_with(b"{\\rtf") {
        "c'est en réalité un document RTF, pas un classeur"
    } else if std::str::from_utf8(head).is_ok()
        || head
            .iter()
            .all(|b| *b >= 0x20 || matches!(*b, b'\t' | b'\r' | b'\n'))
    {
        "c'est en réalité un fichier texte (un CSV ?) renommé avec une extension de classeur : rétablissez l'extension .csv"
    } else {
        "ce n'est pas un classeur reconnu : fichier tronqué, ou d'un autre format renommé"
    }
}

/// A reader that counts the bytes it yields against a budget shared by every part of an
/// archive, and fails once the budget is spent (the zip bomb guard: inflated bytes are
/// counted, not taken from the sizes the archive declares).
struct Budget<'a, R> {
    inner: R,
    left: &'a mut u64,
    spent: &'a StdCell<bool>,
}

impl<R: Read> Read for Budget<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > *self.left {
            self.spent.set(true);
            return Err(io::Error::other("budget"));
        }
        *self.left -= n as u64;
        Ok(n)
    }
}

/// Checks a zipped workbook (xlsx, xlsm, xlsb, ods) before calamine opens it. Returns
/// what is left of the decompression budget. The `content.xml` of an ODS is not read here
/// but by [`rebuild_ods`], with the budget left.
// Long function: the checks of a zip archive's directory and of the bytes actually
// inflated, entry by entry, share the running totals.
pub fn check_zip(path: &Path, format: Format, limits: &Limits) -> Result<u64, SourceErrorKind> {
    let file = std::fs::File::open(path).map_err(|_| SourceErrorKind::NotFound)?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|_| {
        corrupt("l'archive du classeur est tronquée ou endommagée, sans doute un fichier incomplet")
    })?;
    if archive.has_duplicate_names() {
        return Err(corrupt(
            "l'archive du classeur contient deux fois la même partie : fichier forgé ou mal réparé",
        ));
    }
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_data(i)
            .map_err(|_| corrupt("l'archive du classeur est endommagée"))?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > limits.decompressed_bytes {
        return Err(decompressed_too_large(limits));
    }
    let mut left = limits.decompressed_bytes;
    let spent = StdCell::new(false);
    let mut ods_content = false;
    for i in 0..archive.len() {
        let part = match archive.by_index(i) {
            Ok(p) => p,
            Err(zip::result::ZipError::UnsupportedArchive(_)) => {
                return Err(corrupt(
                    "une partie du classeur est chiffrée ou compressée d'une manière non prise en charge",
                ));
            }
            Err(_) => {
                return Err(corrupt(
                    "une partie de l'archive du classeur est endommagée",
                ));
            }
        };
        let name = part
            .name()
            .map(|n| n.to_ascii_lowercase())
            .unwrap_or_default();
        let reader = Budget {
            inner: part,
            left: &mut left,
            spent: &spent,
        };
        let result = match format {
            Format::Xlsx if name.ends_with("sharedstrings.xml") => {
                scan_shared_strings_xml(BufReader::new(reader), limits)
            }
            Format::Xlsb if name.ends_with("sharedstrings.bin") => {
                scan_shared_strings_bin(BufReader::new(reader), limits)
            }
            Format::Ods if name == "content.xml" => {
                ods_content = true;
                Ok(())
            }
            _ => drain(reader),
        };
        match result {
            Ok(()) => {}
            Err(_) if spent.get() => return Err(decompressed_too_large(limits)),
            Err(Scan::Limit(k)) => return Err(k),
            Err(Scan::Broken) => {
                return Err(corrupt(
                    "une partie de l'archive du classeur est endommagée : données compressées invalides ou somme de contrôle fausse",
                ));
            }
            Err(Scan::Xml) => {
                return Err(corrupt(
                    "le contenu XML du classeur est malformé : fichier forgé, ou enregistré par un logiciel défaillant",
                ));
            }
        }
    }
    if format == Format::Ods && !ods_content {
        return Err(corrupt(
            "le classeur OpenDocument n'a pas de contenu : partie content.xml absente",
        ));
    }
    Ok(left)
}

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

/// Why a scan stopped.
#[derive(Debug)]
enum Scan {
    /// A limit was exceeded (the message is ready).
    Limit(SourceErrorKind),
    /// The bytes could not be read (inflate error, checksum, budget — told apart by the
    /// caller).
    Broken,
    /// The XML is malformed.
    Xml,
}

impl From<io::Error> for Scan {
    fn from(_: io::Error) -> Self {
        Scan::Broken
    }
}

impl From<quick_xml::Error> for Scan {
    fn from(e: quick_xml::Error) -> Self {
        match e {
            quick_xml::Error::Io(_) => Scan::Broken,
            _ => Scan::Xml,
        }
    }
}

fn drain<R: Read>(mut r: R) -> Result<(), Scan> {
    io::copy(&mut r, &mut io::sink())?;
    Ok(())
}

fn xml_reader<R: BufRead>(r: R) -> quick_xml::Reader<R> {
    let mut x = quick_xml::Reader::from_reader(r);
    let c = x.config_mut();
    c.check_end_names = false;
    c.check_comments = false;
    c.trim_text(false);
    x
}

fn attr_u64(e: &BytesStart<'_>, local: &str) -> Option<Result<u64, ()>> {
    for a in e.attributes().with_checks(false).flatten() {
        if a.key.local_name().as_ref() == local {
            return Some(a.value.trim().parse::<u64>().map_err(|_| ()));
        }
    }
    None
}

fn has_attr(e: &BytesStart<'_>, local: &str) -> bool {
    e.attributes()
        .with_checks(false)
        .flatten()
        .any(|a| a.key.local_name().as_ref() == local)
}

fn attr_chars(e: &BytesStart<'_>, local: &str) -> u64 {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .map_or(0, |a| a.value.chars().count() as u64)
}

/// `xl/sharedStrings.xml`: the declared number of distinct strings (`uniqueCount`, which
/// calamine reserves room for) and the actual number of `<si>` entries, against
/// [`Limits::shared_strings`]. (`count` is the number of references to shared strings in
/// the sheets, legitimately larger, so it is not checked.) Each string's length is checked
/// when a cell uses it.
fn scan_shared_strings_xml<R: BufRead>(r: R, limits: &Limits) -> Result<(), Scan> {
    let mut x = xml_reader(r);
    let mut buf = Vec::new();
    let mut n: u64 = 0;
    loop {
        match x.read_event_into(&mut buf)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "sst" => {
                    if let Some(declared) = attr_u64(&e, "uniqueCount") {
                        match declared {
                            Ok(d) if d <= limits.shared_strings => {}
                            _ => return Err(Scan::Limit(shared_strings_too_many(limits))),
                        }
                    }
                }
                "si" => {
                    n += 1;
                    if n > limits.shared_strings {
                        return Err(Scan::Limit(shared_strings_too_many(limits)));
                    }
                }
                _ => {}
            },
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// Reads one XLSB record header (type, size), `None` at the end of the part.
fn xlsb_record_header<R: Read>(r: &mut R) -> Result<Option<(u32, u64)>, Scan> {
    let mut b = [0u8; 1];
    let mut typ: u32 = 0;
    for i in 0..2 {
        if r.read(&mut b)? == 0 {
            return if i == 0 { Ok(None) } else { Err(Scan::Broken) };
        }
        typ |= u32::from(b[0] & 0x7F) << (7 * i);
        if b[0] & 0x80 == 0 {
            break;
        }
    }
    let mut size: u64 = 0;
    for i in 0..4 {
        r.read_exact(&mut b)?;
        size |= u64::from(b[0] & 0x7F) << (7 * i);
        if b[0] & 0x80 == 0 {
            break;
        }
    }
    Ok(Some((typ, size)))
}

/// `xl/sharedStrings.bin`: `BrtBeginSst` declares the number of distinct strings; the
/// `BrtSSTItem` records are counted.
fn scan_shared_strings_bin<R: Read>(mut r: R, limits: &Limits) -> Result<(), Scan> {
    const BRT_BEGIN_SST: u32 = 0x9F;
    const BRT_SST_ITEM: u32 = 0x13;
    let mut n: u64 = 0;
    while let Some((typ, size)) = xlsb_record_header(&mut r)? {
        if typ == BRT_BEGIN_SST && size >= 8 {
            let mut head = [0u8; 8];
            r.read_exact(&mut head)?;
            let unique = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
            if u64::from(unique) > limits.shared_strings {
                return Err(Scan::Limit(shared_strings_too_many(limits)));
            }
            io::copy(&mut (&mut r).take(size - 8), &mut io::sink())?;
            continue;
        }
        if typ == BRT_SST_ITEM {
            n += 1;
            if n > limits.shared_strings {
                return Err(Scan::Limit(shared_strings_too_many(limits)));
            }
        }
        let copied = io::copy(&mut (&mut r).take(size), &mut io::sink())?;
        if copied < size {
            return Err(Scan::Broken);
        }
    }
    Ok(())
}

/// One ODS table being scanned.
#[derive(Default)]
struct OdsTable {
    /// 1-based position of the table in the workbook (used in messages).
    position: usize,
    /// Rows so far, repeats included.
    rows: u64,
    /// End (exclusive) of the last row holding a value, repeats included.
    last_row_end: u64,
    /// Widest row holding a value (columns up to its last value, repeats included).
    width: u64,
    /// Text of the sheet once repeats are unfolded, in bytes.
    text_bytes: u64,
}

/// The row being scanned.
#[derive(Default)]
struct OdsRow {
    repeat: u64,
    col: u64,
    extent: u64,
    text_bytes: u64,
}

/// The cell being scanned.
#[derive(Default)]
struct OdsCell {
    repeat: u64,
    has_value: bool,
    chars: u64,
    bytes: u64,
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
fn filter_ods_content<R: BufRead, W: Write>(
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

fn check_cell_chars(t: &OdsTable, r: &OdsRow, c: &OdsCell, limits: &Limits) -> Result<(), Scan> {
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

fn end_cell(r: &mut OdsRow, c: OdsCell) {
    r.col = r.col.saturating_add(c.repeat);
    if c.has_value || c.bytes > 0 {
        r.extent = r.col;
        r.text_bytes = r
            .text_bytes
            .saturating_add(c.bytes.saturating_mul(c.repeat));
    }
}

fn end_row(t: &mut OdsTable, r: OdsRow, limits: &Limits) -> Result<(), Scan> {
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

/// Reads an OLE container: an encrypted `.xlsx` (an `EncryptedPackage` stream) is
/// password protected, an `.xls` renamed is told apart; for an `.xls`, returns its BIFF
/// workbook stream (bounded by the file size limit).
pub fn read_biff_stream(
    path: &Path,
    format: Format,
    limits: &Limits,
) -> Result<Vec<u8>, SourceErrorKind> {
    let file = std::fs::File::open(path).map_err(|_| SourceErrorKind::NotFound)?;
    let mut cfb = cfb::CompoundFile::open(file)
        .map_err(|_| corrupt("le conteneur du classeur Excel 97-2003 est endommagé ou tronqué"))?;
    if cfb.is_stream("EncryptedPackage") || cfb.is_stream("/EncryptedPackage") {
        return Err(SourceErrorKind::PasswordProtected);
    }
    if format != Format::Xls {
        return Err(corrupt(
            "c'est en réalité un classeur Excel 97-2003 (.xls) renommé : rétablissez l'extension .xls",
        ));
    }
    let name = ["Workbook", "Book", "/Workbook", "/Book"]
        .into_iter()
        .find(|n| cfb.is_stream(n))
        .ok_or_else(|| corrupt("le classeur Excel 97-2003 n'a pas de feuilles lisibles"))?;
    let mut stream = Vec::new();
    cfb.open_stream(name)
        .and_then(|s| s.take(limits.file_bytes).read_to_end(&mut stream))
        .map_err(|_| corrupt("le classeur Excel 97-2003 est endommagé ou tronqué"))?;
    Ok(stream)
}

/// The end (exclusive) of the BIFF substream starting at `pos`: after the EOF record that
/// closes its first BOF, nested substreams (embedded charts) included.
fn substream_end(stream: &[u8], pos: usize) -> usize {
    let mut depth = 0usize;
    let mut at = pos;
    for (typ, d) in records(stream.get(pos..).unwrap_or_default()) {
        at += 4 + d.len();
        match typ {
            0x0809 => depth += 1,
            0x000A => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return at;
                }
            }
            _ => {}
        }
    }
    at
}

/// Rebuilds an `.xls` in memory for calamine, which parses every sheet when it opens a
/// file: the workbook globals as they are, the sheets `keep` accepts (1-based position)
/// as they are, the others reduced to an end-of-sheet record; sheet positions patched.
/// Calamine never sees the original container.
pub fn rebuild_xls(
    stream: &[u8],
    keep: &dyn Fn(usize) -> bool,
) -> Result<Vec<u8>, SourceErrorKind> {
    let mut globals_end = 0usize;
    let mut bound: Vec<(usize, usize)> = Vec::new();
    for (typ, d) in records(stream) {
        let at = globals_end;
        globals_end += 4 + d.len();
        match typ {
            0x0085 => {
                let pos = u32_at(d, 0).and_then(|p| usize::try_from(p).ok());
                bound.push((at + 4, pos.unwrap_or(usize::MAX)));
            }
            0x000A => break,
            _ => {}
        }
    }
    let mut out = stream.get(..globals_end).unwrap_or_default().to_vec();
    const EOF: [u8; 4] = [0x0A, 0x00, 0x00, 0x00];
    for (i, (field, pos)) in bound.into_iter().enumerate() {
        let new_pos = u32::try_from(out.len())
            .map_err(|_| corrupt("le classeur Excel 97-2003 est trop grand pour ce format"))?;
        out[field..field + 4].copy_from_slice(&new_pos.to_le_bytes());
        if keep(i + 1) && pos < stream.len() {
            let end = substream_end(stream, pos);
            out.extend_from_slice(&stream[pos..end]);
        } else {
            out.extend_from_slice(&EOF);
        }
    }
    let fail = |_| corrupt("classeur impossible à recopier en mémoire");
    // Version 3 (512-byte sectors), what Excel writes and what calamine reads best.
    let mut comp =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, io::Cursor::new(Vec::new()))
            .map_err(fail)?;
    comp.create_stream("Workbook")
        .and_then(|mut s| s.write_all(&out))
        .map_err(fail)?;
    comp.flush().map_err(fail)?;
    Ok(comp.into_inner().into_inner())
}

/// One BIFF record: type and data.
fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let head = stream.get(pos..pos + 4)?;
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let data = stream.get(pos + 4..pos + 4 + len)?;
        pos += 4 + len;
        Some((typ, data))
    })
}

fn u16_at(d: &[u8], at: usize) -> Option<u64> {
    d.get(at..at + 2)
        .map(|b| u64::from(u16::from_le_bytes([b[0], b[1]])))
}

fn u32_at(d: &[u8], at: usize) -> Option<u64> {
    d.get(at..at + 4)
        .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
}

/// The BIFF workbook stream of an `.xls`: the shared strings it declares (`SST`), and for
/// every sheet `keep` accepts (the ones calamine will be given) the area its DIMENSIONS
/// record claims (calamine reserves room for it) and the area its cells really cover (a
/// forged row or column index would make calamine allocate the whole rectangle).
pub fn check_biff(
    stream: &[u8],
    limits: &Limits,
    keep: &dyn Fn(usize) -> bool,
) -> Result<(), SourceErrorKind> {
    let mut sheets: Vec<usize> = Vec::new();
    // The SST record and the CONTINUE records that follow it.
    let mut sst: Vec<&[u8]> = Vec::new();
    let mut in_sst = false;
    for (typ, d) in records(stream) {
        if in_sst && typ == 0x003C {
            sst.push(d);
            continue;
        }
        in_sst = false;
        match typ {
            // FilePass: encrypted.
            0x002F if u16_at(d, 0).unwrap_or(0) != 0 => {
                return Err(SourceErrorKind::PasswordProtected);
            }
            // SST: cstTotal, cstUnique.
            0x00FC if u32_at(d, 4).unwrap_or(0) > limits.shared_strings => {
                return Err(shared_strings_too_many(limits));
            }
            0x00FC => {
                sst = vec![d.get(8..).unwrap_or_default()];
                in_sst = true;
            }
            // BoundSheet8: stream position of the sheet.
            0x0085 => {
                if let Some(pos) = u32_at(d, 0) {
                    sheets.push(usize::try_from(pos).unwrap_or(usize::MAX));
                }
            }
            0x000A => break,
            _ => {}
        }
    }
    let lengths = if sheets.iter().enumerate().any(|(i, _)| keep(i + 1)) {
        sst_lengths(sst, limits.shared_strings)
    } else {
        Vec::new()
    };
    for (i, pos) in sheets.into_iter().enumerate() {
        if !keep(i + 1) {
            continue;
        }
        let Some(sub) = stream.get(pos..) else {
            continue;
        };
        check_biff_sheet(sub, i + 1, &lengths, limits)?;
    }
    Ok(())
}

/// Reads bytes across the SST record and its CONTINUE records.
struct Segments<'a> {
    segs: Vec<&'a [u8]>,
    seg: usize,
    pos: usize,
}

impl Segments<'_> {
    fn byte(&mut self) -> Option<u8> {
        loop {
            let s = self.segs.get(self.seg)?;
            if let Some(b) = s.get(self.pos) {
                self.pos += 1;
                return Some(*b);
            }
            self.seg += 1;
            self.pos = 0;
        }
    }

    fn u16(&mut self) -> Option<u64> {
        Some(u64::from(u16::from_le_bytes([self.byte()?, self.byte()?])))
    }

    fn u32(&mut self) -> Option<u64> {
        let lo = self.u16()?;
        Some(lo | (self.u16()? << 16))
    }

    fn skip(&mut self, mut n: u64) -> Option<()> {
        while n > 0 {
            let s = self.segs.get(self.seg)?;
            let avail = (s.len() - self.pos.min(s.len())) as u64;
            if avail == 0 {
                self.seg += 1;
                self.pos = 0;
                continue;
            }
            let take = avail.min(n);
            self.pos += take as usize;
            n -= take;
        }
        Some(())
    }

    /// Skips `cch` characters and returns their size in bytes; character data split over
    /// records restarts with a byte that says whether the rest is 8- or 16-bit.
    fn chars(&mut self, mut cch: u64, mut wide: bool) -> Option<u64> {
        let mut bytes = 0;
        loop {
            let s = self.segs.get(self.seg)?;
            let per = if wide { 2 } else { 1 };
            let avail = (s.len() - self.pos.min(s.len())) as u64 / per;
            let take = avail.min(cch);
            self.pos += (take * per) as usize;
            bytes += take * per;
            cch -= take;
            if cch == 0 {
                return Some(bytes);
            }
            self.seg += 1;
            self.pos = 0;
            wide = self.byte()? & 1 != 0;
        }
    }
}

/// Each shared string of an `.xls`: characters, and size as stored (8-bit characters count
/// one byte, 16-bit ones two: close to its size once decoded); at most `max` strings.
fn sst_lengths(segs: Vec<&[u8]>, max: u64) -> Vec<(u64, u64)> {
    let mut r = Segments {
        segs,
        seg: 0,
        pos: 0,
    };
    let mut out = Vec::new();
    while (out.len() as u64) < max {
        let Some(cch) = r.u16() else { break };
        let Some(flags) = r.byte() else { break };
        let wide = flags & 0x01 != 0;
        let runs = if flags & 0x08 != 0 { r.u16() } else { Some(0) };
        let ext = if flags & 0x04 != 0 { r.u32() } else { Some(0) };
        let (Some(runs), Some(ext)) = (runs, ext) else {
            break;
        };
        let Some(bytes) = r.chars(cch, wide) else {
            break;
        };
        out.push((cch, bytes));
        if r.skip(runs * 4).and_then(|()| r.skip(ext)).is_none() {
            break;
        }
    }
    out
}

// Long function: a walk over the records of a BIFF sheet stream; every record type shares
// the position and bound state.
fn check_biff_sheet(
    sub: &[u8],
    position: usize,
    sst: &[(u64, u64)],
    limits: &Limits,
) -> Result<(), SourceErrorKind> {
    let mut text: u64 = 0;
    let mut add_text = |row: Option<u64>, col: Option<u64>, chars: u64, bytes: u64| {
        if chars > limits.cell_chars as u64 {
            return Err(cell_too_long(
                limits,
                Some(position),
                row.unwrap_or(0),
                col.unwrap_or(0),
            ));
        }
        text = text.saturating_add(bytes);
        if text > limits.sheet_text_bytes {
            return Err(sheet_text_too_large(limits, Some(position)));
        }
        Ok(())
    };
    let (mut max_r, mut max_c) = (None::<u64>, None::<u64>);
    let mut depth = 0usize;
    let mut seen_bof = false;
    let area = |r: u64, c: u64| (r + 1).saturating_mul(c + 1);
    for (typ, d) in records(sub) {
        if depth > 0 {
            match typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        let mut cell = |r: Option<u64>, c: Option<u64>| -> Result<(), SourceErrorKind> {
            if let (Some(r), Some(c)) = (r, c) {
                let r = max_r.map_or(r, |m| m.max(r));
                let c = max_c.map_or(c, |m| m.max(c));
                max_r = Some(r);
                max_c = Some(c);
                if area(r, c) > limits.cells_per_sheet {
                    return Err(area_too_large(limits, Some(position)));
                }
            }
            Ok(())
        };
        match typ {
            0x0809 => {
                if seen_bof {
                    depth += 1;
                } else {
                    seen_bof = true;
                }
            }
            // DIMENSIONS, as calamine reads it: rows [rf, rl), columns [cf, cl).
            0x0200 => {
                let (rf, rl, cf, cl) = match d.len() {
                    10 => (u16_at(d, 0), u16_at(d, 2), u16_at(d, 4), u16_at(d, 6)),
                    14 | 16 => (u32_at(d, 0), u32_at(d, 4), u16_at(d, 8), u16_at(d, 10)),
                    _ => (None, None, None, None),
                };
                if let (Some(rf), Some(rl), Some(mut cf), Some(cl)) = (rf, rl, cf, cl) {
                    if cf > 0xFF || cl < cf {
                        cf = 0;
                    }
                    if rl >= 1 && cl >= 1 {
                        if rl - 1 < rf {
                            return Err(corrupt(
                                "les dimensions déclarées d'une feuille sont incohérentes : fichier forgé ou endommagé",
                            ));
                        }
                        let rows = rl - rf;
                        let cols = cl.saturating_sub(cf).max(1);
                        if rows.saturating_mul(cols) > limits.cells_per_sheet {
                            return Err(area_too_large(limits, Some(position)));
                        }
                    }
                }
            }
            // Cells with (row, column) first: Number, Label, RString, BoolErr, Rk,
            // LabelSst, Formula.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                let (r, c) = (u16_at(d, 0), u16_at(d, 2));
                cell(r, c)?;
                match typ {
                    // Label, RString: an XLUnicodeString (cch, flags, characters).
                    0x0204 | 0x00D6 => {
                        let cch = u16_at(d, 6).unwrap_or(0);
                        let wide = d.get(8).is_some_and(|f| f & 1 != 0);
                        add_text(r, c, cch, if wide { cch * 2 } else { cch })?;
                    }
                    // LabelSst: a copy of a shared string.
                    0x00FD => {
                        let (chars, bytes) = u32_at(d, 6)
                            .and_then(|i| usize::try_from(i).ok())
                            .and_then(|i| sst.get(i))
                            .copied()
                            .unwrap_or((0, 0));
                        add_text(r, c, chars, bytes)?;
                    }
                    _ => {}
                }
            }
            // MulRk: row, first column, …, last column.
            0x00BD => {
                let last = d.len().checked_sub(2).and_then(|at| u16_at(d, at));
                cell(u16_at(d, 0), last)?;
            }
            0x000A => break,
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn limits() -> Limits {
        Limits::default()
    }

    fn small() -> Limits {
        Limits {
            cells_per_sheet: 100,
            cell_chars: 10,
            shared_strings: 5,
            sheet_text_bytes: 1000,
            decompressed_bytes: 10_000,
            ..Limits::default()
        }
    }

    fn limit_of(e: Scan) -> String {
        match e {
            Scan::Limit(SourceErrorKind::TooLarge(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sniffing_names_what_the_file_really_is() {
        let d = std::env::temp_dir().join(format!("obs-sniff-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let cases: [(&[u8], Format, &str); 6] = [
            (b"", Format::Xlsx, "vide"),
            (b"%PDF-1.7\n...", Format::Xlsx, "PDF"),
            (b"<html><body><table>", Format::Xls, "HTML"),
            (b"Nom;Date\nA;1\n", Format::Xlsx, "texte"),
            (b"PK\x03\x04rest", Format::Xls, "renommé en .xls"),
            (&CFB_MAGIC, Format::Ods, "97-2003"),
        ];
        for (i, (bytes, f, want)) in cases.iter().enumerate() {
            let p = d.join(format!("f{i}"));
            std::fs::write(&p, bytes).unwrap();
            match sniff(&p, *f) {
                Err(SourceErrorKind::Corrupt(s)) => assert!(s.contains(want), "{s}"),
                other => panic!("{i}: {other:?}"),
            }
        }
        let p = d.join("ok");
        std::fs::write(&p, b"PK\x03\x04....").unwrap();
        assert!(sniff(&p, Format::Xlsx).is_ok());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn shared_string_counts_declared_and_actual() {
        let ok = br#"<sst count="9" uniqueCount="2"><si><t>a</t></si><si><t>b</t></si></sst>"#;
        assert!(scan_shared_strings_xml(&ok[..], &small()).is_ok());
        let declared = br#"<sst count="1" uniqueCount="100000000000000"><si><t>a</t></si></sst>"#;
        assert!(
            limit_of(scan_shared_strings_xml(&declared[..], &small()).unwrap_err())
                .contains("chaines_partagees")
        );
        let overflow = br#"<sst uniqueCount="99999999999999999999999"></sst>"#;
        assert!(scan_shared_strings_xml(&overflow[..], &limits()).is_err());
        let actual = "<sst>".to_string() + &"<si><t>a</t></si>".repeat(6) + "</sst>";
        assert!(
            limit_of(scan_shared_strings_xml(actual.as_bytes(), &small()).unwrap_err())
                .contains("chaines_partagees")
        );
    }

    #[test]
    fn xlsb_shared_string_count() {
        // BrtBeginSst (0x9F) with cstUnique = 1e9, then nothing.
        let mut b = vec![0x9F, 0x01, 8];
        b.extend(1u32.to_le_bytes());
        b.extend(1_000_000_000u32.to_le_bytes());
        assert!(scan_shared_strings_bin(&b[..], &limits()).is_err());
        let mut ok = vec![0x9F, 0x01, 8];
        ok.extend(1u32.to_le_bytes());
        ok.extend(1u32.to_le_bytes());
        ok.extend([0x13, 2, 0, 0]);
        assert!(scan_shared_strings_bin(&ok[..], &limits()).is_ok());
    }

    fn scan_ods_content(xml: &[u8], l: &Limits) -> Result<(), Scan> {
        let mut w = quick_xml::Writer::new(Vec::new());
        filter_ods_content(xml, &mut w, &|_| true, l)
    }

    #[test]
    fn ods_tables_left_out_are_neither_checked_nor_given() {
        let bomb = ods(
            r#"<table:table table:name="A"><table:table-row><table:table-cell office:value-type="float" office:value="1"/></table:table-row></table:table><table:table table:name="LEA"><table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row></table:table>"#,
        );
        let mut w = quick_xml::Writer::new(Vec::new());
        filter_ods_content(bomb.as_bytes(), &mut w, &|p| p == 1, &limits()).unwrap();
        let out = String::from_utf8(w.into_inner()).unwrap();
        assert!(
            out.contains(r#"<table:table table:name="LEA"></table:table>"#),
            "{out}"
        );
        assert!(out.contains(r#"office:value="1"/></table:table-row></table:table><table:table"#));
        assert!(!out.contains("16384"));
        // Everything kept is copied as it was.
        let small = ods(
            r#"<table:table table:name="A"><table:table-row><table:table-cell office:value-type="string"><text:p>L&apos;été <text:s/>x</text:p></table:table-cell></table:table-row></table:table><!-- c -->"#,
        );
        let mut w = quick_xml::Writer::new(Vec::new());
        filter_ods_content(small.as_bytes(), &mut w, &|_| true, &limits()).unwrap();
        assert_eq!(String::from_utf8(w.into_inner()).unwrap(), small);
        assert!(scan_ods_content(bomb.as_bytes(), &limits()).is_err());
    }

    #[test]
    fn xls_rebuilt_with_only_the_kept_sheets() {
        let mut num = 3u16.to_le_bytes().to_vec();
        num.extend(2u16.to_le_bytes());
        num.extend([0; 2]);
        num.extend(7.5f64.to_le_bytes());
        let stream = biff(rec(0x0203, &num));
        for keep in [true, false] {
            let bytes = rebuild_xls(&stream, &|_| keep).unwrap();
            let mut x: calamine::Xls<_> = calamine::Reader::new(io::Cursor::new(bytes)).unwrap();
            let names: Vec<String> = calamine::Reader::sheet_names(&x);
            assert_eq!(names, vec!["A".to_string()]);
            let r = calamine::Reader::worksheet_range(&mut x, "A").unwrap();
            assert_eq!(r.get_value((3, 2)).is_some(), keep);
        }
    }

    fn ods(body: &str) -> String {
        format!(
            r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>"#
        )
    }

    #[test]
    fn ods_repeats_are_unfolded_before_counting() {
        let fine = ods(
            r#"<table:table table:name="A"><table:table-row><table:table-cell office:value-type="float" office:value="1"/></table:table-row><table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>"#,
        );
        assert!(scan_ods_content(fine.as_bytes(), &limits()).is_ok());
        let bomb = ods(
            r#"<table:table table:name="A"/><table:table table:name="B"><table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row></table:table>"#,
        );
        let msg = limit_of(scan_ods_content(bomb.as_bytes(), &limits()).unwrap_err());
        assert!(
            msg.contains("feuille n° 2") && msg.contains("cellules_par_feuille"),
            "{msg}"
        );
    }

    #[test]
    fn ods_cell_text_and_space_runs() {
        let long = ods(
            r#"<table:table table:name="A"><table:table-row/><table:table-row><table:table-cell/><table:table-cell office:value-type="string"><text:p>abc<text:s text:c="4000000000"/></text:p></table:table-cell></table:table-row></table:table>"#,
        );
        let msg = limit_of(scan_ods_content(long.as_bytes(), &limits()).unwrap_err());
        assert!(
            msg.contains("cellule B2") && msg.contains("caracteres_par_cellule"),
            "{msg}"
        );
        let text = ods(
            r#"<table:table table:name="A"><table:table-row table:number-rows-repeated="60"><table:table-cell table:number-columns-repeated="2" office:value-type="string"><text:p>abcdefghi</text:p></table:table-cell></table:table-row></table:table>"#,
        );
        let wide = Limits {
            cells_per_sheet: 1000,
            ..small()
        };
        let msg = limit_of(scan_ods_content(text.as_bytes(), &wide).unwrap_err());
        assert!(msg.contains("texte_par_feuille_mo"), "{msg}");
    }

    fn rec(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut v = typ.to_le_bytes().to_vec();
        v.extend((data.len() as u16).to_le_bytes());
        v.extend(data);
        v
    }

    fn biff(sheet: Vec<u8>) -> Vec<u8> {
        // Globals: BOF, BoundSheet8 pointing after the globals, EOF; then the sheet.
        let bof = rec(0x0809, &[0, 6, 0x10, 0, 0, 0, 0, 0]);
        let eof = rec(0x000A, &[]);
        let bound_len = 4 + 9;
        let pos = (bof.len() + bound_len + eof.len()) as u32;
        let mut bs = pos.to_le_bytes().to_vec();
        bs.extend([0, 0, 1, 0, b'A']);
        let mut v = bof.clone();
        v.extend(rec(0x0085, &bs));
        v.extend(eof.clone());
        v.extend(bof);
        v.extend(sheet);
        v.extend(eof);
        v
    }

    #[test]
    fn xls_dimensions_and_cell_positions() {
        let mut dims = 0u32.to_le_bytes().to_vec();
        dims.extend(u32::MAX.to_le_bytes());
        dims.extend([0, 0, 2, 0, 0, 0]);
        let msg = match check_biff(&biff(rec(0x0200, &dims)), &limits(), &|_| true) {
            Err(SourceErrorKind::TooLarge(s)) => s,
            other => panic!("{other:?}"),
        };
        assert!(msg.contains("feuille n° 1") && msg.contains("cellules_par_feuille"));
        // A number at row 60 000, column 60 000 (forged column index).
        let mut num = 60_000u16.to_le_bytes().to_vec();
        num.extend(60_000u16.to_le_bytes());
        num.extend([0; 10]);
        assert!(matches!(
            check_biff(&biff(rec(0x0203, &num)), &limits(), &|_| true),
            Err(SourceErrorKind::TooLarge(_))
        ));
        let mut fine = 3u16.to_le_bytes().to_vec();
        fine.extend(2u16.to_le_bytes());
        fine.extend([0; 10]);
        assert!(check_biff(&biff(rec(0x0203, &fine)), &limits(), &|_| true).is_ok());
        // Inverted dimensions.
        let mut inv = 10u32.to_le_bytes().to_vec();
        inv.extend(5u32.to_le_bytes());
        inv.extend([0, 0, 2, 0, 0, 0]);
        assert!(matches!(
            check_biff(&biff(rec(0x0200, &inv)), &limits(), &|_| true),
            Err(SourceErrorKind::Corrupt(_))
        ));
    }

    #[test]
    fn xls_shared_strings_copied_into_cells_are_counted() {
        // SST: 1 string of 3 000 8-bit characters split over a CONTINUE record (which
        // restarts with a flags byte saying the rest is 16-bit), then one of 2 chars.
        let mut sst = 2u32.to_le_bytes().to_vec();
        sst.extend(2u32.to_le_bytes());
        sst.extend(3000u16.to_le_bytes());
        sst.push(0);
        sst.extend(vec![b'a'; 1000]);
        let mut cont = vec![1u8];
        cont.extend(vec![0u8; 4000]);
        cont.extend(2u16.to_le_bytes());
        cont.push(0);
        cont.extend(b"ok");
        let lengths = sst_lengths(vec![&sst[8..], &cont], 10);
        assert_eq!(lengths, vec![(3000, 1000 + 2 * 2000), (2, 2)]);
        // 300 cells copying the long string: 1.5 MB of text.
        let mut cells = Vec::new();
        for r in 0..300u16 {
            let mut d = r.to_le_bytes().to_vec();
            d.extend(0u16.to_le_bytes());
            d.extend(0u16.to_le_bytes());
            d.extend(0u32.to_le_bytes());
            cells.extend(rec(0x00FD, &d));
        }
        let l = Limits {
            sheet_text_bytes: MIB,
            ..Limits::default()
        };
        let msg = match check_biff_sheet(&cells, 1, &lengths, &l) {
            Err(SourceErrorKind::TooLarge(s)) => s,
            other => panic!("{other:?}"),
        };
        assert!(msg.contains("texte_par_feuille_mo"), "{msg}");
        assert!(check_biff_sheet(&cells, 1, &lengths, &limits()).is_ok());
        let short = Limits {
            cell_chars: 2999,
            ..Limits::default()
        };
        let msg = match check_biff_sheet(&cells, 3, &lengths, &short) {
            Err(SourceErrorKind::TooLarge(s)) => s,
            other => panic!("{other:?}"),
        };
        assert!(msg.contains("feuille n° 3, cellule A1"), "{msg}");
    }

    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (n, b) in parts {
            w.start_file(*n, o).unwrap();
            w.write_all(b).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn inflated_bytes_are_counted_and_bounded() {
        let d = std::env::temp_dir().join(format!("obs-zip-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("b.xlsx");
        let big = vec![b'a'; 50_000];
        std::fs::write(&p, zip_of(&[("xl/worksheets/sheet1.xml", &big)])).unwrap();
        let msg = match check_zip(&p, Format::Xlsx, &small()) {
            Err(SourceErrorKind::TooLarge(s)) => s,
            other => panic!("{other:?}"),
        };
        assert!(msg.contains("taille_decompressee_mo"), "{msg}");
        assert!(check_zip(&p, Format::Xlsx, &limits()).is_ok());
        // A lying central directory: the declared size is patched down to 10 bytes.
        let mut bytes = zip_of(&[("xl/worksheets/sheet1.xml", &big)]);
        let cd = bytes.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
        bytes[cd + 24..cd + 28].copy_from_slice(&10u32.to_le_bytes());
        let lh = 0;
        bytes[lh + 22..lh + 26].copy_from_slice(&10u32.to_le_bytes());
        std::fs::write(&p, &bytes).unwrap();
        assert!(check_zip(&p, Format::Xlsx, &small()).is_err());
        // Truncated archive.
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        assert!(matches!(
            check_zip(&p, Format::Xlsx, &limits()),
            Err(SourceErrorKind::Corrupt(_))
        ));
        let _ = std::fs::remove_dir_all(&d);
    }
}
