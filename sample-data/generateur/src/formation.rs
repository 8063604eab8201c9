//! Training taken or requested by the staff of the APMN and of the MECS,
//! 2020–2023, and the two training files.
//!
//! Trainings come in sessions (a theme, a provider, a first day, a length);
//! each participant is one row. ESOPPE every year at the APMN (the project's
//! fiche action: "former annuellement les salariés au référentiel ESOPPE"),
//! analyse systémique from 2023 (2022 at the MECS), and the inter-associative
//! days of the charter's common programme, shared by both services.

use std::collections::BTreeSet;
use std::error::Error;

use chrono::{Datelike, Weekday};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use crate::dates::{Date, date, fr, next_weekday, plus_days, random_date};
use crate::output::{Output, csv_line};
use crate::personnel::{Employee, Metier, Staff, excel_date};
use crate::rng::Rng;
use crate::world::{INDICATOR_YEARS, Service};

/// APMN training file, relative to the output directory.
pub const FILE_APMN: &str = "anef-cantal/Plan de formation 2020-2023.xlsx";
/// MECS training file.
pub const FILE_MECS: &str = "volcans/Formations MECS 2020-2023.csv";

/// Headers of the APMN training sheet (row 1).
pub const HEADERS_APMN: [&str; 7] = [
    "Matricule",
    "Thème",
    "Organisme",
    "Date",
    "Jours demandés",
    "Jours réalisés",
    "Inter-associatif (oui/non)",
];

/// Header line of the MECS training CSV.
pub const HEADER_MECS: &str = "Identifiant;Année;Intitulé;Organisme;Du;Au;Nb jours prévus;Nb jours effectués;Formation commune interassociative";

/// Provider of the inter-associative days.
pub const ORGANISME_INTER: &str = "Collectif interassociatif AIRe-ANMECS-CNAEMO-GEPSO";

/// A training theme (canonical spelling = the APMN's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Theme {
    /// ESOPPE evaluation referential.
    Esoppe,
    /// Systemic analysis.
    AnalyseSystemique,
    /// Psychic disability.
    HandicapPsychique,
    /// Legal framework.
    CadreLegal,
    /// Working with the family.
    TravailFamille,
    /// Parenting support.
    SoutienParentalite,
    /// Crisis and violence management.
    GestionCrise,
    /// Cooperation methods.
    MethodesCooperation,
}

impl Theme {
    /// Every theme, in canonical order.
    pub const ALL: [Theme; 8] = [
        Theme::Esoppe,
        Theme::AnalyseSystemique,
        Theme::HandicapPsychique,
        Theme::CadreLegal,
        Theme::TravailFamille,
        Theme::SoutienParentalite,
        Theme::GestionCrise,
        Theme::MethodesCooperation,
    ];

    /// The charter's common programme (themes of the inter-associative days).
    pub const CHARTE: [Theme; 6] = [
        Theme::HandicapPsychique,
        Theme::CadreLegal,
        Theme::TravailFamille,
        Theme::SoutienParentalite,
        Theme::GestionCrise,
        Theme::MethodesCooperation,
    ];

