//! Human resources (ANAP *tableau de bord*, axis 2), per year and perimeter: ETP in
//! total, by job and of social workers; measures per social-worker ETP; absenteeism
//! (total and by motif); staff present at 31/12; turnover.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};

use super::activity::{days_in_year, year_length};
use super::cols;
use super::persons::Perimeter;
use super::{Directory, IndicatorDef, IndicatorRow, Inputs, Measure, Results, Secret, ratio};
use crate::error::Error;
use crate::ingest::values::fold;
use crate::pseudonymise::STAFF_PSEUDONYM;
use crate::tables::columns as col;

pub const ETP_TOTAL: &str = "etp_total";
pub const ETP_BY_JOB: &str = "etp_par_metier";
pub const ETP_SOCIAL_WORKERS: &str = "etp_travailleurs_sociaux";
pub const MEASURES_PER_SW: &str = "mesures_par_etp_travailleur_social";
pub const ABSENTEEISM: &str = "taux_absenteisme";
pub const HEADCOUNT: &str = "effectif_31_12";
pub const TURNOVER: &str = "taux_rotation";

const ANAP: &str = "ANAP, tableau de bord de la performance (Hélios)";

pub const DEFINITIONS: [IndicatorDef; 7] = [
    IndicatorDef {
        id: ETP_TOTAL,
        libelle: "ETP",
        definition: "Somme des équivalents temps plein moyens de l'année des salariés du périmètre.",
        numerateur: "somme des ETP",
        denominateur: "—",
        unite: "ETP",
        tables_sources: "personnel",
        origine: ANAP,
        secret: Secret::count(Measure::amount("etp")),
    },
    IndicatorDef {
        id: ETP_BY_JOB,
        libelle: "ETP par métier",
        definition: "Somme des ETP de l'année, par métier ou fonction.",
        numerateur: "somme des ETP du métier",
        denominateur: "—",
        unite: "ETP",
        tables_sources: "personnel",
        origine: ANAP,
        secret: Secret::count(Measure::amount("etp")),
    },
    IndicatorDef {
        id: ETP_SOCIAL_WORKERS,
        libelle: "ETP de travailleurs sociaux",
        definition: "ETP des éducateurs spécialisés, moniteurs-éducateurs, assistants de service social, éducateurs de jeunes enfants, CESF et TISF.",
        numerateur: "somme des ETP des travailleurs sociaux",
        denominateur: "—",
        unite: "ETP",
        tables_sources: "personnel",
        origine: "Projet de service APMN (« 73 mesures exercées par 9 travailleurs sociaux »)",
        secret: Secret::count(Measure::amount("etp_travailleurs_sociaux")),
    },
    IndicatorDef {
        id: MEASURES_PER_SW,
        libelle: "Mesures par ETP de travailleur social",
        definition: "Nombre moyen de mesures exercées chaque jour de l'année rapporté aux ETP de travailleurs sociaux du périmètre.",
        numerateur: "mesures exercées en moyenne chaque jour (mesures-jours / jours de l'année)",
        denominateur: "ETP de travailleurs sociaux",
        unite: "mesures par ETP",
        tables_sources: "accompagnements, personnel",
        origine: "Projet de service APMN ; CNAEMO",
        secret: Secret::rate(Measure::FREE, Measure::amount("etp_travailleurs_sociaux")),
    },
    IndicatorDef {
        id: ABSENTEEISM,
        libelle: "Taux d'absentéisme",
        definition: "Jours calendaires d'absence (hors congés payés et formation) rapportés aux ETP × 365 ; aussi par motif (maladie, accident du travail, maternité/paternité, autres).",
        numerateur: "jours calendaires d'absence de l'année",
        denominateur: "ETP réels × 365",
        unite: "%",
        tables_sources: "personnel",
        origine: ANAP,
        secret: Secret::rate(
            Measure::amount("jours_absence"),
            Measure::amount("etp").total().scaled(365.0),
        ),
    },
    IndicatorDef {
        id: HEADCOUNT,
        libelle: "Effectif au 31 décembre",
        definition: "Salariés distincts présents le 31/12 (entrés au plus tard ce jour, sans date de sortie antérieure).",
        numerateur: "salariés présents au 31/12",
        denominateur: "—",
        unite: "salariés",
        tables_sources: "personnel",
        origine: ANAP,
        secret: Secret::count(Measure::persons("salaries_presents_31_12")),
    },
    IndicatorDef {
        id: TURNOVER,
        libelle: "Taux de rotation du personnel",
        definition: "(Entrées de l'année + sorties de l'année) / 2, rapportées à l'effectif au 31/12 de l'année précédente ; salariés en CDI quand le type de contrat est connu.",
        numerateur: "(entrées + sorties) / 2",
        denominateur: "effectif au 31/12 de l'année précédente",
        unite: "%",
        tables_sources: "personnel",
        origine: ANAP,
        secret: Secret::rate(
            Measure::persons("mouvements_personnel").scaled(0.5),
            Measure::persons("salaries_presents_31_12").previous_year(),
        ),
    },
];

