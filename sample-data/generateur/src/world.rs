//! The synthetic world: children, their accompaniments in the four services,
//! and the DITEP's aggregated activity. Everything is drawn from one seeded
//! random stream, in a fixed order, with ordered collections only.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;

use crate::dates::{
    Date, age, avoid_year_edges, date, days_in_year, days_inclusive, minus_years, next_weekday,
    plus_days, plus_months, plus_years, random_date,
};
use crate::names::{COMMUNES_15, NOMS, PRENOMS_F, PRENOMS_M, fold, has_accent, strip_accents};
use crate::rng::Rng;

/// First year present in the files.
pub const FIRST_YEAR: i32 = 2019;
/// Last year present in the files.
pub const LAST_YEAR: i32 = 2023;
/// Years covered by the indicators (and by the truth file).
pub const INDICATOR_YEARS: [i32; 4] = [2020, 2021, 2022, 2023];

/// Exact APMN measure-days per year (inclusive-end convention).
pub const APMN_TARGETS: [(i32, i64); 4] = [
    (2020, 27_358),
    (2021, 28_482),
    (2022, 28_797),
    (2023, 31_441),
];

/// Shortest APMN measure: `end - start >= MIN_SPAN` days (about 3 months).
const MIN_SPAN: i64 = 89;

/// The four member services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    /// ANEF Cantal, milieu ouvert.
    Apmn,
    /// Association Les Volcans, MECS Les Tilleuls.
    Mecs,
    /// Association Les Chemins, DITEP Le Cèdre.
    Ditep,
    /// Entraide 63, placement familial Les Puys.
    Pf,
}

impl Service {
    /// All services, in registry order.
    pub const ALL: [Service; 4] = [Service::Apmn, Service::Mecs, Service::Ditep, Service::Pf];

    /// Fixed service code.
    pub fn code(self) -> &'static str {
        match self {
            Service::Apmn => "APMN-15",
            Service::Mecs => "MECS-63",
            Service::Ditep => "DITEP-15",
            Service::Pf => "PF-63",
        }
    }

    /// Département of the service.
    pub fn departement(self) -> &'static str {
        match self {
            Service::Apmn | Service::Ditep => "15",
            Service::Mecs | Service::Pf => "63",
        }
    }

    /// Whether the service is a child-protection service.
    pub fn child_protection(self) -> bool {
        self != Service::Ditep
    }

    /// Authorised capacity (measures for the APMN, places otherwise).
    pub fn capacity(self, year: i32) -> i64 {
        match self {
            Service::Apmn => {
                if year >= 2023 {
                    73
                } else {
                    65
                }
            }
            Service::Mecs => 30,
            Service::Ditep => 45,
            Service::Pf => 40,
        }
    }

    /// Opening days of a year.
    pub fn opening_days(self, year: i32) -> i64 {
        match self {
            Service::Ditep => match year {
                2020 => 196,
                2022 => 208,
                _ => 210,
            },
            _ => days_in_year(year),
        }
    }

    /// Whether the exit day is counted (measures) or not (placements).
    pub fn inclusive_end(self) -> bool {
        self == Service::Apmn
    }
}

/// Sex of a child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sex {
    /// Girl.
    F,
    /// Boy.
    M,
}

/// How the DITEP file misspells a child also known to child protection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum VariantKind {
    /// `Lefèvre` → `Lefevre`.
    AccentLost,
    /// `Marie-Ève` → `Marie Ève`.
    HyphenToSpace,
    /// Two adjacent letters swapped in the surname.
    SwappedLetters,
    /// Mother's name left empty.
    MotherMissing,
}

impl VariantKind {
    /// Label used in the truth file.
    pub fn label(self) -> &'static str {
        match self {
            VariantKind::AccentLost => "accent_perdu",
            VariantKind::HyphenToSpace => "trait_d_union_remplace_par_espace",
            VariantKind::SwappedLetters => "deux_lettres_interverties",
            VariantKind::MotherMissing => "nom_de_la_mere_absent",
        }
    }
}

/// The DITEP file's spelling of a child.
#[derive(Clone, Debug)]
pub struct Spelling {
    /// Kind of variation.
    pub kind: VariantKind,
    /// Surname as written in the DITEP file.
    pub nom: String,
    /// First name as written in the DITEP file.
    pub prenom: String,
    /// Mother's name as written in the DITEP file.
    pub mother: Option<String>,
}

/// One invented child.
#[derive(Clone, Debug)]
pub struct Child {
    /// First name (canonical spelling).
    pub prenom: String,
    /// Surname (canonical spelling).
    pub nom: String,
    /// Date of birth.
    pub birth: Date,
    /// Sex.
    pub sex: Sex,
    /// Mother's maiden name, if known.
    pub mother: Option<String>,
    /// When the mother's name is unknown, the APMN file writes `NR` (else empty).
    pub mother_nr: bool,
    /// Commune of residence (Cantal), used by the APMN file.
    pub commune: &'static str,
    /// Département of origin, used by the MECS file.
    pub origin: &'static str,
    /// MDPH notification (DITEP file).
    pub mdph: bool,
    /// Different spelling in the DITEP file, if any.
    pub ditep_spelling: Option<Spelling>,
}

