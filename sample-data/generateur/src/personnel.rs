//! Staff of the four services, 2020–2023: who holds which post, when they
//! came and left, their working time and their absences; and the four staff
//! files, one layout per partner.
//!
//! Every person is an invented combination of common first names and
//! surnames. A post keeps its holders in sequence: when a holder leaves, a
//! new one is hired on a permanent contract (CDI) a few weeks later; a long
//! absence (maternity, long sick leave) is often covered by a fixed-term
//! replacement (CDD).

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;

use chrono::Datelike;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use crate::dates::{
    Date, avoid_year_edges, date, days_in_year, days_inclusive, fr, next_weekday, plus_days,
    random_date,
};
use crate::names::{NOMS, PRENOMS_ADULTES_F, PRENOMS_ADULTES_M, fold};
use crate::output::{Output, csv_line};
use crate::pf::to_windows_1252;
use crate::rng::Rng;
use crate::world::{INDICATOR_YEARS, Service, Sex};

/// APMN staff file, relative to the output directory.
pub const FILE_APMN: &str = "anef-cantal/Effectifs APMN 2020-2023.xlsx";
/// MECS staff file.
pub const FILE_MECS: &str = "volcans/Personnel MECS 2020-2023.csv";
/// DITEP staff file.
pub const FILE_DITEP: &str = "chemins/Personnel DITEP 2020-2023.xlsx";
/// PF staff file.
pub const FILE_PF: &str = "entraide63/personnel_2020_2023.csv";

/// Headers of the APMN staff sheet (row 3).
pub const HEADERS_APMN: [&str; 12] = [
    "Matricule",
    "Nom Prénom",
    "Année",
    "Fonction",
    "ETP moyen",
    "Date d'entrée",
    "Date de sortie",
    "Contrat",
    "Jours maladie",
    "Jours accident du travail",
    "Jours maternité/paternité",
    "Autres absences (jours)",
];

/// Header line of the MECS staff CSV.
pub const HEADER_MECS: &str = "Année;Service;Identifiant;Métier;ETP;Entrée;Sortie;CDI (o/n);Absences maladie;Absences AT;Absences maternité;Absences autres";

/// Headers of each yearly sheet of the DITEP staff workbook (row 1).
pub const HEADERS_DITEP: [&str; 10] = [
    "Nom",
    "Emploi",
    "ETP",
    "Entrée",
    "Sortie",
    "Contrat",
    "Maladie (j)",
    "Accident du travail (j)",
    "Maternité / paternité (j)",
    "Autres absences (j)",
];

/// Header line of the PF staff CSV.
pub const HEADER_PF: &str = "Exercice;Matricule;Emploi;ETP (%);Date embauche;Date départ;Type contrat;Arrêt maladie (j);Accident travail (j);Congé maternité/paternité (j);Autres absences (j)";

/// Last day of the staff files.
fn horizon() -> Date {
    date(2023, 12, 31)
}

/// A plausible first working day on or after `d`: a weekday, never between
/// Christmas and New Year.
fn hire_day(d: Date) -> Date {
    let d = if d.month() == 12 && d.day() >= 24 {
        date(d.year() + 1, 1, 3)
    } else if d.month() == 1 && d.day() <= 2 {
        date(d.year(), 1, 3)
    } else {
        d
    };
    next_weekday(d)
}

/// A job, with its canonical label (the one `verite.json` uses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metier {
    /// Éducateur spécialisé (DEES).
    EducateurSpecialise,
    /// Moniteur-éducateur.
    MoniteurEducateur,
    /// Assistant de service social.
    AssistantServiceSocial,
    /// Éducateur de jeunes enfants.
    EducateurJeunesEnfants,
    /// Conseiller en économie sociale et familiale.
    Cesf,
    /// Technicien de l'intervention sociale et familiale.
    Tisf,
    /// Infirmière puéricultrice.
    Puericultrice,
    /// Coordinateur du parcours des usagers.
    Coordinateur,
    /// Psychologue.
    Psychologue,
    /// Chef de service.
    ChefDeService,
    /// Directeur.
    Directeur,
    /// Secrétaire.
    Secretaire,
    /// Maîtresse de maison.
    MaitresseDeMaison,
    /// Surveillant de nuit.
    SurveillantDeNuit,
    /// Assistant familial (placement familial).
    AssistantFamilial,
    /// Enseignant spécialisé.
    EnseignantSpecialise,
    /// Orthophoniste.
    Orthophoniste,
    /// Psychomotricien.
    Psychomotricien,
    /// Infirmier.
    Infirmier,
    /// Médecin psychiatre.
    MedecinPsychiatre,
    /// Agent d'entretien.
    AgentEntretien,
}

