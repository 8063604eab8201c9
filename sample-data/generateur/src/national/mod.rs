//! A national network for the national benchmark (`benches/national.rs`): `generer
//! --national [--echelle F] DOSSIER`.
//!
//! At scale 1.0: about 775 000 children (700 000 in child protection, 100 000 in a DITEP,
//! 30 % of the DITEP children also protected), a little over 1 000 000 accompaniment
//! rows, 1 148 services (MECS, AEMO, AED, placement familial, DITEP) in the 100
//! départements of [`crate::population`] plus Mayotte (976), grouped in about 460
//! organisations. Each organisation writes its files in one of five layouts (see
//! [`layouts`]): xlsx with title rows and text dates, xlsx with one sheet per service and
//! real dates, OpenDocument, CSV `;` in Windows-1252, CSV `,` in UTF-8; plus its monthly
//! activity, a staff / training / satisfaction workbook and a COPIL action plan
//! ([`annexes`]). [`pipeline`] writes the services table, `national.toml`, the key files
//! and `verite-nationale.json`.
//!
//! The identities come from [`crate::population::test_population`]: families, twins,
//! homonyms, and DITEP records of protected children written differently (typos, lost
//! accents, day and month swapped, compound names, the mother's married name…), so that
//! fuzzy linkage matters. Same scale, same bytes (own seed, ordered collections only).
//! Nothing of this is written by [`crate::generate`]: the committed sample data do not
//! change.

pub mod annexes;
pub mod layouts;
pub mod pipeline;
pub mod truth;

use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};

use chrono::Datelike;

use crate::dates::{Date, date, plus_days};
use crate::output::Output;
use crate::population::{Identity, test_population};
use crate::rng::Rng;

/// Seed of the national network (independent of the sample data's).
pub const SEED: u64 = 20_260_110;

/// Years of the pipeline period (the truth's years).
pub const YEARS: std::ops::RangeInclusive<i32> = 2020..=2023;

/// Children in child protection, DITEP children, at scale 1.0.
const PROTECTION_CHILDREN: f64 = 700_000.0;
const DITEP_CHILDREN: f64 = 100_000.0;
/// Share of the DITEP children also in child protection.
const OVERLAP_OF_DITEP: f64 = 0.30;
/// Services at scale 1.0.
const PROTECTION_SERVICES: f64 = 1_000.0;
const DITEP_SERVICES: f64 = 148.0;

/// Kind of service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Mecs,
    Aemo,
    Aed,
    PlacementFamilial,
    Ditep,
}

impl Kind {
    /// Type written in the services table.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Mecs => "MECS",
            Kind::Aemo => "AEMO",
            Kind::Aed => "AED",
            Kind::PlacementFamilial => "Placement familial",
            Kind::Ditep => "DITEP",
        }
    }
    /// Prefix of the service code.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Mecs => "MECS",
            Kind::Aemo => "AEMO",
            Kind::Aed => "AED",
            Kind::PlacementFamilial => "PF",
            Kind::Ditep => "DITEP",
        }
    }
    pub fn sector(self) -> &'static str {
        if self == Kind::Ditep {
            "Médico-social"
        } else {
            "Protection de l'enfance"
        }
    }
    pub fn modality(self) -> &'static str {
        match self {
            Kind::Mecs => "internat",
            Kind::Aemo | Kind::Aed => "Milieu ouvert",
            Kind::PlacementFamilial => "accueil familial",
            Kind::Ditep => "semi-internat",
        }
    }
    pub fn unit(self) -> &'static str {
        match self {
            Kind::Aemo | Kind::Aed => "mesures",
            _ => "places",
        }
    }
    /// Measure types as the files write them.
    fn measures(self) -> &'static [&'static str] {
        match self {
            Kind::Mecs => &["Placement ASE", "Accueil provisoire", "OPP"],
            Kind::Aemo => &["AEMO", "AEMO", "AEMO R"],
            Kind::Aed => &["AED"],
            Kind::PlacementFamilial => &["Placement ASE", "OPP"],
            Kind::Ditep => &["Accompagnement DITEP"],
        }
    }
    /// Length of an accompaniment in days (min, max).
    fn duration(self) -> (i64, i64) {
        match self {
            Kind::Aemo | Kind::Aed => (90, 900),
            Kind::Mecs => (30, 1500),
            Kind::PlacementFamilial => (180, 2500),
            Kind::Ditep => (300, 1800),
        }
    }
}

