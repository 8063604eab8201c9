//! Training (charter article 4, the seed's fiche action « soutenir l'accès à la
//! formation », the ODPE's annual training review, CASF L226-3-1 5°), per year and
//! perimeter: staff trained per theme, share of staff trained in ESOPPE, days delivered
//! per theme and against days requested, inter-association sessions.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::cols;
use super::persons::Perimeter;
use super::{Directory, IndicatorDef, Inputs, Measure, Results, Secret, ratio};
use crate::error::Error;
use crate::ingest::values::fold;
use crate::pseudonymise::STAFF_PSEUDONYM;
use crate::tables::columns as col;

pub const TRAINED_BY_THEME: &str = "salaries_formes_par_theme";
pub const ESOPPE_SHARE: &str = "part_salaries_formes_esoppe";
pub const DAYS_BY_THEME: &str = "jours_formation_par_theme";
pub const COMPLETION: &str = "taux_realisation_formation";
pub const INTER_SESSIONS: &str = "sessions_inter_associatives";

const CHARTER: &str =
    "Charte de coopération inter-associative (article 4, programme commun de formation)";

pub const DEFINITIONS: [IndicatorDef; 5] = [
    IndicatorDef {
        id: TRAINED_BY_THEME,
        libelle: "Salariés formés, par thème",
        definition: "Salariés distincts ayant suivi au moins une journée de formation réalisée dans l'année, par thème (ESOPPE, analyse systémique, thèmes du programme commun de la charte).",
        numerateur: "salariés distincts formés sur le thème dans l'année",
        denominateur: "—",
        unite: "salariés",
        tables_sources: "formation",
        origine: "Projet de service APMN (indicateurs de la fiche action 3) ; bilan annuel des formations de l'ODPE (CASF L226-3-1 5°)",
        secret: Secret::count(Measure::persons("salaries_formes")),
    },
    IndicatorDef {
        id: ESOPPE_SHARE,
        libelle: "Part des salariés formés à ESOPPE",
        definition: "Salariés présents au 31/12 ayant suivi une formation ESOPPE réalisée cette année-là ou avant, rapportés aux salariés présents au 31/12.",
        numerateur: "salariés présents au 31/12 formés à ESOPPE (cumul)",
        denominateur: "salariés présents au 31/12",
        unite: "%",
        tables_sources: "formation, personnel",
        origine: "Projet de service APMN (« former tous les salariés à ESOPPE »)",
        secret: Secret::rate(
            Measure::persons("salaries_presents_formes_esoppe"),
            Measure::persons("salaries_presents_31_12"),
        ),
    },
    IndicatorDef {
        id: DAYS_BY_THEME,
        libelle: "Journées de formation réalisées, par thème",
        definition: "Somme des journées de formation réalisées dans l'année, par thème : le bilan annuel des formations continues.",
        numerateur: "journées réalisées",
        denominateur: "—",
        unite: "jours",
        tables_sources: "formation",
        origine: "Bilan annuel des formations de l'ODPE (CASF L226-3-1 5°)",
        secret: Secret::count(Measure::amount("jours_formation_realises")),
    },
    IndicatorDef {
        id: COMPLETION,
        libelle: "Taux de réalisation des formations demandées",
        definition: "Journées de formation réalisées rapportées aux journées demandées dans l'année.",
        numerateur: "journées réalisées",
        denominateur: "journées demandées",
        unite: "%",
        tables_sources: "formation",
        origine: "Projet de service APMN (« nombre de journées de formation demandées et dispensées »)",
        secret: Secret::rate(
            Measure::amount("jours_formation_realises"),
            Measure::amount("jours_formation_demandes"),
        ),
    },
    IndicatorDef {
        id: INTER_SESSIONS,
        libelle: "Sessions de formation inter-associatives",
        definition: "Sessions distinctes (thème, date) suivies dans l'année et marquées inter-associatives.",
        numerateur: "sessions inter-associatives distinctes",
        denominateur: "—",
        unite: "sessions",
        tables_sources: "formation",
        origine: CHARTER,
        secret: Secret::FREE,
    },
];

fn is_esoppe(theme: &str) -> bool {
    fold(theme).contains("ESOPPE")
}

#[derive(Default)]
struct Acc {
    trained: BTreeMap<String, BTreeSet<String>>,
    days: BTreeMap<String, f64>,
    requested: f64,
    delivered: f64,
    sessions: BTreeSet<(String, Option<NaiveDate>)>,
    /// Distinct employees behind the days requested and delivered (frequency rule).
    requesting: BTreeSet<String>,
    trained_any: BTreeSet<String>,
}

