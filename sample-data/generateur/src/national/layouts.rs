//! The accompaniment files of an organisation, in its [`Layout`], and its monthly
//! activity (CSV `;`, UTF-8, one row per service and month).

use std::error::Error;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

use super::{Layout, Network, Record, Source, YEARS};
use crate::dates::{Date, days_in_month, fr, iso};
use crate::ditep::{Cell, content_xml, pack, table_xml};
use crate::output::{Output, csv_line};
use crate::pf::to_windows_1252;
use crate::population::Identity;

fn cadre(r: &Record) -> &'static str {
    if r.judicial {
        "Judiciaire"
    } else {
        "Administratif"
    }
}

fn excel(d: Date) -> Result<ExcelDateTime, Box<dyn Error>> {
    use chrono::Datelike;
    Ok(ExcelDateTime::from_ymd(
        d.year() as u16,
        d.month() as u8,
        d.day() as u8,
    )?)
}

fn mapping(pairs: &[(&str, &str)]) -> String {
    let mut t = String::from("[sources.colonnes]\n");
    for (k, v) in pairs {
        t.push_str(&format!("{k} = {}\n", toml_str(v)));
    }
    t
}

/// A TOML basic string.
pub fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

const CADRE_VALUES: &str = "[sources.valeurs.cadre]\n\"Administratif\" = \"administratif\"\n\"Judiciaire\" = \"judiciaire\"\n";

/// Writes the accompaniment file(s) and the activity file of organisation `o`; returns
/// their sources.
pub fn write(net: &Network, o: usize, out: &mut Output) -> Result<Vec<Source>, Box<dyn Error>> {
    let org = &net.orgs[o];
    let rows: Vec<usize> = (0..net.records.len())
        .filter(|&i| net.services[net.records[i].service].org == o)
        .collect();
    let mut sources = match org.layout {
        Layout::Suivi => vec![suivi(net, o, rows, out)?],
        Layout::Onglets => onglets(net, o, rows, out)?,
        Layout::Ods => vec![ods(net, o, rows, out)?],
        Layout::CsvPointVirgule | Layout::CsvVirgule => vec![csv(net, o, rows, out)?],
    };
    sources.push(activity(net, o, out)?);
    Ok(sources)
}

fn source(net: &Network, o: usize, name: String, file: String, toml: String) -> Source {
    Source {
        name: format!("{} — {name}", net.orgs[o].name),
        file,
        sheet: None,
        table: "accompagnements",
        org: o,
        service: None,
        toml,
        records: Vec::new(),
    }
}

/// xlsx: « Lisez-moi » first, two title rows, the header on row 4, text dates (now and
/// then ISO), a total and a note under the data.
fn suivi(
    net: &Network,
    o: usize,
    rows: Vec<usize>,
    out: &mut Output,
) -> Result<Source, Box<dyn Error>> {
    let org = &net.orgs[o];
    let file = format!("{}/Suivi des mesures 2017-2023.xlsx", org.folder);
    let mut wb = Workbook::new();
    wb.set_properties(&crate::doc_properties(&org.name, "Suivi des mesures")?);
    let readme = wb.add_worksheet().set_name("Lisez-moi")?;
    readme.write_string(
        0,
        0,
        format!(
            "Extraction du logiciel de suivi de {}, faite le 15/01/2024.",
            org.name
        ),
    )?;
    readme.write_string(
        1,
        0,
        "Une ligne par mesure ; les mesures en cours n'ont pas de date de fin.",
    )?;
    let ws = wb.add_worksheet().set_name("Mesures")?;
    let bold = Format::new().set_bold();
    ws.write_string_with_format(0, 0, format!("{} — suivi des mesures", org.name), &bold)?;
    ws.write_string(1, 0, "Extraction du 15/01/2024")?;
    let header = [
        "N° dossier",
        "NOM",
        "Prénom",
        "Né(e) le",
        "Sexe",
        "Nom de naissance de la mère",
        "Code service",
        "Type de mesure",
        "Cadre",
        "Date de début",
        "Date de fin",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(3, c as u16, *h, &bold)?;
    }
    let text_date = |d: Date, i: usize| if i % 17 == 3 { iso(d) } else { fr(d) };
    let mut row = 4u32;
    for &i in &rows {
        let r = &net.records[i];
        let id = &net.identities[r.identity];
        ws.write_string(row, 0, &r.dossier)?;
        ws.write_string(row, 1, id.nom.to_uppercase())?;
        ws.write_string(row, 2, &id.prenom)?;
        ws.write_string(row, 3, text_date(id.date_naissance, i))?;
        ws.write_string(row, 4, id.sexe.to_string())?;
        if let Some(m) = &id.nom_mere {
            ws.write_string(row, 5, m)?;
        }
        ws.write_string(row, 6, &net.services[r.service].code)?;
        ws.write_string(row, 7, r.measure)?;
        ws.write_string(row, 8, cadre(r))?;
        ws.write_string(row, 9, text_date(r.start, i + 1))?;
        if let Some(e) = r.end {
            ws.write_string(row, 10, text_date(e, i + 2))?;
        }
        row += 1;
    }
    ws.write_string(row + 1, 0, "Total mesures :")?;
    ws.write_number(row + 1, 1, rows.len() as f64)?;
    ws.write_string(row + 2, 0, "Document interne — ne pas diffuser")?;
    out.write(&file, &wb.save_to_buffer()?)?;
    let toml = format!(
        "feuille = \"Mesures\"\nligne_entete = \"auto\"\n{}{CADRE_VALUES}[sources.valeurs.type_mesure]\n\"AEMO R\" = \"AEMO renforcée\"\n",
        mapping(&[
            ("numero_dossier", "N° dossier"),
            ("nom", "NOM"),
            ("prenom", "Prénom"),
            ("date_naissance", "Né(e) le"),
            ("sexe", "Sexe"),
            ("nom_mere", "Nom de naissance de la mère"),
            ("service", "Code service"),
            ("type_mesure", "Type de mesure"),
            ("cadre", "Cadre"),
            ("date_debut", "Date de début"),
            ("date_fin", "Date de fin"),
        ])
    );
    let mut s = source(net, o, "suivi des mesures".into(), file, toml);
    s.records = rows;
    Ok(s)
}

