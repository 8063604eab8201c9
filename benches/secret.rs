//! Disclosure-control benchmark at national scale: a synthetic network of services in
//! 100 départements (child-protection services of every type and DITEP, organisations,
//! internal territories), a year's worth of ~400 000 measures over 3 years, every
//! person-based indicator and breakdown (file active, entries, exits, durations, type of
//! measure, legal frame, age band, sex, cross-sector shares by département, type and age),
//! then primary and secondary suppression and the attacker audit over all of them.
//! Run: `cargo bench --bench secret` (add `-- 100 40000` for départements and measures
//! per département and year). Fixed seed; prints sizes and times.

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

const PE_TYPES: [(&str, &str); 6] = [
    ("AEMO", "AEMO"),
    ("AED", "AED"),
    ("MECS", "Placement en établissement"),
    ("Placement familial", "Placement familial"),
    ("Foyer de l'enfance", "Accueil d'urgence"),
    ("APMN", "MJAGBF"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let departments = args.first().copied().unwrap_or(100);
    let per_department = args.get(1).copied().unwrap_or(4_000);
    let years = 2021..=2023;
    let mut rng = Rng(1);

    // Services: per département, one of each child-protection type and two DITEP, in
    // three organisations and two internal territories.
    let (mut sid, mut sorg, mut sdep, mut stype, mut ssect, mut sterr, mut syear) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut pe_services: Vec<Vec<(String, &str)>> = Vec::new();
    let mut ditep_services: Vec<Vec<String>> = Vec::new();
    for d in 0..departments {
        let dep = format!("{:02}", d + 1);
        let mut pe = Vec::new();
        let mut ditep = Vec::new();
        for (k, (typ, measure)) in PE_TYPES.iter().enumerate() {
            let id = format!("{dep}-PE{k}");
            sid.push(id.clone());
            sorg.push(format!("{dep}-ORG{}", k % 3));
            sdep.push(dep.clone());
            stype.push(typ.to_string());
            ssect.push("protection de l'enfance".to_string());
            sterr.push(format!("secteur {}", k % 2));
            syear.push(2023);
            pe.push((id, *measure));
        }
        for k in 0..2 {
            let id = format!("{dep}-DITEP{k}");
            sid.push(id.clone());
            sorg.push(format!("{dep}-ORG{k}"));
            sdep.push(dep.clone());
            stype.push("DITEP".to_string());
            ssect.push("médico-social".to_string());
            sterr.push(format!("secteur {k}"));
            syear.push(2023);
            ditep.push(id);
        }
        pe_services.push(pe);
        ditep_services.push(ditep);
    }
    let services = df![
        "service" => sid,
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
    println!(
        "Réseau synthétique : {departments} départements, {} services, {} accompagnements",
        services.height(),
        persons.height()
    );

    let empty = DataFrame::empty();
    let t = Instant::now();
    let mut results = indicators::compute_all(&Inputs {
        services: &services,
        persons: &persons,
        activity: &empty,
        reference: &empty,
        staff: &empty,
        training: &empty,
        satisfaction: &empty,
        action_plan: &empty,
        years: years.clone(),
        age_bands: &[0, 3, 6, 11, 16, 18, 21],
    })?;
    println!(
        "Indicateurs : {} chiffres calculés en {:.1} s",
        results.rows.len(),
        t.elapsed().as_secs_f64()
    );

    let dir = Directory::from_services(&services)?;
    let settings = Settings::default();
    let t = Instant::now();
    let built = disclosure::cells::build(&results.rows, &dir, &settings);
    let primaries = built.system.cells.iter().filter(|c| c.primary).count();
    println!(
        "Système : {} cases, {} relations, {} en secret primaire (construit en {:.2} s)",
        built.system.cells.len(),
        built.system.relations.len(),
        primaries,
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
    let report = disclosure::protect(&mut results.rows, &dir, &settings)?;
    let total = t.elapsed().as_secs_f64();
    let f = &report.ensemble;
    println!(
        "Secret statistique complet (primaire, secondaire, réparation des intervalles, audit de rang et par programmation linéaire) : {total:.1} s"
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
    Ok(())
}
