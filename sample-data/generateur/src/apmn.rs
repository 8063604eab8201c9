//! ANEF Cantal — `APMN suivi des mesures 2019-2023.xlsx`.
//!
//! Quirks: a `Lisez-moi` sheet first; title rows above the header; a header
//! with a line break and one with a trailing space; dates stored as text,
//! mostly `dd/mm/yyyy` with a few ISO ones; surnames in capitals; `NR` for
//! unknown mothers; a total row and a note under the data.

use std::collections::BTreeMap;
use std::error::Error;

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use crate::dates::{Date, fr, iso};
use crate::names::fold;
use crate::output::Output;
use crate::rng::Rng;
use crate::world::{Service, Sex, Stay, World};

/// Path of the file, relative to the output directory.
pub const FILE: &str = "anef-cantal/APMN suivi des mesures 2019-2023.xlsx";

const HEADERS: [&str; 12] = [
    "N° dossier",
    "NOM",
    "Prénom",
    "Né(e) le",
    "Sexe",
    "Nom de naissance\nde la mère",
    "Type de mesure",
    "Cadre",
    "Date de début",
    "Date de fin ",
    "Motif de fin",
    "Commune",
];

/// A date as the software exports it: text, now and then in ISO form.
fn text_date(rng: &mut Rng, d: Date) -> String {
    if rng.chance(0.06) { iso(d) } else { fr(d) }
}

/// File numbers: `AP` + two-digit year of the child's first measure + rank.
pub fn dossier_numbers(world: &World) -> BTreeMap<usize, String> {
    let mut first: BTreeMap<usize, Date> = BTreeMap::new();
    for s in world.stays_of(Service::Apmn) {
        let e = first.entry(s.child).or_insert(s.start);
        *e = (*e).min(s.start);
    }
    let mut order: Vec<(Date, String, String, usize)> = first
        .iter()
        .map(|(&c, &d)| {
            let ch = &world.children[c];
            (d, fold(&ch.nom), fold(&ch.prenom), c)
        })
        .collect();
    order.sort();
    let mut rank: BTreeMap<i32, u32> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (d, _, _, c) in order {
        use chrono::Datelike;
        let r = rank.entry(d.year()).or_insert(0);
        *r += 1;
        out.insert(c, format!("AP{:02}-{:03}", d.year() % 100, r));
    }
    out
}

/// Writes the workbook.
pub fn write(world: &World, rng: &mut Rng, out: &mut Output) -> Result<(), Box<dyn Error>> {
    let dossiers = dossier_numbers(world);
    let mut rows: Vec<(&String, &Stay)> = world
        .stays_of(Service::Apmn)
        .filter_map(|s| dossiers.get(&s.child).map(|d| (d, s)))
        .collect();
    rows.sort_by(|a, b| (a.0, a.1.start).cmp(&(b.0, b.1.start)));

    let mut wb = Workbook::new();
    wb.set_properties(&crate::doc_properties(
        "ANEF Cantal",
        "Suivi des mesures APMN 2019-2023",
    )?);

    let readme = wb.add_worksheet();
    readme.set_name("Lisez-moi")?;
    readme.write_string(0, 0, "Extraction du logiciel de suivi des mesures du service APMN (ANEF Cantal), faite le 15/01/2024.")?;
    readme.write_string(1, 0, "Les mesures sont dans l'onglet « Mesures » ; une ligne par mesure, les mesures en cours n'ont pas de date de fin.")?;
    readme.set_column_width(0, 110)?;

    let title = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    let ws = wb.add_worksheet();
    ws.set_name("Mesures")?;
    ws.write_string_with_format(0, 0, "ANEF Cantal — Service APMN", &title)?;
    ws.write_string(
        1,
        0,
        "Suivi des mesures 2019-2023 (extraction du 15/01/2024)",
    )?;
    for (col, h) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(3, col as u16, *h, &header)?;
    }
    ws.set_row_height(3, 32)?;
    for (col, w) in [11, 16, 16, 12, 6, 18, 14, 13, 13, 13, 28, 22]
        .iter()
        .enumerate()
    {
        ws.set_column_width(col as u16, *w)?;
    }

    let mut row = 4u32;
    for (dossier, s) in &rows {
        let ch = &world.children[s.child];
        ws.write_string(row, 0, dossier.as_str())?;
        ws.write_string(row, 1, ch.nom.to_uppercase())?;
        ws.write_string(row, 2, ch.prenom.as_str())?;
        ws.write_string(row, 3, text_date(rng, ch.birth))?;
        ws.write_string(row, 4, if ch.sex == Sex::F { "F" } else { "M" })?;
        match (&ch.mother, ch.mother_nr) {
            (Some(m), _) => {
                ws.write_string(row, 5, m.as_str())?;
            }
            (None, true) => {
                ws.write_string(row, 5, "NR")?;
            }
            (None, false) => {}
        }
        ws.write_string(row, 6, s.kind)?;
        let cadre = if s.kind == "AED" {
            "Administratif"
        } else {
            "Judiciaire"
        };
        ws.write_string(row, 7, cadre)?;
        ws.write_string(row, 8, text_date(rng, s.start))?;
        if let Some(e) = s.end {
            ws.write_string(row, 9, text_date(rng, e))?;
        }
        if let Some(m) = s.exit_reason {
            ws.write_string(row, 10, m)?;
        }
        ws.write_string(row, 11, ch.commune)?;
        row += 1;
    }
    let total_row = row + 1;
    ws.write_string(total_row, 0, "Total mesures :")?;
    ws.write_number(total_row, 1, rows.len() as f64)?;
    ws.write_string(total_row + 1, 0, "NR = non renseigné")?;
    ws.set_freeze_panes(4, 0)?;

    let bytes = wb.save_to_buffer()?;
    out.write(FILE, &bytes)?;
    out.count(FILE, Some("Lisez-moi"), 2, 0);
    out.count(FILE, Some("Mesures"), (total_row + 2) as usize, rows.len());
    Ok(())
}
