//! Staff, training, satisfaction and the APMN's quality action plan: the
//! files added after the accompaniment files, and their truth (key
//! `rh_formation_satisfaction` of `verite.json`).
//!
//! Each part draws from its own stream of the same seed ([`Rng::stream`]),
//! so the accompaniment files keep their bytes and a change in one part does
//! not shift the draws of another.

use std::collections::BTreeMap;
use std::error::Error;

use serde_json::{Map, Value, json};

use crate::copil::{self, FICHES, IndicatorRow, SOUS_ACTIONS, STATUTS};
use crate::formation::{self, Theme, Training};
use crate::output::{Output, SheetStats};
use crate::personnel::{self, Metier, Motif, Staff};
use crate::rng::Rng;
use crate::satisfaction::{self, Public, QUESTIONS_APMN, QUESTIONS_DITEP, Questionnaire};
use crate::world::{INDICATOR_YEARS, Service};

/// Stream of the staff.
pub const STREAM_PERSONNEL: u64 = 1;
/// Stream of the trainings.
pub const STREAM_FORMATION: u64 = 2;
/// Stream of the questionnaires.
pub const STREAM_SATISFACTION: u64 = 3;
/// Stream of the action plan's own counts.
pub const STREAM_COPIL: u64 = 4;

/// Truth key in `verite.json`.
pub const KEY: &str = "rh_formation_satisfaction";

/// Everything behind the added files.
#[derive(Clone, Debug)]
pub struct Rh {
    /// Staff of the four services.
    pub staff: Staff,
    /// Trainings (APMN and MECS).
    pub trainings: Vec<Training>,
    /// Questionnaires (APMN and DITEP).
    pub questionnaires: Vec<Questionnaire>,
    /// Indicator rows of the action plan.
    pub indicateurs: Vec<IndicatorRow>,
}

/// Builds the staff, trainings, questionnaires and action plan.
pub fn build(seed: u64) -> Rh {
    let staff = personnel::build(&mut Rng::stream(seed, STREAM_PERSONNEL));
    let trainings = formation::build(&mut Rng::stream(seed, STREAM_FORMATION), &staff);
    let questionnaires = satisfaction::build(&mut Rng::stream(seed, STREAM_SATISFACTION));
    let indicateurs = copil::indicators(
        &mut Rng::stream(seed, STREAM_COPIL),
        &trainings,
        &questionnaires,
    );
    Rh {
        staff,
        trainings,
        questionnaires,
        indicateurs,
    }
}

/// Writes the staff, training, satisfaction, action-plan and template files.
pub fn write(rh: &Rh, out: &mut Output) -> Result<(), Box<dyn Error>> {
    personnel::write(&rh.staff, out)?;
    formation::write(&rh.trainings, &rh.staff, out)?;
    satisfaction::write(&rh.questionnaires, out)?;
    copil::write(&rh.indicateurs, out)?;
    crate::modeles::write(out)?;
    Ok(())
}

// --------------------------------------------------------------------- truth

fn obj(mut pairs: Vec<(String, Value)>) -> Value {
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Value::Object(m)
}

