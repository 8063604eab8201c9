//! Golden tests: indicators on small inputs whose values are computed by hand below,
//! with the edge cases (measures starting or ending inside the year, open-ended
//! measures, a leap year, the same person twice, a service opening mid-year, zero
//! denominators → no value).

use observatoire::indicators::activity::{ACTIVITY_RATE, COMPLETION_RATE, OCCUPANCY_RATE};
use observatoire::indicators::persons::{
    ACTIVE_FILE, BY_AGE, BY_SEX, BY_TYPE, ENTRIES, EXITS, MEAN_DURATION, PRESENT,
};
use observatoire::indicators::{self, IndicatorRow, Inputs, Results};
use observatoire::ingest;
use observatoire::link;
use observatoire::pseudonymise::keys::SecretKey;
use observatoire::pseudonymise::{self, Settings};

use crate::util::*;

fn compute() -> Results {
    let dir = temp_dir("golden");
    std::fs::write(
        dir.join("services.csv"),
        "Code service;Type;Année;Capacité autorisée;Unité;Jours d'ouverture\n\
         AEMO-T;AEMO;2020;2;mesures;366\nAEMO-T;AEMO;2021;2;mesures;365\nAEMO-T;AEMO;2022;4;mesures;365\n\
         MECS-T;MECS;2020;10;places;184\nMECS-T;MECS;2021;10;places;365\nMECS-T;MECS;2022;0;places;365\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("mesures.csv"),
        "Nom;Prénom;Date de naissance;Sexe;Type de mesure;Cadre;Date de début;Date de fin\n\
         Arnaud;Alice;01/02/2010;F;AED;administratif;01/11/2019;31/03/2020\n\
         Bernard;Bruno;02/03/2011;M;AEMO;judiciaire;28/02/2020;\n\
         Colin;Chloé;03/04/2012;F;AEMO;judiciaire;31/12/2021;01/01/2022\n\
         ARNAUD;Alice;01/02/2010;F;AED;administratif;2022-06-01;2022-06-30\n\
         Durand;Denis;04/05/2013;M;AEMO;judiciaire;01/03/2021;10/03/2021\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("activite.csv"),
        "Année;Journées réalisées;Journées financées\n2020;1700;1840\n2021;3 400;3650\n2022;3000;0\n",
    )
    .unwrap();
    let p = pipeline(
        &dir,
        "[pipeline]\nnom = \"golden\"\n[periode]\ndebut = 2020\nfin = 2022\n\
         [[sources]]\nfichier = \"services.csv\"\ntable = \"services\"\n\
         [[sources]]\nfichier = \"mesures.csv\"\ntable = \"accompagnements\"\nservice = \"AEMO-T\"\n\
         [[sources]]\nfichier = \"activite.csv\"\ntable = \"activite\"\nservice = \"MECS-T\"\n",
    );
    let ing = ingest::ingest(&p).unwrap();
    let settings = Settings::new(2022);
    let (extract, _) = pseudonymise::pseudonymise(
        &ing.tables.accompaniments,
        &SecretKey::from_bytes([7; 32]),
        &settings,
    )
    .unwrap();
    let (acc, _) = link::link(&extract, &link::Settings::default()).unwrap();
    indicators::compute_all(&Inputs {
        services: &ing.tables.services,
        persons: &acc,
        activity: &ing.tables.activity,
        reference: &ing.tables.reference,
        staff: &ing.tables.staff,
        training: &ing.tables.training,
        satisfaction: &ing.tables.satisfaction,
        action_plan: &ing.tables.action_plan,
        years: 2020..=2022,
        age_bands: &settings.age_bands,
    })
    .unwrap()
}

fn get<'a>(r: &'a Results, id: &str, service: &str, year: i32) -> &'a IndicatorRow {
    r.rows
        .iter()
        .find(|x| {
            x.indicateur == id
                && x.service.as_deref() == Some(service)
                && x.periode == year
                && x.ventilation.is_none()
        })
        .unwrap_or_else(|| panic!("{id} {service} {year} absent"))
}

