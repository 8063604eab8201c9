//! From indicator rows to the linear system: which published number is which cell, and
//! which linear relations an attacker knows between them. Each indicator declares in its
//! definition ([`crate::indicators::Secret`]) what its numerator and denominator count;
//! two rows naming the same quantity, perimeter, year and breakdown share one cell (the
//! denominator of the age distribution is the file active). Relations:
//!
//! - **breakdowns**: the modalities of a breakdown add up to the total of the same
//!   quantity and perimeter;
//! - **perimeters**: services add up to their organisation, département, internal
//!   territory and the whole network (départements to the network when a quantity has
//!   no service figures);
//! - **identities**: quantities that are the same count for the whole network.
//!
//! Each relation holds with a known constant (persons counted in two services, persons
//! with no age…), which the cautious model gives the attacker.

use std::collections::BTreeMap;

use polars::prelude::PlHashMap;

use super::system::{Cell, Kind, System};
use super::{Audience, Settings};
use crate::indicators::persons::Perimeter;
use crate::indicators::{
    Directory, IndicatorRow, Measure, MeasureKind, SAME_FOR_WHOLE_NETWORK, definition,
};

/// Quantities whose totals (no breakdown, any perimeter) a funding authority already
/// holds for the services it funds and finances — measures and persons accompanied,
/// entries, exits, present at 31/12, staff ETP and headcount — published whatever their
/// size under `diffusion = "autorite"`. Every breakdown of them, and every other
/// quantity (absences, staff movements, children also known to another sector,
/// durations, questionnaires), keeps the threshold.
pub const KNOWN_TO_AUTHORITY: &[&str] = &[
    "file_active",
    "presents_31_12",
    "entrees",
    "sorties",
    "accompagnements_en_cours",
    "etp",
    "etp_travailleurs_sociaux",
    "salaries_presents_31_12",
];

/// Where a figure is: territory level, territory code, organisation, service.
type Place = (String, Option<String>, Option<String>, Option<String>);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey {
    pub quantity: &'static str,
    pub year: i32,
    pub place: Place,
    /// Breakdown dimension and modality.
    pub breakdown: Option<(String, String)>,
}

/// The system and, for each row, the cells of its numerator and denominator.
pub struct Built {
    pub system: System,
    pub keys: Vec<CellKey>,
    pub row_cells: Vec<(Option<usize>, Option<usize>)>,
    /// Rows that gave another value to a cell already seen (a modelling error: two
    /// definitions name one quantity for different counts).
    pub conflicts: usize,
}

fn place_of(r: &IndicatorRow) -> Place {
    (
        r.niveau_territoire.clone(),
        r.code_territoire.clone(),
        r.organisation.clone(),
        r.service.clone(),
    )
}

fn is_network(p: &Place) -> bool {
    p.0 == "ensemble" && p.1.is_none() && p.2.is_none() && p.3.is_none()
}

impl Built {
    /// Where a cell is, in French, for error messages (never its value).
    pub fn describe(&self, cell: usize) -> String {
        let k = &self.keys[cell];
        let (level, code, org, service) = &k.place;
        let mut s = format!("« {} », {}", k.quantity, k.year);
        match (service, org, code) {
            (Some(sv), _, _) => s.push_str(&format!(", service {sv}")),
            (None, Some(o), _) => s.push_str(&format!(", organisation {o}")),
            (None, None, Some(c)) => s.push_str(&format!(", {level} {c}")),
            _ => s.push_str(", ensemble du réseau"),
        }
        if let Some((d, m)) = &k.breakdown {
            s.push_str(&format!(", {d} = {m}"));
        }
        s
    }
}

/// A cell's key borrowed from its row, hashed like [`CellKey`] (same fields, same order,
/// a `&str` hashing as its `String`): a national network looks up a million keys for
/// 290 000 cells, and copying four to six texts a look-up was half of building them.
#[derive(Hash)]
struct KeyRef<'a> {
    quantity: &'static str,
    year: i32,
    place: (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>),
    breakdown: Option<(&'a str, &'a str)>,
}