    /// Canonical label (APMN file, truth file, templates).
    pub fn label(self) -> &'static str {
        match self {
            Theme::Esoppe => "ESOPPE",
            Theme::AnalyseSystemique => "Analyse systémique",
            Theme::HandicapPsychique => "Handicap psychique",
            Theme::CadreLegal => "Cadre légal",
            Theme::TravailFamille => "Travail avec la famille",
            Theme::SoutienParentalite => "Soutien à la parentalité",
            Theme::GestionCrise => "Gestion de crise et de la violence",
            Theme::MethodesCooperation => "Méthodes de coopération",
        }
    }

    /// Spellings of the theme in the MECS file (one is drawn per session).
    pub fn mecs_spellings(self) -> &'static [&'static str] {
        match self {
            Theme::Esoppe => &["Esoppe", "ESOPPE"],
            Theme::AnalyseSystemique => &["analyse systemique", "Analyse systémique"],
            Theme::HandicapPsychique => &["Sensibilisation au handicap psychique"],
            Theme::CadreLegal => &["Cadre légal"],
            Theme::TravailFamille => &["Travail avec les familles"],
            Theme::SoutienParentalite => &["Soutien à la parentalité", "Parentalité"],
            Theme::GestionCrise => &[
                "Gestion de la violence",
                "Gestion de crise et de la violence",
            ],
            Theme::MethodesCooperation => &["Méthodes de coopération"],
        }
    }

    /// Whether a job may take a training on this theme.
    fn open_to(self, m: Metier) -> bool {
        let educational = m.social_worker()
            || matches!(
                m,
                Metier::Puericultrice | Metier::Coordinateur | Metier::ChefDeService
            );
        match self {
            Theme::Esoppe => educational,
            Theme::AnalyseSystemique => educational || m == Metier::Psychologue,
            Theme::GestionCrise => {
                educational || matches!(m, Metier::MaitresseDeMaison | Metier::SurveillantDeNuit)
            }
            _ => educational || m == Metier::Psychologue,
        }
    }
}

/// One participant of one session (one row of a training file).
#[derive(Clone, Debug)]
pub struct Training {
    /// Service.
    pub service: Service,
    /// Index into [`Staff::employees`].
    pub employee: usize,
    /// Theme.
    pub theme: Theme,
    /// Spelling of the theme in the file.
    pub intitule: &'static str,
    /// Provider.
    pub organisme: &'static str,
    /// First day (planned day when the training did not take place).
    pub date: Date,
    /// Last day.
    pub last_day: Date,
    /// Days requested, in half-days.
    pub demandes: i64,
    /// Days taken, in half-days.
    pub realises: i64,
    /// The APMN left `Jours réalisés` empty (instead of 0).
    pub realises_vide: bool,
    /// Session of the charter's inter-associative programme.
    pub inter: bool,
}

/// A session before its participants are chosen.
struct Session {
    theme: Theme,
    organisme: &'static str,
    date: Date,
    /// Length in half-days.
    half_days: i64,
    inter: bool,
    delivered: bool,
    /// Participants, inclusive range.
    seats: (i64, i64),
}