/// One service.
#[derive(Clone, Debug)]
pub struct Service {
    pub code: String,
    pub name: String,
    pub kind: Kind,
    pub departement: String,
    pub org: usize,
    /// Authorised capacity (places or measures), set from the accompaniments.
    pub capacity: u32,
}

/// How an organisation writes its accompaniments (see [`layouts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// xlsx, « Lisez-moi » sheet, title rows above the header, text dates, total below.
    Suivi,
    /// xlsx, one sheet per service, real Excel dates.
    Onglets,
    /// OpenDocument, sex `F`/`G`, date cells.
    Ods,
    /// CSV `;`, Windows-1252, French dates.
    CsvPointVirgule,
    /// CSV `,`, UTF-8, French dates.
    CsvVirgule,
}

/// One organisation (association) and the folder of its files.
#[derive(Clone, Debug)]
pub struct Org {
    pub name: String,
    pub folder: String,
    pub code: String,
    pub departement: String,
    pub layout: Layout,
    pub services: Vec<usize>,
}

/// One accompaniment row.
#[derive(Clone, Debug)]
pub struct Record {
    /// Same child ⇔ same `child` (the linkage truth).
    pub child: u64,
    /// Index of the identity as this file writes it.
    pub identity: usize,
    pub service: usize,
    pub dossier: String,
    pub start: Date,
    pub end: Option<Date>,
    pub measure: &'static str,
    pub judicial: bool,
}

/// The whole national network.
pub struct Network {
    pub scale: f64,
    pub services: Vec<Service>,
    pub orgs: Vec<Org>,
    pub identities: Vec<Identity>,
    pub records: Vec<Record>,
    pub children: usize,
}

/// Last day of the data (extraction at mid-January 2024).
fn last_day() -> Date {
    date(2023, 12, 31)
}

fn scaled(x: f64, scale: f64, min: usize) -> usize {
    ((x * scale).round() as usize).max(min)
}

/// Splits `total` over `weights` (largest remainders; ties by order).
fn apportion(total: usize, weights: &[usize]) -> Vec<usize> {
    let sum: usize = weights.iter().sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let mut out: Vec<usize> = weights.iter().map(|w| w * total / sum).collect();
    let mut rest: Vec<(usize, usize)> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| (w * total % sum, i))
        .collect();
    rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let missing = total - out.iter().sum::<usize>();
    for &(_, i) in rest.iter().take(missing) {
        out[i] += 1;
    }
    out
}

