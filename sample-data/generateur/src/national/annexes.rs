//! Staff, training, satisfaction and COPIL action-plan files of an organisation, at the
//! scale of its services: one workbook « Ressources humaines » (sheets Personnel,
//! Formations, Envois, the input templates' headers plus a « Code service » column) and
//! one « Plan d'action COPIL » workbook (Sous-actions, Indicateurs). CSV organisations
//! write their staff as CSV `;` Windows-1252 with decimal commas instead.

use std::error::Error;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use super::{Kind, Layout, Network, Source, YEARS};
use crate::copil::STATUTS;
use crate::dates::{Date, date, fr, random_date};
use crate::formation::Theme;
use crate::names::{NOMS, PRENOMS_ADULTES_F, PRENOMS_ADULTES_M};
use crate::output::{Output, csv_line};
use crate::personnel::Metier;
use crate::pf::{decimal_comma, to_windows_1252};
use crate::rng::Rng;
use crate::satisfaction::Public;

struct Employee {
    id: String,
    name: String,
    service: usize,
    metier: &'static str,
    etp: f64,
    entry: Date,
    exit: Option<Date>,
    cdi: bool,
}

fn excel(d: Date) -> Result<ExcelDateTime, Box<dyn Error>> {
    use chrono::Datelike;
    Ok(ExcelDateTime::from_ymd(
        d.year() as u16,
        d.month() as u8,
        d.day() as u8,
    )?)
}

fn staff(net: &Network, o: usize, rng: &mut Rng) -> Vec<Employee> {
    let mut out = Vec::new();
    for &s in &net.orgs[o].services {
        let svc = &net.services[s];
        let per = if matches!(svc.kind, Kind::Aemo | Kind::Aed) {
            12
        } else {
            3
        };
        let n = (svc.capacity as usize / per).max(3);
        for _ in 0..n {
            let female = rng.chance(0.75);
            let first = if female {
                rng.pick(PRENOMS_ADULTES_F)
            } else {
                rng.pick(PRENOMS_ADULTES_M)
            };
            let entry = random_date(rng, date(2000, 1, 1), date(2023, 6, 30));
            let exit = rng
                .chance(0.25)
                .then(|| random_date(rng, entry.max(date(2020, 1, 1)), date(2023, 12, 31)))
                .filter(|e| *e > entry);
            out.push(Employee {
                id: format!("{}-{:05}", net.orgs[o].code, out.len() + 1),
                name: format!("{} {first}", rng.pick(NOMS)),
                service: s,
                metier: rng.pick(&Metier::ALL[..8]).label(),
                etp: *rng.pick(&[1.0, 1.0, 1.0, 0.8, 0.5]),
                entry,
                exit,
                cdi: rng.chance(0.85),
            });
        }
    }
    out
}

fn present(e: &Employee, y: i32) -> bool {
    e.entry <= date(y, 12, 31) && e.exit.is_none_or(|x| x >= date(y, 1, 1))
}

