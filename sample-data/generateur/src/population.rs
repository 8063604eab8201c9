//! A French test population for measuring record-linkage quality.
//!
//! [`test_population`] invents two files describing children: a
//! child-protection file and a DITEP file. Part of the DITEP children are
//! also in the protection file (same `truth_id`), sometimes written
//! differently (the usual ways real files disagree: lost accents, hyphen or
//! space, swapped or doubled letters, typing errors, the mother's married
//! name, day and month swapped, the mother's name missing, the usual first
//! name only). The ground truth lets a linker's precision and recall be
//! measured exactly.
//!
//! The population is built family by family, so the hard cases for
//! precision exist on purpose: siblings (same surname and mother, birth dates
//! at least 300 days apart), twins (same birth date, surname and mother,
//! different first names; most of them of the same sex), and unrelated
//! children sharing a first name and a birth month, some of them a surname
//! too. First names and surnames follow a Zipf-like frequency distribution
//! over the ranked lists of [`crate::names`].
//!
//! Nothing here is written to the sample files: [`crate::generate`] does not
//! call this module, and the random stream is a separate one.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{Datelike, NaiveDate};

use crate::dates::{date, fr, plus_days, random_date};
use crate::names::{NOMS_FREQUENTS, PRENOMS_F_FREQUENTS, PRENOMS_M_FREQUENTS, fold, strip_accents};
use crate::rng::Rng;

/// One person as a source file records them (identity fields as written in that file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Family name.
    pub nom: String,
    /// First name.
    pub prenom: String,
    /// Date of birth.
    pub date_naissance: NaiveDate,
    /// `'F'` or `'M'`.
    pub sexe: char,
    /// Mother's family name (maiden name); `None` = missing.
    pub nom_mere: Option<String>,
}

/// One record of a test file.
#[derive(Debug, Clone)]
pub struct TestRecord {
    /// Same real person ⇔ same `truth_id` (across both files).
    pub truth_id: u64,
    /// Identity as written in the file.
    pub identity: Identity,
    /// `"01"`..`"95"`, `"2A"`, `"2B"`, `"971"`..`"974"`.
    pub departement: String,
}

/// Two files and their ground truth.
#[derive(Debug, Clone)]
pub struct TestPopulation {
    /// Child-protection file (one record per child).
    pub protection: Vec<TestRecord>,
    /// DITEP file (one record per child).
    pub ditep: Vec<TestRecord>,
    /// Number of truth_ids present in both files.
    pub overlap: usize,
    /// How many DITEP records of overlapping children carry each kind of difference
    /// (a record may carry two): keys in French snake_case, e.g. "accent_perdu".
    pub differences: BTreeMap<String, usize>,
}

// ------------------------------------------------------------ parameters

/// Ages are taken at this date.
const REFERENCE_YEAR: i32 = 2023;
/// Oldest age (inclusive) at 31/12/2023.
const MAX_AGE: i32 = 20;
/// Relative weight of each age 0..=20 (older children are more numerous in
/// child protection; few young adults are still followed).
const AGE_WEIGHTS: [u32; 21] = [
    2, 2, 2, 3, 3, 3, 4, 5, 5, 5, 6, 6, 7, 7, 8, 8, 8, 7, 5, 3, 2,
];
/// Zipf offsets: weight of rank `r` (1-based) is `1 / (r + q)`.
const ZIPF_Q_PRENOMS: u64 = 6;
const ZIPF_Q_NOMS: u64 = 12;
/// Children per protection family: sizes 1..=5.
const FAMILY_SIZES: [u32; 5] = [50, 27, 13, 6, 4];
/// Children per DITEP-only family: sizes 1..=3.
const DITEP_FAMILY_SIZES: [u32; 3] = [85, 12, 3];
/// Share of families with a twin birth (protection, DITEP-only).
const TWIN_FAMILY: f64 = 0.035;
const TWIN_FAMILY_DITEP: f64 = 0.02;
/// Share of twin pairs of the same sex.
const TWINS_SAME_SEX: f64 = 0.7;
/// Shortest gap between two non-twin siblings, in days.
const SIBLING_GAP: i64 = 300;
/// Child carries the mother's name (no father's name) / both names.
const CHILD_HAS_MOTHERS_NAME: f64 = 0.12;
const CHILD_HAS_DOUBLE_NAME: f64 = 0.03;
/// Planted homonyms: a new child copies an earlier child's first name, sex,
/// birth month and year (another day); some copy the surname too.
const HOMONYM: f64 = 0.01;
const HOMONYM_DITEP: f64 = 0.03;
const HOMONYM_SAME_SURNAME: f64 = 0.3;
/// DITEP-only children who are a sibling / a twin of a protection child.
const DITEP_SIBLING: f64 = 0.08;
const DITEP_TWIN: f64 = 0.01;
/// Mother's name missing: protection file, DITEP-only records (the overlap
/// adds its own `nom_mere_absent` differences, hence the higher base rate).
const MOTHER_MISSING_PROTECTION: f64 = 0.03;
const MOTHER_MISSING_DITEP: f64 = 0.06;
/// Overlapping DITEP records with two differences / with exactly one.
const TWO_DIFFERENCES: f64 = 0.08;
const ONE_DIFFERENCE: f64 = 0.35;