/// xlsx: one sheet per service (named by its code), real Excel dates, no service column.
fn onglets(
    net: &Network,
    o: usize,
    rows: Vec<usize>,
    out: &mut Output,
) -> Result<Vec<Source>, Box<dyn Error>> {
    let org = &net.orgs[o];
    let file = format!("{}/Jeunes accueillis.xlsx", org.folder);
    let mut wb = Workbook::new();
    wb.set_properties(&crate::doc_properties(&org.name, "Jeunes accueillis")?);
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let header = [
        "Nom de famille",
        "Prénom",
        "Date de naissance",
        "Sexe",
        "Nom de la mère",
        "Statut",
        "Date d'admission",
        "Date de sortie",
    ];
    let mut sources = Vec::new();
    for &s in &org.services {
        let svc = &net.services[s];
        let ws: &mut Worksheet = wb.add_worksheet().set_name(&svc.code)?;
        for (c, h) in header.iter().enumerate() {
            ws.write_string(0, c as u16, *h)?;
        }
        let mine: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| net.records[i].service == s)
            .collect();
        for (k, &i) in mine.iter().enumerate() {
            let r = &net.records[i];
            let id: &Identity = &net.identities[r.identity];
            let row = k as u32 + 1;
            ws.write_string(row, 0, &id.nom)?;
            ws.write_string(row, 1, &id.prenom)?;
            ws.write_datetime_with_format(row, 2, excel(id.date_naissance)?, &day)?;
            ws.write_string(row, 3, id.sexe.to_string())?;
            if let Some(m) = &id.nom_mere {
                ws.write_string(row, 4, m)?;
            }
            ws.write_string(row, 5, r.measure)?;
            ws.write_datetime_with_format(row, 6, excel(r.start)?, &day)?;
            if let Some(e) = r.end {
                ws.write_datetime_with_format(row, 7, excel(e)?, &day)?;
            }
        }
        let toml = format!(
            "feuille = {}\nservice = {}\n{}",
            toml_str(&svc.code),
            toml_str(&svc.code),
            mapping(&[
                ("nom", "Nom de famille"),
                ("prenom", "Prénom"),
                ("date_naissance", "Date de naissance"),
                ("sexe", "Sexe"),
                ("nom_mere", "Nom de la mère"),
                ("type_mesure", "Statut"),
                ("date_debut", "Date d'admission"),
                ("date_fin", "Date de sortie"),
            ])
        );
        let mut src = source(net, o, svc.name.clone(), file.clone(), toml);
        src.sheet = Some(svc.code.clone());
        src.records = mine;
        sources.push(src);
    }
    out.write(&file, &wb.save_to_buffer()?)?;
    Ok(sources)
}

