//! `verite.json`: what the pipeline must find, computed from the world (and,
//! under `rh_formation_satisfaction`, from the staff, trainings,
//! questionnaires and action plan of [`crate::rh`]).
//! No names, only counts. Keys are inserted in sorted order so the output is
//! the same whether or not `serde_json`'s `preserve_order` feature is on.

use std::collections::BTreeSet;
use std::error::Error;

use chrono::Datelike;
use serde_json::{Map, Value, json};

use crate::dates::{date, days_exclusive};
use crate::output::Output;
use crate::rh::Rh;
use crate::world::{INDICATOR_YEARS, Service, Stay, World};

/// Path of the file, relative to the output directory.
pub const FILE: &str = "verite.json";

/// A JSON object with keys in sorted order.
fn obj(mut pairs: Vec<(String, Value)>) -> Value {
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Value::Object(m)
}

fn kv(k: &str, v: Value) -> (String, Value) {
    (k.to_string(), v)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Per-year figures of one service.
#[derive(Clone, Debug, PartialEq)]
pub struct YearFigures {
    /// Measure-days, both ends counted (APMN only).
    pub mesures_jours: Option<i64>,
    /// Days realised (sum of the monthly activity rows; `None` if a month is ND or no activity).
    pub journees_realisees: Option<i64>,
    /// Distinct children with at least one day in the year.
    pub file_active: usize,
    /// Distinct children present on 31/12.
    pub presents_31_12: usize,
    /// Distinct children with a start date in the year.
    pub entrees: usize,
    /// Distinct children with an end date in the year.
    pub sorties: usize,
    /// Rows (measures, placements, admissions) with at least one day in the year.
    pub accompagnements: usize,
}

/// Computes the figures of `service` for `year`.
pub fn figures(world: &World, service: Service, year: i32) -> YearFigures {
    let (from, to) = (date(year, 1, 1), date(year, 12, 31));
    let touching: Vec<&Stay> = world
        .stays_of(service)
        .filter(|s| s.touches(from, to))
        .collect();
    let distinct =
        |it: &mut dyn Iterator<Item = &&Stay>| it.map(|s| s.child).collect::<BTreeSet<_>>().len();
    let file_active = distinct(&mut touching.iter());
    let presents_31_12 = distinct(&mut touching.iter().filter(|s| s.active_on(to)));
    let entrees = distinct(&mut touching.iter().filter(|s| s.start.year() == year));
    let sorties = distinct(
        &mut touching
            .iter()
            .filter(|s| s.end.is_some_and(|e| e.year() == year)),
    );
    let (mesures_jours, journees_realisees) = match service {
        Service::Apmn => (Some(world.measure_days(service, year)), None),
        Service::Mecs | Service::Pf => {
            let j = world
                .stays_of(service)
                .map(|s| days_exclusive(s.start, s.end, from, to))
                .sum();
            (None, Some(j))
        }
        Service::Ditep => {
            let months: Vec<Option<i64>> = world
                .ditep_activity
                .iter()
                .filter(|m| m.year == year)
                .map(|m| m.realised)
                .collect();
            let total = months.iter().try_fold(0i64, |acc, m| m.map(|v| acc + v));
            (None, total)
        }
    };
    YearFigures {
        mesures_jours,
        journees_realisees,
        file_active,
        presents_31_12,
        entrees,
        sorties,
        accompagnements: touching.len(),
    }
}

fn opt(v: Option<i64>) -> Value {
    v.map_or(Value::Null, |x| json!(x))
}

fn service_json(world: &World, service: Service) -> Value {
    let mut years = Vec::new();
    for y in INDICATOR_YEARS {
        let f = figures(world, service, y);
        let cap = service.capacity(y);
        let days = service.opening_days(y);
        let numerator = f.mesures_jours.or(f.journees_realisees);
        let taux = numerator.map(|n| round2(100.0 * n as f64 / (cap * days) as f64));
        years.push((
            y.to_string(),
            obj(vec![
                kv("mesures_jours", opt(f.mesures_jours)),
                kv("journees_realisees", opt(f.journees_realisees)),
                kv("file_active", json!(f.file_active)),
                kv("presents_31_12", json!(f.presents_31_12)),
                kv("entrees", json!(f.entrees)),
                kv("sorties", json!(f.sorties)),
                kv("accompagnements", json!(f.accompagnements)),
                kv("capacite_autorisee", json!(cap)),
                kv("jours_ouverture", json!(days)),
                kv("taux_pct", taux.map_or(Value::Null, |t| json!(t))),
            ]),
        ));
    }
    obj(vec![
        kv("departement", json!(service.departement())),
        kv("annees", obj(years)),
    ])
}

/// Children of child-protection services of département `dep` (or all when
/// `None`) with at least one day in `year`.
fn cp_children(world: &World, year: i32, dep: Option<&str>) -> BTreeSet<usize> {
    let (from, to) = (date(year, 1, 1), date(year, 12, 31));
    world
        .stays
        .iter()
        .filter(|s| {
            s.service.child_protection() && dep.is_none_or(|d| s.service.departement() == d)
        })
        .filter(|s| s.touches(from, to))
        .map(|s| s.child)
        .collect()
}

fn overlap_json(world: &World) -> Value {
    let ditep: BTreeSet<usize> = world.stays_of(Service::Ditep).map(|s| s.child).collect();
    let cp: BTreeSet<usize> = world
        .stays
        .iter()
        .filter(|s| s.service.child_protection())
        .map(|s| s.child)
        .collect();
    let flagged = ditep
        .iter()
        .filter(|&&c| world.ditep_child_has_cp_overlap(c))
        .count();
    let mut years = Vec::new();
    for y in INDICATOR_YEARS {
        let (from, to) = (date(y, 1, 1), date(y, 12, 31));
        let ditep_y: BTreeSet<usize> = world
            .stays_of(Service::Ditep)
            .filter(|s| s.touches(from, to))
            .map(|s| s.child)
            .collect();
        let all = cp_children(world, y, None);
        let mut both_by_dep = Vec::new();
        let mut cp_by_dep = Vec::new();
        for dep in ["15", "63"] {
            let c = cp_children(world, y, Some(dep));
            both_by_dep.push(kv(dep, json!(ditep_y.intersection(&c).count())));
            cp_by_dep.push(kv(dep, json!(c.len())));
        }
        years.push((
            y.to_string(),
            obj(vec![
                kv(
                    "ditep_avec_mesure_pe",
                    json!(ditep_y.intersection(&all).count()),
                ),
                kv("ditep_avec_mesure_pe_par_departement", obj(both_by_dep)),
                kv("enfants_ditep", json!(ditep_y.len())),
                kv("enfants_protection", json!(all.len())),
                kv("enfants_protection_par_departement", obj(cp_by_dep)),
            ]),
        ));
    }
    let mut kinds: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for c in &ditep {
        if let Some(v) = &world.children[*c].ditep_spelling {
            *kinds.entry(v.kind.label()).or_insert(0) += 1;
        }
    }
    let n_variants: usize = kinds.values().sum();
    obj(vec![
        kv("enfants_ditep", json!(ditep.len())),
        kv(
            "enfants_ditep_et_protection",
            json!(ditep.intersection(&cp).count()),
        ),
        kv("enfants_ditep_mesure_ase_x", json!(flagged)),
        kv(
            "orthographe_differente_dans_le_ditep",
            obj(vec![
                kv("total", json!(n_variants)),
                kv(
                    "par_type",
                    obj(kinds
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), json!(v)))
                        .collect()),
                ),
            ]),
        ),
        kv("par_annee", obj(years)),
    ])
}