/// One measure, admission or placement of a child in a service.
#[derive(Clone, Debug)]
pub struct Stay {
    /// Index into [`World::children`].
    pub child: usize,
    /// Service.
    pub service: Service,
    /// First day.
    pub start: Date,
    /// Last day (measures) or exit day (placements); `None` while open.
    pub end: Option<Date>,
    /// Measure type (APMN), status (MECS, PF) or modality (DITEP).
    pub kind: &'static str,
    /// Exit reason (closed stays only).
    pub exit_reason: Option<&'static str>,
    /// MECS only: the exit reason cell is a formula cached as `#N/A`.
    pub exit_formula: bool,
    /// Exit forced by the age limit.
    pub capped: bool,
    /// Created to make a DITEP child also known to child protection.
    pub forced: bool,
}

impl Stay {
    /// Whether the stay has at least one day in `from..=to` (inclusive rule).
    pub fn touches(&self, from: Date, to: Date) -> bool {
        self.start <= to && self.end.is_none_or(|e| e >= from)
    }

    /// Whether the child is accompanied on day `d`, with the service's own
    /// convention for the exit day.
    pub fn active_on(&self, d: Date) -> bool {
        if self.start > d {
            return false;
        }
        match self.end {
            None => true,
            Some(e) if self.service.inclusive_end() => e >= d,
            Some(e) => e > d,
        }
    }
}

/// One month of the DITEP activity sheet.
#[derive(Clone, Debug)]
pub struct DitepMonth {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Days realised; `None` is written `ND`.
    pub realised: Option<i64>,
    /// Planned days.
    pub planned: i64,
}

/// The whole synthetic world.
#[derive(Clone, Debug)]
pub struct World {
    /// Every child ever created (some may have no stay left).
    pub children: Vec<Child>,
    /// Every stay, all services.
    pub stays: Vec<Stay>,
    /// DITEP monthly activity, 2019-01 to 2023-12.
    pub ditep_activity: Vec<DitepMonth>,
}

impl World {
    /// Stays of one service.
    pub fn stays_of(&self, service: Service) -> impl Iterator<Item = &Stay> {
        self.stays.iter().filter(move |s| s.service == service)
    }

    /// Whether the child has a child-protection stay overlapping one of
    /// their DITEP stays (both ends inclusive).
    pub fn ditep_child_has_cp_overlap(&self, child: usize) -> bool {
        let mine: Vec<&Stay> = self.stays.iter().filter(|s| s.child == child).collect();
        mine.iter()
            .filter(|s| s.service == Service::Ditep)
            .any(|d| {
                let d_end = d.end.unwrap_or(Date::MAX);
                mine.iter().any(|c| {
                    c.service.child_protection()
                        && c.start <= d_end
                        && c.end.is_none_or(|e| e >= d.start)
                })
            })
    }

    /// Sum of inclusive measure-days of a service in a year.
    pub fn measure_days(&self, service: Service, year: i32) -> i64 {
        let (from, to) = (date(year, 1, 1), date(year, 12, 31));
        self.stays_of(service)
            .map(|s| days_inclusive(s.start, s.end, from, to))
            .sum()
    }

    /// Children present on day `d` in a placement service (exit day excluded).
    pub fn present_on(&self, service: Service, d: Date) -> usize {
        self.stays_of(service).filter(|s| s.active_on(d)).count()
    }
}

/// Builds the world from the seed; also returns the random stream, which the
/// writers continue to use (for cell-level quirks).
pub fn build(seed: u64) -> Result<(World, Rng), String> {
    let mut b = Builder {
        rng: Rng::new(seed),
        children: Vec::new(),
        stays: Vec::new(),
        keys: BTreeSet::new(),
    };
    b.build_ditep();
    b.build_cross();
    b.build_variants();
    b.build_apmn()?;
    b.build_placements(Service::Mecs);
    b.build_placements(Service::Pf);
    b.assign_exit_reasons();
    b.choose_formula_rows();
    b.ensure_ligature_in_pf();
    let ditep_activity = b.build_ditep_activity();
    let world = World {
        children: b.children,
        stays: b.stays,
        ditep_activity,
    };
    Ok((world, b.rng))
}

struct Builder {
    rng: Rng,
    children: Vec<Child>,
    stays: Vec<Stay>,
    /// Folded `nom|prénom` of every spelling in use.
    keys: BTreeSet<String>,
}

fn name_key(nom: &str, prenom: &str) -> String {
    format!("{}|{}", fold(nom), fold(prenom))
}

fn end_of_files() -> Date {
    date(LAST_YEAR, 12, 31)
}

/// An end date past the files' horizon means "still open".
fn open_if_future(end: Date) -> Option<Date> {
    if end > end_of_files() {
        None
    } else {
        Some(end)
    }
}