impl KeyRef<'_> {
    fn to_owned(&self) -> CellKey {
        let (level, code, org, service) = self.place;
        CellKey {
            quantity: self.quantity,
            year: self.year,
            place: (
                level.to_string(),
                code.map(String::from),
                org.map(String::from),
                service.map(String::from),
            ),
            breakdown: self.breakdown.map(|(d, m)| (d.to_string(), m.to_string())),
        }
    }
}

impl equivalent::Equivalent<CellKey> for KeyRef<'_> {
    fn equivalent(&self, k: &CellKey) -> bool {
        let (level, code, org, service) = &k.place;
        self.quantity == k.quantity
            && self.year == k.year
            && self.place.0 == level
            && self.place.1 == code.as_deref()
            && self.place.2 == org.as_deref()
            && self.place.3 == service.as_deref()
            && self.breakdown == k.breakdown.as_ref().map(|(d, m)| (d.as_str(), m.as_str()))
    }
}

/// Builds the system of every row's cells, with primary cells marked.
pub fn build(rows: &[IndicatorRow], dir: &Directory, settings: &Settings) -> Built {
    let mut b = Builder {
        index: PlHashMap::with_capacity_and_hasher(rows.len(), Default::default()),
        ..Builder::default()
    };
    let mut row_cells = Vec::with_capacity(rows.len());
    // Rows come grouped by indicator: its definition is looked up once a run of rows.
    let mut last: Option<(&str, Option<crate::indicators::IndicatorDef>)> = None;
    for r in rows {
        let def = match last {
            Some((id, def)) if id == r.indicateur => def,
            _ => {
                let def = definition(&r.indicateur);
                last = Some((&r.indicateur, def));
                def
            }
        };
        let Some(def) = def else {
            row_cells.push((None, None));
            continue;
        };
        let s = def.secret;
        let num_persons = if s.numerateur.persons_in_denominator {
            r.denominateur
        } else {
            r.effectif_numerateur
        };
        let num = b.side(r, s.numerateur, r.numerateur, num_persons, settings);
        let den = b.side(
            r,
            s.denominateur,
            r.denominateur,
            r.effectif_denominateur,
            settings,
        );
        row_cells.push((num, den));
    }
    let Builder {
        index,
        keys,
        cells,
        conflicts,
    } = b;
    let mut relations = Vec::new();
    breakdown_relations(&keys, &index, &mut relations);
    perimeter_relations(&keys, &index, dir, &mut relations);
    network_twin_relations(&index, &mut relations);
    Built {
        system: System { cells, relations },
        keys,
        row_cells,
        conflicts,
    }
}

/// The cells met so far, by key, and the conflicts between rows.
#[derive(Default)]
struct Builder {
    // Hashed: looked up twice a figure (numerator, denominator) with a key of four
    // texts; a tree compared those texts a dozen times a look-up.
    index: PlHashMap<CellKey, usize>,
    keys: Vec<CellKey>,
    cells: Vec<Cell>,
    conflicts: usize,
}

