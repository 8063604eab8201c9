//! The workbook of each declared report (`rapports/<nom>.xlsx`, beside its page): the
//! rows the page shows, and only those, written by [`crate::publish::workbook`] with the
//! report's title, the audience's banner and the report's addressee.
//!
//! The rows of each kind:
//! - rapport d'activité: the rows of its chapters — each service's own rows (their
//!   changes and peer quartiles are columns of these rows), the organisation's totals
//!   when it has several services, the network's totals for a network report;
//! - plaidoyer: the network's and the départements' rows (no service, organisation or
//!   internal territory);
//! - COPIL board: the COPIL rows of the plans it shows ([`super::board::rows`]).

use std::collections::BTreeSet;

use crate::error::Error;
use crate::indicators::IndicatorRow;
use crate::publish::workbook::{WorkbookInput, workbook_bytes};

use super::ReportInput;
use super::activite::{Scope, scopes};
use super::declared::{Declared, Kind, Perimeter, covers};

/// The audience line of a workbook: the audience's banner (internal dashboard,
/// addressee), or the public release's rule.
pub fn audience_line(banner: Option<&str>, threshold: u32) -> String {
    banner.map_or_else(
        || format!("Diffusion publique : secret statistique à {threshold} personnes"),
        str::to_string,
    )
}

/// The rows of `report`'s page, in the run's order.
pub fn report_rows<'a>(report: &Declared, input: &ReportInput<'a>) -> Vec<&'a IndicatorRow> {
    let results = input.results;
    match report.kind {
        Kind::Activite => {
            let chapters: BTreeSet<Scope> = scopes(&report.perimeter, results)
                .into_iter()
                .map(|(s, _)| s)
                .collect();
            results
                .rows
                .iter()
                .filter(|r| {
                    let scope = match (&r.service, &r.organisation, &r.code_territoire) {
                        (Some(s), _, _) => Scope::Service(s.clone()),
                        (None, Some(o), None) => Scope::Organisation(o.clone()),
                        (None, None, None) => Scope::Network,
                        _ => return false,
                    };
                    chapters.contains(&scope)
                })
                .collect()
        }
        Kind::Plaidoyer => results
            .rows
            .iter()
            .filter(|r| {
                r.service.is_none()
                    && r.organisation.is_none()
                    && r.niveau_territoire != "territoire_interne"
                    && covers(&report.perimeter, r)
            })
            .collect(),
        Kind::Copil => super::board::rows(report, results),
    }
}

/// What a report's workbook covers (« Champ »).
fn scope_note(report: &Declared) -> String {
    let what = match report.kind {
        Kind::Activite => {
            "ses chiffres, avec la variation annuelle et les quartiles des services du même type"
        }
        Kind::Plaidoyer => "l'ensemble du réseau et chaque département",
        Kind::Copil => "le plan d'action du COPIL qualité (sous-actions réalisées, cibles)",
    };
    format!("{} : {what}", report.perimeter.label())
}

/// The notes on missing figures that are about the report's rows: a note naming a
/// service is kept only when the report shows that service, a note naming none
/// (territories, context data) only in a network report.
fn notes_of(report: &Declared, input: &ReportInput, rows: &[&IndicatorRow]) -> Vec<String> {
    let network = report.kind != Kind::Copil && report.perimeter == Perimeter::Network;
    let shown: BTreeSet<&str> = rows.iter().filter_map(|r| r.service.as_deref()).collect();
    let every: BTreeSet<&str> = input
        .results
        .rows
        .iter()
        .filter_map(|r| r.service.as_deref())
        .collect();
    input
        .results
        .notes
        .iter()
        .filter(|n| {
            let named: Vec<&&str> = every.iter().filter(|s| n.contains(**s)).collect();
            if named.is_empty() {
                network
            } else {
                named.iter().any(|s| shown.contains(**s))
            }
        })
        .cloned()
        .collect()
}

/// The workbook of `report` as bytes.
pub fn workbook(report: &Declared, input: &ReportInput) -> Result<Vec<u8>, Error> {
    let rows = report_rows(report, input);
    let notes = notes_of(report, input, &rows);
    let title = format!(
        "{} — {}",
        report.kind.title(),
        super::declared::report_subject(report, input)
    );
    let addressee = report
        .destinataire
        .as_ref()
        .map(|d| format!("Rapport établi à l'intention de : {d}"));
    let scope = scope_note(report);
    workbook_bytes(
        &WorkbookInput {
            title: &title,
            banner: addressee.as_deref(),
            audience: &audience_line(input.banner, input.secrecy.seuil),
            scope: Some(&scope),
            demonstration: input.demonstration,
            years: input.years.clone(),
            rows: &rows,
            notes: &notes,
        },
        &report.xlsx_path(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_workbook_states_the_threshold() {
        assert_eq!(
            audience_line(None, 11),
            "Diffusion publique : secret statistique à 11 personnes"
        );
        let b = "Document transmis à : CD 15 — ne pas rediffuser";
        assert_eq!(audience_line(Some(b), 11), b);
    }
}