/// An employee is present on 31/12 of `year` when they entered on or before that day
/// and did not leave before it (the one rule for headcounts and training shares).
pub fn present_at_year_end(entry: Option<NaiveDate>, exit: Option<NaiveDate>, year: i32) -> bool {
    let dec31 = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    entry.is_none_or(|d| d <= dec31) && exit.is_none_or(|d| d >= dec31)
}

/// Jobs counted as social work.
pub fn is_social_worker(job: &str) -> bool {
    let j = fold(job);
    [
        "EDUCAT",
        "MONITEUR",
        "MONITRICE",
        "ASSISTANT DE SERVICE SOCIAL",
        "ASSISTANTE DE SERVICE SOCIAL",
        "ASSISTANT SOCIAL",
        "ASSISTANTE SOCIALE",
        "CESF",
        "CONSEILLER EN ECONOMIE",
        "CONSEILLERE EN ECONOMIE",
        "TISF",
        "TECHNICIEN DE L'INTERVENTION",
        "TECHNICIENNE DE L'INTERVENTION",
    ]
    .iter()
    .any(|p| j.starts_with(p))
        && !j.contains("SPORTIF")
}

const MOTIFS: [(&str, &str); 4] = [
    ("absence_maladie", "maladie"),
    ("absence_accident_travail", "accident du travail"),
    ("absence_maternite", "maternité ou paternité"),
    ("absence_autres", "autres motifs"),
];

#[derive(Default)]
struct Acc {
    etp: f64,
    etp_sw: f64,
    by_job: BTreeMap<String, f64>,
    absence: BTreeMap<&'static str, f64>,
    present: BTreeSet<String>,
    entries: BTreeSet<String>,
    exits: BTreeSet<String>,
    any_contract: bool,
    measure_days: f64,
    /// Distinct employees behind each amount (for the frequency rule).
    staff: BTreeSet<String>,
    staff_by_job: BTreeMap<String, BTreeSet<String>>,
    social_workers: BTreeSet<String>,
    absent: BTreeMap<&'static str, BTreeSet<String>>,
    absent_any: BTreeSet<String>,
}

