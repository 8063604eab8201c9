//! The COPIL board of a declared report (`type = "copil"`): [`crate::publish::copil`]
//! for the report's perimeter, with the audience's banner and the report's addressee,
//! in the declared reports' style (print rules, embedded font).
//!
//! What each perimeter shows:
//! - a service: that service's plan;
//! - an organisation: the plan of each of its services, one after the other (each
//!   fiche titled with its service when the organisation has several);
//! - the network: the network's own plan (the `plan_action` lines without a service),
//!   whose sub-action counts pool every line of the fiche, services included.

use std::collections::BTreeSet;

use crate::error::Error;
use crate::indicators::{IndicatorRow, Results};
use crate::publish::copil::{CopilInput, board_rows, render_copil, render_copil_services};

use super::ReportInput;
use super::declared::{Declared, Perimeter};

/// The plans a perimeter's board shows: a service code each, `None` for the network's
/// own plan.
pub fn board_services(perimeter: &Perimeter, results: &Results) -> Vec<Option<String>> {
    match perimeter {
        Perimeter::Service(s) => vec![Some(s.clone())],
        Perimeter::Organisation(o) => results
            .rows
            .iter()
            .filter(|r| r.organisation.as_deref() == Some(o.as_str()))
            .filter_map(|r| r.service.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(Some)
            .collect(),
        Perimeter::Network => vec![None],
    }
}

/// The rows the board of `report` shows (its workbook's rows).
pub fn rows<'a>(report: &Declared, results: &'a Results) -> Vec<&'a IndicatorRow> {
    let services = board_services(&report.perimeter, results);
    let services: Vec<Option<&str>> = services.iter().map(Option::as_deref).collect();
    board_rows(results, &services)
}

/// The banner of a declared report: the audience's (internal dashboard, document sent
/// to an authority) and the report's own addressee, when given.
pub fn banner(report: &Declared, input: &ReportInput) -> Option<String> {
    let addressee = report
        .destinataire
        .as_ref()
        .map(|d| format!("Rapport établi à l'intention de : {d}"));
    match (input.banner, addressee) {
        (Some(b), Some(a)) => Some(format!("{b} · {a}")),
        (b, a) => b.map(str::to_string).or(a),
    }
}

/// Renders the COPIL board of `report`.
pub fn render(report: &Declared, input: &ReportInput) -> Result<String, Error> {
    let empty = polars::prelude::DataFrame::empty();
    let title = format!(
        "{} — {}",
        report.kind.title(),
        super::declared::report_subject(report, input)
    );
    let banner = banner(report, input);
    let services = board_services(&report.perimeter, input.results);
    let mut board = CopilInput {
        title: &title,
        pipeline: input.pipeline,
        service: None,
        years: input.years.clone(),
        demonstration: input.demonstration,
        banner: banner.as_deref(),
        results: input.results,
        plan: input.action_plan.unwrap_or(&empty),
    };
    let html = match &report.perimeter {
        Perimeter::Service(s) => {
            board.service = Some(s);
            render_copil(&board)?
        }
        Perimeter::Organisation(_) => {
            let codes: Vec<&str> = services.iter().filter_map(Option::as_deref).collect();
            render_copil_services(&board, &codes, &report.perimeter.label())?
        }
        Perimeter::Network => render_copil(&board)?,
    };
    // The same style sheet, print rules and embedded font as the other reports.
    Ok(super::declared::as_declared_page(&html))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::IndicatorRow;

    #[test]
    fn an_organisation_shows_the_plan_of_each_of_its_services() {
        let row = |s: &str, o: &str| IndicatorRow {
            service: Some(s.into()),
            organisation: Some(o.into()),
            ..Default::default()
        };
        let results = Results {
            rows: vec![row("B-1", "O"), row("A-1", "O"), row("C-1", "P")],
            notes: Vec::new(),
        };
        let org = Perimeter::Organisation("O".into());
        assert_eq!(
            board_services(&org, &results),
            vec![Some("A-1".to_string()), Some("B-1".to_string())]
        );
        assert_eq!(board_services(&Perimeter::Network, &results), vec![None]);
    }
}