impl Metier {
    /// Every job, in canonical order.
    pub const ALL: [Metier; 21] = [
        Metier::EducateurSpecialise,
        Metier::MoniteurEducateur,
        Metier::AssistantServiceSocial,
        Metier::EducateurJeunesEnfants,
        Metier::Cesf,
        Metier::Tisf,
        Metier::Puericultrice,
        Metier::Coordinateur,
        Metier::Psychologue,
        Metier::ChefDeService,
        Metier::Directeur,
        Metier::Secretaire,
        Metier::MaitresseDeMaison,
        Metier::SurveillantDeNuit,
        Metier::AssistantFamilial,
        Metier::EnseignantSpecialise,
        Metier::Orthophoniste,
        Metier::Psychomotricien,
        Metier::Infirmier,
        Metier::MedecinPsychiatre,
        Metier::AgentEntretien,
    ];

    /// Canonical label (truth file, templates).
    pub fn label(self) -> &'static str {
        match self {
            Metier::EducateurSpecialise => "Éducateur spécialisé",
            Metier::MoniteurEducateur => "Moniteur-éducateur",
            Metier::AssistantServiceSocial => "Assistant de service social",
            Metier::EducateurJeunesEnfants => "Éducateur de jeunes enfants",
            Metier::Cesf => "CESF",
            Metier::Tisf => "TISF",
            Metier::Puericultrice => "Puéricultrice",
            Metier::Coordinateur => "Coordinateur",
            Metier::Psychologue => "Psychologue",
            Metier::ChefDeService => "Chef de service",
            Metier::Directeur => "Directeur",
            Metier::Secretaire => "Secrétaire",
            Metier::MaitresseDeMaison => "Maîtresse de maison",
            Metier::SurveillantDeNuit => "Surveillant de nuit",
            Metier::AssistantFamilial => "Assistant familial",
            Metier::EnseignantSpecialise => "Enseignant spécialisé",
            Metier::Orthophoniste => "Orthophoniste",
            Metier::Psychomotricien => "Psychomotricien",
            Metier::Infirmier => "Infirmier",
            Metier::MedecinPsychiatre => "Médecin psychiatre",
            Metier::AgentEntretien => "Agent d'entretien",
        }
    }

    /// Whether the job is a social-work job (`etp_travailleurs_sociaux`).
    pub fn social_worker(self) -> bool {
        matches!(
            self,
            Metier::EducateurSpecialise
                | Metier::MoniteurEducateur
                | Metier::AssistantServiceSocial
                | Metier::EducateurJeunesEnfants
                | Metier::Cesf
                | Metier::Tisf
        )
    }

    /// The job as the partner's file writes it.
    pub fn spelled(self, service: Service, sex: Sex) -> &'static str {
        let f = sex == Sex::F;
        match service {
            Service::Apmn => match self {
                Metier::EducateurSpecialise if f => "Éducatrice spécialisée",
                Metier::AssistantServiceSocial if f => "Assistante de service social",
                Metier::EducateurJeunesEnfants if f => "Éducatrice de jeunes enfants",
                Metier::Coordinateur if f => "Coordinatrice",
                Metier::ChefDeService if f => "Cheffe de service",
                m => m.label(),
            },
            Service::Mecs => match self {
                Metier::EducateurSpecialise => "Educateur spécialisé",
                Metier::MoniteurEducateur => "Moniteur éducateur",
                m => m.label(),
            },
            Service::Ditep => match self {
                Metier::EducateurSpecialise => "ES",
                Metier::MoniteurEducateur => "ME",
                Metier::AssistantServiceSocial => "AS",
                Metier::EnseignantSpecialise => "Enseignant(e) spécialisé(e)",
                Metier::Psychomotricien => "Psychomotricien(ne)",
                Metier::Infirmier => "Infirmier(ère)",
                Metier::ChefDeService => "Chef(fe) de service",
                Metier::Directeur => "Directeur(trice)",
                Metier::AgentEntretien => "Agent(e) d'entretien",
                m => m.label(),
            },
            Service::Pf => match self {
                Metier::AssistantFamilial if f => "Assistante familiale",
                Metier::EducateurSpecialise => "Educateur spécialisé référent",
                Metier::AssistantServiceSocial if f => "Assistante sociale",
                Metier::AssistantServiceSocial => "Assistant social",
                m => m.label(),
            },
        }
    }
}

/// Reason of an absence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Motif {
    /// Sick leave.
    Maladie,
    /// Work accident.
    AccidentTravail,
    /// Maternity or paternity leave.
    MaternitePaternite,
    /// Other absences (sick child, family events, unpaid leave).
    Autre,
}

impl Motif {
    /// Every reason, in file column order.
    pub const ALL: [Motif; 4] = [
        Motif::Maladie,
        Motif::AccidentTravail,
        Motif::MaternitePaternite,
        Motif::Autre,
    ];

    /// Key in the truth file.
    pub fn key(self) -> &'static str {
        match self {
            Motif::Maladie => "maladie",
            Motif::AccidentTravail => "accident_du_travail",
            Motif::MaternitePaternite => "maternite_paternite",
            Motif::Autre => "autres",
        }
    }
}

