//! The COPIL status board (*tableau de bord COPIL qualité*): per *fiche action*, its
//! sub-actions with their status in each year N … N+4, then its indicators with, per
//! year, the target, the observed value and a mark « atteint » / « non atteint » /
//! « à venir » (colour **and** text and symbol, so that it reads in grey print). No
//! activity chart.
//!
//! Where each thing shown comes from:
//! - the fiches, objectives, sub-action labels and statuses, the indicator labels and
//!   the direction of their targets: the `plan_action` table, which holds no person
//!   (it is copied to partners' extracts as it is);
//! - every number (targets, observed values, sub-actions done / planned): the
//!   disclosure-controlled rows (`copil_atteinte_des_cibles`, `copil_cibles`,
//!   `copil_sous_actions_realisees`), i.e. the values of `indicateurs.parquet`; a row
//!   under secret shows « s ».
//!
//! The mark compares the observed value with the target directly (not through their
//! ratio, which cannot be computed for a target of 0): reached when observed ≥ target,
//! or observed ≤ target when the plan says `sens_cible = au plus` (incidents, delays).
//! A target of 0 met by an observed 0 is therefore « atteint » in both directions.

use std::collections::BTreeMap;

use minijinja::{Environment, context};
use polars::prelude::*;
use serde::Serialize;

use crate::error::Error;
use crate::format::{NBSP, number_fr, percent_fr};
use crate::indicators::frame::{self, fields};
use crate::indicators::quality::{SUB_ACTIONS_DONE, TARGETS, TARGETS_REACHED, indicator_label};
use crate::indicators::{CellStatus, IndicatorRow, Results};
use crate::tables::{Table, columns as col};
use crate::text::fold;

const STYLE: &str = include_str!("../../reports/style.css");
const TEMPLATE: &str = include_str!("../../reports/copil.html");

/// Years shown after the first year of the plan: N … N+4.
pub const PLAN_YEARS: i32 = 5;

/// What the board needs.
pub struct CopilInput<'a> {
    pub title: &'a str,
    pub pipeline: &'a str,
    /// The service whose plan is shown; `None`: the plan lines without a service (the
    /// network's own plan).
    pub service: Option<&'a str>,
    /// The run's period: observed values exist for these years only.
    pub years: std::ops::RangeInclusive<i32>,
    pub demonstration: bool,
    /// Banner naming the audience (internal dashboard, addressee), if any.
    pub banner: Option<&'a str>,
    /// The indicator rows after disclosure control.
    pub results: &'a Results,
    /// The `plan_action` table (canonical columns).
    pub plan: &'a DataFrame,
}

/// Direction of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Reached when observed ≥ target (the default).
    AtLeast,
    /// Reached when observed ≤ target.
    AtMost,
}

impl Direction {
    /// From the `sens_cible` column (vocabulary label or a close spelling).
    pub fn parse(s: Option<&str>) -> Direction {
        match s.map(fold) {
            Some(f) if f.contains("PLUS") || f.contains("MAX") || f.contains("PLAFOND") => {
                Direction::AtMost
            }
            _ => Direction::AtLeast,
        }
    }
}

/// The mark of one indicator in one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Mark {
    Reached,
    NotReached,
    /// A year after the period: the target is known, the value not yet.
    Upcoming,
    /// In the period, but the plan gives no observed value.
    NotMeasured,
    /// An observed value without a target.
    NoTarget,
    /// The figure is under statistical secret.
    Secret,
}

impl Mark {
    pub fn label(self) -> &'static str {
        match self {
            Mark::Reached => "atteint",
            Mark::NotReached => "non atteint",
            Mark::Upcoming => "à venir",
            Mark::NotMeasured => "non mesuré",
            Mark::NoTarget => "sans cible",
            Mark::Secret => "secret",
        }
    }

    /// A symbol printed before the label (grey print, colour blindness).
    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Reached => "✓",
            Mark::NotReached => "✗",
            Mark::Upcoming => "…",
            Mark::NotMeasured | Mark::NoTarget => "?",
            Mark::Secret => "s",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Mark::Reached => "atteint",
            Mark::NotReached => "non-atteint",
            Mark::Upcoming => "a-venir",
            Mark::NotMeasured | Mark::NoTarget | Mark::Secret => "inconnu",
        }
    }
}