fn kv(k: &str, v: Value) -> (String, Value) {
    (k.to_string(), v)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Hundredths as a JSON number.
fn hundredths(c: i64) -> Value {
    json!(c as f64 / 100.0)
}

/// Staff figures of one service and year.
#[derive(Clone, Debug, PartialEq)]
pub struct StaffFigures {
    /// Sum of the `ETP moyen` of the rows, hundredths.
    pub etp_total: i64,
    /// Per canonical job label, hundredths.
    pub etp_par_metier: BTreeMap<&'static str, i64>,
    /// Social-work jobs only, hundredths.
    pub etp_travailleurs_sociaux: i64,
    /// Persons under contract on 31/12.
    pub effectif_31_12: usize,
    /// Persons whose entry date is in the year.
    pub entrees: usize,
    /// Persons whose exit date is in the year.
    pub sorties: usize,
    /// Calendar days of absence per reason.
    pub absences: Vec<(Motif, i64)>,
    /// Rows (persons with at least one day of contract in the year).
    pub lignes: usize,
}

/// Computes the staff figures of `service` for `year`.
pub fn staff_figures(staff: &Staff, service: Service, year: i32) -> StaffFigures {
    let rows: Vec<&personnel::Employee> = staff
        .rows(service)
        .into_iter()
        .filter(|(y, _)| *y == year)
        .map(|(_, i)| &staff.employees[i])
        .collect();
    let etp_par_metier = personnel::etp_by_metier(rows.iter().map(|e| (*e, year)));
    StaffFigures {
        etp_total: rows.iter().map(|e| e.etp_centiemes(year)).sum(),
        etp_travailleurs_sociaux: rows
            .iter()
            .filter(|e| e.metier.social_worker())
            .map(|e| e.etp_centiemes(year))
            .sum(),
        etp_par_metier,
        effectif_31_12: rows.iter().filter(|e| e.present_31_12(year)).count(),
        entrees: rows.iter().filter(|e| e.enters_in(year)).count(),
        sorties: rows.iter().filter(|e| e.leaves_in(year)).count(),
        absences: Motif::ALL
            .iter()
            .map(|&m| (m, rows.iter().map(|e| e.absence_days(year, m)).sum()))
            .collect(),
        lignes: rows.len(),
    }
}

fn satisfaction_json(qs: &[Questionnaire], service: Service, year: i32) -> Value {
    let keys: &[&str] = if service == Service::Ditep {
        &QUESTIONS_DITEP
    } else {
        &QUESTIONS_APMN
    };
    let types = Public::ALL
        .iter()
        .map(|&p| {
            let f = satisfaction::figures(qs, service, year, p);
            let means = keys
                .iter()
                .zip(&f.par_question)
                .map(|(k, (sum, n))| {
                    let v = if *n == 0 {
                        Value::Null
                    } else {
                        json!(round2(*sum as f64 / *n as f64))
                    };
                    kv(k, v)
                })
                .collect();
            let part = if f.retournes == 0 {
                Value::Null
            } else {
                json!(round2(100.0 * f.satisfaits as f64 / f.retournes as f64))
            };
            (
                p.key().to_string(),
                obj(vec![
                    kv("envoyes", json!(f.envoyes)),
                    kv("retournes", json!(f.retournes)),
                    kv("moyenne_par_question", obj(means)),
                    kv("satisfaits", json!(f.satisfaits)),
                    kv("part_satisfaits", part),
                ]),
            )
        })
        .collect();
    obj(types)
}

fn year_json(rh: &Rh, service: Service, year: i32) -> Value {
    let f = staff_figures(&rh.staff, service, year);
    let mut pairs = vec![
        kv("etp_total", hundredths(f.etp_total)),
        kv(
            "etp_par_metier",
            obj(f
                .etp_par_metier
                .iter()
                .map(|(k, v)| (k.to_string(), hundredths(*v)))
                .collect()),
        ),
        kv(
            "etp_travailleurs_sociaux",
            hundredths(f.etp_travailleurs_sociaux),
        ),
        kv("effectif_31_12", json!(f.effectif_31_12)),
        kv("entrees", json!(f.entrees)),
        kv("sorties", json!(f.sorties)),
        kv("lignes_personnel", json!(f.lignes)),
        kv(
            "jours_absence_par_motif",
            obj(f
                .absences
                .iter()
                .map(|(m, d)| (m.key().to_string(), json!(d)))
                .collect()),
        ),
    ];
    let has_training = matches!(service, Service::Apmn | Service::Mecs);
    if has_training {
        let t = formation::figures(&rh.trainings, service, year);
        pairs.extend([
            kv(
                "salaries_formes_par_theme",
                obj(t
                    .formes_par_theme
                    .iter()
                    .map(|(th, n)| (th.label().to_string(), json!(n)))
                    .collect()),
            ),
            kv("salaries_formes", json!(t.formes)),
            kv("jours_demandes", json!(formation::days(t.demandes))),
            kv("jours_realises", json!(formation::days(t.realises))),
            kv("sessions_inter_associatives", json!(t.sessions_inter)),
            kv(
                "participations_inter_associatives",
                json!(t.participations_inter),
            ),
            kv("lignes_formation", json!(t.lignes)),
        ]);
    } else {
        for k in [
            "salaries_formes_par_theme",
            "salaries_formes",
            "jours_demandes",
            "jours_realises",
            "sessions_inter_associatives",
            "participations_inter_associatives",
            "lignes_formation",
        ] {
            pairs.push(kv(k, Value::Null));
        }
    }
    let sat = match service {
        Service::Apmn | Service::Ditep => satisfaction_json(&rh.questionnaires, service, year),
        _ => Value::Null,
    };
    pairs.push(kv("satisfaction", sat));
    obj(pairs)
}

/// Sub-actions of fiche `fiche` planned in `year`, and the statuses.
pub fn copil_counts(fiche: u32, year: i32) -> (usize, usize, BTreeMap<&'static str, usize>) {
    let mut by_status: BTreeMap<&'static str, usize> = STATUTS.iter().map(|s| (*s, 0)).collect();
    let mut planned = 0;
    for (f, _, years) in SOUS_ACTIONS {
        if f != fiche {
            continue;
        }
        for (y, s) in years {
            if *y == year {
                planned += 1;
                *by_status.entry(s).or_insert(0) += 1;
            }
        }
    }
    let done = by_status.get("réalisé").copied().unwrap_or(0);
    (planned, done, by_status)
}

fn copil_json() -> Value {
    let fiches = FICHES
        .iter()
        .map(|f| {
            let years = copil::YEARS
                .iter()
                .map(|&y| {
                    let (planned, done, by_status) = copil_counts(f.numero, y);
                    (
                        y.to_string(),
                        obj(vec![
                            kv("sous_actions_prevues", json!(planned)),
                            kv("sous_actions_realisees", json!(done)),
                            kv(
                                "sous_actions_par_statut",
                                obj(by_status
                                    .into_iter()
                                    .map(|(k, v)| (k.to_string(), json!(v)))
                                    .collect()),
                            ),
                        ]),
                    )
                })
                .collect();
            (
                f.numero.to_string(),
                obj(vec![
                    kv("fiche", json!(copil::fiche_label(f.numero))),
                    kv("titre", json!(f.titre)),
                    kv("annees", obj(years)),
                ]),
            )
        })
        .collect();
    obj(vec![
        kv("service", json!(Service::Apmn.code())),
        kv("fiches", obj(fiches)),
    ])
}

fn rules_json() -> Value {
    obj(vec![
        kv(
            "etp",
            json!(
                "ETP moyen d'une ligne = quotité × jours sous contrat dans l'année (entrée et sortie comprises) / jours de l'année, arrondi au centième ; etp_total et etp_par_metier sont les sommes des ETP des lignes de l'année (métiers sous leur libellé canonique) ; les absences ne diminuent pas l'ETP"
            ),
        ),
        kv(
            "etp_travailleurs_sociaux",
            json!(
                "somme des ETP des métiers Éducateur spécialisé, Moniteur-éducateur, Assistant de service social, Éducateur de jeunes enfants, CESF, TISF"
            ),
        ),
        kv(
            "effectif_31_12",
            json!(
                "personnes sous contrat le 31/12 (aucune date de sortie ne tombe un 31/12 ni un 01/01) : les lignes de l'année sans date de sortie"
            ),
        ),
        kv(
            "entrees_sorties",
            json!(
                "personnes dont la date d'entrée (de sortie) tombe dans l'année ; la date de sortie n'est écrite que sur la ligne de son année"
            ),
        ),
        kv(
            "jours_absence_par_motif",
            json!(
                "somme des jours calendaires d'absence de l'année par motif (une absence à cheval sur deux années est répartie entre elles)"
            ),
        ),
        kv(
            "formation",
            json!(
                "année = année de la date (premier jour) ; salaries_formes_par_theme : personnes distinctes avec jours réalisés > 0 sur le thème (libellé canonique) ; salaries_formes : tous thèmes ; jours_demandes et jours_realises : sommes des lignes (réalisé vide = 0) ; sessions_inter_associatives : couples (thème, date) distincts des lignes inter-associatives avec jours réalisés > 0 ; participations_inter_associatives : ces lignes ; null pour les services sans fichier de formation"
            ),
        ),
        kv(
            "satisfaction",
            json!(
                "par type de destinataire (famille, jeune, partenaire) et par année de la date d'envoi : questionnaires envoyés, retournés, moyenne de chaque question sur les réponses non vides (2 décimales), satisfaits = retournés avec satisfaction globale (Q5 ou note globale) >= 3, part_satisfaits = 100 × satisfaits / retournés (2 décimales) ; null pour les services sans enquête"
            ),
        ),
        kv(
            "copil",
            json!(
                "par fiche action et par année du plan (2023-2027) : sous_actions_prevues = lignes de la feuille Sous-actions (une par croix du calendrier, quel que soit le statut), sous_actions_realisees = celles au statut « réalisé »"
            ),
        ),
    ])
}

fn files_json(stats: &[SheetStats]) -> Value {
    Value::Array(
        stats
            .iter()
            .map(|st| {
                obj(vec![
                    kv("fichier", json!(st.fichier)),
                    kv(
                        "feuille",
                        st.feuille.as_ref().map_or(Value::Null, |f| json!(f)),
                    ),
                    kv("lignes_total", json!(st.lignes_total)),
                    kv("lignes_donnees", json!(st.lignes_donnees)),
                ])
            })
            .collect(),
    )
}

/// The `rh_formation_satisfaction` part of the truth.
pub fn truth(rh: &Rh, out: &Output) -> Value {
    let services = Service::ALL
        .iter()
        .map(|&s| {
            let years = INDICATOR_YEARS
                .iter()
                .map(|&y| (y.to_string(), year_json(rh, s, y)))
                .collect();
            (s.code().to_string(), obj(vec![kv("annees", obj(years))]))
        })
        .collect();
    let metiers: Vec<Value> = Metier::ALL
        .iter()
        .map(|m| {
            obj(vec![
                kv("libelle", json!(m.label())),
                kv("travailleur_social", json!(m.social_worker())),
            ])
        })
        .collect();
    let themes: Vec<Value> = Theme::ALL.iter().map(|t| json!(t.label())).collect();
    obj(vec![
        kv("annees", json!(INDICATOR_YEARS)),
        kv("regles", rules_json()),
        kv("metiers", Value::Array(metiers)),
        kv("themes", Value::Array(themes)),
        kv("services", obj(services)),
        kv("copil", copil_json()),
        kv("fichiers", files_json(&out.stats_rh)),
    ])
}
