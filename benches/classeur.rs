//! Time and memory of the Excel workbook (`publish::workbook`) on synthetic indicator
//! rows of a network's shape: every catalogue indicator with its usual breakdowns, for
//! each service, organisation, département and the whole network, over 7 years, one
//! figure in three withheld.
//!
//! ```text
//! cargo bench --bench classeur
//! ```
//!
//! Cases: the largest network whose workbook holds every figure (40 services); a
//! national network (1 148 services), whose run workbook keeps the network and the
//! département totals (`workbook::run_rows`); and every figure of 150 services, the
//! per-row cost and memory of a large per-report workbook.

use std::time::Instant;

use observatoire::indicators::{CellStatus, IndicatorRow, catalogue};
use observatoire::publish::workbook::{WorkbookInput, run_rows, workbook_bytes};

/// Categories of an indicator's breakdown (1: no breakdown).
fn categories(id: &str) -> usize {
    match id {
        "mesures_par_type" | "repartition_age" => 7,
        "mesures_par_cadre" | "part_repondants_satisfaits" | "taux_retour_questionnaires" => 3,
        "repartition_sexe" => 2,
        "etp_par_metier" => 20,
        "taux_absenteisme" => 5,
        "salaries_formes_par_theme" | "jours_formation_par_theme" => 8,
        "score_moyen_par_question" => 4,
        _ => 1,
    }
}

/// Rows of a network of `services` services in 100 départements, 3 services per
/// organisation.
fn network(services: usize) -> Vec<IndicatorRow> {
    let defs = catalogue();
    let mut rows = Vec::new();
    let mut n = 0usize;
    let mut push = |service: Option<usize>, org: Option<usize>, dep: Option<usize>| {
        for d in &defs {
            let k = categories(d.id);
            for c in 0..k {
                for year in 2017..=2023 {
                    n += 1;
                    let secret = n.is_multiple_of(3);
                    let v = (n % 997) as f64 / 997.0 + 0.5;
                    rows.push(IndicatorRow {
                        indicateur: d.id.into(),
                        periode: year,
                        niveau_territoire: match (service, dep) {
                            (None, None) => "ensemble".into(),
                            _ => "departement".into(),
                        },
                        code_territoire: dep.map(|d| format!("{:02}", d + 1)),
                        organisation: org.map(|o| format!("Organisation {o}")),
                        service: service.map(|s| format!("SVC-{s:04}")),
                        nom_service: service.map(|s| format!("Service {s}")),
                        ventilation: (k > 1).then(|| "tranche_age".into()),
                        modalite: (k > 1).then(|| format!("{c} ans")),
                        numerateur: (!secret).then_some(v * 100.0),
                        denominateur: (!secret).then_some(100.0),
                        valeur: (!secret).then_some(v),
                        unite: d.unite.into(),
                        evolution_annuelle: (!secret && year > 2017).then_some(0.01),
                        pairs_mediane: service.and((!secret).then_some(v)),
                        statut: if secret {
                            CellStatus::Primary
                        } else {
                            CellStatus::Published
                        },
                        ..Default::default()
                    });
                }
            }
        }
    };
    for s in 0..services {
        push(Some(s), Some(s / 3), Some(s % 100));
    }
    for o in 0..services.div_ceil(3) {
        push(None, Some(o), None);
    }
    for d in 0..100.min(services) {
        push(None, None, Some(d));
    }
    push(None, None, None);
    rows
}

/// Peak resident memory of this process since the last reset, in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn case(label: &str, services: usize, all: bool) {
    let rows = network(services);
    let (kept, scope) = if all {
        (rows.iter().collect(), None)
    } else {
        run_rows(&rows)
    };
    reset_peak();
    let before = peak_mb();
    let start = Instant::now();
    let bytes = workbook_bytes(
        &WorkbookInput {
            title: "Banc d'essai",
            banner: None,
            audience: "Diffusion publique : secret statistique à 11 personnes",
            scope: scope.as_deref(),
            demonstration: true,
            years: 2017..=2023,
            rows: &kept,
            notes: &[],
        },
        "classeur.xlsx",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label:<44} {:>9} lignes du réseau, {:>8} dans le classeur : {:>6.2} s, {:>6.1} Mo écrits, pic mémoire {:>7.0} Mo (avant : {:.0} Mo), {:.1} µs par ligne",
        rows.len(),
        kept.len(),
        secs,
        bytes.len() as f64 / 1e6,
        peak_mb(),
        before,
        secs * 1e6 / kept.len().max(1) as f64
    );
}

fn main() {
    case("40 services (tous les chiffres)", 40, false);
    case("réseau national, 1 148 services (run_rows)", 1148, false);
    case("150 services, tous les chiffres", 150, true);
}