/// Compares an observed value with its target. A target of 0 met by 0 is reached.
pub fn mark(target: Option<f64>, observed: Option<f64>, direction: Direction) -> Mark {
    const EPS: f64 = 1e-9;
    match (target, observed) {
        (_, None) => Mark::NotMeasured,
        (None, Some(_)) => Mark::NoTarget,
        (Some(t), Some(o)) => {
            let ok = match direction {
                Direction::AtLeast => o >= t - EPS,
                Direction::AtMost => o <= t + EPS,
            };
            if ok { Mark::Reached } else { Mark::NotReached }
        }
    }
}

/// Status of a sub-action, with a symbol for grey print.
fn status_view(status: &str) -> (String, &'static str) {
    let f = fold(status);
    let (symbol, class) = if f.starts_with("REALISE") {
        ("✓", "realise")
    } else if f.starts_with("EN COURS") {
        ("◐", "en-cours")
    } else if f.starts_with("PREVU") {
        ("○", "prevu")
    } else if f.starts_with("REPORTE") {
        ("→", "reporte")
    } else if f.starts_with("ABANDONNE") {
        ("✕", "abandonne")
    } else {
        ("·", "autre")
    };
    (format!("{symbol} {status}"), class)
}

/// A number as the plan writes it: integers without decimals, otherwise one or two.
fn plain(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        number_fr(v, 0)
    } else if ((v * 10.0) - (v * 10.0).round()).abs() < 1e-9 {
        number_fr(v, 1)
    } else {
        number_fr(v, 2)
    }
}

#[derive(Serialize)]
struct StatusCell {
    texte: String,
    classe: &'static str,
}

#[derive(Serialize)]
struct SubActionView {
    libelle: String,
    cellules: Vec<StatusCell>,
}

#[derive(Serialize)]
struct CountCell {
    texte: String,
    detail: String,
}

#[derive(Serialize)]
struct IndicatorCell {
    cible: String,
    observe: String,
    marque: String,
    classe: &'static str,
}

#[derive(Serialize)]
struct IndicatorView {
    libelle: String,
    type_: String,
    sens: &'static str,
    cellules: Vec<IndicatorCell>,
}

#[derive(Serialize)]
struct FicheView {
    titre: String,
    objectifs: Vec<String>,
    sous_actions: Vec<SubActionView>,
    realisees: Vec<CountCell>,
    indicateurs: Vec<IndicatorView>,
}

/// One line of the plan, as read.
#[derive(Default, Clone)]
struct PlanLine {
    fiche: String,
    objective: Option<String>,
    sub: Option<String>,
    year: i32,
    status: Option<String>,
    indicator: Option<String>,
    kind: Option<String>,
    direction: Option<String>,
}

/// The plan lines of the board's service (in the order of the plan).
fn plan_lines(plan: &DataFrame, service: Option<&str>) -> Result<Vec<PlanLine>, Error> {
    if plan.height() == 0 {
        return Ok(Vec::new());
    }
    let t = frame::canonical(plan, Table::ActionPlan).collect()?;
    let svc = frame::texts(&t, col::SERVICE)?;
    let fiche = frame::texts(&t, fields::FICHE)?;
    let objective = frame::texts(&t, "objectif")?;
    let year = frame::ints(&t, col::YEAR)?;
    let sub = frame::texts(&t, fields::SUB_ACTION)?;
    let status = frame::texts(&t, fields::STATUS)?;
    let indicator = frame::texts(&t, fields::INDICATOR)?;
    let kind = frame::texts(&t, fields::INDICATOR_KIND)?;
    let direction = frame::texts(&t, "sens_cible")?;
    // One iteration per plan line (a few dozen per service): the board lists them.
    let mut out = Vec::new();
    for i in 0..t.height() {
        if svc[i].as_deref() != service {
            continue;
        }
        let (Some(f), Some(y)) = (&fiche[i], year[i]) else {
            continue;
        };
        out.push(PlanLine {
            fiche: f.clone(),
            objective: objective[i].clone(),
            sub: sub[i].clone(),
            year: y,
            status: status[i].clone(),
            indicator: indicator[i].clone(),
            kind: kind[i].clone(),
            direction: direction[i].clone(),
        });
    }
    Ok(out)
}

