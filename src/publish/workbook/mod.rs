//! The Excel workbook of a report (`rust_xlsxwriter`): the same disclosure-controlled
//! rows as `indicateurs.parquet`, laid out for a reader.
//!
//! - « Sommaire »: title, period, audience, demonstration mark, legend of the marks,
//!   a link to every sheet, the notes on figures that cannot be computed;
//! - one sheet per indicator family ([`layout::FAMILIES`]), a line per figure
//!   (indicator, perimeter, breakdown and category in reading order, year, value,
//!   numerator, denominator, changes, peer quartiles, status), frozen header and
//!   autofilter, French number formats (Excel shows `0.0%` as `0,0 %` in a French
//!   locale); withheld figures are the text « s » with their status `A` or `D`;
//! - « Graphiques »: native line charts of the headline multi-year series;
//! - « Définitions »: every indicator shown, as the catalogue defines it.
//!
//! Values are the Parquet's, except rates per 1 000 (`‰`), written × 1 000 as the HTML
//! report shows them, and changes of a rate, written in points. Text is always written
//! as a string cell, never a formula. The file is reproducible: its creation date is
//! the last day of the period, not the time of the run.

pub mod charts;
pub mod layout;
pub mod sheets;

use std::collections::BTreeSet;
use std::path::Path;

use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Url, Workbook, Worksheet, XlsxError, utility::quote_sheet_name,
};

use crate::error::Error;
use crate::indicators::{CellStatus, IndicatorRow};
use sheets::{Formats, text};

/// Name of the contents sheet.
pub const CONTENTS: &str = "Sommaire";
/// Name of the charts sheet.
pub const CHARTS: &str = "Graphiques";
/// Name of the definitions sheet.
pub const DEFINITIONS: &str = "Définitions";
/// Data lines per sheet: Excel's 1 048 576 rows less the banner, legend and header.
pub const MAX_LINES_PER_SHEET: usize = 1_048_576 - 3;

/// What a workbook shows.
pub struct WorkbookInput<'a> {
    /// « Rapport d'activité — … », the report's title.
    pub title: &'a str,
    /// Addressee or perimeter banner of one report (« Destinataire : … »), if any.
    pub banner: Option<&'a str>,
    /// Who may read it (« Diffusion publique… », « DIFFUSION INTERNE… »).
    pub audience: &'a str,
    /// What the rows cover when it is not everything the run computed (« Champ »).
    pub scope: Option<&'a str>,
    /// Fictitious data: every sheet says so.
    pub demonstration: bool,
    pub years: std::ops::RangeInclusive<i32>,
    /// The disclosure-controlled rows of the report's perimeter.
    pub rows: &'a [&'a IndicatorRow],
    /// Why figures are missing (`Results::notes`).
    pub notes: &'a [String],
}

/// Writes the workbook to `path`.
pub fn write_workbook(input: &WorkbookInput, path: &Path) -> Result<(), Error> {
    let bytes = workbook_bytes(input, &path.display().to_string())?;
    std::fs::write(path, bytes).map_err(|e| Error::output(path, e))
}

/// The workbook as bytes (for the staging directory); `name` names the file in errors.
pub fn workbook_bytes(input: &WorkbookInput, name: &str) -> Result<Vec<u8>, Error> {
    build(input)
        .and_then(|mut wb| wb.save_to_buffer())
        .map_err(|e| Error::Output {
            path: name.to_string(),
            detail: format!("le classeur Excel n'a pas pu être construit ({e})"),
        })
}

