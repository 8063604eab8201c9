//! Platform helpers: process liveness, writability, the atomic exchange of two folders
//! (`renameat2(RENAME_EXCHANGE)` on Linux), directory sync, French I/O messages.

use super::*;

/// Whether process `pid` may still be running (always true where it cannot be checked).
pub(super) fn process_alive(pid: u32) -> bool {
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
pub(super) fn can_modify(dir: &Path) -> io::Result<()> {
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
pub(super) fn check_removable(dir: &Path) -> io::Result<()> {
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
pub(super) fn exchange(a: &Path, b: &Path) -> io::Result<()> {
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
pub(super) fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(test)]
thread_local! {
    /// Tests of the fallback swap: behave as if the exchange were not available.
    pub(super) static NO_EXCHANGE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// [`exchange`], unless a test asks for the fallback.
pub(super) fn swap(a: &Path, b: &Path) -> io::Result<()> {
    #[cfg(test)]
    if NO_EXCHANGE.with(|c| c.get()) {
        return Err(io::Error::from(io::ErrorKind::Unsupported));
    }
    exchange(a, b)
}

/// The exchange is not available here: use the two-rename fallback.
pub(super) fn exchange_unsupported(e: &io::Error) -> bool {
    #[cfg(target_os = "linux")]
    if matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
        return true;
    }
    e.kind() == io::ErrorKind::Unsupported
}

/// Flushes a folder's entries to disk (best effort; not available everywhere).
pub(super) fn sync_dir(dir: &Path) {
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

pub(super) fn output_error(shown: &str, e: &io::Error) -> Error {
    Error::Output {
        path: shown.to_string(),
        detail: format!(
            "{}. Les résultats précédents, s'il y en a, sont intacts. Vérifiez que ce dossier et son dossier parent sont modifiables, ou choisissez un autre dossier avec --sortie",
            io_fr(e)
        ),
    }
}

/// Prints a notice about the output folder (one French line).
pub(super) fn notice(line: String) {
    eprintln!("{line}");
}