/// One absence, both ends included (calendar days).
#[derive(Clone, Copy, Debug)]
pub struct Absence {
    /// Reason.
    pub motif: Motif,
    /// First day.
    pub start: Date,
    /// Last day.
    pub end: Date,
}

/// One invented employee (one contract).
#[derive(Clone, Debug)]
pub struct Employee {
    /// Service.
    pub service: Service,
    /// Identifier in the partner's files (empty for the DITEP, which uses names).
    pub id: String,
    /// Surname.
    pub nom: String,
    /// First name.
    pub prenom: String,
    /// Sex.
    pub sex: Sex,
    /// Job.
    pub metier: Metier,
    /// First day of the contract.
    pub entry: Date,
    /// Last day of the contract (never a 31/12 or a 01/01); `None` if open.
    pub exit: Option<Date>,
    /// Permanent contract (CDI) or fixed-term (CDD).
    pub cdi: bool,
    /// Working time in hundredths of a full time, from a year on
    /// (`(year, quotité)`, sorted; the first one applies from the entry).
    pub quotite: Vec<(i32, i64)>,
    /// Absences, sorted, never overlapping.
    pub absences: Vec<Absence>,
    /// Index of the post (within the service) the person holds.
    pub post: usize,
}

impl Employee {
    /// Days of contract in `year` (both ends counted).
    pub fn present_days(&self, year: i32) -> i64 {
        days_inclusive(self.entry, self.exit, date(year, 1, 1), date(year, 12, 31))
    }

    /// Whether the person is under contract on day `d`.
    pub fn present_on(&self, d: Date) -> bool {
        self.entry <= d && self.exit.is_none_or(|e| e >= d)
    }

    /// Whether the person is absent on day `d`.
    pub fn absent_on(&self, d: Date) -> bool {
        self.absences.iter().any(|a| a.start <= d && d <= a.end)
    }

    /// Working time in hundredths during `year`.
    pub fn quotite_in(&self, year: i32) -> i64 {
        let mut q = self.quotite.first().map_or(100, |x| x.1);
        for &(y, v) in &self.quotite {
            if y <= year {
                q = v;
            }
        }
        q
    }

    /// Mean full-time equivalent of `year`, in hundredths: working time ×
    /// days of contract in the year / days of the year, rounded.
    pub fn etp_centiemes(&self, year: i32) -> i64 {
        let num = self.quotite_in(year) * self.present_days(year);
        let den = days_in_year(year);
        (2 * num + den) / (2 * den)
    }

    /// Calendar days of absence for `motif` in `year`.
    pub fn absence_days(&self, year: i32, motif: Motif) -> i64 {
        self.absences
            .iter()
            .filter(|a| a.motif == motif)
            .map(|a| days_inclusive(a.start, Some(a.end), date(year, 1, 1), date(year, 12, 31)))
            .sum()
    }

    /// Whether the entry date falls in `year`.
    pub fn enters_in(&self, year: i32) -> bool {
        self.entry.year() == year
    }

    /// Whether the exit date falls in `year`.
    pub fn leaves_in(&self, year: i32) -> bool {
        self.exit.is_some_and(|e| e.year() == year)
    }

    /// Whether the person is under contract on 31/12 of `year`.
    pub fn present_31_12(&self, year: i32) -> bool {
        self.present_on(date(year, 12, 31))
    }

    /// `NOM Prénom`.
    pub fn nom_prenom(&self) -> String {
        format!("{} {}", self.nom.to_uppercase(), self.prenom)
    }
}

/// All the staff of the four services.
#[derive(Clone, Debug, Default)]
pub struct Staff {
    /// Every employee, services in registry order.
    pub employees: Vec<Employee>,
}

impl Staff {
    /// `(year, employee index)` of a service, one per employee per year with
    /// at least one day of contract, sorted by year then identifier.
    pub fn rows(&self, service: Service) -> Vec<(i32, usize)> {
        let mut rows = Vec::new();
        for y in INDICATOR_YEARS {
            let mut ys: Vec<usize> = self
                .employees
                .iter()
                .enumerate()
                .filter(|(_, e)| e.service == service && e.present_days(y) > 0)
                .map(|(i, _)| i)
                .collect();
            ys.sort_by_key(|&i| {
                let e = &self.employees[i];
                (e.id.clone(), fold(&e.nom), fold(&e.prenom), e.entry)
            });
            rows.extend(ys.into_iter().map(|i| (y, i)));
        }
        rows
    }
}

// ------------------------------------------------------------------ building

/// A post of a service's organisation chart.
struct PostSpec {
    metier: Metier,
    /// Working time, hundredths.
    quotite: i64,
    /// Share of women among holders, percent.
    women: u32,
    /// Creation date of the post (`None`: exists before 2020).
    from: Option<Date>,
}

