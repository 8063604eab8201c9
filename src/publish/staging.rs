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
//!   is never touched;
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

/// Largest `manifeste.json` read when checking a folder.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------
// The guard
// ---------------------------------------------------------------------------------------

/// What a protected path is, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pipeline,
    Key,
    Input,
}

#[derive(Debug, Clone)]
struct ProtectedFile {
    kind: Kind,
    /// As the user wrote it (pipeline path, or the path in the pipeline file).
    shown: String,
    canonical: PathBuf,
}

#[derive(Debug, Clone)]
struct ProtectedGlob {
    /// The pattern as written in the pipeline.
    shown: String,
    /// Canonical folder the pattern lists (its part before the first wildcard).
    base: PathBuf,
    /// The pattern's components after `base`.
    rest: Vec<String>,
}

impl ProtectedGlob {
    /// Whether some path inside `target` (canonical) could match the pattern: the
    /// components of `target` below `base` match the pattern's first components and the
    /// pattern goes on deeper (a `**` matches any number of components).
    fn reaches_into(&self, target: &Path) -> bool {
        let Ok(below) = target.strip_prefix(&self.base) else {
            return false;
        };
        let below: Vec<String> = below
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let opts = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        let mut i = 0;
        for t in &below {
            let Some(p) = self.rest.get(i) else {
                return false;
            };
            if p.contains("**") {
                return true;
            }
            match glob::Pattern::new(p) {
                Ok(pat) if pat.matches_with(t, opts) => i += 1,
                Ok(_) => return false,
                // An invalid pattern reads nothing (ingest reports it); be safe anyway.
                Err(_) => return true,
            }
        }
        i < self.rest.len()
    }
}

/// The paths an output folder must neither contain nor be inside: the pipeline file, its
/// key files and every file its sources read (see the module doc).
#[derive(Debug, Clone, Default)]
pub struct Protected {
    files: Vec<ProtectedFile>,
    globs: Vec<ProtectedGlob>,
}

impl Protected {
    /// The protected paths of `pipeline`. Paths that do not exist are skipped (ingest
    /// reports them).
    pub fn of(pipeline: &Pipeline) -> Protected {
        let mut p = Protected::default();
        p.add_file(
            Kind::Pipeline,
            pipeline.path.display().to_string(),
            &pipeline.path,
        );
        let c = &pipeline.spec.confidentialite;
        for key in [&c.cle, &c.cle_observatoire].into_iter().flatten() {
            p.add_file(Kind::Key, key.clone(), &pipeline.resolve(key));
        }
        for src in &pipeline.spec.sources {
            let raw = src.fichier.get_ref();
            let full = pipeline.resolve(raw);
            if raw.contains(['*', '?', '[']) {
                p.add_glob(raw, &full);
            } else {
                p.add_file(Kind::Input, raw.clone(), &full);
            }
        }
        p
    }

    fn add_file(&mut self, kind: Kind, shown: String, path: &Path) {
        if let Ok(canonical) = std::fs::canonicalize(path) {
            self.files.push(ProtectedFile {
                kind,
                shown,
                canonical,
            });
        }
    }

