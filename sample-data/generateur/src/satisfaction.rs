//! Satisfaction questionnaires of the APMN and of the DITEP, 2020–2023: one
//! row per questionnaire sent, scores from 1 (pas du tout satisfait) to 4
//! (très satisfait) when it came back.

use std::error::Error;

use chrono::Datelike;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use crate::dates::{Date, date, next_weekday, random_date};
use crate::ditep::{Cell, content_xml, pack, table_xml};
use crate::output::Output;
use crate::personnel::excel_date;
use crate::rng::Rng;
use crate::world::{INDICATOR_YEARS, Service};

/// APMN questionnaires, relative to the output directory.
pub const FILE_APMN: &str = "anef-cantal/Questionnaires de satisfaction 2020-2023.xlsx";
/// DITEP survey.
pub const FILE_DITEP: &str = "chemins/Enquête satisfaction.ods";

/// Headers of the APMN sheet `Envois` (row 1).
pub const HEADERS_APMN: [&str; 9] = [
    "N°",
    "Destinataire (famille/jeune/partenaire)",
    "Date d'envoi",
    "Retourné (x)",
    "Q1 Accueil",
    "Q2 Écoute",
    "Q3 Information",
    "Q4 Accompagnement",
    "Q5 Satisfaction globale",
];

/// Headers of the DITEP sheet `Réponses` (row 2, under a title).
pub const HEADERS_DITEP: [&str; 9] = [
    "Année",
    "Public",
    "Envoyé le",
    "Réponse reçue (oui/non)",
    "Note globale /4",
    "Accueil /4",
    "Communication avec l'équipe /4",
    "Projet personnalisé /4",
    "Commentaire",
];

/// Truth keys of the APMN questions, in column order.
pub const QUESTIONS_APMN: [&str; 5] = [
    "q1_accueil",
    "q2_ecoute",
    "q3_information",
    "q4_accompagnement",
    "q5_satisfaction_globale",
];

/// Truth keys of the DITEP questions, in column order.
pub const QUESTIONS_DITEP: [&str; 4] = [
    "note_globale",
    "accueil",
    "communication",
    "projet_personnalise",
];

/// Who the questionnaire was sent to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Public {
    /// Parents.
    Famille,
    /// The child or young person.
    Jeune,
    /// A partner (ASE, school, judge's office…).
    Partenaire,
}

impl Public {
    /// Every type, in truth order.
    pub const ALL: [Public; 3] = [Public::Famille, Public::Jeune, Public::Partenaire];

    /// Truth key, also the APMN spelling.
    pub fn key(self) -> &'static str {
        match self {
            Public::Famille => "famille",
            Public::Jeune => "jeune",
            Public::Partenaire => "partenaire",
        }
    }

    /// The DITEP's spelling.
    pub fn ditep(self) -> &'static str {
        match self {
            Public::Famille => "Parents",
            Public::Jeune => "Jeune",
            Public::Partenaire => "Partenaire",
        }
    }
}

/// One questionnaire sent.
#[derive(Clone, Debug)]
pub struct Questionnaire {
    /// Service.
    pub service: Service,
    /// APMN number `aaaa-nnn` (empty for the DITEP).
    pub numero: String,
    /// Recipient type.
    pub public: Public,
    /// Day sent.
    pub sent: Date,
    /// Whether it came back.
    pub returned: bool,
    /// Scores in column order (`None`: not returned or question left blank).
    pub answers: Vec<Option<u8>>,
    /// Free comment (DITEP only).
    pub comment: Option<&'static str>,
}

impl Questionnaire {
    /// Index of the overall-satisfaction question.
    pub fn global_index(&self) -> usize {
        match self.service {
            Service::Ditep => 0,
            _ => 4,
        }
    }

    /// Overall score, if returned.
    pub fn global(&self) -> Option<u8> {
        self.answers.get(self.global_index()).copied().flatten()
    }
}

const COMMENTS: [&str; 8] = [
    "Très bon accueil de l'équipe.",
    "Nous aimerions être davantage informés du projet de notre enfant.",
    "Les transports sont trop longs.",
    "Merci pour votre écoute.",
    "Difficile de joindre le service par téléphone.",
    "Bonne communication avec l'éducateur référent.",
    "Les réunions de projet sont trop espacées.",
    "Mon enfant a fait de gros progrès.",
];

