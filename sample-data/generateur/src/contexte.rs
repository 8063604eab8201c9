//! Fictitious public-context tables for the demonstration (clearly labelled as such):
//! children accepted by the ASE at 31/12 per département and year (DREES-like layout)
//! and the population under 25 by five-year band at 1 January (INSEE-like layout: one
//! sheet per year, the sex over the age bands in a merged two-row header). Only the two
//! départements of the sample, Cantal (15) and Puy-de-Dôme (63). Orders of magnitude are
//! plausible; the numbers are invented.

use std::error::Error;

use rust_xlsxwriter::{Format, FormatAlign, Workbook};

use crate::output::Output;

pub const ASE_FILE: &str = "contexte/enfants-accueillis-ase-fictif.xlsx";
pub const POPULATION_FILE: &str = "contexte/population-fictive-moins-25-ans.xlsx";

const DEPARTMENTS: [(&str, &str); 2] = [("15", "Cantal"), ("63", "Puy-de-Dôme")];
const BANDS: [&str; 5] = [
    "0 à 4 ans",
    "5 à 9 ans",
    "10 à 14 ans",
    "15 à 19 ans",
    "20 à 24 ans",
];

/// Population by band in 2020 (invented, plausible), changed by `drift` per mille a year.
fn population(dep: &str, band: usize, year: i32) -> i64 {
    let base: [i64; 5] = if dep == "15" {
        [5_420, 6_010, 6_380, 6_150, 4_960]
    } else {
        [30_850, 33_400, 34_900, 35_600, 36_200]
    };
    let drift: i64 = if dep == "15" { -9 } else { -3 };
    let years = i64::from(year - 2020);
    base[band] + base[band] * drift * years / 1000
}

/// Children accepted by the ASE at 31/12 (invented).
fn accepted(dep: &str, year: i32) -> i64 {
    let base = if dep == "15" { 331 } else { 1_476 };
    base + i64::from(year - 2020) * if dep == "15" { 7 } else { 19 }
}

pub fn write(out: &mut Output) -> Result<(), Box<dyn Error>> {
    let bold = Format::new().set_bold();
    // DREES-like: one sheet per year.
    let mut wb = Workbook::new();
    wb.set_properties(&crate::doc_properties(
        "Données fictives",
        "Enfants accueillis à l'ASE (fictif)",
    )?);
    for year in 2020..=2023 {
        let ws = wb.add_worksheet().set_name(year.to_string())?;
        ws.write_with_format(
            0,
            0,
            format!("Enfants accueillis à l'ASE au 31 décembre {year} — DONNÉES FICTIVES"),
            &bold,
        )?;
        for (c, h) in [
            "Code département",
            "Département",
            "Total des enfants accueillis",
        ]
        .iter()
        .enumerate()
        {
            ws.write_with_format(2, c as u16, *h, &bold)?;
        }
        for (r, (code, name)) in DEPARTMENTS.iter().enumerate() {
            let row = 3 + r as u32;
            ws.write(row, 0, *code)?;
            ws.write(row, 1, *name)?;
            ws.write(row, 2, accepted(code, year) as f64)?;
        }
    }
    out.write(ASE_FILE, &wb.save_to_buffer()?)?;
    // INSEE-like: one sheet per year at 1 January, two-row header.
    let mut wb = Workbook::new();
    wb.set_properties(&crate::doc_properties(
        "Données fictives",
        "Population de moins de 25 ans (fictif)",
    )?);
    let centered = Format::new().set_bold().set_align(FormatAlign::Center);
    for year in 2020..=2024 {
        let ws = wb.add_worksheet().set_name(year.to_string())?;
        ws.write_with_format(
            0,
            0,
            format!("Population au 1er janvier {year} par tranche d'âge — DONNÉES FICTIVES"),
            &bold,
        )?;
        ws.merge_range(2, 0, 2, 1, "Départements", &centered)?;
        ws.merge_range(2, 2, 2, 6, "Ensemble", &centered)?;
        for (c, b) in BANDS.iter().enumerate() {
            ws.write_with_format(3, 2 + c as u16, *b, &bold)?;
        }
        for (r, (code, name)) in DEPARTMENTS.iter().enumerate() {
            let row = 4 + r as u32;
            ws.write(row, 0, *code)?;
            ws.write(row, 1, *name)?;
            for b in 0..BANDS.len() {
                ws.write(row, 2 + b as u16, population(code, b, year) as f64)?;
            }
        }
    }
    out.write(POPULATION_FILE, &wb.save_to_buffer()?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_rates() {
        // Cantal 2020: 331 / (5 420 + 6 010 + 6 380 + 6 150 + 4 960 / 5), about 11,8 ‰.
        let under_21: f64 = (0..4)
            .map(|b| population("15", b, 2021) as f64)
            .sum::<f64>()
            + population("15", 4, 2021) as f64 / 5.0;
        let rate = accepted("15", 2020) as f64 / under_21 * 1000.0;
        assert!((10.0..14.0).contains(&rate), "{rate}");
    }
}
