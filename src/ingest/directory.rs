//! The services directory as the other tables see it (docs/architecture.md, « Service
//! donné par son nom »): a `service` cell of an accompaniment or activity row is a code
//! of the services table or, failing that, one of its names (`nom_service`), both
//! compared folded (case, accents, spacing). A name is resolved to its code; a name of
//! two services is ambiguous; a text that is neither is unknown, with the closest names.

use std::collections::{BTreeMap, BTreeSet};

use super::values;

/// Folded for comparison: `values::fold` (case, accents, spacing), typographic
/// apostrophes as plain ones (« d’AEMO » = « d'AEMO »).
fn fold(t: &str) -> String {
    values::fold(t).replace(['\u{2019}', '\u{2018}', '`'], "'")
}

/// Codes and names of the services read.
#[derive(Debug, Default)]
pub struct ServiceDirectory {
    /// Folded code → code as written.
    codes: BTreeMap<String, String>,
    /// Folded name → codes of the services bearing it.
    names: BTreeMap<String, BTreeSet<String>>,
    /// Folded name → name as first written (for suggestions).
    written: BTreeMap<String, String>,
    /// Code as written → département of the service, when the services table gives it.
    departments: BTreeMap<String, String>,
}

/// Why a `service` cell does not name a service.
#[derive(Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// Neither a code nor a name; the closest codes or names of the directory (at most
    /// 3).
    Unknown { closest: Vec<String> },
    /// A name borne by several services: their codes.
    Ambiguous { codes: Vec<String> },
}

impl ServiceDirectory {
    /// Adds a row of the services table: its code and, when given, its name.
    pub fn add(&mut self, code: &str, name: Option<&str>) {
        self.add_in(code, name, None);
    }

    /// [`Self::add`], with the service's département when the services table gives it.
    pub fn add_in(&mut self, code: &str, name: Option<&str>, department: Option<&str>) {
        if let Some(d) = department.filter(|d| !d.trim().is_empty()) {
            self.departments
                .entry(code.to_string())
                .or_insert_with(|| d.to_string());
        }
        self.codes.insert(fold(code), code.to_string());
        if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
            let key = fold(name);
            self.names
                .entry(key.clone())
                .or_default()
                .insert(code.to_string());
            self.written.entry(key).or_insert_with(|| name.to_string());
        }
    }

    /// `true` when `code` is a service code (folded).
    pub fn has_code(&self, code: &str) -> bool {
        self.codes.contains_key(&fold(code))
    }

    /// The service code a cell names: its code (a code wins over a name), or the code of
    /// the only service with that name.
    pub fn resolve(&self, text: &str) -> Result<String, Unresolved> {
        let key = fold(text);
        if let Some(code) = self.codes.get(&key) {
            return Ok(code.clone());
        }
        match self.names.get(&key) {
            Some(codes) if codes.len() == 1 => Ok(codes.iter().next().cloned().unwrap_or_default()),
            Some(codes) => Err(Unresolved::Ambiguous {
                codes: codes.iter().cloned().collect(),
            }),
            None => Err(Unresolved::Unknown {
                closest: self.closest(&key),
            }),
        }
    }

    /// The three codes or names closest to a folded text (normalised Levenshtein
    /// similarity, ties in alphabetical order).
    fn closest(&self, key: &str) -> Vec<String> {
        let mut scored: Vec<(f64, &String)> = self
            .written
            .iter()
            .chain(&self.codes)
            .map(|(k, name)| (strsim::normalized_levenshtein(key, k), name))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        scored.into_iter().take(3).map(|(_, n)| n.clone()).collect()
    }

    /// The département of a service (by its code as written), when known.
    pub fn department_of(&self, code: &str) -> Option<&str> {
        self.departments.get(code).map(String::as_str)
    }

    /// `true` when the directory holds no service.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The codes of the services whose code or name begins with `text` (folded): a
    /// service name cut short (Excel's 31-character sheet names).
    pub fn begun_by(&self, text: &str) -> Vec<String> {
        let key = fold(text);
        let mut out: BTreeSet<String> = self
            .codes
            .iter()
            .filter(|(k, _)| k.starts_with(&key))
            .map(|(_, c)| c.clone())
            .collect();
        for (k, codes) in &self.names {
            if k.starts_with(&key) {
                out.extend(codes.iter().cloned());
            }
        }
        out.into_iter().collect()
    }

    /// `true` when the directory holds at least one service name.
    pub fn has_names(&self) -> bool {
        !self.names.is_empty()
    }
}