#[test]
fn activity_rate_by_hand() {
    let r = compute();
    // 2020 (leap year, 366 days):
    //   Alice 01/11/2019–31/03/2020 → 31 + 29 + 31 = 91 days in 2020;
    //   Bruno 28/02/2020–(open) → 366 − 58 = 308 days.
    //   399 measure-days / (2 measures × 366) = 399 / 732 = 54,51 %.
    let a = get(&r, ACTIVITY_RATE, "AEMO-T", 2020);
    assert_eq!((a.numerateur, a.denominateur), (Some(399.0), Some(732.0)));
    assert!((a.valeur.unwrap() - 399.0 / 732.0).abs() < 1e-12);
    // 2021: Bruno 365 + Chloé 31/12 (1 day) + Denis 01/03–10/03 (10 days) = 376 / 730.
    let a = get(&r, ACTIVITY_RATE, "AEMO-T", 2021);
    assert_eq!((a.numerateur, a.denominateur), (Some(376.0), Some(730.0)));
    // 2022 (capacity raised to 4): Bruno 365 + Chloé 01/01 (1) + Alice June (30) = 396
    // / (4 × 365 = 1 460) = 27,12 %.
    let a = get(&r, ACTIVITY_RATE, "AEMO-T", 2022);
    assert_eq!((a.numerateur, a.denominateur), (Some(396.0), Some(1460.0)));
    assert_eq!(
        observatoire::format::percent_fr(a.valeur.unwrap(), 2),
        "27,12\u{a0}%"
    );
}

#[test]
fn active_file_by_hand() {
    let r = compute();
    // 2020: Alice, Bruno. 2021: Bruno, Chloé, Denis. 2022: Bruno, Chloé, Alice — Alice
    // (written "ARNAUD" the second time) is one person, counted once.
    let fa: Vec<f64> = (2020..=2022)
        .map(|y| get(&r, ACTIVE_FILE, "AEMO-T", y).valeur.unwrap())
        .collect();
    assert_eq!(fa, vec![2.0, 3.0, 3.0]);
}

#[test]
fn occupancy_and_completion_by_hand() {
    let r = compute();
    // Opened 1 July 2020: 184 opening days. 1 700 / (10 places × 184) = 92,39 %.
    let o = get(&r, OCCUPANCY_RATE, "MECS-T", 2020);
    assert_eq!((o.numerateur, o.denominateur), (Some(1700.0), Some(1840.0)));
    assert_eq!(
        observatoire::format::percent_fr(o.valeur.unwrap(), 2),
        "92,39\u{a0}%"
    );
    // 2021: 3 400 / (10 × 365 = 3 650) = 93,15 %.
    let o = get(&r, OCCUPANCY_RATE, "MECS-T", 2021);
    assert_eq!((o.numerateur, o.denominateur), (Some(3400.0), Some(3650.0)));
    assert_eq!(
        observatoire::format::percent_fr(o.valeur.unwrap(), 2),
        "93,15\u{a0}%"
    );
    // 2022: zero capacity and zero funded days → no value (not 0, not infinity).
    assert_eq!(get(&r, OCCUPANCY_RATE, "MECS-T", 2022).valeur, None);
    assert_eq!(get(&r, COMPLETION_RATE, "MECS-T", 2022).valeur, None);
    // Completion 2020: 1 700 / 1 840 financed days.
    let c = get(&r, COMPLETION_RATE, "MECS-T", 2020);
    assert_eq!((c.numerateur, c.denominateur), (Some(1700.0), Some(1840.0)));
    assert!(r.notes.is_empty() || r.notes.iter().all(|n| !n.contains("Alice")));
}

fn breakdown<'a>(
    r: &'a Results,
    id: &str,
    service: &str,
    year: i32,
    value: &str,
) -> &'a IndicatorRow {
    r.rows
        .iter()
        .find(|x| {
            x.indicateur == id
                && x.service.as_deref() == Some(service)
                && x.periode == year
                && x.modalite.as_deref() == Some(value)
        })
        .unwrap_or_else(|| panic!("{id} {service} {year} {value} absent"))
}

