//! The marker: a folder is the tool's own when its `manifeste.json` lists every file in
//! it with its size and SHA-256; anything else makes it foreign.

use super::*;

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
pub(super) fn walk(root: &Path) -> io::Result<(Vec<String>, Vec<String>)> {
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

/// Removes a folder of the tool so that a kill at any moment leaves it still recognised
/// as the tool's own: every other file first, then the manifest, then the journal, then
/// the emptied sub-folders. A folder whose manifest went first would hold files nothing
/// lists, and the next run would leave it in place as foreign.
pub(super) fn remove_ours(dir: &Path) -> io::Result<()> {
    // A folder that cannot be listed is not removed out of order: the error stands.
    for rel in removal_order(dir)? {
        match std::fs::remove_file(dir.join(&rel)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    std::fs::remove_dir_all(dir)
}

/// The files of `dir` in the order [`remove_ours`] removes them.
pub(super) fn removal_order(dir: &Path) -> io::Result<Vec<String>> {
    let (mut files, _) = walk(dir)?;
    let rank = |f: &str| match f {
        paths::MANIFEST => 1,
        JOURNAL => 2,
        _ => 0,
    };
    files.sort_by_key(|f| rank(f));
    Ok(files)
}

pub(super) fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
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
pub(super) fn manifest_listing(dir: &Path) -> Option<BTreeMap<String, (String, u64)>> {
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
pub(super) fn some_names(names: &[String]) -> String {
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
    let mut listed_files = Vec::new();
    for f in files.iter().filter(|f| f.as_str() != paths::MANIFEST) {
        match listed.get(f) {
            None => unknown.push(f.clone()),
            Some(expected) => listed_files.push((f, expected)),
        }
    }
    // Each listed file hashed on every core (88 MB of outputs on a national network, read
    // before the run and again before the swap); the first error in the files' order.
    use rayon::prelude::*;
    let hashed: Vec<io::Result<Option<String>>> = listed_files
        .par_iter()
        .with_max_len(1)
        .map(|(f, (sha, bytes))| {
            let (h, n) = sha256_file(&dir.join(f))?;
            Ok((n != *bytes || &h != sha).then(|| (*f).clone()))
        })
        .collect();
    let mut changed = Vec::new();
    for h in hashed {
        changed.extend(h?);
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
pub(super) fn is_our_staging(dir: &Path) -> bool {
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
