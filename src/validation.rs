//! The validation report: every problem found in the inputs, with its place (file,
//! sheet, cell, column), a stable code, a severity and a French message saying what to
//! fix — never the content of an identifying cell — plus the row accounting of every
//! source (accepted, rejected by reason, excluded by reason). Owns the report's model and
//! its CSV / HTML / terminal renderings, and the spreadsheet-safe writing of every CSV the
//! tool writes ([`csv_writer`], [`spreadsheet_safe`]).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Severity {
    /// The row was rejected.
    #[serde(rename = "erreur")]
    Error,
    /// The value was set aside; the row was kept.
    #[serde(rename = "avertissement")]
    Warning,
    /// For information (a missing-value marker, a total row set aside…).
    #[serde(rename = "information")]
    Info,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "erreur",
            Severity::Warning => "avertissement",
            Severity::Info => "information",
        }
    }
}

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    pub fichier: String,
    pub feuille: Option<String>,
    /// Cell reference such as `C14`, or the row (`ligne 14`) when the whole row is meant.
    pub cellule: Option<String>,
    /// Column header as written in the file.
    pub colonne: Option<String>,
    /// Canonical field concerned.
    pub champ: Option<String>,
    pub code: String,
    pub gravite: Severity,
    pub message: String,
}

/// Row accounting of one source sheet.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceStats {
    pub source: String,
    pub fichier: String,
    pub feuille: Option<String>,
    pub table: String,
    /// 1-based header rows.
    pub lignes_entete: Vec<usize>,
    /// Non-empty rows below the header.
    pub lignes_lues: usize,
    pub lignes_acceptees: usize,
    /// Rejected rows by reason code.
    pub lignes_rejetees: BTreeMap<String, usize>,
    /// Rows that are not data (totals, notes, a second table below) by reason code.
    pub lignes_exclues: BTreeMap<String, usize>,
    /// Canonical rows produced (a reference row per value column, for instance).
    pub lignes_produites: usize,
    /// The file or sheet could not be read at all (its error is in the problems); the
    /// other files and sheets of the source were read.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub illisible: bool,
}

impl SourceStats {
    pub fn rejected(&self) -> usize {
        self.lignes_rejetees.values().sum()
    }
    pub fn excluded(&self) -> usize {
        self.lignes_exclues.values().sum()
    }
    /// Every row read is accepted, rejected or excluded: nothing is dropped silently.
    pub fn balanced(&self) -> bool {
        self.lignes_lues == self.lignes_acceptees + self.rejected() + self.excluded()
    }
}

/// The whole report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ValidationReport {
    pub sources: Vec<SourceStats>,
    pub problemes: Vec<Issue>,
}

impl ValidationReport {
    pub fn count(&self, severity: Severity) -> usize {
        self.problemes
            .iter()
            .filter(|i| i.gravite == severity)
            .count()
    }

    /// CSV for spreadsheets: `;` separator, UTF-8 with BOM so Excel shows accents, every
    /// cell neutralised against formula injection. The header is the first line (Excel
    /// and every CSV reader import it as such); a demonstration run adds a last column
    /// [`DEMO_COLUMN`] saying `oui` on every row instead of a line above the header.
    pub fn to_csv(&self, demonstration: bool) -> Result<Vec<u8>, String> {
        let mut w = csv_writer();
        w.write_record(with_mark(
            &[
                "fichier", "feuille", "cellule", "colonne", "champ", "code", "gravite", "message",
            ],
            demonstration,
            DEMO_COLUMN,
        ))?;
        for i in &self.problemes {
            w.write_record(with_mark(
                &[
                    i.fichier.as_str(),
                    i.feuille.as_deref().unwrap_or(""),
                    i.cellule.as_deref().unwrap_or(""),
                    i.colonne.as_deref().unwrap_or(""),
                    i.champ.as_deref().unwrap_or(""),
                    i.code.as_str(),
                    i.gravite.label(),
                    i.message.as_str(),
                ],
                demonstration,
                DEMO_VALUE,
            ))?;
        }
        w.finish()
    }

    /// Row accounting as CSV (one line per source sheet and reason), spreadsheet-safe;
    /// the demonstration mark as in [`Self::to_csv`].
    pub fn stats_csv(&self, demonstration: bool) -> Result<Vec<u8>, String> {
        let mut w = csv_writer();
        w.write_record(with_mark(
            &[
                "source", "fichier", "feuille", "table", "statut", "motif", "lignes",
            ],
            demonstration,
            DEMO_COLUMN,
        ))?;
        for s in &self.sources {
            let base = [
                s.source.as_str(),
                s.fichier.as_str(),
                s.feuille.as_deref().unwrap_or(""),
                s.table.as_str(),
            ];
            let mut rec = |statut: &str, motif: &str, n: usize| {
                let n = n.to_string();
                let mut r: Vec<&str> = base.to_vec();
                r.extend([statut, motif, n.as_str()]);
                w.write_record(with_mark(&r, demonstration, DEMO_VALUE))
            };
            if s.illisible {
                rec("illisible", "source_illisible", 0)?;
                continue;
            }
            rec("lue", "", s.lignes_lues)?;
            rec("acceptee", "", s.lignes_acceptees)?;
            for (m, n) in &s.lignes_rejetees {
                rec("rejetee", m, *n)?;
            }
            for (m, n) in &s.lignes_exclues {
                rec("exclue", m, *n)?;
            }
        }
        w.finish()
    }

