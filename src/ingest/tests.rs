//! Unit tests of ingest (file jobs, territory codes, sheet mapping).

use super::*;

#[test]
fn department_codes() {
    for ok in [
        "01", "19", "20", "21", "95", "2A", "2B", "971", "974", "976",
    ] {
        assert!(is_department_code(ok), "{ok}");
    }
    for no in [
        "00",
        "96",
        "101",
        "977",
        "",
        "FRANCE METROPOLITAINE",
        "69D",
        "69M",
        "975",
        "1",
    ] {
        assert!(!is_department_code(no), "{no}");
    }
    assert_eq!(normalise_territory_code("1"), "01");
    assert_eq!(normalise_territory_code(" 2a "), "2A");
}

#[test]
fn reference_rows_by_territory() {
    let keep = |level: &str, text: &str| match row_territory(level, text) {
        RowTerritory::Keep { code, .. } => Some(code),
        _ => None,
    };
    let reason = |level: &str, text: &str| match row_territory(level, text) {
        RowTerritory::Keep { .. } => "garde",
        RowTerritory::Exclude(r, ..) | RowTerritory::Reject(r, _) => r,
    };
    assert_eq!(keep("departement", "01-Ain").as_deref(), Some("01"));
    assert_eq!(keep("departement", "20A").as_deref(), Some("2A"));
    assert_eq!(keep("département", "1").as_deref(), Some("01"));
    assert_eq!(keep("departement", "20").as_deref(), Some("20"));
    assert_eq!(keep("departement", "69D").as_deref(), Some("69D"));
    assert_eq!(reason("departement", "975"), "territoire_hors_niveau");
    assert_eq!(reason("departement", "Bretagne"), "territoire_hors_niveau");
    assert_eq!(reason("departement", "France entière"), "ligne_total");
    assert_eq!(reason("departement", "Cantall"), "territoire_inconnu");
    assert_eq!(reason("departement", "01 - Aisne"), "territoire_incoherent");
    assert_eq!(keep("region", "104").as_deref(), Some("04"));
    assert_eq!(reason("region", "15"), "territoire_inconnu");
    assert_eq!(reason("region", "Cantal"), "territoire_hors_niveau");
    // Another level keeps the codes as written.
    assert_eq!(keep("commune", " 15014 ").as_deref(), Some("15014"));
}

#[test]
fn year_headers_and_code_columns() {
    assert_eq!(header_year("2020"), Some(2020));
    assert_eq!(header_year(" 2019 "), Some(2019));
    assert_eq!(header_year("0 à 4 ans"), None);
    assert_eq!(header_year("1850"), None);
    let named = |h: &str| {
        header::normalize(h)
            .split(' ')
            .any(|w| CODE_OR_LABEL_WORDS.contains(&w))
    };
    for h in [
        "Code région",
        "Libellé",
        "Lib_Dep",
        "Départements",
        "N° INSEE",
    ] {
        assert!(named(h), "{h}");
    }
    for h in [
        "0 à 4 ans",
        "Ensemble",
        "Hommes",
        "2020",
        "Total des enfants accueillis",
    ] {
        assert!(!named(h), "{h}");
    }
}

#[test]
fn normalising_headers_keeps_its_rules() {
    for (raw, want) in [
        ("  Date d'entrée  ", "date d entree"),
        ("N° dossier", "n dossier"),
        ("Question 12", "question 12"),
        ("Question12", "question"),
        ("Q123", "q123"),
        ("Trimestre 123", "trimestre 123"),
        ("ÉTP\u{a0}2023", "etp 2023"),
        ("Cœur", "cœur"),
        ("---", ""),
        ("", ""),
        ("12", "12"),
    ] {
        assert_eq!(header::normalize(raw), want, "{raw}");
    }
}

proptest::proptest! {
    /// The cheap lead is the first character of the normalised text, for any text: the
    /// row markers may reject on it without normalising.
    #[test]
    fn the_lead_is_the_first_character_of_the_normalised_text(t in "\\PC{0,16}") {
        proptest::prop_assert_eq!(header::normalized_lead(&t), header::normalize(&t).chars().next());
    }
}
