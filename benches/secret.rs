//! Disclosure-control and publishing benchmark at national scale: a synthetic network
//! shaped like the national run (100 départements, 1 100 services — nine
//! child-protection services of every type and two DITEP per département — in
//! organisations spanning two départements, internal territories; capacities, so the
//! activity family is computed too), ~500 000 measures over 5 years, their staff (jobs,
//! ETP, absences by motif, entries and exits), training by theme and satisfaction
//! questionnaires; every indicator and breakdown for 4 years (activity and occupancy,
//! file active, entries, exits, durations, type of measure, legal frame, age band, sex,
//! cross-sector shares by département, type and age; ETP by job, absenteeism by motif,
//! headcount, turnover; trained staff and days by theme; questionnaires by respondent,
//! scores by question), then primary and secondary suppression and the attacker audit
//! over all of them, then publishing (Parquet, chart, HTML report pages, manifest).
//! Run: `cargo bench --bench secret` (add `-- 100 4000` for départements and measures
//! per département and year). Fixed seed; prints sizes, wall and CPU times. With
//! `--indicateurs`, stops after the indicators stage (its time alone:
//! `cargo bench --bench secret -- --indicateurs`).

use std::time::Instant;

use observatoire::disclosure::{self, Settings};
use observatoire::indicators::{self, CellStatus, Directory, Inputs};
use polars::prelude::*;

/// Small deterministic generator (SplitMix64), so the bench needs no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const PE_TYPES: [(&str, &str); 9] = [
    ("AEMO", "AEMO"),
    ("AED", "AED"),
    ("MECS", "Placement en établissement"),
    ("Placement familial", "Placement familial"),
    ("Foyer de l'enfance", "Accueil d'urgence"),
    ("APMN", "MJAGBF"),
    ("AEMO", "AEMO"),
    ("MECS", "Placement en établissement"),
    ("Placement familial", "Placement familial"),
];

/// Columns of one synthetic table, filled row by row.
#[derive(Default)]
struct Columns {
    text: Vec<String>,
    service: Vec<String>,
    year: Vec<i32>,
    label: Vec<String>,
    days: Vec<i32>,
    numbers: Vec<f64>,
    more: Vec<Option<f64>>,
    flags: Vec<bool>,
}

const JOBS: [&str; 6] = [
    "Éducateur spécialisé",
    "Moniteur-éducateur",
    "Assistant de service social",
    "Psychologue",
    "Chef de service",
    "Secrétaire",
];
const THEMES: [&str; 4] = [
    "ESOPPE",
    "Bientraitance",
    "Sécurité incendie",
    "Écrits professionnels",
];