/// Scores of a returned questionnaire: a base level, then each question
/// near it; the overall question is never left blank.
fn scores(rng: &mut Rng, n: usize, global: usize, base_weights: &[u32; 4]) -> Vec<Option<u8>> {
    let base = rng.weighted(base_weights) as i64 + 1;
    (0..n)
        .map(|k| {
            let noise = if k == global {
                [-1, 0, 1][rng.weighted(&[10, 80, 10])]
            } else {
                [-1, 0, 1][rng.weighted(&[15, 70, 15])]
            };
            let v = (base + noise).clamp(1, 4) as u8;
            if k != global && rng.chance(0.04) {
                None
            } else {
                Some(v)
            }
        })
        .collect()
}

fn build_apmn(rng: &mut Rng, out: &mut Vec<Questionnaire>) {
    for y in INDICATOR_YEARS {
        let n = rng.range(60, 80);
        let mut year: Vec<Questionnaire> = Vec::new();
        for _ in 0..n {
            let public = Public::ALL[rng.weighted(&[60, 15, 25])];
            let sent = next_weekday(random_date(rng, date(y, 1, 5), date(y, 12, 15)));
            let p = match public {
                Public::Famille if y == 2023 => 0.45,
                Public::Famille => 0.30,
                Public::Jeune => 0.35,
                Public::Partenaire => 0.50,
            };
            let returned = rng.chance(p);
            let answers = if returned {
                scores(rng, 5, 4, &[5, 15, 45, 35])
            } else {
                vec![None; 5]
            };
            year.push(Questionnaire {
                service: Service::Apmn,
                numero: String::new(),
                public,
                sent,
                returned,
                answers,
                comment: None,
            });
        }
        year.sort_by_key(|q| (q.sent, q.public));
        for (k, q) in year.iter_mut().enumerate() {
            q.numero = format!("{y}-{:03}", k + 1);
        }
        out.extend(year);
    }
}

fn build_ditep(rng: &mut Rng, out: &mut Vec<Questionnaire>) {
    for y in INDICATOR_YEARS {
        // The yearly campaign: May–June, September in 2020.
        let (from, to) = if y == 2020 {
            (date(y, 9, 7), date(y, 9, 25))
        } else {
            (date(y, 5, 15), date(y, 6, 12))
        };
        for (public, lo, hi, p) in [
            (Public::Famille, 40, 48, 0.40),
            (Public::Jeune, 15, 22, 0.60),
            (Public::Partenaire, 8, 12, 0.50),
        ] {
            let mut sent_days: Vec<Date> = (0..rng.range(lo, hi))
                .map(|_| next_weekday(random_date(rng, from, to)))
                .collect();
            sent_days.sort();
            for sent in sent_days {
                let returned = rng.chance(p);
                let answers = if returned {
                    scores(rng, 4, 0, &[4, 14, 47, 35])
                } else {
                    vec![None; 4]
                };
                let comment = if returned && rng.chance(0.3) {
                    Some(*rng.pick(&COMMENTS))
                } else {
                    None
                };
                out.push(Questionnaire {
                    service: Service::Ditep,
                    numero: String::new(),
                    public,
                    sent,
                    returned,
                    answers,
                    comment,
                });
            }
        }
    }
}

/// Builds the questionnaires of the APMN and of the DITEP.
pub fn build(rng: &mut Rng) -> Vec<Questionnaire> {
    let mut out = Vec::new();
    build_apmn(rng, &mut out);
    build_ditep(rng, &mut out);
    out
}