/// Builds the network at `scale` (1.0 = national).
pub fn build(scale: f64) -> Result<Network, Box<dyn Error>> {
    if !(scale.is_finite() && scale > 0.0 && scale <= 4.0) {
        return Err(
            format!("échelle {scale} invalide : attendu un nombre de 0 (exclu) à 4").into(),
        );
    }
    let n_pe = scaled(PROTECTION_CHILDREN, scale, 50);
    let n_ditep = scaled(DITEP_CHILDREN, scale, 10);
    let pop = test_population(SEED, n_pe, n_ditep, OVERLAP_OF_DITEP);
    let mut rng = Rng::stream(SEED, 7);

    // Identities: protection records first, then DITEP records. Part of La Réunion's
    // children live in Mayotte (976), which the population does not have.
    let mayotte = |dep: &str, id: u64| {
        if dep == "974" && id.is_multiple_of(3) {
            "976".to_string()
        } else {
            dep.to_string()
        }
    };
    let mut identities = Vec::with_capacity(pop.protection.len() + pop.ditep.len());
    let mut people: Vec<(u64, usize, String, bool)> = Vec::new(); // child, identity, dep, ditep
    let mut home: BTreeMap<u64, String> = BTreeMap::new();
    for (ditep, list) in [(false, &pop.protection), (true, &pop.ditep)] {
        for r in list {
            let dep = home
                .entry(r.truth_id)
                .or_insert_with(|| mayotte(&r.departement, r.truth_id))
                .clone();
            people.push((r.truth_id, identities.len(), dep, ditep));
            identities.push(r.identity.clone());
        }
    }
    let children = home.len();

    // Services per département, in proportion to its children of each sector.
    let deps: Vec<String> = {
        let mut d: Vec<String> = home.values().cloned().collect();
        d.sort();
        d.dedup();
        d
    };
    let dep_index: BTreeMap<&str, usize> = deps
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    let count = |ditep: bool| -> Vec<usize> {
        let mut c = vec![0; deps.len()];
        for (_, _, dep, d) in &people {
            if *d == ditep {
                c[dep_index[dep.as_str()]] += 1;
            }
        }
        c
    };
    let pe_per_dep = apportion(scaled(PROTECTION_SERVICES, scale, 5), &count(false));
    let ditep_per_dep = apportion(scaled(DITEP_SERVICES, scale, 2), &count(true));
    let mut services: Vec<Service> = Vec::new();
    // by (dep, is_ditep) → service indices
    let mut of_dep: BTreeMap<(usize, bool), Vec<usize>> = BTreeMap::new();
    for (d, dep) in deps.iter().enumerate() {
        let mut kinds: Vec<Kind> = (0..pe_per_dep[d])
            .map(|_| {
                [Kind::Aemo, Kind::Mecs, Kind::PlacementFamilial, Kind::Aed]
                    [rng.weighted(&[35, 35, 15, 15])]
            })
            .collect();
        kinds.extend((0..ditep_per_dep[d]).map(|_| Kind::Ditep));
        for (k, kind) in kinds.into_iter().enumerate() {
            let i = services.len();
            of_dep.entry((d, kind == Kind::Ditep)).or_default().push(i);
            services.push(Service {
                code: format!("{}-{dep}-{:03}", kind.prefix(), k + 1),
                name: format!(
                    "{} {} {}",
                    kind.label(),
                    SITE_NAMES[i % SITE_NAMES.len()],
                    k + 1
                ),
                kind,
                departement: dep.clone(),
                org: 0,
                capacity: 0,
            });
        }
    }
    let all_of = |ditep: bool| -> Vec<usize> {
        (0..services.len())
            .filter(|&i| (services[i].kind == Kind::Ditep) == ditep)
            .collect()
    };
    let (all_pe, all_ditep) = (all_of(false), all_of(true));

    // Organisations: the services of a département in groups of one to four.
    let mut orgs: Vec<Org> = Vec::new();
    for (d, dep) in deps.iter().enumerate() {
        let mut list: Vec<usize> = [false, true]
            .iter()
            .flat_map(|&x| of_dep.get(&(d, x)).cloned().unwrap_or_default())
            .collect();
        rng.shuffle(&mut list);
        let mut k = 0;
        while !list.is_empty() {
            let take = (rng.range(1, 4) as usize).min(list.len());
            let group: Vec<usize> = list.drain(..take).collect();
            k += 1;
            let o = orgs.len();
            let base = ORG_NAMES[o % ORG_NAMES.len()];
            let layout = [
                Layout::Suivi,
                Layout::Onglets,
                Layout::Ods,
                Layout::CsvPointVirgule,
                Layout::CsvVirgule,
            ][rng.weighted(&[30, 20, 15, 20, 15])];
            for &s in &group {
                services[s].org = o;
            }
            orgs.push(Org {
                name: format!("{base} {dep}-{k}"),
                folder: format!("{dep}/{}-{k}", slug(base)),
                code: format!("O{dep}{k:02}"),
                departement: dep.clone(),
                layout,
                services: group,
            });
        }
    }
    for o in &mut orgs {
        o.services.sort();
    }

    // Accompaniments: one to three in a row for a protected child, one or two for a
    // DITEP child, in services of the child's département when it has some.
    let mut records = Vec::new();
    for (child, identity, dep, ditep) in &people {
        let d = dep_index[dep.as_str()];
        let local = of_dep.get(&(d, *ditep)).filter(|v| !v.is_empty());
        let pool = local.unwrap_or(if *ditep { &all_ditep } else { &all_pe });
        let n = if *ditep {
            1 + usize::from(rng.chance(0.08))
        } else {
            1 + rng.weighted(&[60, 30, 10])
        };
        let birth = identities[*identity].date_naissance;
        let earliest = plus_days(birth, 20).max(date(2017, 1, 1));
        if earliest > last_day() {
            continue;
        }
        let mut start = crate::dates::random_date(&mut rng, earliest, last_day());
        for _ in 0..n {
            let service = *rng.pick(pool);
            let kind = services[service].kind;
            let (lo, hi) = kind.duration();
            let end = plus_days(start, rng.range(lo, hi));
            let end = (end <= last_day()).then_some(end);
            let measure = *rng.pick(kind.measures());
            records.push(Record {
                child: *child,
                identity: *identity,
                service,
                dossier: String::new(),
                start,
                end,
                measure,
                judicial: kind != Kind::Aed && rng.chance(0.7),
            });
            let Some(e) = end else { break };
            start = plus_days(e, rng.range(1, 240));
            if start > last_day() {
                break;
            }
        }
    }
    // File numbers per organisation, in order of first start.
    records.sort_by(|a, b| {
        (services[a.service].org, a.service, a.start, a.child).cmp(&(
            services[b.service].org,
            b.service,
            b.start,
            b.child,
        ))
    });
    let mut next: BTreeMap<usize, u32> = BTreeMap::new();
    for r in &mut records {
        let s = &services[r.service];
        let n = next.entry(s.org).or_insert(0);
        *n += 1;
        r.dossier = format!("{}-{:02}-{:06}", orgs[s.org].code, r.start.year() % 100, n);
    }
    // Capacity: the mean number of accompaniments under way, plus a margin.
    let mut days = vec![0i64; services.len()];
    for r in &records {
        days[r.service] += crate::dates::days_inclusive(
            r.start,
            r.end,
            date(*YEARS.start(), 1, 1),
            date(*YEARS.end(), 12, 31),
        );
    }
    let span = (date(*YEARS.end(), 12, 31) - date(*YEARS.start(), 1, 1)).num_days() + 1;
    for (s, d) in services.iter_mut().zip(days) {
        s.capacity = ((d as f64 / span as f64) * 1.08).ceil().max(5.0) as u32;
    }
    Ok(Network {
        scale,
        services,
        orgs,
        identities,
        records,
        children,
    })
}

