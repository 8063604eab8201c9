//! Interim page of the COPIL board: the existing sections of the figures it is about,
//! until its dedicated renderer (the board of `publish::copil`) replaces it in
//! [`super::declared::render_declared`].

use minijinja::{
    context,
    value::{Serde, Value},
};

use crate::error::Error;
use crate::indicators::IndicatorRow;

use super::declared::Declared;
use super::{ReportInput, rows_by_indicator, sections};

/// The quality action plan's figures (sub-actions done, targets reached) of the
/// perimeter.
pub fn render_copil(report: &Declared, input: &ReportInput) -> Result<String, Error> {
    let keep = |r: &IndicatorRow| {
        r.indicateur.starts_with("copil_") && super::declared::covers(&report.perimeter, r)
    };
    render(
        report,
        input,
        keep,
        "Suivi du plan d'action du COPIL qualité : sous-actions réalisées et atteinte des cibles, par année. Le tableau de bord détaillé (statut de chaque sous-action, cible et valeur observée de chaque indicateur) sera ajouté à ce rapport.",
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
