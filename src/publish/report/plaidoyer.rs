//! The plaidoyer / observatoire report (`type = "plaidoyer"`): what the collective argues
//! from. For each flagship figure the run has — the two cross-sector shares (children in
//! child protection also followed by a DITEP, and the reverse) and the ASE rate per
//! 1 000 under-21s — the last year with département figures is shown as a choropleth
//! map of France by département and as a table of départements ranked by value (names,
//! not codes), with the perimeter's value and the quartiles of the départements. Every
//! table and map carries a DREES-style note (« Lecture », « Champ », « Source »); a
//! « Méthode » section explains linkage and the statistical secret in plain French
//! ([`methode`]).
//!
//! Every number comes from the disclosure-controlled rows: published values (status
//! `V`), values derived only from published values (quartiles of the published
//! département values), or a year. A withheld figure is « s » and hatched on the map; a
//! département without a figure is « non disponible ».

mod methode;
#[cfg(test)]
mod tests;

use minijinja::{
    context,
    value::{Serde, Value},
};
use serde::Serialize;

use crate::error::Error;
use crate::format::number_fr;
use crate::indicators::context::ASE_PER_1000;
use crate::indicators::cross_sector::{DITEP_ALSO_PE, PE_ALSO_DITEP};
use crate::indicators::{CellStatus, IndicatorRow, catalogue, derive::quantile};
use crate::publish::map::{MapSpec, MapUnit, MapValue, choropleth};
use crate::territory::{self, Level};

use super::ReportInput;
use super::declared::{Declared, Perimeter};
use super::tables::{Cell, cell, format_change, format_value};

/// The flagship figures, in the order of the report.
const FIGURES: [&str; 3] = [PE_ALSO_DITEP, DITEP_ALSO_PE, ASE_PER_1000];

/// One département's line of the ranked table.
#[derive(Serialize)]
pub(super) struct RankLine {
    /// Rank among the published values (`—` for a withheld or uncomputable figure).
    pub rang: String,
    /// `Cantal (15)`.
    pub departement: String,
    pub valeur: Cell,
    pub numerateur: Cell,
    pub denominateur: Cell,
    pub evolution: Cell,
}

/// The quartiles of the published département values.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub(super) struct Quartiles {
    pub nombre: usize,
    pub q1: f64,
    pub mediane: f64,
    pub q3: f64,
}

/// One flagship figure: its map, its ranked table and their notes.
#[derive(Serialize)]
struct Figure {
    ancre: String,
    titre: String,
    definition: String,
    annee: i32,
    carte: String,
    lignes: Vec<RankLine>,
    reseau: Option<RankLine>,
    reseau_libelle: String,
    quartiles: Option<String>,
    quartiles_libelle: String,
    comptes: bool,
    evolution: bool,
    absents: String,
    lecture_carte: String,
    lecture_tableau: String,
    champ: String,
    source: String,
}

/// Renders the plaidoyer of `report`.
pub fn render(report: &Declared, input: &ReportInput) -> Result<String, Error> {
    let mut figures = Vec::new();
    let mut manquants = Vec::new();
    for id in FIGURES {
        let rows: Vec<&IndicatorRow> = input
            .results
            .rows
            .iter()
            .filter(|r| r.indicateur == id && r.ventilation.is_none() && in_scope(id, report, r))
            .collect();
        match figure(id, &rows, report, input)? {
            Some(f) => figures.push(f),
            None => manquants.push(missing_reason(id)),
        }
    }
    super::page(
        "plaidoyer.html",
        report,
        input,
        context! {
            figures => Value::from(Serde(&figures)),
            manquants => manquants,
            methode => Value::from(Serde(methode::method(input))),
        },
    )
}

/// Whether a row is about the report's perimeter. The ASE rate is territorial context
/// (public tables, not the network's services): always its own rows.
fn in_scope(id: &str, report: &Declared, r: &IndicatorRow) -> bool {
    match (&report.perimeter, id) {
        (_, ASE_PER_1000) | (Perimeter::Network, _) => {
            r.organisation.is_none() && r.service.is_none()
        }
        (Perimeter::Organisation(o), _) => {
            r.organisation.as_deref() == Some(o.as_str()) && r.service.is_none()
        }
        (Perimeter::Service(s), _) => r.service.as_deref() == Some(s.as_str()),
    }
}

/// Why a flagship figure is absent from the report (never left out silently).
fn missing_reason(id: &str) -> String {
    let label = libelle(id);
    let why = match id {
        ASE_PER_1000 => {
            "le pipeline ne lit pas les tables de référence de la DREES (enfants accueillis à l'ASE) et de l'INSEE (population par âge)"
        }
        _ => {
            "aucun chiffre par département pour ce périmètre (il faut des accompagnements appariés de services de protection de l'enfance et de DITEP)"
        }
    };
    format!("{label} : non disponible dans cette exécution — {why}.")
}