/// Writes the annex files of organisation `o`; returns their sources.
pub fn write(net: &Network, o: usize, out: &mut Output) -> Result<Vec<Source>, Box<dyn Error>> {
    let org = &net.orgs[o];
    let mut rng = Rng::stream(super::SEED, 1_000 + o as u64);
    let people = staff(net, o, &mut rng);
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let bold = Format::new().set_bold();
    let file = format!("{}/Ressources humaines 2020-2023.xlsx", org.folder);
    let mut wb = Workbook::new();
    wb.set_properties(&crate::doc_properties(&org.name, "Ressources humaines")?);
    let mut sources = Vec::new();
    let src =
        |name: &str, file: &str, sheet: Option<&str>, table: &'static str, toml: String| Source {
            name: format!("{} — {name}", org.name),
            file: file.to_string(),
            sheet: sheet.map(str::to_string),
            table,
            org: o,
            service: None,
            toml,
            records: Vec::new(),
        };

    // Staff: one row per employee and year.
    let csv_staff = matches!(org.layout, Layout::CsvPointVirgule | Layout::CsvVirgule);
    if csv_staff {
        let head = [
            "Année",
            "Code service",
            "Identifiant",
            "Métier",
            "ETP",
            "Entrée",
            "Sortie",
            "CDI (o/n)",
            "Absences maladie",
            "Absences AT",
            "Absences maternité",
            "Absences autres",
        ];
        let mut text = csv_line(&head.map(String::from), ';') + "\r\n";
        for y in YEARS {
            for e in people.iter().filter(|e| present(e, y)) {
                let f = [
                    y.to_string(),
                    net.services[e.service].code.clone(),
                    e.id.clone(),
                    e.metier.to_string(),
                    decimal_comma(e.etp),
                    fr(e.entry),
                    e.exit
                        .filter(|x| x.format("%Y").to_string() == y.to_string())
                        .map(fr)
                        .unwrap_or_default(),
                    if e.cdi { "o".into() } else { "n".into() },
                    rng.range(0, 20).to_string(),
                    rng.range(0, 2).to_string(),
                    "0".into(),
                    rng.range(0, 5).to_string(),
                ];
                text.push_str(&csv_line(&f, ';'));
                text.push_str("\r\n");
            }
        }
        let f = format!("{}/personnel_2020_2023.csv", org.folder);
        out.write(&f, &to_windows_1252(&text)?)?;
        sources.push(src(
            "personnel",
            &f,
            None,
            "personnel",
            "[sources.colonnes]\nsalarie = \"Identifiant\"\ntype_contrat = \"CDI (o/n)\"\ndate_entree = \"Entrée\"\ndate_sortie = \"Sortie\"\nabsence_autres = \"Absences autres\"\n[sources.valeurs.type_contrat]\n\"o\" = \"CDI\"\n\"n\" = \"CDD\"\n[sources.csv]\nencodage = \"windows-1252\"\nseparateur = \";\"\n".into(),
        ));
    } else {
        let ws = wb.add_worksheet().set_name("Personnel")?;
        let head = [
            "Code service",
            "Matricule",
            "Nom Prénom",
            "Année",
            "Fonction",
            "ETP moyen",
            "Date d'entrée",
            "Date de sortie",
            "Contrat",
            "Jours maladie",
            "Jours accident du travail",
            "Jours maternité/paternité",
            "Autres absences (jours)",
        ];
        for (c, h) in head.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        let mut row = 1u32;
        for y in YEARS {
            for e in people.iter().filter(|e| present(e, y)) {
                ws.write_string(row, 0, &net.services[e.service].code)?;
                ws.write_string(row, 1, &e.id)?;
                ws.write_string(row, 2, &e.name)?;
                ws.write_number(row, 3, f64::from(y))?;
                ws.write_string(row, 4, e.metier)?;
                ws.write_number(row, 5, e.etp)?;
                ws.write_datetime_with_format(row, 6, excel(e.entry)?, &day)?;
                if let Some(x) = e
                    .exit
                    .filter(|x| *x <= date(y, 12, 31) && *x >= date(y, 1, 1))
                {
                    ws.write_datetime_with_format(row, 7, excel(x)?, &day)?;
                }
                ws.write_string(row, 8, if e.cdi { "CDI" } else { "CDD" })?;
                for c in 9..13u16 {
                    ws.write_number(row, c, rng.range(0, if c == 9 { 20 } else { 3 }) as f64)?;
                }
                row += 1;
            }
        }
        sources.push(src(
            "personnel",
            &file,
            Some("Personnel"),
            "personnel",
            "[sources.colonnes]\nsalarie = \"Matricule\"\n".into(),
        ));
    }

    // Trainings: about one every two employee-years.
    let ws = wb.add_worksheet().set_name("Formations")?;
    let head = [
        "Code service",
        "Matricule",
        "Thème",
        "Organisme",
        "Date",
        "Jours demandés",
        "Jours réalisés",
        "Inter-associatif (oui/non)",
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let mut row = 1u32;
    for y in YEARS {
        for e in people.iter().filter(|e| present(e, y)) {
            if !rng.chance(0.5) {
                continue;
            }
            let asked = *rng.pick(&[1.0, 2.0, 3.0, 5.0]);
            ws.write_string(row, 0, &net.services[e.service].code)?;
            ws.write_string(row, 1, &e.id)?;
            ws.write_string(row, 2, rng.pick(&Theme::ALL).label())?;
            ws.write_string(
                row,
                3,
                *rng.pick(&["IRTS", "CNAM", "Organisme interne", "CREAI"]),
            )?;
            let d = random_date(&mut rng, date(y, 1, 15), date(y, 12, 15));
            ws.write_datetime_with_format(row, 4, excel(d)?, &day)?;
            ws.write_number(row, 5, asked)?;
            ws.write_number(row, 6, if rng.chance(0.85) { asked } else { 0.0 })?;
            ws.write_string(row, 7, if rng.chance(0.2) { "oui" } else { "non" })?;
            row += 1;
        }
    }
    sources.push(src(
        "formations",
        &file,
        Some("Formations"),
        "formation",
        String::new(),
    ));

    // Satisfaction questionnaires: about one for eight places or measures, each year.
    let ws = wb.add_worksheet().set_name("Envois")?;
    let head = [
        "Code service",
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
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let mut row = 1u32;
    for &s in &org.services {
        let svc = &net.services[s];
        for y in YEARS {
            for k in 0..(svc.capacity / 8).max(2) {
                ws.write_string(row, 0, &svc.code)?;
                ws.write_string(row, 1, format!("{y}-{:04}", k + 1))?;
                ws.write_string(row, 2, rng.pick(&Public::ALL).key())?;
                let d = random_date(&mut rng, date(y, 3, 1), date(y, 11, 30));
                ws.write_datetime_with_format(row, 3, excel(d)?, &day)?;
                if rng.chance(0.45) {
                    ws.write_string(row, 4, "x")?;
                    for c in 5..10u16 {
                        ws.write_number(row, c, rng.range(2, 4) as f64)?;
                    }
                }
                row += 1;
            }
        }
    }
    sources.push(src(
        "questionnaires de satisfaction",
        &file,
        Some("Envois"),
        "satisfaction",
        "[sources.colonnes]\nnumero = \"N°\"\ntype_repondant = \"Destinataire (famille/jeune/partenaire)\"\nretourne = \"Retourné (x)\"\nquestion_1 = \"Q1 Accueil\"\nquestion_2 = \"Q2 Écoute\"\nquestion_3 = \"Q3 Information\"\nquestion_4 = \"Q4 Accompagnement\"\nsatisfaction_globale = \"Q5 Satisfaction globale\"\n".into(),
    ));
    out.write(&file, &wb.save_to_buffer()?)?;

    // COPIL action plan: four action sheets, three sub-actions and two indicators each.
    let plan = format!("{}/Plan d'action COPIL qualité.xlsx", org.folder);
    let mut wb = Workbook::new();
    wb.set_properties(&crate::doc_properties(&org.name, "Plan d'action COPIL")?);
    let subs = wb.add_worksheet().set_name("Sous-actions")?;
    for (c, h) in ["Fiche", "Objectif", "Sous-action", "Année", "Statut"]
        .iter()
        .enumerate()
    {
        subs.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let mut row = 1u32;
    for f in 1..=4 {
        for a in 1..=3 {
            for y in YEARS {
                subs.write_string(row, 0, format!("Fiche {f}"))?;
                subs.write_string(row, 1, format!("Objectif {f}"))?;
                subs.write_string(row, 2, format!("Sous-action {f}.{a}"))?;
                subs.write_number(row, 3, f64::from(y))?;
                subs.write_string(row, 4, *rng.pick(&STATUTS))?;
                row += 1;
            }
        }
    }
    let ind = wb.add_worksheet().set_name("Indicateurs")?;
    for (c, h) in [
        "Fiche",
        "Indicateur",
        "Type (suivi/résultat)",
        "Année",
        "Cible",
        "Valeur observée",
    ]
    .iter()
    .enumerate()
    {
        ind.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let mut row = 1u32;
    for f in 1..=4 {
        for (k, t) in ["suivi", "résultat"].iter().enumerate() {
            for y in YEARS {
                ind.write_string(row, 0, format!("Fiche {f}"))?;
                ind.write_string(row, 1, format!("Indicateur {f}.{}", k + 1))?;
                ind.write_string(row, 2, *t)?;
                ind.write_number(row, 3, f64::from(y))?;
                ind.write_number(row, 4, 80.0)?;
                ind.write_number(row, 5, rng.range(50, 100) as f64)?;
                row += 1;
            }
        }
    }
    out.write(&plan, &wb.save_to_buffer()?)?;
    let first = net.services[org.services[0]].code.clone();
    for sheet in ["Sous-actions", "Indicateurs"] {
        let mut s = src(
            &format!("COPIL, {}", sheet.to_lowercase()),
            &plan,
            Some(sheet),
            "plan_action",
            String::new(),
        );
        s.service = Some(first.clone());
        sources.push(s);
    }
    Ok(sources)
}
