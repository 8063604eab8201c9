//! The section sheets (one line per figure) and the « Définitions » sheet: French
//! number formats, secret marks, frozen header, autofilter, column widths.

use rust_xlsxwriter::{Color, Format, FormatAlign, Worksheet, XlsxError};

use super::layout::{Perimeter, breakdown_label, definition, perimeter};
use crate::indicators::{CellStatus, IndicatorDef, IndicatorRow, MeasureKind};

/// Rows above the header of a section sheet: banner, legend.
pub const HEADER_ROW: u32 = 2;
/// Mark of a withheld figure (as in the HTML report).
pub const SECRET: &str = "s";
/// Mark of a figure that cannot be computed (as in the HTML report).
pub const NOT_COMPUTABLE: &str = "n.c.";
/// One-line legend repeated above every section sheet.
pub const LEGEND: &str = "« s » : chiffre en secret statistique (Statut A : secret primaire, moins de personnes que le seuil ; D : secret secondaire) — « n.c. » : non calculable — évolutions d'un taux en points — légende complète dans « Sommaire ».";

/// How the figures of a unit are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A proportion (`%`): the ratio, shown `0,0 %`; its changes in points.
    Rate,
    /// A rate per 1 000 (`‰`): written × 1 000, as the HTML report shows it.
    PerMille,
    /// Persons, accompaniments, questionnaires…: whole numbers.
    Count,
    /// Days, ETP, scores: one decimal.
    Amount,
}

impl Kind {
    pub fn of(unit: &str) -> Kind {
        match unit {
            "%" => Kind::Rate,
            "‰" => Kind::PerMille,
            "jours" | "ETP" | "sur 4" | "mesures par ETP" => Kind::Amount,
            _ => Kind::Count,
        }
    }

    /// The published value as the workbook writes it.
    pub fn shown(self, v: f64) -> f64 {
        match self {
            Kind::PerMille => v * 1000.0,
            _ => v,
        }
    }

    /// A change as the workbook writes it (points for a rate).
    fn change(self, v: f64) -> f64 {
        match self {
            Kind::Rate => v * 100.0,
            Kind::PerMille => v * 1000.0,
            _ => v,
        }
    }

    pub fn unit_label(self, unit: &str) -> String {
        match self {
            Kind::PerMille => "‰ (pour 1 000)".into(),
            _ => unit.into(),
        }
    }
}

/// The formats of the workbook (one of each, shared by every sheet).
pub struct Formats {
    pub title: Format,
    pub bold: Format,
    pub banner: Format,
    pub demo: Format,
    pub header: Format,
    pub text: Format,
    pub wrap: Format,
    pub secret: Format,
    pub year: Format,
    pub rate: Format,
    pub count: Format,
    pub decimal: Format,
    pub per_mille: Format,
    pub points: Format,
    pub signed_count: Format,
    pub signed_decimal: Format,
    pub signed_per_mille: Format,
}

impl Default for Formats {
    fn default() -> Formats {
        let num = |f: &str| Format::new().set_num_format(f);
        Formats {
            title: Format::new().set_bold().set_font_size(16),
            bold: Format::new().set_bold(),
            banner: Format::new()
                .set_bold()
                .set_font_color(Color::RGB(0x1F_3A_5F)),
            demo: Format::new()
                .set_bold()
                .set_font_color(Color::RGB(0xB0_00_20)),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color(Color::RGB(0xDC_E6_F1)),
            text: Format::new(),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            secret: Format::new()
                .set_italic()
                .set_align(FormatAlign::Right)
                .set_font_color(Color::RGB(0x80_80_80)),
            year: num("0"),
            rate: num("0.0%"),
            count: num("#,##0"),
            decimal: num("#,##0.0"),
            per_mille: num("#,##0.0\" ‰\""),
            points: num("+0.0\" pt\";-0.0\" pt\";0.0\" pt\""),
            signed_count: num("+#,##0;-#,##0;0"),
            signed_decimal: num("+#,##0.0;-#,##0.0;0.0"),
            signed_per_mille: num("+#,##0.0\" ‰\";-#,##0.0\" ‰\";0.0\" ‰\""),
        }
    }
}