/// Départements with their population in tens of thousands (2020, rounded):
/// children are spread like the population.
const DEPARTEMENTS: [(&str, u32); 100] = [
    ("01", 66),
    ("02", 53),
    ("03", 33),
    ("04", 17),
    ("05", 14),
    ("06", 109),
    ("07", 33),
    ("08", 27),
    ("09", 15),
    ("10", 31),
    ("11", 38),
    ("12", 28),
    ("13", 206),
    ("14", 70),
    ("15", 14),
    ("16", 35),
    ("17", 66),
    ("18", 30),
    ("19", 24),
    ("21", 54),
    ("22", 60),
    ("23", 12),
    ("24", 41),
    ("25", 54),
    ("26", 52),
    ("27", 60),
    ("28", 43),
    ("29", 92),
    ("2A", 16),
    ("2B", 18),
    ("30", 75),
    ("31", 142),
    ("32", 19),
    ("33", 164),
    ("34", 118),
    ("35", 109),
    ("36", 22),
    ("37", 61),
    ("38", 127),
    ("39", 26),
    ("40", 42),
    ("41", 33),
    ("42", 77),
    ("43", 23),
    ("44", 145),
    ("45", 68),
    ("46", 17),
    ("47", 33),
    ("48", 8),
    ("49", 82),
    ("50", 50),
    ("51", 57),
    ("52", 17),
    ("53", 31),
    ("54", 73),
    ("55", 18),
    ("56", 76),
    ("57", 104),
    ("58", 20),
    ("59", 261),
    ("60", 83),
    ("61", 28),
    ("62", 146),
    ("63", 66),
    ("64", 69),
    ("65", 23),
    ("66", 48),
    ("67", 115),
    ("68", 77),
    ("69", 188),
    ("70", 23),
    ("71", 55),
    ("72", 57),
    ("73", 44),
    ("74", 83),
    ("75", 213),
    ("76", 125),
    ("77", 142),
    ("78", 145),
    ("79", 38),
    ("80", 57),
    ("81", 39),
    ("82", 26),
    ("83", 108),
    ("84", 56),
    ("85", 69),
    ("86", 44),
    ("87", 37),
    ("88", 36),
    ("89", 33),
    ("90", 14),
    ("91", 131),
    ("92", 163),
    ("93", 166),
    ("94", 141),
    ("95", 126),
    ("971", 38),
    ("972", 36),
    ("973", 29),
    ("974", 87),
];

// ------------------------------------------------------------ differences

/// The ways the DITEP file writes an overlapping child differently.
///
/// Candidates are tried in the order of [`Difference::ALL`] (which fixes the
/// random stream); the choice among the applicable ones is weighted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Difference {
    AccentPerdu,
    TraitDUnionEspace,
    LettresInterverties,
    LettreDoublee,
    NomDUsage,
    JourMoisInverses,
    NomMereAbsent,
    PrenomUsuel,
    FauteDeFrappe,
}

impl Difference {
    const ALL: [Difference; 9] = [
        Difference::AccentPerdu,
        Difference::TraitDUnionEspace,
        Difference::LettresInterverties,
        Difference::LettreDoublee,
        Difference::NomDUsage,
        Difference::JourMoisInverses,
        Difference::NomMereAbsent,
        Difference::PrenomUsuel,
        Difference::FauteDeFrappe,
    ];

    fn key(self) -> &'static str {
        match self {
            Difference::AccentPerdu => "accent_perdu",
            Difference::TraitDUnionEspace => "trait_d_union_espace",
            Difference::LettresInterverties => "lettres_interverties",
            Difference::LettreDoublee => "lettre_doublee",
            Difference::NomDUsage => "nom_d_usage",
            Difference::JourMoisInverses => "jour_mois_inverses",
            Difference::NomMereAbsent => "nom_mere_absent",
            Difference::PrenomUsuel => "prenom_usuel",
            Difference::FauteDeFrappe => "faute_de_frappe",
        }
    }

    /// Relative weight among the kinds applicable to a record. Kinds that
    /// apply to few records (compound first names, hyphens and particles)
    /// weigh more, as files that meet such a name do write it differently.
    fn weight(self) -> u32 {
        match self {
            Difference::AccentPerdu => 40,
            Difference::TraitDUnionEspace => 40,
            Difference::LettresInterverties => 10,
            Difference::LettreDoublee => 10,
            Difference::NomDUsage => 12,
            Difference::JourMoisInverses => 10,
            Difference::NomMereAbsent => 12,
            Difference::PrenomUsuel => 80,
            Difference::FauteDeFrappe => 12,
        }
    }

    /// Whether `second` may follow `first` on the same record without one
    /// hiding the other.
    fn compatible(first: Difference, second: Difference) -> bool {
        use Difference::*;
        match (first, second) {
            _ if first == second => false,
            (NomDUsage, NomMereAbsent) | (NomMereAbsent, NomDUsage) => false,
            // Keeping only the first part of the first name could erase an
            // earlier change of that first name.
            (
                TraitDUnionEspace | LettresInterverties | LettreDoublee | FauteDeFrappe,
                PrenomUsuel,
            ) => false,
            (PrenomUsuel, TraitDUnionEspace) => false,
            _ => true,
        }
    }

    /// The identity with this difference, or `None` when it does not apply.
    fn apply(self, id: &Identity, usage_name: Option<&str>, rng: &mut Rng) -> Option<Identity> {
        match self {
            Difference::AccentPerdu => accent_perdu(id),
            Difference::TraitDUnionEspace => {
                on_nom_or_prenom(id, rng, |s, _| trait_d_union_espace(s))
            }
            Difference::LettresInterverties => on_nom_or_prenom(id, rng, lettres_interverties),
            Difference::LettreDoublee => on_nom_or_prenom(id, rng, lettre_doublee),
            Difference::NomDUsage => nom_d_usage(id, usage_name?),
            Difference::JourMoisInverses => Some(Identity {
                date_naissance: jour_mois_inverses(id.date_naissance)?,
                ..id.clone()
            }),
            Difference::NomMereAbsent => id.nom_mere.as_ref().map(|_| Identity {
                nom_mere: None,
                ..id.clone()
            }),
            Difference::PrenomUsuel => Some(Identity {
                prenom: prenom_usuel(&id.prenom)?,
                ..id.clone()
            }),
            Difference::FauteDeFrappe => on_nom_or_prenom(id, rng, faute_de_frappe),
        }
    }
}

/// `accent_perdu`: the file cannot store accents; every field loses them.
fn accent_perdu(id: &Identity) -> Option<Identity> {
    let out = Identity {
        nom: strip_accents(&id.nom),
        prenom: strip_accents(&id.prenom),
        nom_mere: id.nom_mere.as_deref().map(strip_accents),
        ..id.clone()
    };
    (out != *id).then_some(out)
}

