//! Reports declared in the pipeline (`[[rapports]]`): their kinds, perimeters and file
//! names, checked when the pipeline is loaded. Rendered by `publish::report`.

use super::Pipeline;
use crate::error::PipelineError;

/// Folder of the declared reports in the output folder.
pub const REPORTS_DIR: &str = "rapports";

/// The kinds of report a pipeline may declare (`type = "…"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Rapport d'activité: a director to the funding authority.
    Activite,
    /// Plaidoyer / observatoire: the collective, about the network.
    Plaidoyer,
    /// Tableau de bord COPIL qualité: action plan status.
    Copil,
}

impl Kind {
    /// The kinds with their pipeline spelling.
    pub const ALL: [(&'static str, Kind); 3] = [
        ("activite", Kind::Activite),
        ("plaidoyer", Kind::Plaidoyer),
        ("copil", Kind::Copil),
    ];

    pub fn from_setting(s: &str) -> Option<Kind> {
        Self::ALL.iter().find(|(k, _)| *k == s).map(|(_, v)| *v)
    }

    pub fn setting(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("activite", |(k, _)| k)
    }

    /// French title of the kind.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Activite => "Rapport d'activité",
            Kind::Plaidoyer => "Observatoire du réseau",
            Kind::Copil => "Tableau de bord du COPIL qualité",
        }
    }
}

/// What a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Perimeter {
    Service(String),
    Organisation(String),
    Network,
}

impl Perimeter {
    /// French label (« service APMN-15 », « organisation ANEF Cantal », « ensemble du
    /// réseau »).
    pub fn label(&self) -> String {
        match self {
            Perimeter::Service(s) => format!("service {s}"),
            Perimeter::Organisation(o) => format!("organisation « {o} »"),
            Perimeter::Network => "ensemble du réseau".into(),
        }
    }
}

/// One report of the run, from `[[rapports]]`.
#[derive(Debug, Clone)]
pub struct Declared {
    /// Position in the pipeline's `[[rapports]]` (for error messages).
    pub index: usize,
    pub kind: Kind,
    pub perimeter: Perimeter,
    /// File stem: `rapports/<nom>.html` (and `rapports/<nom>.xlsx`).
    pub nom: String,
    pub destinataire: Option<String>,
}

impl Declared {
    /// Path of the HTML page in the output folder.
    pub fn html_path(&self) -> String {
        format!("{REPORTS_DIR}/{}.html", self.nom)
    }

    /// Path of the report's workbook in the output folder (written by
    /// `publish::workbook`, beside the page).
    pub fn xlsx_path(&self) -> String {
        format!("{REPORTS_DIR}/{}.xlsx", self.nom)
    }
}

/// The default file stem: the kind and the perimeter, in lowercase ASCII letters,
/// digits and hyphens (`activite-apmn-15`, `plaidoyer-reseau`, `copil-anef-cantal`).
pub fn default_name(kind: Kind, perimeter: &Perimeter) -> String {
    let what = match perimeter {
        Perimeter::Service(s) | Perimeter::Organisation(s) => slug(s),
        Perimeter::Network => "reseau".into(),
    };
    format!("{}-{}", kind.setting(), what)
}

/// Lowercase ASCII letters and digits, other characters as single hyphens (accents
/// dropped to their base letter).
pub fn slug(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::new();
    for c in s.nfd() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !unicode_normalization::char::is_combining_mark(c) && !out.ends_with('-') {
            out.push('-');
        }
    }
    let t = out.trim_matches('-').to_string();
    if t.is_empty() { "rapport".into() } else { t }
}

