//! Territorial context from public reference tables (DREES, INSEE): the number of
//! children accepted by the ASE per 1 000 young people under 21, by département and for
//! all départements together. The under-21 population is the INSEE estimate at 1 January
//! of the next year (closest to the DREES count at 31 December), ages 0–19 plus a fifth
//! of the 20–24 band (ages assumed evenly spread within the band); if that year is
//! missing, the estimate of the same year is used.
//!
//! Territories are those of the territory table ([`crate::territory`]). Corsica counts
//! once: DREES gives the Collectivité de Corse as the historical `20`, whose population
//! is that of 2A + 2B (INSEE); a year giving `20` beside `2A`/`2B` keeps 2A and 2B (ingest
//! already sets `20` aside within one table; this guards against two tables). The
//! national figure adds up the départements present, `20` standing for Corsica as a
//! whole. Only counts without a dimension are read (a count broken down by a dimension —
//! a wide table — would otherwise be added up across the breakdown).

use std::collections::BTreeMap;

use super::frame;
use super::{IndicatorDef, IndicatorRow, Inputs, Results, Secret, ratio};
use crate::error::Error;
use crate::tables::columns as col;
use crate::territory;
use crate::text::fold;

pub const ASE_PER_1000: &str = "enfants_accueillis_ase_pour_1000_moins_21_ans";

pub const DEFINITIONS: [IndicatorDef; 1] = [IndicatorDef {
    id: ASE_PER_1000,
    libelle: "Enfants accueillis à l'ASE pour 1 000 jeunes de moins de 21 ans",
    definition: "Enfants confiés à l'ASE et placements directs au 31/12 (DREES, enquête Aide sociale), rapportés à la population de moins de 21 ans estimée par l'INSEE au 1er janvier suivant (0-19 ans, plus un cinquième des 20-24 ans).",
    numerateur: "enfants accueillis à l'ASE au 31/12 (DREES, variable enfants_accueillis)",
    denominateur: "population de moins de 21 ans (INSEE)",
    unite: "‰",
    tables_sources: "reference (DREES, INSEE)",
    origine: "DREES, ONPE (taux pour 1 000 moins de 21 ans)",
    secret: Secret::FREE,
}];

/// Variable of the DREES table counted in the numerator.
pub const DREES_VARIABLE: &str = "enfants_accueillis";
/// Variable of the INSEE table.
pub const POPULATION_VARIABLE: &str = "population";

/// Share of an INSEE age band that is under 21: `0 à 4 ans` → 1, `20 à 24 ans` → 1/5,
/// older bands → 0.
pub fn under_21_share(band: &str) -> f64 {
    let digits: Vec<u32> = band
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    match digits.as_slice() {
        [lo, hi, ..] if *hi < 21 => {
            let _ = lo;
            1.0
        }
        [lo, hi, ..] if *lo <= 20 => f64::from(21 - lo) / f64::from(hi - lo + 1),
        _ => 0.0,
    }
}

pub fn compute(inputs: &Inputs, _settings: &super::Settings) -> Result<Results, Error> {
    let r = inputs.reference;
    let mut out = Results::default();
    if r.height() == 0 {
        return Ok(out);
    }
    let Reference {
        mut counts,
        population,
        broken_down,
        not_departments,
    } = Reference::read(r)?;
    if broken_down > 0 {
        out.notes.push(format!(
            "{broken_down} valeur(s) de la variable {DREES_VARIABLE} ventilée(s) par une dimension (tableau en colonnes larges) : non additionnées, seules les valeurs sans dimension sont lues"
        ));
    }
    // One note per code that is not a département (a handful): no aggregation.
    for c in &not_departments {
        out.notes.push(format!(
            "Territoire {c} : ce n'est pas un département, il n'entre pas dans le taux pour 1 000"
        ));
    }
    corsica_once(&mut counts, &mut out);
    rates(&counts, &population, inputs.years.clone(), &mut out);
    Ok(out)
}

/// What the reference table gives: DREES counts and INSEE under-21 populations per
/// (year, territory), and what was set aside.
struct Reference {
    counts: BTreeMap<(i32, String), f64>,
    population: BTreeMap<(i32, String), f64>,
    /// DREES values broken down by a dimension (not added up).
    broken_down: usize,
    /// DREES codes that are not départements, in the order met.
    not_departments: Vec<String>,
}

