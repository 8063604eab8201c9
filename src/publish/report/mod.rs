//! HTML reports rendered from the templates under `reports/` (embedded in the binary,
//! so a report opens offline and the tool needs no files at run time): the activity
//! report, with each figure next to its definition, and the validation report.
//!
//! The activity report is built in one pass over the rows (each row goes to its line
//! once), so its cost grows with the number of figures, not with its square. A small
//! network is reported on one page; above [`SINGLE_PAGE_MAX_SERVICES`] services the
//! main page keeps what a reader of a national network needs (the network's figures
//! with their breakdowns, each département's totals, a linked list of départements)
//! and the detail goes to one page per département (its services, the organisations
//! with a service there, its internal territories); every figure is in the Parquet
//! table as well.

use std::collections::BTreeMap;

use minijinja::{
    Environment, context,
    value::{Serde, Value},
};
use rayon::prelude::*;
use serde::Serialize;

use crate::error::Error;
use crate::format::{number_fr, percent_fr};
use crate::indicators::{CellStatus, IndicatorDef, IndicatorRow, Results, catalogue};
use crate::validation::{Severity, ValidationReport};

mod activite;
mod blocks;
pub mod board;
pub mod declared;
pub mod facts;
mod labels;
mod pages;
mod plaidoyer;
mod tables;
pub mod workbooks;

use declared::page;
pub use declared::{Declared, FONT_FAMILY, REPORTS_DIR, render_declared};
use pages::{department_page, departments, rows_by_page};

const STYLE: &str = include_str!("../../../reports/style.css");
const REPORT_TEMPLATE: &str = include_str!("../../../reports/rapport.html");
const SECTIONS_TEMPLATE: &str = include_str!("../../../reports/sections.html");
const DEPARTMENT_TEMPLATE: &str = include_str!("../../../reports/rapport-departement.html");
const VALIDATION_TEMPLATE: &str = include_str!("../../../reports/validation.html");
const PRINT_STYLE: &str = include_str!("../../../reports/impression.css");
const DECLARED_TEMPLATES: [(&str, &str); 3] = [
    (
        "declare.html",
        include_str!("../../../reports/declare.html"),
    ),
    (
        "activite.html",
        include_str!("../../../reports/activite.html"),
    ),
    (
        "plaidoyer.html",
        include_str!("../../../reports/plaidoyer.html"),
    ),
];

/// What the activity report needs besides the figures.
pub struct ReportInput<'a> {
    pub title: &'a str,
    pub pipeline: &'a str,
    pub years: std::ops::RangeInclusive<i32>,
    pub demonstration: bool,
    pub chart_svg: Option<&'a str>,
    pub results: &'a Results,
    pub validation: &'a ValidationReport,
    /// Key fingerprints and linkage counts (JSON from the run), or null.
    pub linkage: &'a serde_json::Value,
    /// What disclosure control did (threshold, audience, suppressions, audit).
    pub secrecy: &'a crate::disclosure::Report,
    /// The audience's banner (`Pipeline::audience_banner`: internal dashboard, document
    /// sent to a named authority), `None` for a public release.
    pub banner: Option<&'a str>,
    /// The quality action plan (`plan_action`, canonical columns) for the COPIL board;
    /// `None` when the run has none.
    pub action_plan: Option<&'a polars::prelude::DataFrame>,
}

#[derive(Serialize)]
struct Section {
    def: IndicatorDef,
    lignes: Vec<Line>,
}

#[derive(Serialize)]
struct Line {
    service: String,
    nom_service: String,
    organisation: String,
    territoire: String,
    cellules: Vec<CellView>,
}

#[derive(Serialize)]
struct CellView {
    valeur: String,
    detail: String,
    /// Status code (`A` primary, `D` secondary) when the figure is withheld.
    secret: Option<&'static str>,
}

#[derive(Serialize)]
struct SourceView {
    source: String,
    fichier: String,
    feuille: Option<String>,
    lignes_lues: usize,
    lignes_acceptees: usize,
    rejetees: usize,
    exclues: usize,
}

fn tool() -> String {
    format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
}

fn env() -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    env.add_template("rapport.html", REPORT_TEMPLATE)
        .map_err(|e| Error::Internal(format!("modèle de rapport : {e}")))?;
    env.add_template("sections.html", SECTIONS_TEMPLATE)
        .map_err(|e| Error::Internal(format!("modèle de rapport : {e}")))?;
    env.add_template("rapport-departement.html", DEPARTMENT_TEMPLATE)
        .map_err(|e| Error::Internal(format!("modèle de rapport : {e}")))?;
    env.add_template("validation.html", VALIDATION_TEMPLATE)
        .map_err(|e| Error::Internal(format!("modèle de validation : {e}")))?;
    for (name, text) in DECLARED_TEMPLATES {
        env.add_template(name, text)
            .map_err(|e| Error::Internal(format!("modèle de rapport : {e}")))?;
    }
    Ok(env)
}