/// The French message parts (what, fix) of an unresolved `service` cell. The cell's
/// content is never quoted (it may be a name typed in the wrong column); the codes and
/// names quoted are those of the services table.
pub fn explain(u: &Unresolved, dir: &ServiceDirectory) -> (String, String) {
    let fix_tail = "ajoutez le service à la table services du pipeline (ses chiffres ne peuvent être rattachés ni à un type, ni à un territoire)";
    match u {
        Unresolved::Unknown { closest } if !closest.is_empty() => (
            format!(
                "service qui n'est ni un code ni un nom du référentiel des services (les plus proches : {})",
                closest
                    .iter()
                    .map(|n| format!("« {n} »"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!("corrigez le code ou le nom (casse, accents et espaces sont ignorés), ou {fix_tail}"),
        ),
        Unresolved::Unknown { .. } => (
            "code de service absent du référentiel des services".into(),
            if dir.has_names() {
                format!("corrigez le code, ou {fix_tail}")
            } else {
                format!("corrigez le code, ou {fix_tail} ; pour désigner les services par leur nom, associez la colonne nom_service de la table services")
            },
        ),
        Unresolved::Ambiguous { codes } => (
            format!(
                "nom porté par plusieurs services du référentiel ({})",
                codes.join(", ")
            ),
            "écrivez le code du service plutôt que son nom, ou distinguez les noms dans la table services".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> ServiceDirectory {
        let mut d = ServiceDirectory::default();
        d.add("MECS-63", Some("MECS Les Tilleuls"));
        d.add("MECS-63", Some("MECS Les Tilleuls"));
        d.add("AEMO-15", Some("Service d'AEMO du Cantal"));
        d.add("PF-63", Some("Placement familial Entraide"));
        d.add("PF-15", Some("placement  familial ENTRAIDE"));
        d.add("DITEP-15", None);
        d
    }

    #[test]
    fn codes_then_names_folded() {
        let d = directory();
        assert_eq!(d.resolve("mecs-63"), Ok("MECS-63".into()));
        assert_eq!(d.resolve("  mecs les   TILLEULS "), Ok("MECS-63".into()));
        assert_eq!(d.resolve("Service d’AEMO du Cantal"), Ok("AEMO-15".into()));
        assert_eq!(d.resolve("service d'aemo du cantal"), Ok("AEMO-15".into()));
        assert_eq!(d.resolve("DITEP-15"), Ok("DITEP-15".into()));
        assert!(d.has_code("ditep-15"));
    }

    #[test]
    fn ambiguous_and_unknown_names() {
        let d = directory();
        assert_eq!(
            d.resolve("Placement familial Entraide"),
            Err(Unresolved::Ambiguous {
                codes: vec!["PF-15".into(), "PF-63".into()]
            })
        );
        let Err(Unresolved::Unknown { closest }) = d.resolve("MECS Les Tilleul") else {
            panic!("unknown expected");
        };
        assert_eq!(closest[0], "MECS Les Tilleuls");
        assert_eq!(closest.len(), 3);
        let (what, _) = explain(&Unresolved::Unknown { closest }, &d);
        assert!(what.contains("« MECS Les Tilleuls »"), "{what}");
        // A mistyped code is shown its code.
        let Err(Unresolved::Unknown { closest }) = d.resolve("DITEP-51") else {
            panic!("unknown expected");
        };
        assert_eq!(closest[0], "DITEP-15");
    }
}