fn post(metier: Metier, quotite: i64, women: u32) -> PostSpec {
    PostSpec {
        metier,
        quotite,
        women,
        from: None,
    }
}

/// Usual share of women in a job (percent).
fn women_share(m: Metier) -> u32 {
    match m {
        Metier::EducateurSpecialise => 72,
        Metier::MoniteurEducateur => 60,
        Metier::AssistantServiceSocial => 90,
        Metier::EducateurJeunesEnfants
        | Metier::Cesf
        | Metier::Tisf
        | Metier::Puericultrice
        | Metier::Coordinateur
        | Metier::MaitresseDeMaison => 100,
        Metier::Psychologue => 80,
        Metier::ChefDeService | Metier::MedecinPsychiatre | Metier::AgentEntretien => 50,
        Metier::Directeur => 40,
        Metier::Secretaire => 90,
        Metier::SurveillantDeNuit => 20,
        Metier::AssistantFamilial => 90,
        Metier::EnseignantSpecialise => 70,
        Metier::Orthophoniste => 95,
        Metier::Psychomotricien => 80,
        Metier::Infirmier => 85,
    }
}

fn posts(metier: Metier, quotites: &[i64]) -> Vec<PostSpec> {
    quotites
        .iter()
        .map(|&q| post(metier, q, women_share(metier)))
        .collect()
}

/// Organisation chart and turnover of a service.
struct ServiceSpec {
    posts: Vec<PostSpec>,
    /// Departures (and CDI recruitments) per year, inclusive range.
    departures: (i64, i64),
    /// Summer fixed-term reinforcements per year (MECS).
    summer_cdd: (i64, i64),
}

fn spec(service: Service) -> ServiceSpec {
    use Metier::*;
    let mut p = Vec::new();
    match service {
        Service::Apmn => {
            p.extend(posts(EducateurSpecialise, &[100, 100, 100, 100, 80, 80]));
            p.extend(posts(AssistantServiceSocial, &[100, 80]));
            p.extend(posts(Cesf, &[100]));
            p.extend(posts(Puericultrice, &[100]));
            p.push(post(Psychologue, 50, 80));
            p.push(post(ChefDeService, 100, 100));
            p.push(post(Secretaire, 80, 100));
            p.push(PostSpec {
                from: Some(date(2023, 7, 3)),
                ..post(Coordinateur, 100, 100)
            });
            p.push(PostSpec {
                from: Some(date(2023, 9, 4)),
                ..post(EducateurJeunesEnfants, 100, 100)
            });
            ServiceSpec {
                posts: p,
                departures: (2, 2),
                summer_cdd: (0, 0),
            }
        }
        Service::Mecs => {
            p.push(post(Directeur, 100, 40));
            p.push(post(ChefDeService, 100, 50));
            p.push(post(Psychologue, 50, 80));
            p.extend(posts(
                EducateurSpecialise,
                &[100, 100, 100, 100, 100, 100, 80],
            ));
            p.extend(posts(MoniteurEducateur, &[100, 100, 100, 100, 100, 80]));
            p.extend(posts(MaitresseDeMaison, &[100, 80]));
            p.extend(posts(SurveillantDeNuit, &[100, 100, 80]));
            ServiceSpec {
                posts: p,
                departures: (2, 3),
                summer_cdd: (1, 2),
            }
        }
        Service::Ditep => {
            p.push(post(Directeur, 100, 40));
            p.push(post(ChefDeService, 100, 50));
            p.extend(posts(EducateurSpecialise, &[100, 100, 100, 100, 80]));
            p.extend(posts(MoniteurEducateur, &[100, 100, 100, 80]));
            p.extend(posts(AssistantServiceSocial, &[80]));
            p.extend(posts(EnseignantSpecialise, &[100, 100]));
            p.extend(posts(Psychologue, &[80]));
            p.extend(posts(Orthophoniste, &[50]));
            p.extend(posts(Psychomotricien, &[50]));
            p.extend(posts(Infirmier, &[50]));
            p.extend(posts(MedecinPsychiatre, &[20]));
            p.extend(posts(Secretaire, &[100]));
            p.extend(posts(AgentEntretien, &[100]));
            ServiceSpec {
                posts: p,
                departures: (1, 3),
                summer_cdd: (0, 0),
            }
        }
        Service::Pf => {
            p.push(post(ChefDeService, 100, 50));
            p.extend(posts(EducateurSpecialise, &[100, 100, 100]));
            p.extend(posts(AssistantServiceSocial, &[100]));
            p.extend(posts(Tisf, &[50]));
            p.extend(posts(Psychologue, &[50]));
            p.extend(posts(Secretaire, &[80]));
            p.extend(posts(AssistantFamilial, &[100; 20]));
            ServiceSpec {
                posts: p,
                departures: (1, 3),
                summer_cdd: (0, 0),
            }
        }
    }
}