impl Formats {
    /// Format of a value (or quartile) of `kind`.
    fn value(&self, kind: Kind, v: f64) -> &Format {
        match kind {
            Kind::Rate => &self.rate,
            Kind::PerMille => &self.per_mille,
            Kind::Amount => &self.decimal,
            Kind::Count => self.plain(v),
        }
    }

    /// Format of a numerator, denominator or count of peers: whole or one decimal.
    pub fn plain(&self, v: f64) -> &Format {
        if v.fract() == 0.0 {
            &self.count
        } else {
            &self.decimal
        }
    }

    fn change(&self, kind: Kind, v: f64) -> &Format {
        match kind {
            Kind::Rate => &self.points,
            Kind::PerMille => &self.signed_per_mille,
            Kind::Amount => &self.signed_decimal,
            Kind::Count if v.fract() == 0.0 => &self.signed_count,
            Kind::Count => &self.signed_decimal,
        }
    }
}

/// Writes `text` as a string cell, never a formula; a text a spreadsheet would take
/// for a formula when edited (`=`, `+`, `-`, `@`…) gets Excel's quote prefix too.
pub fn text(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    format: &Format,
) -> Result<(), XlsxError> {
    // Excel's limit for one cell: 32 767 UTF-16 units (a UTF-8 byte is at most one).
    let text: String = if text.len() > CELL_MAX {
        let mut units = 0;
        text.chars()
            .take_while(|c| {
                units += c.len_utf16();
                units <= CELL_MAX
            })
            .collect()
    } else {
        text.to_string()
    };
    if matches!(
        crate::validation::spreadsheet_safe(&text),
        std::borrow::Cow::Owned(_)
    ) {
        ws.write_string_with_format(row, col, text, &format.clone().set_quote_prefix())?;
    } else if *format == *PLAIN {
        // No format to look up (the writer hashes a format at every cell).
        ws.write_string(row, col, text)?;
    } else {
        ws.write_string_with_format(row, col, text, format)?;
    }
    Ok(())
}

/// The default format, which a cell needs not name.
static PLAIN: std::sync::LazyLock<Format> = std::sync::LazyLock::new(Format::new);

/// Longest text of one cell (UTF-16 units).
const CELL_MAX: usize = 32_767;

/// Columns of a section sheet: header and width.
fn columns(first_year: i32) -> Vec<(String, f64)> {
    [
        ("Indicateur", 38.0),
        ("Niveau", 18.0),
        ("Périmètre", 30.0),
        ("Code du périmètre", 20.0),
        ("Organisation", 22.0),
        ("Ventilation", 18.0),
        ("Catégorie", 22.0),
        ("Année", 7.0),
        ("Valeur", 11.0),
        ("Unité", 13.0),
        ("Statut", 7.0),
        ("Numérateur", 13.0),
        ("Dénominateur", 13.0),
        ("Évolution sur un an", 12.0),
        ("", 12.0),
        ("Services comparables", 11.0),
        ("1er quartile des services comparables", 12.0),
        ("Médiane des services comparables", 12.0),
        ("3e quartile des services comparables", 12.0),
        ("Code indicateur", 30.0),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (h, w))| {
        let h = if i == 14 {
            format!("Évolution depuis {first_year}")
        } else {
            h.to_string()
        };
        (h, w)
    })
    .collect()
}

/// Column of the value (the integration test and the charts read it).
pub const VALUE_COL: u16 = 8;

/// Printed on A4 landscape, as wide as one page, the header repeated on every page.
pub fn print_setup(ws: &mut Worksheet, header: u32) -> Result<(), XlsxError> {
    ws.set_paper_size(9)
        .set_landscape()
        .set_print_fit_to_pages(1, 0)
        .set_repeat_rows(header, header)?;
    Ok(())
}

/// Writes the banner line and the legend line above a table.
pub fn heading(ws: &mut Worksheet, banner: &str, demo: bool, f: &Formats) -> Result<(), XlsxError> {
    text(ws, 0, 0, banner, if demo { &f.demo } else { &f.banner })?;
    text(ws, 1, 0, LEGEND, &f.text)?;
    Ok(())
}