/// The published rows of the board's perimeter: the service's own rows, or the
/// network's.
fn own_rows<'a>(results: &'a Results, service: Option<&str>) -> BoardRows<'a> {
    let mut map = BTreeMap::new();
    for r in &results.rows {
        if ![TARGETS_REACHED, TARGETS, SUB_ACTIONS_DONE].contains(&r.indicateur.as_str()) {
            continue;
        }
        let mine = match service {
            Some(s) => r.service.as_deref() == Some(s),
            None => {
                r.service.is_none()
                    && r.organisation.is_none()
                    && r.code_territoire.is_none()
                    && r.niveau_territoire == "ensemble"
            }
        };
        if let (true, Some(m)) = (mine, &r.modalite) {
            map.insert((r.indicateur.as_str(), m.clone(), r.periode), r);
        }
    }
    map
}

/// Renders the board as one self-contained HTML page.
pub fn render_copil(input: &CopilInput) -> Result<String, Error> {
    let label = input.service.unwrap_or("plan d'action du réseau");
    render_boards(input, &[input.service], label)
}

/// Renders the boards of several services on one page (an organisation's services):
/// every fiche titled with its service when there are more than one. `perimetre`
/// names what the page covers; `input.service` is not read.
pub fn render_copil_services(
    input: &CopilInput,
    services: &[&str],
    perimetre: &str,
) -> Result<String, Error> {
    let services: Vec<Option<&str>> = services.iter().map(|s| Some(*s)).collect();
    render_boards(input, &services, perimetre)
}

/// The rows the board of `services` reads (the COPIL rows of each service, or the
/// network's for `None`): what its workbook holds.
pub fn board_rows<'a>(results: &'a Results, services: &[Option<&str>]) -> Vec<&'a IndicatorRow> {
    let mut out: Vec<&IndicatorRow> = services
        .iter()
        .flat_map(|s| own_rows(results, *s).into_values())
        .collect();
    out.sort_by(|a, b| {
        (&a.service, &a.indicateur, &a.modalite, a.periode).cmp(&(
            &b.service,
            &b.indicateur,
            &b.modalite,
            b.periode,
        ))
    });
    out
}

fn render_boards(
    input: &CopilInput,
    services: &[Option<&str>],
    perimetre: &str,
) -> Result<String, Error> {
    let mut boards = Vec::new();
    for s in services {
        boards.push((*s, plan_lines(input.plan, *s)?, own_rows(input.results, *s)));
    }
    let first = boards.iter().flat_map(|b| &b.1).map(|l| l.year).min();
    let last_plan = boards.iter().flat_map(|b| &b.1).map(|l| l.year).max();
    let years: Vec<i32> = match (first, last_plan) {
        (Some(a), Some(b)) => (a..=b.max(a + PLAN_YEARS - 1)).collect(),
        _ => Vec::new(),
    };
    let (p0, p1) = (*input.years.start(), *input.years.end());
    let mut views = Vec::new();
    for (service, lines, rows) in &boards {
        let prefix = match service {
            Some(s) if services.len() > 1 => format!("{s} — "),
            _ => String::new(),
        };
        views.extend(fiche_views(lines, rows, &years, (p0, p1), &prefix));
    }
    let mut env = Environment::new();
    env.add_template("copil.html", TEMPLATE)
        .map_err(|e| Error::Internal(format!("modèle du tableau de bord COPIL : {e}")))?;
    let tpl = env
        .get_template("copil.html")
        .map_err(|e| Error::Internal(format!("modèle du tableau de bord COPIL : {e}")))?;
    tpl.render(context! {
        // Raw: a stylesheet inside <style> is not HTML and must not be escaped.
        style => minijinja::Value::from_safe_string(STYLE.to_string()),
        titre => input.title,
        pipeline => input.pipeline,
        perimetre => perimetre,
        reseau => services.iter().all(Option::is_none),
        demonstration => input.demonstration,
        bandeau => input.banner,
        annees => years,
        periode => format!("{p0}–{p1}"),
        fiches => minijinja::value::Serde(&views),
        outil => format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
    })
    .map_err(|e| Error::Internal(format!("tableau de bord COPIL : {e}")))
}

