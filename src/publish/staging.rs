//! The output folder: the tool only ever replaces what it wrote itself (docs/architecture.md, « Outputs: the tool only replaces what it wrote »).
//! Owns:
//!
//! - **the guard** ([`Protected`]): an output folder that contains, or is inside, a file
//!   the pipeline reads (every file its sources resolve to, globs included, and the folder
//!   a pattern could read below it, e.g. `donnees/**/*.csv`), the pipeline file or a key
//!   file is refused, paths being compared once canonicalised (symlinks, `..`);
//! - **the marker**: a folder is the tool's own when its `manifeste.json` lists every file
//!   in it with its size and SHA-256 ([`inspect`]). A file the tool did not write, or one
//!   changed since, makes the folder foreign: it is never replaced. A file name alone
//!   (a forged or copied `manifeste.json`) proves nothing;
//! - **the staging folder** `.<name>.tmp-<pid>` beside the target, holding a journal
//!   ([`JOURNAL`]) of the files being written, so that a leftover of a killed run is
//!   recognised as the tool's own;
//! - **the swap**: on Linux `renameat2(RENAME_EXCHANGE)` exchanges the staging folder and
//!   the previous outputs atomically, so that at every instant the target name holds
//!   either the old or the new complete folder. Elsewhere (or on a file system without
//!   it) two renames are used, target → `.<name>.old-<pid>` then staging → target; a kill
//!   between them is repaired by the next run (below);
//! - **recovery**: before anything else, a run looks beside the target for hidden folders
//!   left by runs whose process is gone. When the target is missing, the previous outputs
//!   (`.old-`) are put back; leftovers the tool marked as its own are removed; anything
//!   else is left in place. Each of these says so in one French line on stderr (the only
//!   place the library writes to the terminal, so the user learns of it even when the run
//!   then fails). A process still running, or one whose pid cannot be checked (not Unix),
//!   is never touched. A folder of the tool is removed manifest and journal last
//!   (`marker::remove_ours`), so a removal cut short still leaves a folder of its own;
//! - **writability**: previous outputs that could not be removed (a read-only folder)
//!   stop the run before anything is swapped (exit 3), leaving them visible and intact.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use super::paths;
use crate::error::Error;
use crate::pipeline::Pipeline;

/// File inside a staging folder listing, one per line after [`JOURNAL_HEAD`], every file
/// the tool started writing there. Removed just before the swap.
pub const JOURNAL: &str = ".observatoire-ecriture";
/// First line of the journal.
pub const JOURNAL_HEAD: &str = "observatoire : écriture en cours";

/// Files written and held open before they are flushed to disk together
/// (`Staging::write`): well under any limit of open files.
const FILES_SYNCED_AT_ONCE: usize = 64;

/// Largest `manifeste.json` read when checking a folder.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

mod guard;
mod marker;
mod platform;
mod recovery;

pub use guard::*;
pub use marker::*;
pub use platform::*;
use recovery::*;

// ---------------------------------------------------------------------------------------
// Staging
// ---------------------------------------------------------------------------------------

/// A staging directory that becomes the output directory on [`Staging::commit`], and
/// disappears if dropped before.
pub struct Staging {
    /// The target as the user gave it (messages).
    shown: String,
    /// The target, canonical (every operation).
    target: PathBuf,
    /// What the caller asked for (returned by `commit`).
    given: PathBuf,
    dir: PathBuf,
    committed: bool,
    written: Vec<(String, Vec<u8>)>,
    /// The files written since the last flush, open: flushed to disk together by
    /// `Staging::write` (in batches) and by `commit`, before the swap.
    unsynced: Vec<std::fs::File>,
    notices: Vec<String>,
}

impl Staging {
    /// A staging directory for `target`, without protected paths (tests, tools).
    pub fn new(target: &Path) -> Result<Staging, Error> {
        Staging::create(target, &Protected::default())
    }

    /// A staging directory for the outputs of `pipeline` in `target`: refuses a target
    /// that holds or is inside what the pipeline reads, recovers leftovers of interrupted
    /// runs, refuses a target that holds something the tool did not write or that cannot
    /// be replaced. Call it before reading the inputs, so that a refusal comes first and
    /// previous outputs are put back even when the run fails later.
    pub fn for_pipeline(pipeline: &Pipeline, target: &Path) -> Result<Staging, Error> {
        Staging::create(target, &Protected::of(pipeline))
    }