fn rules_json() -> Value {
    obj(vec![
        kv(
            "annee_active",
            json!(
                "un accompagnement compte dans l'année si début <= 31/12 et (pas de fin ou fin >= 01/01)"
            ),
        ),
        kv(
            "mesures_jours",
            json!(
                "APMN : chaque jour d du début à la fin inclus (fin absente = jusqu'au 31/12), borné à l'année"
            ),
        ),
        kv(
            "journees_realisees",
            json!(
                "somme des lignes mensuelles d'activité de l'année ; MECS et PF : un placement compte le jour d si admission <= d < sortie ; DITEP : lu dans l'onglet Activité, null si un mois vaut ND"
            ),
        ),
        kv(
            "presents_31_12",
            json!(
                "enfants distincts accompagnés le 31/12 ; aucune date de fin ne tombe un 31/12 ni un 01/01, donc les deux conventions donnent le même résultat"
            ),
        ),
        kv(
            "entrees",
            json!("enfants distincts ayant une date de début dans l'année"),
        ),
        kv(
            "sorties",
            json!("enfants distincts ayant une date de fin dans l'année"),
        ),
        kv(
            "file_active",
            json!(
                "enfants distincts ayant au moins un jour d'accompagnement dans l'année (règle annee_active)"
            ),
        ),
        kv(
            "taux_pct",
            json!(
                "100 × (mesures_jours ou journees_realisees) / (capacite_autorisee × jours_ouverture), arrondi à 2 décimales"
            ),
        ),
        kv(
            "chevauchement",
            json!(
                "enfants DITEP-15 ayant aussi une mesure dans un service de protection de l'enfance (APMN-15, MECS-63, PF-63), identifiés dans le monde synthétique et non par les noms écrits"
            ),
        ),
    ])
}

/// Builds the truth document.
pub fn truth(world: &World, rh: &Rh, out: &Output) -> Value {
    let services = Service::ALL
        .iter()
        .map(|&s| (s.code().to_string(), service_json(world, s)))
        .collect();
    let mut files: Vec<Value> = out
        .stats
        .iter()
        .map(|st| {
            obj(vec![
                kv("fichier", json!(st.fichier)),
                kv(
                    "feuille",
                    st.feuille.as_ref().map_or(Value::Null, |f| json!(f)),
                ),
                kv("lignes_total", json!(st.lignes_total)),
                kv("lignes_donnees", json!(st.lignes_donnees)),
            ])
        })
        .collect();
    files.push(obj(vec![
        kv("fichier", json!(FILE)),
        kv("feuille", Value::Null),
        kv("lignes_total", Value::Null),
        kv("lignes_donnees", Value::Null),
    ]));
    obj(vec![
        kv("graine", json!(crate::SEED)),
        kv("annees", json!(INDICATOR_YEARS)),
        kv("regles", rules_json()),
        kv("services", obj(services)),
        kv("chevauchement", overlap_json(world)),
        kv("fichiers", Value::Array(files)),
        kv(crate::rh::KEY, crate::rh::truth(rh, out)),
    ])
}

/// Writes `verite.json`.
pub fn write(world: &World, rh: &Rh, out: &mut Output) -> Result<(), Box<dyn Error>> {
    let v = truth(world, rh, out);
    let mut text = serde_json::to_string_pretty(&v)?;
    text.push('\n');
    out.write(FILE, text.as_bytes())?;
    Ok(())
}