fn libelle(id: &str) -> String {
    catalogue()
        .into_iter()
        .find(|d| d.id == id)
        .map_or_else(|| id.to_string(), |d| d.libelle.to_string())
}

fn is_department_row(r: &IndicatorRow) -> bool {
    r.niveau_territoire == "departement" && r.code_territoire.is_some()
}

/// A part of a département (`69D`, `69M`): shown, never ranked nor counted in the
/// quartiles (its département may be there too).
fn is_part(code: &str) -> bool {
    territory::by_code(code).is_some_and(|t| t.level == Level::DepartmentPart)
}

/// The map and the ranked table of one figure for the last year of the period with
/// département rows, or `None` when the run has none.
fn figure(
    id: &str,
    rows: &[&IndicatorRow],
    report: &Declared,
    input: &ReportInput,
) -> Result<Option<Figure>, Error> {
    let last = *input.years.end();
    let Some(year) = rows
        .iter()
        .filter(|r| is_department_row(r) && r.periode <= last)
        .map(|r| r.periode)
        .max()
    else {
        return Ok(None);
    };
    let deps: Vec<&IndicatorRow> = rows
        .iter()
        .copied()
        .filter(|r| is_department_row(r) && r.periode == year)
        .collect();
    let total = rows
        .iter()
        .copied()
        .find(|r| r.code_territoire.is_none() && r.periode == year);
    let unit = deps.first().map_or("%", |r| r.unite.as_str()).to_string();
    let title = libelle(id);
    let lignes = rank(&deps);
    let q = quartiles(&deps);
    let legend = match unit.as_str() {
        "‰" => "pour 1 000 jeunes de moins de 21 ans",
        "%" => "en % des enfants suivis",
        _ => "",
    };
    let spec = MapSpec {
        title: format!("{title}, {year}"),
        unit: map_unit(&unit),
        classes: 5,
        legend_title: legend.into(),
        note: String::new(),
    };
    let carte = choropleth(&map_values(&deps), &spec)?;
    let drawn = territory::all()
        .iter()
        .filter(|t| t.level == Level::Department)
        .count();
    let present = deps
        .iter()
        .filter_map(|r| r.code_territoire.as_deref())
        .filter(|c| territory::department(c).is_some_and(|t| t.level == Level::Department))
        .count()
        + 2 * usize::from(
            deps.iter()
                .any(|r| r.code_territoire.as_deref() == Some("20")),
        );
    let absents = drawn.saturating_sub(present);
    let top = top_row(&deps);
    let sentence = top.map(|r| lecture(id, r, year));
    let lecture_carte = match &sentence {
        Some(s) => format!(
            "plus la teinte est foncée, plus la valeur du département est élevée ; les départements hachurés sont couverts par le secret statistique, ceux en gris clair n'ont pas de chiffre (non disponible). {s}"
        ),
        None => "aucun département n'a de valeur publiée cette année : la carte ne montre que des départements en secret statistique (hachurés) ou sans chiffre (non disponible).".into(),
    };
    let mut lecture_tableau = sentence.unwrap_or_else(|| {
        "aucun département n'a de valeur publiée cette année ; « s » marque un chiffre couvert par le secret statistique.".into()
    });
    if let Some(q) = &q {
        lecture_tableau.push_str(&format!(
            " La moitié des {} départements dont la valeur est publiée ont une valeur inférieure ou égale à {}.",
            number_fr(q.nombre as f64, 0),
            format_value(q.mediane, &unit)
        ));
    }
    let reseau = total.map(|r| line_of(r, "—".into(), network_label(id, &report.perimeter)));
    Ok(Some(Figure {
        ancre: format!("figure-{id}"),
        titre: title,
        definition: catalogue()
            .into_iter()
            .find(|d| d.id == id)
            .map_or_else(String::new, |d| d.definition.to_string()),
        annee: year,
        carte,
        comptes: lignes
            .iter()
            .chain(reseau.as_ref())
            .any(|l| l.numerateur.valeur != "—"),
        evolution: lignes.iter().any(|l| l.evolution.valeur != "—"),
        lignes,
        reseau_libelle: network_label(id, &report.perimeter),
        reseau,
        quartiles: q.as_ref().map(|q| {
            format!(
                "{} · {} · {}",
                format_value(q.q1, &unit),
                format_value(q.mediane, &unit),
                format_value(q.q3, &unit)
            )
        }),
        quartiles_libelle: match &q {
            Some(q) => format!(
                "Quartiles des départements : Q1 · médiane · Q3 ({} valeurs publiées)",
                number_fr(q.nombre as f64, 0)
            ),
            None => {
                "Quartiles des départements : non calculés (moins de 2 valeurs publiées)".into()
            }
        },
        absents: match absents {
            0 => String::new(),
            1 => format!(
                "1 département sur {drawn} n'a aucun chiffre pour cet indicateur en {year} : « non disponible » sur la carte, absent du tableau."
            ),
            n => format!(
                "{n} départements sur {drawn} n'ont aucun chiffre pour cet indicateur en {year} : « non disponible » sur la carte, absents du tableau."
            ),
        },
        lecture_carte,
        lecture_tableau,
        champ: champ(id, input, year),
        source: source(id, input),
    }))
}