    fn add_glob(&mut self, raw: &str, full: &Path) {
        // Every file the pattern reads now.
        if let Ok(found) = glob::glob(&full.to_string_lossy()) {
            for f in found.flatten().filter(|f| f.is_file()) {
                let shown = f.display().to_string();
                self.add_file(Kind::Input, shown, &f);
            }
        }
        // The folder it lists, for the outputs it would read next time.
        let comps: Vec<Component> = full.components().collect();
        let first_wild = comps
            .iter()
            .position(|c| c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
            .unwrap_or(comps.len());
        let base_lexical: PathBuf = comps[..first_wild].iter().collect();
        let rest: Vec<String> = comps[first_wild..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        self.globs.push(ProtectedGlob {
            shown: raw.to_string(),
            base: canonical_target(&base_lexical),
            rest,
        });
    }

    /// Refuses `target` (canonical) when it contains or is inside a protected path.
    fn check(&self, target: &Path, shown: &str) -> Result<(), Error> {
        for kind in [Kind::Pipeline, Kind::Key, Kind::Input] {
            for f in self.files.iter().filter(|f| f.kind == kind) {
                if f.canonical.starts_with(target) {
                    let what = match kind {
                        Kind::Pipeline => format!("le fichier pipeline « {} »", f.shown),
                        Kind::Key => format!("la clé « {} »", f.shown),
                        Kind::Input => format!("le fichier lu « {} »", f.shown),
                    };
                    return Err(Error::ForeignOutputDir(format!(
                        "le dossier de sortie {shown} contient {what} : il serait remplacé en entier par les résultats. Choisissez avec --sortie un dossier à part (nouveau ou vide) qui ne contient ni les fichiers lus, ni le pipeline, ni les clés"
                    )));
                }
                if target.starts_with(&f.canonical) {
                    return Err(Error::ForeignOutputDir(format!(
                        "le dossier de sortie {shown} passe par le fichier « {} » : ce n'est pas un dossier. Choisissez un autre dossier avec --sortie",
                        f.shown
                    )));
                }
            }
        }
        for g in &self.globs {
            if g.base.starts_with(target) || g.reaches_into(target) {
                return Err(Error::ForeignOutputDir(format!(
                    "le dossier de sortie {shown} est dans le dossier lu par la source « {} » (ou le contient) : les résultats seraient relus comme des données, ou les fichiers lus remplacés. Choisissez avec --sortie un dossier hors de celui des données",
                    g.shown
                )));
            }
        }
        Ok(())
    }
}

/// `path` made absolute and canonical: its longest existing ancestor is canonicalised
/// (symlinks, `..`), the rest is normalised lexically.
pub fn canonical_target(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let comps: Vec<Component> = abs.components().collect();
    for split in (0..=comps.len()).rev() {
        let head: PathBuf = comps[..split].iter().collect();
        if head.as_os_str().is_empty() {
            continue;
        }
        if let Ok(mut out) = std::fs::canonicalize(&head) {
            for c in &comps[split..] {
                match c {
                    Component::CurDir => {}
                    Component::ParentDir => {
                        out.pop();
                    }
                    other => out.push(other.as_os_str()),
                }
            }
            return out;
        }
    }
    abs
}

// ---------------------------------------------------------------------------------------
// The marker
// ---------------------------------------------------------------------------------------

/// What a folder holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contents {
    Missing,
    /// Not a folder (a file, a device…).
    NotAFolder,
    /// No file at all (empty sub-folders at most).
    Empty,
    /// Outputs of the tool: every file is listed in the manifest with its SHA-256.
    Ours,
    /// Something else; the French reason names a few of the files concerned.
    Foreign(String),
}

/// Files (relative path with `/`) and entries that are neither files nor folders.
fn walk(root: &Path) -> io::Result<(Vec<String>, Vec<String>)> {
    let mut files = Vec::new();
    let mut odd = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            let p = e.path();
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let t = e.file_type()?;
            if t.is_dir() {
                stack.push(p);
            } else if t.is_file() {
                files.push(rel);
            } else {
                odd.push(rel);
            }
        }
    }
    files.sort();
    odd.sort();
    Ok((files, odd))
}

fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n_total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        n_total += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex::encode(h.finalize()), n_total))
}

/// Files listed by the manifest of `dir`: relative path → (SHA-256, bytes).
fn manifest_listing(dir: &Path) -> Option<BTreeMap<String, (String, u64)>> {
    let path = dir.join(paths::MANIFEST);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > MAX_MANIFEST_BYTES {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    if v.pointer("/outil/nom").and_then(|n| n.as_str()) != Some(env!("CARGO_PKG_NAME")) {
        return None;
    }
    let mut out = BTreeMap::new();
    for f in v.get("sorties")?.as_array()? {
        let chemin = f.get("chemin")?.as_str()?;
        let safe = !chemin.is_empty()
            && Path::new(chemin)
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !safe {
            return None;
        }
        out.insert(
            chemin.to_string(),
            (
                f.get("sha256")?.as_str()?.to_ascii_lowercase(),
                f.get("octets")?.as_u64()?,
            ),
        );
    }
    Some(out)
}

/// A few names, for a message.
fn some_names(names: &[String]) -> String {
    let mut s = names
        .iter()
        .take(3)
        .map(|n| format!("« {n} »"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 3 {
        s.push_str(&format!(" et {} autre(s)", names.len() - 3));
    }
    s
}

/// What `dir` holds (see [`Contents`]). A listed file that is missing (the user deleted
/// a chart) does not make the folder foreign: nothing would be lost by replacing it.
pub fn inspect(dir: &Path) -> io::Result<Contents> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Contents::Missing),
        Err(e) => return Err(e),
    };
    if !meta.is_dir() {
        return Ok(Contents::NotAFolder);
    }
    let (files, odd) = walk(dir)?;
    if !odd.is_empty() {
        return Ok(Contents::Foreign(format!(
            "liens ou fichiers spéciaux : {}",
            some_names(&odd)
        )));
    }
    if files.is_empty() {
        return Ok(Contents::Empty);
    }
    let Some(listed) = manifest_listing(dir) else {
        return Ok(Contents::Foreign(format!(
            "pas de manifeste de l'observatoire listant ses fichiers ; fichiers présents : {}",
            some_names(&files)
        )));
    };
    let mut unknown = Vec::new();
    let mut changed = Vec::new();
    for f in files.iter().filter(|f| f.as_str() != paths::MANIFEST) {
        match listed.get(f) {
            None => unknown.push(f.clone()),
            Some((sha, bytes)) => {
                let (h, n) = sha256_file(&dir.join(f))?;
                if n != *bytes || &h != sha {
                    changed.push(f.clone());
                }
            }
        }
    }
    Ok(match (unknown.is_empty(), changed.is_empty()) {
        (true, true) => Contents::Ours,
        (false, _) => Contents::Foreign(format!(
            "fichiers que l'observatoire n'a pas écrits : {}",
            some_names(&unknown)
        )),
        (true, false) => Contents::Foreign(format!(
            "fichiers modifiés depuis leur écriture : {}",
            some_names(&changed)
        )),
    })
}

