//! ANEF Cantal — `Plan d'action COPIL qualité.xlsx`: the three fiches action
//! of the APMN's service project (2023–2027), the yearly status of their
//! sub-actions, and their indicators with targets and observed values.
//!
//! The calendar follows the X marks of the project (N = second half of 2023,
//! then N+1 … N+4). The observed 2023 values that the other files allow to
//! compute (trainings, questionnaires) are computed from them; the 2024
//! values come from the COPIL's own counts.

use std::error::Error;

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use crate::formation::{self, Theme, Training};
use crate::output::Output;
use crate::rng::Rng;
use crate::satisfaction::{self, Public, Questionnaire};
use crate::world::Service;

/// Path of the file, relative to the output directory.
pub const FILE: &str = "anef-cantal/Plan d'action COPIL qualité.xlsx";

/// Headers of the sheet `Sous-actions` (row 1).
pub const HEADERS_SOUS_ACTIONS: [&str; 5] = ["Fiche", "Objectif", "Sous-action", "Année", "Statut"];

/// Headers of the sheet `Indicateurs` (row 1).
pub const HEADERS_INDICATEURS: [&str; 6] = [
    "Fiche",
    "Indicateur",
    "Type (suivi/résultat)",
    "Année",
    "Cible",
    "Valeur observée",
];

/// Years of the plan (N = 2023 … N+4).
pub const YEARS: [i32; 5] = [2023, 2024, 2025, 2026, 2027];

/// Years with an observed value.
pub const OBSERVED_YEARS: [i32; 2] = [2023, 2024];

/// Status values of a sub-action.
pub const STATUTS: [&str; 5] = ["prévu", "en cours", "réalisé", "reporté", "abandonné"];

/// A fiche action: number, title, objectives.
pub struct Fiche {
    /// Number (1–3).
    pub numero: u32,
    /// Title, as in the service project.
    pub titre: &'static str,
    /// Objectives, as written in the `Objectif` column.
    pub objectif: &'static str,
}

/// The three fiches action.
pub const FICHES: [Fiche; 3] = [
    Fiche {
        numero: 1,
        titre: "Mieux répondre aux besoins des familles en organisant le service sur deux territoires",
        objectif: "Améliorer la qualité de la réponse aux familles accompagnées ; renforcer les spécificités des métiers",
    },
    Fiche {
        numero: 2,
        titre: "Améliorer la qualité",
        objectif: "Améliorer la qualité de l'accompagnement ; améliorer la qualité de vie au travail",
    },
    Fiche {
        numero: 3,
        titre: "Soutenir l'accès à la formation",
        objectif: "Améliorer l'accompagnement des familles ; prévenir les phénomènes d'usure professionnelle",
    },
];

/// `Fiche action n`.
pub fn fiche_label(n: u32) -> String {
    format!("Fiche action {n}")
}

/// The calendar of a sub-action: (year, status) for each X.
pub type Calendrier = &'static [(i32, &'static str)];

/// Sub-actions: fiche, label, calendar.
pub const SOUS_ACTIONS: [(u32, &str, Calendrier); 12] = [
    (
        1,
        "Sous-action 1 – Valoriser les métiers et les missions (deux équipes, recrutement d'une EJE et d'une coordinatrice)",
        &[(2023, "réalisé")],
    ),
    (
        1,
        "Sous-action 2 – Communication avec les partenaires (réunions avec les mandants)",
        &[(2023, "reporté"), (2024, "réalisé")],
    ),
    (
        1,
        "Sous-action 3 – Être force de proposition et acteur dans le champ de la protection de l'enfance (actions de DSL)",
        &[
            (2024, "en cours"),
            (2025, "prévu"),
            (2026, "prévu"),
            (2027, "prévu"),
        ],
    ),
    (
        1,
        "Sous-action 4 – La formation (ESOPPE et analyse systémique chaque année)",
        &[
            (2023, "réalisé"),
            (2024, "en cours"),
            (2025, "prévu"),
            (2026, "prévu"),
            (2027, "prévu"),
        ],
    ),
    (
        2,
        "Sous-action 1 – Actualiser tous les documents obligatoires annuellement",
        &[
            (2023, "réalisé"),
            (2024, "réalisé"),
            (2025, "prévu"),
            (2026, "prévu"),
            (2027, "prévu"),
        ],
    ),
    (
        2,
        "Sous-action 2 – Diffuser à l'équipe les recommandations de bonnes pratiques professionnelles et les documents de la HAS",
        &[
            (2023, "réalisé"),
            (2024, "en cours"),
            (2025, "prévu"),
            (2026, "prévu"),
            (2027, "prévu"),
        ],
    ),
    (
        2,
        "Sous-action 3 – Intégrer la démarche qualité dans les rapports d'activité",
        &[
            (2024, "réalisé"),
            (2025, "prévu"),
            (2026, "prévu"),
            (2027, "prévu"),
        ],
    ),
    (
        2,
        "Sous-action 4 – Actualiser un classeur qualité pour le service",
        &[
            (2023, "en cours"),
            (2024, "abandonné"),
            (2025, "abandonné"),
            (2026, "abandonné"),
            (2027, "abandonné"),
        ],
    ),
    (
        3,
        "Sous-action 1 – Favoriser l'expression des salariés sur leurs souhaits de formation individuelle et collective",
        &[
            (2023, "réalisé"),
            (2024, "réalisé"),
            (2025, "prévu"),
            (2026, "prévu"),
            (2027, "prévu"),
        ],
    ),
    (
        3,
        "Sous-action 2 – Proposer à la direction les formations individuelles et collectives des salariés",
        &[
            (2023, "réalisé"),
            (2024, "en cours"),
            (2025, "prévu"),
            (2026, "prévu"),
            (2027, "prévu"),
        ],
    ),
    (
        3,
        "Sous-action 3 – Former tous les salariés à ESOPPE",
        &[
            (2023, "en cours"),
            (2024, "en cours"),
            (2025, "prévu"),
            (2026, "prévu"),
            (2027, "prévu"),
        ],
    ),
    (
        3,
        "Sous-action 4 – Former les membres de l'équipe à l'analyse systémique",
        &[
            (2024, "en cours"),
            (2025, "prévu"),
            (2026, "prévu"),
            (2027, "prévu"),
        ],
    ),
];