    /// See [`Staging::for_pipeline`].
    pub fn create(target: &Path, protected: &Protected) -> Result<Staging, Error> {
        let shown = target.display().to_string();
        if target.as_os_str().is_empty() {
            return Err(Error::ForeignOutputDir(
                "aucun dossier de sortie indiqué. Indiquez-en un avec --sortie".into(),
            ));
        }
        let canonical = canonical_target(target);
        let (Some(parent), Some(name)) = (
            canonical.parent().map(Path::to_path_buf),
            canonical
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
        ) else {
            return Err(Error::ForeignOutputDir(format!(
                "le dossier de sortie {shown} est la racine du disque : il serait remplacé en entier. Choisissez un sous-dossier nouveau avec --sortie"
            )));
        };
        let not_a_folder = || {
            Error::ForeignOutputDir(format!(
                "le chemin de sortie {shown} est un fichier, pas un dossier : il ne sera pas remplacé. Indiquez un dossier (nouveau ou vide) avec --sortie"
            ))
        };
        if std::fs::symlink_metadata(&canonical).is_ok_and(|m| !m.is_dir()) {
            return Err(not_a_folder());
        }
        protected.check(&canonical, &shown)?;
        let notices = recover(&canonical, &shown);
        for n in &notices {
            notice(n.clone());
        }
        match inspect(&canonical).map_err(|e| output_error(&shown, &e))? {
            Contents::Missing | Contents::Empty | Contents::Ours => {}
            Contents::NotAFolder => return Err(not_a_folder()),
            Contents::Foreign(why) => {
                return Err(Error::ForeignOutputDir(format!(
                    "le dossier de sortie {shown} n'est pas un dossier de résultats de l'observatoire resté intact ({why}) : il serait remplacé en entier. Déplacez ces fichiers, ou choisissez avec --sortie un dossier nouveau ou vide"
                )));
            }
        }
        if canonical.exists() {
            check_removable(&canonical).map_err(|e| output_error(&shown, &e))?;
        }
        std::fs::create_dir_all(&parent).map_err(|e| output_error(&shown, &e))?;
        let pid = std::process::id();
        let mut n = 0u32;
        let dir = loop {
            let file = if n == 0 {
                format!(".{name}.tmp-{pid}")
            } else {
                format!(".{name}.tmp-{pid}-{n}")
            };
            let d = parent.join(file);
            match std::fs::create_dir(&d) {
                Ok(()) => break d,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                Err(e) => return Err(output_error(&shown, &e)),
            }
        };
        let staging = Staging {
            shown,
            target: canonical,
            given: target.to_path_buf(),
            dir,
            committed: false,
            written: Vec::new(),
            unsynced: Vec::new(),
            notices,
        };
        std::fs::write(staging.dir.join(JOURNAL), format!("{JOURNAL_HEAD}\n"))
            .map_err(|e| output_error(&staging.shown, &e))?;
        Ok(staging)
    }

