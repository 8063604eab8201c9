//! Reports declared in the pipeline (`[[rapports]]`): one page per audience, written
//! to `rapports/<nom>.html` beside the network's technical report (`rapport.html`).
//!
//! [`render_declared`] matches on the kind and calls one renderer per kind: the
//! rapport d'activité ([`super::activite`]), the plaidoyer ([`super::plaidoyer`]) and
//! the COPIL board ([`super::board`], `publish::copil`'s board for the
//! report's perimeter). Each report's workbook is [`super::workbooks`].

use minijinja::{
    context,
    value::{Serde, Value},
};

use crate::error::Error;
use crate::indicators::{CellStatus, IndicatorRow};

use super::ReportInput;

pub use crate::pipeline::rapports::{
    Declared, Kind, Perimeter, REPORTS_DIR, default_name, slug, valid_name,
};

/// Whether a figure is about this perimeter's services or organisation (a service's
/// rows, its organisation's rows; every row for the network).
pub fn covers(perimeter: &Perimeter, r: &IndicatorRow) -> bool {
    match perimeter {
        Perimeter::Service(s) => r.service.as_deref() == Some(s.as_str()),
        Perimeter::Organisation(o) => r.organisation.as_deref() == Some(o.as_str()),
        Perimeter::Network => true,
    }
}

/// Whether any figure of the run is about the perimeter (a report on a service or an
/// organisation no row names is a pipeline error, not an empty page).
pub fn perimeter_found(perimeter: &Perimeter, rows: &[IndicatorRow]) -> bool {
    match perimeter {
        Perimeter::Network => true,
        p => rows.iter().any(|r| covers(p, r)),
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
    let style = declared_style();
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
        bandeau => input.banner,
        secret => Value::from(Serde(input.secrecy)),
        legende_primaire => CellStatus::Primary.legend(),
        legende_secondaire => CellStatus::Secondary.legend(),
        style => style,
        ..extra
    })
    .map(embed_fonts)
    .map_err(|e| Error::Internal(format!("rendu du rapport : {e}")))
}

/// The declared reports' style sheet: screen and print rules, the report font (its
/// `@font-face` rules are added by [`embed_fonts`] once the page is known).
fn declared_style() -> String {
    format!("{FONTS}{}\n{}", super::STYLE, super::PRINT_STYLE).replace("__POLICE__", FONT_FAMILY)
}

/// Embeds the report font in a page: only the glyphs it uses.
fn embed_fonts(html: String) -> String {
    let fonts = embedded_fonts(&html);
    html.replacen(FONTS, &fonts, 1)
}

/// A page rendered elsewhere (the COPIL board of `publish::copil`) given the declared
/// reports' style sheet, print rules and embedded font: its first `<style>` is
/// replaced, its `<body>` takes the declared reports' class.
pub(super) fn as_declared_page(html: &str) -> String {
    let styled = match (html.find("<style>"), html.find("</style>")) {
        (Some(a), Some(b)) if a < b => {
            format!("{}<style>{}{}", &html[..a], declared_style(), &html[b..])
        }
        _ => html.to_string(),
    };
    embed_fonts(styled.replacen("<body>", "<body class=\"rapport-declare\">", 1))
}

/// The name of a report's subject: the service's name, the organisation, the network.
pub(super) fn report_subject(report: &Declared, input: &ReportInput) -> String {
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
        Kind::Plaidoyer => super::plaidoyer::render(report, input),
        Kind::Copil => super::board::render(report, input),
    }
}
