//! `verite-nationale.json`: what the pipeline must find on the national network.
//!
//! - `services`: per service code and year, `file_active` (distinct children with at
//!   least one day in the year), `entrees` and `sorties` (accompaniments starting /
//!   ending in the year);
//! - `parts`: per year, the cross-sector shares (`part_pe_accompagnes_ditep`: protected
//!   children also in a DITEP, by département of the protection services and for the
//!   whole network; `part_ditep_avec_mesure_pe`, by département of the DITEP) with their
//!   numerators and denominators;
//! - `appariement`: for each accompaniment source (by name), the child of each data row,
//!   in row order (same number ⇔ same child): the linkage truth;
//! - counts: files, rows, children, services, organisations, twins.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;

use serde_json::{Value, json};

use super::{Kind, Network, Source, YEARS};
use crate::dates::{date, days_inclusive};
use crate::output::Output;

/// The truth file, relative to the output directory.
pub const FILE: &str = "verite-nationale.json";

fn in_year(start: crate::dates::Date, end: Option<crate::dates::Date>, y: i32) -> bool {
    days_inclusive(start, end, date(y, 1, 1), date(y, 12, 31)) > 0
}

fn share(num: usize, den: usize) -> Value {
    json!({
        "numerateur": num,
        "denominateur": den,
        "part": if den == 0 { Value::Null } else { json!(100.0 * num as f64 / den as f64) },
    })
}

/// Per service and year: file active, entries, exits.
pub fn per_service(net: &Network) -> BTreeMap<String, BTreeMap<i32, [usize; 3]>> {
    let mut active: BTreeMap<(usize, i32), BTreeSet<u64>> = BTreeMap::new();
    let mut out: BTreeMap<String, BTreeMap<i32, [usize; 3]>> = BTreeMap::new();
    for s in &net.services {
        out.insert(s.code.clone(), YEARS.map(|y| (y, [0; 3])).collect());
    }
    for r in &net.records {
        let code = &net.services[r.service].code;
        for y in YEARS {
            if in_year(r.start, r.end, y) {
                active.entry((r.service, y)).or_default().insert(r.child);
            }
            let cell = out.get_mut(code).and_then(|m| m.get_mut(&y));
            if let Some(c) = cell {
                use chrono::Datelike;
                c[1] += usize::from(r.start.year() == y);
                c[2] += usize::from(r.end.is_some_and(|e| e.year() == y));
            }
        }
    }
    for ((s, y), set) in active {
        if let Some(c) = out
            .get_mut(&net.services[s].code)
            .and_then(|m| m.get_mut(&y))
        {
            c[0] = set.len();
        }
    }
    out
}

/// Per year: (share id, territory code or `ensemble`) → (numerator, denominator).
pub type Shares = BTreeMap<i32, BTreeMap<(String, String), (usize, usize)>>;

/// The cross-sector shares of every year.
pub fn shares(net: &Network) -> Shares {
    let mut out = BTreeMap::new();
    for y in YEARS {
        // child → (protection départements, DITEP départements)
        let mut seen: BTreeMap<u64, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
        for r in &net.records {
            if !in_year(r.start, r.end, y) {
                continue;
            }
            let s = &net.services[r.service];
            let e = seen.entry(r.child).or_default();
            if s.kind == Kind::Ditep {
                e.1.insert(&s.departement);
            } else {
                e.0.insert(&s.departement);
            }
        }
        let mut cells: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
        let mut bump = |id: &str, code: &str, hit: bool| {
            let c = cells.entry((id.to_string(), code.to_string())).or_default();
            c.1 += 1;
            c.0 += usize::from(hit);
        };
        for (pe, ditep) in seen.values() {
            if !pe.is_empty() {
                bump("part_pe_accompagnes_ditep", "ensemble", !ditep.is_empty());
                for d in pe {
                    bump("part_pe_accompagnes_ditep", d, !ditep.is_empty());
                }
            }
            if !ditep.is_empty() {
                bump("part_ditep_avec_mesure_pe", "ensemble", !pe.is_empty());
                for d in ditep {
                    bump("part_ditep_avec_mesure_pe", d, !pe.is_empty());
                }
            }
        }
        out.insert(y, cells);
    }
    out
}

/// Writes the truth file.
pub fn write(net: &Network, sources: &[Source], out: &mut Output) -> Result<(), Box<dyn Error>> {
    let services: serde_json::Map<String, Value> = per_service(net)
        .into_iter()
        .map(|(code, years)| {
            let y: serde_json::Map<String, Value> = years
                .into_iter()
                .map(|(y, [fa, e, s])| {
                    (
                        y.to_string(),
                        json!({"file_active": fa, "entrees": e, "sorties": s}),
                    )
                })
                .collect();
            (code, Value::Object(y))
        })
        .collect();
    let mut parts = serde_json::Map::new();
    for (y, cells) in shares(net) {
        let mut by: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
        for ((id, code), (num, den)) in cells {
            by.entry(id).or_default().insert(code, share(num, den));
        }
        parts.insert(y.to_string(), serde_json::to_value(by)?);
    }
    let linkage: Vec<Value> = sources
        .iter()
        .filter(|s| s.table == "accompagnements")
        .map(|s| {
            let children: Vec<u64> = s.records.iter().map(|&i| net.records[i].child).collect();
            json!({"source": s.name, "enfants": children})
        })
        .collect();
    let births: BTreeMap<(String, crate::dates::Date), BTreeSet<u64>> = {
        let mut m: BTreeMap<(String, crate::dates::Date), BTreeSet<u64>> = BTreeMap::new();
        for r in &net.records {
            let id = &net.identities[r.identity];
            if let Some(mother) = &id.nom_mere {
                m.entry((crate::names::fold(mother), id.date_naissance))
                    .or_default()
                    .insert(r.child);
            }
        }
        m
    };
    let twins = births.values().filter(|s| s.len() > 1).count();
    let files = out.written.len() + 1;
    let v = json!({
        "echelle": net.scale,
        "graine": super::SEED,
        "annees": YEARS.collect::<Vec<_>>(),
        "fichiers": files,
        "lignes_accompagnements": net.records.len(),
        "enfants": net.children,
        "services_nombre": net.services.len(),
        "organisations": net.orgs.len(),
        "naissances_multiples_meme_mere": twins,
        "services": services,
        "parts": parts,
        "appariement": linkage,
    });
    out.write(FILE, &serde_json::to_vec(&v)?)?;
    Ok(())
}
