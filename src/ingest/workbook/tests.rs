//! Unit tests of `workbook`.

use super::*;

fn infos(v: &[(&str, bool)]) -> Vec<SheetInfo> {
    v.iter()
        .map(|(n, vis)| SheetInfo {
            name: n.to_string(),
            visible: *vis,
        })
        .collect()
}

#[test]
fn selection_rules_and_safe_not_found() {
    let i = infos(&[("Données", true), ("LEA MARTIN", false), ("Synthèse", true)]);
    assert_eq!(
        select_sheets(&i, &SheetSelection::Name("donnees".into())).unwrap(),
        vec!["Données"]
    );
    assert_eq!(
        select_sheets(&i, &SheetSelection::Position(2)).unwrap(),
        vec!["LEA MARTIN"]
    );
    assert_eq!(
        select_sheets(&i, &SheetSelection::FirstVisible).unwrap(),
        vec!["Données"]
    );
    // Patterns match visible sheets only.
    assert_eq!(
        select_sheets(&i, &SheetSelection::Patterns(vec!["*".into()])).unwrap(),
        vec!["Données", "Synthèse"]
    );
    let e = select_sheets(&i, &SheetSelection::Name("Autre".into())).unwrap_err();
    assert_eq!(
        e,
        SourceErrorKind::SheetNotFound {
            wanted: "Autre".into(),
            visible: 2,
            hidden: 1
        }
    );
    let msg = crate::error::SourceError {
        file: "c.xlsx".into(),
        sheet: None,
        kind: e,
    }
    .to_string();
    assert!(!msg.contains("LEA") && !msg.contains("Données"), "{msg}");
    assert!(
        select_sheets(&infos(&[("x", false)]), &SheetSelection::FirstVisible).is_err(),
        "only hidden sheets: nothing read silently"
    );
    assert!(select_sheets(&[], &SheetSelection::Position(1)).is_err());
}

#[test]
fn builder_bounds_area_text_and_merges() {
    let l = Limits {
        cells_per_sheet: 100,
        cell_chars: 5,
        sheet_text_bytes: 12,
        ..Limits::default()
    };
    let mut b = GridBuilder::new(&l);
    b.put(0, 0, Cell::Number(1.0)).unwrap();
    b.put(9, 9, Cell::Number(1.0)).unwrap();
    assert!(matches!(
        b.put(10, 0, Cell::Number(1.0)),
        Err(SourceErrorKind::TooLarge(_))
    ));
    // A far empty cell does not count.
    b.put(1_000_000, 16_000, Cell::Empty).unwrap();
    match b.check_text(13, 2, "abcdef") {
        Err(SourceErrorKind::TooLarge(s)) => {
            assert!(s.contains("cellule C14") && s.contains("caracteres_par_cellule"))
        }
        other => panic!("{other:?}"),
    }
    // Five accented letters are ten bytes but five characters.
    b.check_text(0, 0, "ééééé").unwrap();
    assert!(matches!(
        b.check_text(0, 1, "abc"),
        Err(SourceErrorKind::TooLarge(s)) if s.contains("texte_par_feuille_mo")
    ));
    let mut m = GridBuilder::new(&l);
    m.put(0, 0, Cell::Text("ab".into())).unwrap();
    m.put(9, 9, Cell::Number(2.0)).unwrap();
    // A forged merge over the whole sheet is clamped to the cells that exist, and its
    // copies count in the sheet's text.
    let huge = MergedRegion {
        first_row: 0,
        first_col: 0,
        last_row: usize::MAX / 2,
        last_col: usize::MAX / 2,
    };
    assert!(matches!(
        m.fill_merged(&[huge]),
        Err(SourceErrorKind::TooLarge(_))
    ));
    let mut ok = GridBuilder::new(&l);
    ok.put(0, 0, Cell::Text("ab".into())).unwrap();
    ok.put(0, 2, Cell::Number(2.0)).unwrap();
    ok.fill_merged(&[MergedRegion {
        first_row: 0,
        first_col: 0,
        last_row: 0,
        last_col: 1_000_000,
    }])
    .unwrap();
    assert_eq!(ok.grid.get(0, 1), &Cell::Text("ab".into()));
}