fn cell_view(row: Option<&IndicatorRow>) -> CellView {
    let Some(r) = row else {
        return CellView {
            valeur: "—".into(),
            detail: String::new(),
            secret: None,
        };
    };
    if r.statut != CellStatus::Published {
        return CellView {
            valeur: "s".into(),
            detail: r.statut.legend().into(),
            secret: Some(r.statut.code()),
        };
    }
    let view = |valeur: String, detail: String| CellView {
        valeur,
        detail,
        secret: None,
    };
    match (r.valeur, r.unite.as_str()) {
        (Some(v), "%") => view(percent_fr(v, 2), fraction(r)),
        (Some(v), "‰") => view(
            format!("{}{}‰", number_fr(v * 1000.0, 1), crate::format::NBSP),
            fraction(r),
        ),
        (Some(v), "jours") => view(format!("{} j", number_fr(v, 1)), String::new()),
        (Some(v), "ETP" | "sur 4" | "mesures par ETP") => view(number_fr(v, 1), String::new()),
        (Some(v), _) => view(number_fr(v, 0), String::new()),
        (None, _) => view("n.c.".into(), "non calculable".into()),
    }
}

fn fraction(r: &IndicatorRow) -> String {
    match (r.numerateur, r.denominateur) {
        (Some(n), Some(d)) => format!("{} / {}", number_fr(n, 0), number_fr(d, 0)),
        _ => String::new(),
    }
}

/// The perimeter of a figure: (rank, sort key, label, service code). Services first,
/// then organisations, départements (named from the territory table, `Cantal (15)`, in
/// the order of their codes), internal territories and the whole network.
fn perimeter(r: &IndicatorRow) -> (u8, String, String, String) {
    let (rank, label, sub) = match (
        &r.service,
        &r.organisation,
        r.niveau_territoire.as_str(),
        &r.code_territoire,
    ) {
        (Some(s), _, _, _) => (
            0,
            r.nom_service.clone().unwrap_or_else(|| s.clone()),
            s.clone(),
        ),
        (None, Some(o), _, _) => (1, format!("Organisation : {o}"), String::new()),
        (None, None, "departement", Some(d)) => {
            return (
                2,
                d.clone(),
                crate::territory::department_display(d),
                String::new(),
            );
        }
        (None, None, "territoire_interne", Some(t)) => (
            3,
            format!("Territoire : {}", t.replacen('-', " — ", 1)),
            String::new(),
        ),
        _ => (4, "Ensemble du réseau".to_string(), String::new()),
    };
    (rank, label.clone(), label, sub)
}

/// Above this many services, the main page keeps the network and département figures
/// and each département gets a page of its own (its services, organisations and
/// internal territories, with every breakdown); at or below it, everything is on one
/// page as for a small network.
pub const SINGLE_PAGE_MAX_SERVICES: usize = 40;

/// Folder of the per-département pages, beside the main report.
pub const DEPARTMENT_PAGES: &str = "rapport-departements";

/// One HTML page of the activity report: its path in the output folder and its text.
pub struct Page {
    pub path: String,
    pub html: String,
}

/// One line of a section: perimeter (rank, sort key, label, service code) and breakdown
/// (dimension, value order — age bands in age order — and value).
type LineKey<'a> = (
    u8,
    String,
    String,
    String,
    Option<&'a str>,
    Option<(u8, u64, String)>,
    Option<&'a str>,
);

/// The rows of every indicator, each row once, in input order.
fn rows_by_indicator(results: &Results) -> BTreeMap<&str, Vec<&IndicatorRow>> {
    let mut by: BTreeMap<&str, Vec<&IndicatorRow>> = BTreeMap::new();
    for r in &results.rows {
        by.entry(r.indicateur.as_str()).or_default().push(r);
    }
    by
}

fn breakdown_label(dimension: Option<&str>, value: Option<&str>) -> String {
    match (dimension, value) {
        (Some(d), Some(v)) => format!(
            " — {} : {}",
            labels::dimension(d).to_lowercase(),
            labels::value(d, v)
        ),
        _ => String::new(),
    }
}

