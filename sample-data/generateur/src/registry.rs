//! `referentiel-services.csv`: the observatory's registry of member services.

use std::error::Error;

use crate::output::{Output, csv_line};
use crate::world::{FIRST_YEAR, LAST_YEAR, Service};

/// Path of the file, relative to the output directory.
pub const FILE: &str = "referentiel-services.csv";

/// Fixed descriptive fields of a service:
/// name, organisation, type, sector, modality, unit.
pub fn describe(s: Service) -> [&'static str; 6] {
    match s {
        Service::Apmn => [
            "Service APMN",
            "ANEF Cantal",
            "AEMO",
            "Protection de l'enfance",
            "Milieu ouvert",
            "mesures",
        ],
        Service::Mecs => [
            "MECS Les Tilleuls",
            "Association Les Volcans",
            "MECS",
            "Protection de l'enfance",
            "internat",
            "places",
        ],
        Service::Ditep => [
            "DITEP Le Cèdre",
            "Association Les Chemins",
            "DITEP",
            "Médico-social",
            "semi-internat",
            "places",
        ],
        Service::Pf => [
            "Placement familial Les Puys",
            "Entraide 63",
            "Placement familial",
            "Protection de l'enfance",
            "accueil familial",
            "places",
        ],
    }
}

/// Internal territory a service reports on: the APMN works on the arrondissement
/// d'Aurillac (the seed's « recentrage »); the others on their whole département.
fn territory(s: Service) -> &'static str {
    if s.code() == "APMN-15" {
        "Arrondissement d'Aurillac"
    } else {
        ""
    }
}

/// Writes the registry (UTF-8, `;`, LF).
pub fn write(out: &mut Output) -> Result<(), Box<dyn Error>> {
    let mut text = String::from(
        "Code service;Nom du service;Organisation;Type;Secteur;Modalité;Département;Territoire;Année;Capacité autorisée;Unité;Jours d'ouverture\n",
    );
    let mut n = 0usize;
    for s in Service::ALL {
        let [name, org, typ, sector, modality, unit] = describe(s);
        for y in FIRST_YEAR..=LAST_YEAR {
            let fields: Vec<String> = vec![
                s.code().into(),
                name.into(),
                org.into(),
                typ.into(),
                sector.into(),
                modality.into(),
                s.departement().into(),
                territory(s).into(),
                y.to_string(),
                s.capacity(y).to_string(),
                unit.into(),
                s.opening_days(y).to_string(),
            ];
            text.push_str(&csv_line(&fields, ';'));
            text.push('\n');
            n += 1;
        }
    }
    out.write(FILE, text.as_bytes())?;
    out.count(FILE, None, n + 1, n);
    Ok(())
}