/// `d` plus `n` working days (Monday–Friday).
fn plus_weekdays(d: Date, n: i64) -> Date {
    let mut x = d;
    let mut left = n;
    while left > 0 {
        x = plus_days(x, 1);
        if !matches!(x.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    x
}

/// A working day of month `m` of year `y`.
fn day_in(rng: &mut Rng, y: i32, m: u32) -> Date {
    next_weekday(random_date(rng, date(y, m, 1), date(y, m, 24)))
}

/// The inter-associative days of the charter's common programme.
fn inter_sessions(y: i32) -> Vec<(Theme, Date, i64)> {
    match y {
        2021 => vec![(Theme::CadreLegal, date(2021, 11, 18), 1)],
        2022 => vec![
            (Theme::MethodesCooperation, date(2022, 7, 1), 2),
            (Theme::HandicapPsychique, date(2022, 11, 17), 2),
        ],
        2023 => vec![
            (Theme::TravailFamille, date(2023, 3, 16), 2),
            (Theme::GestionCrise, date(2023, 6, 15), 2),
            (Theme::SoutienParentalite, date(2023, 11, 23), 2),
        ],
        _ => Vec::new(),
    }
}

const ORGANISMES: [&str; 4] = [
    "CREAI Auvergne-Rhône-Alpes",
    "IRTS Auvergne",
    "ANEF AURA",
    "Organisme de formation privé",
];

fn sessions(rng: &mut Rng, service: Service, y: i32) -> Vec<Session> {
    let mut v = Vec::new();
    let s = |theme, organisme, date, half_days, delivered, seats| Session {
        theme,
        organisme,
        date,
        half_days,
        inter: false,
        delivered,
        seats,
    };
    match service {
        Service::Apmn => {
            // ESOPPE: a refresher every year, two sessions in 2023.
            if y == 2020 {
                let d = day_in(rng, y, 3);
                v.push(s(Theme::Esoppe, ORGANISMES[0], d, 4, false, (3, 3)));
                let d = day_in(rng, y, 10);
                v.push(s(Theme::Esoppe, ORGANISMES[0], d, 4, true, (2, 3)));
            } else {
                let m = *rng.pick(&[3, 4, 5]);
                let d = day_in(rng, y, m);
                v.push(s(Theme::Esoppe, ORGANISMES[0], d, 4, true, (3, 4)));
                if y == 2023 {
                    let d = day_in(rng, y, 10);
                    v.push(s(Theme::Esoppe, ORGANISMES[0], d, 4, true, (3, 4)));
                }
            }
            if y == 2023 {
                let d = day_in(rng, y, 9);
                v.push(s(
                    Theme::AnalyseSystemique,
                    ORGANISMES[2],
                    d,
                    6,
                    true,
                    (4, 5),
                ));
            }
        }
        Service::Mecs => {
            let m = *rng.pick(&[2, 3, 4]);
            let d = day_in(rng, y, m);
            v.push(s(
                Theme::GestionCrise,
                ORGANISMES[3],
                d,
                4,
                y != 2020,
                (4, 6),
            ));
            if y == 2021 || y == 2023 {
                let d = day_in(rng, y, 5);
                v.push(s(
                    Theme::HandicapPsychique,
                    ORGANISMES[1],
                    d,
                    4,
                    true,
                    (3, 4),
                ));
            }
            if y >= 2022 {
                let d = day_in(rng, y, 10);
                v.push(s(Theme::Esoppe, ORGANISMES[0], d, 4, true, (2, 2)));
                let m = *rng.pick(&[9, 11]);
                let d = day_in(rng, y, m);
                v.push(s(
                    Theme::AnalyseSystemique,
                    ORGANISMES[3],
                    d,
                    6,
                    y == 2023 || rng.chance(0.5),
                    (2, 3),
                ));
            }
        }
        Service::Ditep | Service::Pf => {}
    }
    // Individual requests on the charter's themes.
    let (lo, hi) = if service == Service::Apmn {
        (2, 4)
    } else {
        (1, 3)
    };
    let p_delivered = if y == 2020 { 0.4 } else { 0.75 };
    for _ in 0..rng.range(lo, hi) {
        let theme = *rng.pick(&Theme::CHARTE);
        let m = *rng.pick(&[1, 2, 3, 4, 5, 6, 9, 10, 11]);
        let d = day_in(rng, y, m);
        let half_days = *rng.pick(&[1, 2, 2, 4, 4, 6]);
        let org = *rng.pick(&ORGANISMES);
        let delivered = rng.chance(p_delivered);
        v.push(s(theme, org, d, half_days, delivered, (1, 1)));
    }
    // The inter-associative days (not every service goes to every one).
    for (theme, d, half_days) in inter_sessions(y) {
        if rng.chance(0.85) {
            v.push(Session {
                theme,
                organisme: ORGANISME_INTER,
                date: d,
                half_days,
                inter: true,
                delivered: true,
                seats: (1, 3),
            });
        }
    }
    v
}

fn eligible(e: &Employee, service: Service, theme: Theme, from: Date, to: Date) -> bool {
    if e.service != service || !theme.open_to(e.metier) {
        return false;
    }
    if !(e.present_on(from) && e.present_on(to)) {
        return false;
    }
    let mut d = from;
    while d <= to {
        if e.absent_on(d) {
            return false;
        }
        d = plus_days(d, 1);
    }
    true
}

/// Builds the trainings of the APMN and of the MECS.
pub fn build(rng: &mut Rng, staff: &Staff) -> Vec<Training> {
    let mut out = Vec::new();
    // Nobody is enrolled twice on the same theme in the same year.
    let mut enrolled: BTreeSet<(usize, Theme, i32)> = BTreeSet::new();
    for service in [Service::Apmn, Service::Mecs] {
        for y in INDICATOR_YEARS {
            for sess in sessions(rng, service, y) {
                let last_day = plus_weekdays(sess.date, (sess.half_days + 1) / 2 - 1);
                let mut pool: Vec<usize> = (0..staff.employees.len())
                    .filter(|&i| {
                        !enrolled.contains(&(i, sess.theme, y))
                            && eligible(
                                &staff.employees[i],
                                service,
                                sess.theme,
                                sess.date,
                                last_day,
                            )
                    })
                    .collect();
                rng.shuffle(&mut pool);
                let n = rng.range(sess.seats.0, sess.seats.1).max(0) as usize;
                let spellings = if service == Service::Mecs {
                    sess.theme.mecs_spellings()
                } else {
                    &[][..]
                };
                let intitule = if spellings.is_empty() {
                    sess.theme.label()
                } else {
                    *rng.pick(spellings)
                };
                for &i in pool.iter().take(n) {
                    enrolled.insert((i, sess.theme, y));
                    // Cancelled, or absent on the day: nothing taken.
                    let realises = if !sess.delivered || rng.chance(0.04) {
                        0
                    } else if sess.half_days >= 4 && rng.chance(0.06) {
                        sess.half_days - 2 // left one day early
                    } else {
                        sess.half_days
                    };
                    let realises_vide = realises == 0 && rng.chance(0.5);
                    out.push(Training {
                        service,
                        employee: i,
                        theme: sess.theme,
                        intitule,
                        organisme: sess.organisme,
                        date: sess.date,
                        last_day,
                        demandes: sess.half_days,
                        realises,
                        realises_vide,
                        inter: sess.inter,
                    });
                }
            }
        }
    }
    out
}

/// Half-days as days (`3` → `1.5`).
pub fn days(half_days: i64) -> f64 {
    half_days as f64 / 2.0
}

/// Half-days as days with a decimal comma (`3` → `1,5`, `4` → `2`).
pub fn days_fr(half_days: i64) -> String {
    if half_days % 2 == 0 {
        (half_days / 2).to_string()
    } else {
        format!("{},5", half_days / 2)
    }
}

fn sorted<'a>(trainings: &'a [Training], staff: &Staff, service: Service) -> Vec<&'a Training> {
    let mut v: Vec<&Training> = trainings.iter().filter(|t| t.service == service).collect();
    v.sort_by(|a, b| {
        (a.date, a.theme, &staff.employees[a.employee].id).cmp(&(
            b.date,
            b.theme,
            &staff.employees[b.employee].id,
        ))
    });
    v
}

