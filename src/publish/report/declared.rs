//! Reports declared in the pipeline (`[[rapports]]`): one page per audience, written
//! to `rapports/<nom>.html` beside the network's technical report (`rapport.html`).
//!
//! [`render_declared`] matches on the kind and calls one renderer per kind: the
//! rapport d'activité ([`super::activite`]), the plaidoyer and the COPIL board (for now
//! minimal pages from the existing sections, [`super::interim`], until their dedicated
//! renderers are plugged in here).

use minijinja::{
    context,
    value::{Serde, Value},
};

use crate::error::Error;
use crate::indicators::{CellStatus, IndicatorRow};

use super::ReportInput;

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
    /// Whether a figure is about this perimeter's services or organisation (a service's
    /// rows, its organisation's rows; every row for the network).
    pub fn covers(&self, r: &IndicatorRow) -> bool {
        match self {
            Perimeter::Service(s) => r.service.as_deref() == Some(s.as_str()),
            Perimeter::Organisation(o) => r.organisation.as_deref() == Some(o.as_str()),
            Perimeter::Network => true,
        }
    }

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

/// Whether any figure of the run is about the perimeter (a report on a service or an
/// organisation no row names is a pipeline error, not an empty page).
pub fn perimeter_found(perimeter: &Perimeter, rows: &[IndicatorRow]) -> bool {
    match perimeter {
        Perimeter::Network => true,
        p => rows.iter().any(|r| p.covers(r)),
    }
}

/// Family name of the embedded font in the declared reports' style sheet.
pub const FONT_FAMILY: &str = "Observatoire DejaVu Sans";

/// `@font-face` rules with the report font embedded (base64), so a report reads and
/// prints the same on a machine without it: a subset with the glyphs of `html`.
fn embedded_fonts(html: &str) -> String {
    use base64::Engine as _;
    const REGULAR: &[u8] = include_bytes!("../../../reports/polices/DejaVuSans.ttf");
    const BOLD: &[u8] = include_bytes!("../../../reports/polices/DejaVuSans-Bold.ttf");
    let chars: std::collections::BTreeSet<char> = html.chars().chain(['…', '–', '—']).collect();
    let face = |font: &[u8], weight: &str| {
        let bytes =
            crate::publish::chart::subset_ttf(font, &chars).unwrap_or_else(|| font.to_vec());
        format!(
            "@font-face {{ font-family: \"{FONT_FAMILY}\"; font-weight: {weight}; src: url(data:font/ttf;base64,{}) format(\"truetype\"); }}\n",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    };
    face(REGULAR, "normal") + &face(BOLD, "bold")
}

/// Where the `@font-face` rules go in the style sheet (a CSS comment until replaced).
const FONTS: &str = "/*@polices@*/";

/// Renders a declared report's page: `template` extends `declare.html` (banners, the
/// addressee, the print style sheet with the embedded font) with `extra`.
pub(super) fn page(
    template: &str,
    report: &Declared,
    input: &ReportInput,
    extra: Value,
) -> Result<String, Error> {
    let env = super::env()?;
    let tmpl = env
        .get_template(template)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let style = format!("{FONTS}{}\n{}", super::STYLE, super::PRINT_STYLE)
        .replace("__POLICE__", FONT_FAMILY);
    tmpl.render(context! {
        titre => format!("{} — {}", report.kind.title(), report_subject(report, input)),
        perimetre => report.perimeter.label(),
        destinataire => report.destinataire.clone(),
        pipeline => input.pipeline,
        periode => format!("{}–{}", input.years.start(), input.years.end()),
        annees => input.years.clone().collect::<Vec<i32>>(),
        dernier => input.years.end(),
        outil => super::tool(),
        demonstration => input.demonstration,
        interne => input.secrecy.diffusion == crate::disclosure::Audience::Internal,
        secret => Value::from(Serde(input.secrecy)),
        legende_primaire => CellStatus::Primary.legend(),
        legende_secondaire => CellStatus::Secondary.legend(),
        style => style,
        ..extra
    })
    .map(|html| {
        // The font is embedded once the page is known: only the glyphs it uses.
        let fonts = embedded_fonts(&html);
        html.replacen(FONTS, &fonts, 1)
    })
    .map_err(|e| Error::Internal(format!("rendu du rapport : {e}")))
}

/// The name of a report's subject: the service's name, the organisation, the network.
fn report_subject(report: &Declared, input: &ReportInput) -> String {
    match &report.perimeter {
        Perimeter::Service(s) => input
            .results
            .rows
            .iter()
            .find(|r| r.service.as_deref() == Some(s.as_str()))
            .and_then(|r| r.nom_service.clone())
            .map_or_else(|| s.clone(), |n| format!("{n} ({s})")),
        Perimeter::Organisation(o) => o.clone(),
        Perimeter::Network => "ensemble du réseau".into(),
    }
}

/// Renders one declared report: one function per kind.
pub fn render_declared(
    report: &Declared,
    input: &ReportInput,
    facts: &super::facts::Facts,
) -> Result<String, Error> {
    match report.kind {
        Kind::Activite => super::activite::render(report, input, facts),
        // The map renderer (`publish::map`) plugs in here.
        Kind::Plaidoyer => super::interim::render_plaidoyer(report, input),
        // The COPIL board renderer (`publish::copil`) plugs in here.
        Kind::Copil => super::interim::render_copil(report, input),
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