fn network_label(id: &str, perimeter: &Perimeter) -> String {
    match (id, perimeter) {
        (ASE_PER_1000, _) => "Ensemble des départements des tables de référence".into(),
        (_, Perimeter::Network) => "Ensemble du réseau".into(),
        (_, Perimeter::Organisation(o)) => format!("Ensemble de {o}"),
        (_, Perimeter::Service(s)) => format!("Ensemble du service {s}"),
    }
}

fn map_unit(unit: &str) -> MapUnit {
    match unit {
        "%" => MapUnit::Proportion,
        "‰" => MapUnit::PerThousand,
        _ => MapUnit::Count,
    }
}

/// The département row with the highest published value (ties: by name).
fn top_row<'a>(deps: &[&'a IndicatorRow]) -> Option<&'a IndicatorRow> {
    let mut published: Vec<&IndicatorRow> = deps
        .iter()
        .copied()
        .filter(|r| published_value(r).is_some())
        .filter(|r| r.code_territoire.as_deref().is_some_and(|c| !is_part(c)))
        .collect();
    published.sort_by(|a, b| order(a, b));
    published.first().copied()
}

/// A row's value when it is published and computed.
fn published_value(r: &IndicatorRow) -> Option<f64> {
    (r.statut == CellStatus::Published)
        .then_some(r.valeur)
        .flatten()
        .filter(|v| v.is_finite())
}

fn name(r: &IndicatorRow) -> String {
    r.code_territoire
        .as_deref()
        .map_or_else(String::new, territory::department_display)
}

/// Published values first (highest first), then uncomputable, then withheld; by name
/// within each group.
fn order(a: &IndicatorRow, b: &IndicatorRow) -> std::cmp::Ordering {
    let group = |r: &IndicatorRow| match (r.statut, published_value(r)) {
        (CellStatus::Published, Some(_)) => 0,
        (CellStatus::Published, None) => 1,
        _ => 2,
    };
    group(a)
        .cmp(&group(b))
        .then_with(|| {
            let (x, y) = (published_value(a), published_value(b));
            y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal)
        })
        .then_with(|| territory::fold(&name(a)).cmp(&territory::fold(&name(b))))
}

/// The ranked table: published values from highest to lowest (equal values share a
/// rank), then the départements whose figure cannot be computed or is withheld.
pub(super) fn rank(deps: &[&IndicatorRow]) -> Vec<RankLine> {
    let mut sorted: Vec<&IndicatorRow> = deps.to_vec();
    sorted.sort_by(|a, b| {
        let part = |r: &IndicatorRow| r.code_territoire.as_deref().is_some_and(is_part);
        part(a).cmp(&part(b)).then_with(|| order(a, b))
    });
    let mut out = Vec::with_capacity(sorted.len());
    let mut rank = 0usize;
    let mut previous: Option<f64> = None;
    for (k, r) in sorted.iter().enumerate() {
        let part = r.code_territoire.as_deref().is_some_and(is_part);
        let rang = match published_value(r) {
            Some(v) if !part => {
                if previous != Some(v) {
                    rank = k + 1;
                }
                previous = Some(v);
                number_fr(rank as f64, 0)
            }
            _ => "—".into(),
        };
        out.push(line_of(r, rang, name(r)));
    }
    out
}

/// One line: the value (« s » when withheld), numerator and denominator when
/// published, the change from the previous year when published.
fn line_of(r: &IndicatorRow, rang: String, departement: String) -> RankLine {
    let published = r.statut == CellStatus::Published;
    let count = |v: Option<f64>| {
        if !published {
            cell(Some(r), false)
        } else {
            v.map_or_else(|| Cell::text("—"), |n| Cell::text(number_fr(n, 0)))
        }
    };
    RankLine {
        rang,
        departement,
        valeur: cell(Some(r), false),
        numerateur: count(r.numerateur),
        denominateur: count(r.denominateur),
        evolution: match (published, r.evolution_annuelle) {
            (true, Some(v)) => Cell::text(format_change(v, &r.unite)),
            _ => Cell::text("—"),
        },
    }
}