/// The sections of one page: per indicator of the catalogue, one line per perimeter
/// and breakdown value among the rows `keep` accepts (services first), one cell per
/// year. Linear in the rows: each row is placed once in its line.
fn sections(
    by_indicator: &BTreeMap<&str, Vec<&IndicatorRow>>,
    years: &[i32],
    keep: impl Fn(&IndicatorRow) -> bool,
) -> Vec<Section> {
    let mut out = Vec::new();
    for def in catalogue() {
        let Some(rows) = by_indicator.get(def.id) else {
            continue;
        };
        // Line → (first row, row of each year).
        let mut lines: BTreeMap<LineKey, (&IndicatorRow, Vec<Option<&IndicatorRow>>)> =
            BTreeMap::new();
        for &r in rows.iter().filter(|r| keep(r)) {
            let (rank, order, label, sub) = perimeter(r);
            let key = (
                rank,
                order,
                label,
                sub,
                r.ventilation.as_deref(),
                r.modalite.as_deref().map(labels::order_key),
                r.modalite.as_deref(),
            );
            let line = lines
                .entry(key)
                .or_insert_with(|| (r, vec![None; years.len()]));
            if let Some(y) = years.iter().position(|&y| y == r.periode) {
                line.1[y].get_or_insert(r);
            }
        }
        if lines.is_empty() {
            continue;
        }
        let lignes = lines
            .into_iter()
            .map(|(k, (first, cells))| Line {
                service: k.3,
                nom_service: format!("{}{}", k.2, breakdown_label(k.4, k.6)),
                organisation: first.organisation.clone().unwrap_or_default(),
                territoire: first.code_territoire.clone().unwrap_or_default(),
                cellules: cells.into_iter().map(cell_view).collect(),
            })
            .collect();
        out.push(Section { def, lignes });
    }
    out
}

#[derive(Serialize)]
struct PageLink {
    lien: String,
    nom: String,
    services: usize,
    organisations: usize,
}

/// Renders the activity report: the main page (first, at [`paths::REPORT`]), and for a
/// network of more than [`SINGLE_PAGE_MAX_SERVICES`] services one page per département.
// Long (83 lines) for a reason: the main page's filter depends on whether the
// département pages exist, and both share one context and one row index.
pub fn render_report(input: &ReportInput) -> Result<Vec<Page>, Error> {
    let years: Vec<i32> = input.years.clone().collect();
    let by_indicator = rows_by_indicator(input.results);
    let deps = departments(input.results);
    let services: usize = deps.values().map(|d| d.0.len()).sum();
    let split = services > SINGLE_PAGE_MAX_SERVICES;
    let env = env()?;
    let common = context! {
        titre => input.title,
        pipeline => input.pipeline,
        periode => format!("{}–{}", input.years.start(), input.years.end()),
        outil => tool(),
        demonstration => input.demonstration,
        interne => input.secrecy.diffusion == crate::disclosure::Audience::Internal,
        bandeau => input.banner,
        secret => Value::from(Serde(input.secrecy)),
        legende_primaire => CellStatus::Primary.legend(),
        legende_secondaire => CellStatus::Secondary.legend(),
        style => STYLE,
        annees => years.clone(),
    };
    let mut pages = Vec::new();
    let mut links = Vec::new();
    if split {
        let tmpl = env
            .get_template("rapport-departement.html")
            .map_err(|e| Error::Internal(e.to_string()))?;
        // The pages are independent: rendered in parallel, kept in département order.
        let by_page = rows_by_page(input.results, &deps);
        let none = BTreeMap::new();
        let rendered: Vec<Result<(PageLink, Page), Error>> = deps
            .par_iter()
            .map(|(&dep, (svc, orgs))| {
                let path = department_page(dep);
                let rows = by_page.get(&dep).unwrap_or(&none);
                let name = dep.map_or_else(
                    || "Services sans département".to_string(),
                    crate::territory::department_display,
                );
                let html = tmpl
                    .render(context! {
                        departement => name.clone(),
                        nombre_services => svc.len(),
                        retour => "../rapport.html",
                        sections => Value::from(Serde(&sections(rows, &years, |_| true))),
                        ..common.clone()
                    })
                    .map_err(|e| Error::Internal(format!("rendu du rapport : {e}")))?;
                let link = PageLink {
                    lien: path.clone(),
                    nom: name,
                    services: svc.len(),
                    organisations: orgs.len(),
                };
                Ok((link, Page { path, html }))
            })
            .collect();
        for r in rendered {
            let (link, page) = r?;
            links.push(link);
            pages.push(page);
        }
    }
    // Main page: everything for a small network; the network (every breakdown) and the
    // départements (totals) for a large one.
    let keep_main = |r: &IndicatorRow| {
        !split
            || (r.service.is_none()
                && r.organisation.is_none()
                && match r.niveau_territoire.as_str() {
                    "departement" => r.ventilation.is_none(),
                    "territoire_interne" => false,
                    _ => true,
                })
    };
    let main = render_main(
        input,
        &env,
        common,
        &sections(&by_indicator, &years, keep_main),
        &links,
        services,
    )?;
    pages.insert(
        0,
        Page {
            path: super::paths::REPORT.to_string(),
            html: main,
        },
    );
    Ok(pages)
}