/// `trait_d_union_espace`: `Marie-Ève` → `Marie Ève`, `Le Goff` → `Le-Goff`.
fn trait_d_union_espace(s: &str) -> Option<String> {
    if s.contains('-') {
        Some(s.replace('-', " "))
    } else if s.contains(' ') {
        Some(s.replace(' ', "-"))
    } else {
        None
    }
}

/// `lettres_interverties`: two adjacent distinct lower-case letters swapped.
fn lettres_interverties(s: &str, rng: &mut Rng) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let spots: Vec<usize> = (0..chars.len().saturating_sub(1))
        .filter(|&i| {
            let (a, b) = (chars[i], chars[i + 1]);
            a != b && a.is_lowercase() && b.is_lowercase()
        })
        .collect();
    if spots.is_empty() {
        return None;
    }
    let i = *rng.pick(&spots);
    let mut v = chars;
    v.swap(i, i + 1);
    Some(v.into_iter().collect())
}

fn is_vowel(c: char) -> bool {
    "aeiouyàâäéèêëîïôöùûü".contains(c)
}

/// `lettre_doublee`: a double letter written single (`Anne` → `Ane`), or a
/// consonant between two vowels doubled (`Rafael` → `Raffael`).
fn lettre_doublee(s: &str, rng: &mut Rng) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let undouble: Vec<usize> = (0..n.saturating_sub(1))
        .filter(|&i| chars[i] == chars[i + 1] && chars[i].is_lowercase())
        .collect();
    let double: Vec<usize> = (1..n.saturating_sub(1))
        .filter(|&i| {
            "lnmtsrfp".contains(chars[i]) && is_vowel(chars[i - 1]) && is_vowel(chars[i + 1])
        })
        .collect();
    let mut v = chars;
    if !undouble.is_empty() && (double.is_empty() || rng.chance(0.5)) {
        let i = *rng.pick(&undouble);
        v.remove(i + 1);
    } else if !double.is_empty() {
        let i = *rng.pick(&double);
        v.insert(i + 1, v[i]);
    } else {
        return None;
    }
    Some(v.into_iter().collect())
}

/// `nom_d_usage`: the mother's married name (the father's surname, which the
/// child carries) written instead of her maiden name.
fn nom_d_usage(id: &Identity, usage_name: &str) -> Option<Identity> {
    let mother = id.nom_mere.as_deref()?;
    if fold(mother) == fold(usage_name) {
        return None;
    }
    Some(Identity {
        nom_mere: Some(usage_name.to_string()),
        ..id.clone()
    })
}

/// `jour_mois_inverses`: 05/03/2010 written 03/05/2010 (day ≤ 12, day ≠ month).
fn jour_mois_inverses(d: NaiveDate) -> Option<NaiveDate> {
    if d.day() > 12 || d.day() == d.month() {
        return None;
    }
    NaiveDate::from_ymd_opt(d.year(), d.day(), d.month())
}

/// `prenom_usuel`: only the first part of a compound first name
/// (`Jean-Baptiste` → `Jean`).
fn prenom_usuel(prenom: &str) -> Option<String> {
    let first = prenom.split(['-', ' ']).next()?;
    (!first.is_empty() && first != prenom).then(|| first.to_string())
}

/// Neighbours of a key on a French AZERTY keyboard.
fn azerty_neighbours(c: char) -> &'static str {
    match c {
        'a' => "zq",
        'z' => "aesq",
        'e' => "zrds",
        'r' => "etfd",
        't' => "rygf",
        'y' => "tuhg",
        'u' => "yijh",
        'i' => "uokj",
        'o' => "iplk",
        'p' => "oml",
        'q' => "azsw",
        's' => "qdzexw",
        'd' => "sferxc",
        'f' => "dgrtcv",
        'g' => "fhtyvb",
        'h' => "gjyubn",
        'j' => "hkuin",
        'k' => "jlio",
        'l' => "kmop",
        'm' => "lp",
        'w' => "qsx",
        'x' => "wcsd",
        'c' => "xvdf",
        'v' => "cbfg",
        'b' => "vngh",
        'n' => "bhj",
        _ => "",
    }
}

/// `faute_de_frappe`: one lower-case ASCII letter replaced by a neighbouring
/// key of an AZERTY keyboard.
fn faute_de_frappe(s: &str, rng: &mut Rng) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let spots: Vec<usize> = (0..chars.len())
        .filter(|&i| chars[i].is_ascii_lowercase())
        .collect();
    if spots.is_empty() {
        return None;
    }
    let i = *rng.pick(&spots);
    let keys: Vec<char> = azerty_neighbours(chars[i]).chars().collect();
    if keys.is_empty() {
        return None;
    }
    let mut v = chars;
    v[i] = *rng.pick(&keys);
    Some(v.into_iter().collect())
}

/// Applies a string change to the surname or the first name (one of those
/// it applies to, at random).
fn on_nom_or_prenom(
    id: &Identity,
    rng: &mut Rng,
    change: impl Fn(&str, &mut Rng) -> Option<String>,
) -> Option<Identity> {
    let nom = change(&id.nom, rng).filter(|s| *s != id.nom);
    let prenom = change(&id.prenom, rng).filter(|s| *s != id.prenom);
    let on_nom = match (&nom, &prenom) {
        (None, None) => return None,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (Some(_), Some(_)) => rng.chance(0.5),
    };
    let mut out = id.clone();
    if on_nom {
        out.nom = nom?;
    } else {
        out.prenom = prenom?;
    }
    Some(out)
}

/// Case and accent noise on records outside the overlap, so that a linker
/// cannot use "written differently" as a hint of a match.
fn noise(id: &mut Identity, rng: &mut Rng) {
    let u = rng.unit();
    if u < 0.03 {
        id.nom = id.nom.to_uppercase();
    } else if u < 0.045 {
        id.nom = id.nom.to_lowercase();
        id.prenom = id.prenom.to_lowercase();
    } else if u < 0.09 {
        id.nom = strip_accents(&id.nom);
        id.prenom = strip_accents(&id.prenom);
        id.nom_mere = id.nom_mere.as_deref().map(strip_accents);
    }
}

