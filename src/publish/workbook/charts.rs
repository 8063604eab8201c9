//! The « Graphiques » sheet: for each headline indicator with a multi-year series, a
//! small table (one line per perimeter, one column per year) and a native Excel line
//! chart whose series point at that table's cells.

use std::collections::BTreeMap;

use rust_xlsxwriter::{Chart, ChartLegendPosition, Worksheet, XlsxError};

use super::layout::{Perimeter, definition, perimeter};
use super::sheets::{Formats, Kind, heading, text};
use crate::indicators::{
    CellStatus, IndicatorRow, activity, context, cross_sector, hr, persons, satisfaction, training,
};

/// Indicators drawn, in report order (their rows without breakdown).
pub const CHARTED: [&str; 9] = [
    activity::ACTIVITY_RATE,
    activity::OCCUPANCY_RATE,
    persons::ACTIVE_FILE,
    cross_sector::PE_ALSO_DITEP,
    hr::ETP_TOTAL,
    hr::ABSENTEEISM,
    training::ESOPPE_SHARE,
    satisfaction::RETURN_RATE,
    context::ASE_PER_1000,
];

/// Most lines in one chart: services (or else départements…) above this are left to
/// the tables, the chart keeps the whole network.
pub const MAX_LINES: usize = 12;

/// Rows a chart block takes at least (the chart is about 16 rows tall).
const BLOCK_ROWS: u32 = 19;
const CHART_WIDTH: u32 = 640;
const CHART_HEIGHT: u32 = 320;

/// One chart: its indicator, unit and lines (perimeter → value of each year).
pub struct Series<'a> {
    pub id: &'a str,
    pub title: String,
    pub kind: Kind,
    pub lines: Vec<(Perimeter, Vec<Option<f64>>)>,
    /// Draw the 100 % line (activity and occupancy rates).
    pub full: bool,
}

/// The charts `rows` allow: an indicator is drawn when its rows without breakdown cover
/// at least two years and hold at least one published number; a perimeter whose every
/// figure is withheld has no line (its « s » are in the family sheet).
pub fn series<'a>(rows: &[&'a IndicatorRow], years: &[i32]) -> Vec<Series<'a>> {
    let mut out = Vec::new();
    if years.len() < 2 {
        return out;
    }
    for id in CHARTED {
        let mut by: BTreeMap<Perimeter, Vec<Option<f64>>> = BTreeMap::new();
        let mut unit = None;
        for r in rows
            .iter()
            .filter(|r| r.indicateur == id && r.ventilation.is_none())
        {
            let Some(y) = years.iter().position(|&y| y == r.periode) else {
                continue;
            };
            unit.get_or_insert(r.unite.as_str());
            let line = by
                .entry(perimeter(r))
                .or_insert_with(|| vec![None; years.len()]);
            if r.statut == CellStatus::Published {
                line[y] = r.valeur;
            }
        }
        let Some(unit) = unit else { continue };
        // The finest level with at most MAX_LINES perimeters, and the whole network.
        let finest = (0..4u8).find(|&rank| {
            let n = by.keys().filter(|p| p.rank == rank).count();
            (1..=MAX_LINES).contains(&n)
        });
        // A line without any published number is left to the tables.
        let lines: Vec<(Perimeter, Vec<Option<f64>>)> = by
            .into_iter()
            .filter(|(p, _)| Some(p.rank) == finest || p.rank == 4)
            .filter(|(_, v)| v.iter().any(Option::is_some))
            .collect();
        if lines.is_empty() {
            continue;
        }
        let kind = Kind::of(unit);
        out.push(Series {
            id,
            title: definition(id).map_or_else(|| id.to_string(), |d| d.libelle.to_string()),
            kind,
            lines,
            full: id == activity::ACTIVITY_RATE || id == activity::OCCUPANCY_RATE,
        });
    }
    out
}

/// An empty line chart for a series: title, axes in the series' unit, legend below.
fn line_chart(s: &Series) -> Chart {
    let mut chart = Chart::new_line();
    chart.title().set_name(&s.title);
    chart.x_axis().set_name("Année");
    chart.y_axis().set_num_format(match s.kind {
        Kind::Rate => "0%",
        Kind::PerMille => "0.0",
        Kind::Count => "#,##0",
        Kind::Amount => "#,##0.0",
    });
    chart.legend().set_position(ChartLegendPosition::Bottom);
    chart.set_width(CHART_WIDTH).set_height(CHART_HEIGHT);
    chart
}

/// The cell format of a value of `kind`.
fn number_format(kind: Kind, v: f64, f: &Formats) -> &rust_xlsxwriter::Format {
    match kind {
        Kind::Rate => &f.rate,
        Kind::PerMille => &f.per_mille,
        Kind::Amount => &f.decimal,
        Kind::Count => f.plain(v),
    }
}

