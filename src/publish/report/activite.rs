//! The rapport d'activité (`type = "activite"`): what a director hands to the Conseil
//! départemental or the ARS. One chapter per service of the perimeter (and one for the
//! organisation, first, when it has several services; one for the network when the
//! report covers it), each in the order such reports use: identity, activity, persons,
//! staff, training, satisfaction. A service's figures are shown once (its own rows
//! only), with the change from the previous year and the quartiles of the services of
//! the same type beside them; definitions are numbered footnotes gathered in an
//! appendix.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::{
    context,
    value::{Serde, Value},
};
use serde::Serialize;

use crate::error::Error;
use crate::format::number_fr;
use crate::indicators::{IndicatorRow, Results};
use crate::publish::chart;

use super::ReportInput;
use super::blocks::{BLOCKS, Block, block};
use super::declared::{Declared, Perimeter};
use super::facts::{Facts, ServiceFacts, capacity_changes, days_in_year};
use super::tables::{Cell, Line, Notes, Table, line};

#[derive(Serialize)]
struct Chapter {
    ancre: String,
    titre: String,
    identite: Vec<(String, String)>,
    blocs: Vec<Block>,
}

/// What a chapter is about: rows of one service, of one organisation (its totals), or
/// of the whole network.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Scope {
    Service(String),
    Organisation(String),
    Network,
}

/// The chapters of a perimeter, in order.
pub(super) fn scopes(perimeter: &Perimeter, results: &Results) -> Vec<(Scope, String)> {
    let mut services: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    for r in &results.rows {
        if let Some(s) = r.service.as_deref() {
            services.entry(s).or_insert((
                r.nom_service.as_deref().unwrap_or(s),
                r.organisation.as_deref().unwrap_or(""),
            ));
        }
    }
    let service =
        |s: &str, (name, _): (&str, &str)| (Scope::Service(s.into()), format!("{name} ({s})"));
    match perimeter {
        Perimeter::Service(s) => services
            .get(s.as_str())
            .map(|&info| vec![service(s, info)])
            .unwrap_or_default(),
        Perimeter::Organisation(o) => {
            let own: Vec<_> = services
                .iter()
                .filter(|(_, (_, org))| *org == o.as_str())
                .map(|(&s, &info)| service(s, info))
                .collect();
            let mut out = Vec::new();
            if own.len() > 1 {
                out.push((
                    Scope::Organisation(o.clone()),
                    format!("{o} — ensemble des services"),
                ));
            }
            out.extend(own);
            out
        }
        Perimeter::Network => {
            let mut out = vec![(Scope::Network, "Ensemble du réseau".to_string())];
            out.extend(services.iter().map(|(&s, &info)| service(s, info)));
            out
        }
    }
}

/// Renders the rapport d'activité of `report`.
pub fn render(report: &Declared, input: &ReportInput, facts: &Facts) -> Result<String, Error> {
    let years: Vec<i32> = input.years.clone().collect();
    let mut notes = Notes::default();
    // Each row goes to its chapter in one pass (a national network has a thousand
    // services and a million rows).
    let scopes = scopes(&report.perimeter, input.results);
    let mut index: BTreeMap<&Scope, usize> = BTreeMap::new();
    for (k, (scope, _)) in scopes.iter().enumerate() {
        index.insert(scope, k);
    }
    let mut rows: Vec<Vec<&IndicatorRow>> = vec![Vec::new(); scopes.len()];
    for r in &input.results.rows {
        let scope = match (&r.service, &r.organisation, &r.code_territoire) {
            (Some(s), _, _) => Scope::Service(s.clone()),
            (None, Some(o), None) => Scope::Organisation(o.clone()),
            (None, None, None) => Scope::Network,
            _ => continue,
        };
        if let Some(&k) = index.get(&scope) {
            rows[k].push(r);
        }
    }
    let mut chapters = Vec::new();
    for (k, (scope, title)) in scopes.iter().enumerate() {
        let (scope, title) = (scope, title.clone());
        chapters.push(chapter(
            k, scope, title, &rows[k], input, facts, &years, &mut notes,
        )?);
    }
    let figures: usize = input
        .results
        .rows
        .iter()
        .filter(|r| chapters_keep(&report.perimeter, r))
        .count();
    let indicators: BTreeSet<&str> = input
        .results
        .rows
        .iter()
        .filter(|r| chapters_keep(&report.perimeter, r))
        .map(|r| r.indicateur.as_str())
        .collect();
    super::page(
        "activite.html",
        report,
        input,
        context! {
            chapitres => Value::from(Serde(&chapters)),
            notes => Value::from(Serde(&notes.list)),
            compte => format!("{} chiffres pour {} indicateurs", number_fr(figures as f64, 0), indicators.len()),
        },
    )
}

