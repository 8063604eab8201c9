//! Association Les Volcans — `MECS Les Tilleuls - jeunes accueillis.xlsx`.
//!
//! Quirks: a header over two rows built with merged cells, a header with a
//! glued footnote digit (`Statut1`) and its note under the data, real Excel
//! dates, two exit reasons that are formulas whose cached value is `#N/A`,
//! and a monthly activity sheet with formulas and a total row.

use std::error::Error;

use chrono::Datelike;
use rust_xlsxwriter::{
    ExcelDateTime, Format, FormatAlign, FormatBorder, Formula, Workbook, XlsxError,
};

use crate::dates::{Date, date, days_exclusive, days_in_month};
use crate::names::fold;
use crate::output::Output;
use crate::world::{FIRST_YEAR, LAST_YEAR, Service, Sex, Stay, World};

/// Path of the file, relative to the output directory.
pub const FILE: &str = "volcans/MECS Les Tilleuls - jeunes accueillis.xlsx";

/// Places of the MECS.
pub const PLACES: i64 = 30;

fn excel_date(d: Date) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

/// Days realised in a month by a placement service (exit day not counted).
pub fn realised_in_month(world: &World, service: Service, y: i32, m: u32) -> i64 {
    let from = date(y, m, 1);
    let to = date(y, m, days_in_month(y, m));
    world
        .stays_of(service)
        .map(|s| days_exclusive(s.start, s.end, from, to))
        .sum()
}

/// Financed days of a month: 30 places × days × 95 %, rounded.
pub fn financed_in_month(y: i32, m: u32) -> i64 {
    (PLACES as f64 * f64::from(days_in_month(y, m)) * 0.95).round() as i64
}