#[test]
fn persons_entries_exits_and_durations_by_hand() {
    let r = compute();
    let v = |id: &str, y: i32| get(&r, id, "AEMO-T", y).valeur;
    // Present on 31/12: 2020 Bruno; 2021 Bruno and Chloé (her measure runs 31/12–01/01);
    // 2022 Bruno.
    assert_eq!(
        [v(PRESENT, 2020), v(PRESENT, 2021), v(PRESENT, 2022)],
        [Some(1.0), Some(2.0), Some(1.0)]
    );
    // Entries: 2020 Bruno; 2021 Chloé, Denis; 2022 Alice's second measure.
    assert_eq!(
        [v(ENTRIES, 2020), v(ENTRIES, 2021), v(ENTRIES, 2022)],
        [Some(1.0), Some(2.0), Some(1.0)]
    );
    // Exits: 2020 Alice (01/11/2019 → 31/03/2020 = 30 + 31 + 31 + 29 + 30 = 151 days);
    // 2021 Denis (9 days); 2022 Chloé (1 day) and Alice (29 days): mean 15.
    assert_eq!(
        [v(EXITS, 2020), v(EXITS, 2021), v(EXITS, 2022)],
        [Some(1.0), Some(1.0), Some(2.0)]
    );
    let d = get(&r, MEAN_DURATION, "AEMO-T", 2020);
    assert_eq!(
        (d.numerateur, d.denominateur, d.valeur),
        (Some(151.0), Some(1.0), Some(151.0))
    );
    assert_eq!(v(MEAN_DURATION, 2021), Some(9.0));
    let d = get(&r, MEAN_DURATION, "AEMO-T", 2022);
    assert_eq!(
        (d.numerateur, d.denominateur, d.valeur),
        (Some(30.0), Some(2.0), Some(15.0))
    );
}

#[test]
fn breakdowns_by_hand() {
    let r = compute();
    // 2022: AEMO (Bruno, Chloé) 2 of 3 measures active in the year; AED (Alice) 1 of 3.
    let t = breakdown(&r, BY_TYPE, "AEMO-T", 2022, "AEMO");
    assert_eq!((t.numerateur, t.denominateur), (Some(2.0), Some(3.0)));
    assert_eq!(
        breakdown(&r, BY_TYPE, "AEMO-T", 2022, "AED").numerateur,
        Some(1.0)
    );
    // 2021 by sex: Bruno and Denis (M), Chloé (F).
    let m = breakdown(&r, BY_SEX, "AEMO-T", 2021, "M");
    assert_eq!((m.numerateur, m.denominateur), (Some(2.0), Some(3.0)));
    // 2020 by age at 31/12/2020: Alice 10, Bruno 9 → both 6-10 ans.
    let a = breakdown(&r, BY_AGE, "AEMO-T", 2020, "6-10 ans");
    assert_eq!(
        (a.numerateur, a.denominateur, a.valeur),
        (Some(2.0), Some(2.0), Some(1.0))
    );
}

#[test]
fn pooled_perimeters_and_evolutions_by_hand() {
    let r = compute();
    // The network's file active equals the only measure service's.
    let network = |id: &str, y: i32| {
        r.rows
            .iter()
            .find(|x| {
                x.indicateur == id
                    && x.periode == y
                    && x.service.is_none()
                    && x.organisation.is_none()
                    && x.code_territoire.is_none()
                    && x.ventilation.is_none()
            })
            .unwrap_or_else(|| panic!("{id} {y}"))
    };
    assert_eq!(network(ACTIVE_FILE, 2021).valeur, Some(3.0));
    // Pooled activity rate of the network = the service's (one measure service).
    assert_eq!(network(ACTIVITY_RATE, 2021).numerateur, Some(376.0));
    // Evolutions: file active 2 → 3 → 3.
    let fa = get(&r, ACTIVE_FILE, "AEMO-T", 2021);
    assert_eq!(fa.evolution_annuelle, Some(1.0));
    let fa = get(&r, ACTIVE_FILE, "AEMO-T", 2022);
    assert_eq!(
        (fa.evolution_annuelle, fa.evolution_depuis_base),
        (Some(0.0), Some(1.0))
    );
    // Activity rate: 376/730 − 399/732.
    let t = get(&r, ACTIVITY_RATE, "AEMO-T", 2021);
    assert!((t.evolution_annuelle.unwrap() - (376.0 / 730.0 - 399.0 / 732.0)).abs() < 1e-12);
    // Peers: one AEMO service → it is its own median.
    assert_eq!(t.pairs_nombre, Some(1.0));
    assert_eq!(t.pairs_mediane, t.valeur);
}

