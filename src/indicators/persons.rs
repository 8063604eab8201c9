//! Indicators counted on persons and accompaniments (linked, pseudonymised), per year and
//! for every perimeter — service, organisation, département, whole network — each
//! counted on its own distinct persons (a child followed by two services of one
//! département counts once for the département):
//! file active (ANAP), persons present at 31/12, entries, exits, mean duration of the
//! accompaniments ended in the year, measures by type and by legal frame, age and sex
//! distributions.

use std::collections::{BTreeMap, BTreeSet};

use super::activity::days_in_year;
use super::cols;
use super::{Directory, IndicatorDef, IndicatorRow, Inputs, Measure, Results, Secret, ratio};
use crate::error::Error;
use crate::pseudonymise::columns as pcol;
use crate::pseudonymise::generalise::{age_at_year_end, age_band};
use crate::tables::columns as col;

pub const ACTIVE_FILE: &str = "file_active";
pub const PRESENT: &str = "presents_31_12";
pub const ENTRIES: &str = "entrees";
pub const EXITS: &str = "sorties";
pub const MEAN_DURATION: &str = "duree_moyenne_accompagnements_termines";
pub const BY_TYPE: &str = "mesures_par_type";
pub const BY_FRAME: &str = "mesures_par_cadre";
pub const BY_AGE: &str = "repartition_age";
pub const BY_SEX: &str = "repartition_sexe";

const ANAP: &str = "ANAP, tableau de bord de la performance (Hélios)";

pub const DEFINITIONS: [IndicatorDef; 9] = [
    IndicatorDef {
        id: ACTIVE_FILE,
        libelle: "File active",
        definition: "Personnes accompagnées dans l'effectif au 31/12 + sorties définitives de l'année, soit le nombre de personnes distinctes accompagnées au moins un jour dans l'année (une personne suivie par deux services d'un même périmètre compte une fois).",
        numerateur: "personnes distinctes accompagnées au moins un jour dans l'année",
        denominateur: "—",
        unite: "personnes",
        tables_sources: "accompagnements",
        origine: ANAP,
        secret: Secret::count(Measure::persons("file_active")),
    },
    IndicatorDef {
        id: PRESENT,
        libelle: "Personnes accompagnées au 31 décembre",
        definition: "Personnes distinctes dont un accompagnement est en cours le 31/12 de l'année (commencé au plus tard ce jour, sans fin ou fini ce jour ou après).",
        numerateur: "personnes distinctes accompagnées le 31/12",
        denominateur: "—",
        unite: "personnes",
        tables_sources: "accompagnements",
        origine: ANAP,
        secret: Secret::count(Measure::persons("presents_31_12")),
    },
    IndicatorDef {
        id: ENTRIES,
        libelle: "Entrées (admissions) de l'année",
        definition: "Accompagnements (mesures, admissions) commencés dans l'année.",
        numerateur: "accompagnements dont la date de début est dans l'année",
        denominateur: "—",
        unite: "accompagnements",
        tables_sources: "accompagnements",
        origine: ANAP,
        secret: Secret::count(Measure::persons("entrees")),
    },
    IndicatorDef {
        id: EXITS,
        libelle: "Sorties de l'année",
        definition: "Accompagnements terminés dans l'année.",
        numerateur: "accompagnements dont la date de fin est dans l'année",
        denominateur: "—",
        unite: "accompagnements",
        tables_sources: "accompagnements",
        origine: ANAP,
        secret: Secret::count(Measure::persons("sorties")),
    },
    IndicatorDef {
        id: MEAN_DURATION,
        libelle: "Durée moyenne des accompagnements terminés",
        definition: "Somme des durées (date de fin − date de début, en jours) des accompagnements terminés dans l'année, divisée par leur nombre.",
        numerateur: "somme des durées, en jours, des accompagnements terminés dans l'année",
        denominateur: "accompagnements terminés dans l'année",
        unite: "jours",
        tables_sources: "accompagnements",
        origine: ANAP,
        secret: Secret::rate(
            Measure::amount("durees_accompagnements_termines").per_denominator_person(),
            Measure::persons("sorties"),
        ),
    },
    IndicatorDef {
        id: BY_TYPE,
        libelle: "Mesures par type",
        definition: "Accompagnements en cours au moins un jour dans l'année, par type de mesure ou d'accueil ; part dans l'ensemble des accompagnements du périmètre.",
        numerateur: "accompagnements du type en cours au moins un jour dans l'année",
        denominateur: "accompagnements en cours au moins un jour dans l'année",
        unite: "%",
        tables_sources: "accompagnements",
        origine: "Projet de service APMN ; CASF annexe 2-8 (nature de la mesure)",
        secret: Secret::rate(
            Measure::persons("accompagnements_en_cours"),
            Measure::persons("accompagnements_en_cours").total(),
        ),
    },
    IndicatorDef {
        id: BY_FRAME,
        libelle: "Mesures par cadre (administratif / judiciaire)",
        definition: "Accompagnements en cours au moins un jour dans l'année, par cadre juridique ; part dans l'ensemble.",
        numerateur: "accompagnements du cadre en cours au moins un jour dans l'année",
        denominateur: "accompagnements en cours au moins un jour dans l'année",
        unite: "%",
        tables_sources: "accompagnements",
        origine: "CASF annexe 2-8 (DECISION : administrative / judiciaire) ; ONPE",
        secret: Secret::rate(
            Measure::persons("accompagnements_en_cours"),
            Measure::persons("accompagnements_en_cours").total(),
        ),
    },
    IndicatorDef {
        id: BY_AGE,
        libelle: "Répartition par âge",
        definition: "Personnes de la file active par tranche d'âge atteint au 31/12 de l'année ; part dans la file active.",
        numerateur: "personnes de la file active dans la tranche d'âge",
        denominateur: "file active",
        unite: "%",
        tables_sources: "accompagnements",
        origine: "ONPE ; rapports d'activité R314-50 CASF",
        secret: Secret::rate(
            Measure::persons("file_active"),
            Measure::persons("file_active").total(),
        ),
    },
    IndicatorDef {
        id: BY_SEX,
        libelle: "Répartition par sexe",
        definition: "Personnes de la file active par sexe ; part dans la file active.",
        numerateur: "personnes de la file active de ce sexe",
        denominateur: "file active",
        unite: "%",
        tables_sources: "accompagnements",
        origine: "ONPE ; rapports d'activité R314-50 CASF",
        secret: Secret::rate(
            Measure::persons("file_active"),
            Measure::persons("file_active").total(),
        ),
    },
];

