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

mod ods;
mod shared_strings;
mod xls;

pub use ods::*;
use shared_strings::*;
pub use xls::*;

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
pub fn check_zip(path: &Path, format: Format, limits: &Limits) -> Result<ZipScan, SourceErrorKind> {
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
    let mut merges = format != Format::Xlsx;
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
            Format::Xlsx => drain_finding(reader, MERGE_ELEMENT).map(|found| merges |= found),
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
    Ok(ZipScan { left, merges })
}

/// What [`check_zip`] learnt of an archive.
#[derive(Debug, Clone, Copy)]
pub struct ZipScan {
    /// What is left of the decompression budget.
    pub left: u64,
    /// Whether a sheet may hold merged cells: for `.xlsx`, some part holds a
    /// `mergeCell` element (found as bytes while the part is inflated anyway); `true`
    /// for the other formats. Without it, reading a sheet skips calamine's look-up of
    /// merged regions, which parses the whole sheet a second time.
    pub merges: bool,
}

/// The name of the element of a merged region in a worksheet (`<mergeCell ref=…/>`,
/// under a namespace prefix or not: an element name cannot be escaped in XML).
const MERGE_ELEMENT: &[u8] = b"mergeCell";

/// Drains `r`, telling whether `pattern` occurs in its bytes (across read boundaries).
pub(super) fn drain_finding<R: Read>(mut r: R, pattern: &[u8]) -> Result<bool, Scan> {
    let finder = memchr::memmem::Finder::new(pattern);
    let keep = pattern.len().saturating_sub(1);
    let mut buf = vec![0u8; 64 * 1024];
    let (mut filled, mut found) = (0usize, false);
    loop {
        let n = r.read(&mut buf[filled..])?;
        if n == 0 {
            return Ok(found);
        }
        filled += n;
        found = found || finder.find(&buf[..filled]).is_some();
        // The last bytes may begin the pattern: they stay at the front.
        let tail = filled.min(keep);
        buf.copy_within(filled - tail..filled, 0);
        filled = tail;
    }
}

/// Why a scan stopped.
#[derive(Debug)]
pub(super) enum Scan {
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

pub(super) fn drain<R: Read>(mut r: R) -> Result<(), Scan> {
    io::copy(&mut r, &mut io::sink())?;
    Ok(())
}

pub(super) fn xml_reader<R: BufRead>(r: R) -> quick_xml::Reader<R> {
    let mut x = quick_xml::Reader::from_reader(r);
    let c = x.config_mut();
    c.check_end_names = false;
    c.check_comments = false;
    c.trim_text(false);
    x
}

pub(super) fn attr_u64(e: &BytesStart<'_>, local: &str) -> Option<Result<u64, ()>> {
    for a in e.attributes().with_checks(false).flatten() {
        if a.key.local_name().as_ref() == local {
            return Some(a.value.trim().parse::<u64>().map_err(|_| ()));
        }
    }
    None
}

pub(super) fn has_attr(e: &BytesStart<'_>, local: &str) -> bool {
    e.attributes()
        .with_checks(false)
        .flatten()
        .any(|a| a.key.local_name().as_ref() == local)
}

pub(super) fn attr_chars(e: &BytesStart<'_>, local: &str) -> u64 {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .map_or(0, |a| a.value.chars().count() as u64)
}

#[cfg(test)]
mod tests;