// ------------------------------------------------------------ sampling

/// Draws names of a ranked list with weight `1 / (rank + q)`.
struct Zipf {
    names: &'static [&'static str],
    cumulative: Vec<u64>,
}

impl Zipf {
    fn new(names: &'static [&'static str], q: u64) -> Self {
        let mut total = 0u64;
        let cumulative = (0..names.len() as u64)
            .map(|r| {
                total += 1_000_000 / (r + 1 + q);
                total
            })
            .collect();
        Zipf { names, cumulative }
    }

    fn draw(&self, rng: &mut Rng) -> &'static str {
        let total = self.cumulative.last().copied().unwrap_or(0);
        let x = rng.below(total);
        let i = self.cumulative.partition_point(|&c| c <= x);
        // The ranked lists are non-empty constants (tested), and `i` is
        // below their length because `x < total`.
        self.names[i.min(self.names.len() - 1)]
    }
}

/// A person of the test world: their true identity and their family.
struct Person {
    identity: Identity,
    family: usize,
}

/// Parents and home shared by siblings.
struct Family {
    /// Surname of the children.
    nom: String,
    /// Mother's maiden name.
    nom_mere: String,
    /// Mother's married name (the father's surname), if she uses one.
    nom_usage_mere: Option<String>,
    departement: &'static str,
    members: Vec<usize>,
}

struct Builder {
    rng: Rng,
    prenoms_f: Zipf,
    prenoms_m: Zipf,
    noms: Zipf,
    departement_weights: Vec<u32>,
    persons: Vec<Person>,
    families: Vec<Family>,
    /// Folded `nom|prénom|date` of every person: no two people of the test
    /// world are indistinguishable.
    keys: HashSet<String>,
}

fn person_key(nom: &str, prenom: &str, d: NaiveDate) -> String {
    format!("{}|{}|{}", fold(nom), fold(prenom), d)
}

impl Builder {
    fn new(seed: u64) -> Self {
        Builder {
            rng: Rng::new(seed),
            prenoms_f: Zipf::new(PRENOMS_F_FREQUENTS, ZIPF_Q_PRENOMS),
            prenoms_m: Zipf::new(PRENOMS_M_FREQUENTS, ZIPF_Q_PRENOMS),
            noms: Zipf::new(NOMS_FREQUENTS, ZIPF_Q_NOMS),
            departement_weights: DEPARTEMENTS.iter().map(|&(_, w)| w).collect(),
            persons: Vec::new(),
            families: Vec::new(),
            keys: HashSet::new(),
        }
    }

    fn sexe(&mut self) -> char {
        if self.rng.chance(0.5) { 'F' } else { 'M' }
    }

    /// A birth date for an age drawn from [`AGE_WEIGHTS`].
    fn birth(&mut self) -> NaiveDate {
        let age = self.rng.weighted(&AGE_WEIGHTS) as i32;
        let y = REFERENCE_YEAR - age;
        random_date(&mut self.rng, date(y, 1, 1), date(y, 12, 31))
    }

    /// A new family; `surname` forces the children's surname (homonyms),
    /// whose mother then differs from `other_mother`.
    fn new_family(&mut self, surname: Option<&str>, other_mother: Option<&str>) -> usize {
        let departement = DEPARTEMENTS[self.rng.weighted(&self.departement_weights)].0;
        let father =
            surname.map_or_else(|| self.noms.draw(&mut self.rng).to_string(), String::from);
        let mut mother = self.noms.draw(&mut self.rng);
        for _ in 0..20 {
            if fold(mother) != fold(&father) && other_mother.is_none_or(|m| fold(m) != fold(mother))
            {
                break;
            }
            mother = self.noms.draw(&mut self.rng);
        }
        let u = if surname.is_some() {
            1.0
        } else {
            self.rng.unit()
        };
        let (nom, nom_usage_mere) = if u < CHILD_HAS_MOTHERS_NAME {
            (mother.to_string(), None)
        } else if u < CHILD_HAS_MOTHERS_NAME + CHILD_HAS_DOUBLE_NAME {
            (format!("{father} {mother}"), Some(father))
        } else {
            (father.clone(), Some(father))
        };
        self.families.push(Family {
            nom,
            nom_mere: mother.to_string(),
            nom_usage_mere,
            departement,
            members: Vec::new(),
        });
        self.families.len() - 1
    }

    /// Adds a child to a family, with `prenom` or a drawn first name that no
    /// sibling carries; `None` if no unique identity could be found.
    fn add_child(
        &mut self,
        family: usize,
        sexe: char,
        birth: NaiveDate,
        prenom: Option<&str>,
    ) -> Option<usize> {
        let tries = if prenom.is_some() { 1 } else { 40 };
        for _ in 0..tries {
            let p = match prenom {
                Some(p) => p,
                None if sexe == 'F' => self.prenoms_f.draw(&mut self.rng),
                None => self.prenoms_m.draw(&mut self.rng),
            };
            let fam = &self.families[family];
            let taken = fam
                .members
                .iter()
                .any(|&m| fold(&self.persons[m].identity.prenom) == fold(p));
            if taken || fold(p) == fold(&fam.nom) {
                continue;
            }
            let key = person_key(&fam.nom, p, birth);
            if !self.keys.insert(key) {
                continue;
            }
            let identity = Identity {
                nom: fam.nom.clone(),
                prenom: p.to_string(),
                date_naissance: birth,
                sexe,
                nom_mere: Some(fam.nom_mere.clone()),
            };
            self.persons.push(Person { identity, family });
            let id = self.persons.len() - 1;
            self.families[family].members.push(id);
            return Some(id);
        }
        None
    }

