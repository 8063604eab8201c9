//! Unit tests of cell interpretation: numbers, dates, booleans, months and markers.

use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn excel_serials_in_both_epochs() {
    // 45291 is 31/12/2023 in the 1900 system; the 1904 system is 1462 days behind.
    assert_eq!(excel_serial_to_date(45291.0, false), Some(d(2023, 12, 31)));
    assert_eq!(
        excel_serial_to_date(45291.0 - 1462.0, true),
        Some(d(2023, 12, 31))
    );
    assert_eq!(excel_serial_to_date(61.0, false), Some(d(1900, 3, 1)));
    assert_eq!(excel_serial_to_date(59.0, false), Some(d(1900, 2, 28)));
    assert_eq!(excel_serial_to_date(60.0, false), None);
    assert_eq!(excel_serial_to_date(0.0, true), Some(d(1904, 1, 1)));
    assert_eq!(excel_serial_to_date(45291.75, false), Some(d(2023, 12, 31)));
    assert_eq!(excel_serial_to_date(-1.0, false), None);
}

#[test]
fn text_dates() {
    assert_eq!(parse_date_text("31/12/2023"), Some(d(2023, 12, 31)));
    assert_eq!(parse_date_text("2023-12-31"), Some(d(2023, 12, 31)));
    assert_eq!(parse_date_text("1/2/2021"), Some(d(2021, 2, 1)));
    assert_eq!(parse_date_text("31.12.23"), Some(d(2023, 12, 31)));
    assert_eq!(
        parse_date_text("2023-12-31T00:00:00"),
        Some(d(2023, 12, 31))
    );
    assert_eq!(parse_date_text("31/02/2023"), None);
    assert_eq!(parse_date_text("bientôt"), None);
}

#[test]
fn decimal_commas_and_thousands() {
    assert_eq!(parse_decimal("1 240,5"), Some(1240.5));
    assert_eq!(parse_decimal("1\u{202f}240,5"), Some(1240.5));
    assert_eq!(parse_decimal("1.240,5"), Some(1240.5));
    assert_eq!(parse_decimal("1,240.5"), Some(1240.5));
    assert_eq!(parse_decimal("94,2 %"), Some(94.2));
    assert_eq!(parse_decimal("-3"), Some(-3.0));
    assert_eq!(parse_decimal("1,2,3"), None);
    assert_eq!(parse_decimal("abc"), None);
}

#[test]
fn marker_lengths_are_the_longest_markers() {
    let longest = |m: &[&str]| m.iter().map(|m| m.chars().count()).max().unwrap_or(0);
    assert_eq!(MISSING_LONGEST, longest(MISSING_MARKERS));
    assert_eq!(NUMERIC_LONGEST, longest(NUMERIC_MARKERS));
    assert!(
        MISSING_MARKERS
            .iter()
            .chain(NUMERIC_MARKERS)
            .all(|m| !m.contains(char::is_whitespace))
    );
    // Dashes (outside ASCII) and ASCII markers in any case, spaces around.
    assert_eq!(missing_marker(" — ").as_deref(), Some("—"));
    assert_eq!(missing_marker("n.d.").as_deref(), Some("N.D."));
    assert_eq!(missing_marker("n d"), None);
    assert_eq!(numeric_marker("\u{a0}secret").as_deref(), Some("SECRET"));
    assert_eq!(numeric_marker("secrets"), None);
}

#[test]
fn booleans_months_markers() {
    assert_eq!(parse_bool("Oui"), Some(true));
    assert_eq!(parse_bool(" x "), Some(true));
    assert_eq!(parse_bool("non"), Some(false));
    assert_eq!(parse_bool("peut-être"), None);
    assert_eq!(parse_month_name("Février"), Some(2));
    assert_eq!(parse_month_name("déc."), Some(12));
    assert_eq!(parse_month_name("août"), Some(8));
    assert_eq!(missing_marker(" nd "), Some("ND".into()));
    assert_eq!(missing_marker("-"), Some("-".into()));
    assert_eq!(missing_marker("Dupont"), None);
    // Surrounding spaces of every kind do not count against the length.
    assert_eq!(missing_marker("\u{a0} n/a \u{202f}\n "), Some("N/A".into()));
    assert_eq!(missing_marker("n.d. encore"), None);
    assert_eq!(numeric_marker("  secret  "), Some("SECRET".into()));
    assert_eq!(numeric_marker("secrets"), None);
}

#[test]
fn cells_against_kinds() {
    let num = |s: &str| parse(&Cell::Text(s.into()), Kind::Number, false);
    assert_eq!(num("1240,5"), Parsed::Value(Value::Number(1240.5)));
    assert_eq!(num("NR"), Parsed::Missing(Missing::Marker("NR".into())));
    // The statistical-secret mark, in numeric cells only.
    assert_eq!(num("s"), Parsed::Missing(Missing::Marker("S".into())));
    assert_eq!(num(" se "), Parsed::Missing(Missing::Marker("SE".into())));
    assert_eq!(
        parse(&Cell::Text("c".into()), Kind::Integer, false),
        Parsed::Missing(Missing::Marker("C".into()))
    );
    assert_eq!(
        parse(&Cell::Text("S".into()), Kind::Text, false),
        Parsed::Value(Value::Text("S".into()))
    );
    assert_eq!(num("beaucoup"), Parsed::Invalid(Invalid::NotANumber));
    assert_eq!(
        parse(&Cell::Error("#DIV/0!".into()), Kind::Number, false),
        Parsed::Missing(Missing::ErrorCell("#DIV/0!".into()))
    );
    assert_eq!(
        parse(&Cell::Text("#N/A".into()), Kind::Text, false),
        Parsed::Missing(Missing::ErrorCell("#N/A".into()))
    );
    // A plain number in a date column follows the workbook's date system.
    assert_eq!(
        parse(&Cell::Number(45291.0 - 1462.0), Kind::Date, true),
        Parsed::Value(Value::Date(d(2023, 12, 31)))
    );
    assert_eq!(
        parse(&Cell::Date(d(2021, 1, 1)), Kind::Month, false),
        Parsed::Value(Value::Month {
            month: 1,
            year: Some(2021)
        })
    );
    assert_eq!(
        parse(&Cell::Text("janv-21".into()), Kind::Month, false),
        Parsed::Value(Value::Month {
            month: 1,
            year: Some(2021)
        })
    );
    assert_eq!(
        parse(
            &Cell::Text("  Marie-Ève \n Dupont ".into()),
            Kind::Text,
            false
        ),
        Parsed::Value(Value::Text("Marie-Ève Dupont".into()))
    );
    assert_eq!(
        parse(&Cell::Number(2023.0), Kind::Integer, false),
        Parsed::Value(Value::Integer(2023))
    );
    assert_eq!(
        parse(&Cell::Number(20.5), Kind::Integer, false),
        Parsed::Invalid(Invalid::NotAnInteger)
    );
}