pub fn compute(inputs: &Inputs, _settings: &super::Settings) -> Result<Results, Error> {
    let df = inputs.training;
    let mut out = Results::default();
    if df.height() == 0 {
        return Ok(out);
    }
    let dir = Directory::from_services(inputs.services)?;
    let person = cols::text(df, STAFF_PSEUDONYM)?;
    let service = cols::text(df, col::SERVICE)?;
    let year = cols::int(df, col::YEAR)?;
    let theme = cols::text(df, "theme")?;
    let date = cols::date(df, "date")?;
    let requested = cols::num(df, "jours_demandes")?;
    let delivered = cols::num(df, "jours_realises")?;
    let inter = cols::boolean(df, "inter_associatif")?;
    let mut acc: BTreeMap<(i32, Perimeter), Acc> = BTreeMap::new();
    // First year each person was trained in ESOPPE.
    let mut esoppe_since: BTreeMap<String, i32> = BTreeMap::new();
    for i in 0..df.height() {
        let (Some(s), Some(y), Some(t)) = (&service[i], year[i], &theme[i]) else {
            continue;
        };
        let done = delivered[i].unwrap_or(0.0);
        if done > 0.0
            && is_esoppe(t)
            && let Some(p) = &person[i]
        {
            let e = esoppe_since.entry(p.clone()).or_insert(y);
            *e = (*e).min(y);
        }
        if !inputs.years.contains(&y) {
            continue;
        }
        for per in Perimeter::of_service(&dir, s) {
            let a = acc.entry((y, per)).or_default();
            let asked = requested[i].unwrap_or(0.0);
            a.requested += asked;
            a.delivered += done;
            let who = person[i].clone().unwrap_or_else(|| format!("ligne {i}"));
            if asked > 0.0 {
                a.requesting.insert(who.clone());
            }
            if done > 0.0 {
                a.trained_any.insert(who);
            }
            if done > 0.0 {
                *a.days.entry(t.clone()).or_default() += done;
                if let Some(p) = &person[i] {
                    a.trained.entry(t.clone()).or_default().insert(p.clone());
                }
                if inter[i] == Some(true) {
                    a.sessions.insert((fold(t), date[i]));
                }
            }
        }
    }
    // Staff present at 31/12, per perimeter and year (from the staff table).
    let mut present: BTreeMap<(i32, Perimeter), BTreeSet<String>> = BTreeMap::new();
    let st = inputs.staff;
    if st.height() > 0 {
        let person = cols::text(st, STAFF_PSEUDONYM)?;
        let service = cols::text(st, col::SERVICE)?;
        let year = cols::int(st, col::YEAR)?;
        let entry = cols::date(st, "date_entree")?;
        let exit = cols::date(st, "date_sortie")?;
        for i in 0..st.height() {
            let (Some(p), Some(s), Some(y)) = (&person[i], &service[i], year[i]) else {
                continue;
            };
            if !super::hr::present_at_year_end(entry[i], exit[i], y) {
                continue;
            }
            for per in Perimeter::of_service(&dir, s) {
                present.entry((y, per)).or_default().insert(p.clone());
            }
        }
    }
    for ((y, per), a) in &acc {
        for (t, people) in &a.trained {
            let mut r = per.row(&dir, TRAINED_BY_THEME, *y);
            r.ventilation = Some("theme".into());
            r.modalite = Some(t.clone());
            r.numerateur = Some(people.len() as f64);
            r.valeur = r.numerateur;
            r.unite = "salariés".into();
            out.rows.push(r);
        }
        for (t, d) in &a.days {
            let mut r = per.row(&dir, DAYS_BY_THEME, *y);
            r.ventilation = Some("theme".into());
            r.modalite = Some(t.clone());
            r.numerateur = Some(*d);
            r.valeur = Some(*d);
            r.effectif_numerateur = Some(a.trained.get(t).map_or(0, |p| p.len()) as f64);
            r.unite = "jours".into();
            out.rows.push(r);
        }
        let mut r = per.row(&dir, COMPLETION, *y);
        r.numerateur = Some(a.delivered);
        r.denominateur = Some(a.requested);
        r.effectif_numerateur = Some(a.trained_any.len() as f64);
        r.effectif_denominateur = Some(a.requesting.len() as f64);
        r.valeur = ratio(r.numerateur, r.denominateur);
        r.unite = "%".into();
        out.rows.push(r);
        let mut r = per.row(&dir, INTER_SESSIONS, *y);
        r.numerateur = Some(a.sessions.len() as f64);
        r.valeur = r.numerateur;
        r.unite = "sessions".into();
        out.rows.push(r);
    }
    for ((y, per), people) in &present {
        if !inputs.years.contains(y) {
            continue;
        }
        let trained = people
            .iter()
            .filter(|p| esoppe_since.get(*p).is_some_and(|since| since <= y))
            .count();
        let mut r = per.row(&dir, ESOPPE_SHARE, *y);
        r.numerateur = Some(trained as f64);
        r.denominateur = Some(people.len() as f64);
        r.valeur = ratio(r.numerateur, r.denominateur);
        r.unite = "%".into();
        out.rows.push(r);
    }
    Ok(out)
}
