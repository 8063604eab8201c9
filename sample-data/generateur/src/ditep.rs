//! Association Les Chemins — `DITEP Le Cèdre.ods`, a minimal OpenDocument
//! spreadsheet written by hand (`mimetype` stored first, manifest, content).
//!
//! Quirks: `Sexe` is `F`/`G`, `oui`/`non` and `x`/empty flags, French month
//! names, `ND` in some 2019 activity cells, and some children spelled
//! differently than in the child-protection files.

use std::error::Error;
use std::io::Write;

use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use crate::dates::{Date, MOIS, fr, iso};
use crate::names::fold;
use crate::output::Output;
use crate::world::{Service, Sex, Stay, World};

/// Path of the file, relative to the output directory.
pub const FILE: &str = "chemins/DITEP Le Cèdre.ods";

const MIMETYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

/// One cell of the sheet.
pub(crate) enum Cell {
    Text(String),
    Number(i64),
    Day(Date),
    Empty,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn cell_xml(cell: &Cell, bold: bool) -> String {
    let style = if bold {
        r#" table:style-name="ceT""#
    } else {
        ""
    };
    match cell {
        Cell::Text(s) => format!(
            r#"<table:table-cell{style} office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
            escape(s)
        ),
        Cell::Number(n) => format!(
            r#"<table:table-cell office:value-type="float" office:value="{n}"><text:p>{n}</text:p></table:table-cell>"#
        ),
        Cell::Day(d) => format!(
            r#"<table:table-cell table:style-name="ceD" office:value-type="date" office:date-value="{}"><text:p>{}</text:p></table:table-cell>"#,
            iso(*d),
            fr(*d)
        ),
        Cell::Empty => "<table:table-cell/>".to_string(),
    }
}

pub(crate) fn table_xml(name: &str, columns: usize, rows: &[(Vec<Cell>, bool)]) -> String {
    let mut x = format!(
        "<table:table table:name=\"{}\"><table:table-column table:style-name=\"co1\" table:number-columns-repeated=\"{columns}\"/>\n",
        escape(name)
    );
    for (cells, bold) in rows {
        x.push_str("<table:table-row>");
        for c in cells {
            x.push_str(&cell_xml(c, *bold));
        }
        x.push_str("</table:table-row>\n");
    }
    x.push_str("</table:table>\n");
    x
}

pub(crate) fn content_xml(tables: &[String]) -> String {
    let mut x = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        "\n",
        r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0""#,
        r#" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0""#,
        r#" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0""#,
        r#" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0""#,
        r#" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0""#,
        r#" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0""#,
        r#" office:version="1.2">"#,
        "<office:automatic-styles>",
        r#"<style:style style:name="co1" style:family="table-column"><style:table-column-properties style:column-width="3.2cm"/></style:style>"#,
        r#"<number:date-style style:name="N1"><number:day number:style="long"/><number:text>/</number:text><number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/></number:date-style>"#,
        r#"<style:style style:name="ceD" style:family="table-cell" style:data-style-name="N1"/>"#,
        r#"<style:style style:name="ceT" style:family="table-cell"><style:text-properties fo:font-weight="bold"/></style:style>"#,
        "</office:automatic-styles>",
        "<office:body><office:spreadsheet>\n",
    ));
    for t in tables {
        x.push_str(t);
    }
    x.push_str("</office:spreadsheet></office:body></office:document-content>\n");
    x
}

const MANIFEST: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    "\n",
    r#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">"#,
    "\n",
    r#" <manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>"#,
    "\n",
    r#" <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>"#,
    "\n",
    "</manifest:manifest>\n"
);

/// Packs an ODS file with fixed entry timestamps.
pub(crate) fn pack(content: &str) -> Result<Vec<u8>, Box<dyn Error>> {
    let stamp = zip::DateTime::from_date_and_time(2024, 1, 15, 9, 0, 0)
        .map_err(|e| format!("date d'archive invalide : {e}"))?;
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(stamp)
        .unix_permissions(0o644);
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(stamp)
        .unix_permissions(0o644);
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file("mimetype", stored)?;
    z.write_all(MIMETYPE.as_bytes())?;
    z.start_file("META-INF/manifest.xml", deflated)?;
    z.write_all(MANIFEST.as_bytes())?;
    z.start_file("content.xml", deflated)?;
    z.write_all(content.as_bytes())?;
    Ok(z.finish()?.into_inner())
}

/// The child's identity as the DITEP writes it.
fn spelled(world: &World, child: usize) -> (String, String, Option<String>) {
    let ch = &world.children[child];
    match &ch.ditep_spelling {
        Some(v) => (v.nom.clone(), v.prenom.clone(), v.mother.clone()),
        None => (ch.nom.clone(), ch.prenom.clone(), ch.mother.clone()),
    }
}

/// Writes the spreadsheet.
pub fn write(world: &World, out: &mut Output) -> Result<(), Box<dyn Error>> {
    let mut stays: Vec<&Stay> = world.stays_of(Service::Ditep).collect();
    stays.sort_by_key(|s| {
        let (nom, prenom, _) = spelled(world, s.child);
        (fold(&nom), fold(&prenom), nom, prenom, s.start)
    });

    let mut rows: Vec<(Vec<Cell>, bool)> = Vec::new();
    rows.push((
        vec![Cell::Text("DITEP Le Cèdre — enfants accompagnés".into())],
        true,
    ));
    let headers = [
        "Nom",
        "Prénom(s)",
        "Date de naissance",
        "Sexe",
        "Nom de la mère",
        "Notification MDPH",
        "Mesure ASE en cours",
        "Modalité",
        "Admission",
        "Sortie",
    ];
    rows.push((
        headers.iter().map(|h| Cell::Text((*h).into())).collect(),
        true,
    ));
    for s in &stays {
        let ch = &world.children[s.child];
        let (nom, prenom, mother) = spelled(world, s.child);
        rows.push((
            vec![
                Cell::Text(nom),
                Cell::Text(prenom),
                Cell::Day(ch.birth),
                Cell::Text(if ch.sex == Sex::F { "F" } else { "G" }.into()),
                mother.map_or(Cell::Empty, Cell::Text),
                Cell::Text(if ch.mdph { "oui" } else { "non" }.into()),
                if world.ditep_child_has_cp_overlap(s.child) {
                    Cell::Text("x".into())
                } else {
                    Cell::Empty
                },
                Cell::Text(s.kind.into()),
                Cell::Day(s.start),
                s.end.map_or(Cell::Empty, Cell::Day),
            ],
            false,
        ));
    }
    let enfants = table_xml("Enfants", 10, &rows);
    out.count(FILE, Some("Enfants"), rows.len(), stays.len());

    let mut rows: Vec<(Vec<Cell>, bool)> = vec![(
        ["Année", "Mois", "Journées réalisées", "Journées prévues"]
            .iter()
            .map(|h| Cell::Text((*h).into()))
            .collect(),
        true,
    )];
    for m in &world.ditep_activity {
        rows.push((
            vec![
                Cell::Number(i64::from(m.year)),
                Cell::Text(MOIS[(m.month - 1) as usize].into()),
                m.realised.map_or(Cell::Text("ND".into()), Cell::Number),
                Cell::Number(m.planned),
            ],
            false,
        ));
    }
    let activite = table_xml("Activité", 4, &rows);
    out.count(
        FILE,
        Some("Activité"),
        rows.len(),
        world.ditep_activity.len(),
    );

    let bytes = pack(&content_xml(&[enfants, activite]))?;
    out.write(FILE, &bytes)?;
    Ok(())
}