fn chapters_keep(p: &Perimeter, r: &IndicatorRow) -> bool {
    match p {
        Perimeter::Service(s) => r.service.as_deref() == Some(s),
        Perimeter::Organisation(o) => r.organisation.as_deref() == Some(o),
        Perimeter::Network => {
            r.organisation.is_none() && r.code_territoire.is_none() || r.service.is_some()
        }
    }
}

// Many arguments (8) for a reason: the chapter's rows, the report's input, facts and
// years, and the footnotes shared by every chapter.
#[allow(clippy::too_many_arguments)]
fn chapter(
    k: usize,
    scope: &Scope,
    title: String,
    rows: &[&IndicatorRow],
    input: &ReportInput,
    facts: &Facts,
    years: &[i32],
    notes: &mut Notes,
) -> Result<Chapter, Error> {
    let mut by: BTreeMap<&str, Vec<&IndicatorRow>> = BTreeMap::new();
    for &r in rows {
        by.entry(r.indicateur.as_str()).or_default().push(r);
    }
    let mut blocs = vec![activity(scope, &by, facts, years, notes, input)?];
    for spec in &BLOCKS {
        let b = block(spec, &by, years, notes);
        if !b.tableaux.is_empty() {
            blocs.push(b);
        }
    }
    // The peers column only where some line has peers (two services of the type or more).
    for t in blocs.iter_mut().flat_map(|b| b.tableaux.iter_mut()) {
        t.pairs = t.comparaison
            && t.lignes
                .iter()
                .any(|l| !matches!(l.pairs.valeur.as_str(), "—" | ""));
    }
    Ok(Chapter {
        ancre: format!("chapitre-{}", k + 1),
        titre: title,
        identite: identity(scope, rows.first().copied(), facts, years),
        blocs,
    })
}

/// Type, organisation, département and authorised capacity with its changes.
fn identity(
    scope: &Scope,
    first: Option<&IndicatorRow>,
    facts: &Facts,
    years: &[i32],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Scope::Service(s) = scope else {
        return out;
    };
    if let Some(r) = first {
        if let Some(o) = &r.organisation {
            out.push(("Organisation".into(), o.clone()));
        }
        if let Some(d) = &r.code_territoire {
            out.push((
                "Département".into(),
                crate::territory::department_display(d),
            ));
        }
    }
    let f = facts.get(s);
    if let Some(t) = f.and_then(|f| f.service_type.clone()) {
        out.push(("Type de service".into(), t));
    }
    out.push((
        "Capacité autorisée".into(),
        f.and_then(|f| capacity_changes(f, years))
            .unwrap_or_else(|| "non renseignée dans le référentiel des services".into()),
    ));
    out
}

/// The authorised capacity per year of a service, with its last change.
fn capacity_line(f: &ServiceFacts, years: &[i32], notes: &mut Notes) -> Line {
    let unit = f
        .years
        .values()
        .find_map(|y| y.unit.clone())
        .unwrap_or_default();
    let n = notes.add(
        "capacite",
        "Capacité autorisée",
        "Nombre de mesures ou de places autorisées par l'arrêté d'autorisation ou la convention, pour l'année, tel que le référentiel des services de l'observatoire l'enregistre.",
        vec![("Source".into(), "référentiel des services (table services)".into())],
    );
    let cap = |y: i32| f.years.get(&y).and_then(|v| v.capacity);
    Line {
        libelle: format!("Capacité autorisée ({unit})"),
        note: Some(n),
        cellules: years
            .iter()
            .map(|y| {
                f.years
                    .get(y)
                    .and_then(|v| v.capacity)
                    .map_or_else(|| Cell::text("—"), |c| Cell::text(number_fr(c, 0)))
            })
            .collect(),
        evolution: match years.last().map(|&y| (cap(y), cap(y - 1))) {
            Some((Some(a), Some(b))) => Cell::text(super::tables::format_change(a - b, "")),
            _ => Cell::text("—"),
        },
        pairs: Cell::text(""),
    }
}

