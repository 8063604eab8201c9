//! Writing files under the output directory and counting what was written.

use std::error::Error;
use std::path::{Path, PathBuf};

/// Rows written to one sheet of one file (or to one CSV file).
#[derive(Clone, Debug)]
pub struct SheetStats {
    /// Path relative to the output directory, with `/` separators.
    pub fichier: String,
    /// Sheet name (`None` for CSV and JSON).
    pub feuille: Option<String>,
    /// Rows from the first row to the last written one, blank spacer rows included.
    pub lignes_total: usize,
    /// Data rows (one per measure, placement, child or month).
    pub lignes_donnees: usize,
}

/// Collects written paths and row counts.
pub struct Output {
    root: PathBuf,
    /// Paths written, in order.
    pub written: Vec<PathBuf>,
    /// Row counts, in order.
    pub stats: Vec<SheetStats>,
    /// Row counts of the staff, training, satisfaction and action-plan files
    /// (reported under their own key of `verite.json`).
    pub stats_rh: Vec<SheetStats>,
}

impl Output {
    /// Output rooted at `root`.
    pub fn new(root: &Path) -> Self {
        Output {
            root: root.to_path_buf(),
            written: Vec::new(),
            stats: Vec::new(),
            stats_rh: Vec::new(),
        }
    }

    /// Writes `bytes` to `root/rel`, creating folders.
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<PathBuf, Box<dyn Error>> {
        let path = rel
            .split('/')
            .fold(self.root.clone(), |p, part| p.join(part));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                format!("création du dossier {} impossible : {e}", parent.display())
            })?;
        }
        std::fs::write(&path, bytes)
            .map_err(|e| format!("écriture de {} impossible : {e}", path.display()))?;
        self.written.push(path.clone());
        Ok(path)
    }

    /// Records the row counts of a sheet.
    pub fn count(
        &mut self,
        fichier: &str,
        feuille: Option<&str>,
        lignes_total: usize,
        lignes_donnees: usize,
    ) {
        self.stats.push(SheetStats {
            fichier: fichier.to_string(),
            feuille: feuille.map(str::to_string),
            lignes_total,
            lignes_donnees,
        });
    }

    /// Records the row counts of a sheet of the staff, training,
    /// satisfaction or action-plan files.
    pub fn count_rh(
        &mut self,
        fichier: &str,
        feuille: Option<&str>,
        lignes_total: usize,
        lignes_donnees: usize,
    ) {
        self.stats_rh.push(SheetStats {
            fichier: fichier.to_string(),
            feuille: feuille.map(str::to_string),
            lignes_total,
            lignes_donnees,
        });
    }
}

/// Joins CSV fields with `sep`, quoting a field only when it must be.
pub fn csv_line(fields: &[String], sep: char) -> String {
    fields
        .iter()
        .map(|f| {
            if f.contains(sep) || f.contains('"') || f.contains('\n') || f.contains('\r') {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(&sep.to_string())
}
