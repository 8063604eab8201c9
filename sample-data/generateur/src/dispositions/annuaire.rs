//! The services directory in two sheets, as directories are kept: a « Services » sheet
//! with one row per service (FINESS, name, organisation, type, département, opening
//! days) and a « Capacités » sheet with one row per service and year (the authorised
//! capacity changes, such as 65 → 73 measures from 2023). Beside it, the measures of the
//! measure services (one row per measure) and the monthly activity of the
//! establishments, so that the capacity-dependent rates (taux d'activité, taux
//! d'occupation) are computed. The pipeline reads the two sheets as they are: `services`
//! and `capacites`, joined by the tool.
//!
//! The truth is computed here from the world, independently of the tool: measure-days
//! count each day of a measure from its start to its end inclusive (31/12 when open),
//! capacity × days of the year; occupancy is the days realised over places × opening
//! days.

use std::error::Error;
use std::path::{Path, PathBuf};

use chrono::Datelike;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use crate::dates::{Date, date, days_in_month, days_in_year, plus_days, random_date};
use crate::rng::Rng;

/// The directory workbook, relative to the folder.
pub const DIRECTORY: &str = "Annuaire des services.xlsx";
/// The measures and activity workbook, relative to the folder.
pub const FOLLOW_UP: &str = "Suivi de l'activité.xlsx";
/// The period of the pipeline.
pub const YEARS: std::ops::RangeInclusive<i32> = 2021..=2024;
const SEED: u64 = 0xA22_0A1E;

/// One service of the directory.
#[derive(Debug, Clone)]
pub struct Service {
    pub finess: &'static str,
    pub name: &'static str,
    pub organisation: &'static str,
    pub service_type: &'static str,
    pub department: &'static str,
    /// Opening days of an establishment (`None`: every day of the year).
    pub opening_days: Option<u32>,
    /// Capacity from each year on: (first year, capacity).
    pub capacities: &'static [(i32, u32)],
    /// `mesures` or `places`.
    pub unit: &'static str,
}

impl Service {
    /// The capacity of year `y`.
    pub fn capacity(&self, y: i32) -> Option<u32> {
        self.capacities
            .iter()
            .rev()
            .find(|(from, _)| *from <= y)
            .map(|(_, c)| *c)
    }

    pub fn is_measure_service(&self) -> bool {
        self.unit == "mesures"
    }
}

/// The services of the directory.
pub const SERVICES: [Service; 4] = [
    Service {
        finess: "630781234",
        name: "AEMO Val d'Allier",
        organisation: "Association Sauvegarde 63",
        service_type: "AEMO",
        department: "63",
        opening_days: None,
        capacities: &[(2021, 65), (2023, 73)],
        unit: "mesures",
    },
    Service {
        finess: "150784512",
        name: "AED Haute-Auvergne",
        organisation: "Association Sauvegarde 63",
        service_type: "AED",
        department: "15",
        opening_days: None,
        capacities: &[(2021, 40)],
        unit: "mesures",
    },
    Service {
        finess: "630790011",
        name: "MECS Les Genêts",
        organisation: "Association Les Genêts",
        service_type: "MECS",
        department: "63",
        opening_days: Some(365),
        capacities: &[(2021, 24), (2024, 28)],
        unit: "places",
    },
    Service {
        finess: "150790022",
        name: "DITEP La Margeride",
        organisation: "Association Les Genêts",
        service_type: "DITEP",
        department: "15",
        opening_days: Some(210),
        capacities: &[(2021, 30)],
        unit: "places",
    },
];

/// One measure of a measure service.
#[derive(Debug, Clone)]
pub struct Measure {
    pub service: &'static str,
    pub start: Date,
    /// `None`: open at the extraction date.
    pub end: Option<Date>,
}

/// A capacity-dependent figure the tool must publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// `taux_activite` or `taux_occupation`.
    pub indicator: &'static str,
    pub service: &'static str,
    pub year: i32,
    pub numerator: f64,
    pub denominator: f64,
}

/// What [`write`] produced.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The pipeline to run (its output folder is `sortie`).
    pub pipeline: PathBuf,
    /// The key files the pipeline names (to create before running).
    pub keys: [PathBuf; 2],
    /// One figure per service and year of the period.
    pub truth: Vec<Figure>,
}