/// A perimeter figures are counted on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Perimeter {
    Service(String),
    Organisation(String),
    Department(String),
    /// Internal territory of a département (arrondissement, sector), as the services
    /// table names it.
    Territory(String, String),
    Network,
}

impl Perimeter {
    /// A row for this perimeter, filled from the directory.
    pub fn row(&self, dir: &Directory, id: &str, year: i32) -> IndicatorRow {
        let mut r = IndicatorRow {
            indicateur: id.to_string(),
            periode: year,
            ..Default::default()
        };
        match self {
            Perimeter::Service(s) => {
                let d = dir.get(s);
                r.niveau_territoire = "departement".into();
                r.code_territoire = d.and_then(|d| d.department.clone());
                r.organisation = d.and_then(|d| d.organisation.clone());
                r.service = Some(s.clone());
                r.nom_service = d.and_then(|d| d.name.clone());
            }
            Perimeter::Organisation(o) => {
                r.niveau_territoire = "ensemble".into();
                r.organisation = Some(o.clone());
            }
            Perimeter::Department(d) => {
                r.niveau_territoire = "departement".into();
                r.code_territoire = Some(d.clone());
            }
            Perimeter::Territory(d, t) => {
                r.niveau_territoire = "territoire_interne".into();
                r.code_territoire = Some(format!("{d}-{t}"));
            }
            Perimeter::Network => r.niveau_territoire = "ensemble".into(),
        }
        r
    }

    /// The perimeters a service belongs to.
    pub fn of_service(dir: &Directory, service: &str) -> Vec<Perimeter> {
        let mut v = vec![Perimeter::Service(service.to_string())];
        if let Some(d) = dir.get(service) {
            if let Some(o) = &d.organisation {
                v.push(Perimeter::Organisation(o.clone()));
            }
            if let Some(dep) = &d.department {
                v.push(Perimeter::Department(dep.clone()));
                if let Some(t) = &d.territory {
                    v.push(Perimeter::Territory(dep.clone(), t.clone()));
                }
            }
        }
        v.push(Perimeter::Network);
        v
    }
}

#[derive(Default)]
struct Tally<'a> {
    active: BTreeSet<&'a str>,
    present: BTreeSet<&'a str>,
    entries: usize,
    exits: usize,
    exit_days: i64,
    accompaniments: usize,
    by_type: BTreeMap<String, usize>,
    by_frame: BTreeMap<String, usize>,
    age: BTreeMap<&'a str, String>,
    sex: BTreeMap<&'a str, String>,
}

