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

/// Where a figure is, as texts: territory level, territory code, organisation, service.
type Place = (String, Option<String>, Option<String>, Option<String>);

/// A cell: quantity, year, place (territory level, territory code, organisation,
/// service) and breakdown (dimension, modality), the texts as numbers of the rows'
/// distinct texts — `0` for a text the row does not have; the breakdown is `[0, 0]` for
/// a measure not broken down, or a row without both its dimension and its modality.
/// The numbers follow the texts' order, so keys sort
/// as the texts they stand for would (`None` first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey {
    pub quantity: &'static str,
    pub year: i32,
    pub place: [u32; 4],
    pub breakdown: [u32; 2],
}

/// The system and, for each row, the cells of its numerator and denominator.
pub struct Built {
    pub system: System,
    pub keys: Vec<CellKey>,
    /// The texts of the keys' numbers (`texts[0]` is unused: no text).
    pub texts: Vec<String>,
    pub row_cells: Vec<(Option<usize>, Option<usize>)>,
    /// Rows that gave another value to a cell already seen (a modelling error: two
    /// definitions name one quantity for different counts).
    pub conflicts: usize,
}

impl Built {
    /// Where a cell is, in French, for error messages (never its value).
    pub fn describe(&self, cell: usize) -> String {
        let k = &self.keys[cell];
        let text = |id: u32| (id != 0).then(|| self.texts[id as usize].as_str());
        let [level, code, org, service] = k.place.map(text);
        let mut s = format!("« {} », {}", k.quantity, k.year);
        match (service, org, code) {
            (Some(sv), _, _) => s.push_str(&format!(", service {sv}")),
            (None, Some(o), _) => s.push_str(&format!(", organisation {o}")),
            (None, None, Some(c)) => s.push_str(&format!(", {} {c}", level.unwrap_or(""))),
            _ => s.push_str(", ensemble du réseau"),
        }
        if let [Some(d), Some(m)] = k.breakdown.map(text) {
            s.push_str(&format!(", {d} = {m}"));
        }
        s
    }
}

/// The distinct texts of the rows' places and breakdowns, numbered from 1 in text
/// order: a key's six texts are hashed and compared as numbers, where
/// a national network's million look-ups of keys of four to six texts were most of
/// building its 290 000 cells (docs/architecture.md, « Disclosure control at national scale »).
struct Names<'a> {
    ids: PlHashMap<&'a str, u32>,
}

/// A row's texts as numbers: territory level, code, organisation, service, breakdown
/// dimension and modality.
type RowIds = [u32; 6];

impl<'a> Names<'a> {
    /// The names of `rows`' texts, and each row's numbers.
    fn of(rows: &'a [IndicatorRow]) -> (Names<'a>, Vec<RowIds>) {
        let mut ids: PlHashMap<&'a str, u32> = PlHashMap::default();
        let mut texts: Vec<&'a str> = Vec::new();
        let mut number = |t: Option<&'a str>| match t {
            None => 0,
            Some(t) => *ids.entry(t).or_insert_with(|| {
                texts.push(t);
                texts.len() as u32
            }),
        };
        let mut row_ids: Vec<RowIds> = rows
            .iter()
            .map(|r| {
                [
                    number(Some(&r.niveau_territoire)),
                    number(r.code_territoire.as_deref()),
                    number(r.organisation.as_deref()),
                    number(r.service.as_deref()),
                    number(r.ventilation.as_deref()),
                    number(r.modalite.as_deref()),
                ]
            })
            .collect();
        // Renumbered in text order: `rank[first number] = number in order`.
        let mut order: Vec<u32> = (1..=texts.len() as u32).collect();
        order.sort_unstable_by_key(|&i| texts[i as usize - 1]);
        let mut rank = vec![0u32; texts.len() + 1];
        for (at, &i) in order.iter().enumerate() {
            rank[i as usize] = at as u32 + 1;
        }
        for r in &mut row_ids {
            *r = r.map(|i| rank[i as usize]);
        }
        for v in ids.values_mut() {
            *v = rank[*v as usize];
        }
        (Names { ids }, row_ids)
    }

    /// The number of a text; `None` when no row has it.
    fn get(&self, t: &str) -> Option<u32> {
        self.ids.get(t).copied()
    }

    /// The numbers of a place's texts; `None` when a text is in no row (so no cell is
    /// there).
    fn place(&self, p: &Place) -> Option<[u32; 4]> {
        let opt = |t: &Option<String>| t.as_deref().map_or(Some(0), |t| self.get(t));
        Some([self.get(&p.0)?, opt(&p.1)?, opt(&p.2)?, opt(&p.3)?])
    }

    /// The texts by number (index 0: no text).
    fn texts(&self) -> Vec<String> {
        let mut texts = vec![String::new(); self.ids.len() + 1];
        for (t, &i) in &self.ids {
            texts[i as usize] = t.to_string();
        }
        texts
    }
}

fn place_of(r: &IndicatorRow) -> Place {
    (
        r.niveau_territoire.clone(),
        r.code_territoire.clone(),
        r.organisation.clone(),
        r.service.clone(),
    )
}