struct Builder<'a> {
    rng: &'a mut Rng,
    employees: Vec<Employee>,
    /// Folded `nom|prénom` of every employee (all services).
    keys: BTreeSet<String>,
}

impl Builder<'_> {
    fn new_person(
        &mut self,
        service: Service,
        post: usize,
        spec: &PostSpec,
        entry: Date,
        cdi: bool,
    ) -> usize {
        let sex = if self.rng.below(100) < u64::from(spec.women) {
            Sex::F
        } else {
            Sex::M
        };
        let firsts = if sex == Sex::F {
            PRENOMS_ADULTES_F
        } else {
            PRENOMS_ADULTES_M
        };
        // Surnames differ within a service (small teams), as long as the
        // list allows it.
        let used: BTreeSet<String> = self
            .employees
            .iter()
            .filter(|e| e.service == service)
            .map(|e| fold(&e.nom))
            .collect();
        let mut tries = 0u32;
        let (prenom, nom) = loop {
            tries += 1;
            let p = *self.rng.pick(firsts);
            let n = *self.rng.pick(NOMS);
            if tries < 200 && used.contains(&fold(n)) {
                continue;
            }
            if self.keys.insert(format!("{}|{}", fold(n), fold(p))) {
                break (p.to_string(), n.to_string());
            }
        };
        self.employees.push(Employee {
            service,
            id: String::new(),
            nom,
            prenom,
            sex,
            metier: spec.metier,
            entry,
            exit: None,
            cdi,
            quotite: vec![(entry.year(), spec.quotite)],
            absences: Vec::new(),
            post,
        });
        self.employees.len() - 1
    }

    /// Posts, departures and recruitments of one service.
    fn holders(&mut self, service: Service, spec: &ServiceSpec) -> Vec<usize> {
        let first = self.employees.len();
        // Current holder of each post.
        let mut current: Vec<usize> = Vec::new();
        for (k, p) in spec.posts.iter().enumerate() {
            let entry = match p.from {
                Some(d) => d,
                None => hire_day(random_date(self.rng, date(2003, 9, 1), date(2019, 10, 31))),
            };
            current.push(self.new_person(service, k, p, entry, true));
        }
        for y in INDICATOR_YEARS {
            let n = self.rng.range(spec.departures.0, spec.departures.1);
            for _ in 0..n {
                let candidates: Vec<usize> = (0..spec.posts.len())
                    .filter(|&k| {
                        let e = &self.employees[current[k]];
                        e.exit.is_none() && e.entry < date(y, 1, 1)
                    })
                    .collect();
                if candidates.is_empty() {
                    break;
                }
                let weights: Vec<u32> = candidates
                    .iter()
                    .map(|&k| match spec.posts[k].metier {
                        m if m.social_worker() => 4,
                        Metier::AssistantFamilial => 3,
                        Metier::Directeur | Metier::ChefDeService => 1,
                        _ => 2,
                    })
                    .collect();
                let k = candidates[self.rng.weighted(&weights)];
                let exit = avoid_year_edges(random_date(self.rng, date(y, 1, 20), date(y, 11, 30)));
                self.employees[current[k]].exit = Some(exit);
                let hire = hire_day(plus_days(exit, self.rng.range(14, 75)));
                if hire <= horizon() {
                    current[k] = self.new_person(service, k, &spec.posts[k], hire, true);
                }
            }
        }
        (first..self.employees.len()).collect()
    }

    /// Adds an absence (clipped to the contract) unless it overlaps another
    /// one; returns the absence stored.
    fn add_absence(&mut self, i: usize, motif: Motif, start: Date, end: Date) -> Option<Absence> {
        let e = &self.employees[i];
        let start = start.max(e.entry);
        let end = e.exit.map_or(end, |x| end.min(x));
        if end < start || start > horizon() {
            return None;
        }
        if e.absences.iter().any(|a| a.start <= end && start <= a.end) {
            return None;
        }
        let a = Absence { motif, start, end };
        let v = &mut self.employees[i].absences;
        v.push(a);
        v.sort_by_key(|a| (a.start, a.end));
        Some(a)
    }

    /// Sick leaves, work accidents and other short absences of one person;
    /// returns the long sick leaves (45 days or more).
    fn ordinary_absences(&mut self, i: usize) -> Vec<Absence> {
        let mut long = Vec::new();
        for y in INDICATOR_YEARS {
            let e = &self.employees[i];
            let from = e.entry.max(date(y, 1, 1));
            let to = e.exit.map_or(date(y, 12, 31), |x| x.min(date(y, 12, 31)));
            if to <= from {
                continue;
            }
            if self.rng.chance(0.45) {
                let episodes = self.rng.range(1, 3);
                for _ in 0..episodes {
                    let len = if self.rng.chance(0.12) {
                        self.rng.range(20, 110)
                    } else {
                        self.rng.range(1, 9)
                    };
                    let start = random_date(self.rng, from, to);
                    let end = plus_days(start, len - 1);
                    if let Some(a) = self.add_absence(i, Motif::Maladie, start, end)
                        && (a.end - a.start).num_days() + 1 >= 45
                    {
                        long.push(a);
                    }
                }
            }
            if self.rng.chance(0.05) {
                let start = random_date(self.rng, from, to);
                let len = self.rng.range(2, 40);
                self.add_absence(i, Motif::AccidentTravail, start, plus_days(start, len - 1));
            }
            if self.rng.chance(0.25) {
                for _ in 0..self.rng.range(1, 2) {
                    let start = random_date(self.rng, from, to);
                    let len = self.rng.range(1, 4);
                    self.add_absence(i, Motif::Autre, start, plus_days(start, len - 1));
                }
            }
        }
        long
    }

    /// Maternity or paternity leave of one person (at most one over the period).
    fn parental_leave(&mut self, i: usize) -> Option<Absence> {
        for y in INDICATOR_YEARS {
            let e = &self.employees[i];
            let from = e.entry.max(date(y, 1, 1));
            let to = e.exit.map_or(date(y, 12, 31), |x| x.min(date(y, 12, 31)));
            if to <= from {
                continue;
            }
            let (p, female) = match e.sex {
                Sex::F => (0.06, true),
                Sex::M => (0.05, false),
            };
            if !self.rng.chance(p) {
                continue;
            }
            let start = random_date(self.rng, from, to);
            let len = if female {
                112
            } else if start < date(2021, 7, 1) {
                11
            } else {
                25
            };
            let end = plus_days(start, len - 1);
            if let Some(a) = self.add_absence(i, Motif::MaternitePaternite, start, end) {
                return Some(a);
            }
        }
        None
    }

    /// A fixed-term replacement covering `a` on the post of employee `i`.
    fn replacement(&mut self, service: Service, spec: &ServiceSpec, i: usize, a: Absence) {
        let k = self.employees[i].post;
        let start = hire_day(plus_days(a.start, self.rng.range(0, 6)));
        if start > horizon() || start >= a.end {
            return;
        }
        let end = avoid_year_edges(a.end);
        if end <= start {
            return;
        }
        let j = self.new_person(service, k, &spec.posts[k], start, false);
        self.employees[j].exit = Some(end);
        self.ordinary_absences(j);
    }

    fn build_service(&mut self, service: Service) {
        let spec = spec(service);
        let holders = self.holders(service, &spec);
        let mut covered = Vec::new();
        for &i in &holders {
            if let Some(a) = self.parental_leave(i) {
                let no_cover = self.employees[i].metier == Metier::AssistantFamilial;
                if (a.end - a.start).num_days() > 60 && !no_cover {
                    covered.push((i, a));
                }
            }
            for a in self.ordinary_absences(i) {
                if self.employees[i].metier != Metier::AssistantFamilial && self.rng.chance(0.5) {
                    covered.push((i, a));
                }
            }
        }
        for (i, a) in covered {
            if self.rng.chance(0.85) {
                self.replacement(service, &spec, i, a);
            }
        }
        // Summer reinforcements (one or two fixed-term educators each summer).
        if spec.summer_cdd.1 > 0 {
            let k = spec
                .posts
                .iter()
                .position(|p| p.metier == Metier::MoniteurEducateur)
                .unwrap_or(0);
            for y in INDICATOR_YEARS {
                for _ in 0..self.rng.range(spec.summer_cdd.0, spec.summer_cdd.1) {
                    let start = next_weekday(date(y, 7, self.rng.range(1, 8) as u32));
                    let end = date(y, 8, self.rng.range(24, 31) as u32);
                    let j = self.new_person(service, k, &spec.posts[k], start, false);
                    self.employees[j].exit = Some(end);
                }
            }
        }
        // A few changes of working time (parental part time, back to full time).
        let ids: Vec<usize> = (0..self.employees.len())
            .filter(|&i| self.employees[i].service == service && self.employees[i].cdi)
            .collect();
        for i in ids {
            if !self.rng.chance(0.10) {
                continue;
            }
            let y = self.rng.range(2021, 2023) as i32;
            let e = &self.employees[i];
            if e.entry >= date(y, 1, 1) || e.exit.is_some_and(|x| x < date(y, 1, 1)) {
                continue;
            }
            let q = e.quotite_in(y);
            let new = match q {
                100 => 80,
                80 => 100,
                50 => 60,
                q => q,
            };
            if new != q {
                self.employees[i].quotite.push((y, new));
            }
        }
    }
}