fn write_apmn(
    trainings: &[Training],
    staff: &Staff,
    out: &mut Output,
) -> Result<(), Box<dyn Error>> {
    let rows = sorted(trainings, staff, Service::Apmn);
    let mut wb = Workbook::new();
    wb.set_properties(&crate::doc_properties(
        "ANEF Cantal",
        "Plan de formation APMN 2020-2023",
    )?);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let ws = wb.add_worksheet();
    ws.set_name("Formations")?;
    for (col, h) in HEADERS_APMN.iter().enumerate() {
        ws.write_string_with_format(0, col as u16, *h, &header)?;
    }
    for (col, w) in [11, 32, 44, 12, 10, 10, 14].iter().enumerate() {
        ws.set_column_width(col as u16, *w)?;
    }
    let mut r = 1u32;
    for t in &rows {
        ws.write_string(r, 0, staff.employees[t.employee].id.as_str())?;
        ws.write_string(r, 1, t.intitule)?;
        ws.write_string(r, 2, t.organisme)?;
        ws.write_date_with_format(r, 3, &excel_date(t.date)?, &day)?;
        ws.write_number(r, 4, days(t.demandes))?;
        if !t.realises_vide {
            ws.write_number(r, 5, days(t.realises))?;
        }
        ws.write_string(r, 6, if t.inter { "oui" } else { "non" })?;
        r += 1;
    }
    ws.set_freeze_panes(1, 0)?;
    let bytes = wb.save_to_buffer()?;
    out.write(FILE_APMN, &bytes)?;
    out.count_rh(FILE_APMN, Some("Formations"), r as usize, rows.len());
    Ok(())
}