/// `Association Le Phare` → `association-le-phare`.
fn slug(s: &str) -> String {
    s.split([' ', '\''])
        .map(crate::names::fold)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// What [`generate`] wrote.
pub struct Written {
    pub files: Vec<PathBuf>,
    pub accompaniment_rows: usize,
    pub children: usize,
    pub services: usize,
}

/// Writes the national network under `dir` (files, services table, pipeline, keys and
/// truth).
pub fn generate(dir: &Path, scale: f64) -> Result<Written, Box<dyn Error>> {
    let net = build(scale)?;
    let mut out = Output::new(dir);
    let mut sources = Vec::new();
    for o in 0..net.orgs.len() {
        sources.extend(layouts::write(&net, o, &mut out)?);
        sources.extend(annexes::write(&net, o, &mut out)?);
    }
    pipeline::write(&net, &sources, &mut out)?;
    truth::write(&net, &sources, &mut out)?;
    Ok(Written {
        files: out.written,
        accompaniment_rows: net.records.len(),
        children: net.children,
        services: net.services.len(),
    })
}

/// A source of the pipeline: where a table's rows are, and, for accompaniments, the
/// records in row order (the linkage truth).
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    /// Path relative to the pipeline's folder.
    pub file: String,
    pub sheet: Option<String>,
    pub table: &'static str,
    pub org: usize,
    /// Fixed service (when the file has no service column).
    pub service: Option<String>,
    /// Extra TOML lines (column mapping, values, CSV settings…).
    pub toml: String,
    /// Indices into [`Network::records`], in row order (accompaniments only).
    pub records: Vec<usize>,
}

#[cfg(test)]
mod tests;

const ORG_NAMES: &[&str] = &[
    "Association Les Tilleuls",
    "Sauvegarde de l'enfance",
    "Association Horizons",
    "Fondation La Source",
    "Association Le Relais",
    "ADSEA",
    "Association Passerelles",
    "Association Les Chemins",
    "Association L'Envol",
    "Association Entraide",
    "Fondation Les Amandiers",
    "Association Le Phare",
];

const SITE_NAMES: &[&str] = &[
    "Les Cèdres",
    "La Roseraie",
    "Le Moulin",
    "Les Sources",
    "La Colline",
    "Le Verger",
    "Les Érables",
    "La Clairière",
    "Le Tournesol",
    "Les Genêts",
    "L'Oustal",
];
