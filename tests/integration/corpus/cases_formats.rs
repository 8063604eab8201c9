//! Corpus cases: workbook formats (xlsx, xlsm, xlsb, xls, ods) read within bounds and in
//! isolation. Each hostile file of finding 3 and 4 for each format (shared strings
//! claiming 10^14 entries, an `.xls` DIMENSIONS of 4 294 967 295 rows or a forged column,
//! an `.xlsb` with cells in A1 and XFD1048576, an `.ods` that repeats rows × columns in a
//! sheet the pipeline does not read, a zip bomb, a million cells sharing one 4 KiB
//! string, a 100 MB cell), the classic traps (empty, truncated, a CSV, a PDF or an HTML
//! export renamed, no sheet, hidden sheets only, formula-like and very long sheet names,
//! a password, a missing shared-strings part, duplicated zip entries, non-UTF-8 XML), the
//! configurable limits and the death of the isolated reader. Every failing case exits 1
//! with a French message naming the file, never library text (finding 10), never a sheet
//! name (finding 2).

use std::io::{Cursor, Read, Write};

use super::*;

const SERVICE_HEADERS: [&str; 4] = ["Année", "Mois", "Journées réalisées", "Journées théoriques"];

/// Pipeline: the services table, then one activity source for service S1 read from
/// `file`, with `extra` lines in the source and `limits` after it.
fn pipeline(file: &str, extra: &str, limits: &str) -> String {
    format!(
        "{}{}[[sources]]\nfichier = \"{file}\"\ntable = \"activite\"\nservice = \"S1\"\n{extra}\n{limits}",
        head("formats"),
        services_source()
    )
}

/// A failing case: exit 1, the file named, the extra mentions.
fn failing(name: &'static str, file: &str, bytes: Vec<u8>, extra: &str, limits: &str) -> Case {
    Case::new(
        name,
        pipeline(file, extra, limits),
        Cmd::Executer,
        exit::INVALID,
    )
    .file("services.csv", services_csv())
    .file(file, bytes)
    .mention(file)
    .check(no_library_text)
}

/// No English library text, no abort, no value in the messages.
fn no_library_text(o: &Outcome) {
    for w in [
        "error",
        "Error",
        "Zip",
        "EOCD",
        "memory allocation",
        "panicked",
        "calamine",
        "Xlsx",
    ] {
        assert!(
            !o.stderr.contains(w) && !o.stdout.contains(w),
            "texte de bibliothèque « {w} » dans les messages :\n{}",
            o.stderr
        );
    }
    assert!(
        o.stderr.contains("Erreur : fichier"),
        "message sans fichier : {}",
        o.stderr
    );
}

// --- xlsx ------------------------------------------------------------------------------