/// Staff, training, satisfaction and COPIL tables of one measure service (AEMO-T), by hand.
fn compute_quality() -> Results {
    let dir = temp_dir("golden-rh");
    std::fs::write(
        dir.join("services.csv"),
        "Code service;Type;Année;Capacité autorisée;Unité\nAEMO-T;AEMO;2021;2;mesures\nAEMO-T;AEMO;2022;4;mesures\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("mesures.csv"),
        "Nom;Prénom;Date de naissance;Date de début;Date de fin\n\
         Bernard;Bruno;02/03/2011;28/02/2020;\nColin;Chloé;03/04/2012;31/12/2021;01/01/2022\n\
         Arnaud;Alice;01/02/2010;2022-06-01;2022-06-30\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("personnel.csv"),
        "Matricule;Année;Fonction;ETP moyen;Date d'entrée;Date de sortie;Contrat;Jours maladie;Jours accident du travail;Jours maternité/paternité;Autres absences (jours)\n\
         E1;2021;Éducateur spécialisé;1;01/01/2015;;CDI;10;0;0;0\n\
         E2;2021;Assistante de service social;0,8;01/01/2018;;CDI;0;5;0;0\n\
         E3;2021;Psychologue;0,5;01/01/2019;30/06/2021;CDI;0;0;0;0\n\
         E1;2022;Éducateur spécialisé;1;01/01/2015;;CDI;0;0;0;2\n\
         E2;2022;Assistante de service social;0,8;01/01/2018;;CDI;0;0;60;0\n\
         E4;2022;Éducatrice de jeunes enfants;1;01/03/2022;;CDI;0;0;0;0\n\
         E5;2022;Éducateur spécialisé;0,5;01/09/2022;31/10/2022;CDD;0;0;0;0\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("formation.csv"),
        "Matricule;Thème;Date;Jours demandés;Jours réalisés;Inter-associatif (oui/non)\n\
         E1;ESOPPE;15/03/2021;2;2;non\nE2;ESOPPE;15/03/2021;2;0;non\n\
         E1;Analyse systémique;10/05/2022;3;3;oui\nE2;ESOPPE;20/09/2022;2;2;oui\nE4;Analyse systémique;10/05/2022;3;3;oui\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("satisfaction.csv"),
        "N°;Destinataire;Date d'envoi;Retourné;Q1;Q2;Satisfaction globale\n\
         1;famille;10/01/2021;x;4;3;4\n2;famille;10/01/2021;;;;\n3;partenaire;12/02/2021;x;2;2;2\n4;famille;15/03/2021;x;3;;3\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("copil.csv"),
        "Fiche;Sous-action;Année;Statut;Indicateur;Type;Cible;Valeur observée\n\
         FA3;Former à ESOPPE;2021;réalisé;;;;\nFA3;Former à l'analyse systémique;2021;reporté;;;;\n\
         FA3;Former à ESOPPE;2022;en cours;;;;\nFA3;;2021;;Salariés formés à ESOPPE;résultat;2;1\n",
    )
    .unwrap();
    let p = pipeline(
        &dir,
        "[pipeline]\nnom = \"golden rh\"\n[periode]\ndebut = 2021\nfin = 2022\n\
         [[sources]]\nfichier = \"services.csv\"\ntable = \"services\"\n\
         [[sources]]\nfichier = \"mesures.csv\"\ntable = \"accompagnements\"\nservice = \"AEMO-T\"\n\
         [[sources]]\nfichier = \"personnel.csv\"\ntable = \"personnel\"\nservice = \"AEMO-T\"\n\
         [[sources]]\nfichier = \"formation.csv\"\ntable = \"formation\"\nservice = \"AEMO-T\"\n\
         [[sources]]\nfichier = \"satisfaction.csv\"\ntable = \"satisfaction\"\nservice = \"AEMO-T\"\n\
         [sources.colonnes]\nquestion_1 = \"Q1\"\nquestion_2 = \"Q2\"\nretourne = \"Retourné\"\n\
         [[sources]]\nfichier = \"copil.csv\"\ntable = \"plan_action\"\nservice = \"AEMO-T\"\n",
    );
    let ing = ingest::ingest(&p).unwrap();
    assert!(
        ing.report
            .sources
            .iter()
            .all(|s| s.lignes_rejetees.is_empty()),
        "{:?}",
        ing.report.problemes
    );
    let key = SecretKey::from_bytes([7; 32]);
    let (extract, _) =
        pseudonymise::pseudonymise(&ing.tables.accompaniments, &key, &Settings::new(2022)).unwrap();
    let (acc, _) = link::link(&extract, &link::Settings::default()).unwrap();
    let staff = pseudonymise::pseudonymise_staff(&ing.tables.staff, &key).unwrap();
    let training = pseudonymise::pseudonymise_staff(&ing.tables.training, &key).unwrap();
    indicators::compute_all(&Inputs {
        services: &ing.tables.services,
        persons: &acc,
        activity: &ing.tables.activity,
        reference: &ing.tables.reference,
        staff: &staff,
        training: &training,
        satisfaction: &ing.tables.satisfaction,
        action_plan: &ing.tables.action_plan,
        years: 2021..=2022,
        age_bands: &[0, 18],
    })
    .unwrap()
}