fn write_apmn(qs: &[Questionnaire], out: &mut Output) -> Result<(), Box<dyn Error>> {
    let rows: Vec<&Questionnaire> = qs.iter().filter(|q| q.service == Service::Apmn).collect();
    let mut wb = Workbook::new();
    wb.set_properties(&crate::doc_properties(
        "ANEF Cantal",
        "Questionnaires de satisfaction APMN 2020-2023",
    )?);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let center = Format::new().set_align(FormatAlign::Center);
    let ws = wb.add_worksheet();
    ws.set_name("Envois")?;
    for (col, h) in HEADERS_APMN.iter().enumerate() {
        ws.write_string_with_format(0, col as u16, *h, &header)?;
    }
    ws.set_row_height(0, 45)?;
    for (col, w) in [10, 16, 12, 10, 9, 9, 11, 14, 12].iter().enumerate() {
        ws.set_column_width(col as u16, *w)?;
    }
    let mut r = 1u32;
    for q in &rows {
        ws.write_string(r, 0, q.numero.as_str())?;
        ws.write_string(r, 1, q.public.key())?;
        ws.write_date_with_format(r, 2, &excel_date(q.sent)?, &day)?;
        if q.returned {
            ws.write_string_with_format(r, 3, "x", &center)?;
        }
        for (k, a) in q.answers.iter().enumerate() {
            if let Some(v) = a {
                ws.write_number_with_format(r, 4 + k as u16, f64::from(*v), &center)?;
            }
        }
        r += 1;
    }
    ws.set_freeze_panes(1, 0)?;
    let bytes = wb.save_to_buffer()?;
    out.write(FILE_APMN, &bytes)?;
    out.count_rh(FILE_APMN, Some("Envois"), r as usize, rows.len());
    Ok(())
}

fn write_ditep(qs: &[Questionnaire], out: &mut Output) -> Result<(), Box<dyn Error>> {
    let data: Vec<&Questionnaire> = qs.iter().filter(|q| q.service == Service::Ditep).collect();
    let mut rows: Vec<(Vec<Cell>, bool)> = vec![
        (
            vec![Cell::Text(
                "Enquête de satisfaction annuelle — DITEP Le Cèdre".into(),
            )],
            true,
        ),
        (
            HEADERS_DITEP
                .iter()
                .map(|h| Cell::Text((*h).into()))
                .collect(),
            true,
        ),
    ];
    for q in &data {
        let mut cells = vec![
            Cell::Number(i64::from(q.sent.year())),
            Cell::Text(q.public.ditep().into()),
            Cell::Day(q.sent),
            Cell::Text(if q.returned { "oui" } else { "non" }.into()),
        ];
        for a in &q.answers {
            cells.push(a.map_or(Cell::Empty, |v| Cell::Number(i64::from(v))));
        }
        cells.push(q.comment.map_or(Cell::Empty, |c| Cell::Text(c.into())));
        rows.push((cells, false));
    }
    let table = table_xml("Réponses", HEADERS_DITEP.len(), &rows);
    let bytes = pack(&content_xml(&[table]))?;
    out.write(FILE_DITEP, &bytes)?;
    out.count_rh(FILE_DITEP, Some("Réponses"), rows.len(), data.len());
    Ok(())
}

/// Writes the two satisfaction files.
pub fn write(qs: &[Questionnaire], out: &mut Output) -> Result<(), Box<dyn Error>> {
    write_apmn(qs, out)?;
    write_ditep(qs, out)?;
    Ok(())
}

/// Figures of one service, year and recipient type.
#[derive(Clone, Debug, PartialEq)]
pub struct SatisfactionFigures {
    /// Questionnaires sent.
    pub envoyes: usize,
    /// Questionnaires returned.
    pub retournes: usize,
    /// Per question: (sum of scores, answers).
    pub par_question: Vec<(u64, u64)>,
    /// Returned questionnaires with an overall score of 3 or 4.
    pub satisfaits: usize,
}

/// Computes the satisfaction figures.
pub fn figures(
    qs: &[Questionnaire],
    service: Service,
    year: i32,
    public: Public,
) -> SatisfactionFigures {
    let rows: Vec<&Questionnaire> = qs
        .iter()
        .filter(|q| q.service == service && q.sent.year() == year && q.public == public)
        .collect();
    let n = if service == Service::Ditep {
        QUESTIONS_DITEP.len()
    } else {
        QUESTIONS_APMN.len()
    };
    let par_question = (0..n)
        .map(|k| {
            rows.iter()
                .filter_map(|q| q.answers[k])
                .fold((0u64, 0u64), |(s, c), v| (s + u64::from(v), c + 1))
        })
        .collect();
    SatisfactionFigures {
        envoyes: rows.len(),
        retournes: rows.iter().filter(|q| q.returned).count(),
        par_question,
        satisfaits: rows
            .iter()
            .filter(|q| q.global().is_some_and(|g| g >= 3))
            .count(),
    }
}