/// A clean activity workbook made by rust_xlsxwriter (shared strings included).
fn xlsx_activity() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("Activité").unwrap();
    for (c, h) in SERVICE_HEADERS.iter().enumerate() {
        ws.write(0, c as u16, *h).unwrap();
    }
    for (r, m) in ["janvier", "février"].iter().enumerate() {
        let r = r as u32 + 1;
        ws.write(r, 0, 2021).unwrap();
        ws.write(r, 1, *m).unwrap();
        ws.write(r, 2, 100).unwrap();
        ws.write(r, 3, 120).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// Rewrites a zip: `edit` returns the new content of a part, or `None` to drop it.
fn rezip(bytes: &[u8], edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>) -> Vec<u8> {
    let mut a = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..a.len() {
        let mut f = a.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut content = Vec::new();
        f.read_to_end(&mut content).unwrap();
        if let Some(c) = edit(&name, content) {
            w.start_file(name, o).unwrap();
            w.write_all(&c).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

fn zip_parts(parts: &[(&str, &[u8])], stored_first: bool) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (i, (n, b)) in parts.iter().enumerate() {
        let method = if stored_first && i == 0 {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .large_file(b.len() > u32::MAX as usize / 2);
        w.start_file(*n, o).unwrap();
        w.write_all(b).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A hand-made xlsx: `sheets` are (name, state, sheet XML); `shared` the shared strings.
fn xlsx_parts(sheets: &[(&str, &str, Vec<u8>)], shared: Option<Vec<u8>>) -> Vec<u8> {
    let rels = br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    let mut wb = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    );
    let mut wrels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    for (i, (name, state, _)) in sheets.iter().enumerate() {
        let n = i + 1;
        wb.push_str(&format!(
            r#"<sheet name="{name}" sheetId="{n}" state="{state}" r:id="rId{n}"/>"#
        ));
        wrels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
    }
    wb.push_str("</sheets></workbook>");
    wrels.push_str("</Relationships>");
    let names: Vec<String> = (1..=sheets.len())
        .map(|n| format!("xl/worksheets/sheet{n}.xml"))
        .collect();
    let mut parts: Vec<(&str, &[u8])> = vec![
        ("_rels/.rels", rels),
        ("xl/workbook.xml", wb.as_bytes()),
        ("xl/_rels/workbook.xml.rels", wrels.as_bytes()),
    ];
    for (i, (_, _, xml)) in sheets.iter().enumerate() {
        parts.push((names[i].as_str(), xml.as_slice()));
    }
    if let Some(s) = &shared {
        parts.push(("xl/sharedStrings.xml", s.as_slice()));
    }
    zip_parts(&parts, false)
}

fn sheet_xml(rows: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
    )
    .into_bytes()
}

/// The activity table as inline strings and numbers, for hand-made sheets, its header on
/// row `first` (1-based).
fn activity_rows_at(first: u32) -> String {
    let data = first + 1;
    let mut s = format!(r#"<row r="{first}">"#);
    for (c, h) in SERVICE_HEADERS.iter().enumerate() {
        let col = (b'A' + c as u8) as char;
        s.push_str(&format!(
            r#"<c r="{col}{first}" t="inlineStr"><is><t>{h}</t></is></c>"#
        ));
    }
    s.push_str(&format!(
        r#"</row><row r="{data}"><c r="A{data}"><v>2021</v></c><c r="B{data}" t="inlineStr"><is><t>janvier</t></is></c><c r="C{data}"><v>100</v></c><c r="D{data}"><v>120</v></c></row>"#
    ));
    s
}

fn activity_rows() -> String {
    activity_rows_at(1)
}

/// Patches the uncompressed size that a zip declares for `name` (local header and central
/// directory), leaving the compressed data as it is: a lying archive.
fn lie_about_size(bytes: &mut [u8], name: &str, size: u32) {
    let n = name.as_bytes();
    for i in 0..bytes.len().saturating_sub(46 + n.len()) {
        if bytes[i..].starts_with(b"PK\x03\x04") && bytes[i + 30..].starts_with(n) {
            bytes[i + 22..i + 26].copy_from_slice(&size.to_le_bytes());
        }
        if bytes[i..].starts_with(b"PK\x01\x02") && bytes[i + 46..].starts_with(n) {
            bytes[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
        }
    }
}

// --- xls -------------------------------------------------------------------------------

fn rec(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut v = typ.to_le_bytes().to_vec();
    v.extend((data.len() as u16).to_le_bytes());
    v.extend(data);
    v
}

fn bof(dt: u16) -> Vec<u8> {
    let mut d = vec![0x00, 0x06];
    d.extend(dt.to_le_bytes());
    d.extend([0u8; 12]);
    rec(0x0809, &d)
}

fn latin1(s: &str) -> Vec<u8> {
    s.chars().map(|c| c as u32 as u8).collect()
}

fn xls_label(r: u16, c: u16, s: &str) -> Vec<u8> {
    let b = latin1(s);
    let mut d = r.to_le_bytes().to_vec();
    d.extend(c.to_le_bytes());
    d.extend(0u16.to_le_bytes());
    d.extend((b.len() as u16).to_le_bytes());
    d.push(0);
    d.extend(b);
    rec(0x0204, &d)
}

fn xls_number(r: u16, c: u16, v: f64) -> Vec<u8> {
    let mut d = r.to_le_bytes().to_vec();
    d.extend(c.to_le_bytes());
    d.extend(0u16.to_le_bytes());
    d.extend(v.to_le_bytes());
    rec(0x0203, &d)
}

fn xls_dimensions(rf: u32, rl: u32, cf: u16, cl: u16) -> Vec<u8> {
    let mut d = rf.to_le_bytes().to_vec();
    d.extend(rl.to_le_bytes());
    d.extend(cf.to_le_bytes());
    d.extend(cl.to_le_bytes());
    d.extend([0, 0]);
    rec(0x0200, &d)
}

fn xls_activity_cells() -> Vec<u8> {
    let mut v = Vec::new();
    for (c, h) in SERVICE_HEADERS.iter().enumerate() {
        v.extend(xls_label(0, c as u16, h));
    }
    v.extend(xls_number(1, 0, 2021.0));
    v.extend(xls_label(1, 1, "janvier"));
    v.extend(xls_number(1, 2, 100.0));
    v.extend(xls_number(1, 3, 120.0));
    v
}

/// A BIFF8 workbook in an OLE container: `sheets` are (name, sheet records between BOF
/// and EOF); `globals` extra records in the workbook globals.
fn xls(sheets: &[(&str, Vec<u8>)], globals: &[u8]) -> Vec<u8> {
    let bound = |pos: u32, name: &str| {
        let b = latin1(name);
        let mut d = pos.to_le_bytes().to_vec();
        d.extend([0, 0, b.len() as u8, 0]);
        d.extend(b);
        rec(0x0085, &d)
    };
    let head_len = bof(5).len()
        + globals.len()
        + sheets.iter().map(|(n, _)| bound(0, n).len()).sum::<usize>()
        + rec(0x000A, &[]).len();
    let mut pos = head_len;
    let mut stream = bof(5);
    stream.extend(globals);
    let mut bodies = Vec::new();
    for (n, cells) in sheets {
        stream.extend(bound(pos as u32, n));
        let mut body = bof(0x10);
        body.extend(cells);
        body.extend(rec(0x000A, &[]));
        pos += body.len();
        bodies.push(body);
    }
    stream.extend(rec(0x000A, &[]));
    for b in bodies {
        stream.extend(b);
    }
    let mut comp =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new())).unwrap();
    comp.create_stream("Workbook")
        .unwrap()
        .write_all(&stream)
        .unwrap();
    comp.flush().unwrap();
    comp.into_inner().into_inner()
}

// --- xlsb ------------------------------------------------------------------------------

fn brec(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    if typ >= 0x80 {
        v.push((typ & 0x7F) as u8 | 0x80);
        v.push((typ >> 7) as u8);
    } else {
        v.push(typ as u8);
    }
    let mut n = data.len();
    loop {
        let b = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            v.push(b);
            break;
        }
        v.push(b | 0x80);
    }
    v.extend(data);
    v
}

fn wide(s: &str) -> Vec<u8> {
    let u: Vec<u16> = s.encode_utf16().collect();
    let mut v = (u.len() as u32).to_le_bytes().to_vec();
    for x in u {
        v.extend(x.to_le_bytes());
    }
    v
}

fn xlsb_real(col: u32, v: f64) -> Vec<u8> {
    let mut d = col.to_le_bytes().to_vec();
    d.extend(0u32.to_le_bytes());
    d.extend(v.to_le_bytes());
    brec(0x05, &d)
}

fn xlsb_text(col: u32, s: &str) -> Vec<u8> {
    let mut d = col.to_le_bytes().to_vec();
    d.extend(0u32.to_le_bytes());
    d.extend(wide(s));
    brec(0x06, &d)
}

fn xlsb_row(r: u32) -> Vec<u8> {
    brec(0x00, &r.to_le_bytes())
}

/// A hand-made xlsb with one visible sheet holding `cells` (row headers and cells).
fn xlsb(cells: Vec<u8>) -> Vec<u8> {
    let rels = br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.bin"/></Relationships>"#;
    let mut bundle = 0u32.to_le_bytes().to_vec();
    bundle.extend(1u32.to_le_bytes());
    bundle.extend(wide("rId1"));
    bundle.extend(wide("Activité"));
    let mut wb = brec(0x9C, &bundle);
    wb.extend(brec(0x90, &[]));
    wb.extend(brec(0x9D, &[]));
    let mut sheet = brec(0x81, &[]);
    sheet.extend(brec(0x94, &[0u8; 16]));
    sheet.extend(brec(0x91, &[]));
    sheet.extend(cells);
    sheet.extend(brec(0x92, &[]));
    zip_parts(
        &[
            ("xl/_rels/workbook.bin.rels", rels),
            ("xl/workbook.bin", &wb),
            ("xl/worksheets/sheet1.bin", &sheet),
        ],
        false,
    )
}

fn xlsb_activity_cells() -> Vec<u8> {
    let mut v = xlsb_row(0);
    for (c, h) in SERVICE_HEADERS.iter().enumerate() {
        v.extend(xlsb_text(c as u32, h));
    }
    v.extend(xlsb_row(1));
    v.extend(xlsb_real(0, 2021.0));
    v.extend(xlsb_text(1, "janvier"));
    v.extend(xlsb_real(2, 100.0));
    v.extend(xlsb_real(3, 120.0));
    v
}

// --- ods -------------------------------------------------------------------------------

fn ods(tables: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    zip_parts(
        &[
            (
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet",
            ),
            ("META-INF/manifest.xml", manifest),
            ("content.xml", content.as_bytes()),
        ],
        true,
    )
}

fn ods_text(s: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string"><text:p>{s}</text:p></table:table-cell>"#
    )
}

fn ods_float(v: f64) -> String {
    format!(r#"<table:table-cell office:value-type="float" office:value="{v}"/>"#)
}

fn ods_activity_table(name: &str) -> String {
    let mut s = format!(r#"<table:table table:name="{name}"><table:table-row>"#);
    for h in SERVICE_HEADERS {
        s.push_str(&ods_text(h));
    }
    s.push_str("</table:table-row><table:table-row>");
    s.push_str(&ods_float(2021.0));
    s.push_str(&ods_text("janvier"));
    s.push_str(&ods_float(100.0));
    s.push_str(&ods_float(120.0));
    s.push_str("</table:table-row></table:table>");
    s
}

// --- cases -----------------------------------------------------------------------------

const RAISE: &str = "[limites]";

pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();

    // Clean files of each format are read (the pre-checks refuse nothing legitimate).
    for (name, file, bytes) in [
        ("format_xlsx_propre", "activite.xlsx", xlsx_activity()),
        ("format_xlsm_propre", "activite.xlsm", xlsx_activity()),
        (
            "format_xlsb_propre",
            "activite.xlsb",
            xlsb(xlsb_activity_cells()),
        ),
        (
            "format_xls_propre",
            "activite.xls",
            xls(&[("Activité", xls_activity_cells())], &[]),
        ),
        (
            "format_ods_propre",
            "activite.ods",
            ods(&ods_activity_table("Activité")),
        ),
    ] {
        v.push(
            Case::new(name, pipeline(file, "", ""), Cmd::Executer, exit::OK)
                .file("services.csv", services_csv())
                .file(file, bytes),
        );
    }

    // A large .xls (streams over 4 KiB are stored in regular sectors): padding records
    // that calamine skips, in the globals and in the sheet.
    let pad = rec(0x1234, &vec![0u8; 60_000]);
    v.push(
        Case::new(
            "format_xls_gros_flux_propre",
            pipeline("activite.xls", "", ""),
            Cmd::Executer,
            exit::OK,
        )
        .file("services.csv", services_csv())
        .file(
            "activite.xls",
            xls(
                &[(
                    "Activité",
                    [pad.clone(), xls_activity_cells(), pad.clone()].concat(),
                )],
                &pad,
            ),
        ),
    );

    // Finding 3: aborts on tiny crafted files.
    let sst = rezip(&xlsx_activity(), |n, c| {
        if n == "xl/sharedStrings.xml" {
            let s = String::from_utf8(c).unwrap();
            let i = s.find("<sst").unwrap();
            let j = i + s[i..].find('>').unwrap();
            let tag = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="100000000000000" uniqueCount="100000000000000">"#;
            Some(format!("{}{tag}{}", &s[..i], &s[j + 1..]).into_bytes())
        } else {
            Some(c)
        }
    });
    v.push(
        failing("format_xlsx_sst_1e14", "activite.xlsx", sst, "", "").mention("chaines_partagees"),
    );
    let dims = xls(
        &[(
            "Activité",
            [xls_dimensions(0, u32::MAX, 0, 4), xls_activity_cells()].concat(),
        )],
        &[],
    );
    v.push(
        failing("format_xls_dimensions_4g", "activite.xls", dims, "", "")
            .mention("cellules_par_feuille"),
    );
    let forged = xls(
        &[(
            "Activité",
            [xls_activity_cells(), xls_number(65_535, 60_000, 1.0)].concat(),
        )],
        &[],
    );
    let mut check = failing(
        "format_verifier_xls_dimensions",
        "activite.xls",
        xls(
            &[(
                "Activité",
                [xls_dimensions(0, u32::MAX, 0, 4), xls_activity_cells()].concat(),
            )],
            &[],
        ),
        "",
        "",
    )
    .mention("cellules_par_feuille");
    check.command = Cmd::Verifier;
    v.push(check);
    v.push(
        failing("format_xls_colonne_forgee", "activite.xls", forged, "", "")
            .mention("cellules_par_feuille"),
    );
    let far = xlsb(
        [
            xlsb_activity_cells(),
            xlsb_row(1_048_575),
            xlsb_real(16_383, 1.0),
        ]
        .concat(),
    );
    v.push(
        failing("format_xlsb_a1_xfd1048576", "activite.xlsb", far, "", "")
            .mention("cellules_par_feuille")
            .mention("Activité"),
    );
    // The bomb is in the second sheet, named like a child; the pipeline reads the first
    // one. That sheet is never given to calamine (the ODS is rebuilt in memory with the
    // selected tables only): the run succeeds and the name appears nowhere.
    let bomb = format!(
        r#"{}<table:table table:name="LEA MARTIN"><table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row></table:table>"#,
        ods_activity_table("Activité")
    );
    v.push(
        Case::new(
            "format_ods_repetitions_feuille_non_lue",
            pipeline("activite.ods", "feuille = \"Activité\"", ""),
            Cmd::Executer,
            exit::OK,
        )
        .file("services.csv", services_csv())
        .file("activite.ods", ods(&bomb))
        .secret("LEA MARTIN"),
    );
    // The same sheet read: refused with its position, never its name.
    v.push(
        failing(
            "format_ods_repetitions_feuille_lue",
            "activite.ods",
            ods(&bomb),
            "feuilles = [\"*\"]",
            "",
        )
        .mention("feuille n° 2")
        .mention("cellules_par_feuille")
        .secret("LEA MARTIN"),
    );
    // The same in an .xls: a sheet claiming 4 294 967 295 rows next to the one read.
    let xls_two = xls(
        &[
            ("Activité", xls_activity_cells()),
            ("LEA MARTIN", xls_dimensions(0, u32::MAX, 0, 4)),
        ],
        &[],
    );
    v.push(
        Case::new(
            "format_xls_dimensions_feuille_non_lue",
            pipeline("activite.xls", "", ""),
            Cmd::Executer,
            exit::OK,
        )
        .file("services.csv", services_csv())
        .file("activite.xls", xls_two)
        .secret("LEA MARTIN"),
    );
    let spaces = String::from(
        r#"<table:table table:name="Activité"><table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="4000000000"/></text:p></table:table-cell></table:table-row></table:table>"#,
    );
    v.push(
        failing(
            "format_ods_espaces_repetes",
            "activite.ods",
            ods(&spaces),
            "",
            "",
        )
        .mention("cellule A1")
        .mention("caracteres_par_cellule"),
    );

    // Finding 4: no bound on work.
    let bomb_sheet = {
        let mut s = sheet_xml(&activity_rows());
        let pad = vec![b' '; 64 << 20];
        let at = s.len() - "</worksheet>".len();
        s.splice(at..at, pad);
        s
    };
    v.push(
        failing(
            "format_xlsx_bombe_zip",
            "activite.xlsx",
            xlsx_parts(&[("Activité", "visible", bomb_sheet.clone())], None),
            "",
            "[limites]\ntaille_decompressee_mo = 16\n",
        )
        .mention("taille_decompressee_mo"),
    );
    // The same bomb declaring 1 000 bytes: the zip reader stops at the declared size
    // (and the pre-check counts inflated bytes, not declared ones): a damaged archive.
    let mut lying = xlsx_parts(&[("Activité", "visible", bomb_sheet.clone())], None);
    lie_about_size(&mut lying, "xl/worksheets/sheet1.xml", 1000);
    v.push(
        failing(
            "format_xlsx_bombe_taille_mentie",
            "activite.xlsx",
            lying,
            "",
            "[limites]\ntaille_decompressee_mo = 16\n",
        )
        .mention("endommagée"),
    );
    // A 5 KB archive declaring a 4 GiB sheet, with the default limits: refused from its
    // central directory, before anything is inflated.
    let mut declared = xlsx_activity();
    lie_about_size(&mut declared, "xl/worksheets/sheet1.xml", u32::MAX - 1);
    v.push(
        failing(
            "format_xlsx_bombe_declaree_4_gio",
            "activite.xlsx",
            declared,
            "",
            "",
        )
        .mention("taille_decompressee_mo"),
    );
    // A million cells pointing at one 4 KiB shared string: 4 GB once copied in the grid.
    let big_shared = {
        let text = "x".repeat(4096);
        let shared = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1000000" uniqueCount="1"><si><t>{text}</t></si></sst>"#
        );
        let mut rows = activity_rows();
        for r in 3..=1002u32 {
            rows.push_str(&format!(r#"<row r="{r}">"#));
            for c in 0..1000u32 {
                let col = observatoire::ingest::grid::column_letters(c as usize);
                rows.push_str(&format!(r#"<c r="{col}{r}" t="s"><v>0</v></c>"#));
            }
            rows.push_str("</row>");
        }
        xlsx_parts(
            &[("Activité", "visible", sheet_xml(&rows))],
            Some(shared.into_bytes()),
        )
    };
    v.push(
        failing(
            "format_xlsx_million_renvois",
            "activite.xlsx",
            big_shared,
            "",
            "",
        )
        .mention("texte_par_feuille_mo")
        .mention("Activité"),
    );
    // The same in an .xls: 262 140 cells copying one 8 000-character shared string.
    let xls_shared = {
        let mut sst = 262_140u32.to_le_bytes().to_vec();
        sst.extend(1u32.to_le_bytes());
        sst.extend(8000u16.to_le_bytes());
        sst.push(0);
        sst.extend(vec![b'x'; 8000]);
        let mut cells = xls_activity_cells();
        for r in 2..65_537u32 {
            for c in 0..4u16 {
                let mut d = (r as u16).to_le_bytes().to_vec();
                d.extend(c.to_le_bytes());
                d.extend(0u16.to_le_bytes());
                d.extend(0u32.to_le_bytes());
                cells.extend(rec(0x00FD, &d));
            }
        }
        xls(&[("Activité", cells)], &rec(0x00FC, &sst))
    };
    v.push(
        failing(
            "format_xls_million_renvois",
            "activite.xls",
            xls_shared,
            "",
            "",
        )
        .mention("texte_par_feuille_mo"),
    );
    // A 100 MB cell in the header area (detection used to normalise it again and again).
    let huge_cell = {
        let text = "Nom ".repeat(25 << 20);
        let shared = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>{text}</t></si></sst>"#
        );
        let rows = format!(
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>{}"#,
            activity_rows_at(3)
        );
        xlsx_parts(
            &[("Activité", "visible", sheet_xml(&rows))],
            Some(shared.into_bytes()),
        )
    };
    v.push(
        failing(
            "format_xlsx_cellule_100_mo",
            "activite.xlsx",
            huge_cell,
            "",
            "",
        )
        .mention("cellule A1")
        .mention("caracteres_par_cellule"),
    );

    // Finding 10 and the classic traps.
    let clean = xlsx_activity();
    v.push(
        failing(
            "format_xlsx_tronque",
            "activite.xlsx",
            clean[..clean.len() / 2].to_vec(),
            "",
            "",
        )
        .mention("tronquée"),
    );
    v.push(failing("format_xlsx_vide", "activite.xlsx", Vec::new(), "", "").mention("vide"));
    v.push(
        failing(
            "format_xlsx_csv_renomme",
            "activite.xlsx",
            b"Ann\xc3\xa9e;Mois\n2021;janvier\n".to_vec(),
            "",
            "",
        )
        .mention(".csv"),
    );
    v.push(
        failing(
            "format_xlsx_pdf",
            "activite.xlsx",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n".to_vec(),
            "",
            "",
        )
        .mention("PDF"),
    );
    v.push(
        failing(
            "format_xls_html",
            "activite.xls",
            b"<html xmlns:o=\"urn:schemas-microsoft-com:office:office\"><body><table><tr><td>Ann\xc3\xa9e</td></tr></table></body></html>".to_vec(),
            "",
            "",
        )
        .mention("HTML"),
    );
    v.push(
        failing(
            "format_xlsx_sans_feuille",
            "activite.xlsx",
            xlsx_parts(&[], None),
            "",
            "",
        )
        .mention("aucune feuille"),
    );
    v.push(
        failing(
            "format_xlsx_feuilles_masquees",
            "activite.xlsx",
            xlsx_parts(
                &[
                    ("LEA MARTIN", "hidden", sheet_xml(&activity_rows())),
                    ("TOM PETIT", "veryHidden", sheet_xml(&activity_rows())),
                ],
                None,
            ),
            "",
            "",
        )
        .mention("aucune feuille visible")
        .secret("LEA MARTIN")
        .secret("TOM PETIT"),
    );
    // One sheet per child, one named like a formula: the missing sheet's message counts
    // them and names none.
    v.push(
        failing(
            "format_feuille_nom_formule",
            "activite.xlsx",
            xlsx_parts(
                &[
                    (
                        "=cmd|&apos; /C calc&apos;!A0",
                        "visible",
                        sheet_xml(&activity_rows()),
                    ),
                    ("LEA MARTIN", "visible", sheet_xml(&activity_rows())),
                ],
                None,
            ),
            "feuille = \"Synthèse\"",
            "",
        )
        .mention("Synthèse")
        .mention("2 feuille(s) visible(s)")
        .secret("=cmd")
        .secret("LEA MARTIN"),
    );
    let long_name = format!("DUPONT {}", "Jean-Baptiste ".repeat(2000));
    v.push(
        failing(
            "format_feuille_nom_tres_long",
            "activite.xlsx",
            xlsx_parts(
                &[(&long_name, "visible", sheet_xml(&activity_rows()))],
                None,
            ),
            "feuille = 2",
            "",
        )
        .mention("n° 2")
        .secret("DUPONT"),
    );
    let protected = {
        let mut comp = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        comp.create_stream("EncryptionInfo")
            .unwrap()
            .write_all(&[4, 0, 4, 0, 0x40, 0, 0, 0])
            .unwrap();
        comp.create_stream("EncryptedPackage")
            .unwrap()
            .write_all(&[0u8; 4096])
            .unwrap();
        comp.flush().unwrap();
        comp.into_inner().into_inner()
    };
    v.push(
        failing(
            "format_xlsx_mot_de_passe",
            "activite.xlsx",
            protected,
            "",
            "",
        )
        .mention("mot de passe"),
    );
    v.push(
        failing(
            "format_xlsx_sans_chaines_partagees",
            "activite.xlsx",
            rezip(&xlsx_activity(), |n, c| {
                (n != "xl/sharedStrings.xml").then_some(c)
            }),
            "",
            "",
        )
        .mention("texte partagé"),
    );
    let duplicated = {
        // A second sheet part, then renamed byte for byte like the first one (same
        // length): two entries of the archive share one name.
        let b = xlsx_parts(
            &[
                ("Activité", "visible", sheet_xml(&activity_rows())),
                ("Autre", "visible", sheet_xml(&activity_rows())),
            ],
            None,
        );
        let (from, to) = (b"xl/worksheets/sheet2.xml", b"xl/worksheets/sheet1.xml");
        let mut out = b.clone();
        let mut i = 0;
        while let Some(p) = out[i..].windows(from.len()).position(|w| w == from) {
            out[i + p..i + p + to.len()].copy_from_slice(to);
            i += p + 1;
        }
        out
    };
    v.push(
        failing(
            "format_xlsx_parties_en_double",
            "activite.xlsx",
            duplicated,
            "",
            "",
        )
        .mention("endommagé"),
    );
    let latin = {
        let mut rows = activity_rows().into_bytes();
        // "Année" written in ISO-8859-1 inside an XML declared UTF-8.
        let at = rows
            .windows(6)
            .position(|w| w == "Année".as_bytes())
            .unwrap();
        rows.splice(at..at + 6, b"Ann\xe9e".iter().copied());
        let mut s = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>".to_vec();
        s.extend(rows);
        s.extend(b"</sheetData></worksheet>");
        xlsx_parts(&[("Activité", "visible", s)], None)
    };
    v.push(failing("format_xlsx_xml_non_utf8", "activite.xlsx", latin, "", "").mention("XML"));

    // Limits are configurable: the same clean workbook refused under a lowered limit…
    v.push(
        failing(
            "format_limite_abaissee",
            "activite.xlsx",
            xlsx_activity(),
            "",
            &format!("{RAISE}\ncellules_par_feuille = 4\n"),
        )
        .mention("cellules_par_feuille"),
    );
    // …and a workbook over a default limit read once the limit is raised.
    let many_strings = {
        let mut shared = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="6000000">"#,
        );
        shared.push_str("<si><t>x</t></si></sst>");
        xlsx_parts(
            &[("Activité", "visible", sheet_xml(&activity_rows()))],
            Some(shared.into_bytes()),
        )
    };
    v.push(
        failing(
            "format_limite_defaut",
            "activite.xlsx",
            many_strings.clone(),
            "",
            "",
        )
        .mention("chaines_partagees"),
    );
    v.push(
        Case::new(
            "format_limite_relevee",
            pipeline(
                "activite.xlsx",
                "",
                &format!("{RAISE}\nchaines_partagees = 7000000\n"),
            ),
            Cmd::Executer,
            exit::OK,
        )
        .file("services.csv", services_csv())
        .file("activite.xlsx", many_strings),
    );
    // The isolated reader dies (address space too small for anything): the file fails
    // with a French message, the run does not abort.
    v.push(
        failing(
            "format_lecteur_isole_meurt",
            "activite.xlsx",
            xlsx_activity(),
            "",
            &format!("{RAISE}\nmemoire_lecture_mo = 1\n"),
        )
        .mention("memoire_lecture_mo"),
    );
    // A reader that takes too long is stopped (here at once): the file fails, the run
    // does not hang.
    v.push(
        failing(
            "format_lecteur_isole_trop_long",
            "activite.xlsx",
            xlsx_activity(),
            "",
            &format!("{RAISE}\nduree_lecture_s = 0\n"),
        )
        .mention("duree_lecture_s"),
    );
    v
}

/// The worker command is not in the help, and given anything but a request from its parent
/// it prints nothing (no library text, no path) and fails.
#[test]
fn isolated_reader_is_hidden_and_silent() {
    use std::process::Command;
    let bin = env!("CARGO_BIN_EXE_observatoire");
    let help = Command::new(bin).arg("--aide").output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("executer") && !text.contains("lecture-isolee"),
        "{text}"
    );
    for input in [
        &b""[..],
        b"OBSREQ01\xff\xff\xff\xff\xff\xff\xff\xff",
        b"garbage",
    ] {
        let out = isolated_reader(input);
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty() && out.stderr.is_empty());
    }
}

/// What the hidden reading command answers to `input` (as the parent starts it: no
/// environment).
fn isolated_reader(input: &[u8]) -> std::process::Output {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .arg(observatoire::ingest::isolate::WORKER_COMMAND)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// A reading child is kept from one workbook to the next: it answers requests one after
/// the other, a broken workbook among them answered as an error without ending it, and
/// exits with 0 when its input ends.
#[test]
fn a_kept_reader_answers_workbook_after_workbook() {
    use observatoire::ingest::isolate::framed_request;
    use observatoire::ingest::limits::Limits;
    use observatoire::ingest::workbook::SheetSelection;
    let dir = crate::util::temp_dir("lecteur-garde");
    let good = dir.join("activite.xlsx");
    let broken = dir.join("abime.xlsx");
    std::fs::write(&good, xlsx_activity()).unwrap();
    std::fs::write(&broken, b"PK\x03\x04 pas un classeur").unwrap();
    let mut input = Vec::new();
    for path in [&good, &broken, &good] {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        input.extend(
            framed_request(
                path,
                &name,
                &SheetSelection::FirstVisible,
                &Limits::default(),
            )
            .unwrap(),
        );
    }
    let out = isolated_reader(&input);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty());
    let answers: Vec<usize> = out
        .stdout
        .windows(8)
        .enumerate()
        .filter(|(_, w)| w == b"OBSREP01")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(answers.len(), 3, "trois réponses attendues");
    // Each answer says whether it read (0) or reports an error (1), right after its
    // magic: the good workbook, the broken one, the good one again.
    let status: Vec<u8> = answers.iter().map(|&i| out.stdout[i + 8]).collect();
    assert_eq!(status, [0, 1, 0]);
    assert!(out.stdout.ends_with(b"FIN."));
    // Input that ends inside the next request's length is no clean end: it fails.
    let first = framed_request(
        &good,
        "activite.xlsx",
        &SheetSelection::FirstVisible,
        &Limits::default(),
    )
    .unwrap();
    let mut cut = first.clone();
    cut.extend_from_slice(&first[..3]);
    let out = isolated_reader(&cut);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.starts_with(b"OBSREP01") && out.stderr.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