pub fn compute(inputs: &Inputs, _settings: &super::Settings) -> Result<Results, Error> {
    let df = inputs.staff;
    let mut out = Results::default();
    if df.height() == 0 {
        return Ok(out);
    }
    let dir = Directory::from_services(inputs.services)?;
    let person = cols::text(df, STAFF_PSEUDONYM)?;
    let service = cols::text(df, col::SERVICE)?;
    let year = cols::int(df, col::YEAR)?;
    let job = cols::text(df, "metier")?;
    let etp = cols::num(df, "etp")?;
    let entry = cols::date(df, "date_entree")?;
    let exit = cols::date(df, "date_sortie")?;
    let contract = cols::text(df, "type_contrat")?;
    let absences: Vec<Vec<Option<f64>>> = MOTIFS
        .iter()
        .map(|(c, _)| cols::num(df, c))
        .collect::<Result<_, _>>()?;
    // Measures exercised per service and year (for measures per social-worker ETP).
    let mut measure_days: BTreeMap<(String, i32), f64> = BTreeMap::new();
    if inputs.persons.height() > 0 {
        let s = cols::text(inputs.persons, col::SERVICE)?;
        let st = cols::int(inputs.persons, col::START)?;
        let en = cols::int(inputs.persons, col::END)?;
        for y in inputs.years.clone() {
            for i in 0..inputs.persons.height() {
                if let (Some(s), Some(st)) = (&s[i], st[i]) {
                    *measure_days.entry((s.clone(), y)).or_default() +=
                        days_in_year(st, en[i], y) as f64;
                }
            }
        }
    }
    let years: Vec<i32> = (inputs.years.start() - 1..=*inputs.years.end()).collect();
    let mut acc: BTreeMap<(i32, Perimeter), Acc> = BTreeMap::new();
    let mut staffed_services: BTreeSet<(i32, String)> = BTreeSet::new();
    for i in 0..df.height() {
        let (Some(s), Some(y)) = (&service[i], year[i]) else {
            continue;
        };
        if !years.contains(&y) {
            continue;
        }
        let cdi = contract[i].as_deref().map(|c| fold(c).starts_with("CDI"));
        // An employee without pseudonym still counts once, by their line.
        let who = person[i].clone().unwrap_or_else(|| format!("ligne {i}"));
        for per in Perimeter::of_service(&dir, s) {
            let a = acc.entry((y, per)).or_default();
            let e = etp[i].unwrap_or(0.0);
            a.etp += e;
            a.staff.insert(who.clone());
            if let Some(j) = &job[i] {
                *a.by_job.entry(j.clone()).or_default() += e;
                a.staff_by_job
                    .entry(j.clone())
                    .or_default()
                    .insert(who.clone());
                if is_social_worker(j) {
                    a.etp_sw += e;
                    a.social_workers.insert(who.clone());
                }
            }
            for (k, (_, motif)) in MOTIFS.iter().enumerate() {
                let days = absences[k][i].unwrap_or(0.0);
                *a.absence.entry(motif).or_default() += days;
                if days > 0.0 {
                    a.absent.entry(motif).or_default().insert(who.clone());
                    a.absent_any.insert(who.clone());
                }
            }
            if let Some(p) = &person[i] {
                if present_at_year_end(entry[i], exit[i], y) {
                    a.present.insert(p.clone());
                }
                a.any_contract |= cdi.is_some();
                if cdi != Some(false) {
                    if entry[i].is_some_and(|d| d.year() == y) {
                        a.entries.insert(p.clone());
                    }
                    if exit[i].is_some_and(|d| d.year() == y) {
                        a.exits.insert(p.clone());
                    }
                }
            }
        }
        staffed_services.insert((y, s.clone()));
    }
    // Measures of the services whose staff is known, added to their perimeters.
    for (y, s) in &staffed_services {
        if let Some(md) = measure_days.get(&(s.clone(), *y)) {
            for per in Perimeter::of_service(&dir, s) {
                if let Some(a) = acc.get_mut(&(*y, per)) {
                    a.measure_days += md;
                }
            }
        }
    }
    for ((y, per), a) in &acc {
        if !inputs.years.contains(y) {
            continue;
        }
        let row = |id: &str, unit: &str| {
            let mut r = per.row(&dir, id, *y);
            r.unite = unit.to_string();
            r
        };
        let value = |mut r: IndicatorRow, n: f64| {
            r.numerateur = Some(n);
            r.valeur = Some(n);
            r
        };
        let persons = |set: Option<&BTreeSet<String>>| Some(set.map_or(0, |s| s.len()) as f64);
        let mut r = value(row(ETP_TOTAL, "ETP"), a.etp);
        r.effectif_numerateur = persons(Some(&a.staff));
        out.rows.push(r);
        let mut r = value(row(ETP_SOCIAL_WORKERS, "ETP"), a.etp_sw);
        r.effectif_numerateur = persons(Some(&a.social_workers));
        out.rows.push(r);
        for (j, e) in &a.by_job {
            let mut r = value(row(ETP_BY_JOB, "ETP"), *e);
            r.effectif_numerateur = persons(a.staff_by_job.get(j));
            r.ventilation = Some("metier".into());
            r.modalite = Some(j.clone());
            out.rows.push(r);
        }
        if a.measure_days > 0.0 {
            let mut r = row(MEASURES_PER_SW, "mesures par ETP");
            r.numerateur = Some(a.measure_days / year_length(*y));
            r.denominateur = Some(a.etp_sw);
            r.effectif_denominateur = persons(Some(&a.social_workers));
            r.valeur = ratio(r.numerateur, r.denominateur);
            out.rows.push(r);
        }
        let den = Some(a.etp * 365.0);
        let total: f64 = a.absence.values().sum();
        let mut r = row(ABSENTEEISM, "%");
        r.numerateur = Some(total);
        r.denominateur = den;
        r.effectif_numerateur = persons(Some(&a.absent_any));
        r.effectif_denominateur = persons(Some(&a.staff));
        r.valeur = ratio(r.numerateur, den);
        out.rows.push(r);
        for (motif, days) in &a.absence {
            let mut r = row(ABSENTEEISM, "%");
            r.ventilation = Some("motif".into());
            r.modalite = Some(motif.to_string());
            r.numerateur = Some(*days);
            r.denominateur = den;
            r.effectif_numerateur = persons(a.absent.get(motif));
            r.effectif_denominateur = persons(Some(&a.staff));
            r.valeur = ratio(r.numerateur, den);
            out.rows.push(r);
        }
        out.rows
            .push(value(row(HEADCOUNT, "salariés"), a.present.len() as f64));
        if let Some(prev) = acc.get(&(y - 1, per.clone())) {
            let mut r = row(TURNOVER, "%");
            r.numerateur = Some((a.entries.len() + a.exits.len()) as f64 / 2.0);
            r.denominateur = Some(prev.present.len() as f64);
            r.valeur = ratio(r.numerateur, r.denominateur);
            out.rows.push(r);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn social_work_jobs() {
        for j in [
            "Éducateur spécialisé",
            "Educatrice de jeunes enfants",
            "Moniteur-éducateur",
            "Assistante de service social",
            "CESF",
            "TISF",
        ] {
            assert!(is_social_worker(j), "{j}");
        }
        for j in [
            "Psychologue",
            "Cheffe de service",
            "Secrétaire",
            "Maîtresse de maison",
            "Éducateur sportif",
        ] {
            assert!(!is_social_worker(j), "{j}");
        }
    }
}