/// Writes the tables and the charts on `ws` (named `sheet`).
pub fn write(
    ws: &mut Worksheet,
    sheet: &str,
    charts: &[Series],
    years: &[i32],
    banner: &str,
    demo: bool,
    f: &Formats,
) -> Result<(), XlsxError> {
    heading(ws, banner, demo, f)?;
    text(
        ws,
        1,
        0,
        "Chaque graphique reprend les chiffres de son tableau, eux-mêmes ceux des feuilles par famille. Case vide : chiffre en secret statistique (« s ») ou non calculable (« n.c. ») ; un périmètre dont aucun chiffre n'est publié n'a pas de ligne.",
        &f.text,
    )?;
    ws.set_paper_size(9)
        .set_landscape()
        .set_print_fit_to_pages(1, 0);
    ws.set_column_width(0, 34)?;
    for c in 1..=years.len() as u16 {
        ws.set_column_width(c, 10)?;
    }
    let mut row = 3u32;
    let last_col = years.len() as u16;
    for s in charts {
        text(ws, row, 0, &s.title, &f.bold)?;
        let head = row + 1;
        text(ws, head, 0, "Périmètre", &f.header)?;
        for (i, y) in years.iter().enumerate() {
            ws.write_number_with_format(head, i as u16 + 1, *y, &f.header)?;
        }
        let mut chart = line_chart(s);
        let mut r = head + 1;
        let reference = s
            .full
            .then(|| ("Référence 100 %".to_string(), vec![Some(1.0); years.len()]));
        let lines = s
            .lines
            .iter()
            .map(|(p, v)| (p.name.clone(), v.clone()))
            .chain(reference);
        for (name, values) in lines {
            text(ws, r, 0, &name, &f.text)?;
            for (i, v) in values.iter().enumerate() {
                if let Some(v) = v {
                    let format = number_format(s.kind, *v, f);
                    ws.write_number_with_format(r, i as u16 + 1, s.kind.shown(*v), format)?;
                }
            }
            chart
                .add_series()
                .set_name((sheet, r, 0))
                .set_categories((sheet, head, 1, head, last_col))
                .set_values((sheet, r, 1, r, last_col));
            r += 1;
        }
        ws.insert_chart(row, last_col + 2, &chart)?;
        row += (r - row + 2).max(BLOCK_ROWS);
    }
    if charts.is_empty() {
        text(
            ws,
            3,
            0,
            "Aucune série de plusieurs années à représenter pour ce périmètre.",
            &f.text,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(service: Option<&str>, year: i32, v: Option<f64>, st: CellStatus) -> IndicatorRow {
        IndicatorRow {
            indicateur: activity::ACTIVITY_RATE.into(),
            periode: year,
            niveau_territoire: if service.is_some() {
                "departement".into()
            } else {
                "ensemble".into()
            },
            code_territoire: service.map(|_| "15".into()),
            service: service.map(str::to_string),
            valeur: v,
            unite: "%".into(),
            statut: st,
            ..Default::default()
        }
    }

    #[test]
    fn a_series_leaves_withheld_years_empty() {
        use CellStatus::*;
        let rows = [
            rate(Some("S1"), 2020, Some(0.9), Published),
            rate(Some("S1"), 2021, None, Primary),
            rate(None, 2020, Some(0.95), Published),
            rate(None, 2021, Some(1.01), Published),
            // Every figure withheld: no line.
            rate(Some("S3"), 2020, None, Primary),
            rate(Some("S3"), 2021, None, Secondary),
        ];
        let refs: Vec<&IndicatorRow> = rows.iter().collect();
        let s = series(&refs, &[2020, 2021]);
        assert_eq!(s.len(), 1);
        assert!(s[0].full);
        let values: Vec<&Vec<Option<f64>>> = s[0].lines.iter().map(|l| &l.1).collect();
        assert_eq!(
            values,
            [&vec![Some(0.9), None], &vec![Some(0.95), Some(1.01)]]
        );
        // One year only: nothing to draw.
        assert!(series(&refs, &[2020]).is_empty());
    }

    #[test]
    fn too_many_services_leave_the_network_alone() {
        let names: Vec<String> = (0..=MAX_LINES).map(|i| format!("S{i}")).collect();
        let mut rows: Vec<IndicatorRow> = names
            .iter()
            .map(|s| rate(Some(s), 2020, Some(1.0), CellStatus::Published))
            .collect();
        rows.push(rate(None, 2021, Some(1.0), CellStatus::Published));
        let refs: Vec<&IndicatorRow> = rows.iter().collect();
        let s = series(&refs, &[2020, 2021]);
        assert_eq!(s[0].lines.len(), 1);
        assert_eq!(s[0].lines[0].0.name, "Ensemble du réseau");
    }
}