    /// Problems grouped by (file, sheet, code) with counts, for summaries.
    pub fn grouped(&self) -> Vec<IssueGroup> {
        type Key = (String, String, String, Severity);
        let mut map: BTreeMap<Key, (usize, String, Vec<String>)> = BTreeMap::new();
        for i in &self.problemes {
            let key = (
                i.fichier.clone(),
                i.feuille.clone().unwrap_or_default(),
                i.code.clone(),
                i.gravite,
            );
            let e = map
                .entry(key)
                .or_insert_with(|| (0, i.message.clone(), Vec::new()));
            e.0 += 1;
            if e.2.len() < 8
                && let Some(c) = &i.cellule
            {
                e.2.push(c.clone());
            }
        }
        let mut v: Vec<IssueGroup> = map
            .into_iter()
            .map(
                |((fichier, feuille, code, gravite), (nombre, exemple, cellules))| IssueGroup {
                    fichier,
                    feuille,
                    code,
                    gravite,
                    nombre,
                    exemple,
                    cellules,
                },
            )
            .collect();
        v.sort_by(|a, b| a.gravite.cmp(&b.gravite).then(b.nombre.cmp(&a.nombre)));
        v
    }

    /// Short French summary for the terminal.
    pub fn terminal_summary(&self) -> String {
        let mut s = String::new();
        for src in &self.sources {
            if src.illisible {
                s.push_str(&format!(
                    "  {} — {}{} : illisible, laissé de côté (voir les problèmes)\n",
                    src.source,
                    src.fichier,
                    src.feuille
                        .as_deref()
                        .map(|f| format!(" [{f}]"))
                        .unwrap_or_default(),
                ));
                continue;
            }
            s.push_str(&format!(
                "  {} — {}{} : {} lignes lues, {} acceptées, {} rejetées, {} exclues (totaux, notes)\n",
                src.source,
                src.fichier,
                src.feuille.as_deref().map(|f| format!(" [{f}]")).unwrap_or_default(),
                src.lignes_lues,
                src.lignes_acceptees,
                src.rejected(),
                src.excluded()
            ));
        }
        s.push_str(&format!(
            "  Problèmes : {} erreur(s), {} avertissement(s), {} information(s)\n",
            self.count(Severity::Error),
            self.count(Severity::Warning),
            self.count(Severity::Info)
        ));
        for g in self
            .grouped()
            .iter()
            .filter(|g| g.gravite != Severity::Info)
            .take(6)
        {
            s.push_str(&format!(
                "    - {} {} × {} ({}{}) : {}\n",
                g.gravite.label(),
                g.nombre,
                g.code,
                g.fichier,
                if g.feuille.is_empty() {
                    String::new()
                } else {
                    format!(", {}", g.feuille)
                },
                g.exemple
            ));
        }
        s
    }
}

/// A cell as a spreadsheet will read it safely: a cell starting with `=`, `+`, `-`, `@`,
/// tab or carriage return (or their full-width forms, which some spreadsheets fold) is
/// prefixed with a single quote, as OWASP recommends against CSV formula injection, so
/// that a header or sheet name such as `=HYPERLINK(…)` is shown as text, never run.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    const TRIGGERS: [char; 10] = [
        '=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
    ];
    if cell.starts_with(TRIGGERS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The writer of every CSV the tool writes: `;` separator, UTF-8 with a BOM (so Excel
/// shows accents), every cell passed through [`spreadsheet_safe`].
/// Last column of the validation CSV files of a demonstration run.
pub const DEMO_COLUMN: &str = "demonstration";
/// Its value on every row: the data are fictitious.
pub const DEMO_VALUE: &str = "oui";

/// `cells`, followed by `mark` when `demonstration`.
fn with_mark<'a>(cells: &[&'a str], demonstration: bool, mark: &'a str) -> Vec<&'a str> {
    let mut v = cells.to_vec();
    if demonstration {
        v.push(mark);
    }
    v
}

pub fn csv_writer() -> SafeCsv {
    SafeCsv(
        csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(Vec::new()),
    )
}

/// See [`csv_writer`].
pub struct SafeCsv(csv::Writer<Vec<u8>>);

impl SafeCsv {
    /// Writes one record, each cell neutralised.
    pub fn write_record<I, T>(&mut self, record: I) -> Result<(), String>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let cells: Vec<String> = record
            .into_iter()
            .map(|c| spreadsheet_safe(c.as_ref()).into_owned())
            .collect();
        self.0.write_record(&cells).map_err(|e| e.to_string())
    }

    /// The bytes, BOM first.
    pub fn finish(self) -> Result<Vec<u8>, String> {
        let mut out = b"\xEF\xBB\xBF".to_vec();
        out.extend(self.0.into_inner().map_err(|e| e.to_string())?);
        Ok(out)
    }
}