/// Writes the workbook.
pub fn write(world: &World, out: &mut Output) -> Result<(), Box<dyn Error>> {
    let mut stays: Vec<&Stay> = world.stays_of(Service::Mecs).collect();
    stays.sort_by_key(|s| {
        let ch = &world.children[s.child];
        (s.start, fold(&ch.nom), fold(&ch.prenom))
    });

    let mut wb = Workbook::new();
    wb.set_properties(&crate::doc_properties(
        "Association Les Volcans",
        "MECS Les Tilleuls - jeunes accueillis",
    )?);

    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("#E2EFDA");
    let day = Format::new().set_num_format("dd/mm/yyyy");

    // ---- Jeunes accueillis
    let ws = wb.add_worksheet();
    ws.set_name("Jeunes accueillis")?;
    ws.write_string_with_format(
        0,
        0,
        "MECS Les Tilleuls — jeunes accueillis du 01/01/2019 au 31/12/2023",
        &title,
    )?;
    ws.merge_range(2, 0, 2, 3, "Identité", &head)?;
    ws.write_string_with_format(2, 4, "Mère", &head)?;
    ws.merge_range(2, 5, 2, 7, "Accueil", &head)?;
    ws.merge_range(2, 8, 3, 8, "Cadre", &head)?;
    ws.merge_range(2, 9, 3, 9, "Département d'origine", &head)?;
    ws.merge_range(2, 10, 3, 10, "Statut1", &head)?;
    let second = [
        "Nom",
        "Prénom",
        "Date de naissance",
        "Sexe",
        "Nom de famille",
        "Date d'admission",
        "Date de sortie",
        "Motif de sortie",
    ];
    for (col, h) in second.iter().enumerate() {
        ws.write_string_with_format(3, col as u16, *h, &head)?;
    }
    for (col, w) in [16, 14, 12, 6, 16, 12, 12, 30, 13, 12, 18]
        .iter()
        .enumerate()
    {
        ws.set_column_width(col as u16, *w)?;
    }
    let mut row = 4u32;
    for s in &stays {
        let ch = &world.children[s.child];
        ws.write_string(row, 0, ch.nom.as_str())?;
        ws.write_string(row, 1, ch.prenom.as_str())?;
        ws.write_date_with_format(row, 2, &excel_date(ch.birth)?, &day)?;
        ws.write_string(row, 3, if ch.sex == Sex::F { "F" } else { "M" })?;
        if let Some(m) = &ch.mother {
            ws.write_string(row, 4, m.as_str())?;
        }
        ws.write_date_with_format(row, 5, &excel_date(s.start)?, &day)?;
        if let Some(e) = s.end {
            ws.write_date_with_format(row, 6, &excel_date(e)?, &day)?;
        }
        if s.exit_formula {
            // A lookup into an empty range: Excel shows #N/A too.
            let f = Formula::new(format!("=VLOOKUP(G{},$M$2:$N$12,2,FALSE)", row + 1))
                .set_result("#N/A");
            ws.write_formula(row, 7, f)?;
        } else if let Some(m) = s.exit_reason {
            ws.write_string(row, 7, m)?;
        }
        let cadre = if s.kind == "Placement ASE" {
            "Judiciaire"
        } else {
            "Administratif"
        };
        ws.write_string(row, 8, cadre)?;
        ws.write_string(row, 9, ch.origin)?;
        ws.write_string(row, 10, s.kind)?;
        row += 1;
    }
    let note_row = row + 1;
    ws.write_string(note_row, 0, "(1) Statut au moment de l'admission")?;
    out.count(
        FILE,
        Some("Jeunes accueillis"),
        (note_row + 1) as usize,
        stays.len(),
    );

    // ---- Activité mensuelle
    let month_fmt = Format::new().set_num_format("mmm-yy");
    let pct = Format::new().set_num_format("0.0%");
    let bold = Format::new().set_bold();
    let pct_bold = Format::new().set_bold().set_num_format("0.0%");
    let ws = wb.add_worksheet();
    ws.set_name("Activité mensuelle")?;
    for (col, h) in [
        "Mois",
        "Journées réalisées",
        "Journées financées",
        "Taux d'occupation",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(0, col as u16, *h, &head)?;
        ws.set_column_width(col as u16, 18)?;
    }
    let mut row = 1u32;
    let (mut sum_r, mut sum_f) = (0i64, 0i64);
    for y in FIRST_YEAR..=LAST_YEAR {
        for m in 1..=12u32 {
            let r = realised_in_month(world, Service::Mecs, y, m);
            let f = financed_in_month(y, m);
            sum_r += r;
            sum_f += f;
            let excel_row = row + 1;
            ws.write_date_with_format(row, 0, &excel_date(date(y, m, 1))?, &month_fmt)?;
            ws.write_number(row, 1, r as f64)?;
            ws.write_number(row, 2, f as f64)?;
            let taux = r as f64 / f as f64;
            let formula =
                Formula::new(format!("=B{excel_row}/C{excel_row}")).set_result(format!("{taux}"));
            ws.write_formula_with_format(row, 3, formula, &pct)?;
            row += 1;
        }
    }
    let last = row; // Excel row number of the last month
    ws.write_string_with_format(row, 0, "Total", &bold)?;
    ws.write_formula_with_format(
        row,
        1,
        Formula::new(format!("=SUM(B2:B{last})")).set_result(format!("{sum_r}")),
        &bold,
    )?;
    ws.write_formula_with_format(
        row,
        2,
        Formula::new(format!("=SUM(C2:C{last})")).set_result(format!("{sum_f}")),
        &bold,
    )?;
    let taux = sum_r as f64 / sum_f as f64;
    let total_excel = row + 1;
    ws.write_formula_with_format(
        row,
        3,
        Formula::new(format!("=B{total_excel}/C{total_excel}")).set_result(format!("{taux}")),
        &pct_bold,
    )?;
    out.count(
        FILE,
        Some("Activité mensuelle"),
        (row + 1) as usize,
        (row - 1) as usize,
    );

    let bytes = wb.save_to_buffer()?;
    out.write(FILE, &bytes)?;
    Ok(())
}