/// Quartiles of the published values of the départements (withheld, uncomputable and
/// parts of départements left out); `None` below 2 values.
pub(super) fn quartiles(deps: &[&IndicatorRow]) -> Option<Quartiles> {
    let mut v: Vec<f64> = deps
        .iter()
        .filter(|r| r.code_territoire.as_deref().is_some_and(|c| !is_part(c)))
        .filter_map(|r| published_value(r))
        .collect();
    if v.len() < 2 {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(Quartiles {
        nombre: v.len(),
        q1: quantile(&v, 0.25)?,
        mediane: quantile(&v, 0.5)?,
        q3: quantile(&v, 0.75)?,
    })
}

/// The map's values: withheld figures are secret (their value never given), codes that
/// are no département of the map (a région, a typo) stay in the table only.
pub(super) fn map_values(deps: &[&IndicatorRow]) -> Vec<MapValue> {
    deps.iter()
        .filter_map(|r| {
            let code = r.code_territoire.as_deref()?;
            let t = territory::by_code(code)?;
            matches!(
                t.level,
                Level::Department | Level::HistoricalCorsica | Level::DepartmentPart
            )
            .then(|| MapValue {
                code: code.to_string(),
                value: published_value(r),
                secret: r.statut != CellStatus::Published,
            })
        })
        .collect()
}

/// « Lecture » sentence from one published département figure.
pub(super) fn lecture(id: &str, r: &IndicatorRow, year: i32) -> String {
    let dep = name(r);
    let v = published_value(r).map_or_else(|| "—".into(), |v| format_value(v, &r.unite));
    match id {
        PE_ALSO_DITEP => format!(
            "En {year}, {v} des enfants suivis par un service de protection de l'enfance du réseau situé dans le département {dep} sont aussi accompagnés par un DITEP."
        ),
        DITEP_ALSO_PE => format!(
            "En {year}, {v} des enfants accompagnés par un DITEP du réseau situé dans le département {dep} ont aussi une mesure de protection de l'enfance."
        ),
        ASE_PER_1000 => format!(
            "En {year}, dans le département {dep}, {} enfants pour 1 000 jeunes de moins de 21 ans sont accueillis à l'aide sociale à l'enfance.",
            published_value(r).map_or_else(|| "—".into(), |v| number_fr(v * 1000.0, 1))
        ),
        _ => format!("En {year}, la valeur du département {dep} est {v}."),
    }
}

/// « Champ » of a figure.
pub(super) fn champ(id: &str, input: &ReportInput, year: i32) -> String {
    let (start, end) = (input.years.start(), input.years.end());
    match id {
        PE_ALSO_DITEP => format!(
            "enfants ayant au moins un jour de mesure ou d'accueil dans un service de protection de l'enfance du réseau en {year}, comptés dans le département du service ; services ayant transmis leurs données pour la période {start}–{end}. Quartiles calculés sur les seules valeurs publiées des départements (ni les chiffres en secret, ni les départements sans chiffre n'y entrent)."
        ),
        DITEP_ALSO_PE => format!(
            "enfants ayant au moins un jour d'accompagnement par un DITEP du réseau en {year}, comptés dans le département du DITEP ; services ayant transmis leurs données pour la période {start}–{end}. Quartiles calculés sur les seules valeurs publiées des départements (ni les chiffres en secret, ni les départements sans chiffre n'y entrent)."
        ),
        ASE_PER_1000 => format!(
            "enfants confiés à l'aide sociale à l'enfance et placements directs au 31 décembre {year}, tous départements des tables de référence (pas seulement ceux du réseau) ; population de moins de 21 ans au 1er janvier suivant. Quartiles calculés sur les seules valeurs publiées des départements."
        ),
        _ => format!("départements, {year}."),
    }
}

/// « Source » of a figure.
pub(super) fn source(id: &str, input: &ReportInput) -> String {
    let run = format!(
        "observatoire « {} », données {}–{}, calcul {}",
        input.pipeline,
        input.years.start(),
        input.years.end(),
        super::tool()
    );
    match id {
        ASE_PER_1000 => format!(
            "DREES, enquête Aide sociale (bénéficiaires de l'aide sociale départementale) ; INSEE, estimations de population ; {run}."
        ),
        _ => format!("fichiers des services du réseau, appariés sans nom ; {run}."),
    }
}