type BoardRows<'a> = BTreeMap<(&'a str, String, i32), &'a IndicatorRow>;

/// The fiches of one plan (one service's, or the network's), titled `prefix` + fiche.
fn fiche_views(
    lines: &[PlanLine],
    rows: &BoardRows,
    years: &[i32],
    (p0, p1): (i32, i32),
    prefix: &str,
) -> Vec<FicheView> {
    let mut fiches: Vec<String> = Vec::new();
    for l in lines {
        if !fiches.contains(&l.fiche) {
            fiches.push(l.fiche.clone());
        }
    }
    let mut views = Vec::new();
    for f in &fiches {
        let mine: Vec<&PlanLine> = lines.iter().filter(|l| &l.fiche == f).collect();
        let mut objectifs: Vec<String> = Vec::new();
        for o in mine.iter().filter_map(|l| l.objective.clone()) {
            if !objectifs.contains(&o) {
                objectifs.push(o);
            }
        }
        let sous_actions = sub_action_views(&mine, years);
        let realisees = done_cells(rows, f, years, (p0, p1));
        let indicateurs = indicator_views(&mine, rows, f, years, (p0, p1));
        views.push(FicheView {
            titre: format!("{prefix}{f}"),
            objectifs,
            sous_actions,
            realisees,
            indicateurs,
        });
    }
    views
}

/// The sub-actions of a fiche with their status per year (the last line of a year wins).
fn sub_action_views(mine: &[&PlanLine], years: &[i32]) -> Vec<SubActionView> {
    let mut subs: Vec<(String, BTreeMap<i32, String>)> = Vec::new();
    for l in mine {
        let Some(s) = &l.sub else { continue };
        let i = match subs.iter().position(|(n, _)| n == s) {
            Some(i) => i,
            None => {
                subs.push((s.clone(), BTreeMap::new()));
                subs.len() - 1
            }
        };
        subs[i].1.insert(
            l.year,
            l.status.clone().unwrap_or("statut non renseigné".into()),
        );
    }
    subs.into_iter()
        .map(|(libelle, by_year)| SubActionView {
            libelle,
            cellules: years
                .iter()
                .map(|y| match by_year.get(y) {
                    Some(s) => {
                        let (texte, classe) = status_view(s);
                        StatusCell { texte, classe }
                    }
                    None => StatusCell {
                        texte: String::new(),
                        classe: "vide",
                    },
                })
                .collect(),
        })
        .collect()
}