impl Builder {
    /// The cell of one side of row `r` (measure `m`, its value and the persons behind
    /// it), shared with the rows that name the same cell; `None` for a free measure or
    /// an unknown value.
    fn side(
        &mut self,
        r: &IndicatorRow,
        m: Measure,
        value: Option<f64>,
        persons: Option<f64>,
        settings: &Settings,
    ) -> Option<usize> {
        if m.kind == MeasureKind::Free {
            return None;
        }
        let value = value? / m.scale;
        let freq = match m.kind {
            MeasureKind::Persons => value,
            // Unknown persons behind an amount: cautious, treated as too few.
            _ => persons.unwrap_or(0.0),
        };
        let unknown = m.kind == MeasureKind::Amount && persons.is_none();
        let key = KeyRef {
            quantity: m.quantity,
            year: r.periode + m.year_offset,
            place: (
                &r.niveau_territoire,
                r.code_territoire.as_deref(),
                r.organisation.as_deref(),
                r.service.as_deref(),
            ),
            breakdown: if m.breakdown {
                r.ventilation.as_deref().zip(r.modalite.as_deref())
            } else {
                None
            },
        };
        // A total the funding authority already holds (docs/architecture.md,
        // « Audiences »): known to the reader, never secret.
        let known = settings.audience == Audience::Authority
            && key.breakdown.is_none()
            && KNOWN_TO_AUTHORITY.contains(&key.quantity);
        let primary = !known
            && (unknown
                || (freq > 0.0 && freq < f64::from(settings.threshold))
                || (freq == 0.0 && settings.protect_zeros));
        Some(match self.index.get(&key) {
            Some(&c) => {
                let cell = &mut self.cells[c];
                if (cell.value - value).abs() > 1e-9 * value.abs().max(1.0) {
                    self.conflicts += 1;
                }
                cell.freq = cell.freq.min(freq);
                cell.primary |= primary;
                cell.known &= known;
                c
            }
            None => {
                let c = self.cells.len();
                self.cells.push(Cell {
                    value,
                    freq,
                    kind: if m.kind == MeasureKind::Persons {
                        Kind::Count
                    } else {
                        Kind::Amount
                    },
                    primary,
                    known,
                });
                let key = key.to_owned();
                self.keys.push(key.clone());
                self.index.insert(key, c);
                c
            }
        })
    }
}

/// Quantities that are the same number for the whole network (e.g. the children
/// followed on both sides, counted from either side): equal at the network level.
fn network_twin_relations(
    index: &PlHashMap<CellKey, usize>,
    relations: &mut Vec<Vec<(usize, i64)>>,
) {
    for (a, b) in SAME_FOR_WHOLE_NETWORK {
        // In key order (the map has none), so the relations come in a fixed order.
        let mut network: Vec<(&CellKey, usize)> = index
            .iter()
            .filter(|(k, _)| k.quantity == a && is_network(&k.place))
            .map(|(k, &c)| (k, c))
            .collect();
        network.sort_unstable_by(|x, y| x.0.cmp(y.0));
        for (k, ca) in network {
            let twin = CellKey {
                quantity: b,
                ..k.clone()
            };
            if let Some(&cb) = index.get(&twin) {
                relations.push(sorted(vec![(ca, 1), (cb, -1)]));
            }
        }
    }
}

fn sorted(mut v: Vec<(usize, i64)>) -> Vec<(usize, i64)> {
    v.sort_unstable();
    v
}