fn write_mecs(
    trainings: &[Training],
    staff: &Staff,
    out: &mut Output,
) -> Result<(), Box<dyn Error>> {
    let rows = sorted(trainings, staff, Service::Mecs);
    let mut text = String::from(HEADER_MECS);
    text.push('\n');
    for t in &rows {
        let fields = vec![
            staff.employees[t.employee].id.clone(),
            t.date.year().to_string(),
            t.intitule.to_string(),
            t.organisme.to_string(),
            fr(t.date),
            if t.realises > 0 {
                fr(t.last_day)
            } else {
                String::new()
            },
            days_fr(t.demandes),
            days_fr(t.realises),
            if t.inter { "X" } else { "" }.to_string(),
        ];
        text.push_str(&csv_line(&fields, ';'));
        text.push('\n');
    }
    out.write(FILE_MECS, text.as_bytes())?;
    out.count_rh(FILE_MECS, None, rows.len() + 1, rows.len());
    Ok(())
}

/// Writes the two training files.
pub fn write(
    trainings: &[Training],
    staff: &Staff,
    out: &mut Output,
) -> Result<(), Box<dyn Error>> {
    write_apmn(trainings, staff, out)?;
    write_mecs(trainings, staff, out)?;
    Ok(())
}

/// Figures of one service and year, from the trainings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainingFigures {
    /// Distinct persons with days taken > 0, per theme (canonical order).
    pub formes_par_theme: Vec<(Theme, usize)>,
    /// Distinct persons with days taken > 0, all themes.
    pub formes: usize,
    /// Days requested, in half-days.
    pub demandes: i64,
    /// Days taken, in half-days.
    pub realises: i64,
    /// Distinct inter-associative sessions (theme, day) with days taken > 0.
    pub sessions_inter: usize,
    /// Rows of inter-associative sessions with days taken > 0.
    pub participations_inter: usize,
    /// Rows.
    pub lignes: usize,
}

/// Computes the training figures of `service` for `year`.
pub fn figures(trainings: &[Training], service: Service, year: i32) -> TrainingFigures {
    let rows: Vec<&Training> = trainings
        .iter()
        .filter(|t| t.service == service && t.date.year() == year)
        .collect();
    let formes_par_theme = Theme::ALL
        .iter()
        .map(|&th| {
            let n = rows
                .iter()
                .filter(|t| t.theme == th && t.realises > 0)
                .map(|t| t.employee)
                .collect::<BTreeSet<_>>()
                .len();
            (th, n)
        })
        .collect();
    let formes = rows
        .iter()
        .filter(|t| t.realises > 0)
        .map(|t| t.employee)
        .collect::<BTreeSet<_>>()
        .len();
    let sessions_inter = rows
        .iter()
        .filter(|t| t.inter && t.realises > 0)
        .map(|t| (t.theme, t.date))
        .collect::<BTreeSet<_>>()
        .len();
    TrainingFigures {
        formes_par_theme,
        formes,
        demandes: rows.iter().map(|t| t.demandes).sum(),
        realises: rows.iter().map(|t| t.realises).sum(),
        sessions_inter,
        participations_inter: rows.iter().filter(|t| t.inter && t.realises > 0).count(),
        lignes: rows.len(),
    }
}
