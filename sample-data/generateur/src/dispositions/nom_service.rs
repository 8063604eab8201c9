//! The service given by its name in a column, not by its code: the `Service` column of
//! the admissions holds the services' names as people type them (capitals, no accents,
//! double spaces, a typographic apostrophe), matched against the services table's
//! `nom_service` with no name → code mapping in the pipeline.
//!
//! The negative variant adds two services of the same name to the services table and
//! two rows after the data: a misspelt name (`service_inconnu`, with the closest names)
//! and the name of the two services (`service_ambigu`).

use std::error::Error;
use std::path::Path;

use rust_xlsxwriter::{Format, Workbook};

use super::fins::{
    Service, Written, pipeline_head, services_csv, stays_sheet, stays_source, truth, world,
    write_date, write_keys,
};
use crate::dates::date;
use crate::output::Output;

/// File of the layout.
pub const FILE: &str = "Admissions par service.xlsx";

/// The misspelt name of the negative variant and the name it is closest to.
pub const MISSPELT: (&str, &str) = ("MECS Les Source", "MECS Les Sources");

/// The name of two services in the negative variant.
pub const AMBIGUOUS: &str = "Placement familial";

fn services() -> Vec<Service> {
    let s = |code: &str, nom: &str, t: &str, places: f64| Service {
        code: code.into(),
        nom: nom.into(),
        type_service: t.into(),
        places,
        jours_ouverture: None,
    };
    vec![
        s("MECS-63", "MECS Les Sources", "MECS", 24.0),
        s(
            "FDE-63",
            "Foyer départemental de l'enfance",
            "Foyer de l'enfance",
            18.0,
        ),
        s("LV-63", "Lieu de vie Le Moulin", "Lieu de vie", 7.0),
    ]
}

/// The way the i-th row writes the name of `s`: as written, upper case, without
/// accents, with doubled spaces, with a typographic apostrophe.
fn spelling(nom: &str, i: usize) -> String {
    match i % 5 {
        0 => nom.to_string(),
        1 => nom.to_uppercase(),
        2 => nom.replace(['é', 'è'], "e").replace('É', "E"),
        3 => format!("  {}", nom.replace(' ', "  ")),
        _ => nom.replace('\'', "\u{2019}").to_lowercase(),
    }
}

/// The activity sheet: the lieu de vie's months of [`ACTIVITY`]'s year, its service
/// written by name (lower case, no accents).
pub const ACTIVITY: (&str, &str, i32) = ("LV-63", "lieu de vie le moulin", 2023);

/// Journées réalisées and financées of month `m` of the activity sheet.
pub fn activity_month(m: u32) -> (f64, f64) {
    (150.0 + f64::from(m * 7 % 40), 200.0)
}

fn activity_sheet(wb: &mut Workbook) -> Result<(), Box<dyn Error>> {
    let ws = wb.add_worksheet();
    ws.set_name("Activité")?;
    let head = [
        "Service",
        "Année",
        "Mois",
        "Journées réalisées",
        "Journées financées",
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    let (_, name, year) = ACTIVITY;
    for m in 1..=12u32 {
        let (done, funded) = activity_month(m);
        ws.write_string(m, 0, name)?;
        ws.write_number(m, 1, f64::from(year))?;
        ws.write_number(m, 2, f64::from(m))?;
        ws.write_number(m, 3, done)?;
        ws.write_number(m, 4, funded)?;
    }
    Ok(())
}

/// Writes the layout into `dir`: `services.csv`, [`FILE`] (sheet `Admissions`, the
/// service by its name; sheet `Activité`, the same) and `pipeline.toml`.
pub fn write(dir: &Path, negative: bool) -> Result<Written, Box<dyn Error>> {
    let w = world(services(), 30, 1202);
    let mut out = Output::new(dir);
    let mut listed = w.services.clone();
    if negative {
        for code in ["PF-15", "PF-63"] {
            listed.push(Service {
                code: code.into(),
                nom: AMBIGUOUS.into(),
                type_service: "Placement familial".into(),
                places: 10.0,
                jours_ouverture: None,
            });
        }
    }
    out.write("services.csv", services_csv(&listed).as_bytes())?;
    write_keys(&mut out)?;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Admissions")?;
    let counter = std::cell::Cell::new(0usize);
    let mut r = stays_sheet(
        ws,
        &w,
        &|s| {
            let i = counter.get();
            counter.set(i + 1);
            spelling(&w.services[s].nom, i)
        },
        &|_| "",
    )?;
    if negative {
        let day = Format::new().set_num_format("dd/mm/yyyy");
        for name in [MISSPELT.0, AMBIGUOUS] {
            ws.write_string(r, 0, "Témoin")?;
            ws.write_string(r, 1, "Ligne")?;
            write_date(ws, r, 2, date(2010, 5, 5), &day)?;
            ws.write_string(r, 3, "F")?;
            ws.write_string(r, 4, name)?;
            write_date(ws, r, 5, date(2022, 3, 1), &day)?;
            r += 1;
        }
    }
    activity_sheet(&mut wb)?;
    out.write(FILE, &wb.save_to_buffer()?)?;
    let pipeline = pipeline_head("Disposition — service donné par son nom")
        + &stays_source(FILE, "Admissions", "")
        + &format!(
            r#"
[[sources]]
nom = "Activité du lieu de vie"
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
"#
        );
    let path = out.write("pipeline.toml", pipeline.as_bytes())?;
    Ok(Written {
        pipeline: path,
        truth: truth(&w),
        world: w,
    })
}