/// Identifiers: by entry date, with gaps (hires of the organisation's other
/// services) between consecutive numbers.
fn assign_ids(rng: &mut Rng, employees: &mut [Employee], service: Service) {
    let mut order: Vec<usize> = (0..employees.len())
        .filter(|&i| employees[i].service == service)
        .collect();
    order.sort_by_key(|&i| {
        let e = &employees[i];
        (e.entry, fold(&e.nom), fold(&e.prenom))
    });
    let mut n: i64 = match service {
        Service::Apmn => 180,
        Service::Mecs => 10,
        Service::Ditep => 0,
        Service::Pf => 1040,
    };
    for i in order {
        n += rng.range(1, 6);
        employees[i].id = match service {
            Service::Apmn => format!("{n:05}"),
            Service::Mecs => format!("TIL-{n:03}"),
            Service::Ditep => String::new(),
            Service::Pf => n.to_string(),
        };
    }
}

/// Builds the staff of the four services.
pub fn build(rng: &mut Rng) -> Staff {
    let mut b = Builder {
        rng,
        employees: Vec::new(),
        keys: BTreeSet::new(),
    };
    for s in Service::ALL {
        b.build_service(s);
    }
    let mut employees = b.employees;
    for s in Service::ALL {
        assign_ids(b.rng, &mut employees, s);
    }
    Staff { employees }
}

