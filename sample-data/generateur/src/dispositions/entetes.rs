//! A table laid out for reading, not for a machine, as partners deliver it: two title
//! rows, a two-row header whose upper row holds merged group labels (« Enfant »,
//! « Mesure »), a « N° dossier » label merged over both rows and two « Date » columns
//! told apart by their group (« Entrée », « Sortie »), the rows in one block
//! per service separated by blank rows, each block closed by a « Sous-total » row, then a
//! « Total général » row and notes (« Source : … », « Lecture : … », « * … ») under the
//! data.
//!
//! The records are those of a small national network ([`crate::national::build`]); the
//! truth is [`crate::national::truth::per_service`], computed from the records.

use std::error::Error;
use std::path::{Path, PathBuf};

use chrono::Datelike;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use super::onglets::{Truth, pipeline_head};
use crate::dates::Date;
use crate::national::{self, Network};
use crate::output::Output;

/// The workbook, relative to the output directory.
pub const FILE: &str = "Suivi des mesures.xlsx";
/// The sheet.
pub const SHEET: &str = "Mesures";
/// Header rows (1-based): group labels, then column labels.
pub const HEADER_ROWS: [u32; 2] = [4, 5];

/// What [`write`] wrote.
pub struct Written {
    /// `entetes.toml`: the header found automatically.
    pub pipeline: PathBuf,
    /// `entetes-lignes.toml`: the header rows given (`ligne_entete = [4, 5]`).
    pub pipeline_rows: PathBuf,
    pub truth: Truth,
    /// Blocks (one per service with rows), each closed by a sub-total row.
    pub blocks: usize,
    /// Note rows under the data.
    pub notes: usize,
}

const NOTES: [&str; 3] = [
    "Source : logiciel de suivi de l'association, extraction du 15/01/2024.",
    "Lecture : une ligne par mesure ; un enfant peut avoir plusieurs mesures.",
    "* Les mesures en cours n'ont pas de date de fin.",
];

fn excel(d: Date) -> Result<ExcelDateTime, Box<dyn Error>> {
    Ok(ExcelDateTime::from_ymd(
        d.year() as u16,
        d.month() as u8,
        d.day() as u8,
    )?)
}

/// Title rows and the two header rows (0-based rows 0–4).
fn header(ws: &mut Worksheet) -> Result<(), Box<dyn Error>> {
    let bold = Format::new().set_bold();
    let group = Format::new().set_bold().set_align(FormatAlign::Center);
    ws.write_string_with_format(0, 0, "Association fictive — suivi des mesures", &bold)?;
    ws.write_string(1, 0, "Extraction du 15/01/2024 (données fictives)")?;
    let (g, l) = (HEADER_ROWS[0] - 1, HEADER_ROWS[1] - 1);
    ws.merge_range(g, 0, l, 0, "N° dossier", &group)?;
    ws.merge_range(g, 1, g, 5, "Enfant", &group)?;
    ws.merge_range(g, 6, g, 7, "Mesure", &group)?;
    // Two columns labelled « Date »: only their group says which is which.
    ws.write_string_with_format(g, 8, "Entrée", &group)?;
    ws.write_string_with_format(g, 9, "Sortie *", &group)?;
    let labels = [
        "Nom",
        "Prénom",
        "Né(e) le",
        "Sexe",
        "Nom de la mère",
        "Service",
        "Type",
        "Date",
        "Date",
    ];
    for (c, h) in labels.iter().enumerate() {
        ws.write_string_with_format(l, c as u16 + 1, *h, &bold)?;
    }
    Ok(())
}

/// Writes the workbook, the services table, the keys and both pipelines into `dir`.
pub fn write(dir: &Path) -> Result<Written, Box<dyn Error>> {
    let net = national::build(super::onglets::SCALE)?;
    let mut out = Output::new(dir);
    national::pipeline::write(&net, &[], &mut out)?;
    for p in [
        national::pipeline::PIPELINE,
        national::pipeline::PIPELINE_EXACT,
    ] {
        std::fs::remove_file(dir.join(p))?;
    }
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name(SHEET)?;
    header(ws)?;
    let (blocks, last) = rows(ws, &net)?;
    ws.write_string(last + 1, 0, "Total général")?;
    ws.write_number(last + 1, 1, net.records.len() as f64)?;
    for (k, n) in NOTES.iter().enumerate() {
        ws.write_string(last + 3 + k as u32, 0, *n)?;
    }
    out.write(FILE, &wb.save_to_buffer()?)?;
    let source = |header_rows: &str| {
        format!(
            r#"
[[sources]]
nom = "Suivi des mesures"
fichier = "{FILE}"
feuille = "{SHEET}"
ligne_entete = {header_rows}
lire_apres_lignes_vides = true
table = "accompagnements"
[sources.colonnes]
numero_dossier = "N° dossier"
nom = "Nom"
prenom = "Prénom"
date_naissance = "Né(e) le"
sexe = "Sexe"
nom_mere = "Nom de la mère"
service = "Service"
type_mesure = "Type"
date_debut = "Entrée Date"
date_fin = "Sortie * Date"
"#
        )
    };
    let head = pipeline_head("Disposition « en-têtes » (fictif)");
    let pipeline = out.write(
        "entetes.toml",
        format!("{head}{}", source("\"auto\"")).as_bytes(),
    )?;
    let pipeline_rows = out.write(
        "entetes-lignes.toml",
        format!(
            "{head}{}",
            source(&format!("[{}, {}]", HEADER_ROWS[0], HEADER_ROWS[1]))
        )
        .as_bytes(),
    )?;
    Ok(Written {
        pipeline,
        pipeline_rows,
        truth: national::truth::per_service(&net),
        blocks,
        notes: NOTES.len(),
    })
}

/// The data: one block per service, each closed by a sub-total row and followed by a
/// blank row. Returns the blocks and the last row written (0-based).
fn rows(ws: &mut Worksheet, net: &Network) -> Result<(usize, u32), Box<dyn Error>> {
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let mut row = HEADER_ROWS[1];
    let mut blocks = 0;
    for (s, svc) in net.services.iter().enumerate() {
        let mine: Vec<_> = net.records.iter().filter(|r| r.service == s).collect();
        if mine.is_empty() {
            continue;
        }
        for r in &mine {
            let id = &net.identities[r.identity];
            ws.write_string(row, 0, &r.dossier)?;
            ws.write_string(row, 1, &id.nom)?;
            ws.write_string(row, 2, &id.prenom)?;
            ws.write_datetime_with_format(row, 3, excel(id.date_naissance)?, &day)?;
            ws.write_string(row, 4, id.sexe.to_string())?;
            if let Some(m) = &id.nom_mere {
                ws.write_string(row, 5, m)?;
            }
            ws.write_string(row, 6, &svc.code)?;
            ws.write_string(row, 7, r.measure)?;
            ws.write_datetime_with_format(row, 8, excel(r.start)?, &day)?;
            if let Some(e) = r.end {
                ws.write_datetime_with_format(row, 9, excel(e)?, &day)?;
            }
            row += 1;
        }
        ws.write_string(row, 0, format!("Sous-total {}", svc.code))?;
        ws.write_number(row, 1, mine.len() as f64)?;
        blocks += 1;
        row += 2;
    }
    Ok((blocks, row - 1))
}
