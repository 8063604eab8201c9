//! Cross-sector indicators (the collective's headline figures): the share of children
//! with a child-protection measure in the year who are also accompanied by a DITEP in
//! the year, and the share of DITEP children who have a child-protection measure in the
//! year — numerator and denominator, pooled, by département, by type of measure and by
//! age band, per year. They need linked persons (stage `link`).

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use super::activity::days_in_year;
use super::cols;
use super::{IndicatorDef, IndicatorRow, Measure, Secret, ratio};
use crate::error::Error;
use crate::ingest::values::fold;
use crate::pseudonymise::columns as pcol;
use crate::pseudonymise::generalise::{age_at_year_end, age_band};
use crate::tables::columns as col;

/// The children followed both in child protection and by a DITEP, counted by the
/// départements of their child-protection services / of their DITEP (the same children
/// for the whole network).
pub const BOTH_FROM_PE_SIDE: &str = "enfants_pe_et_ditep_par_departement_pe";
pub const BOTH_FROM_DITEP_SIDE: &str = "enfants_pe_et_ditep_par_departement_ditep";

pub const PE_ALSO_DITEP: &str = "part_pe_accompagnes_ditep";
pub const DITEP_ALSO_PE: &str = "part_ditep_avec_mesure_pe";

pub const DEFINITIONS: [IndicatorDef; 2] = [
    IndicatorDef {
        id: PE_ALSO_DITEP,
        libelle: "Part des enfants suivis en protection de l'enfance également accompagnés par un DITEP",
        definition: "Parmi les enfants ayant au moins un jour de mesure ou d'accueil de protection de l'enfance dans l'année, part de ceux qui ont aussi au moins un jour d'accompagnement par un DITEP dans l'année. Les personnes sont reconnues d'un fichier à l'autre par appariement pseudonymisé (clés exactes, puis encodage flou).",
        numerateur: "enfants suivis en protection de l'enfance et accompagnés par un DITEP dans l'année",
        denominateur: "enfants suivis en protection de l'enfance dans l'année",
        unite: "%",
        tables_sources: "accompagnements (appariés), services",
        origine: "Charte de coopération inter-associative (article 4) ; enquête AIRe",
        secret: Secret::rate(
            Measure::persons(BOTH_FROM_PE_SIDE),
            Measure::persons("enfants_pe"),
        ),
    },
    IndicatorDef {
        id: DITEP_ALSO_PE,
        libelle: "Part des enfants accompagnés par un DITEP ayant une mesure de protection de l'enfance",
        definition: "Parmi les enfants ayant au moins un jour d'accompagnement par un DITEP dans l'année, part de ceux qui ont aussi au moins un jour de mesure ou d'accueil de protection de l'enfance dans l'année.",
        numerateur: "enfants accompagnés par un DITEP et suivis en protection de l'enfance dans l'année",
        denominateur: "enfants accompagnés par un DITEP dans l'année",
        unite: "%",
        tables_sources: "accompagnements (appariés), services",
        origine: "Enquête AIRe (38 %) ; charte de coopération inter-associative",
        secret: Secret::rate(
            Measure::persons(BOTH_FROM_DITEP_SIDE),
            Measure::persons("enfants_ditep"),
        ),
    },
];

/// The sector of a service, from the services table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sector {
    ChildProtection,
    Ditep,
    Other,
}

fn sector_of(secteur: Option<&str>, type_service: Option<&str>) -> Sector {
    let t = type_service.map(fold).unwrap_or_default();
    if t.contains("ITEP") {
        return Sector::Ditep;
    }
    let s = secteur.map(fold).unwrap_or_default();
    if s.starts_with("PROTECTION") {
        return Sector::ChildProtection;
    }
    if [
        "MECS",
        "AEMO",
        "AED",
        "PLACEMENT",
        "FOYER",
        "POUPONNIERE",
        "VILLAGE",
        "LIEU DE VIE",
    ]
    .iter()
    .any(|p| t.starts_with(p))
    {
        return Sector::ChildProtection;
    }
    Sector::Other
}