/// Computes the family for every year and perimeter.
pub fn compute(inputs: &Inputs) -> Result<Results, Error> {
    let df = inputs.persons;
    let mut out = Results::default();
    if df.height() == 0 {
        return Ok(out);
    }
    let dir = Directory::from_services(inputs.services)?;
    let person = cols::text(df, col::PERSON)?;
    let service = cols::text(df, col::SERVICE)?;
    let start = cols::int(df, col::START)?;
    let end = cols::int(df, col::END)?;
    let typ = cols::text(df, "type_mesure")?;
    let frame = cols::text(df, "cadre")?;
    let sex = cols::text(df, "sexe")?;
    let birth = cols::int(df, pcol::BIRTH_YEAR)?;
    let unknown = || "non renseigné".to_string();
    for y in inputs.years.clone() {
        let dec31 = super::activity::day_number(y, 12, 31);
        let jan1 = super::activity::day_number(y, 1, 1);
        let mut tallies: BTreeMap<Perimeter, Tally> = BTreeMap::new();
        for i in 0..df.height() {
            let (Some(p), Some(s), Some(st)) = (&person[i], &service[i], start[i]) else {
                continue;
            };
            let days = days_in_year(st, end[i], y);
            let started = (jan1..=dec31).contains(&st);
            let ended = end[i].is_some_and(|e| (jan1..=dec31).contains(&e));
            if days == 0 && !started && !ended {
                continue;
            }
            for per in Perimeter::of_service(&dir, s) {
                let t = tallies.entry(per).or_default();
                if days > 0 {
                    t.active.insert(p);
                    t.accompaniments += 1;
                    *t.by_type
                        .entry(typ[i].clone().unwrap_or_else(unknown))
                        .or_default() += 1;
                    *t.by_frame
                        .entry(frame[i].clone().unwrap_or_else(unknown))
                        .or_default() += 1;
                    t.age.entry(p).or_insert_with(|| {
                        birth[i]
                            .map(|b| age_band(age_at_year_end(b, y), inputs.age_bands))
                            .unwrap_or_else(unknown)
                    });
                    t.sex
                        .entry(p)
                        .or_insert_with(|| sex[i].clone().unwrap_or_else(unknown));
                }
                if st <= dec31 && end[i].is_none_or(|e| e >= dec31) {
                    t.present.insert(p);
                }
                if started {
                    t.entries += 1;
                }
                if let (true, Some(e)) = (ended, end[i]) {
                    t.exits += 1;
                    t.exit_days += i64::from(e - st);
                }
            }
        }
        for (per, t) in &tallies {
            let count = |id: &str, n: f64| {
                let mut r = per.row(&dir, id, y);
                r.numerateur = Some(n);
                r.valeur = Some(n);
                r.unite = DEFINITIONS
                    .iter()
                    .find(|d| d.id == id)
                    .map(|d| d.unite)
                    .unwrap_or("")
                    .to_string();
                r
            };
            out.rows.push(count(ACTIVE_FILE, t.active.len() as f64));
            out.rows.push(count(PRESENT, t.present.len() as f64));
            out.rows.push(count(ENTRIES, t.entries as f64));
            out.rows.push(count(EXITS, t.exits as f64));
            let mut d = per.row(&dir, MEAN_DURATION, y);
            d.numerateur = Some(t.exit_days as f64);
            d.denominateur = Some(t.exits as f64);
            d.valeur = ratio(d.numerateur, d.denominateur);
            d.unite = "jours".into();
            out.rows.push(d);
            let mut shares =
                |id: &str, dim: &str, counts: &BTreeMap<String, usize>, total: usize| {
                    for (k, n) in counts {
                        let mut r = per.row(&dir, id, y);
                        r.ventilation = Some(dim.to_string());
                        r.modalite = Some(k.clone());
                        r.numerateur = Some(*n as f64);
                        r.denominateur = Some(total as f64);
                        r.valeur = ratio(r.numerateur, r.denominateur);
                        r.unite = "%".into();
                        out.rows.push(r);
                    }
                };
            shares(BY_TYPE, "type_mesure", &t.by_type, t.accompaniments);
            shares(BY_FRAME, "cadre", &t.by_frame, t.accompaniments);
            let tally = |m: &BTreeMap<&str, String>| {
                m.values()
                    .fold(BTreeMap::new(), |mut acc: BTreeMap<String, usize>, v| {
                        *acc.entry(v.clone()).or_default() += 1;
                        acc
                    })
            };
            shares(BY_AGE, "tranche_age", &tally(&t.age), t.active.len());
            shares(BY_SEX, "sexe", &tally(&t.sex), t.active.len());
        }
    }
    Ok(out)
}