/// Whether a file stem is safe: ASCII letters, digits, `-` and `_`, not empty.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Reports declared in the pipeline (`[[rapports]]`).
impl Pipeline {
    /// Checks every `[[rapports]]`: a known kind, at most one of `service` and
    /// `organisation`, a safe and unique file stem.
    pub(super) fn validate_reports(&self) -> Result<(), PipelineError> {
        let mut names = std::collections::BTreeSet::new();
        for (i, r) in self.spec.rapports.iter().enumerate() {
            if Kind::from_setting(r.kind.get_ref()).is_none() {
                return Err(self.err_at(
                    r.kind.span(),
                    format!("type de rapport « {} » inconnu", r.kind.get_ref()),
                    "écrivez type = \"activite\", \"plaidoyer\" ou \"copil\"".into(),
                ));
            }
            if let (Some(_), Some(o)) = (&r.service, &r.organisation) {
                return Err(self.err_at(
                    o.span(),
                    "un rapport porte sur un service ou sur une organisation, pas les deux".into(),
                    "gardez service = … (un service) ou organisation = … (tous ses services)"
                        .into(),
                ));
            }
            if let Some(n) = &r.nom
                && !valid_name(n.get_ref())
            {
                return Err(self.err_at(
                    n.span(),
                    format!("nom de rapport « {} » invalide", n.get_ref()),
                    "écrivez un nom de fichier sans extension fait de lettres sans accent, de chiffres, de - et de _ (80 caractères au plus), par exemple nom = \"activite-apmn-2023\"".into(),
                ));
            }
            let declared = &self.reports()[i];
            if !names.insert(declared.nom.clone()) {
                return Err(self.err_at(
                    r.nom.as_ref().map_or(r.kind.span(), |n| n.span()),
                    format!("deux rapports s'appellent « {} »", declared.nom),
                    "donnez à chaque rapport un nom différent (nom = \"…\")".into(),
                ));
            }
        }
        Ok(())
    }

    /// The declared reports, in pipeline order (file stems defaulted from the kind and
    /// the perimeter). Call after validation: an unknown kind reads as `activite`.
    pub fn reports(&self) -> Vec<Declared> {
        self.spec
            .rapports
            .iter()
            .enumerate()
            .map(|(index, r)| {
                let kind = Kind::from_setting(r.kind.get_ref()).unwrap_or(Kind::Activite);
                let perimeter = match (&r.service, &r.organisation) {
                    (Some(s), _) => Perimeter::Service(s.get_ref().clone()),
                    (None, Some(o)) => Perimeter::Organisation(o.get_ref().clone()),
                    (None, None) => Perimeter::Network,
                };
                Declared {
                    index,
                    kind,
                    nom: r
                        .nom
                        .as_ref()
                        .map_or_else(|| default_name(kind, &perimeter), |n| n.get_ref().clone()),
                    perimeter,
                    destinataire: r.destinataire.clone(),
                }
            })
            .collect()
    }

    /// The error of a declared report whose service or organisation no figure of the run
    /// names, pointing at its `service` or `organisation` line.
    pub fn report_perimeter_error(&self, index: usize) -> PipelineError {
        let r = self.spec.rapports.get(index);
        let (span, what) = match r.map(|r| (&r.service, &r.organisation)) {
            Some((Some(s), _)) => (s.span(), format!("le service « {} »", s.get_ref())),
            Some((None, Some(o))) => (o.span(), format!("l'organisation « {} »", o.get_ref())),
            _ => (0..0, "le périmètre".into()),
        };
        self.err_at(
            span,
            format!("rapport sur {what} : aucun chiffre de l'exécution ne porte sur ce périmètre"),
            "écrivez le code du service (service = \"APMN-15\") ou le nom de l'organisation tels que les sources les déclarent".into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_safe_file_stems() {
        let n = default_name(Kind::Copil, &Perimeter::Organisation("ANEF Cantal".into()));
        assert_eq!(n, "copil-anef-cantal");
        let n = default_name(Kind::Activite, &Perimeter::Service("APMN-15".into()));
        assert_eq!(n, "activite-apmn-15");
        assert_eq!(
            default_name(Kind::Plaidoyer, &Perimeter::Network),
            "plaidoyer-reseau"
        );
        assert_eq!(slug("Les Écureuils / Côte-d'Or"), "les-ecureuils-cote-d-or");
        assert_eq!(slug("///"), "rapport");
        assert!(valid_name("activite-apmn_15"));
        assert!(!valid_name("../x"));
        assert!(!valid_name(""));
    }
}