/// One section sheet: a line per figure, in the order of `rows`.
pub fn section(
    ws: &mut Worksheet,
    rows: &[&IndicatorRow],
    first_year: i32,
    banner: &str,
    demo: bool,
    f: &Formats,
) -> Result<(), XlsxError> {
    heading(ws, banner, demo, f)?;
    let cols = columns(first_year);
    for (c, (h, w)) in cols.iter().enumerate() {
        let c = c as u16;
        text(ws, HEADER_ROW, c, h, &f.header)?;
        ws.set_column_width(c, *w)?;
    }
    ws.set_row_height(HEADER_ROW, 45)?;
    let mut defs: Vec<(String, Option<IndicatorDef>)> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let row = HEADER_ROW + 1 + i as u32;
        // Consecutive rows share their indicator: one catalogue look-up per indicator.
        if defs.last().is_none_or(|d| d.0 != r.indicateur) {
            defs.push((r.indicateur.clone(), definition(&r.indicateur)));
        }
        let def = defs.last().and_then(|d| d.1);
        line(ws, row, r, def.as_ref(), &perimeter(r), f)?;
    }
    ws.set_freeze_panes(HEADER_ROW + 1, 0)?;
    print_setup(ws, HEADER_ROW)?;
    let last = HEADER_ROW + rows.len().max(1) as u32;
    ws.autofilter(HEADER_ROW, 0, last, cols.len() as u16 - 1)?;
    Ok(())
}

/// One figure's line.
fn line(
    ws: &mut Worksheet,
    row: u32,
    r: &IndicatorRow,
    def: Option<&IndicatorDef>,
    p: &Perimeter,
    f: &Formats,
) -> Result<(), XlsxError> {
    let kind = Kind::of(&r.unite);
    let withheld = r.statut != CellStatus::Published;
    text(
        ws,
        row,
        0,
        def.map_or(&r.indicateur, |d| d.libelle),
        &f.text,
    )?;
    text(ws, row, 1, p.level, &f.text)?;
    text(ws, row, 2, &p.name, &f.text)?;
    text(ws, row, 3, &p.code, &f.text)?;
    text(ws, row, 4, r.organisation.as_deref().unwrap_or(""), &f.text)?;
    if let Some(d) = &r.ventilation {
        text(ws, row, 5, &breakdown_label(d), &f.text)?;
    }
    if let Some(m) = &r.modalite {
        text(ws, row, 6, m, &f.text)?;
    }
    ws.write_number_with_format(row, 7, r.periode, &f.year)?;
    match r.valeur {
        _ if withheld => text(ws, row, VALUE_COL, SECRET, &f.secret)?,
        Some(v) => {
            ws.write_number_with_format(row, VALUE_COL, kind.shown(v), f.value(kind, v))?;
        }
        None => text(ws, row, VALUE_COL, NOT_COMPUTABLE, &f.secret)?,
    }
    text(ws, row, 9, &kind.unit_label(&r.unite), &f.text)?;
    text(ws, row, 10, r.statut.code(), &f.text)?;
    // A side withheld by disclosure control shows « s »; a side the indicator does not
    // have (a count has no denominator) stays empty.
    let sides = [
        (11, r.numerateur, def.map(|d| d.secret.numerateur.kind)),
        (12, r.denominateur, def.map(|d| d.secret.denominateur.kind)),
    ];
    for (col, v, measure) in sides {
        match v {
            Some(v) => {
                ws.write_number_with_format(row, col, v, f.plain(v))?;
            }
            None if withheld && measure.is_some_and(|m| m != MeasureKind::Free) => {
                text(ws, row, col, SECRET, &f.secret)?;
            }
            None => {}
        }
    }
    for (col, v) in [(13, r.evolution_annuelle), (14, r.evolution_depuis_base)] {
        if let Some(v) = v {
            ws.write_number_with_format(row, col, kind.change(v), f.change(kind, v))?;
        }
    }
    if let Some(n) = r.pairs_nombre {
        ws.write_number_with_format(row, 15, n, &f.count)?;
    }
    for (col, v) in [(16, r.pairs_q1), (17, r.pairs_mediane), (18, r.pairs_q3)] {
        if let Some(v) = v {
            ws.write_number_with_format(row, col, kind.shown(v), f.value(kind, v))?;
        }
    }
    text(ws, row, 19, &r.indicateur, &f.text)?;
    Ok(())
}