impl Builder {
    // ---------------------------------------------------------------- people

    /// A birth date giving an age in `lo..=hi` at `at`.
    fn birth_for_age(&mut self, lo: i32, hi: i32, at: Date) -> Date {
        let a = self.rng.range(i64::from(lo), i64::from(hi)) as u32;
        let latest = minus_years(at, a);
        let earliest = plus_days(minus_years(at, a + 1), 1);
        random_date(&mut self.rng, earliest, latest)
    }

    /// Registers a new child with a unique name.
    fn new_child(&mut self, birth: Date) -> usize {
        let sex = if self.rng.chance(0.5) { Sex::F } else { Sex::M };
        let firsts = if sex == Sex::F { PRENOMS_F } else { PRENOMS_M };
        let mut tries = 0u32;
        let (prenom, nom) = loop {
            tries += 1;
            let p = (*self.rng.pick(firsts)).to_string();
            let mut n = (*self.rng.pick(NOMS)).to_string();
            if tries > 200 {
                // Pool nearly exhausted: double-barrelled surname.
                let second = *self.rng.pick(NOMS);
                n = format!("{n}-{second}");
            }
            if fold(&p) == fold(&n) {
                continue;
            }
            if self.keys.insert(name_key(&n, &p)) {
                break (p, n);
            }
        };
        let mother = if self.rng.chance(0.05) {
            None
        } else {
            loop {
                let m = *self.rng.pick(NOMS);
                if fold(m) != fold(&nom) {
                    break Some(m.to_string());
                }
            }
        };
        let mother_nr = self.rng.chance(0.7);
        let commune = *self.rng.pick(COMMUNES_15);
        let origin = ["63", "15", "03", "43"][self.rng.weighted(&[85, 5, 5, 5])];
        let mdph = self.rng.chance(0.92);
        self.children.push(Child {
            prenom,
            nom,
            birth,
            sex,
            mother,
            mother_nr,
            commune,
            origin,
            mdph,
            ditep_spelling: None,
        });
        self.children.len() - 1
    }

    fn push(
        &mut self,
        child: usize,
        service: Service,
        start: Date,
        end: Option<Date>,
        kind: &'static str,
    ) {
        self.stays.push(Stay {
            child,
            service,
            start,
            end,
            kind,
            exit_reason: None,
            exit_formula: false,
            capped: false,
            forced: false,
        });
    }

    fn active_count(&self, service: Service, d: Date) -> usize {
        self.stays
            .iter()
            .filter(|s| s.service == service && s.active_on(d))
            .count()
    }

    /// A child of `service` whose last stay there ended `min_gap..=max_gap`
    /// days before `at`, aged at most `max_age` at `at`.
    fn returning_child(
        &mut self,
        service: Service,
        at: Date,
        min_gap: i64,
        max_gap: i64,
        max_age: i32,
    ) -> Option<usize> {
        let mut last: BTreeMap<usize, Option<Date>> = BTreeMap::new();
        for s in self.stays.iter().filter(|s| s.service == service) {
            let e = last.entry(s.child).or_insert(s.end);
            *e = match (*e, s.end) {
                (None, _) | (_, None) => None,
                (Some(a), Some(b)) => Some(a.max(b)),
            };
        }
        let candidates: Vec<usize> = last
            .into_iter()
            .filter_map(|(c, end)| {
                let end = end?;
                let gap = (at - end).num_days();
                let ok = (min_gap..=max_gap).contains(&gap)
                    && age(self.children[c].birth, at) <= max_age;
                ok.then_some(c)
            })
            .collect();
        if candidates.is_empty() {
            None
        } else {
            Some(*self.rng.pick(&candidates))
        }
    }

    // ----------------------------------------------------------------- DITEP

    fn school_start(&mut self, y: i32) -> Date {
        next_weekday(date(y, 9, 1 + self.rng.range(0, 4) as u32))
    }

    fn school_end(&mut self, y: i32) -> Date {
        next_weekday(date(y, 7, 3 + self.rng.range(0, 4) as u32))
    }