/// OpenDocument: sex `F`/`G`, date cells, a title row above the header.
fn ods(
    net: &Network,
    o: usize,
    rows: Vec<usize>,
    out: &mut Output,
) -> Result<Source, Box<dyn Error>> {
    let org = &net.orgs[o];
    let file = format!("{}/Enfants accompagnés.ods", org.folder);
    let header = [
        "Nom",
        "Prénom",
        "Date de naissance",
        "Sexe",
        "Nom de la mère",
        "Code service",
        "Type",
        "Admission",
        "Sortie",
    ];
    let mut table: Vec<(Vec<Cell>, bool)> = vec![(
        vec![Cell::Text(format!("{} — enfants accompagnés", org.name))],
        true,
    )];
    table.push((
        header.iter().map(|h| Cell::Text(h.to_string())).collect(),
        true,
    ));
    for &i in &rows {
        let r = &net.records[i];
        let id = &net.identities[r.identity];
        table.push((
            vec![
                Cell::Text(id.nom.clone()),
                Cell::Text(id.prenom.clone()),
                Cell::Day(id.date_naissance),
                Cell::Text(if id.sexe == 'M' {
                    "G".into()
                } else {
                    "F".into()
                }),
                id.nom_mere.clone().map_or(Cell::Empty, Cell::Text),
                Cell::Text(net.services[r.service].code.clone()),
                Cell::Text(r.measure.into()),
                Cell::Day(r.start),
                r.end.map_or(Cell::Empty, Cell::Day),
            ],
            false,
        ));
    }
    let content = content_xml(&[table_xml("Enfants", header.len(), &table)]);
    out.write(&file, &pack(&content)?)?;
    let toml = format!(
        "feuille = \"Enfants\"\nligne_entete = 2\n{}[sources.valeurs.sexe]\n\"G\" = \"M\"\n",
        mapping(&[
            ("nom", "Nom"),
            ("prenom", "Prénom"),
            ("date_naissance", "Date de naissance"),
            ("sexe", "Sexe"),
            ("nom_mere", "Nom de la mère"),
            ("service", "Code service"),
            ("type_mesure", "Type"),
            ("date_debut", "Admission"),
            ("date_fin", "Sortie"),
        ])
    );
    let mut s = source(net, o, "enfants accompagnés".into(), file, toml);
    s.records = rows;
    Ok(s)
}

/// CSV: `;` in Windows-1252 with CRLF, or `,` in UTF-8; French dates.
fn csv(
    net: &Network,
    o: usize,
    rows: Vec<usize>,
    out: &mut Output,
) -> Result<Source, Box<dyn Error>> {
    let org = &net.orgs[o];
    let semicolon = org.layout == Layout::CsvPointVirgule;
    let (sep, eol) = if semicolon {
        (';', "\r\n")
    } else {
        (',', "\n")
    };
    let header: [&str; 10] = if semicolon {
        [
            "N° dossier",
            "Nom",
            "Prénom",
            "Date naiss.",
            "Sexe",
            "Nom mère",
            "Code service",
            "Type accueil",
            "Date entrée",
            "Date sortie",
        ]
    } else {
        [
            "dossier",
            "nom",
            "prenom",
            "naissance",
            "sexe",
            "nom_mere",
            "service",
            "mesure",
            "debut",
            "fin",
        ]
    };
    let mut text = csv_line(&header.map(String::from), sep) + eol;
    for &i in &rows {
        let r = &net.records[i];
        let id = &net.identities[r.identity];
        let fields = [
            r.dossier.clone(),
            id.nom.clone(),
            id.prenom.clone(),
            fr(id.date_naissance),
            id.sexe.to_string(),
            id.nom_mere.clone().unwrap_or_default(),
            net.services[r.service].code.clone(),
            r.measure.to_string(),
            fr(r.start),
            r.end.map(fr).unwrap_or_default(),
        ];
        text.push_str(&csv_line(&fields, sep));
        text.push_str(eol);
    }
    let (file, bytes, settings) = if semicolon {
        (
            format!("{}/export_accompagnements.csv", org.folder),
            to_windows_1252(&text)?,
            "[sources.csv]\nencodage = \"windows-1252\"\nseparateur = \";\"\n",
        )
    } else {
        (
            format!("{}/accompagnements.csv", org.folder),
            text.into_bytes(),
            "[sources.csv]\nseparateur = \",\"\n",
        )
    };
    out.write(&file, &bytes)?;
    let names: Vec<(&str, &str)> = [
        "numero_dossier",
        "nom",
        "prenom",
        "date_naissance",
        "sexe",
        "nom_mere",
        "service",
        "type_mesure",
        "date_debut",
        "date_fin",
    ]
    .into_iter()
    .zip(header)
    .collect();
    let toml = format!("{}{settings}", mapping(&names));
    let mut s = source(net, o, "accompagnements".into(), file, toml);
    s.records = rows;
    Ok(s)
}

/// Monthly activity of every service of the organisation: days done and funded.
fn activity(net: &Network, o: usize, out: &mut Output) -> Result<Source, Box<dyn Error>> {
    let org = &net.orgs[o];
    let file = format!("{}/activite_mensuelle.csv", org.folder);
    let mut text = String::from("Code service;Année;Mois;Journées réalisées;Journées financées\n");
    for &s in &org.services {
        let svc = &net.services[s];
        for y in YEARS {
            for m in 1..=12u32 {
                let funded = i64::from(svc.capacity) * i64::from(days_in_month(y, m));
                let done =
                    funded * (85 + (s as i64 * 7 + i64::from(m) * 3 + i64::from(y)) % 15) / 100;
                text.push_str(&format!("{};{y};{m};{done};{funded}\n", svc.code));
            }
        }
    }
    out.write(&file, text.as_bytes())?;
    Ok(Source {
        name: format!("{} — activité mensuelle", org.name),
        file,
        sheet: None,
        table: "activite",
        org: o,
        service: None,
        toml: "[sources.csv]\nseparateur = \";\"\n".into(),
        records: Vec::new(),
    })
}