impl Reference {
    fn read(r: &polars::prelude::DataFrame) -> Result<Self, Error> {
        let var = frame::texts(r, col::REF_VARIABLE)?;
        let code = frame::texts(r, col::REF_CODE)?;
        let dim1 = frame::texts(r, col::REF_DIM1)?;
        let dim2 = frame::texts(r, col::REF_DIM2)?;
        let period = frame::ints(r, col::REF_PERIOD)?;
        let value = frame::floats(r, col::REF_VALUE)?;
        let mut counts: BTreeMap<(i32, String), f64> = BTreeMap::new();
        let mut population: BTreeMap<(i32, String), f64> = BTreeMap::new();
        let mut broken_down = 0usize;
        let mut not_departments: Vec<String> = Vec::new();
        // A loop over the public reference table (one value per département, year and age
        // band: a few thousand rows), whose rules — Corsica once, wide tables set aside,
        // codes that are not départements noted — each need a note.
        for i in 0..r.height() {
            let (Some(v), Some(c), Some(p), Some(x)) = (&var[i], &code[i], period[i], value[i])
            else {
                continue;
            };
            if v == DREES_VARIABLE {
                if dim1[i].is_some() || dim2[i].is_some() {
                    broken_down += 1;
                    continue;
                }
                if territory::department(c).is_none() {
                    if !not_departments.contains(c) {
                        not_departments.push(c.clone());
                    }
                    continue;
                }
                *counts.entry((p, c.clone())).or_default() += x;
            } else if v == POPULATION_VARIABLE
                && dim1[i].as_deref().map(fold).as_deref() == Some("ENSEMBLE")
                && let Some(band) = &dim2[i]
            {
                *population.entry((p, c.clone())).or_default() += x * under_21_share(band);
            }
        }
        Ok(Self {
            counts,
            population,
            broken_down,
            not_departments,
        })
    }
}

/// Corsica once: `20` beside 2A or 2B for the same year is left out.
fn corsica_once(counts: &mut BTreeMap<(i32, String), f64>, out: &mut Results) {
    let corsica_split: Vec<i32> = counts
        .keys()
        .filter(|(_, c)| c == "2A" || c == "2B")
        .map(|(y, _)| *y)
        .collect();
    counts.retain(|(y, c), _| {
        let twice = c == "20" && corsica_split.contains(y);
        if twice {
            out.notes.push(format!(
                "Corse {y} : la Corse (20) est donnée en plus de 2A/2B ; seuls 2A et 2B sont comptés"
            ));
        }
        !twice
    });
}

/// The rate per 1 000 of each département and year of `years`, and of all départements
/// together.
fn rates(
    counts: &BTreeMap<(i32, String), f64>,
    population: &BTreeMap<(i32, String), f64>,
    years: std::ops::RangeInclusive<i32>,
    out: &mut Results,
) {
    let mut national: BTreeMap<i32, (f64, f64)> = BTreeMap::new();
    // One iteration per département and year (about a hundred a year): each population
    // lookup (Corsica, next year or same year) may need its own note.
    for ((year, dep), n) in counts {
        if !years.contains(year) {
            continue;
        }
        // INSEE splits Corsica (2A, 2B) where DREES counts the Collectivité (20).
        let corsica = |y: i32| -> Option<f64> {
            Some(population.get(&(y, "2A".to_string()))? + population.get(&(y, "2B".to_string()))?)
        };
        let pop_of = |y: i32| -> Option<f64> {
            population
                .get(&(y, dep.clone()))
                .copied()
                .or_else(|| if dep == "20" { corsica(y) } else { None })
        };
        let pop = pop_of(year + 1).or_else(|| pop_of(*year));
        let Some(pop) = pop else {
            out.notes.push(format!(
                "{} {year} : population INSEE absente, taux pour 1 000 non calculé",
                territory::department_display(dep)
            ));
            continue;
        };
        let e = national.entry(*year).or_default();
        e.0 += n;
        e.1 += pop;
        let pop = &pop;
        out.rows.push(IndicatorRow {
            indicateur: ASE_PER_1000.into(),
            periode: *year,
            niveau_territoire: "departement".into(),
            code_territoire: Some(dep.clone()),
            numerateur: Some(*n),
            denominateur: Some(*pop),
            valeur: ratio(Some(*n), Some(*pop)),
            unite: "‰".into(),
            ..Default::default()
        });
    }
    // One output row per year (the national sums were built above).
    for (year, (n, pop)) in national {
        out.rows.push(IndicatorRow {
            indicateur: ASE_PER_1000.into(),
            periode: year,
            niveau_territoire: "ensemble".into(),
            numerateur: Some(n),
            denominateur: Some(pop),
            valeur: ratio(Some(n), Some(pop)),
            unite: "‰".into(),
            ..Default::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_21_shares() {
        assert_eq!(under_21_share("0 à 4 ans"), 1.0);
        assert_eq!(under_21_share("15 à 19 ans"), 1.0);
        assert_eq!(under_21_share("20 à 24 ans"), 0.2);
        assert_eq!(under_21_share("25 à 29 ans"), 0.0);
        assert_eq!(under_21_share("95 ans et plus"), 0.0);
    }
}