// ------------------------------------------------------------------- writing

pub(crate) fn excel_date(d: Date) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

/// Hundredths as a number (`80` → `0.8`).
pub fn centiemes(c: i64) -> f64 {
    c as f64 / 100.0
}

/// Hundredths with two decimals and a decimal comma (`80` → `0,80`).
pub fn centiemes_fr(c: i64) -> String {
    format!(
        "{}{},{:02}",
        if c < 0 { "-" } else { "" },
        c.abs() / 100,
        c.abs() % 100
    )
}

/// The exit date as the files show it: only on the row of its own year.
fn exit_in(e: &Employee, year: i32) -> Option<Date> {
    e.exit.filter(|x| x.year() == year)
}

fn write_apmn(staff: &Staff, out: &mut Output) -> Result<(), Box<dyn Error>> {
    let rows = staff.rows(Service::Apmn);
    let mut wb = Workbook::new();
    wb.set_properties(&crate::doc_properties(
        "ANEF Cantal",
        "Effectifs APMN 2020-2023",
    )?);
    let title = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let etp = Format::new().set_num_format("0.00");
    let ws = wb.add_worksheet();
    ws.set_name("Personnel")?;
    ws.write_string_with_format(
        0,
        0,
        "ANEF Cantal — Service APMN : effectifs 2020-2023 (une ligne par salarié et par année)",
        &title,
    )?;
    for (col, h) in HEADERS_APMN.iter().enumerate() {
        ws.write_string_with_format(2, col as u16, *h, &header)?;
    }
    ws.set_row_height(2, 32)?;
    for (col, w) in [11, 26, 7, 28, 9, 12, 12, 8, 9, 11, 12, 11]
        .iter()
        .enumerate()
    {
        ws.set_column_width(col as u16, *w)?;
    }
    let mut r = 3u32;
    for &(y, i) in &rows {
        let e = &staff.employees[i];
        ws.write_string(r, 0, e.id.as_str())?;
        ws.write_string(r, 1, e.nom_prenom())?;
        ws.write_number(r, 2, f64::from(y))?;
        ws.write_string(r, 3, e.metier.spelled(Service::Apmn, e.sex))?;
        ws.write_number_with_format(r, 4, centiemes(e.etp_centiemes(y)), &etp)?;
        ws.write_date_with_format(r, 5, &excel_date(e.entry)?, &day)?;
        if let Some(x) = exit_in(e, y) {
            ws.write_date_with_format(r, 6, &excel_date(x)?, &day)?;
        }
        ws.write_string(r, 7, if e.cdi { "CDI" } else { "CDD" })?;
        for (k, m) in Motif::ALL.iter().enumerate() {
            let d = e.absence_days(y, *m);
            if d > 0 {
                ws.write_number(r, 8 + k as u16, d as f64)?;
            }
        }
        r += 1;
    }
    ws.set_freeze_panes(3, 2)?;
    ws.autofilter(2, 0, r - 1, (HEADERS_APMN.len() - 1) as u16)?;
    let bytes = wb.save_to_buffer()?;
    out.write(FILE_APMN, &bytes)?;
    out.count_rh(FILE_APMN, Some("Personnel"), r as usize, rows.len());
    Ok(())
}

fn write_mecs(staff: &Staff, out: &mut Output) -> Result<(), Box<dyn Error>> {
    let rows = staff.rows(Service::Mecs);
    let mut text = String::from(HEADER_MECS);
    text.push('\n');
    for &(y, i) in &rows {
        let e = &staff.employees[i];
        let mut fields = vec![
            y.to_string(),
            "MECS Les Tilleuls".to_string(),
            e.id.clone(),
            e.metier.spelled(Service::Mecs, e.sex).to_string(),
            centiemes_fr(e.etp_centiemes(y)),
            fr(e.entry),
            exit_in(e, y).map(fr).unwrap_or_default(),
            if e.cdi { "o" } else { "n" }.to_string(),
        ];
        for m in Motif::ALL {
            fields.push(e.absence_days(y, m).to_string());
        }
        text.push_str(&csv_line(&fields, ';'));
        text.push('\n');
    }
    out.write(FILE_MECS, text.as_bytes())?;
    out.count_rh(FILE_MECS, None, rows.len() + 1, rows.len());
    Ok(())
}