    /// Notices printed while preparing the folder (recovery of interrupted runs).
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// Writes `bytes` at `rel` inside the staging directory.
    pub fn write(&mut self, rel: &str, bytes: Vec<u8>) -> Result<(), Error> {
        let safe = !rel.is_empty()
            && rel != JOURNAL
            && Path::new(rel)
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !safe {
            return Err(Error::Internal(format!(
                "chemin de sortie invalide : {rel}"
            )));
        }
        let err = |e: io::Error| output_error(&self.shown, &e);
        // The journal names the file before it exists, so a leftover is recognised.
        let mut j = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.join(JOURNAL))
            .map_err(err)?;
        j.write_all(format!("{rel}\n").as_bytes()).map_err(err)?;
        let path = self.dir.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(err)?;
        }
        let mut f = std::fs::File::create(&path).map_err(err)?;
        f.write_all(&bytes).map_err(err)?;
        // Flushed to disk with others at once, by the batch or by `commit` (one file
        // after another took 0,3 s for the 115 files of a national run). The batch bounds
        // the files held open, whatever the number of reports a pipeline declares.
        self.unsynced.push(f);
        self.written.push((rel.to_string(), bytes));
        if self.unsynced.len() >= FILES_SYNCED_AT_ONCE {
            self.sync_written()?;
        }
        Ok(())
    }

    /// Flushes to disk, at once on every core, the files written since the last flush,
    /// then closes them; the first error in the order they were written is reported.
    fn sync_written(&mut self) -> Result<(), Error> {
        use rayon::prelude::*;
        let files = std::mem::take(&mut self.unsynced);
        let synced: Vec<io::Result<()>> = files
            .par_iter()
            .with_max_len(1)
            .map(std::fs::File::sync_all)
            .collect();
        for r in synced {
            r.map_err(|e| output_error(&self.shown, &e))?;
        }
        Ok(())
    }

    /// Files written so far, with their content (for the manifest's hashes).
    pub fn written(&self) -> &[(String, Vec<u8>)] {
        &self.written
    }

    /// Replaces the target directory with the staging directory (see the module doc).
    pub fn commit(mut self) -> Result<PathBuf, Error> {
        let shown = self.shown.clone();
        let err = |e: io::Error| output_error(&shown, &e);
        // Every file on disk before the folder that holds it is swapped in.
        self.sync_written()?;
        std::fs::remove_file(self.dir.join(JOURNAL)).map_err(err)?;
        if let Ok((files, _)) = walk(&self.dir) {
            let mut dirs: Vec<PathBuf> = files
                .iter()
                .filter_map(|f| self.dir.join(f).parent().map(Path::to_path_buf))
                .collect();
            dirs.sort();
            dirs.dedup();
            dirs.iter().for_each(|d| sync_dir(d));
        }
        sync_dir(&self.dir);
        let parent = self.target.parent().map(Path::to_path_buf);
        // The target may have changed while the run was computing: check it again.
        match inspect(&self.target).map_err(err)? {
            Contents::Missing => {
                std::fs::rename(&self.dir, &self.target).map_err(err)?;
            }
            Contents::Empty | Contents::Ours => {
                check_removable(&self.target).map_err(err)?;
                match swap(&self.dir, &self.target) {
                    Ok(()) => {
                        // The staging path now holds the previous outputs.
                        self.committed = true;
                        if let Some(p) = &parent {
                            sync_dir(p);
                        }
                        if let Err(e) = remove_ours(&self.dir) {
                            notice(format!(
                                "Les résultats précédents, mis de côté dans {}, n'ont pas pu être supprimés ({}) : la prochaine exécution s'en chargera.",
                                self.dir.display(),
                                io_fr(&e)
                            ));
                        }
                        return Ok(self.given.clone());
                    }
                    Err(e) if exchange_unsupported(&e) => self.two_renames()?,
                    Err(e) => return Err(err(e)),
                }
            }
            Contents::NotAFolder | Contents::Foreign(_) => {
                return Err(Error::ForeignOutputDir(format!(
                    "le dossier de sortie {shown} a été modifié pendant l'exécution (des fichiers que l'observatoire n'a pas écrits y sont apparus) : il n'a pas été remplacé. Relancez l'exécution, ou choisissez un autre dossier avec --sortie"
                )));
            }
        }
        self.committed = true;
        if let Some(p) = &parent {
            sync_dir(p);
        }
        Ok(self.given.clone())
    }

    /// Fallback swap: target → `.<name>.old-<pid>`, staging → target. A kill between the
    /// two renames is repaired by the next run (it puts the `.old-` folder back).
    fn two_renames(&mut self) -> Result<(), Error> {
        let err = |e: io::Error| output_error(&self.shown, &e);
        let name = self
            .target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let old = self
            .dir
            .with_file_name(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(&self.target, &old).map_err(err)?;
        if let Err(e) = std::fs::rename(&self.dir, &self.target) {
            let _ = std::fs::rename(&old, &self.target);
            return Err(err(e));
        }
        self.committed = true;
        if let Err(e) = remove_ours(&old) {
            notice(format!(
                "Les résultats précédents, mis de côté dans {}, n'ont pas pu être supprimés ({}) : la prochaine exécution s'en chargera.",
                old.display(),
                io_fr(&e)
            ));
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Closed first: a file still open cannot be removed everywhere.
        self.unsynced.clear();
        if !self.committed {
            let _ = remove_ours(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests;