/// A leftover staging folder of the tool: its journal lists every file present.
fn is_our_staging(dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join(JOURNAL)) else {
        return false;
    };
    let mut lines = text.lines();
    if lines.next() != Some(JOURNAL_HEAD) {
        return false;
    }
    let listed: std::collections::BTreeSet<&str> = lines.collect();
    match walk(dir) {
        Ok((files, odd)) => {
            odd.is_empty()
                && files
                    .iter()
                    .all(|f| f == JOURNAL || listed.contains(f.as_str()))
        }
        Err(_) => false,
    }
}

// ---------------------------------------------------------------------------------------
// Platform helpers
// ---------------------------------------------------------------------------------------

/// Whether process `pid` may still be running (always true where it cannot be checked).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return true;
        };
        if pid <= 0 {
            return true;
        }
        // SAFETY: signal 0 only checks that the process exists; nothing is sent.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Whether the entries of `dir` can be removed (write and search permission, for this
/// process's effective user, immutable attributes included).
fn can_modify(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
        let r = unsafe {
            libc::faccessat(
                libc::AT_FDCWD,
                c.as_ptr(),
                libc::W_OK | libc::X_OK,
                libc::AT_EACCESS,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        if std::fs::metadata(dir)?.permissions().readonly() {
            return Err(io::Error::from(io::ErrorKind::PermissionDenied));
        }
        Ok(())
    }
}

/// `dir` and every folder under it can be emptied.
fn check_removable(dir: &Path) -> io::Result<()> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        can_modify(&d)?;
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            if e.file_type()?.is_dir() {
                stack.push(e.path());
            }
        }
    }
    Ok(())
}

/// Exchanges two folders atomically (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let ca = std::ffi::CString::new(a.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let cb = std::ffi::CString::new(b.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: both are valid NUL-terminated paths for the duration of the call; the
    // syscall is used directly so that no particular libc version is needed.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(test)]
thread_local! {
    /// Tests of the fallback swap: behave as if the exchange were not available.
    static NO_EXCHANGE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// [`exchange`], unless a test asks for the fallback.
fn swap(a: &Path, b: &Path) -> io::Result<()> {
    #[cfg(test)]
    if NO_EXCHANGE.with(|c| c.get()) {
        return Err(io::Error::from(io::ErrorKind::Unsupported));
    }
    exchange(a, b)
}

/// The exchange is not available here: use the two-rename fallback.
fn exchange_unsupported(e: &io::Error) -> bool {
    #[cfg(target_os = "linux")]
    if matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
        return true;
    }
    e.kind() == io::ErrorKind::Unsupported
}

/// Flushes a folder's entries to disk (best effort; not available everywhere).
fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// A French description of an I/O error, with what to do.
pub fn io_fr(e: &io::Error) -> String {
    use io::ErrorKind as K;
    let what = match e.kind() {
        K::PermissionDenied => "droits insuffisants (dossier en lecture seule ?)",
        K::ReadOnlyFilesystem => "support en lecture seule",
        K::StorageFull => "disque plein",
        K::QuotaExceeded => "quota de disque dépassé",
        K::NotFound => "dossier introuvable",
        K::NotADirectory => "un élément du chemin est un fichier, pas un dossier",
        K::AlreadyExists | K::DirectoryNotEmpty => "le dossier existe déjà",
        K::ResourceBusy => "dossier en cours d'utilisation",
        K::CrossesDevices => "dossiers sur deux disques différents",
        K::InvalidFilename => "nom de fichier trop long ou invalide",
        _ => match e.raw_os_error() {
            #[cfg(unix)]
            Some(libc::EPERM) => "opération interdite (dossier protégé ou en lecture seule ?)",
            _ => "erreur du système de fichiers",
        },
    };
    match e.raw_os_error() {
        Some(n) => format!("{what} (code système {n})"),
        None => what.to_string(),
    }
}