/// How an indicator's 2023 value is obtained.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Source {
    /// Days of training requested (APMN training file).
    JoursDemandes,
    /// Days of training taken.
    JoursRealises,
    /// Distinct employees trained (any theme).
    SalariesFormes,
    /// Distinct employees trained on a theme.
    FormesTheme(Theme),
    /// Questionnaires returned (all recipients).
    QuestionnairesRetournes,
    /// Return rate of families and partners, percent.
    TauxRetourFamillesPartenaires,
    /// Satisfied share of families and partners, percent.
    PartSatisfaitsFamillesPartenaires,
    /// Counted by the COPIL (no other file).
    Copil(f64),
}

/// Indicators: fiche, label, type, targets 2023–2027, source of the observed values.
pub const INDICATEURS: [(u32, &str, &str, [f64; 5], Source); 9] = [
    (
        1,
        "Nombre de journées de formation demandées",
        "suivi",
        [30.0, 30.0, 30.0, 30.0, 30.0],
        Source::JoursDemandes,
    ),
    (
        1,
        "Nombre de journées de formation dispensées",
        "suivi",
        [25.0, 25.0, 28.0, 28.0, 30.0],
        Source::JoursRealises,
    ),
    (
        1,
        "Résultats des questionnaires de satisfaction adressés aux familles et aux partenaires (% de satisfaits)",
        "résultat",
        [75.0, 75.0, 80.0, 80.0, 80.0],
        Source::PartSatisfaitsFamillesPartenaires,
    ),
    (
        1,
        "Nombres d'action DSL",
        "résultat",
        [0.0, 2.0, 3.0, 4.0, 4.0],
        Source::Copil(0.0),
    ),
    (
        2,
        "Retour des questionnaires de satisfaction auprès des familles et des partenaires (taux de retour en %)",
        "suivi",
        [40.0, 45.0, 50.0, 50.0, 50.0],
        Source::TauxRetourFamillesPartenaires,
    ),
    (
        2,
        "Nombre de questionnaires de satisfaction retournés au service",
        "résultat",
        [30.0, 35.0, 40.0, 40.0, 45.0],
        Source::QuestionnairesRetournes,
    ),
    (
        3,
        "Nombre de salariés en formation",
        "suivi",
        [8.0, 10.0, 10.0, 11.0, 11.0],
        Source::SalariesFormes,
    ),
    (
        3,
        "Nombre de salariés formés à ESOPPE",
        "résultat",
        [6.0, 8.0, 10.0, 12.0, 12.0],
        Source::FormesTheme(Theme::Esoppe),
    ),
    (
        3,
        "Nombre de salariés formés à l'analyse systémique",
        "résultat",
        [4.0, 6.0, 8.0, 10.0, 12.0],
        Source::FormesTheme(Theme::AnalyseSystemique),
    ),
];

/// One row of the `Indicateurs` sheet.
#[derive(Clone, Debug, PartialEq)]
pub struct IndicatorRow {
    /// Fiche number.
    pub fiche: u32,
    /// Indicator label.
    pub indicateur: &'static str,
    /// `suivi` or `résultat`.
    pub type_: &'static str,
    /// Year.
    pub annee: i32,
    /// Target.
    pub cible: f64,
    /// Observed value (2023 and 2024 only).
    pub observee: Option<f64>,
}

/// `100 × num / den` with one decimal.
fn pct1(num: usize, den: usize) -> f64 {
    if den == 0 {
        return 0.0;
    }
    ((1000 * num + den / 2) / den) as f64 / 10.0
}