/// The family entry point of the registry.
pub fn compute_family(
    inputs: &super::Inputs,
    _settings: &super::Settings,
) -> Result<super::Results, Error> {
    if inputs.persons.height() == 0 || inputs.persons.column(col::PERSON).is_err() {
        return Ok(super::Results::default());
    }
    let rows = compute(
        inputs.services,
        inputs.persons,
        inputs.years.clone(),
        inputs.age_bands,
    )?;
    let mut notes = Vec::new();
    for (id, other) in [
        (
            PE_ALSO_DITEP,
            "aucun accompagnement par un service de type DITEP ou ITEP",
        ),
        (
            DITEP_ALSO_PE,
            "aucune mesure d'un service de protection de l'enfance",
        ),
    ] {
        let years: BTreeSet<i32> = rows
            .iter()
            .filter(|r| r.indicateur == id && r.numerateur.is_none())
            .map(|r| r.periode)
            .collect();
        if !years.is_empty() {
            notes.push(format!(
                "{} : non calculable en {} — les données lues ne comptent {other} cette année-là (source absente ?) ; la part n'est pas de 0 %, elle est inconnue.",
                super::definition(id).map_or(id, |d| d.libelle),
                years
                    .iter()
                    .map(|y| y.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    Ok(super::Results { rows, notes })
}

/// Computes both shares for every year, pooled and broken down.
pub fn compute(
    services: &DataFrame,
    linked: &DataFrame,
    years: std::ops::RangeInclusive<i32>,
    age_bounds: &[u32],
) -> Result<Vec<IndicatorRow>, Error> {
    // service → (sector, département)
    let mut info: BTreeMap<String, (Sector, Option<String>)> = BTreeMap::new();
    {
        let id = cols::text(services, col::SERVICE)?;
        let sect = cols::text(services, "secteur")?;
        let typ = cols::text(services, col::SERVICE_TYPE)?;
        let dep = cols::text(services, col::DEPARTMENT)?;
        for i in 0..services.height() {
            if let Some(s) = &id[i] {
                info.insert(
                    s.clone(),
                    (
                        sector_of(sect[i].as_deref(), typ[i].as_deref()),
                        dep[i].clone(),
                    ),
                );
            }
        }
    }
    let person = cols::text(linked, col::PERSON)?;
    let service = cols::text(linked, col::SERVICE)?;
    let measure = cols::text(linked, "type_mesure")?;
    let start = cols::int(linked, col::START)?;
    let end = cols::int(linked, col::END)?;
    let birth_year = cols::int(linked, pcol::BIRTH_YEAR)?;

    let mut rows = Vec::new();
    for y in years {
        // For each person: sectors present in the year, départements and measure types
        // per sector, age band.
        #[derive(Default)]
        struct Seen {
            pe_deps: BTreeSet<String>,
            ditep_deps: BTreeSet<String>,
            pe_types: BTreeSet<String>,
            pe: bool,
            ditep: bool,
            band: Option<String>,
        }
        let mut people: BTreeMap<&str, Seen> = BTreeMap::new();
        // Whether each sector has any accompaniment in the year: without one, a share
        // of children "also followed" by it cannot be computed (it is not 0).
        let (mut pe_any, mut ditep_any) = (false, false);
        for i in 0..linked.height() {
            let (Some(s), Some(st)) = (&service[i], start[i]) else {
                continue;
            };
            if days_in_year(st, end[i], y) == 0 {
                continue;
            }
            let Some((sector, dep)) = info.get(s) else {
                continue;
            };
            pe_any |= *sector == Sector::ChildProtection;
            ditep_any |= *sector == Sector::Ditep;
            let Some(p) = &person[i] else {
                continue;
            };
            let e = people.entry(p.as_str()).or_default();
            if e.band.is_none() {
                e.band = birth_year[i].map(|b| age_band(age_at_year_end(b, y), age_bounds));
            }
            match sector {
                Sector::ChildProtection => {
                    e.pe = true;
                    if let Some(d) = dep {
                        e.pe_deps.insert(d.clone());
                    }
                    e.pe_types
                        .insert(measure[i].clone().unwrap_or_else(|| "non renseigné".into()));
                }
                Sector::Ditep => {
                    e.ditep = true;
                    if let Some(d) = dep {
                        e.ditep_deps.insert(d.clone());
                    }
                }
                Sector::Other => {}
            }
        }
        // (indicator, level, code, breakdown, value) → (numerator, denominator)
        type Key = (
            &'static str,
            &'static str,
            Option<String>,
            Option<&'static str>,
            Option<String>,
        );
        let mut cells: BTreeMap<Key, (usize, usize)> = BTreeMap::new();
        let mut bump = |k: Key, hit: bool| {
            let e = cells.entry(k).or_default();
            e.1 += 1;
            if hit {
                e.0 += 1;
            }
        };
        for s in people.values() {
            if s.pe {
                bump((PE_ALSO_DITEP, "ensemble", None, None, None), s.ditep);
                for d in &s.pe_deps {
                    bump(
                        (PE_ALSO_DITEP, "departement", Some(d.clone()), None, None),
                        s.ditep,
                    );
                }
                for t in &s.pe_types {
                    bump(
                        (
                            PE_ALSO_DITEP,
                            "ensemble",
                            None,
                            Some("type_mesure"),
                            Some(t.clone()),
                        ),
                        s.ditep,
                    );
                }
                if let Some(b) = &s.band {
                    bump(
                        (
                            PE_ALSO_DITEP,
                            "ensemble",
                            None,
                            Some("tranche_age"),
                            Some(b.clone()),
                        ),
                        s.ditep,
                    );
                }
            }
            if s.ditep {
                bump((DITEP_ALSO_PE, "ensemble", None, None, None), s.pe);
                for d in &s.ditep_deps {
                    bump(
                        (DITEP_ALSO_PE, "departement", Some(d.clone()), None, None),
                        s.pe,
                    );
                }
                if let Some(b) = &s.band {
                    bump(
                        (
                            DITEP_ALSO_PE,
                            "ensemble",
                            None,
                            Some("tranche_age"),
                            Some(b.clone()),
                        ),
                        s.pe,
                    );
                }
            }
        }
        for ((id, level, code, dim, value), (num, den)) in cells {
            let (num, den) = (num as f64, den as f64);
            // The other sector has no data this year: the numerator is unknown.
            let other_known = if id == PE_ALSO_DITEP {
                ditep_any
            } else {
                pe_any
            };
            let num = other_known.then_some(num);
            rows.push(IndicatorRow {
                indicateur: id.to_string(),
                periode: y,
                niveau_territoire: level.to_string(),
                code_territoire: code,
                ventilation: dim.map(str::to_string),
                modalite: value,
                numerateur: num,
                denominateur: Some(den),
                valeur: ratio(num, Some(den)),
                unite: "%".into(),
                ..Default::default()
            });
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sectors() {
        assert_eq!(
            sector_of(Some("Protection de l'enfance"), Some("AEMO")),
            Sector::ChildProtection
        );
        assert_eq!(
            sector_of(Some("Médico-social"), Some("DITEP")),
            Sector::Ditep
        );
        assert_eq!(sector_of(None, Some("MECS")), Sector::ChildProtection);
        assert_eq!(sector_of(Some("Médico-social"), Some("IME")), Sector::Other);
    }
}