/// « réalisées sur prévues » per year, from the published count rows.
fn done_cells(rows: &BoardRows, f: &str, years: &[i32], (p0, p1): (i32, i32)) -> Vec<CountCell> {
    years
        .iter()
        .map(|y| match rows.get(&(SUB_ACTIONS_DONE, f.to_string(), *y)) {
            Some(r) if r.statut != CellStatus::Published => CountCell {
                texte: "s".into(),
                detail: r.statut.legend().into(),
            },
            Some(r) => CountCell {
                texte: match (r.numerateur, r.denominateur) {
                    (Some(n), Some(d)) => format!("{} sur {}", plain(n), plain(d)),
                    _ => "—".into(),
                },
                detail: r.valeur.map(|v| percent_fr(v, 0)).unwrap_or_default(),
            },
            None if *y > p1 => CountCell {
                texte: "à venir".into(),
                detail: String::new(),
            },
            None if *y < p0 => CountCell {
                texte: "hors période".into(),
                detail: String::new(),
            },
            None => CountCell {
                texte: "—".into(),
                detail: "aucune sous-action prévue".into(),
            },
        })
        .collect()
}

/// The indicators of a fiche, in the order of the plan, with target, value and mark per
/// year.
fn indicator_views(
    mine: &[&PlanLine],
    rows: &BoardRows,
    f: &str,
    years: &[i32],
    (p0, p1): (i32, i32),
) -> Vec<IndicatorView> {
    let mut inds: Vec<(String, Option<String>, Direction)> = Vec::new();
    for l in mine {
        let Some(name) = &l.indicator else { continue };
        let label = indicator_label(f, name, l.kind.as_deref());
        let d = Direction::parse(l.direction.as_deref());
        if let Some(e) = inds.iter_mut().find(|(n, _, _)| *n == label) {
            if d == Direction::AtMost {
                e.2 = d;
            }
        } else {
            inds.push((label, l.kind.clone(), d));
        }
    }
    inds.into_iter()
        .map(|(label, kind, dir)| {
            let cellules = years
                .iter()
                .map(|y| indicator_cell(rows, &label, *y, dir, p0, p1))
                .collect();
            let shown = label
                .strip_prefix(&format!("{f} — "))
                .unwrap_or(&label)
                .to_string();
            let shown = match &kind {
                Some(k) => shown
                    .strip_suffix(&format!(" ({k})"))
                    .unwrap_or(&shown)
                    .to_string(),
                None => shown,
            };
            IndicatorView {
                libelle: shown,
                type_: kind.unwrap_or_default(),
                sens: match dir {
                    Direction::AtLeast => "≥ cible",
                    Direction::AtMost => "≤ cible",
                },
                cellules,
            }
        })
        .collect()
}

fn indicator_cell(
    rows: &BTreeMap<(&str, String, i32), &IndicatorRow>,
    label: &str,
    year: i32,
    dir: Direction,
    p0: i32,
    p1: i32,
) -> IndicatorCell {
    let key = |id: &'static str| (id, label.to_string(), year);
    let cell = |cible: String, observe: String, m: Mark| IndicatorCell {
        cible,
        observe,
        marque: format!("{}{NBSP}{}", m.symbol(), m.label()),
        classe: m.class(),
    };
    let fmt = |v: Option<f64>| v.map(plain).unwrap_or_else(|| "—".into());
    if let Some(r) = rows.get(&key(TARGETS_REACHED)) {
        if r.statut != CellStatus::Published {
            return cell("s".into(), "s".into(), Mark::Secret);
        }
        let m = mark(r.denominateur, r.numerateur, dir);
        return cell(fmt(r.denominateur), fmt(r.numerateur), m);
    }
    let target = rows.get(&key(TARGETS));
    match target {
        Some(t) if t.statut != CellStatus::Published => cell("s".into(), "".into(), Mark::Secret),
        Some(t) if year > p1 => cell(fmt(t.valeur), "".into(), Mark::Upcoming),
        Some(t) if year < p0 => IndicatorCell {
            cible: fmt(t.valeur),
            observe: String::new(),
            marque: "hors période".into(),
            classe: "inconnu",
        },
        Some(t) => cell(fmt(t.valeur), "—".into(), Mark::NotMeasured),
        None => IndicatorCell {
            cible: String::new(),
            observe: String::new(),
            marque: String::new(),
            classe: "vide",
        },
    }
}

#[cfg(test)]
mod tests;