/// The lines of an activity (occupancy) rate: its numerator (measure-days or
/// journées), the mean daily number derived from it, and the rate.
fn rate_lines(
    lignes: &mut Vec<Line>,
    (id, days_label, mean_label): (&str, &str, &str),
    rows: &[&IndicatorRow],
    service_facts: Option<&ServiceFacts>,
    years: &[i32],
    notes: &mut Notes,
) {
    let per_year: BTreeMap<i32, &IndicatorRow> = rows
        .iter()
        .filter(|r| r.ventilation.is_none())
        .map(|r| (r.periode, *r))
        .collect();
    let numerators = |f: &dyn Fn(i32, f64) -> Option<f64>, digits: usize| -> Vec<Cell> {
        years
            .iter()
            .map(|&y| match per_year.get(&y) {
                Some(r) if r.statut == crate::indicators::CellStatus::Published => r
                    .numerateur
                    .and_then(|n| f(y, n))
                    .map_or_else(|| Cell::text("n.c."), |v| Cell::text(number_fr(v, digits))),
                Some(r) => super::tables::cell(Some(r), false),
                None => Cell::text("—"),
            })
            .collect()
    };
    let note = notes.indicator(id);
    lignes.push(Line {
        libelle: days_label.into(),
        note,
        cellules: numerators(&|_, n| Some(n), 0),
        evolution: Cell::text(""),
        pairs: Cell::text(""),
    });
    let (key, text) = if id == "taux_activite" {
        (
            "moyenne-mesures",
            "Mesures-jours exercées dans l'année divisées par le nombre de jours de l'année (365 ou 366) : le nombre de mesures en cours un jour moyen. Calculé pour ce rapport à partir du numérateur publié du taux d'activité ; aucun indicateur du registre ne le donne directement.",
        )
    } else {
        (
            "moyenne-places",
            "Journées réalisées dans l'année divisées par le nombre de jours d'ouverture de l'année (référentiel des services) : le nombre de places occupées un jour d'ouverture moyen. Calculé pour ce rapport à partir du numérateur publié du taux d'occupation.",
        )
    };
    let mean_note = notes.add(key, mean_label, text, Vec::new());
    let opening = |y: i32| {
        service_facts
            .and_then(|f| f.years.get(&y))
            .and_then(|v| v.opening_days)
    };
    let is_activity = id == "taux_activite";
    lignes.push(Line {
        libelle: mean_label.into(),
        note: Some(mean_note),
        cellules: numerators(
            &|y, n| {
                let d = if is_activity {
                    Some(days_in_year(y))
                } else {
                    opening(y)
                };
                d.filter(|d| *d > 0.0).map(|d| n / d)
            },
            1,
        ),
        evolution: Cell::text(""),
        pairs: Cell::text(""),
    });
    lignes.push(line(
        crate::indicators::catalogue()
            .iter()
            .find(|d| d.id == id)
            .map_or(id.to_string(), |d| d.libelle.to_string()),
        note,
        years,
        &per_year,
        false,
    ));
}