    /// A new family with up to `max` children: siblings born at least
    /// [`SIBLING_GAP`] days apart, sometimes a twin pair. Returns how many
    /// children were added.
    fn add_family(&mut self, max: usize, sizes: &[u32], twin_share: f64) -> usize {
        let family = self.new_family(None, None);
        let size = (self.rng.weighted(sizes) + 1).min(max);
        let earliest = date(REFERENCE_YEAR - MAX_AGE, 1, 1);
        let mut births = vec![self.birth()];
        while births.len() < size {
            let gap = self.rng.range(SIBLING_GAP, 1800);
            let b = plus_days(births[births.len() - 1], -gap);
            if b < earliest {
                break;
            }
            births.push(b);
        }
        let mut sexes: Vec<char> = (0..births.len()).map(|_| self.sexe()).collect();
        if births.len() < max && self.rng.chance(twin_share) {
            let t = self.rng.below(births.len() as u64) as usize;
            let s = if self.rng.chance(TWINS_SAME_SEX) {
                sexes[t]
            } else if sexes[t] == 'F' {
                'M'
            } else {
                'F'
            };
            births.insert(t + 1, births[t]);
            sexes.insert(t + 1, s);
        }
        births
            .into_iter()
            .zip(sexes)
            .filter_map(|(b, s)| self.add_child(family, s, b, None))
            .count()
    }

    /// A child unrelated to `model` with the same first name, sex, birth month
    /// and year (another day), sometimes the same surname too.
    fn add_homonym(&mut self, model: usize) -> Option<usize> {
        let m = &self.persons[model].identity;
        let (prenom, sexe, d) = (m.prenom.clone(), m.sexe, m.date_naissance);
        let (nom, mother) = (m.nom.clone(), m.nom_mere.clone());
        let last = crate::dates::days_in_month(d.year(), d.month());
        let mut day = self.rng.range(1, i64::from(last) - 1) as u32;
        if day >= d.day() {
            day += 1;
        }
        let birth = NaiveDate::from_ymd_opt(d.year(), d.month(), day)?;
        let family = if self.rng.chance(HOMONYM_SAME_SURNAME) {
            self.new_family(Some(&nom), mother.as_deref())
        } else {
            self.new_family(None, None)
        };
        self.add_child(family, sexe, birth, Some(&prenom))
    }

    /// A brother or sister of `of`, born at least [`SIBLING_GAP`] days apart
    /// from every child of the family.
    fn add_sibling(&mut self, of: usize) -> Option<usize> {
        let family = self.persons[of].family;
        for _ in 0..10 {
            let b = self.birth();
            let far = self.families[family].members.iter().all(|&m| {
                (self.persons[m].identity.date_naissance - b)
                    .num_days()
                    .abs()
                    >= SIBLING_GAP
            });
            if far {
                let s = self.sexe();
                return self.add_child(family, s, b, None);
            }
        }
        None
    }

    /// A twin of `of` (same birth date and family, another first name).
    fn add_twin(&mut self, of: usize) -> Option<usize> {
        let family = self.persons[of].family;
        let id = &self.persons[of].identity;
        let (b, s) = (id.date_naissance, id.sexe);
        let s = if self.rng.chance(TWINS_SAME_SEX) {
            s
        } else if s == 'F' {
            'M'
        } else {
            'F'
        };
        self.add_child(family, s, b, None)
    }

    fn record(&self, person: usize, identity: Identity) -> TestRecord {
        let p = &self.persons[person];
        TestRecord {
            truth_id: person as u64 + 1,
            identity,
            departement: self.families[p.family].departement.to_string(),
        }
    }

    /// The DITEP copy of an overlapping child: no, one or two differences.
    fn ditep_copy(
        &mut self,
        person: usize,
        base: &Identity,
        counts: &mut BTreeMap<String, usize>,
    ) -> Identity {
        let u = self.rng.unit();
        let wanted = if u < TWO_DIFFERENCES {
            2
        } else if u < TWO_DIFFERENCES + ONE_DIFFERENCE {
            1
        } else {
            0
        };
        let own_key = {
            let t = &self.persons[person].identity;
            person_key(&t.nom, &t.prenom, t.date_naissance)
        };
        let usage = self.families[self.persons[person].family]
            .nom_usage_mere
            .clone();
        let mut current = base.clone();
        let mut applied: Vec<Difference> = Vec::new();
        for _ in 0..wanted {
            let mut options: Vec<(Difference, Identity)> = Vec::new();
            for kind in Difference::ALL {
                if applied.iter().any(|&a| !Difference::compatible(a, kind)) {
                    continue;
                }
                // A file that lost the accents writes the married name without them too.
                let usage = if applied.contains(&Difference::AccentPerdu) {
                    usage.as_deref().map(strip_accents)
                } else {
                    usage.clone()
                };
                let Some(changed) = kind.apply(&current, usage.as_deref(), &mut self.rng) else {
                    continue;
                };
                if changed == current {
                    continue;
                }
                // The changed spelling must not be another person's identity.
                let key = person_key(&changed.nom, &changed.prenom, changed.date_naissance);
                if key != own_key && self.keys.contains(&key) {
                    continue;
                }
                options.push((kind, changed));
            }
            if options.is_empty() {
                break;
            }
            let weights: Vec<u32> = options.iter().map(|(k, _)| k.weight()).collect();
            let (kind, changed) = options.swap_remove(self.rng.weighted(&weights));
            applied.push(kind);
            current = changed;
        }
        for kind in applied {
            *counts.entry(kind.key().to_string()).or_insert(0) += 1;
        }
        current
    }
}

