//! Stage 4 — publish. Writes a run's outputs into one directory, atomically: everything
//! is written into a staging directory beside the target, which replaces the target
//! only once every file is complete, so a failing run leaves the previous outputs
//! untouched. Owns the output layout:
//!
//! ```text
//! <sortie>/
//!   indicateurs.parquet        long-format indicator table (zstd)
//!   graphiques/taux.svg|png    activity and occupancy rates per year
//!   rapport.html               self-contained report
//!   validation/problemes.csv   every problem found in the inputs
//!   validation/lignes.csv      row accounting per source
//!   validation/rapport-validation.html
//!   manifeste.json             inputs with SHA-256, rows, settings, tool version
//! ```

pub mod chart;
pub mod manifest;
pub mod parquet;
pub mod report;

use std::path::{Path, PathBuf};

use crate::error::Error;

/// Relative paths of the outputs.
pub mod paths {
    pub const INDICATORS: &str = "indicateurs.parquet";
    pub const REGISTRY: &str = "registre_indicateurs.parquet";
    pub const CHART_SVG: &str = "graphiques/taux.svg";
    pub const CHART_PNG: &str = "graphiques/taux.png";
    pub const REPORT: &str = "rapport.html";
    pub const PROBLEMS: &str = "validation/problemes.csv";
    pub const ROWS: &str = "validation/lignes.csv";
    pub const VALIDATION_HTML: &str = "validation/rapport-validation.html";
    pub const MANIFEST: &str = "manifeste.json";
    /// The pseudonymised extract a partner sends to the observatory.
    pub const EXTRACT_ACCOMPANIMENTS: &str = "extrait/accompagnements.parquet";
    pub const EXTRACT_SERVICES: &str = "extrait/services.parquet";
    pub const EXTRACT_ACTIVITY: &str = "extrait/activite.parquet";
    pub const EXTRACT_STAFF: &str = "extrait/personnel.parquet";
    pub const EXTRACT_TRAINING: &str = "extrait/formation.parquet";
    pub const EXTRACT_SATISFACTION: &str = "extrait/satisfaction.parquet";
    pub const EXTRACT_ACTION_PLAN: &str = "extrait/plan_action.parquet";
}

/// A staging directory that becomes the output directory on [`Staging::commit`], and
/// disappears if dropped before.
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
    committed: bool,
    written: Vec<(String, Vec<u8>)>,
}

impl Staging {
    pub fn new(target: &Path) -> Result<Staging, Error> {
        // The target is replaced as a whole: refuse a directory that holds something else
        // than a previous run (a user's documents folder given by mistake).
        if target.is_dir() {
            let non_empty = std::fs::read_dir(target)
                .map(|mut d| d.next().is_some())
                .unwrap_or(true);
            if non_empty && !target.join(paths::MANIFEST).is_file() {
                return Err(Error::ForeignOutputDir(target.display().to_string()));
            }
        } else if target.exists() {
            return Err(Error::ForeignOutputDir(target.display().to_string()));
        }
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("sortie")
            .to_string();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| Error::output(&parent, e))?;
        let dir = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::output(&dir, e))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::output(&dir, e))?;
        Ok(Staging {
            target: target.to_path_buf(),
            dir,
            committed: false,
            written: Vec::new(),
        })
    }

    /// Writes `bytes` at `rel` inside the staging directory.
    pub fn write(&mut self, rel: &str, bytes: Vec<u8>) -> Result<(), Error> {
        let path = self.dir.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| Error::output(p, e))?;
        }
        std::fs::write(&path, &bytes).map_err(|e| Error::output(&self.target.join(rel), e))?;
        self.written.push((rel.to_string(), bytes));
        Ok(())
    }

    /// Files written so far, with their content (for the manifest's hashes).
    pub fn written(&self) -> &[(String, Vec<u8>)] {
        &self.written
    }

    /// Replaces the target directory with the staging directory.
    pub fn commit(mut self) -> Result<PathBuf, Error> {
        let old = self
            .dir
            .with_extension(format!("old-{}", std::process::id()));
        let had_previous = self.target.exists();
        if had_previous {
            std::fs::rename(&self.target, &old).map_err(|e| Error::output(&self.target, e))?;
        }
        if let Err(e) = std::fs::rename(&self.dir, &self.target) {
            if had_previous {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(Error::output(&self.target, e));
        }
        self.committed = true;
        if had_previous {
            let _ = std::fs::remove_dir_all(&old);
        }
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("observatoire-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn refuses_to_replace_a_foreign_directory() {
        let root = tmp("foreign");
        let target = root.join("documents");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("lettre.odt"), b"x").unwrap();
        assert!(matches!(
            Staging::new(&target),
            Err(Error::ForeignOutputDir(_))
        ));
        assert!(target.join("lettre.odt").exists());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn commit_replaces_and_drop_discards() {
        let root = tmp("staging");
        let target = root.join("sortie");
        let mut s = Staging::new(&target).unwrap();
        s.write("a/b.txt", b"un".to_vec()).unwrap();
        s.write(paths::MANIFEST, b"{}".to_vec()).unwrap();
        s.commit().unwrap();
        assert_eq!(std::fs::read(target.join("a/b.txt")).unwrap(), b"un");
        // A run that fails before commit leaves the previous outputs untouched.
        {
            let mut s = Staging::new(&target).unwrap();
            s.write("a/b.txt", b"deux".to_vec()).unwrap();
        }
        assert_eq!(std::fs::read(target.join("a/b.txt")).unwrap(), b"un");
        let leftovers: Vec<_> = std::fs::read_dir(&root).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
        let _ = std::fs::remove_dir_all(&root);
    }
}
