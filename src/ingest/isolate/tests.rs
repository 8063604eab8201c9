//! Unit tests of `isolate`.

use super::*;

#[test]
fn request_round_trip() {
    let l = Limits {
        cell_chars: 7,
        ..Limits::default()
    };
    for sel in [
        SheetSelection::Patterns(vec!["Données*".into(), "B".into()]),
        SheetSelection::Name("Synthèse".into()),
        SheetSelection::Position(3),
        SheetSelection::FirstVisible,
    ] {
        let mut b = Vec::new();
        encode_request(&mut b, Path::new("/tmp/é.xlsx"), "é.xlsx", &sel, &l).unwrap();
        let (p, d, s, l2) = decode_request(&mut b.as_slice()).unwrap();
        assert_eq!(p, Path::new("/tmp/é.xlsx"));
        assert_eq!(d, "é.xlsx");
        assert_eq!(s, sel);
        assert_eq!(l2, l);
    }
}

#[test]
fn response_round_trip_and_truncation() {
    let grid = Grid {
        rows: vec![
            vec![],
            vec![
                Cell::Empty,
                Cell::Text("Né(e) le".into()),
                Cell::Number(-1.5e300),
                Cell::Bool(true),
                Cell::Date(chrono::NaiveDate::from_ymd_opt(1904, 2, 29).unwrap()),
                Cell::IsoDate("2021-01-01".into()),
                Cell::Error("#DIV/0!".into()),
            ],
        ],
        ..Default::default()
    };
    let ok: Result<WorkbookRead, SourceError> = Ok(WorkbookRead {
        is_1904: true,
        sheets: vec![("Feuil1".into(), grid.clone())],
        hidden: vec!["Listes".into()],
    });
    let mut b = Vec::new();
    encode_response(&mut b, &ok, 12_345).unwrap();
    let back = decode_response(&mut b.as_slice(), "f.xlsx")
        .unwrap()
        .unwrap();
    assert!(back.is_1904);
    // The child's own peak reaches the parent's running maximum.
    assert!(take_largest_child_peak_kb() >= 12_345);
    assert_eq!(back.sheets[0].0, "Feuil1");
    assert_eq!(back.sheets[0].1.rows, grid.rows);
    assert_eq!(back.hidden, ["Listes"]);
    // Every truncation is detected.
    for cut in 0..b.len() {
        assert!(decode_response(&mut &b[..cut], "f.xlsx").is_err(), "{cut}");
    }
    let e: Result<WorkbookRead, SourceError> = Err(SourceError {
        file: "ignored".into(),
        sheet: Some("S".into()),
        kind: SourceErrorKind::SheetNotFound {
            wanted: "X".into(),
            visible: 2,
            hidden: 1,
        },
    });
    let mut b = Vec::new();
    encode_response(&mut b, &e, 0).unwrap();
    let back = decode_response(&mut b.as_slice(), "f.xlsx").unwrap();
    assert_eq!(
        back.unwrap_err(),
        SourceError {
            file: "f.xlsx".into(),
            sheet: Some("S".into()),
            kind: SourceErrorKind::SheetNotFound {
                wanted: "X".into(),
                visible: 2,
                hidden: 1
            }
        }
    );
}