#[test]
fn human_resources_by_hand() {
    use observatoire::indicators::hr::*;
    let r = compute_quality();
    let v = |id: &str, y: i32| get(&r, id, "AEMO-T", y);
    // 2021: ETP 1 + 0,8 + 0,5 = 2,3, of which social workers 1,8 (the psychologist is not).
    assert!((v(ETP_TOTAL, 2021).valeur.unwrap() - 2.3).abs() < 1e-9);
    assert!((v(ETP_SOCIAL_WORKERS, 2021).valeur.unwrap() - 1.8).abs() < 1e-9);
    // Absenteeism 2021: (10 + 5) / (2,3 × 365 = 839,5).
    let a = v(ABSENTEEISM, 2021);
    assert_eq!(a.numerateur, Some(15.0));
    assert!((a.denominateur.unwrap() - 839.5).abs() < 1e-9);
    // 2022: 1 + 0,8 + 1 + 0,5 = 3,3 ETP, all social workers (EJE included); absences
    // 2 + 60 = 62 days; maternity alone 60 / (3,3 × 365).
    assert!((v(ETP_SOCIAL_WORKERS, 2022).valeur.unwrap() - 3.3).abs() < 1e-9);
    assert_eq!(v(ABSENTEEISM, 2022).numerateur, Some(62.0));
    let m = breakdown(&r, ABSENTEEISM, "AEMO-T", 2022, "maternité ou paternité");
    assert!((m.valeur.unwrap() - 60.0 / (3.3 * 365.0)).abs() < 1e-12);
    // Present at 31/12: 2021 E1, E2 (E3 left 30/06); 2022 E1, E2, E4 (E5 left 31/10).
    assert_eq!(v(HEADCOUNT, 2021).valeur, Some(2.0));
    assert_eq!(v(HEADCOUNT, 2022).valeur, Some(3.0));
    // Turnover 2022 (CDI only): entries E4, exits none (E5 is a CDD) → 0,5 / 2 = 25 %.
    let t = v(TURNOVER, 2022);
    assert_eq!(
        (t.numerateur, t.denominateur, t.valeur),
        (Some(0.5), Some(2.0), Some(0.25))
    );
    // Measures per social-worker ETP 2022: 396 measure-days / 365 / 3,3.
    let m = v(MEASURES_PER_SW, 2022);
    assert!((m.valeur.unwrap() - 396.0 / 365.0 / 3.3).abs() < 1e-12);
}