/// Staff (one line per employee and year, 8 to 40 per service), training requests and
/// satisfaction questionnaires (30 to 120 per service and year).
fn staff_tables(
    services: &DataFrame,
    rng: &mut Rng,
) -> Result<(DataFrame, DataFrame, DataFrame), PolarsError> {
    let ids: Vec<String> = services
        .column("service")?
        .str()?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let day = |y: i32, doy: u64| indicators::activity::day_number(y, 1, 1) + doy as i32;
    let mut st = Columns::default();
    let mut dates: (Vec<i32>, Vec<Option<i32>>, Vec<String>) = Default::default();
    let mut abs: [Vec<f64>; 4] = Default::default();
    let mut tr = Columns::default();
    let mut sat = Columns::default();
    let mut questions: [Vec<Option<f64>>; 5] = Default::default();
    for s in &ids {
        let team = 8 + rng.below(33) as usize;
        for k in 0..team {
            let who = format!("{s}-S{k}");
            let job = JOBS[rng.below(JOBS.len() as u64) as usize];
            let entry = day(2010 + rng.below(14) as i32, rng.below(365));
            let exit = (rng.below(6) == 0).then(|| day(2021 + rng.below(3) as i32, rng.below(365)));
            for y in 2020..=2023 {
                if entry > day(y, 364) || exit.is_some_and(|e| e < day(y, 0)) {
                    continue;
                }
                st.text.push(who.clone());
                st.service.push(s.clone());
                st.year.push(y);
                st.label.push(job.to_string());
                st.numbers.push([1.0, 0.8, 0.5][rng.below(3) as usize]);
                dates.0.push(entry);
                dates.1.push(exit);
                dates.2.push("CDI".to_string());
                for a in abs.iter_mut() {
                    a.push(if rng.below(4) == 0 {
                        rng.below(40) as f64
                    } else {
                        0.0
                    });
                }
                if rng.below(3) == 0 {
                    tr.text.push(who.clone());
                    tr.service.push(s.clone());
                    tr.year.push(y);
                    tr.label
                        .push(THEMES[rng.below(THEMES.len() as u64) as usize].to_string());
                    tr.days.push(day(y, rng.below(365)));
                    let asked = 1.0 + rng.below(4) as f64;
                    tr.numbers.push(asked);
                    tr.more
                        .push(Some(if rng.below(5) == 0 { 0.0 } else { asked }));
                    tr.flags.push(rng.below(4) == 0);
                }
            }
        }
        for y in 2021..=2023 {
            for _ in 0..30 + rng.below(91) {
                let back = rng.below(3) > 0;
                sat.service.push(s.clone());
                sat.year.push(y);
                sat.label
                    .push(["famille", "jeune", "partenaire"][rng.below(3) as usize].to_string());
                sat.flags.push(back);
                sat.more.push(back.then(|| 1.0 + rng.below(4) as f64));
                for q in questions.iter_mut() {
                    q.push(back.then(|| 1.0 + rng.below(4) as f64));
                }
            }
        }
    }
    let [a0, a1, a2, a3] = abs;
    let staff = df![
        "salarie_pseudonyme" => st.text,
        "service" => st.service,
        "annee" => st.year,
        "metier" => st.label,
        "etp" => st.numbers,
        "date_entree" => dates.0,
        "date_sortie" => dates.1,
        "type_contrat" => dates.2,
        "absence_maladie" => a0,
        "absence_accident_travail" => a1,
        "absence_maternite" => a2,
        "absence_autres" => a3,
    ]?;
    let training = df![
        "salarie_pseudonyme" => tr.text,
        "service" => tr.service,
        "annee" => tr.year,
        "theme" => tr.label,
        "date" => tr.days,
        "jours_demandes" => tr.numbers,
        "jours_realises" => tr.more,
        "inter_associatif" => tr.flags,
    ]?;
    let [q1, q2, q3, q4, q5] = questions;
    let satisfaction = df![
        "service" => sat.service,
        "annee" => sat.year,
        "type_repondant" => sat.label,
        "retourne" => sat.flags,
        "satisfaction_globale" => sat.more,
        "question_1" => q1,
        "question_2" => q2,
        "question_3" => q3,
        "question_4" => q4,
        "question_5" => q5,
    ]?;
    Ok((staff, training, satisfaction))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let departments = args.first().copied().unwrap_or(100);
    let per_department = args.get(1).copied().unwrap_or(4_000);
    let years = 2020..=2023;
    let mut rng = Rng(1);

    // Services: per département, nine child-protection services and two DITEP (1 100
    // services for 100 départements), in organisations that each span two départements,
    // and two internal territories; measure services count measures, the others places.
    let (mut sid, mut sorg, mut sdep, mut stype, mut ssect, mut sterr, mut syear) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut sname, mut scap, mut sunit) = (vec![], vec![], vec![]);
    let mut pe_services: Vec<Vec<(String, &str)>> = Vec::new();
    let mut ditep_services: Vec<Vec<String>> = Vec::new();
    for d in 0..departments {
        let dep = format!("{:02}", d + 1);
        let mut pe = Vec::new();
        let mut ditep = Vec::new();
        let mut push = |id: &str, k: usize, typ: &str, sector: &str, year: i32| {
            sid.push(id.to_string());
            sname.push(format!("{typ} {id}"));
            sorg.push(format!("ORG{:02}-{}", d / 2, k % 3));
            sdep.push(dep.clone());
            stype.push(typ.to_string());
            ssect.push(sector.to_string());
            sterr.push(format!("secteur {}", k % 2));
            syear.push(year);
            let measures = typ.starts_with("AE");
            scap.push(if measures { 120.0 } else { 30.0 });
            sunit.push(if measures { "mesures" } else { "places" }.to_string());
        };
        for (k, (typ, measure)) in PE_TYPES.iter().enumerate() {
            let id = format!("{dep}-PE{k}");
            for y in 2020..=2023 {
                push(&id, k, typ, "protection de l'enfance", y);
            }
            pe.push((id, *measure));
        }
        for k in 0..2 {
            let id = format!("{dep}-DITEP{k}");
            for y in 2020..=2023 {
                push(&id, k, "DITEP", "médico-social", y);
            }
            ditep.push(id);
        }
        pe_services.push(pe);
        ditep_services.push(ditep);
    }
    let services = df![
        "service" => sid,
        "nom_service" => sname,
        "capacite" => scap,
        "unite_capacite" => sunit,
        "organisation" => sorg,
        "departement" => sdep,
        "type_service" => stype,
        "secteur" => ssect,
        "territoire" => sterr,
        "annee" => syear,
    ]?;

    // Accompaniments: each child-protection measure lasts 3 months to 4 years; about a
    // third of the children of a DITEP also have a measure (same person id).
    let day = |y: i32, doy: u64| indicators::activity::day_number(y, 1, 1) + doy as i32;
    let (mut person, mut service, mut start, mut end, mut typ, mut frame, mut sex, mut birth) = (
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    );
    let mut n = 0usize;
    for d in 0..departments {
        // Départements differ in size (a factor of ten between the smallest and largest).
        let size = per_department * (1 + d % 10) / 5;
        for _ in 0..size {
            n += 1;
            let p = format!("P{n}");
            let (s, measure) = &pe_services[d][rng.below(PE_TYPES.len() as u64) as usize];
            let y = 2019 + rng.below(5) as i32;
            let st = day(y, rng.below(365));
            let len = 90 + rng.below(1400) as i32;
            let by = 2005 + rng.below(18) as i32;
            let sx = if rng.below(2) == 0 { "F" } else { "M" };
            person.push(p.clone());
            service.push(s.clone());
            start.push(st);
            end.push(Some(st + len).filter(|e| *e < day(2024, 0)));
            typ.push(measure.to_string());
            frame.push(
                if rng.below(10) < 8 {
                    "judiciaire"
                } else {
                    "administratif"
                }
                .to_string(),
            );
            sex.push(sx.to_string());
            birth.push(by);
            if rng.below(100) < 6 {
                // Also followed by a DITEP of the département.
                let s = &ditep_services[d][rng.below(2) as usize];
                let st = day(2020 + rng.below(4) as i32, rng.below(365));
                person.push(p);
                service.push(s.clone());
                start.push(st);
                end.push(None);
                typ.push("DITEP".to_string());
                frame.push("administratif".to_string());
                sex.push(sx.to_string());
                birth.push(by);
            }
        }
    }
    let persons = df![
        "personne" => person,
        "service" => service,
        "date_debut" => start,
        "date_fin" => end,
        "type_mesure" => typ,
        "cadre" => frame,
        "sexe" => sex,
        "annee_naissance" => birth,
    ]?;
    let (staff, training, satisfaction) = staff_tables(&services, &mut rng)?;
    println!(
        "Réseau synthétique : {departments} départements, {} services, {} accompagnements, {} lignes de personnel, {} de formation, {} questionnaires",
        services.height() / 4,
        persons.height(),
        staff.height(),
        training.height(),
        satisfaction.height()
    );

    let empty = DataFrame::empty();
    let t = Instant::now();
    let mut results = indicators::compute_all(&Inputs {
        services: &services,
        persons: &persons,
        activity: &empty,
        reference: &empty,
        staff: &staff,
        training: &training,
        satisfaction: &satisfaction,
        action_plan: &empty,
        years: years.clone(),
        age_bands: &[0, 3, 6, 11, 16, 18, 21],
    })?;
    println!(
        "Indicateurs : {} chiffres calculés en {:.1} s",
        results.rows.len(),
        t.elapsed().as_secs_f64()
    );

    if std::env::args().any(|a| a == "--indicateurs") {
        return Ok(());
    }
    let dir = Directory::from_services(&services)?;
    let settings = Settings::default();
    let t = Instant::now();
    let built = disclosure::cells::build(&results.rows, &dir, &settings);
    let primaries = built.system.cells.iter().filter(|c| c.primary).count();
    println!(
        "Système : {} cases, {} relations, {} en secret primaire, {} valeurs en conflit (construit en {:.2} s)",
        built.system.cells.len(),
        built.system.relations.len(),
        primaries,
        built.conflicts,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let order = built.system.candidate_order();
    let secondary = disclosure::gauss::secondary(
        &built.system,
        &order,
        &built
            .system
            .cells
            .iter()
            .map(|c| c.primary)
            .collect::<Vec<_>>(),
    )
    .map_err(|_| "dépassement")?;
    println!(
        "Élimination de Gauss seule : {} secrets secondaires en {:.2} s",
        secondary.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let cpu = cpu_seconds();
    let report = disclosure::protect(&mut results.rows, &dir, &settings)?;
    let total = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    let f = &report.ensemble;
    println!(
        "Secret statistique complet (primaire, secondaire, réparation des intervalles, audit de rang et par programmation linéaire) : {total:.1} s ({cpu:.1} s de temps processeur)"
    );
    println!(
        "Chiffres : {} diffusés, {} secret primaire, {} secret secondaire (rapport secondaire/primaire {:.2})",
        f.cases_publiees,
        f.secret_primaire,
        f.secret_secondaire,
        f.ratio_secondaire_primaire.unwrap_or(0.0)
    );
    let hidden = results
        .rows
        .iter()
        .filter(|r| r.statut != CellStatus::Published)
        .count();
    assert_eq!(hidden, f.secret_primaire + f.secret_secondaire);
    indicators::derive::refresh(&mut results.rows, &services, *years.start())?;
    publish(&results, years, &report)
}

/// CPU time of the process so far (user + system, every thread), in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0.0;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Publishing the national set as a run does (Parquet table, chart in SVG and PNG, HTML
/// report pages, manifest of every output with its SHA-256), in memory; the report
/// pages are also written under `target/bench-secret-rapport/` to be looked at.
fn publish(
    results: &indicators::Results,
    years: std::ops::RangeInclusive<i32>,
    secrecy: &disclosure::Report,
) -> Result<(), Box<dyn std::error::Error>> {
    use observatoire::publish::manifest::OutputFile;
    use observatoire::publish::{chart, parquet, paths, report};
    let t = Instant::now();
    let cpu = cpu_seconds();
    let df = results.to_dataframe()?;
    let table = parquet::to_parquet(&df, &[])?;
    let parquet_s = t.elapsed().as_secs_f64();
    let rendered = chart::render(&chart::rates::rate_chart(results, None))?;
    let chart_s = t.elapsed().as_secs_f64() - parquet_s;
    let validation = observatoire::validation::ValidationReport::default();
    let pages = report::render_report(&report::ReportInput {
        title: "Rapport d'activité — réseau national synthétique",
        pipeline: "national",
        years,
        demonstration: false,
        chart_svg: Some(&rendered.svg),
        results,
        validation: &validation,
        linkage: &serde_json::Value::Null,
        secrecy,
        banner: None,
        action_plan: None,
    })?;
    let report_s = t.elapsed().as_secs_f64() - parquet_s - chart_s;
    let mut outputs = vec![
        OutputFile::of(paths::INDICATORS, &table),
        OutputFile::of(paths::CHART_SVG, rendered.svg.as_bytes()),
        OutputFile::of(paths::CHART_PNG, &rendered.png),
    ];
    outputs.extend(
        pages
            .iter()
            .map(|p| OutputFile::of(&p.path, p.html.as_bytes())),
    );
    let manifest = serde_json::to_vec_pretty(&serde_json::json!({
        "secret_statistique": secrecy,
        "sorties": outputs,
    }))?;
    let elapsed = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    let total: usize = pages.iter().map(|p| p.html.len()).sum();
    let largest = pages.iter().map(|p| p.html.len()).max().unwrap_or(0);
    println!(
        "Publication : {elapsed:.2} s ({cpu:.1} s de temps processeur) — Parquet {parquet_s:.2} s, graphique SVG et PNG {chart_s:.2} s, rapport HTML {report_s:.2} s, manifeste {:.2} s",
        elapsed - parquet_s - chart_s - report_s
    );
    println!(
        "Rapport : page principale {} Ko, {} pages par département (la plus grande {} Ko), {} Ko en tout ; Parquet {} Ko ; graphique SVG {} Ko, PNG {} Ko ; manifeste {} Ko",
        pages[0].html.len() / 1024,
        pages.len() - 1,
        largest / 1024,
        total / 1024,
        table.len() / 1024,
        rendered.svg.len() / 1024,
        rendered.png.len() / 1024,
        manifest.len() / 1024,
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-secret-rapport");
    for p in &pages {
        let path = dir.join(&p.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, &p.html)?;
    }
    Ok(())
}
