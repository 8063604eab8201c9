//! Reading CSV files into a [`Grid`]: UTF-8 (with or without BOM) or Windows-1252,
//! `;`, `,`, tab or `|` separators (detected unless set). Every cell is text; numbers
//! with decimal commas are interpreted later, against the canonical field.

use std::path::Path;

use super::grid::{Cell, Grid};
use super::workbook::MAX_FILE_BYTES;
use crate::error::{SourceError, SourceErrorKind};

/// How the text of a CSV file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Auto,
    Utf8,
    Windows1252,
}

/// What was found while reading, for the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvInfo {
    pub encoding: &'static str,
    pub separator: char,
}

pub fn read_csv(
    path: &Path,
    display: &str,
    encoding: Encoding,
    separator: Option<u8>,
) -> Result<(Grid, CsvInfo), SourceError> {
    let err = |kind| SourceError {
        file: display.to_string(),
        sheet: None,
        kind,
    };
    let meta = std::fs::metadata(path).map_err(|_| err(SourceErrorKind::NotFound))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(err(SourceErrorKind::TooLarge(format!(
            "{} octets",
            meta.len()
        ))));
    }
    let bytes =
        std::fs::read(path).map_err(|e| err(SourceErrorKind::Corrupt(e.kind().to_string())))?;
    let (text, enc_name) =
        decode(&bytes, encoding).map_err(|d| err(SourceErrorKind::Encoding(d)))?;
    let sep = separator.unwrap_or_else(|| detect_separator(&text));
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sep)
        .from_reader(text.as_bytes());
    let mut grid = Grid::default();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| {
            err(SourceErrorKind::Corrupt(format!(
                "ligne {} : {}",
                e.position().map(|p| p.line()).unwrap_or(i as u64 + 1),
                match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "texte non UTF-8",
                    _ => "structure CSV invalide (guillemet non fermé ?)",
                }
            )))
        })?;
        let mut cells: Vec<Cell> = rec
            .iter()
            .map(|s| {
                if s.trim().is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(s.to_string())
                }
            })
            .collect();
        while cells.last().is_some_and(|c| *c == Cell::Empty) {
            cells.pop();
        }
        grid.rows.push(cells);
    }
    Ok((
        grid,
        CsvInfo {
            encoding: enc_name,
            separator: sep as char,
        },
    ))
}

/// Decodes bytes: a UTF-8 BOM or valid UTF-8 means UTF-8; otherwise Windows-1252 (the
/// encoding Excel uses for "CSV (séparateur : point-virgule)" on French Windows).
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<(String, &'static str), String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match encoding {
        Encoding::Utf8 => std::str::from_utf8(bytes)
            .map(|s| (s.to_string(), "UTF-8"))
            .map_err(|e| format!("octet non UTF-8 à la position {}", e.valid_up_to())),
        Encoding::Windows1252 => {
            let (s, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            Ok((s.into_owned(), "Windows-1252"))
        }
        Encoding::Auto => match std::str::from_utf8(bytes) {
            Ok(s) => Ok((s.to_string(), "UTF-8")),
            Err(_) => {
                let (s, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
                Ok((s.into_owned(), "Windows-1252"))
            }
        },
    }
}

/// Picks the separator that splits the first lines most consistently.
pub fn detect_separator(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    let mut best = (b';', 0usize);
    for sep in [b';', b'\t', b',', b'|'] {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, sep)).collect();
        let max = counts.iter().copied().max().unwrap_or(0);
        // Score: how many lines have the modal (non-zero) count.
        let score = if max == 0 {
            0
        } else {
            counts.iter().filter(|c| **c == max).count() * 1000 + max
        };
        if score > best.1 {
            best = (sep, score);
        }
    }
    best.0
}

fn count_outside_quotes(line: &str, sep: u8) -> usize {
    let mut inside = false;
    line.bytes()
        .filter(|b| {
            if *b == b'"' {
                inside = !inside;
            }
            !inside && *b == sep
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_encoding_and_separator() {
        let latin1 = b"Nom;Pr\xe9nom;Montant\r\nL\xe9a;Zo\xe9;1 240,5\r\n";
        let (s, enc) = decode(latin1, Encoding::Auto).unwrap();
        assert_eq!(enc, "Windows-1252");
        assert!(s.contains("Prénom"));
        assert_eq!(detect_separator(&s), b';');
        let (s, enc) = decode("\u{feff}a,b\n1,2\n".as_bytes(), Encoding::Auto).unwrap();
        assert_eq!(enc, "UTF-8");
        assert_eq!(s, "a,b\n1,2\n");
        assert_eq!(detect_separator(&s), b',');
        assert_eq!(detect_separator("a;b\n\"1,5\";2\n"), b';');
        assert!(decode(b"\xff\xfe", Encoding::Utf8).is_err());
    }
}