/// Σ modalities − total, per quantity, year, place and dimension.
fn breakdown_relations(
    keys: &[CellKey],
    index: &PlHashMap<CellKey, usize>,
    out: &mut Vec<Vec<(usize, i64)>>,
) {
    let mut groups: BTreeMap<(&'static str, i32, &Place, &str), Vec<usize>> = BTreeMap::new();
    for (c, k) in keys.iter().enumerate() {
        if let Some((dim, _)) = &k.breakdown {
            groups
                .entry((k.quantity, k.year, &k.place, dim))
                .or_default()
                .push(c);
        }
    }
    for ((quantity, year, place, _), parts) in groups {
        let total = CellKey {
            quantity,
            year,
            place: place.clone(),
            breakdown: None,
        };
        if let Some(&t) = index.get(&total) {
            let mut r: Vec<(usize, i64)> = parts.into_iter().map(|c| (c, 1)).collect();
            r.push((t, -1));
            out.push(sorted(r));
        }
    }
}

/// Σ children − parent over the perimeter hierarchy, per quantity, year and breakdown.
fn perimeter_relations(
    keys: &[CellKey],
    index: &PlHashMap<CellKey, usize>,
    dir: &Directory,
    out: &mut Vec<Vec<(usize, i64)>>,
) {
    type Group<'a> = (&'static str, i32, &'a Option<(String, String)>);
    let mut services: BTreeMap<Group, Vec<usize>> = BTreeMap::new();
    let mut departments: BTreeMap<Group, Vec<usize>> = BTreeMap::new();
    for (c, k) in keys.iter().enumerate() {
        let g = (k.quantity, k.year, &k.breakdown);
        if k.place.3.is_some() {
            services.entry(g).or_default().push(c);
        } else if k.place.0 == "departement" && k.place.2.is_none() {
            departments.entry(g).or_default().push(c);
        }
    }
    let parent_cell = |g: &Group, place: Place| {
        index
            .get(&CellKey {
                quantity: g.0,
                year: g.1,
                place,
                breakdown: g.2.clone(),
            })
            .copied()
    };
    // The places a service counts in, once per service (not once per cell: a national
    // run has hundreds of thousands of service cells for about a thousand services).
    let mut parents_of: std::collections::HashMap<&str, Vec<Place>> =
        std::collections::HashMap::new();
    for (g, cells) in &services {
        let mut children: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &c in cells {
            let Some(service) = &keys[c].place.3 else {
                continue;
            };
            let places = parents_of.entry(service.as_str()).or_insert_with(|| {
                Perimeter::of_service(dir, service)
                    .into_iter()
                    .filter(|p| !matches!(p, Perimeter::Service(_)))
                    .map(|p| place_of(&p.row(dir, "", 0)))
                    .collect()
            });
            for place in places.iter() {
                if let Some(parent) = parent_cell(g, place.clone()) {
                    children.entry(parent).or_default().push(c);
                }
            }
        }
        for (parent, kids) in children {
            let mut r: Vec<(usize, i64)> = kids.into_iter().map(|c| (c, 1)).collect();
            r.push((parent, -1));
            out.push(sorted(r));
        }
    }
    let network: Place = ("ensemble".into(), None, None, None);
    for (g, cells) in &departments {
        if services.contains_key(g) {
            continue;
        }
        if let Some(parent) = parent_cell(g, network.clone()) {
            let mut r: Vec<(usize, i64)> = cells.iter().map(|&c| (c, 1)).collect();
            r.push((parent, -1));
            out.push(sorted(r));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::{Settings, protect};
    use crate::indicators::persons::{ACTIVE_FILE, BY_AGE, Perimeter};
    use crate::indicators::{CellStatus, ratio};

    /// A key borrowed from a row hashes as its owned copy and finds it, whichever of its
    /// texts are missing or empty.
    #[test]
    fn borrowed_keys_find_their_cells() {
        use std::hash::BuildHasher;
        let state = polars::prelude::PlRandomState::default();
        let places = [
            ("ensemble", None, None, None),
            ("departement", Some("15"), None, None),
            ("service", Some("15"), Some("O"), Some("A")),
            ("service", Some(""), Some(""), Some("")),
        ];
        let mut index: PlHashMap<CellKey, usize> = PlHashMap::default();
        let mut borrowed = Vec::new();
        for (i, place) in places.into_iter().enumerate() {
            for breakdown in [None, Some(("tranche_age", "0-5 ans")), Some(("", ""))] {
                let k = KeyRef {
                    quantity: "file_active",
                    year: 2020 + i as i32,
                    place,
                    breakdown,
                };
                let owned = k.to_owned();
                assert_eq!(state.hash_one(&k), state.hash_one(&owned));
                index.insert(owned, borrowed.len());
                borrowed.push(k);
            }
        }
        for (c, k) in borrowed.iter().enumerate() {
            assert_eq!(index.get(k), Some(&c));
        }
        let absent = KeyRef {
            quantity: "file_active",
            year: 2020,
            place: ("ensemble", Some(""), None, None),
            breakdown: None,
        };
        assert_eq!(index.get(&absent), None);
    }

    /// Two services A and B of one organisation in département 15; file active and age
    /// distribution per service and pooled, as the persons family writes them.
    fn rows() -> (Vec<IndicatorRow>, Directory) {
        let services = polars::df![
            "service" => ["A", "B"],
            "organisation" => ["O", "O"],
            "departement" => ["15", "15"],
            "annee" => [2022, 2022],
        ]
        .unwrap();
        let dir = Directory::from_services(&services).unwrap();
        // Age bands (0-10, 11-17) per service: A = 3 + 40, B = 30 + 25.
        let bands = [("A", [3.0, 40.0]), ("B", [30.0, 25.0])];
        let mut out = Vec::new();
        let mut push = |per: &Perimeter, young: f64, old: f64| {
            let total = young + old;
            let mut fa = per.row(&dir, ACTIVE_FILE, 2022);
            fa.numerateur = Some(total);
            fa.valeur = Some(total);
            out.push(fa);
            for (band, n) in [("0-10 ans", young), ("11-17 ans", old)] {
                let mut r = per.row(&dir, BY_AGE, 2022);
                r.ventilation = Some("tranche_age".into());
                r.modalite = Some(band.into());
                r.numerateur = Some(n);
                r.denominateur = Some(total);
                r.valeur = ratio(r.numerateur, r.denominateur);
                out.push(r);
            }
        };
        for (s, [y, o]) in bands {
            push(&Perimeter::Service(s.into()), y, o);
        }
        for per in [
            Perimeter::Organisation("O".into()),
            Perimeter::Department("15".into()),
            Perimeter::Network,
        ] {
            push(&per, 33.0, 65.0);
        }
        (out, dir)
    }

    #[test]
    fn shared_cells_and_relations_by_hand() {
        let (rows, dir) = rows();
        let built = build(&rows, &dir, &Settings::default());
        assert_eq!(built.conflicts, 0);
        // Cells: per perimeter (A, B, O, 15, ensemble) the file active — shared by the
        // file-active row and the distributions' denominators — and two bands: 5 × 3.
        assert_eq!(built.system.cells.len(), 15);
        // Relations: per perimeter, bands = total (5); per quantity and breakdown (total,
        // each band), A + B = O, = 15, = ensemble (3 × 3).
        assert_eq!(built.system.relations.len(), 5 + 9);
        let primary: Vec<String> = (0..built.keys.len())
            .filter(|&c| built.system.cells[c].primary)
            .map(|c| built.describe(c))
            .collect();
        assert_eq!(
            primary,
            vec!["« file_active », 2022, service A, tranche_age = 0-10 ans"]
        );
    }

    #[test]
    fn a_small_band_is_protected_across_margins_and_perimeters() {
        let (mut rows, dir) = rows();
        let report = protect(&mut rows, &dir, &Settings::default()).unwrap();
        let status = |s: Option<&str>, org: Option<&str>, band: Option<&str>, id: &str| {
            rows.iter()
                .find(|r| {
                    r.indicateur == id
                        && r.service.as_deref() == s
                        && r.service.is_some() == s.is_some()
                        && r.organisation.as_deref() == org
                        && r.modalite.as_deref() == band
                        && (org.is_some() || s.is_some() || r.code_territoire.is_none())
                })
                .map(|r| r.statut)
                .unwrap()
        };
        // A's 3 children aged 0-10: primary. Its 40 older children would give it away
        // (43 − 40), and B's 30 young ones (33 − 30 at every pooled level): so the
        // smallest cells that close the cycle A-young, A-old, B-old, B-young are
        // suppressed, and the totals stay published.
        assert_eq!(
            status(Some("A"), Some("O"), Some("0-10 ans"), BY_AGE),
            CellStatus::Primary
        );
        assert_eq!(
            status(Some("A"), Some("O"), Some("11-17 ans"), BY_AGE),
            CellStatus::Secondary
        );
        assert_eq!(
            status(Some("B"), Some("O"), Some("0-10 ans"), BY_AGE),
            CellStatus::Secondary
        );
        assert_eq!(
            status(Some("B"), Some("O"), Some("11-17 ans"), BY_AGE),
            CellStatus::Secondary
        );
        assert_eq!(
            status(Some("A"), Some("O"), None, ACTIVE_FILE),
            CellStatus::Published
        );
        assert_eq!(
            status(None, None, Some("0-10 ans"), BY_AGE),
            CellStatus::Published
        );
        assert_eq!(report.ensemble.secret_primaire, 1);
        assert_eq!(report.ensemble.secret_secondaire, 3);
        // A withheld share shows neither its value nor its numerator.
        let hidden = rows
            .iter()
            .find(|r| r.statut == CellStatus::Primary)
            .unwrap();
        assert_eq!((hidden.valeur, hidden.numerateur), (None, None));
        assert_eq!(hidden.denominateur, Some(43.0));
    }
}