/// The « Définitions » sheet: every indicator of `ids` (catalogue order), with its
/// definition, formula, unit and sources.
pub fn definitions(
    ws: &mut Worksheet,
    ids: &[&str],
    banner: &str,
    demo: bool,
    f: &Formats,
) -> Result<(), XlsxError> {
    text(ws, 0, 0, banner, if demo { &f.demo } else { &f.banner })?;
    text(
        ws,
        1,
        0,
        "Chaque indicateur des feuilles de ce classeur, tel que le calcule l'observatoire.",
        &f.text,
    )?;
    let cols = [
        ("Code indicateur", 30.0),
        ("Indicateur", 36.0),
        ("Définition", 70.0),
        ("Numérateur", 36.0),
        ("Dénominateur", 36.0),
        ("Unité", 12.0),
        ("Tables sources", 22.0),
        ("Origine", 30.0),
        ("Secret statistique", 50.0),
    ];
    for (c, (h, w)) in cols.iter().enumerate() {
        text(ws, HEADER_ROW, c as u16, h, &f.header)?;
        ws.set_column_width(c as u16, *w)?;
    }
    for (i, id) in ids.iter().enumerate() {
        let row = HEADER_ROW + 1 + i as u32;
        text(ws, row, 0, id, &f.wrap)?;
        let Some(d) = definition(id) else {
            text(ws, row, 1, id, &f.wrap)?;
            text(ws, row, 2, "définition absente du catalogue", &f.wrap)?;
            continue;
        };
        let secret = d.secret.describe();
        let cells = [
            d.libelle,
            d.definition,
            d.numerateur,
            d.denominateur,
            d.unite,
            d.tables_sources,
            d.origine,
            secret.as_str(),
        ];
        for (c, v) in cells.iter().enumerate() {
            text(ws, row, c as u16 + 1, v, &f.wrap)?;
        }
    }
    ws.set_freeze_panes(HEADER_ROW + 1, 1)?;
    print_setup(ws, HEADER_ROW)?;
    let last = HEADER_ROW + ids.len().max(1) as u32;
    ws.autofilter(HEADER_ROW, 0, last, cols.len() as u16 - 1)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_their_figures() {
        assert_eq!(Kind::of("%"), Kind::Rate);
        assert_eq!(Kind::of("‰"), Kind::PerMille);
        assert_eq!(Kind::of("ETP"), Kind::Amount);
        assert_eq!(Kind::of("personnes"), Kind::Count);
        // The ratio stays the ratio (Excel's % format multiplies); ‰ is written per 1 000.
        assert_eq!(Kind::Rate.shown(0.8512), 0.8512);
        assert_eq!(Kind::PerMille.shown(0.0125), 12.5);
        // A rate's change is in points.
        assert!((Kind::Rate.change(0.05) - 5.0).abs() < 1e-12);
        assert_eq!(Kind::Count.change(-3.0), -3.0);
    }

    #[test]
    fn long_text_is_cut_at_the_cell_limit() {
        let mut ws = Worksheet::new();
        let long = "𝄞".repeat(CELL_MAX);
        text(&mut ws, 0, 0, &long, &Format::new()).unwrap();
        text(&mut ws, 1, 0, &"é".repeat(CELL_MAX + 5), &Format::new()).unwrap();
    }

    #[test]
    fn headers_name_the_first_year() {
        let cols = columns(2020);
        assert_eq!(cols.len(), 20);
        assert_eq!(cols[14].0, "Évolution depuis 2020");
        assert_eq!(cols[VALUE_COL as usize].0, "Valeur");
    }
}
