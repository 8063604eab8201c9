//! Reading CSV files into a [`Grid`]: UTF-8 (with or without BOM) or Windows-1252,
//! `;`, `,`, tab or `|` separators (detected unless set). Every cell is text; numbers
//! with decimal commas are interpreted later, against the canonical field.

use std::path::Path;

use super::grid::{Cell, Grid, TextLayout};
use super::limits::{Limits, MIB};
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

/// Reads a CSV file into a grid whose rows are the file's own lines (blank lines kept,
/// so that a problem on line 79 is reported at line 79), with the field count of every
/// record and the records an unclosed quote ran over (see [`TextLayout`]). Sizes are
/// checked before anything is split: the file, the longest line, the longest cell.
// Long function: a single pass over the bytes of the file that keeps line numbers, quote
// state and size bounds together.
pub fn read_csv(
    path: &Path,
    display: &str,
    encoding: Encoding,
    separator: Option<u8>,
    limits: &Limits,
) -> Result<(Grid, CsvInfo), SourceError> {
    let err = |kind| SourceError {
        file: display.to_string(),
        sheet: None,
        kind,
    };
    let meta = std::fs::metadata(path).map_err(|_| err(SourceErrorKind::NotFound))?;
    if meta.len() > limits.file_bytes {
        return Err(err(SourceErrorKind::TooLarge(format!(
            "{} Mio, maximum {} Mio ; pour le relever : [limites] taille_fichier_mo",
            meta.len() / MIB,
            limits.file_bytes / MIB
        ))));
    }
    let bytes = std::fs::read(path).map_err(|e| err(SourceErrorKind::Corrupt(io_reason(&e))))?;
    if let Some((line, len)) = longest_line_over(&bytes, limits.line_bytes) {
        return Err(err(SourceErrorKind::TooLarge(format!(
            "la ligne {line} compte {len} octets, maximum {} ; un fichier d'une seule très longue ligne n'est pas un tableau (séparateur de lignes absent ?) ; pour relever la limite : [limites] longueur_ligne_ko",
            limits.line_bytes
        ))));
    }
    let (text, enc_name) =
        decode(&bytes, encoding).map_err(|d| err(SourceErrorKind::Encoding(d)))?;
    drop(bytes);
    let sep = separator.unwrap_or_else(|| detect_separator(&text));
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sep)
        .from_reader(text.as_bytes());
    let mut grid = Grid::default();
    let mut layout = TextLayout::default();
    let mut record = csv::StringRecord::new();
    let (mut counted_lines, mut counted_to) = (0usize, 0usize);
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(err(SourceErrorKind::Corrupt(format!(
                    "structure CSV illisible vers la ligne {}",
                    e.position().map_or(0, |p| p.line())
                ))));
            }
        }
        // 0-based row of the record's first line, counted from its byte offset (the
        // reader's own line count skips blank lines).
        let offset = record
            .position()
            .map_or(text.len(), |p| p.byte() as usize)
            .min(text.len());
        // The reported offset may be that of blank lines skipped before the record.
        let offset = offset
            + text.as_bytes()[offset..]
                .iter()
                .take_while(|b| **b == b'\n' || **b == b'\r')
                .count();
        counted_lines += text.as_bytes()[counted_to..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted_to = offset;
        let first = counted_lines;
        // Line breaks inside the record's fields; a quote left open runs to the end of
        // the file and takes its final line break with it.
        let trailing = record.iter().next_back().is_some_and(|f| f.ends_with('\n'));
        let breaks: usize = record
            .iter()
            .map(|f| f.matches('\n').count())
            .sum::<usize>()
            - usize::from(trailing);
        let last = first + breaks;
        let sep_char = sep as char;
        if breaks > 0
            && record
                .iter()
                .any(|f| f.contains('\n') && f.contains(sep_char))
        {
            let joined = record
                .iter()
                .collect::<Vec<_>>()
                .join(&sep_char.to_string());
            let non_blank = joined
                .split('\n')
                .skip(1)
                .filter(|l| l.chars().any(|c| !c.is_whitespace() && c != sep_char))
                .count();
            layout.swallowed.push((first, last, non_blank));
        }
        for (c, field) in record.iter().enumerate() {
            if field.chars().count() > limits.cell_chars {
                return Err(err(SourceErrorKind::TooLarge(format!(
                    "la cellule {} compte plus de {} caractères ; pour relever la limite : [limites] caracteres_par_cellule",
                    super::grid::cell_ref(first, c),
                    limits.cell_chars
                ))));
            }
        }
        let mut cells: Vec<Cell> = record
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
        while grid.rows.len() < first {
            grid.rows.push(Vec::new());
            layout.fields.push(0);
        }
        grid.rows.push(cells);
        layout.fields.push(record.len());
        while grid.rows.len() <= last {
            grid.rows.push(Vec::new());
            layout.fields.push(0);
        }
    }
    grid.text_layout = Some(layout);
    Ok((
        grid,
        CsvInfo {
            encoding: enc_name,
            separator: sep as char,
        },
    ))
}