    fn ditep_modality(&mut self) -> &'static str {
        ["internat", "semi-internat", "ambulatoire"][self.rng.weighted(&[30, 50, 20])]
    }

    /// Exit of a DITEP stay admitted on `adm` (None = still open).
    fn ditep_exit(&mut self, adm: Date, birth: Date) -> Option<Date> {
        let school_year = if adm.month() >= 8 {
            adm.year()
        } else {
            adm.year() - 1
        };
        let k = [2, 3, 4, 5, 6, 7][self.rng.weighted(&[1, 2, 3, 4, 4, 3])];
        let y = (school_year + k).max(FIRST_YEAR);
        let mut exit = if self.rng.chance(0.88) {
            self.school_end(y)
        } else {
            random_date(&mut self.rng, date(y - 1, 10, 1), date(y, 6, 15))
        };
        let cap = plus_years(birth, 20);
        if exit > cap {
            exit = if self.school_end(cap.year()) <= cap {
                date(cap.year(), 7, 5)
            } else {
                date(cap.year() - 1, 7, 5)
            };
        }
        let floor = plus_days(adm.max(date(FIRST_YEAR, 1, 1)), 120);
        if exit < floor {
            exit = floor;
        }
        open_if_future(avoid_year_edges(exit))
    }

    fn add_ditep(&mut self, adm: Date, age_lo: i32, age_hi: i32) {
        let birth = self.birth_for_age(age_lo, age_hi, adm);
        let child = self.new_child(birth);
        let exit = self.ditep_exit(adm, birth);
        let kind = self.ditep_modality();
        self.push(child, Service::Ditep, adm, exit, kind);
    }

    fn build_ditep(&mut self) {
        // Cohort present on 1 January 2019, admitted 2013–2018.
        for _ in 0..45 {
            let a = 2013 + self.rng.weighted(&[1, 2, 3, 4, 5, 6]) as i32;
            let adm = if self.rng.chance(0.85) {
                self.school_start(a)
            } else {
                let to = date(a + 1, 5, 31).min(date(2018, 12, 14));
                next_weekday(random_date(&mut self.rng, date(a, 10, 1), to))
            };
            self.add_ditep(adm, 6, 13);
        }
        // Each September the places freed in July are filled again; a few
        // admissions also happen during the school year.
        for y in FIRST_YEAR..=LAST_YEAR {
            if self.rng.chance(0.6) {
                let adm = next_weekday(random_date(&mut self.rng, date(y, 1, 5), date(y, 3, 31)));
                self.add_ditep(adm, 7, 14);
            }
            let present = self.active_count(Service::Ditep, date(y, 9, 15));
            let wanted = 45 + self.rng.range(-1, 1);
            for _ in present as i64..wanted {
                let adm = if self.rng.chance(0.8) {
                    self.school_start(y)
                } else {
                    next_weekday(random_date(&mut self.rng, date(y, 9, 15), date(y, 11, 30)))
                };
                self.add_ditep(adm, 6, 14);
            }
        }
    }

    fn build_ditep_activity(&mut self) -> Vec<DitepMonth> {
        let mut out = Vec::new();
        for y in FIRST_YEAR..=LAST_YEAR {
            let od = Service::Ditep.opening_days(y);
            let planned = ((45 * od) as f64 / 12.0).round() as i64;
            let mut nd: Vec<u32> = (1..=12).collect();
            self.rng.shuffle(&mut nd);
            let nd: Vec<u32> = if y == FIRST_YEAR {
                nd[..3].to_vec()
            } else {
                Vec::new()
            };
            for m in 1..=12u32 {
                let ratio = 0.85 + 0.10 * self.rng.unit();
                let realised = (!nd.contains(&m)).then(|| (planned as f64 * ratio).round() as i64);
                out.push(DitepMonth {
                    year: y,
                    month: m,
                    realised,
                    planned,
                });
            }
        }
        out
    }

    // ------------------------------------------------- cross-source children

    /// About 30 % of the DITEP children also get a child-protection stay
    /// that overlaps their DITEP stay.
    fn build_cross(&mut self) {
        let ditep: Vec<(usize, Date, Date)> = self
            .stays
            .iter()
            .filter(|s| s.service == Service::Ditep)
            .map(|s| (s.child, s.start, s.end.unwrap_or(end_of_files())))
            .collect();
        let n_cross = ((ditep.len() as f64) * 0.30).round() as usize;
        let mut eligible: Vec<(usize, Date, Date)> = ditep
            .iter()
            .filter_map(|&(c, s, e)| {
                let lo = s.max(date(FIRST_YEAR, 1, 7));
                let hi = plus_days(e.min(date(LAST_YEAR, 11, 15)), -45);
                ((hi - lo).num_days() >= 60).then_some((c, lo, hi))
            })
            .collect();
        self.rng.shuffle(&mut eligible);
        let cycle = [
            Service::Apmn,
            Service::Mecs,
            Service::Apmn,
            Service::Pf,
            Service::Apmn,
            Service::Pf,
            Service::Mecs,
        ];
        let mut made = 0usize;
        for (i, &(child, lo, hi)) in eligible.iter().enumerate() {
            if made == n_cross {
                break;
            }
            let start = next_weekday(random_date(&mut self.rng, lo, hi));
            let a = age(self.children[child].birth, start);
            let first = cycle[i % cycle.len()];
            let order = [first, Service::Apmn, Service::Pf, Service::Mecs];
            let Some(service) = order.into_iter().find(|s| match s {
                Service::Apmn => a <= 15,
                Service::Pf => a <= 16,
                Service::Mecs => a <= 19,
                Service::Ditep => false,
            }) else {
                continue;
            };
            let before = self.stays.len();
            match service {
                Service::Apmn => {
                    let kind = self.apmn_kind();
                    let m = self.rng.range(6, 24) as u32;
                    let end = avoid_year_edges(plus_days(plus_months(start, m), -1));
                    self.push(child, service, start, open_if_future(end), kind);
                }
                _ => {
                    if service == Service::Mecs {
                        self.children[child].origin = "15";
                    }
                    self.add_placement(service, start, Some(child));
                }
            }
            for s in &mut self.stays[before..] {
                s.forced = true;
            }
            made += 1;
        }
    }

    /// About a quarter of the cross-source children are spelled differently
    /// in the DITEP file.
    fn build_variants(&mut self) {
        let mut cross: Vec<usize> = self
            .stays
            .iter()
            .filter(|s| s.forced)
            .map(|s| s.child)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        self.rng.shuffle(&mut cross);
        let n = (cross.len() as f64 / 4.0).round() as usize;
        let kinds = [
            VariantKind::AccentLost,
            VariantKind::HyphenToSpace,
            VariantKind::SwappedLetters,
            VariantKind::MotherMissing,
        ];
        let mut done = 0usize;
        let mut k = 0usize;
        let mut attempts = 0usize;
        while done < n && attempts < 4 * kinds.len() {
            attempts += 1;
            let kind = kinds[k % kinds.len()];
            k += 1;
            let found = cross.iter().copied().find_map(|c| {
                let ch = &self.children[c];
                if ch.ditep_spelling.is_some() {
                    return None;
                }
                let (nom, prenom, mother) = match kind {
                    VariantKind::AccentLost if has_accent(&ch.nom) => {
                        (strip_accents(&ch.nom), ch.prenom.clone(), ch.mother.clone())
                    }
                    VariantKind::HyphenToSpace if ch.prenom.contains('-') => (
                        ch.nom.clone(),
                        ch.prenom.replace('-', " "),
                        ch.mother.clone(),
                    ),
                    VariantKind::SwappedLetters => {
                        let swapped = swap_letters(&ch.nom)?;
                        (swapped, ch.prenom.clone(), ch.mother.clone())
                    }
                    VariantKind::MotherMissing if ch.mother.is_some() => {
                        (ch.nom.clone(), ch.prenom.clone(), None)
                    }
                    _ => return None,
                };
                Some((
                    c,
                    Spelling {
                        kind,
                        nom,
                        prenom,
                        mother,
                    },
                ))
            });
            if let Some((c, spelling)) = found {
                if kind == VariantKind::SwappedLetters {
                    // The misspelled name must not be someone else's name.
                    if !self.keys.insert(name_key(&spelling.nom, &spelling.prenom)) {
                        continue;
                    }
                }
                self.children[c].ditep_spelling = Some(spelling);
                done += 1;
                attempts = 0;
            }
        }
    }

    // ------------------------------------------------------------------ APMN

    fn apmn_kind(&mut self) -> &'static str {
        ["AED", "AEMO", "AEMO R", "OPP"][self.rng.weighted(&[25, 48, 15, 12])]
    }

    /// Last day of a measure starting on `start` (3–30 months, some ended early).
    fn apmn_end(&mut self, start: Date) -> Date {
        let months = if self.rng.chance(0.6) {
            *self.rng.pick(&[6u32, 6, 12, 12, 12, 18, 24, 24])
        } else {
            self.rng.range(3, 30) as u32
        };
        let planned = plus_days(plus_months(start, months), -1);
        let end = if self.rng.chance(0.25) {
            random_date(
                &mut self.rng,
                plus_days(start, MIN_SPAN),
                planned.max(plus_days(start, MIN_SPAN)),
            )
        } else {
            planned
        };
        avoid_year_edges(end.max(plus_days(start, MIN_SPAN)))
    }

    fn add_apmn(&mut self, start: Date, child: Option<usize>) {
        let child = match child {
            Some(c) => c,
            None => {
                let birth = self.birth_for_age(0, 15, start);
                self.new_child(birth)
            }
        };
        let kind = self.apmn_kind();
        let end = self.apmn_end(start);
        self.push(child, Service::Apmn, start, open_if_future(end), kind);
    }

    fn add_apmn_refill(b: &mut Builder, start: Date) {
        let again = if b.rng.chance(0.10) {
            b.returning_child(Service::Apmn, start, 60, 900, 15)
        } else {
            None
        };
        b.add_apmn(start, again);
    }

    fn build_apmn(&mut self) -> Result<(), String> {
        // Backlog: measures started in 2018 and still running on 1 January 2019.
        let jan1 = date(FIRST_YEAR, 1, 1);
        while self.active_count(Service::Apmn, jan1) < 72 {
            let start = next_weekday(random_date(
                &mut self.rng,
                date(2018, 1, 2),
                date(2018, 12, 20),
            ));
            let end = self.apmn_end(start);
            if end < jan1 {
                continue;
            }
            let birth = self.birth_for_age(0, 15, start);
            let child = self.new_child(birth);
            let kind = self.apmn_kind();
            self.push(child, Service::Apmn, start, open_if_future(end), kind);
        }
        // Weekly refill towards the yearly mean of the exact targets.
        let base = |y: i32| match APMN_TARGETS.iter().find(|(ty, _)| *ty == y) {
            Some(&(_, t)) => t as f64 / days_in_year(y) as f64,
            None => 72.0,
        };
        self.refill(Service::Apmn, &base, 2.0, Builder::add_apmn_refill);
        self.tune_apmn()
    }

    /// Weekly (Mondays) top-up of a service towards a seasonal target.
    fn refill(
        &mut self,
        service: Service,
        base: &dyn Fn(i32) -> f64,
        amplitude: f64,
        add: fn(&mut Builder, Date),
    ) {
        let mut d = date(FIRST_YEAR, 1, 7);
        while d <= date(LAST_YEAR, 12, 25) {
            // Seasonal shape: a triangle wave (highest in January, lowest in
            // July). Only exact IEEE operations, no libm: identical on every platform.
            let t = f64::from(d.ordinal()) / 366.0;
            let season = 1.0 - 4.0 * t.min(1.0 - t);
            let target = base(d.year()) + amplitude * season;
            let mut active = self.active_count(service, d) as f64;
            while active < target {
                let start = next_weekday(plus_days(d, self.rng.range(0, 4)));
                add(self, start);
                active += 1.0;
                // Placements never exceed the authorised places, even when a
                // cross-source placement already planned starts later on.
                if service != Service::Apmn && self.over_capacity(service, self.stays.len() - 1) {
                    self.stays.pop();
                    break;
                }
            }
            d = plus_days(d, 7);
        }
    }

    /// Whether stay `i` makes its service exceed its places on some day.
    fn over_capacity(&self, service: Service, i: usize) -> bool {
        let s = &self.stays[i];
        let places = service.capacity(LAST_YEAR) as usize;
        let last = s.end.unwrap_or(end_of_files()).min(end_of_files());
        let mut d = s.start;
        while d <= last {
            if self.active_count(service, d) > places {
                return true;
            }
            d = plus_days(d, 1);
        }
        false
    }

    /// Indices of APMN measures whose end may move: started and ended in
    /// `year`, child known only for this one measure.
    fn tunable_within(&self, year: i32) -> Vec<usize> {
        let mut per_child: BTreeMap<usize, usize> = BTreeMap::new();
        for s in &self.stays {
            *per_child.entry(s.child).or_insert(0) += 1;
        }
        self.stays
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.service == Service::Apmn
                    && !s.forced
                    && s.start.year() == year
                    && s.end.is_some_and(|e| e.year() == year)
                    && per_child.get(&s.child) == Some(&1)
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Moves end dates of within-year measures (adding or removing a few
    /// within-year measures when needed) until every year hits its target.
    fn tune_apmn(&mut self) -> Result<(), String> {
        for (y, target) in APMN_TARGETS {
            let (from, to) = (date(y, 1, 1), date(y, 12, 31));
            let cap = date(y, 12, 30);
            for _round in 0..10_000 {
                let total: i64 = self
                    .stays
                    .iter()
                    .filter(|s| s.service == Service::Apmn)
                    .map(|s| days_inclusive(s.start, s.end, from, to))
                    .sum();
                let diff = target - total;
                if diff == 0 {
                    break;
                }
                let idx = self.tunable_within(y);
                let slack: Vec<i64> = idx
                    .iter()
                    .map(|&i| {
                        let s = &self.stays[i];
                        let e = s.end.unwrap_or(cap);
                        if diff > 0 {
                            (cap - e).num_days().max(0)
                        } else {
                            ((e - s.start).num_days() - MIN_SPAN).max(0)
                        }
                    })
                    .collect();
                let total_slack: i64 = slack.iter().sum();
                if diff.abs() > total_slack {
                    if diff > 0 {
                        let start =
                            next_weekday(random_date(&mut self.rng, date(y, 1, 2), date(y, 8, 31)));
                        let m = self.rng.range(3, 9) as u32;
                        let end = plus_days(plus_months(start, m), -1).min(cap);
                        let birth = self.birth_for_age(0, 15, start);
                        let child = self.new_child(birth);
                        let kind = self.apmn_kind();
                        self.push(child, Service::Apmn, start, Some(end), kind);
                    } else {
                        if idx.is_empty() {
                            return Err(format!(
                                "APMN {y}: trop de journées et aucune mesure ajustable"
                            ));
                        }
                        let i = *self.rng.pick(&idx);
                        self.stays.remove(i);
                    }
                    continue;
                }
                // Spread the difference in proportion to each measure's slack.
                let need = diff.abs();
                let mut share: Vec<i64> = slack.iter().map(|&s| need * s / total_slack).collect();
                let mut rest = need - share.iter().sum::<i64>();
                let mut j = 0usize;
                while rest > 0 {
                    if share[j] < slack[j] {
                        share[j] += 1;
                        rest -= 1;
                    }
                    j = (j + 1) % share.len();
                }
                for (k, &i) in idx.iter().enumerate() {
                    if let Some(e) = self.stays[i].end {
                        let delta = if diff > 0 { share[k] } else { -share[k] };
                        self.stays[i].end = Some(plus_days(e, delta));
                    }
                }
            }
            let check: i64 = self
                .stays
                .iter()
                .filter(|s| s.service == Service::Apmn)
                .map(|s| days_inclusive(s.start, s.end, from, to))
                .sum();
            if check != target {
                return Err(format!("APMN {y}: cible {target} non atteinte ({check})"));
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------ placements

    /// Adds one MECS or PF placement (new child unless `child` is given).
    fn add_placement(&mut self, service: Service, adm: Date, child: Option<usize>) {
        let (child, birth) = match child {
            Some(c) => (c, self.children[c].birth),
            None => {
                let birth = self.placement_birth(service, adm);
                (self.new_child(birth), birth)
            }
        };
        self.push_placement(service, adm, child, birth);
    }

    fn placement_birth(&mut self, service: Service, adm: Date) -> Date {
        match service {
            Service::Mecs => {
                if self.rng.chance(0.75) {
                    self.birth_for_age(10, 17, adm)
                } else {
                    self.birth_for_age(3, 19, adm)
                }
            }
            _ => {
                if self.rng.chance(0.7) {
                    self.birth_for_age(0, 12, adm)
                } else {
                    self.birth_for_age(0, 16, adm)
                }
            }
        }
    }

    /// Exit day of a placement (`None` = open) and whether the age limit
    /// (21st birthday) forced it.
    fn placement_exit(&mut self, service: Service, adm: Date, birth: Date) -> (Option<Date>, bool) {
        let months = match service {
            Service::Mecs => {
                if self.rng.chance(0.8) {
                    self.rng.range(2, 30)
                } else {
                    self.rng.range(31, 60)
                }
            }
            _ => self.rng.range(6, 72),
        } as u32;
        let mut exit = plus_days(plus_months(adm, months), self.rng.range(-10, 10));
        let limit = plus_days(plus_years(birth, 21), -1);
        let mut capped = false;
        if exit > limit {
            exit = limit;
            capped = true;
        }
        let exit = avoid_year_edges(exit.max(plus_days(adm, 21)));
        (open_if_future(exit), capped)
    }

    fn placement_status(&mut self, adm: Date, birth: Date) -> &'static str {
        if age(birth, adm) >= 18 || !self.rng.chance(0.72) {
            "Accueil provisoire"
        } else {
            "Placement ASE"
        }
    }

    fn push_placement(&mut self, service: Service, adm: Date, child: usize, birth: Date) {
        let (exit, capped) = self.placement_exit(service, adm, birth);
        let kind = self.placement_status(adm, birth);
        self.push(child, service, adm, exit, kind);
        if let Some(s) = self.stays.last_mut() {
            s.capped = capped && exit.is_some();
        }
    }

    fn add_mecs_refill(b: &mut Builder, adm: Date) {
        let again = if b.rng.chance(0.04) {
            b.returning_child(Service::Mecs, adm, 90, 730, 16)
        } else {
            None
        };
        b.add_placement(Service::Mecs, adm, again);
    }

    fn add_pf_refill(b: &mut Builder, adm: Date) {
        let again = if b.rng.chance(0.04) {
            b.returning_child(Service::Pf, adm, 90, 730, 15)
        } else {
            None
        };
        b.add_placement(Service::Pf, adm, again);
    }

    fn build_placements(&mut self, service: Service) {
        let jan1 = date(FIRST_YEAR, 1, 1);
        let (backlog, first_year, weights): (usize, i32, &[u32]) = match service {
            Service::Mecs => (28, 2015, &[1, 2, 3, 5]),
            _ => (37, 2012, &[1, 1, 2, 2, 3, 3, 4]),
        };
        while self.active_count(service, jan1) < backlog {
            let y = first_year + self.rng.weighted(weights) as i32;
            let adm = next_weekday(random_date(&mut self.rng, date(y, 1, 5), date(y, 12, 14)));
            let birth = self.placement_birth(service, adm);
            let (exit, capped) = self.placement_exit(service, adm, birth);
            if exit.is_some_and(|e| e <= plus_days(jan1, 1)) {
                continue;
            }
            let child = self.new_child(birth);
            let kind = self.placement_status(adm, birth);
            self.push(child, service, adm, exit, kind);
            if let Some(s) = self.stays.last_mut() {
                s.capped = capped && exit.is_some();
            }
        }
        match service {
            Service::Mecs => {
                let base = |y: i32| match y {
                    2020 => 27.3,
                    2021 => 28.2,
                    2022 => 28.5,
                    _ => 27.9,
                };
                self.refill(service, &base, 0.8, Builder::add_mecs_refill);
            }
            _ => {
                let base = |y: i32| match y {
                    2020 => 36.6,
                    2021 => 37.4,
                    2022 => 37.8,
                    _ => 37.1,
                };
                self.refill(service, &base, 0.8, Builder::add_pf_refill);
            }
        }
    }

    // ------------------------------------------------------------ finishing

    fn assign_exit_reasons(&mut self) {
        for i in 0..self.stays.len() {
            let s = &self.stays[i];
            let Some(end) = s.end else { continue };
            let child_age = age(self.children[s.child].birth, end);
            let (service, kind, capped) = (s.service, s.kind, s.capped);
            let reason = match service {
                Service::Apmn => {
                    let list: &[&str] = if kind == "AED" {
                        &[
                            "Fin de mesure",
                            "Non-renouvellement",
                            "Fin de l'accord avec la famille",
                            "Placement",
                            "Déménagement hors département",
                            "Transfert vers un autre service",
                        ]
                    } else {
                        &[
                            "Fin de mesure",
                            "Non-renouvellement",
                            "Mainlevée",
                            "Placement",
                            "Déménagement hors département",
                            "Transfert vers un autre service",
                        ]
                    };
                    list[self.rng.weighted(&[35, 20, 15, 10, 12, 8])]
                }
                Service::Ditep => {
                    let list = [
                        "Orientation vers un IME",
                        "Retour en milieu ordinaire",
                        "Orientation vers un SESSAD",
                        "Fin de notification MDPH",
                        "Déménagement",
                    ];
                    list[self.rng.weighted(&[20, 35, 25, 10, 10])]
                }
                Service::Mecs | Service::Pf => {
                    if capped {
                        "Fin de contrat jeune majeur"
                    } else if child_age >= 18 {
                        [
                            "Majorité",
                            "Fin de contrat jeune majeur",
                            "Orientation vers un FJT",
                        ][self.rng.weighted(&[40, 40, 20])]
                    } else if service == Service::Mecs {
                        [
                            "Retour en famille",
                            "Orientation vers une autre MECS",
                            "Orientation vers un lieu de vie",
                            "Placement familial",
                            "Mainlevée du placement",
                            "Orientation médico-sociale",
                            "Fugue prolongée",
                        ][self.rng.weighted(&[35, 12, 10, 12, 14, 9, 8])]
                    } else {
                        [
                            "Retour en famille",
                            "Orientation en MECS",
                            "Changement de lieu d'accueil",
                            "Mainlevée du placement",
                            "Adoption",
                            "Déménagement de la famille",
                        ][self.rng.weighted(&[40, 15, 15, 15, 3, 12])]
                    }
                }
            };
            // A mainlevée ends a judicial placement, not an administrative one.
            let reason = if kind == "Accueil provisoire" && reason == "Mainlevée du placement" {
                "Fin de l'accueil provisoire"
            } else {
                reason
            };
            self.stays[i].exit_reason = Some(reason);
        }
    }

    /// Two closed MECS stays get a formula as exit reason (cached `#N/A`).
    fn choose_formula_rows(&mut self) {
        let mut closed: Vec<usize> = self
            .stays
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.service == Service::Mecs && s.end.is_some() && s.start.year() >= FIRST_YEAR
            })
            .map(|(i, _)| i)
            .collect();
        self.rng.shuffle(&mut closed);
        for &i in closed.iter().take(2) {
            self.stays[i].exit_formula = true;
            self.stays[i].exit_reason = None;
        }
    }

    /// Makes sure a PF name needs Windows-1252 beyond Latin-1 (`œ`).
    fn ensure_ligature_in_pf(&mut self) {
        let pf_children: BTreeSet<usize> = self
            .stays
            .iter()
            .filter(|s| s.service == Service::Pf)
            .map(|s| s.child)
            .collect();
        if pf_children
            .iter()
            .any(|&c| self.children[c].nom.contains('œ'))
        {
            return;
        }
        let mut per_child: BTreeMap<usize, usize> = BTreeMap::new();
        for s in &self.stays {
            *per_child.entry(s.child).or_insert(0) += 1;
        }
        for &c in &pf_children {
            if per_child.get(&c) != Some(&1) {
                continue;
            }
            for nom in ["Lebœuf", "Cœuret"] {
                let key = name_key(nom, &self.children[c].prenom);
                if self.keys.insert(key) {
                    self.children[c].nom = nom.to_string();
                    return;
                }
            }
        }
    }
}

/// Swaps two adjacent distinct ASCII letters in the middle of a surname.
fn swap_letters(nom: &str) -> Option<String> {
    let chars: Vec<char> = nom.chars().collect();
    let n = chars.len();
    let mid = n / 2;
    let order: Vec<usize> = (1..n.saturating_sub(2))
        .map(|k| (mid + k) % (n.max(1)))
        .collect();
    for i in order {
        if i == 0 || i + 1 >= n {
            continue;
        }
        let (a, b) = (chars[i], chars[i + 1]);
        if a != b && a.is_ascii_lowercase() && b.is_ascii_lowercase() {
            let mut v = chars.clone();
            v.swap(i, i + 1);
            return Some(v.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap() {
        assert_eq!(swap_letters("Faure").as_deref(), Some("Fauer"));
        assert!(swap_letters("Le").is_none());
    }
}