/// The activity block: capacity per year, days of measures or journées, the mean
/// daily number (derived from published values), the rates and the chart.
fn activity(
    scope: &Scope,
    by: &BTreeMap<&str, Vec<&IndicatorRow>>,
    facts: &Facts,
    years: &[i32],
    notes: &mut Notes,
    input: &ReportInput,
) -> Result<Block, Error> {
    let mut lignes = Vec::new();
    let service_facts = match scope {
        Scope::Service(s) => facts.get(s),
        _ => None,
    };
    if let Some(f) = service_facts {
        lignes.push(capacity_line(f, years, notes));
    }
    for (id, days_label, mean_label) in [
        (
            "taux_activite",
            "Mesures-jours exercées",
            "Nombre moyen de mesures exercées par jour",
        ),
        (
            "taux_occupation",
            "Journées réalisées",
            "Nombre moyen de places occupées par jour d'ouverture",
        ),
    ] {
        let Some(rows) = by.get(id) else { continue };
        rate_lines(
            &mut lignes,
            (id, days_label, mean_label),
            rows,
            service_facts,
            years,
            notes,
        );
        if id == "taux_occupation" {
            days_from_stays(scope, &mut lignes, years, notes, input);
        }
    }
    if let Some(rows) = by.get("taux_realisation") {
        let per_year = rows
            .iter()
            .filter(|r| r.ventilation.is_none())
            .map(|r| (r.periode, *r))
            .collect();
        let note = notes.indicator("taux_realisation");
        lignes.push(line(
            "Taux de réalisation de l'activité".into(),
            note,
            years,
            &per_year,
            false,
        ));
    }
    let graphique = match scope {
        Scope::Service(s)
            if by.contains_key("taux_activite") || by.contains_key("taux_occupation") =>
        {
            Some(service_chart(by, input)?)
        }
        _ => None,
    };
    let tableaux = if lignes.is_empty() {
        Vec::new()
    } else {
        vec![Table {
            titre: "Activité par année".into(),
            note: None,
            entete: "Chiffre".into(),
            lignes,
            comparaison: true,
            pairs: false,
        }]
    };
    Ok(Block {
        titre: "Activité".into(),
        tableaux,
        graphique,
    })
}

/// The journées of a service's occupancy computed from admissions and exits (years
/// without a row of the activity table, `activity::from_stays_note`): the « Journées
/// réalisées » line points at a note that says so, with the years.
fn days_from_stays(
    scope: &Scope,
    lignes: &mut [Line],
    years: &[i32],
    notes: &mut Notes,
    input: &ReportInput,
) {
    let Scope::Service(s) = scope else { return };
    let computed: Vec<String> = years
        .iter()
        .filter(|y| {
            let note = crate::indicators::activity::from_stays_note(s, **y);
            input.results.notes.contains(&note)
        })
        .map(|y| y.to_string())
        .collect();
    if computed.is_empty() {
        return;
    }
    let others = if computed.len() == years.len() {
        ""
    } else {
        " Les journées des autres années sont celles de la table d'activité."
    };
    let text = format!(
        "Sans table d'activité pour {} : journées calculées à partir des dates d'admission et de sortie des personnes accueillies (chaque séjour compte chaque jour de l'admission à la sortie incluses, jusqu'au 31/12 s'il est en cours).{others}",
        computed.join(", ")
    );
    let n = notes.add(
        "journees-admissions-sorties",
        "Journées réalisées calculées à partir des dates d'admission et de sortie",
        &text,
        Vec::new(),
    );
    if let Some(l) = lignes
        .iter_mut()
        .rev()
        .find(|l| l.libelle == "Journées réalisées")
    {
        l.note = Some(n);
    }
}

/// The activity / occupancy rate of one service over the period, with the 100 % line.
fn service_chart(
    by: &BTreeMap<&str, Vec<&IndicatorRow>>,
    input: &ReportInput,
) -> Result<String, Error> {
    let rows: Vec<IndicatorRow> = ["taux_activite", "taux_occupation"]
        .iter()
        .flat_map(|id| by.get(id).into_iter().flatten())
        .filter(|r| r.ventilation.is_none())
        .map(|r| (*r).clone())
        .collect();
    let results = Results {
        rows,
        notes: Vec::new(),
    };
    // The audience's banner (internal dashboard, addressee) on the chart too.
    let demo = input
        .demonstration
        .then(|| "DÉMONSTRATION — données fictives".to_string());
    let banner = match (demo, input.banner) {
        (Some(d), Some(b)) => Some(format!("{d} — {b}")),
        (d, b) => d.or(b.map(str::to_string)),
    };
    let spec = chart::rates::rate_chart(&results, banner);
    chart::render(&spec)
        .map(|r| r.svg)
        .map_err(|e| Error::Internal(e.to_string()))
}