/// Problems of one kind in one sheet.
#[derive(Debug, Clone, Serialize)]
pub struct IssueGroup {
    pub fichier: String,
    pub feuille: String,
    pub code: String,
    pub gravite: Severity,
    pub nombre: usize,
    pub exemple: String,
    pub cellules: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demonstration_mark_is_a_column_and_the_header_comes_first() {
        let mut s = SourceStats {
            source: "s".into(),
            fichier: "f.csv".into(),
            table: "services".into(),
            lignes_lues: 2,
            lignes_acceptees: 2,
            ..Default::default()
        };
        s.lignes_rejetees.insert("date_invalide".into(), 1);
        let r = ValidationReport {
            sources: vec![s],
            problemes: vec![Issue {
                fichier: "f.csv".into(),
                feuille: None,
                cellule: Some("B2".into()),
                colonne: None,
                champ: None,
                code: "date_invalide".into(),
                gravite: Severity::Error,
                message: "date illisible".into(),
            }],
        };
        for (bytes, first) in [
            (r.to_csv(true).unwrap(), "fichier"),
            (r.stats_csv(true).unwrap(), "source"),
        ] {
            let text = String::from_utf8(bytes).unwrap();
            let body = text.strip_prefix('\u{feff}').unwrap();
            let mut rd = csv::ReaderBuilder::new()
                .delimiter(b';')
                .from_reader(body.as_bytes());
            let header = rd.headers().unwrap().clone();
            assert_eq!(header.get(0), Some(first));
            assert_eq!(header.iter().next_back(), Some(DEMO_COLUMN));
            let mut n = 0;
            for rec in rd.records() {
                let rec = rec.unwrap();
                assert_eq!(rec.len(), header.len());
                assert_eq!(rec.iter().next_back(), Some(DEMO_VALUE));
                n += 1;
            }
            assert!(n > 0);
        }
        // Outside a demonstration, no mark column.
        let text = String::from_utf8(r.to_csv(false).unwrap()).unwrap();
        assert!(!text.contains(DEMO_COLUMN));
    }

    #[test]
    fn csv_has_bom_and_semicolons() {
        let r = ValidationReport {
            sources: vec![],
            problemes: vec![Issue {
                fichier: "a.xlsx".into(),
                feuille: Some("Mesures".into()),
                cellule: Some("C14".into()),
                colonne: Some("Date de début".into()),
                champ: Some("date_debut".into()),
                code: "date_invalide".into(),
                gravite: Severity::Error,
                message: "date illisible; écrivez JJ/MM/AAAA".into(),
            }],
        };
        let csv = String::from_utf8(r.to_csv(false).unwrap()).unwrap();
        assert!(csv.starts_with('\u{feff}'));
        assert!(csv.contains("a.xlsx;Mesures;C14;Date de début;date_debut;date_invalide;erreur;\"date illisible; écrivez JJ/MM/AAAA\""));
    }

    #[test]
    fn formula_like_cells_are_neutralised() {
        for bad in [
            "=1+2",
            "+33 1",
            "-2+3",
            "@SOMME(A1)",
            "\tx",
            "\rx",
            "\u{FF1D}1+1",
        ] {
            assert_eq!(spreadsheet_safe(bad), format!("'{bad}"));
        }
        for ok in ["", "C14", "Mesures", "2021", "a=b", " =1", "'=1"] {
            assert_eq!(spreadsheet_safe(ok), ok);
        }
    }

    #[test]
    fn hostile_headers_and_sheet_names_never_start_a_cell() {
        let mut s = SourceStats {
            source: "+source".into(),
            fichier: "=fichier.csv".into(),
            feuille: Some("@SOMME(1+1)".into()),
            table: "services".into(),
            lignes_lues: 1,
            ..Default::default()
        };
        s.lignes_rejetees.insert("-motif".into(), 1);
        let r = ValidationReport {
            sources: vec![s],
            problemes: vec![Issue {
                fichier: "=fichier.csv".into(),
                feuille: Some("=HYPERLINK(\"http://x\";\"y\")".into()),
                cellule: Some("C2".into()),
                colonne: Some("-2+3".into()),
                champ: None,
                code: "nombre_invalide".into(),
                gravite: Severity::Error,
                message: "@message".into(),
            }],
        };
        for bytes in [r.to_csv(false).unwrap(), r.stats_csv(false).unwrap()] {
            let text = String::from_utf8(bytes).unwrap();
            let mut rd = csv::ReaderBuilder::new()
                .delimiter(b';')
                .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
            let mut cells = 0;
            for rec in rd.records() {
                for c in rec.unwrap().iter() {
                    cells += 1;
                    assert!(!c.starts_with(['=', '+', '-', '@']), "{c}");
                }
            }
            assert!(cells > 0);
            assert!(text.contains("'=fichier.csv"), "{text}");
        }
    }

    #[test]
    fn stats_balance() {
        let mut s = SourceStats {
            lignes_lues: 10,
            lignes_acceptees: 7,
            ..Default::default()
        };
        s.lignes_rejetees.insert("date_invalide".into(), 2);
        s.lignes_exclues.insert("ligne_total".into(), 1);
        assert!(s.balanced());
    }
}
