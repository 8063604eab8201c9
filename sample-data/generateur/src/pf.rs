//! Entraide 63 — placement familial Les Puys: two CSV exports in
//! Windows-1252 with `;`, CRLF line ends and decimal commas.

use std::error::Error;

use crate::dates::{days_in_month, fr};
use crate::mecs::realised_in_month;
use crate::names::fold;
use crate::output::{Output, csv_line};
use crate::world::{FIRST_YEAR, LAST_YEAR, Service, Sex, Stay, World};

/// Placements file, relative to the output directory.
pub const FILE_PLACEMENTS: &str = "entraide63/export_placement_familial.csv";
/// Monthly activity file, relative to the output directory.
pub const FILE_ACTIVITY: &str = "entraide63/activite_mensuelle.csv";

/// Places of the service.
pub const PLACES: i64 = 40;

/// Encodes text in Windows-1252, refusing characters it cannot hold.
pub fn to_windows_1252(text: &str) -> Result<Vec<u8>, Box<dyn Error>> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    if unmappable {
        return Err("un caractère n'existe pas en Windows-1252".into());
    }
    Ok(bytes.into_owned())
}

/// A number with one decimal and a decimal comma.
pub fn decimal_comma(x: f64) -> String {
    format!("{x:.1}").replace('.', ",")
}

/// Writes both files.
pub fn write(world: &World, out: &mut Output) -> Result<(), Box<dyn Error>> {
    let mut stays: Vec<&Stay> = world.stays_of(Service::Pf).collect();
    stays.sort_by_key(|s| {
        let ch = &world.children[s.child];
        (s.start, fold(&ch.nom), fold(&ch.prenom))
    });
    let mut text = String::new();
    let header =
        "Nom;Prénom;Date naiss.;Sexe;Nom mère;Type accueil;Date entrée;Date sortie;Motif sortie";
    text.push_str(header);
    text.push_str("\r\n");
    for s in &stays {
        let ch = &world.children[s.child];
        let fields = vec![
            ch.nom.clone(),
            ch.prenom.clone(),
            fr(ch.birth),
            if ch.sex == Sex::F { "F" } else { "M" }.to_string(),
            ch.mother.clone().unwrap_or_default(),
            s.kind.to_string(),
            fr(s.start),
            s.end.map(fr).unwrap_or_default(),
            s.exit_reason.unwrap_or_default().to_string(),
        ];
        text.push_str(&csv_line(&fields, ';'));
        text.push_str("\r\n");
    }
    out.write(FILE_PLACEMENTS, &to_windows_1252(&text)?)?;
    out.count(FILE_PLACEMENTS, None, stays.len() + 1, stays.len());

    let mut text =
        String::from("Année;Mois;Journées réalisées;Journées théoriques;Taux d'occupation (%)\r\n");
    let mut n = 0usize;
    for y in FIRST_YEAR..=LAST_YEAR {
        for m in 1..=12u32 {
            let r = realised_in_month(world, Service::Pf, y, m);
            let t = PLACES * i64::from(days_in_month(y, m));
            let fields = vec![
                y.to_string(),
                m.to_string(),
                r.to_string(),
                decimal_comma(t as f64),
                decimal_comma(100.0 * r as f64 / t as f64),
            ];
            text.push_str(&csv_line(&fields, ';'));
            text.push_str("\r\n");
            n += 1;
        }
    }
    out.write(FILE_ACTIVITY, &to_windows_1252(&text)?)?;
    out.count(FILE_ACTIVITY, None, n + 1, n);
    Ok(())
}