#[test]
fn training_satisfaction_and_copil_by_hand() {
    use observatoire::indicators::{quality::*, satisfaction::*, training::*};
    let r = compute_quality();
    // 2021: ESOPPE delivered to E1 only (E2 requested, 0 day); 2 of 4 days requested.
    assert_eq!(
        breakdown(&r, TRAINED_BY_THEME, "AEMO-T", 2021, "ESOPPE").valeur,
        Some(1.0)
    );
    let c = get(&r, COMPLETION, "AEMO-T", 2021);
    assert_eq!(
        (c.numerateur, c.denominateur, c.valeur),
        (Some(2.0), Some(4.0), Some(0.5))
    );
    // ESOPPE share: 2021 E1 of {E1, E2} = 1/2; 2022 E1, E2 of {E1, E2, E4} = 2/3.
    let s = get(&r, ESOPPE_SHARE, "AEMO-T", 2022);
    assert_eq!((s.numerateur, s.denominateur), (Some(2.0), Some(3.0)));
    assert_eq!(get(&r, ESOPPE_SHARE, "AEMO-T", 2021).valeur, Some(0.5));
    // 2022: analyse systémique E1 and E4 (6 days), one inter-association session per
    // (theme, date): 10/05 and 20/09.
    assert_eq!(
        breakdown(&r, TRAINED_BY_THEME, "AEMO-T", 2022, "Analyse systémique").valeur,
        Some(2.0)
    );
    assert_eq!(
        breakdown(&r, DAYS_BY_THEME, "AEMO-T", 2022, "Analyse systémique").valeur,
        Some(6.0)
    );
    assert_eq!(get(&r, INTER_SESSIONS, "AEMO-T", 2022).valeur, Some(2.0));
    // Satisfaction 2021: 4 sent, 3 returned; families 2 of 3.
    let rr = get(&r, RETURN_RATE, "AEMO-T", 2021);
    assert_eq!((rr.numerateur, rr.denominateur), (Some(3.0), Some(4.0)));
    let f = breakdown(&r, RETURN_RATE, "AEMO-T", 2021, "famille");
    assert_eq!((f.numerateur, f.denominateur), (Some(2.0), Some(3.0)));
    // Mean scores: Q1 (4 + 2 + 3) / 3 = 3; Q2 (3 + 2) / 2 = 2,5. Satisfied (global ≥ 3):
    // 2 of 3.
    assert_eq!(
        breakdown(&r, MEAN_SCORE, "AEMO-T", 2021, "question 1").valeur,
        Some(3.0)
    );
    assert_eq!(
        breakdown(&r, MEAN_SCORE, "AEMO-T", 2021, "question 2").valeur,
        Some(2.5)
    );
    let s = get(&r, SATISFIED, "AEMO-T", 2021);
    assert_eq!((s.numerateur, s.denominateur), (Some(2.0), Some(3.0)));
    // COPIL: fiche FA3 2021: 1 of 2 sub-actions done; 2022: 0 of 1; indicator 1 / 2.
    let c = breakdown(&r, SUB_ACTIONS_DONE, "AEMO-T", 2021, "FA3");
    assert_eq!((c.numerateur, c.denominateur), (Some(1.0), Some(2.0)));
    assert_eq!(
        breakdown(&r, SUB_ACTIONS_DONE, "AEMO-T", 2022, "FA3").valeur,
        Some(0.0)
    );
    let i = breakdown(
        &r,
        TARGETS_REACHED,
        "AEMO-T",
        2021,
        "FA3 — Salariés formés à ESOPPE (résultat)",
    );
    assert_eq!(
        (i.numerateur, i.denominateur, i.valeur),
        (Some(1.0), Some(2.0), Some(0.5))
    );
}

