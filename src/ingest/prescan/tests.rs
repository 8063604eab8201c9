//! Unit tests of the pre-checks.

use super::*;
use std::io::Write;

fn limits() -> Limits {
    Limits::default()
}

fn small() -> Limits {
    Limits {
        cells_per_sheet: 100,
        cell_chars: 10,
        shared_strings: 5,
        sheet_text_bytes: 1000,
        decompressed_bytes: 10_000,
        ..Limits::default()
    }
}

fn limit_of(e: Scan) -> String {
    match e {
        Scan::Limit(SourceErrorKind::TooLarge(s)) => s,
        other => panic!("{other:?}"),
    }
}

#[test]
fn sniffing_names_what_the_file_really_is() {
    let d = std::env::temp_dir().join(format!("obs-sniff-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let cases: [(&[u8], Format, &str); 6] = [
        (b"", Format::Xlsx, "vide"),
        (b"%PDF-1.7\n...", Format::Xlsx, "PDF"),
        (b"<html><body><table>", Format::Xls, "HTML"),
        (b"Nom;Date\nA;1\n", Format::Xlsx, "texte"),
        (b"PK\x03\x04rest", Format::Xls, "renommé en .xls"),
        (&CFB_MAGIC, Format::Ods, "97-2003"),
    ];
    for (i, (bytes, f, want)) in cases.iter().enumerate() {
        let p = d.join(format!("f{i}"));
        std::fs::write(&p, bytes).unwrap();
        match sniff(&p, *f) {
            Err(SourceErrorKind::Corrupt(s)) => assert!(s.contains(want), "{s}"),
            other => panic!("{i}: {other:?}"),
        }
    }
    let p = d.join("ok");
    std::fs::write(&p, b"PK\x03\x04....").unwrap();
    assert!(sniff(&p, Format::Xlsx).is_ok());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn shared_string_counts_declared_and_actual() {
    let ok = br#"<sst count="9" uniqueCount="2"><si><t>a</t></si><si><t>b</t></si></sst>"#;
    assert!(scan_shared_strings_xml(&ok[..], &small()).is_ok());
    let declared = br#"<sst count="1" uniqueCount="100000000000000"><si><t>a</t></si></sst>"#;
    assert!(
        limit_of(scan_shared_strings_xml(&declared[..], &small()).unwrap_err())
            .contains("chaines_partagees")
    );
    let overflow = br#"<sst uniqueCount="99999999999999999999999"></sst>"#;
    assert!(scan_shared_strings_xml(&overflow[..], &limits()).is_err());
    let actual = "<sst>".to_string() + &"<si><t>a</t></si>".repeat(6) + "</sst>";
    assert!(
        limit_of(scan_shared_strings_xml(actual.as_bytes(), &small()).unwrap_err())
            .contains("chaines_partagees")
    );
}

#[test]
fn xlsb_shared_string_count() {
    // BrtBeginSst (0x9F) with cstUnique = 1e9, then nothing.
    let mut b = vec![0x9F, 0x01, 8];
    b.extend(1u32.to_le_bytes());
    b.extend(1_000_000_000u32.to_le_bytes());
    assert!(scan_shared_strings_bin(&b[..], &limits()).is_err());
    let mut ok = vec![0x9F, 0x01, 8];
    ok.extend(1u32.to_le_bytes());
    ok.extend(1u32.to_le_bytes());
    ok.extend([0x13, 2, 0, 0]);
    assert!(scan_shared_strings_bin(&ok[..], &limits()).is_ok());
}

fn scan_ods_content(xml: &[u8], l: &Limits) -> Result<(), Scan> {
    let mut w = quick_xml::Writer::new(Vec::new());
    filter_ods_content(xml, &mut w, &|_| true, l)
}

#[test]
fn ods_tables_left_out_are_neither_checked_nor_given() {
    let bomb = ods(
        r#"<table:table table:name="A"><table:table-row><table:table-cell office:value-type="float" office:value="1"/></table:table-row></table:table><table:table table:name="LEA"><table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row></table:table>"#,
    );
    let mut w = quick_xml::Writer::new(Vec::new());
    filter_ods_content(bomb.as_bytes(), &mut w, &|p| p == 1, &limits()).unwrap();
    let out = String::from_utf8(w.into_inner()).unwrap();
    assert!(
        out.contains(r#"<table:table table:name="LEA"></table:table>"#),
        "{out}"
    );
    assert!(out.contains(r#"office:value="1"/></table:table-row></table:table><table:table"#));
    assert!(!out.contains("16384"));
    // Everything kept is copied as it was.
    let small = ods(
        r#"<table:table table:name="A"><table:table-row><table:table-cell office:value-type="string"><text:p>L&apos;été <text:s/>x</text:p></table:table-cell></table:table-row></table:table><!-- c -->"#,
    );
    let mut w = quick_xml::Writer::new(Vec::new());
    filter_ods_content(small.as_bytes(), &mut w, &|_| true, &limits()).unwrap();
    assert_eq!(String::from_utf8(w.into_inner()).unwrap(), small);
    assert!(scan_ods_content(bomb.as_bytes(), &limits()).is_err());
}

#[test]
fn xls_rebuilt_with_only_the_kept_sheets() {
    let mut num = 3u16.to_le_bytes().to_vec();
    num.extend(2u16.to_le_bytes());
    num.extend([0; 2]);
    num.extend(7.5f64.to_le_bytes());
    let stream = biff(rec(0x0203, &num));
    for keep in [true, false] {
        let bytes = rebuild_xls(&stream, &|_| keep).unwrap();
        let mut x: calamine::Xls<_> = calamine::Reader::new(io::Cursor::new(bytes)).unwrap();
        let names: Vec<String> = calamine::Reader::sheet_names(&x);
        assert_eq!(names, vec!["A".to_string()]);
        let r = calamine::Reader::worksheet_range(&mut x, "A").unwrap();
        assert_eq!(r.get_value((3, 2)).is_some(), keep);
    }
}

fn ods(body: &str) -> String {
    format!(
        r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>"#
    )
}

#[test]
fn ods_repeats_are_unfolded_before_counting() {
    let fine = ods(
        r#"<table:table table:name="A"><table:table-row><table:table-cell office:value-type="float" office:value="1"/></table:table-row><table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>"#,
    );
    assert!(scan_ods_content(fine.as_bytes(), &limits()).is_ok());
    let bomb = ods(
        r#"<table:table table:name="A"/><table:table table:name="B"><table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row></table:table>"#,
    );
    let msg = limit_of(scan_ods_content(bomb.as_bytes(), &limits()).unwrap_err());
    assert!(
        msg.contains("feuille n° 2") && msg.contains("cellules_par_feuille"),
        "{msg}"
    );
}

#[test]
fn ods_cell_text_and_space_runs() {
    let long = ods(
        r#"<table:table table:name="A"><table:table-row/><table:table-row><table:table-cell/><table:table-cell office:value-type="string"><text:p>abc<text:s text:c="4000000000"/></text:p></table:table-cell></table:table-row></table:table>"#,
    );
    let msg = limit_of(scan_ods_content(long.as_bytes(), &limits()).unwrap_err());
    assert!(
        msg.contains("cellule B2") && msg.contains("caracteres_par_cellule"),
        "{msg}"
    );
    let text = ods(
        r#"<table:table table:name="A"><table:table-row table:number-rows-repeated="60"><table:table-cell table:number-columns-repeated="2" office:value-type="string"><text:p>abcdefghi</text:p></table:table-cell></table:table-row></table:table>"#,
    );
    let wide = Limits {
        cells_per_sheet: 1000,
        ..small()
    };
    let msg = limit_of(scan_ods_content(text.as_bytes(), &wide).unwrap_err());
    assert!(msg.contains("texte_par_feuille_mo"), "{msg}");
}

fn rec(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut v = typ.to_le_bytes().to_vec();
    v.extend((data.len() as u16).to_le_bytes());
    v.extend(data);
    v
}

fn biff(sheet: Vec<u8>) -> Vec<u8> {
    // Globals: BOF, BoundSheet8 pointing after the globals, EOF; then the sheet.
    let bof = rec(0x0809, &[0, 6, 0x10, 0, 0, 0, 0, 0]);
    let eof = rec(0x000A, &[]);
    let bound_len = 4 + 9;
    let pos = (bof.len() + bound_len + eof.len()) as u32;
    let mut bs = pos.to_le_bytes().to_vec();
    bs.extend([0, 0, 1, 0, b'A']);
    let mut v = bof.clone();
    v.extend(rec(0x0085, &bs));
    v.extend(eof.clone());
    v.extend(bof);
    v.extend(sheet);
    v.extend(eof);
    v
}

#[test]
fn xls_dimensions_and_cell_positions() {
    let mut dims = 0u32.to_le_bytes().to_vec();
    dims.extend(u32::MAX.to_le_bytes());
    dims.extend([0, 0, 2, 0, 0, 0]);
    let msg = match check_biff(&biff(rec(0x0200, &dims)), &limits(), &|_| true) {
        Err(SourceErrorKind::TooLarge(s)) => s,
        other => panic!("{other:?}"),
    };
    assert!(msg.contains("feuille n° 1") && msg.contains("cellules_par_feuille"));
    // A number at row 60 000, column 60 000 (forged column index).
    let mut num = 60_000u16.to_le_bytes().to_vec();
    num.extend(60_000u16.to_le_bytes());
    num.extend([0; 10]);
    assert!(matches!(
        check_biff(&biff(rec(0x0203, &num)), &limits(), &|_| true),
        Err(SourceErrorKind::TooLarge(_))
    ));
    let mut fine = 3u16.to_le_bytes().to_vec();
    fine.extend(2u16.to_le_bytes());
    fine.extend([0; 10]);
    assert!(check_biff(&biff(rec(0x0203, &fine)), &limits(), &|_| true).is_ok());
    // Inverted dimensions.
    let mut inv = 10u32.to_le_bytes().to_vec();
    inv.extend(5u32.to_le_bytes());
    inv.extend([0, 0, 2, 0, 0, 0]);
    assert!(matches!(
        check_biff(&biff(rec(0x0200, &inv)), &limits(), &|_| true),
        Err(SourceErrorKind::Corrupt(_))
    ));
}

#[test]
fn xls_shared_strings_copied_into_cells_are_counted() {
    // SST: 1 string of 3 000 8-bit characters split over a CONTINUE record (which
    // restarts with a flags byte saying the rest is 16-bit), then one of 2 chars.
    let mut sst = 2u32.to_le_bytes().to_vec();
    sst.extend(2u32.to_le_bytes());
    sst.extend(3000u16.to_le_bytes());
    sst.push(0);
    sst.extend(vec![b'a'; 1000]);
    let mut cont = vec![1u8];
    cont.extend(vec![0u8; 4000]);
    cont.extend(2u16.to_le_bytes());
    cont.push(0);
    cont.extend(b"ok");
    let lengths = sst_lengths(vec![&sst[8..], &cont], 10);
    assert_eq!(lengths, vec![(3000, 1000 + 2 * 2000), (2, 2)]);
    // 300 cells copying the long string: 1.5 MB of text.
    let mut cells = Vec::new();
    for r in 0..300u16 {
        let mut d = r.to_le_bytes().to_vec();
        d.extend(0u16.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(0u32.to_le_bytes());
        cells.extend(rec(0x00FD, &d));
    }
    let l = Limits {
        sheet_text_bytes: MIB,
        ..Limits::default()
    };
    let msg = match check_biff_sheet(&cells, 1, &lengths, &l) {
        Err(SourceErrorKind::TooLarge(s)) => s,
        other => panic!("{other:?}"),
    };
    assert!(msg.contains("texte_par_feuille_mo"), "{msg}");
    assert!(check_biff_sheet(&cells, 1, &lengths, &limits()).is_ok());
    let short = Limits {
        cell_chars: 2999,
        ..Limits::default()
    };
    let msg = match check_biff_sheet(&cells, 3, &lengths, &short) {
        Err(SourceErrorKind::TooLarge(s)) => s,
        other => panic!("{other:?}"),
    };
    assert!(msg.contains("feuille n° 3, cellule A1"), "{msg}");
}

fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (n, b) in parts {
        w.start_file(*n, o).unwrap();
        w.write_all(b).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn inflated_bytes_are_counted_and_bounded() {
    let d = std::env::temp_dir().join(format!("obs-zip-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join("b.xlsx");
    let big = vec![b'a'; 50_000];
    std::fs::write(&p, zip_of(&[("xl/worksheets/sheet1.xml", &big)])).unwrap();
    let msg = match check_zip(&p, Format::Xlsx, &small()) {
        Err(SourceErrorKind::TooLarge(s)) => s,
        other => panic!("{other:?}"),
    };
    assert!(msg.contains("taille_decompressee_mo"), "{msg}");
    assert!(check_zip(&p, Format::Xlsx, &limits()).is_ok());
    // A lying central directory: the declared size is patched down to 10 bytes.
    let mut bytes = zip_of(&[("xl/worksheets/sheet1.xml", &big)]);
    let cd = bytes.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
    bytes[cd + 24..cd + 28].copy_from_slice(&10u32.to_le_bytes());
    let lh = 0;
    bytes[lh + 22..lh + 26].copy_from_slice(&10u32.to_le_bytes());
    std::fs::write(&p, &bytes).unwrap();
    assert!(check_zip(&p, Format::Xlsx, &small()).is_err());
    // Truncated archive.
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(
        check_zip(&p, Format::Xlsx, &limits()),
        Err(SourceErrorKind::Corrupt(_))
    ));
    let _ = std::fs::remove_dir_all(&d);
}

/// A reader that gives one byte per read, so a pattern always spans reads.
struct ByteByByte<'a>(&'a [u8]);

impl Read for ByteByByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn merged_cells_are_seen_while_inflating() {
    let xml = b"<worksheet><sheetData/><x:mergeCells count=\"1\"><x:mergeCell ref=\"A1:B1\"/></x:mergeCells></worksheet>";
    assert!(drain_finding(ByteByByte(xml), MERGE_ELEMENT).unwrap());
    assert!(drain_finding(&xml[..], MERGE_ELEMENT).unwrap());
    assert!(
        !drain_finding(
            ByteByByte(b"<worksheet><sheetData/></worksheet>"),
            MERGE_ELEMENT
        )
        .unwrap()
    );
    // A part longer than the buffer, the element across its end.
    let mut long = vec![b' '; 64 * 1024 - 4];
    long.extend_from_slice(b"<mergeCell ref=\"A1:A2\"/>");
    assert!(drain_finding(&long[..], MERGE_ELEMENT).unwrap());
    let d = std::env::temp_dir().join(format!("obs-merge-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join("m.xlsx");
    std::fs::write(&p, zip_of(&[("xl/worksheets/sheet1.xml", xml)])).unwrap();
    assert!(check_zip(&p, Format::Xlsx, &limits()).unwrap().merges);
    std::fs::write(&p, zip_of(&[("xl/worksheets/sheet1.xml", b"<worksheet/>")])).unwrap();
    assert!(!check_zip(&p, Format::Xlsx, &limits()).unwrap().merges);
    // Another format is always asked.
    assert!(check_zip(&p, Format::Xlsb, &limits()).unwrap().merges);
    let _ = std::fs::remove_dir_all(&d);
}
