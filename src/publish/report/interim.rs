//! Interim page of the plaidoyer: the existing sections of the figures it is about,
//! until its dedicated renderer (the map of `publish::map`) replaces it in
//! [`super::declared::render_declared`].

use minijinja::{
    context,
    value::{Serde, Value},
};

use crate::error::Error;
use crate::indicators::IndicatorRow;

use super::declared::Declared;
use super::{ReportInput, rows_by_indicator, sections};

/// The network and its départements (totals and breakdowns), no service or
/// organisation: what the collective argues from.
pub fn render_plaidoyer(report: &Declared, input: &ReportInput) -> Result<String, Error> {
    let keep = |r: &IndicatorRow| {
        r.service.is_none()
            && r.organisation.is_none()
            && r.niveau_territoire != "territoire_interne"
            && super::declared::covers(&report.perimeter, r)
    };
    render(
        report,
        input,
        keep,
        "Chiffres de l'ensemble du réseau et de chaque département, par année. La carte de France par département et le classement des territoires seront ajoutés à ce rapport.",
    )
}

fn render(
    report: &Declared,
    input: &ReportInput,
    keep: impl Fn(&IndicatorRow) -> bool,
    what: &str,
) -> Result<String, Error> {
    let years: Vec<i32> = input.years.clone().collect();
    let by = rows_by_indicator(input.results);
    let sections = sections(&by, &years, keep);
    super::page(
        "provisoire.html",
        report,
        input,
        context! {
            contenu => what,
            sections => Value::from(Serde(&sections)),
        },
    )
}