/// The measures of the measure services: about as many running as the capacity.
pub fn measures(rng: &mut Rng) -> Vec<Measure> {
    let mut out = Vec::new();
    let extraction = date(*YEARS.end(), 12, 31);
    for s in SERVICES.iter().filter(|s| s.is_measure_service()) {
        let cap = i64::from(s.capacity(*YEARS.start()).unwrap_or(1));
        // Measures of about a year: capacity × 1.2 starts a year, from two years early.
        for y in (*YEARS.start() - 2)..=*YEARS.end() {
            for _ in 0..(cap * 6 / 5) {
                let start = random_date(rng, date(y, 1, 1), date(y, 12, 31));
                let end = plus_days(start, rng.range(90, 600));
                out.push(Measure {
                    service: s.finess,
                    start,
                    end: (end <= extraction).then_some(end),
                });
            }
        }
    }
    out.sort_by_key(|m| (m.service, m.start));
    out
}

/// Days realised in each month by an establishment: `occupied` of its places, each day
/// it is open (an establishment open 210 days opens 210 × 12 / 365 days a month, rounded).
pub fn realised(rng: &mut Rng, s: &Service, y: i32, m: u32) -> u32 {
    let open_year = s.opening_days.unwrap_or(365) as f64;
    let days = (f64::from(days_in_month(y, m)) * open_year / days_in_year(y) as f64).round();
    let places = f64::from(s.capacity(y).unwrap_or(0));
    let rate = 0.80 + 0.2 * rng.unit();
    (places * days * rate).round() as u32
}

/// Days of `y` during which a measure is running (start and end inclusive).
pub fn days_in(m: &Measure, y: i32) -> i64 {
    let from = m.start.max(date(y, 1, 1));
    let to = m.end.unwrap_or(date(y, 12, 31)).min(date(y, 12, 31));
    ((to - from).num_days() + 1).max(0)
}

fn excel_date(d: Date) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

/// Writes the directory workbook: « Services » and « Capacités ».
fn write_directory(path: &Path) -> Result<(), Box<dyn Error>> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("Services")?;
    let heads = [
        "FINESS",
        "Nom du service",
        "Organisme gestionnaire",
        "Type",
        "Département",
        "Jours d'ouverture",
    ];
    for (k, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, k as u16, *h, &bold)?;
    }
    for (i, s) in SERVICES.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, s.finess)?;
        ws.write_string(r, 1, s.name)?;
        ws.write_string(r, 2, s.organisation)?;
        ws.write_string(r, 3, s.service_type)?;
        ws.write_string(r, 4, s.department)?;
        if let Some(d) = s.opening_days {
            ws.write_number(r, 5, f64::from(d))?;
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("Capacités")?;
    for (k, h) in ["FINESS", "Année", "Capacité autorisée", "Unité"]
        .iter()
        .enumerate()
    {
        ws.write_string_with_format(0, k as u16, *h, &bold)?;
    }
    let mut r = 1;
    for s in &SERVICES {
        for y in YEARS {
            if let Some(c) = s.capacity(y) {
                ws.write_string(r, 0, s.finess)?;
                ws.write_number(r, 1, f64::from(y))?;
                ws.write_number(r, 2, f64::from(c))?;
                ws.write_string(r, 3, s.unit)?;
                r += 1;
            }
        }
    }
    wb.save(path)?;
    Ok(())
}