fn render_main(
    input: &ReportInput,
    env: &Environment,
    common: Value,
    sections: &[Section],
    links: &[PageLink],
    services: usize,
) -> Result<String, Error> {
    let sources: Vec<SourceView> = input
        .validation
        .sources
        .iter()
        .map(|s| SourceView {
            source: s.source.clone(),
            fichier: s.fichier.clone(),
            feuille: s.feuille.clone(),
            lignes_lues: s.lignes_lues,
            lignes_acceptees: s.lignes_acceptees,
            rejetees: s.rejected(),
            exclues: s.excluded(),
        })
        .collect();
    let tmpl = env
        .get_template("rapport.html")
        .map_err(|e| Error::Internal(e.to_string()))?;
    tmpl.render(context! {
        graphique => input.chart_svg,
        sections => Value::from(Serde(sections)),
        pages => Value::from(Serde(links)),
        nombre_services => services,
        notes => input.results.notes.clone(),
        appariement => Value::from(Serde(input.linkage)),
        sources => Value::from(Serde(&sources)),
        problemes => context! {
            erreurs => input.validation.count(Severity::Error),
            avertissements => input.validation.count(Severity::Warning),
            informations => input.validation.count(Severity::Info),
        },
        ..common
    })
    .map_err(|e| Error::Internal(format!("rendu du rapport : {e}")))
}

/// Renders the validation report.
pub fn render_validation(
    report: &ValidationReport,
    pipeline: &str,
    demonstration: bool,
    banner: Option<&str>,
) -> Result<String, Error> {
    let env = env()?;
    let tmpl = env
        .get_template("validation.html")
        .map_err(|e| Error::Internal(e.to_string()))?;
    tmpl.render(context! {
        pipeline => pipeline,
        outil => tool(),
        demonstration => demonstration,
        bandeau => banner,
        style => STYLE,
        sources => Value::from(Serde(&report.sources)),
        problemes => Value::from(Serde(&report.problemes)),
    })
    .map_err(|e| Error::Internal(format!("rendu du rapport de validation : {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_organisation_with_several_services_gets_its_own_chapter_first() {
        use activite::{Scope, scopes};
        let row = |service: Option<&str>, org: Option<&str>| IndicatorRow {
            indicateur: "file_active".into(),
            service: service.map(Into::into),
            nom_service: service.map(|s| format!("Service {s}")),
            organisation: org.map(Into::into),
            ..Default::default()
        };
        let results = Results {
            rows: vec![
                row(Some("B-1"), Some("O")),
                row(Some("A-1"), Some("O")),
                row(Some("C-1"), Some("P")),
                row(None, Some("O")),
                row(None, None),
            ],
            notes: Vec::new(),
        };
        let chapters = scopes(&declared::Perimeter::Organisation("O".into()), &results);
        let kinds: Vec<&Scope> = chapters.iter().map(|c| &c.0).collect();
        assert_eq!(
            kinds,
            [
                &Scope::Organisation("O".into()),
                &Scope::Service("A-1".into()),
                &Scope::Service("B-1".into())
            ]
        );
        assert_eq!(chapters[1].1, "Service A-1 (A-1)");
        let one = scopes(&declared::Perimeter::Service("C-1".into()), &results);
        assert_eq!(one.len(), 1);
        assert!(scopes(&declared::Perimeter::Service("Z".into()), &results).is_empty());
        let network = scopes(&declared::Perimeter::Network, &results);
        assert_eq!(network.len(), 4);
        assert_eq!(network[0].0, Scope::Network);
    }

    #[test]
    fn departments_are_named_from_the_territory_table() {
        let row = |code: &str| IndicatorRow {
            niveau_territoire: "departement".into(),
            code_territoire: Some(code.into()),
            ..Default::default()
        };
        assert_eq!(perimeter(&row("15")).2, "Cantal (15)");
        assert_eq!(perimeter(&row("2A")).2, "Corse-du-Sud (2A)");
        assert_eq!(perimeter(&row("20")).2, "Corse (20)");
        assert_eq!(perimeter(&row("974")).2, "La Réunion (974)");
        assert_eq!(perimeter(&IndicatorRow::default()).2, "Ensemble du réseau");
        // Départements in the order of their codes, not of their names.
        let mut codes = ["21", "23", "2A", "971", "01"].map(|c| perimeter(&row(c)));
        codes.sort();
        let names: Vec<&str> = codes.iter().map(|p| p.2.as_str()).collect();
        assert_eq!(
            names,
            [
                "Ain (01)",
                "Côte-d'Or (21)",
                "Creuse (23)",
                "Corse-du-Sud (2A)",
                "Guadeloupe (971)"
            ]
        );
    }
}
