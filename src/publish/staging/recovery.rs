//! Recovery of interrupted runs: hidden folders left beside the target by runs whose
//! process is gone are put back, removed or reported.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leftover {
    Staging,
    Old,
}

/// `.<name>.tmp-<pid>` / `.<name>.old-<pid>` (optionally `-<n>`), with the pid.
pub(super) fn parse_leftover(file: &str, name: &str) -> Option<(Leftover, u32)> {
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
// Long function: one pass over the hidden folders beside the target; each kind of leftover
// (previous outputs, staging folder, foreign folder) is decided with the same liveness and
// marker checks and reported on one line.
pub(super) fn recover(target: &Path, shown: &str) -> Vec<String> {
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
        match remove_ours(p) {
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