/// A French reason for an I/O error (never the library's English text).
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "lecture refusée (droits du fichier)".into(),
        std::io::ErrorKind::NotFound => "fichier disparu pendant la lecture".into(),
        std::io::ErrorKind::OutOfMemory => "mémoire insuffisante".into(),
        _ => "erreur de lecture du disque".into(),
    }
}

/// The first line (1-based) longer than `max` bytes, with its length.
fn longest_line_over(bytes: &[u8], max: usize) -> Option<(usize, usize)> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .find(|(_, l)| l.len() > max)
        .map(|(i, l)| (i + 1, l.len()))
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

    fn read(text: &str) -> Grid {
        let dir = std::env::temp_dir().join(format!("obs-csv-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let p = dir.join(format!(
            "{}-{}.csv",
            text.len(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::write(&p, text).unwrap();
        let g = read_csv(&p, "t.csv", Encoding::Auto, None, &Limits::default())
            .unwrap()
            .0;
        let _ = std::fs::remove_file(&p);
        g
    }

    #[test]
    fn rows_are_the_file_lines() {
        let g = read("a;b\n\n1;2\n\n\n3;4\n");
        assert_eq!(g.rows.len(), 6);
        assert_eq!(
            g.rows[2],
            vec![Cell::Text("1".into()), Cell::Text("2".into())]
        );
        assert_eq!(
            g.rows[5],
            vec![Cell::Text("3".into()), Cell::Text("4".into())]
        );
        assert_eq!(g.text_layout.unwrap().fields, vec![2, 0, 2, 0, 0, 2]);
    }

    #[test]
    fn an_unclosed_quote_is_located() {
        let g = read("a;b\n1;\"x\n2;y\n3;z\n4;w\n");
        let l = g.text_layout.unwrap();
        assert_eq!(l.swallowed, vec![(1, 4, 3)]);
        // A quoted cell with a line break but no separator is a real multi-line cell.
        let g = read("a;b\n1;\"rue\nbis\"\n2;y\n");
        let l = g.text_layout.unwrap();
        assert!(l.swallowed.is_empty());
        assert_eq!(
            g.rows[3],
            vec![Cell::Text("2".into()), Cell::Text("y".into())]
        );
    }

    #[test]
    fn long_lines_and_cells_are_refused_before_splitting() {
        let dir = std::env::temp_dir().join(format!("obs-csv-long-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join("long.csv");
        std::fs::write(&p, format!("a;b\n1;{}\n", "x".repeat(5000))).unwrap();
        let small = Limits {
            line_bytes: 1000,
            ..Limits::default()
        };
        let e = read_csv(&p, "long.csv", Encoding::Auto, None, &small).unwrap_err();
        assert!(e.to_string().contains("ligne 2"), "{e}");
        let small = Limits {
            cell_chars: 100,
            ..Limits::default()
        };
        let e = read_csv(&p, "long.csv", Encoding::Auto, None, &small).unwrap_err();
        assert!(e.to_string().contains("B2"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

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