#[test]
fn the_catalogue_has_at_least_thirty_indicators_with_full_definitions() {
    let c = indicators::catalogue();
    assert!(c.len() >= 30, "{} indicateurs", c.len());
}

#[test]
fn remaining_breakdowns_by_hand() {
    use observatoire::indicators::hr::ETP_BY_JOB;
    use observatoire::indicators::persons::BY_FRAME;
    use observatoire::indicators::satisfaction::{RETURNED, SENT};
    let r = compute();
    // 2021: judicial measures Bruno, Chloé, Denis — 3 of 3 active (Alice's are
    // administrative and not active in 2021).
    let j = breakdown(&r, BY_FRAME, "AEMO-T", 2021, "judiciaire");
    assert_eq!((j.numerateur, j.denominateur), (Some(3.0), Some(3.0)));
    // 2022: Alice (administrative) 1 of 3.
    let a = breakdown(&r, BY_FRAME, "AEMO-T", 2022, "administratif");
    assert_eq!((a.numerateur, a.denominateur), (Some(1.0), Some(3.0)));
    let q = compute_quality();
    // 2022 ETP by job: éducateurs spécialisés E1 (1) + E5 (0,5) = 1,5.
    assert_eq!(
        breakdown(&q, ETP_BY_JOB, "AEMO-T", 2022, "Éducateur spécialisé").valeur,
        Some(1.5)
    );
    // Questionnaires 2021: 4 sent, 3 returned; partners 1 sent, 1 returned.
    assert_eq!(get(&q, SENT, "AEMO-T", 2021).valeur, Some(4.0));
    assert_eq!(get(&q, RETURNED, "AEMO-T", 2021).valeur, Some(3.0));
    assert_eq!(
        breakdown(&q, RETURNED, "AEMO-T", 2021, "partenaire").valeur,
        Some(1.0)
    );
}