/// Deterministic for a given seed.
///
/// `round(n_ditep × overlap_share_of_ditep)` children (at most
/// `min(n_protection, n_ditep)`; a share outside `0..=1` is clamped) are in
/// both files; they are chosen among the protection children. The other
/// children of each file are distinct people. Both files are shuffled.
pub fn test_population(
    seed: u64,
    n_protection: usize,
    n_ditep: usize,
    overlap_share_of_ditep: f64,
) -> TestPopulation {
    let mut b = Builder::new(seed);
    let share = if overlap_share_of_ditep.is_nan() {
        0.0
    } else {
        overlap_share_of_ditep.clamp(0.0, 1.0)
    };
    let overlap = ((n_ditep as f64 * share).round() as usize)
        .min(n_ditep)
        .min(n_protection);

    // Protection children, family by family.
    while b.persons.len() < n_protection {
        let room = n_protection - b.persons.len();
        if !b.persons.is_empty() && b.rng.chance(HOMONYM) {
            let model = b.rng.below(b.persons.len() as u64) as usize;
            b.add_homonym(model);
        } else {
            b.add_family(room, &FAMILY_SIZES, TWIN_FAMILY);
        }
    }

    // The overlapping children: a partial Fisher–Yates draw.
    let mut order: Vec<usize> = (0..n_protection).collect();
    for i in 0..overlap {
        let j = i + b.rng.below((n_protection - i) as u64) as usize;
        order.swap(i, j);
    }
    let chosen = &order[..overlap];
    let mut in_overlap = vec![false; n_protection];
    for &i in chosen {
        in_overlap[i] = true;
    }

    // DITEP-only children: some siblings or twins of protection children,
    // some homonyms of them, the others new families.
    let ditep_only_start = b.persons.len();
    let target = n_protection + (n_ditep - overlap);
    while b.persons.len() < target {
        let room = target - b.persons.len();
        let u = b.rng.unit();
        if n_protection > 0 && u < DITEP_SIBLING + DITEP_TWIN + HOMONYM_DITEP {
            let of = b.rng.below(n_protection as u64) as usize;
            if u < DITEP_SIBLING {
                b.add_sibling(of);
            } else if u < DITEP_SIBLING + DITEP_TWIN {
                b.add_twin(of);
            } else {
                b.add_homonym(of);
            }
        } else {
            b.add_family(room, &DITEP_FAMILY_SIZES, TWIN_FAMILY_DITEP);
        }
    }

    // Protection records.
    let mut protection = Vec::with_capacity(n_protection);
    let mut bases: Vec<Option<Identity>> = vec![None; n_protection];
    for i in 0..n_protection {
        let mut id = b.persons[i].identity.clone();
        if b.rng.chance(MOTHER_MISSING_PROTECTION) {
            id.nom_mere = None;
        }
        if in_overlap[i] {
            bases[i] = Some(id.clone());
        } else {
            noise(&mut id, &mut b.rng);
        }
        protection.push(b.record(i, id));
    }

    // DITEP records.
    let mut differences: BTreeMap<String, usize> = Difference::ALL
        .iter()
        .map(|k| (k.key().to_string(), 0))
        .collect();
    let mut ditep = Vec::with_capacity(n_ditep);
    for &i in chosen {
        if let Some(base) = bases[i].take() {
            let id = b.ditep_copy(i, &base, &mut differences);
            ditep.push(b.record(i, id));
        }
    }
    for i in ditep_only_start..b.persons.len() {
        let mut id = b.persons[i].identity.clone();
        if b.rng.chance(MOTHER_MISSING_DITEP) {
            id.nom_mere = None;
        }
        noise(&mut id, &mut b.rng);
        ditep.push(b.record(i, id));
    }

    b.rng.shuffle(&mut protection);
    b.rng.shuffle(&mut ditep);
    TestPopulation {
        protection,
        ditep,
        overlap,
        differences,
    }
}