/// Writes the follow-up workbook (« Mesures », « Activité ») and returns the truth.
fn write_follow_up(path: &Path, rng: &mut Rng) -> Result<Vec<Figure>, Box<dyn Error>> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let measures = measures(rng);
    let ws = wb.add_worksheet();
    ws.set_name("Mesures")?;
    let heads = [
        "FINESS",
        "N° dossier",
        "Nom",
        "Prénom",
        "Né(e) le",
        "Sexe",
        "Date de début",
        "Date de fin",
    ];
    for (k, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, k as u16, *h, &bold)?;
    }
    for (i, m) in measures.iter().enumerate() {
        let r = i as u32 + 1;
        let birth = random_date(
            rng,
            date(m.start.year() - 17, 1, 1),
            plus_days(m.start, -30),
        );
        ws.write_string(r, 0, m.service)?;
        ws.write_string(r, 1, format!("D{:05}", i + 1))?;
        ws.write_string(r, 2, format!("NOM{:04}", rng.below(10_000)))?;
        ws.write_string(r, 3, format!("Prénom{}", i + 1))?;
        ws.write_datetime_with_format(r, 4, excel_date(birth)?, &day)?;
        ws.write_string(r, 5, if rng.chance(0.5) { "F" } else { "M" })?;
        ws.write_datetime_with_format(r, 6, excel_date(m.start)?, &day)?;
        if let Some(e) = m.end {
            ws.write_datetime_with_format(r, 7, excel_date(e)?, &day)?;
        }
    }
    let mut truth = Vec::new();
    for s in SERVICES.iter().filter(|s| s.is_measure_service()) {
        for y in YEARS {
            let days: i64 = measures
                .iter()
                .filter(|m| m.service == s.finess)
                .map(|m| days_in(m, y))
                .sum();
            truth.push(Figure {
                indicator: "taux_activite",
                service: s.finess,
                year: y,
                numerator: days as f64,
                denominator: f64::from(s.capacity(y).unwrap_or(0)) * days_in_year(y) as f64,
            });
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("Activité")?;
    for (k, h) in ["FINESS", "Mois", "Journées réalisées", "Journées financées"]
        .iter()
        .enumerate()
    {
        ws.write_string_with_format(0, k as u16, *h, &bold)?;
    }
    let month = Format::new().set_num_format("mm/yyyy");
    let mut r = 1;
    for s in SERVICES.iter().filter(|s| !s.is_measure_service()) {
        for y in YEARS {
            let mut total = 0u32;
            for m in 1..=12 {
                let done = realised(rng, s, y, m);
                total += done;
                ws.write_string(r, 0, s.finess)?;
                ws.write_datetime_with_format(r, 1, excel_date(date(y, m, 1))?, &month)?;
                ws.write_number(r, 2, f64::from(done))?;
                ws.write_number(r, 3, f64::from(done + 10))?;
                r += 1;
            }
            let places = f64::from(s.capacity(y).unwrap_or(0));
            let open = s.opening_days.map_or(days_in_year(y) as f64, f64::from);
            truth.push(Figure {
                indicator: "taux_occupation",
                service: s.finess,
                year: y,
                numerator: f64::from(total),
                denominator: places * open,
            });
        }
    }
    wb.save(path)?;
    Ok(truth)
}

/// The pipeline reading both workbooks as they are.
pub fn pipeline_text() -> String {
    format!(
        r#"[pipeline]
nom = "Annuaire des services en deux feuilles"

[periode]
debut = {start}
fin = {end}

[sorties]
dossier = "sortie"
diffusion = "interne"

[secret_statistique]
seuil = 1

[confidentialite]
cle = "cles/collectif.cle"
cle_observatoire = "cles/observatoire.cle"

[[sources]]
nom = "Annuaire — services"
fichier = "{directory}"
feuille = "Services"
table = "services"

[[sources]]
nom = "Annuaire — capacités"
fichier = "{directory}"
feuille = "Capacités"
table = "capacites"

[[sources]]
nom = "Mesures"
fichier = "{follow_up}"
feuille = "Mesures"
table = "accompagnements"
[sources.colonnes]
service = "FINESS"

[[sources]]
nom = "Activité des établissements"
fichier = "{follow_up}"
feuille = "Activité"
table = "activite"
[sources.colonnes]
service = "FINESS"
"#,
        start = YEARS.start(),
        end = YEARS.end(),
        directory = DIRECTORY,
        follow_up = FOLLOW_UP,
    )
}

/// Writes the two workbooks and the pipeline into `dir` (seeded: same call, same
/// files) and returns the pipeline's path, the key paths and the truth.
pub fn write(dir: &Path) -> Result<Layout, Box<dyn Error>> {
    let mut rng = Rng::new(SEED);
    write_directory(&dir.join(DIRECTORY))?;
    let truth = write_follow_up(&dir.join(FOLLOW_UP), &mut rng)?;
    std::fs::create_dir_all(dir.join("cles"))?;
    let pipeline = dir.join("pipeline.toml");
    std::fs::write(&pipeline, pipeline_text())?;
    Ok(Layout {
        pipeline,
        keys: [
            dir.join("cles/collectif.cle"),
            dir.join("cles/observatoire.cle"),
        ],
        truth,
    })
}