#[test]
fn cross_sector_shares_by_hand() {
    use observatoire::indicators::cross_sector::{DITEP_ALSO_PE, PE_ALSO_DITEP};
    let dir = temp_dir("golden-cross");
    std::fs::write(
        dir.join("services.csv"),
        "Code service;Type;Secteur;Département;Année;Capacité autorisée;Unité\n\
         AEMO-T;AEMO;Protection de l'enfance;15;2021;10;mesures\nDITEP-T;DITEP;Médico-social;63;2021;10;places\n",
    )
    .unwrap();
    // Alice: AEMO and DITEP in 2021 (the DITEP file writes her name without accent and
    // with a space); Bruno: AEMO only; Chloé: DITEP only; Denis: AEMO ended in 2020.
    std::fs::write(
        dir.join("aemo.csv"),
        "Nom;Prénom;Date de naissance;Sexe;Nom de la mère;Type de mesure;Date de début;Date de fin\n\
         Arnaud;Anne-Lise;01/02/2010;F;Dupré;AEMO;01/01/2021;\nBernard;Bruno;02/03/2011;M;Roux;AED;01/06/2021;\n\
         Durand;Denis;04/05/2013;M;Faure;AEMO;01/01/2019;31/12/2020\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("ditep.csv"),
        "Nom;Prénom;Date de naissance;Sexe;Nom de la mère;Admission;Sortie\n\
         ARNAUD;Anne Lise;01/02/2010;F;Dupre;01/09/2021;\nColin;Chloé;03/04/2012;F;Petit;01/09/2021;\n",
    )
    .unwrap();
    let p = pipeline(
        &dir,
        "[pipeline]\nnom = \"golden intersectoriel\"\n[periode]\ndebut = 2021\nfin = 2021\n\
         [[sources]]\nfichier = \"services.csv\"\ntable = \"services\"\n\
         [[sources]]\nfichier = \"aemo.csv\"\ntable = \"accompagnements\"\nservice = \"AEMO-T\"\n\
         [[sources]]\nfichier = \"ditep.csv\"\ntable = \"accompagnements\"\nservice = \"DITEP-T\"\n",
    );
    let ing = ingest::ingest(&p).unwrap();
    let key = SecretKey::from_bytes([3; 32]);
    let (extract, _) =
        pseudonymise::pseudonymise(&ing.tables.accompaniments, &key, &Settings::new(2021)).unwrap();
    let (acc, _) = link::link(&extract, &link::Settings::default()).unwrap();
    let rows = observatoire::indicators::cross_sector::compute(
        &ing.tables.services,
        &acc,
        2021..=2021,
        &[0, 11, 18],
    )
    .unwrap();
    let find = |id: &str, code: Option<&str>, dim: Option<&str>, value: Option<&str>| {
        rows.iter()
            .find(|r| {
                r.indicateur == id
                    && r.code_territoire.as_deref() == code
                    && r.ventilation.as_deref() == dim
                    && r.modalite.as_deref() == value
            })
            .unwrap_or_else(|| panic!("{id} {code:?} {dim:?} {value:?}"))
    };
    // Children with a child-protection measure in 2021: Alice, Bruno (Denis ended in
    // 2020) → 2; of them also in the DITEP: Alice → 1/2.
    let pe = find(PE_ALSO_DITEP, None, None, None);
    assert_eq!(
        (pe.numerateur, pe.denominateur, pe.valeur),
        (Some(1.0), Some(2.0), Some(0.5))
    );
    // DITEP children in 2021: Alice, Chloé; with a child-protection measure: Alice → 1/2.
    let d = find(DITEP_ALSO_PE, None, None, None);
    assert_eq!((d.numerateur, d.denominateur), (Some(1.0), Some(2.0)));
    // By département of the service: the AEMO is in 15, the DITEP in 63.
    assert_eq!(
        find(PE_ALSO_DITEP, Some("15"), None, None).denominateur,
        Some(2.0)
    );
    assert_eq!(
        find(DITEP_ALSO_PE, Some("63"), None, None).numerateur,
        Some(1.0)
    );
    // By type of measure: Alice's AEMO (1 of 1 AEMO child in the DITEP), Bruno's AED (0 of 1).
    assert_eq!(
        find(PE_ALSO_DITEP, None, Some("type_mesure"), Some("AEMO")).valeur,
        Some(1.0)
    );
    assert_eq!(
        find(PE_ALSO_DITEP, None, Some("type_mesure"), Some("AED")).valeur,
        Some(0.0)
    );
    // By age at 31/12/2021: Alice 11 (11-17 ans), Bruno 10 (0-10 ans).
    assert_eq!(
        find(PE_ALSO_DITEP, None, Some("tranche_age"), Some("11-17 ans")).valeur,
        Some(1.0)
    );
    assert_eq!(
        find(PE_ALSO_DITEP, None, Some("tranche_age"), Some("0-10 ans")).valeur,
        Some(0.0)
    );
}

#[test]
fn quantities_shared_by_two_indicators_have_one_value() {
    // The registry says the age distribution's denominator is the file active, the
    // ESOPPE share's denominator is the headcount at 31/12, absenteeism's denominator is
    // ETP × 365…: on real computations, each shared cell must get the same value from
    // every row that names it (otherwise disclosure control would protect a wrong model).
    for (name, results, services) in [
        ("activité et personnes", compute(), "AEMO-T"),
        (
            "RH, formation, satisfaction, COPIL",
            compute_quality(),
            "AEMO-T",
        ),
    ] {
        let services = polars::df!["service" => [services], "annee" => [2022]].unwrap();
        let dir = observatoire::indicators::Directory::from_services(&services).unwrap();
        let built = observatoire::disclosure::cells::build(
            &results.rows,
            &dir,
            &observatoire::disclosure::Settings::default(),
        );
        assert_eq!(built.conflicts, 0, "{name}");
        assert!(!built.system.relations.is_empty(), "{name}");
    }
}