/// The rows of the run's own workbook and, for a large network, what they cover. Up
/// to [`report::SINGLE_PAGE_MAX_SERVICES`] services: every row. Above, as on the
/// report's main page, the whole network with every breakdown and each département's
/// totals: a national network has millions of figures, past what a spreadsheet opens
/// (and what the workbook writer holds in memory); all of them are in the Parquet.
///
/// [`report::SINGLE_PAGE_MAX_SERVICES`]: super::report::SINGLE_PAGE_MAX_SERVICES
pub fn run_rows(rows: &[IndicatorRow]) -> (Vec<&IndicatorRow>, Option<String>) {
    let services: BTreeSet<&str> = rows.iter().filter_map(|r| r.service.as_deref()).collect();
    if services.len() <= super::report::SINGLE_PAGE_MAX_SERVICES {
        return (rows.iter().collect(), None);
    }
    let kept = rows
        .iter()
        .filter(|r| {
            r.service.is_none()
                && r.organisation.is_none()
                && match r.niveau_territoire.as_str() {
                    "departement" => r.ventilation.is_none(),
                    "territoire_interne" => false,
                    _ => true,
                }
        })
        .collect();
    let note = format!(
        "réseau de {} services : l'ensemble du réseau, avec toutes ses ventilations, et le total de chaque département ; les chiffres de chaque service, organisation et territoire interne sont dans indicateurs.parquet et dans les pages par département du rapport",
        services.len()
    );
    (kept, Some(note))
}

/// The line every sheet begins with: demonstration mark, audience, banner.
fn banner_line(input: &WorkbookInput) -> String {
    let mut parts = Vec::new();
    if input.demonstration {
        parts.push("DÉMONSTRATION — données fictives, à ne pas diffuser comme réelles");
    }
    parts.push(input.audience);
    if let Some(b) = input.banner {
        parts.push(b);
    }
    parts.join(" · ")
}

fn build(input: &WorkbookInput) -> Result<Workbook, XlsxError> {
    let years: Vec<i32> = input.years.clone().collect();
    let first = *input.years.start();
    let f = Formats::default();
    let banner = banner_line(input);
    let demo = input.demonstration;
    let mut wb = Workbook::new();
    let end = u16::try_from(*input.years.end())
        .unwrap_or(2000)
        .clamp(1900, 9999);
    wb.set_properties(
        &DocProperties::new()
            .set_title(input.title)
            .set_creation_datetime(&ExcelDateTime::from_ymd(end, 12, 31)?),
    );
    let mut used = BTreeSet::new();
    let contents = layout::sheet_name(CONTENTS, &mut used);
    wb.add_worksheet().set_name(&contents)?;
    // (sheet name, what it holds) for the contents.
    let mut listed: Vec<(String, String)> = Vec::new();
    for s in layout::sections(input.rows, MAX_LINES_PER_SHEET) {
        let name = layout::sheet_name(&s.sheet, &mut used);
        let ws = wb.add_worksheet().set_name(&name)?;
        sheets::section(ws, &s.rows, first, &banner, demo, &f)?;
        listed.push((name, describe(&s.rows)));
    }
    let series = charts::series(input.rows, &years);
    let chart_sheet = layout::sheet_name(CHARTS, &mut used);
    let ws = wb.add_worksheet().set_name(&chart_sheet)?;
    charts::write(ws, &chart_sheet, &series, &years, &banner, demo, &f)?;
    listed.push((
        chart_sheet,
        match series.len() {
            0 => "aucune série de plusieurs années à représenter".to_string(),
            n => format!(
                "{} des séries annuelles, avec leurs tableaux",
                plural(n, "graphique")
            ),
        },
    ));
    // Indicators shown: catalogue order, then any the catalogue does not know.
    let mut shown: BTreeSet<&str> = input.rows.iter().map(|r| r.indicateur.as_str()).collect();
    let mut ids: Vec<&str> = Vec::new();
    for d in crate::indicators::catalogue() {
        if shown.remove(d.id) {
            ids.push(d.id);
        }
    }
    ids.extend(shown);
    let def_sheet = layout::sheet_name(DEFINITIONS, &mut used);
    let ws = wb.add_worksheet().set_name(&def_sheet)?;
    sheets::definitions(ws, &ids, &banner, demo, &f)?;
    listed.push((
        def_sheet,
        format!("définitions : {}", plural(ids.len(), "indicateur")),
    ));
    contents_sheet(wb.worksheet_from_name(&contents)?, input, &listed, &f)?;
    Ok(wb)
}