fn output_error(shown: &str, e: &io::Error) -> Error {
    Error::Output {
        path: shown.to_string(),
        detail: format!(
            "{}. Les résultats précédents, s'il y en a, sont intacts. Vérifiez que ce dossier et son dossier parent sont modifiables, ou choisissez un autre dossier avec --sortie",
            io_fr(e)
        ),
    }
}

/// Prints a notice about the output folder (one French line).
fn notice(line: String) {
    eprintln!("{line}");
}

// ---------------------------------------------------------------------------------------
// Recovery of interrupted runs
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leftover {
    Staging,
    Old,
}

/// `.<name>.tmp-<pid>` / `.<name>.old-<pid>` (optionally `-<n>`), with the pid.
fn parse_leftover(file: &str, name: &str) -> Option<(Leftover, u32)> {
    let rest = file
        .strip_prefix('.')?
        .strip_prefix(name)?
        .strip_prefix('.')?;
    let (kind, tail) = if let Some(t) = rest.strip_prefix("tmp-") {
        (Leftover::Staging, t)
    } else if let Some(t) = rest.strip_prefix("old-") {
        (Leftover::Old, t)
    } else {
        return None;
    };
    let (pid, n) = tail.split_once('-').unwrap_or((tail, "0"));
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !n.bytes().all(|b| b.is_ascii_digit()) || n.is_empty() {
        return None;
    }
    Some((kind, pid.parse().ok()?))
}

/// Restores or removes what interrupted runs left beside `target`; returns the notices.
fn recover(target: &Path, shown: &str) -> Vec<String> {
    let mut notices = Vec::new();
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return notices;
    };
    let name = name.to_string_lossy();
    let Ok(rd) = std::fs::read_dir(parent) else {
        return notices;
    };
    let mut ours: Vec<(Leftover, PathBuf, Contents)> = Vec::new();
    let mut foreign: Vec<String> = Vec::new();
    for e in rd.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some((kind, pid)) = parse_leftover(&file, &name) else {
            continue;
        };
        if process_alive(pid) || !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = e.path();
        let contents = inspect(&path).unwrap_or(Contents::Foreign(String::new()));
        let mine = matches!(contents, Contents::Ours | Contents::Empty)
            || (kind == Leftover::Staging && is_our_staging(&path));
        if mine {
            ours.push((kind, path, contents));
        } else {
            foreign.push(path.display().to_string());
        }
    }
    ours.sort_by(|a, b| a.1.cmp(&b.1));
    // The target is missing: put the previous outputs back (the most recent first).
    if matches!(inspect(target), Ok(Contents::Missing)) {
        let mut old: Vec<&(Leftover, PathBuf, Contents)> = ours
            .iter()
            .filter(|(k, _, c)| *k == Leftover::Old && *c == Contents::Ours)
            .collect();
        old.sort_by_key(|(_, p, _)| {
            std::fs::metadata(p)
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH)
        });
        if let Some((_, p, _)) = old.last() {
            let p = p.clone();
            match std::fs::rename(&p, target) {
                Ok(()) => {
                    sync_dir(parent);
                    notices.push(format!(
                        "Les résultats précédents, laissés cachés dans {} par une exécution interrompue, ont été remis en place dans {shown}.",
                        p.display()
                    ));
                    ours.retain(|(_, q, _)| *q != p);
                }
                Err(e) => notices.push(format!(
                    "Les résultats précédents, laissés cachés dans {} par une exécution interrompue, n'ont pas pu être remis en place dans {shown} ({}).",
                    p.display(),
                    io_fr(&e)
                )),
            }
        }
    }
    let mut removed = Vec::new();
    let mut failed = Vec::new();
    for (_, p, _) in &ours {
        match std::fs::remove_dir_all(p) {
            Ok(()) => removed.push(p.display().to_string()),
            Err(e) => failed.push(format!("{} ({})", p.display(), io_fr(&e))),
        }
    }
    if !removed.is_empty() {
        notices.push(format!(
            "Nettoyage : {} dossier(s) caché(s) laissé(s) par une exécution interrompue supprimé(s) : {}.",
            removed.len(),
            removed.join(", ")
        ));
    }
    if !failed.is_empty() {
        notices.push(format!(
            "Dossier(s) caché(s) laissé(s) par une exécution interrompue, impossibles à supprimer : {}. Supprimez-les à la main.",
            failed.join(", ")
        ));
    }
    if !foreign.is_empty() {
        notices.push(format!(
            "Dossier(s) caché(s) au nom des sorties laissé(s) en place, car ils ne contiennent pas que des fichiers écrits par l'observatoire : {}.",
            foreign.join(", ")
        ));
    }
    notices
}

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
        f.sync_all().map_err(err)?;
        self.written.push((rel.to_string(), bytes));
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
                        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
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
        if let Err(e) = std::fs::remove_dir_all(&old) {
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
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests;