/// Builds the system of every row's cells, with primary cells marked.
pub fn build(rows: &[IndicatorRow], dir: &Directory, settings: &Settings) -> Built {
    let (names, row_ids) = Names::of(rows);
    let mut b = Builder {
        index: PlHashMap::with_capacity_and_hasher(rows.len(), Default::default()),
        ..Builder::default()
    };
    let mut row_cells = Vec::with_capacity(rows.len());
    // Rows come grouped by indicator: its definition is looked up once a run of rows.
    let mut last: Option<(&str, Option<crate::indicators::IndicatorDef>)> = None;
    for (r, ids) in rows.iter().zip(&row_ids) {
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
        let num = b.side(r, ids, s.numerateur, r.numerateur, num_persons, settings);
        let den = b.side(
            r,
            ids,
            s.denominateur,
            r.denominateur,
            r.effectif_denominateur,
            settings,
        );
        row_cells.push((num, den));
    }
    drop(row_ids);
    let Builder {
        index,
        keys,
        cells,
        conflicts,
    } = b;
    // The three kinds of relations read the cells alone: made at once, then put in
    // their one order (breakdowns, perimeters, network twins).
    let ((mut relations, perimeters), twins) = rayon::join(
        || {
            rayon::join(
                || {
                    let mut out = Vec::new();
                    breakdown_relations(&keys, &index, &mut out);
                    out
                },
                || {
                    let mut out = Vec::new();
                    perimeter_relations(&keys, &index, &names, dir, &mut out);
                    out
                },
            )
        },
        || {
            let mut out = Vec::new();
            network_twin_relations(&index, &names, &mut out);
            out
        },
    );
    relations.extend(perimeters);
    relations.extend(twins);
    Built {
        system: System { cells, relations },
        keys,
        texts: names.texts(),
        row_cells,
        conflicts,
    }
}

/// The cells met so far, by key, and the conflicts between rows.
#[derive(Default)]
struct Builder {
    index: PlHashMap<CellKey, usize>,
    keys: Vec<CellKey>,
    cells: Vec<Cell>,
    conflicts: usize,
}

impl Builder {
    /// The cell of one side of row `r` (its texts' numbers `ids`, measure `m`, its
    /// value and the persons behind it), shared with the rows that name the same cell;
    /// `None` for a free measure or an unknown value.
    fn side(
        &mut self,
        r: &IndicatorRow,
        ids: &RowIds,
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
        let [level, code, org, service, dim, modality] = *ids;
        let key = CellKey {
            quantity: m.quantity,
            year: r.periode + m.year_offset,
            place: [level, code, org, service],
            // A breakdown is a dimension and a modality, both.
            breakdown: if m.breakdown && dim != 0 && modality != 0 {
                [dim, modality]
            } else {
                [0, 0]
            },
        };
        // A total the funding authority already holds (docs/architecture.md,
        // « Audiences »): known to the reader, never secret.
        let known = settings.audience == Audience::Authority
            && key.breakdown == [0, 0]
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
                self.keys.push(key);
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
    names: &Names,
    relations: &mut Vec<Vec<(usize, i64)>>,
) {
    let Some(network) = names.get("ensemble") else {
        return;
    };
    for (a, b) in SAME_FOR_WHOLE_NETWORK {
        // In key order (the map has none), so the relations come in a fixed order.
        let mut cells: Vec<(&CellKey, usize)> = index
            .iter()
            .filter(|(k, _)| k.quantity == a && k.place == [network, 0, 0, 0])
            .map(|(k, &c)| (k, c))
            .collect();
        cells.sort_unstable_by(|x, y| x.0.cmp(y.0));
        for (k, ca) in cells {
            let twin = CellKey { quantity: b, ..*k };
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
    let mut groups: BTreeMap<(&'static str, i32, [u32; 4], u32), Vec<usize>> = BTreeMap::new();
    for (c, k) in keys.iter().enumerate() {
        if k.breakdown[0] != 0 {
            groups
                .entry((k.quantity, k.year, k.place, k.breakdown[0]))
                .or_default()
                .push(c);
        }
    }
    for ((quantity, year, place, _), parts) in groups {
        let total = CellKey {
            quantity,
            year,
            place,
            breakdown: [0, 0],
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
    names: &Names,
    dir: &Directory,
    out: &mut Vec<Vec<(usize, i64)>>,
) {
    type Group = (&'static str, i32, [u32; 2]);
    let department = names.get("departement");
    let mut services: BTreeMap<Group, Vec<usize>> = BTreeMap::new();
    let mut departments: BTreeMap<Group, Vec<usize>> = BTreeMap::new();
    for (c, k) in keys.iter().enumerate() {
        let g = (k.quantity, k.year, k.breakdown);
        if k.place[3] != 0 {
            services.entry(g).or_default().push(c);
        } else if Some(k.place[0]) == department && k.place[2] == 0 {
            departments.entry(g).or_default().push(c);
        }
    }
    let parent_cell = |g: &Group, place: [u32; 4]| {
        index
            .get(&CellKey {
                quantity: g.0,
                year: g.1,
                place,
                breakdown: g.2,
            })
            .copied()
    };
    let texts = names.texts();
    // The places a service counts in, once per service (not once per cell: a national
    // run has hundreds of thousands of service cells for about a thousand services);
    // a place whose texts no row has holds no cell.
    let mut parents_of: PlHashMap<u32, Vec<[u32; 4]>> = PlHashMap::default();
    for (g, cells) in &services {
        let mut children: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &c in cells {
            let service = keys[c].place[3];
            let places = parents_of.entry(service).or_insert_with(|| {
                Perimeter::of_service(dir, &texts[service as usize])
                    .into_iter()
                    .filter(|p| !matches!(p, Perimeter::Service(_)))
                    .filter_map(|p| names.place(&place_of(&p.row(dir, "", 0))))
                    .collect()
            });
            for &place in places.iter() {
                if let Some(parent) = parent_cell(g, place) {
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
    let Some(network) = names.get("ensemble") else {
        return;
    };
    for (g, cells) in &departments {
        if services.contains_key(g) {
            continue;
        }
        if let Some(parent) = parent_cell(g, [network, 0, 0, 0]) {
            let mut r: Vec<(usize, i64)> = cells.iter().map(|&c| (c, 1)).collect();
            r.push((parent, -1));
            out.push(sorted(r));
        }
    }
}

#[cfg(test)]
mod tests;