/// « 3 indicateurs, 92 chiffres dont 12 en secret statistique ».
fn describe(rows: &[&IndicatorRow]) -> String {
    let secret = rows
        .iter()
        .filter(|r| r.statut != CellStatus::Published)
        .count();
    let indicators: BTreeSet<&str> = rows.iter().map(|r| r.indicateur.as_str()).collect();
    let secret = match secret {
        0 => "aucun".to_string(),
        n => crate::format::number_fr(n as f64, 0),
    };
    format!(
        "{}, {} dont {secret} en secret statistique",
        plural(indicators.len(), "indicateur"),
        plural(rows.len(), "chiffre"),
    )
}

/// « 1 indicateur », « 3 indicateurs », « 1 531 chiffres ».
fn plural(n: usize, word: &str) -> String {
    let s = if n > 1 { "s" } else { "" };
    format!("{} {word}{s}", crate::format::number_fr(n as f64, 0))
}

/// The legend of the contents sheet: each mark or word and what it means.
fn legend_lines() -> [(&'static str, &'static str); 8] {
    [
        (
            "s",
            "chiffre en secret statistique : il n'est pas publié (voir la colonne Statut)",
        ),
        ("Statut V", CellStatus::Published.legend()),
        ("Statut A", CellStatus::Primary.legend()),
        ("Statut D", CellStatus::Secondary.legend()),
        (
            "n.c.",
            "non calculable : donnée absente ou dénominateur nul (voir les notes ci-dessous)",
        ),
        (
            "Évolutions",
            "pour un taux, en points (pt) ; sinon dans l'unité de l'indicateur",
        ),
        (
            "‰",
            "taux pour 1 000, écrit tel que le rapport le montre (la table Parquet donne le rapport, 1 000 fois plus petit)",
        ),
        (
            "Services comparables",
            "services du même type, même indicateur et même année : nombre, quartiles et médiane",
        ),
    ]
}

fn contents_sheet(
    ws: &mut Worksheet,
    input: &WorkbookInput,
    listed: &[(String, String)],
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.set_paper_size(9).set_print_fit_to_pages(1, 0);
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 110)?;
    text(ws, 0, 0, input.title, &f.title)?;
    let mut row = 1;
    let mut line = |ws: &mut Worksheet, a: &str, b: &str, fa: &rust_xlsxwriter::Format| {
        let r = row;
        row += 1;
        text(ws, r, 0, a, fa)?;
        if !b.is_empty() {
            text(ws, r, 1, b, &f.wrap)?;
        }
        Ok::<u32, XlsxError>(r)
    };
    line(
        ws,
        "Période",
        &format!("{}–{}", input.years.start(), input.years.end()),
        &f.bold,
    )?;
    line(ws, "Diffusion", input.audience, &f.bold)?;
    if let Some(s) = input.scope {
        line(ws, "Champ", s, &f.bold)?;
    }
    if let Some(b) = input.banner {
        line(ws, "Destinataire", b, &f.bold)?;
    }
    if input.demonstration {
        line(
            ws,
            "DÉMONSTRATION",
            "données fictives, résultats à ne pas diffuser comme réels",
            &f.demo,
        )?;
    }
    line(ws, "", "", &f.text)?;
    line(ws, "Légende", "", &f.title)?;
    let legend = legend_lines();
    for (a, b) in legend {
        line(ws, a, b, &f.bold)?;
    }
    line(ws, "", "", &f.text)?;
    line(ws, "Contenu", "", &f.title)?;
    for (name, what) in listed {
        let r = line(ws, "", what, &f.text)?;
        let link = Url::new(format!("internal:{}!A1", quote_sheet_name(name))).set_text(name);
        ws.write_url(r, 0, link)?;
    }
    if !input.notes.is_empty() {
        line(ws, "", "", &f.text)?;
        line(ws, "Notes", "", &f.title)?;
        for n in input.notes {
            line(ws, "", n, &f.text)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