/// `Prénom Nom`, as the DITEP writes its staff.
pub fn ditep_name(e: &Employee) -> String {
    format!("{} {}", e.prenom, e.nom)
}

fn write_ditep(staff: &Staff, out: &mut Output) -> Result<(), Box<dyn Error>> {
    let rows = staff.rows(Service::Ditep);
    let mut wb = Workbook::new();
    wb.set_properties(&crate::doc_properties(
        "Association Les Chemins",
        "Personnel DITEP Le Cèdre 2020-2023",
    )?);
    let header = Format::new().set_bold().set_background_color("#FCE4D6");
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let mut counts = Vec::new();
    for y in INDICATOR_YEARS {
        let mut mine: Vec<usize> = rows
            .iter()
            .filter(|(ry, _)| *ry == y)
            .map(|&(_, i)| i)
            .collect();
        // The DITEP sorts its staff by job then name.
        mine.sort_by_key(|&i| {
            let e = &staff.employees[i];
            (e.metier, fold(&e.nom), fold(&e.prenom))
        });
        let ws = wb.add_worksheet();
        let name = y.to_string();
        ws.set_name(&name)?;
        for (col, h) in HEADERS_DITEP.iter().enumerate() {
            ws.write_string_with_format(0, col as u16, *h, &header)?;
        }
        for (col, w) in [24, 26, 6, 11, 11, 8, 10, 10, 12, 10].iter().enumerate() {
            ws.set_column_width(col as u16, *w)?;
        }
        let mut r = 1u32;
        for &i in &mine {
            let e = &staff.employees[i];
            ws.write_string(r, 0, ditep_name(e))?;
            ws.write_string(r, 1, e.metier.spelled(Service::Ditep, e.sex))?;
            ws.write_number(r, 2, centiemes(e.etp_centiemes(y)))?;
            ws.write_date_with_format(r, 3, &excel_date(e.entry)?, &day)?;
            if let Some(x) = exit_in(e, y) {
                ws.write_date_with_format(r, 4, &excel_date(x)?, &day)?;
            }
            ws.write_string(r, 5, if e.cdi { "CDI" } else { "CDD" })?;
            for (k, m) in Motif::ALL.iter().enumerate() {
                ws.write_number(r, 6 + k as u16, e.absence_days(y, *m) as f64)?;
            }
            r += 1;
        }
        ws.set_freeze_panes(1, 0)?;
        counts.push((name, r as usize, mine.len()));
    }
    let bytes = wb.save_to_buffer()?;
    out.write(FILE_DITEP, &bytes)?;
    for (name, total, data) in counts {
        out.count_rh(FILE_DITEP, Some(&name), total, data);
    }
    Ok(())
}

fn write_pf(staff: &Staff, out: &mut Output) -> Result<(), Box<dyn Error>> {
    let rows = staff.rows(Service::Pf);
    let mut text = String::from(HEADER_PF);
    text.push_str("\r\n");
    for &(y, i) in &rows {
        let e = &staff.employees[i];
        let pct = e.etp_centiemes(y);
        let mut fields = vec![
            y.to_string(),
            e.id.clone(),
            e.metier.spelled(Service::Pf, e.sex).to_string(),
            format!("{},{}", pct, 0),
            fr(e.entry),
            exit_in(e, y).map(fr).unwrap_or_default(),
            if e.cdi { "CDI" } else { "CDD" }.to_string(),
        ];
        for m in Motif::ALL {
            let d = e.absence_days(y, m);
            fields.push(if d > 0 { d.to_string() } else { String::new() });
        }
        text.push_str(&csv_line(&fields, ';'));
        text.push_str("\r\n");
    }
    out.write(FILE_PF, &to_windows_1252(&text)?)?;
    out.count_rh(FILE_PF, None, rows.len() + 1, rows.len());
    Ok(())
}

/// Writes the four staff files.
pub fn write(staff: &Staff, out: &mut Output) -> Result<(), Box<dyn Error>> {
    write_apmn(staff, out)?;
    write_mecs(staff, out)?;
    write_ditep(staff, out)?;
    write_pf(staff, out)?;
    Ok(())
}

/// Canonical labels of the jobs present in a list, with their ETP (hundredths).
pub fn etp_by_metier<'a>(
    it: impl Iterator<Item = (&'a Employee, i32)>,
) -> BTreeMap<&'static str, i64> {
    let mut m = BTreeMap::new();
    for (e, y) in it {
        *m.entry(e.metier.label()).or_insert(0) += e.etp_centiemes(y);
    }
    m
}
