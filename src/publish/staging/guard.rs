//! The guard: an output folder that contains, or is inside, a file the pipeline reads,
//! the pipeline file or a key file is refused (paths compared once canonicalised).

use super::*;

/// What a protected path is, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Pipeline,
    Key,
    Input,
}

#[derive(Debug, Clone)]
pub(super) struct ProtectedFile {
    pub(super) kind: Kind,
    /// As the user wrote it (pipeline path, or the path in the pipeline file).
    pub(super) shown: String,
    pub(super) canonical: PathBuf,
}

#[derive(Debug, Clone)]
pub(super) struct ProtectedGlob {
    /// The pattern as written in the pipeline.
    pub(super) shown: String,
    /// Canonical folder the pattern lists (its part before the first wildcard).
    pub(super) base: PathBuf,
    /// The pattern's components after `base`.
    pub(super) rest: Vec<String>,
}

impl ProtectedGlob {
    /// Whether some path inside `target` (canonical) could match the pattern: the
    /// components of `target` below `base` match the pattern's first components and the
    /// pattern goes on deeper (a `**` matches any number of components).
    pub(super) fn reaches_into(&self, target: &Path) -> bool {
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

    pub(super) fn add_file(&mut self, kind: Kind, shown: String, path: &Path) {
        if let Ok(canonical) = std::fs::canonicalize(path) {
            self.files.push(ProtectedFile {
                kind,
                shown,
                canonical,
            });
        }
    }

    pub(super) fn add_glob(&mut self, raw: &str, full: &Path) {
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
    pub(super) fn check(&self, target: &Path, shown: &str) -> Result<(), Error> {
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