/// The 2023 value of a source, from the other files.
pub fn value_2023(source: Source, trainings: &[Training], qs: &[Questionnaire]) -> f64 {
    let y = 2023;
    let t = formation::figures(trainings, Service::Apmn, y);
    let sat = |p: Public| satisfaction::figures(qs, Service::Apmn, y, p);
    let fp = [sat(Public::Famille), sat(Public::Partenaire)];
    match source {
        Source::JoursDemandes => formation::days(t.demandes),
        Source::JoursRealises => formation::days(t.realises),
        Source::SalariesFormes => t.formes as f64,
        Source::FormesTheme(th) => t
            .formes_par_theme
            .iter()
            .find(|(x, _)| *x == th)
            .map_or(0.0, |(_, n)| *n as f64),
        Source::QuestionnairesRetournes => {
            Public::ALL.iter().map(|&p| sat(p).retournes).sum::<usize>() as f64
        }
        Source::TauxRetourFamillesPartenaires => pct1(
            fp.iter().map(|f| f.retournes).sum(),
            fp.iter().map(|f| f.envoyes).sum(),
        ),
        Source::PartSatisfaitsFamillesPartenaires => pct1(
            fp.iter().map(|f| f.satisfaits).sum(),
            fp.iter().map(|f| f.retournes).sum(),
        ),
        Source::Copil(v) => v,
    }
}

/// Builds the indicator rows (the 2024 values are the COPIL's counts).
pub fn indicators(
    rng: &mut Rng,
    trainings: &[Training],
    qs: &[Questionnaire],
) -> Vec<IndicatorRow> {
    let mut rows = Vec::new();
    for (fiche, label, type_, targets, source) in INDICATEURS {
        let v2023 = value_2023(source, trainings, qs);
        let v2024 = match source {
            Source::Copil(_) => 2.0,
            Source::TauxRetourFamillesPartenaires | Source::PartSatisfaitsFamillesPartenaires => {
                ((v2023 * 10.0).round() + rng.range(-40, 60) as f64) / 10.0
            }
            _ => (v2023 + rng.range(-1, 3) as f64).max(0.0),
        };
        for (k, y) in YEARS.iter().enumerate() {
            let observee = match y {
                2023 => Some(v2023),
                2024 => Some(v2024),
                _ => None,
            };
            rows.push(IndicatorRow {
                fiche,
                indicateur: label,
                type_,
                annee: *y,
                cible: targets[k],
                observee,
            });
        }
    }
    rows
}

/// Writes the workbook.
pub fn write(rows: &[IndicatorRow], out: &mut Output) -> Result<(), Box<dyn Error>> {
    let mut wb = Workbook::new();
    wb.set_properties(&crate::doc_properties(
        "ANEF Cantal",
        "Plan d'action COPIL qualité — service APMN",
    )?);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    let wrap = Format::new().set_text_wrap();

    let ws = wb.add_worksheet();
    ws.set_name("Sous-actions")?;
    for (col, h) in HEADERS_SOUS_ACTIONS.iter().enumerate() {
        ws.write_string_with_format(0, col as u16, *h, &header)?;
    }
    for (col, w) in [14, 50, 70, 7, 11].iter().enumerate() {
        ws.set_column_width(col as u16, *w)?;
    }
    let mut r = 1u32;
    for (fiche, label, years) in SOUS_ACTIONS {
        let f = &FICHES[(fiche - 1) as usize];
        for (y, statut) in years {
            ws.write_string(r, 0, fiche_label(fiche))?;
            ws.write_string_with_format(r, 1, f.objectif, &wrap)?;
            ws.write_string_with_format(r, 2, label, &wrap)?;
            ws.write_number(r, 3, f64::from(*y))?;
            ws.write_string(r, 4, *statut)?;
            r += 1;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    let n_sous = (r - 1) as usize;
    out.count_rh(FILE, Some("Sous-actions"), r as usize, n_sous);

    let ws = wb.add_worksheet();
    ws.set_name("Indicateurs")?;
    for (col, h) in HEADERS_INDICATEURS.iter().enumerate() {
        ws.write_string_with_format(0, col as u16, *h, &header)?;
    }
    for (col, w) in [14, 70, 12, 7, 8, 10].iter().enumerate() {
        ws.set_column_width(col as u16, *w)?;
    }
    let mut r = 1u32;
    for row in rows {
        ws.write_string(r, 0, fiche_label(row.fiche))?;
        ws.write_string_with_format(r, 1, row.indicateur, &wrap)?;
        ws.write_string(r, 2, row.type_)?;
        ws.write_number(r, 3, f64::from(row.annee))?;
        ws.write_number(r, 4, row.cible)?;
        if let Some(v) = row.observee {
            ws.write_number(r, 5, v)?;
        }
        r += 1;
    }
    ws.set_freeze_panes(1, 0)?;
    out.count_rh(FILE, Some("Indicateurs"), r as usize, rows.len());

    let bytes = wb.save_to_buffer()?;
    out.write(FILE, &bytes)?;
    Ok(())
}
