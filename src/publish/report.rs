//! HTML reports rendered from the templates under `reports/` (embedded in the binary,
//! so a report opens offline and the tool needs no files at run time): the activity
//! report, with each figure next to its definition, and the validation report.

use minijinja::{
    Environment, context,
    value::{Serde, Value},
};
use serde::Serialize;

use crate::error::Error;
use crate::format::{number_fr, percent_fr};
use crate::indicators::{CellStatus, IndicatorDef, IndicatorRow, Results, catalogue};
use crate::validation::{Severity, ValidationReport};

const STYLE: &str = include_str!("../../reports/style.css");
const REPORT_TEMPLATE: &str = include_str!("../../reports/rapport.html");
const VALIDATION_TEMPLATE: &str = include_str!("../../reports/validation.html");

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
    env.add_template("validation.html", VALIDATION_TEMPLATE)
        .map_err(|e| Error::Internal(format!("modèle de validation : {e}")))?;
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

/// Renders the activity report.
pub fn render_report(input: &ReportInput) -> Result<String, Error> {
    let years: Vec<i32> = input.years.clone().collect();
    let mut sections = Vec::new();
    for def in catalogue() {
        let rows: Vec<&IndicatorRow> = input
            .results
            .rows
            .iter()
            .filter(|r| r.indicateur == def.id)
            .collect();
        if rows.is_empty() {
            continue;
        }
        // One line per perimeter: a service, or a pooled territory / breakdown.
        // One line per perimeter (service, organisation, département, network) and
        // breakdown value; services first.
        type LineKey = (u8, String, String, String, Option<String>, Option<String>);
        let key = |r: &IndicatorRow| -> LineKey {
            let (rank, order, label, sub) = perimeter(r);
            (
                rank,
                order,
                label,
                sub,
                r.ventilation.clone(),
                r.modalite.clone(),
            )
        };
        let mut keys: Vec<LineKey> = rows.iter().map(|r| key(r)).collect();
        keys.sort();
        keys.dedup();
        let lignes = keys
            .iter()
            .map(|k| {
                let first = rows.iter().find(|r| key(r) == *k);
                let breakdown = match (k.4.as_deref(), &k.5) {
                    (Some("type_mesure"), Some(v)) => format!(" — type de mesure : {v}"),
                    (Some("cadre"), Some(v)) => format!(" — cadre : {v}"),
                    (Some("tranche_age"), Some(v)) => format!(" — âge au 31/12 : {v}"),
                    (Some("sexe"), Some(v)) => format!(" — sexe : {v}"),
                    (Some(d), Some(v)) => format!(" — {d} : {v}"),
                    _ => String::new(),
                };
                Line {
                    service: k.3.clone(),
                    nom_service: format!("{}{breakdown}", k.2),
                    organisation: first
                        .and_then(|r| r.organisation.clone())
                        .unwrap_or_default(),
                    territoire: first
                        .and_then(|r| r.code_territoire.clone())
                        .unwrap_or_default(),
                    cellules: years
                        .iter()
                        .map(|y| {
                            cell_view(
                                rows.iter()
                                    .find(|r| key(r) == *k && r.periode == *y)
                                    .copied(),
                            )
                        })
                        .collect(),
                }
            })
            .collect();
        sections.push(Section { def, lignes });
    }
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
    let env = env()?;
    let tmpl = env
        .get_template("rapport.html")
        .map_err(|e| Error::Internal(e.to_string()))?;
    tmpl.render(context! {
        titre => input.title,
        pipeline => input.pipeline,
        periode => format!("{}–{}", input.years.start(), input.years.end()),
        outil => tool(),
        demonstration => input.demonstration,
        interne => input.secrecy.diffusion == crate::disclosure::Audience::Internal,
        secret => Value::from(Serde(input.secrecy)),
        legende_primaire => CellStatus::Primary.legend(),
        legende_secondaire => CellStatus::Secondary.legend(),
        style => STYLE,
        graphique => input.chart_svg,
        annees => years,
        sections => Value::from(Serde(&sections)),
        notes => input.results.notes.clone(),
        appariement => Value::from(Serde(input.linkage)),
        sources => Value::from(Serde(&sources)),
        problemes => context! {
            erreurs => input.validation.count(Severity::Error),
            avertissements => input.validation.count(Severity::Warning),
            informations => input.validation.count(Severity::Info),
        },
    })
    .map_err(|e| Error::Internal(format!("rendu du rapport : {e}")))
}

/// Renders the validation report.
pub fn render_validation(
    report: &ValidationReport,
    pipeline: &str,
    demonstration: bool,
) -> Result<String, Error> {
    let env = env()?;
    let tmpl = env
        .get_template("validation.html")
        .map_err(|e| Error::Internal(e.to_string()))?;
    tmpl.render(context! {
        pipeline => pipeline,
        outil => tool(),
        demonstration => demonstration,
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
