//! Shared by the linkage test and the linkage benchmark: turns the generator's French
//! test population into canonical `accompagnements`, pseudonymises both files with the
//! collective's key, re-keys them at the observatory, links them and measures the result
//! against the truth.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use observatoire::link::{self, quality::Quality};
use observatoire::pseudonymise::{self, keys::SecretKey};
use observatoire_exemple::population::{TestPopulation, TestRecord};
use polars::prelude::*;

fn days(d: chrono::NaiveDate) -> i32 {
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}

/// One canonical accompaniment per record, in a service per département.
pub fn accompaniments(records: &[TestRecord], prefix: &str) -> DataFrame {
    let n = records.len();
    let s = |f: &dyn Fn(&TestRecord) -> Option<String>| -> Vec<Option<String>> {
        records.iter().map(f).collect()
    };
    let dates = |v: Vec<Option<i32>>, name: &str| -> Column {
        Series::new(name.into(), v)
            .cast(&DataType::Date)
            .map(Column::from)
            .unwrap_or_else(|_| Column::full_null(name.into(), n, &DataType::Date))
    };
    let cols = vec![
        Column::new("source".into(), vec![prefix.to_string(); n]),
        Column::new(
            "service".into(),
            s(&|r| Some(format!("{prefix}-{}", r.departement))),
        ),
        Column::new("nom".into(), s(&|r| Some(r.identity.nom.clone()))),
        Column::new("prenom".into(), s(&|r| Some(r.identity.prenom.clone()))),
        dates(
            records
                .iter()
                .map(|r| Some(days(r.identity.date_naissance)))
                .collect(),
            "date_naissance",
        ),
        Column::new("sexe".into(), s(&|r| Some(r.identity.sexe.to_string()))),
        Column::new("nom_mere".into(), s(&|r| r.identity.nom_mere.clone())),
        Column::new("numero_dossier".into(), vec![None::<String>; n]),
        Column::new("type_mesure".into(), vec![Some(prefix.to_string()); n]),
        dates(
            vec![
                Some(days(
                    chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default()
                ));
                n
            ],
            "date_debut",
        ),
        dates(vec![None; n], "date_fin"),
        Column::new("motif_sortie".into(), vec![None::<String>; n]),
        Column::new(
            "departement_residence".into(),
            s(&|r| Some(r.departement.clone())),
        ),
    ];
    DataFrame::new(n, cols).unwrap_or_default()
}

/// Result of one linkage run on a test population.
pub struct Measured {
    pub quality: Quality,
    pub report: link::Report,
    pub pseudonymise_time: Duration,
    pub link_time: Duration,
    /// Cross-file links joining two different children born the same day with the same
    /// surname (the generator's twins, or siblings sharing a birth date).
    pub twins_merged: usize,
}

/// Both files pseudonymised with the collective's key, stacked and re-keyed at the
/// observatory: what linkage reads.
pub struct Prepared {
    pub extract: DataFrame,
    pub pseudonymise_time: Duration,
}

pub fn prepare(pop: &TestPopulation) -> Prepared {
    let key = SecretKey::from_bytes([11; 32]);
    let observatory = SecretKey::from_bytes([12; 32]);
    let settings = pseudonymise::Settings::new(2023);
    let t0 = Instant::now();
    let (a, _) =
        pseudonymise::pseudonymise(&accompaniments(&pop.protection, "PE"), &key, &settings)
            .unwrap();
    let (b, _) =
        pseudonymise::pseudonymise(&accompaniments(&pop.ditep, "DITEP"), &key, &settings).unwrap();
    let all = observatoire::ingest::stack(vec![a, b]).unwrap();
    let extract = pseudonymise::rekey(all, &observatory).unwrap();
    Prepared {
        extract,
        pseudonymise_time: t0.elapsed(),
    }
}

pub fn measure(pop: &TestPopulation, fuzzy: bool, threshold: f64) -> Measured {
    measure_prepared(pop, &prepare(pop), fuzzy, threshold)
}

pub fn measure_prepared(
    pop: &TestPopulation,
    prepared: &Prepared,
    fuzzy: bool,
    threshold: f64,
) -> Measured {
    let t1 = Instant::now();
    let (linked, report) = link::link(
        &prepared.extract,
        &link::Settings {
            fuzzy,
            threshold,
            ..link::Settings::default()
        },
    )
    .unwrap();
    let link_time = t1.elapsed();
    let persons: Vec<String> = linked
        .column("personne")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap_or("").to_string())
        .collect();
    let na = pop.protection.len();
    let a: Vec<(u64, String)> = pop
        .protection
        .iter()
        .zip(&persons[..na])
        .map(|(r, p)| (r.truth_id, p.clone()))
        .collect();
    let b: Vec<(u64, String)> = pop
        .ditep
        .iter()
        .zip(&persons[na..])
        .map(|(r, p)| (r.truth_id, p.clone()))
        .collect();
    let mut in_a: HashMap<&str, Vec<&TestRecord>> = HashMap::new();
    for (r, p) in pop.protection.iter().zip(&persons[..na]) {
        in_a.entry(p.as_str()).or_default().push(r);
    }
    let twins_merged = pop
        .ditep
        .iter()
        .zip(&persons[na..])
        .flat_map(|(r, p)| {
            in_a.get(p.as_str()).into_iter().flatten().filter(move |x| {
                x.truth_id != r.truth_id
                    && x.identity.date_naissance == r.identity.date_naissance
                    && x.identity.nom == r.identity.nom
            })
        })
        .count();
    Measured {
        quality: link::quality::evaluate(&a, &b),
        report,
        pseudonymise_time: prepared.pseudonymise_time,
        link_time,
        twins_merged,
    }
}
