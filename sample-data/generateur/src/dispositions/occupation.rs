//! MECS occupancy from admissions and exits, without an activity sheet: two MECS give
//! only their admissions (`Accueils`); one of them also gives a monthly activity sheet
//! for the last year only. The tool must compute the journées of every other
//! service-year from the stays (both ends counted, open stays to 31/12) and take the
//! activity sheet's journées, alone, for the service-year it covers.
//!
//! The truth here: [`Occupancy`] per service and year, from the stays
//! ([`super::fins::Counts::journees`]) or from the written activity rows.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;

use rust_xlsxwriter::Workbook;

use super::fins::{
    Service, Written, pipeline_head, services_csv, stays_sheet, stays_source, truth, world,
    write_keys,
};
use crate::dates::{date, days_exclusive, days_in_month, days_in_year};
use crate::output::Output;

/// File of the layout.
pub const FILE: &str = "Accueils MECS.xlsx";

/// The activity report of `MECS-B` (`rapports/<REPORT>.html`).
pub const REPORT: &str = "activite-mecs-b";

/// The service and year whose journées come from the activity sheet.
pub const WITH_ACTIVITY: (&str, i32) = ("MECS-B", 2023);

/// Occupancy of one service and year as the tool must publish it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Occupancy {
    /// Journées réalisées (numerator).
    pub journees: f64,
    /// Places × opening days (denominator).
    pub theoriques: f64,
    /// The journées come from the activity sheet (else from the stays).
    pub from_activity: bool,
}

/// The layout and its occupancy truth.
pub struct WrittenOccupancy {
    pub written: Written,
    /// Service code → year → occupancy.
    pub occupancy: BTreeMap<String, BTreeMap<i32, Occupancy>>,
    /// Journées financées of [`WITH_ACTIVITY`] (sum of the activity rows).
    pub financees: f64,
}

fn services() -> Vec<Service> {
    vec![
        Service {
            code: "MECS-A".into(),
            nom: "MECS Les Sources".into(),
            type_service: "MECS".into(),
            places: 14.0,
            jours_ouverture: None,
        },
        Service {
            code: "MECS-B".into(),
            nom: "MECS Le Phare".into(),
            type_service: "MECS".into(),
            places: 9.0,
            jours_ouverture: Some(365.0),
        },
    ]
}

/// Writes the layout into `dir`: `services.csv`, [`FILE`] (sheets `Accueils` and
/// `Activité`, the latter for [`WITH_ACTIVITY`] only) and `pipeline.toml`.
pub fn write(dir: &Path) -> Result<WrittenOccupancy, Box<dyn Error>> {
    let w = world(services(), 45, 1203);
    let mut out = Output::new(dir);
    out.write("services.csv", services_csv(&w.services).as_bytes())?;
    write_keys(&mut out)?;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Accueils")?;
    stays_sheet(ws, &w, &|s| w.services[s].code.clone(), &|_| "")?;
    // The activity sheet of one service-year: journées of each month counted the
    // placement way (exit day not counted), so that they differ from the stays' count.
    let (code, year) = WITH_ACTIVITY;
    let idx = w.services.iter().position(|s| s.code == code).unwrap_or(0);
    let places = w.services[idx].places;
    let ws = wb.add_worksheet();
    ws.set_name("Activité")?;
    for (c, h) in [
        "Service",
        "Année",
        "Mois",
        "Journées réalisées",
        "Journées financées",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h)?;
    }
    let (mut done, mut funded) = (0i64, 0i64);
    for m in 1..=12u32 {
        let from = date(year, m, 1);
        let to = date(year, m, days_in_month(year, m));
        let d: i64 = w
            .stays
            .iter()
            .filter(|s| s.service == idx)
            .map(|s| days_exclusive(s.start, s.end, from, to))
            .sum();
        let f = (places * f64::from(days_in_month(year, m)) * 0.9).round() as i64;
        let r = m;
        ws.write_string(r, 0, code)?;
        ws.write_number(r, 1, f64::from(year))?;
        ws.write_number(r, 2, f64::from(m))?;
        ws.write_number(r, 3, d as f64)?;
        ws.write_number(r, 4, f as f64)?;
        done += d;
        funded += f;
    }
    out.write(FILE, &wb.save_to_buffer()?)?;
    let pipeline = pipeline_head("Disposition — occupation d'une MECS sans feuille d'activité")
        + &stays_source(FILE, "Accueils", "")
        + &format!(
            r#"
[[sources]]
nom = "Activité mensuelle"
fichier = "{FILE}"
feuille = "Activité"
table = "activite"
organisation = "Association des Sources"
[sources.colonnes]
service = "Service"
annee = "Année"
mois = "Mois"
journees_realisees = "Journées réalisées"
journees_financees = "Journées financées"

[[rapports]]
type = "activite"
service = "MECS-B"
nom = "{REPORT}"
"#
        );
    let path = out.write("pipeline.toml", pipeline.as_bytes())?;
    let t = truth(&w);
    let mut occupancy: BTreeMap<String, BTreeMap<i32, Occupancy>> = BTreeMap::new();
    for s in &w.services {
        for (y, c) in t.get(&s.code).into_iter().flatten() {
            let from_activity = (s.code.as_str(), *y) == WITH_ACTIVITY;
            let open = s.jours_ouverture.unwrap_or(days_in_year(*y) as f64);
            occupancy.entry(s.code.clone()).or_default().insert(
                *y,
                Occupancy {
                    journees: if from_activity {
                        done as f64
                    } else {
                        c.journees as f64
                    },
                    theoriques: s.places * open,
                    from_activity,
                },
            );
        }
    }
    Ok(WrittenOccupancy {
        written: Written {
            pipeline: path,
            truth: t,
            world: w,
        },
        occupancy,
        financees: funded as f64,
    })
}