/// Writes `truth_id;nom;prenom;date_naissance;sexe;nom_mere;departement`
/// (UTF-8, dates `dd/mm/yyyy`, missing mother's name empty), for inspection.
pub fn write_csv(records: &[TestRecord], path: &Path) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    writeln!(
        w,
        "truth_id;nom;prenom;date_naissance;sexe;nom_mere;departement"
    )?;
    for r in records {
        let id = &r.identity;
        writeln!(
            w,
            "{};{};{};{};{};{};{}",
            r.truth_id,
            id.nom,
            id.prenom,
            fr(id.date_naissance),
            id.sexe,
            id.nom_mere.as_deref().unwrap_or(""),
            r.departement
        )?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use super::*;
    use crate::names::fold;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        date(y, m, day)
    }

    fn identity(nom: &str, prenom: &str, mother: Option<&str>) -> Identity {
        Identity {
            nom: nom.to_string(),
            prenom: prenom.to_string(),
            date_naissance: d(2010, 3, 5),
            sexe: 'F',
            nom_mere: mother.map(String::from),
        }
    }

    fn same_records(a: &[TestRecord], b: &[TestRecord]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                x.truth_id == y.truth_id
                    && x.identity == y.identity
                    && x.departement == y.departement
            })
    }

    /// Same-sex twin pairs of a file: same surname, birth date and mother,
    /// different first names, different people.
    fn twin_pairs(records: &[TestRecord]) -> usize {
        let mut groups: HashMap<(String, NaiveDate, String, char), Vec<&TestRecord>> =
            HashMap::new();
        for r in records {
            let id = &r.identity;
            if let Some(m) = &id.nom_mere {
                groups
                    .entry((fold(&id.nom), id.date_naissance, fold(m), id.sexe))
                    .or_default()
                    .push(r);
            }
        }
        groups
            .values()
            .filter(|g| {
                g.len() >= 2
                    && g.iter().map(|r| r.truth_id).collect::<BTreeSet<_>>().len() == g.len()
                    && g.iter()
                        .map(|r| fold(&r.identity.prenom))
                        .collect::<BTreeSet<_>>()
                        .len()
                        == g.len()
            })
            .count()
    }

    #[test]
    fn deterministic() {
        let a = test_population(7, 3_000, 800, 0.4);
        let b = test_population(7, 3_000, 800, 0.4);
        assert!(same_records(&a.protection, &b.protection));
        assert!(same_records(&a.ditep, &b.ditep));
        assert_eq!(a.differences, b.differences);
        let c = test_population(8, 3_000, 800, 0.4);
        assert!(!same_records(&a.protection, &c.protection));
    }

    #[test]
    fn sizes_and_overlap_are_exact() {
        for (np, nd, share) in [
            (20_000, 5_000, 0.38),
            (1_000, 333, 0.5),
            (100, 500, 0.9),
            (50, 10, 0.0),
            (0, 10, 0.5),
            (10, 0, 0.5),
        ] {
            let p = test_population(3, np, nd, share);
            assert_eq!(p.protection.len(), np);
            assert_eq!(p.ditep.len(), nd);
            let expected = ((nd as f64 * share).round() as usize).min(np);
            assert_eq!(p.overlap, expected, "{np} {nd} {share}");
            let prot: BTreeSet<u64> = p.protection.iter().map(|r| r.truth_id).collect();
            let dit: BTreeSet<u64> = p.ditep.iter().map(|r| r.truth_id).collect();
            assert_eq!(prot.len(), np, "one record per child");
            assert_eq!(dit.len(), nd, "one record per child");
            assert_eq!(prot.intersection(&dit).count(), expected);
        }
        assert_eq!(test_population(1, 1_000, 500, 0.38).overlap, 190);
    }

    #[test]
    fn every_difference_occurs_and_fields_are_plausible() {
        let p = test_population(1, 20_000, 5_000, 0.38);
        assert_eq!(p.overlap, 1_900);
        assert_eq!(p.differences.len(), 9);
        for (k, &n) in &p.differences {
            assert!(n > 0, "{k} never occurs");
        }
        // Differences carried by overlapping records, counted again from the files.
        let prot: HashMap<u64, &TestRecord> =
            p.protection.iter().map(|r| (r.truth_id, r)).collect();
        let mut changed = 0usize;
        for r in &p.ditep {
            if let Some(q) = prot.get(&r.truth_id) {
                assert_eq!(q.departement, r.departement);
                assert_eq!(q.identity.sexe, r.identity.sexe);
                if q.identity != r.identity {
                    changed += 1;
                }
            }
        }
        let total: usize = p.differences.values().sum();
        assert!(changed <= total && total <= 2 * changed);
        let share = changed as f64 / p.overlap as f64;
        assert!((0.38..0.48).contains(&share), "{share}");

        let departements: BTreeSet<&str> = DEPARTEMENTS.iter().map(|&(d, _)| d).collect();
        let ref_end = d(REFERENCE_YEAR, 12, 31);
        let mut girls = 0usize;
        let mut missing = 0usize;
        let mut same_as_mother = 0usize;
        for r in &p.protection {
            let id = &r.identity;
            assert!(departements.contains(r.departement.as_str()));
            assert!(id.sexe == 'F' || id.sexe == 'M');
            let age = crate::dates::age(id.date_naissance, ref_end);
            assert!((0..=MAX_AGE).contains(&age), "{age}");
            girls += usize::from(id.sexe == 'F');
            match &id.nom_mere {
                None => missing += 1,
                Some(m) => same_as_mother += usize::from(fold(m) == fold(&id.nom)),
            }
        }
        let n = p.protection.len() as f64;
        assert!((0.47..0.53).contains(&(girls as f64 / n)));
        assert!((0.02..0.04).contains(&(missing as f64 / n)));
        assert!(same_as_mother as f64 / n < 0.2);
    }

    #[test]
    fn hard_cases_exist() {
        let p = test_population(1, 20_000, 5_000, 0.38);
        assert!(twin_pairs(&p.protection) >= 100);
        assert!(twin_pairs(&p.ditep) >= 1);
        // Distinct children sharing first name, sex and birth month.
        let mut by_month: HashMap<(String, i32, u32), BTreeSet<u64>> = HashMap::new();
        for r in &p.protection {
            let id = &r.identity;
            by_month
                .entry((
                    fold(&id.prenom),
                    id.date_naissance.year(),
                    id.date_naissance.month(),
                ))
                .or_default()
                .insert(r.truth_id);
        }
        assert!(by_month.values().filter(|s| s.len() >= 2).count() >= 500);
        // Frequent names are frequent, the tail is long.
        let mut counts: HashMap<String, usize> = HashMap::new();
        for r in &p.protection {
            *counts.entry(r.identity.nom.clone()).or_default() += 1;
        }
        let martin = counts.get("Martin").copied().unwrap_or(0);
        assert!(martin > 200, "{martin}");
        assert!(counts.len() > 400);
    }

    #[test]
    fn difference_functions() {
        let mut rng = Rng::new(1);
        // accent_perdu
        let id = identity("Lefèvre", "Hélène", Some("Öztürk"));
        let out = accent_perdu(&id).expect("accents");
        assert_eq!(
            (out.nom.as_str(), out.prenom.as_str()),
            ("Lefevre", "Helene")
        );
        assert_eq!(out.nom_mere.as_deref(), Some("Ozturk"));
        assert!(accent_perdu(&identity("Martin", "Emma", None)).is_none());
        // trait_d_union_espace
        assert_eq!(
            trait_d_union_espace("Marie-Ève").as_deref(),
            Some("Marie Ève")
        );
        assert_eq!(trait_d_union_espace("Le Goff").as_deref(), Some("Le-Goff"));
        assert_eq!(trait_d_union_espace("Emma"), None);
        // lettres_interverties: the only possible spot of "Léa".
        assert_eq!(
            lettres_interverties("Léa", &mut rng).as_deref(),
            Some("Laé")
        );
        assert_eq!(lettres_interverties("Ba", &mut rng), None);
        for _ in 0..50 {
            let s = lettres_interverties("Bernard", &mut rng).expect("swap");
            let (a, b): (Vec<char>, Vec<char>) = (s.chars().collect(), "Bernard".chars().collect());
            let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            assert_eq!(diff.len(), 2);
            assert_eq!(diff[1], diff[0] + 1);
            assert_eq!((a[diff[0]], a[diff[1]]), (b[diff[1]], b[diff[0]]));
        }
        // lettre_doublee
        assert_eq!(lettre_doublee("Anne", &mut rng).as_deref(), Some("Ane"));
        assert_eq!(
            lettre_doublee("Rafael", &mut rng).as_deref(),
            Some("Raffael")
        );
        assert_eq!(lettre_doublee("Bx", &mut rng), None);
        // nom_d_usage
        let id = identity("Martin", "Emma", Some("Dubois"));
        let out = nom_d_usage(&id, "Martin").expect("usage");
        assert_eq!(out.nom_mere.as_deref(), Some("Martin"));
        assert!(nom_d_usage(&identity("Dubois", "Emma", Some("Dubois")), "Dubois").is_none());
        assert!(nom_d_usage(&identity("Martin", "Emma", None), "Martin").is_none());
        // jour_mois_inverses
        assert_eq!(jour_mois_inverses(d(2010, 3, 5)), Some(d(2010, 5, 3)));
        assert_eq!(jour_mois_inverses(d(2010, 2, 12)), Some(d(2010, 12, 2)));
        assert_eq!(jour_mois_inverses(d(2010, 3, 15)), None);
        assert_eq!(jour_mois_inverses(d(2010, 4, 4)), None);
        // nom_mere_absent
        let out = Difference::NomMereAbsent
            .apply(&identity("Martin", "Emma", Some("Dubois")), None, &mut rng)
            .expect("absent");
        assert_eq!(out.nom_mere, None);
        // prenom_usuel
        assert_eq!(prenom_usuel("Jean-Baptiste").as_deref(), Some("Jean"));
        assert_eq!(prenom_usuel("Marie Ève").as_deref(), Some("Marie"));
        assert_eq!(prenom_usuel("Léa"), None);
        // faute_de_frappe: `a` sits between `z` and `q` on an AZERTY keyboard.
        for _ in 0..20 {
            let s = faute_de_frappe("Léa", &mut rng).expect("typo");
            assert!(["Léz", "Léq"].contains(&s.as_str()), "{s}");
        }
        assert_eq!(faute_de_frappe("ÉÈ", &mut rng), None);
    }

    #[test]
    fn noise_and_name_lists() {
        for list in [PRENOMS_F_FREQUENTS, PRENOMS_M_FREQUENTS, NOMS_FREQUENTS] {
            assert!(list.len() >= 200);
            let mut v: Vec<&str> = list.to_vec();
            v.sort_unstable();
            v.dedup();
            assert_eq!(v.len(), list.len(), "duplicate name");
            for name in list {
                assert!(
                    strip_accents(name)
                        .chars()
                        .all(|c| c.is_ascii_alphabetic() || " -'".contains(c)),
                    "{name}"
                );
            }
        }
        for list in [PRENOMS_F_FREQUENTS, PRENOMS_M_FREQUENTS] {
            assert!(list.iter().any(|p| p.contains('-')));
        }
        assert!(NOMS_FREQUENTS.iter().any(|n| n.contains('\'')));
        assert!(NOMS_FREQUENTS.iter().any(|n| n.contains(' ')));
        // Names outside the overlap are sometimes in capitals or without accents.
        let p = test_population(2, 5_000, 2_000, 0.3);
        let upper = p
            .protection
            .iter()
            .filter(|r| !r.identity.nom.chars().any(char::is_lowercase))
            .count();
        assert!(upper > 50, "{upper}");
    }

    #[test]
    fn csv_is_written() {
        let p = test_population(4, 200, 100, 0.5);
        let dir = std::env::temp_dir().join(format!("population-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("ditep.csv");
        write_csv(&p.ditep, &path).expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "truth_id;nom;prenom;date_naissance;sexe;nom_mere;departement"
        );
        assert_eq!(lines.len(), 101);
        for l in &lines[1..] {
            let f: Vec<&str> = l.split(';').collect();
            assert_eq!(f.len(), 7, "{l}");
            assert!(NaiveDate::parse_from_str(f[3], "%d/%m/%Y").is_ok());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Statistics for a human reader:
    /// `cargo test --release -p observatoire-exemple population -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn report() {
        let p = test_population(1, 20_000, 5_000, 0.38);
        println!("overlap {}", p.overlap);
        for (k, n) in &p.differences {
            println!("{k:24} {n}");
        }
        println!(
            "same-sex twin pairs: protection {}, ditep {}",
            twin_pairs(&p.protection),
            twin_pairs(&p.ditep)
        );
        // Distinct children sharing first name, sex, birth month and year
        // (and surname): within the protection file, and DITEP-only
        // children resembling a protection child.
        let key = |r: &TestRecord, with_nom: bool| {
            let id = &r.identity;
            let nom = if with_nom {
                fold(&id.nom)
            } else {
                String::new()
            };
            let (y, m) = (id.date_naissance.year(), id.date_naissance.month());
            format!("{}|{}|{y}-{m}|{nom}", fold(&id.prenom), id.sexe)
        };
        for with_nom in [false, true] {
            let mut groups: HashMap<String, BTreeSet<u64>> = HashMap::new();
            for r in &p.protection {
                groups
                    .entry(key(r, with_nom))
                    .or_default()
                    .insert(r.truth_id);
            }
            let within = groups.values().filter(|g| g.len() >= 2).count();
            let across = p
                .ditep
                .iter()
                .filter(|r| {
                    groups
                        .get(&key(r, with_nom))
                        .is_some_and(|g| !g.contains(&r.truth_id))
                })
                .count();
            println!(
                "homonyms (prenom+sexe+month{}): protection groups {within}, ditep-only records matching a protection child {across}",
                if with_nom { "+nom" } else { "" }
            );
        }
        let dir = std::env::temp_dir();
        write_csv(&p.protection, &dir.join("population-protection.csv")).expect("csv");
        write_csv(&p.ditep, &dir.join("population-ditep.csv")).expect("csv");
        let start = std::time::Instant::now();
        let big = test_population(1, 400_000, 50_000, 0.38);
        println!(
            "400 000 / 50 000: {:?} ({} + {} records)",
            start.elapsed(),
            big.protection.len(),
            big.ditep.len()
        );
    }
}
