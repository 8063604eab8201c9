//! Unit tests of `territory`.

use super::*;

fn known(t: &str) -> Option<&'static str> {
    match recognise(t) {
        Recognised::Known(t) => Some(t.code),
        _ => None,
    }
}

#[test]
fn the_table_has_every_department_and_region() {
    let deps: Vec<&Territory> = all()
        .iter()
        .filter(|t| t.level == Level::Department)
        .collect();
    assert_eq!(deps.len(), 101);
    let regions: Vec<&Territory> = all().iter().filter(|t| t.level == Level::Region).collect();
    assert_eq!(regions.len(), 18);
    // Every département belongs to exactly one région of the table.
    for d in &deps {
        let r = d.region.unwrap_or_else(|| panic!("{}", d.code));
        assert!(region(r).is_some(), "{} → {r}", d.code);
    }
    // 01–19, 2A, 2B, 21–95, 971–974, 976.
    let mut expected: Vec<String> = (1..=95)
        .filter(|n| *n != 20)
        .map(|n| format!("{n:02}"))
        .collect();
    expected.extend(["2A", "2B", "971", "972", "973", "974", "976"].map(String::from));
    expected.sort();
    let mut codes: Vec<String> = deps.iter().map(|d| d.code.to_string()).collect();
    codes.sort();
    assert_eq!(codes, expected);
    // Every région has at least one département; 13 metropolitan + 5 overseas.
    for r in &regions {
        assert!(deps.iter().any(|d| d.region == Some(r.code)), "{}", r.code);
    }
    let per_region = |code: &str| deps.iter().filter(|d| d.region == Some(code)).count();
    assert_eq!(per_region("84"), 12);
    assert_eq!(per_region("11"), 8);
    assert_eq!(per_region("94"), 2);
    assert_eq!(per_region("06"), 1);
    // Unique codes within a level; the CSV has no malformed line.
    assert_eq!(TABLE.lines().count() - 1, all().len());
    for t in all() {
        assert_eq!(
            all()
                .iter()
                .filter(|u| u.level == t.level && u.code == t.code)
                .count(),
            1,
            "{}",
            t.code
        );
    }
}

#[test]
fn corsica_and_overseas_collectivities() {
    let c = department("20").unwrap();
    assert_eq!(c.level, Level::HistoricalCorsica);
    assert_eq!(c.region, Some("94"));
    assert_eq!(department("2A").unwrap().name, "Corse-du-Sud");
    assert_eq!(department("2B").unwrap().name, "Haute-Corse");
    assert_eq!(region("94").unwrap().name, "Corse");
    for com in ["975", "977", "978", "986", "987", "988"] {
        let t = by_code(com).unwrap();
        assert_eq!(t.level, Level::OverseasCollectivity, "{com}");
        assert!(!t.is_department_like());
        assert!(department(com).is_none());
        assert!(t.region.is_none());
    }
    assert_eq!(by_code("975").unwrap().name, "Saint-Pierre-et-Miquelon");
    assert_eq!(by_code("976").unwrap().name, "Mayotte");
    assert_eq!(by_code("976").unwrap().level, Level::Department);
}

#[test]
fn names_as_the_cog_writes_them() {
    for (code, name) in [
        ("21", "Côte-d'Or"),
        ("22", "Côtes-d'Armor"),
        ("90", "Territoire de Belfort"),
        ("95", "Val-d'Oise"),
        ("974", "La Réunion"),
        ("63", "Puy-de-Dôme"),
        ("13", "Bouches-du-Rhône"),
    ] {
        assert_eq!(department(code).unwrap().name, name);
    }
    assert_eq!(region("93").unwrap().name, "Provence-Alpes-Côte d'Azur");
    assert_eq!(region("24").unwrap().name, "Centre-Val de Loire");
    assert_eq!(region("11").unwrap().name, "Île-de-France");
    assert_eq!(department_display("15"), "Cantal (15)");
    assert_eq!(department_display("20"), "Corse (20)");
    assert_eq!(department_display("99"), "Département 99");
}

// Long function: one table of written forms and the code each must give; split, the
// cases would scatter.
#[test]
fn recognises_every_common_form() {
    for (text, code) in [
        ("01", "01"),
        ("1", "01"),
        ("001", "01"),
        ("1.0", "01"),
        ("01-Ain", "01"),
        ("01 - Ain", "01"),
        ("01 – Ain", "01"),
        ("01 Ain", "01"),
        ("Ain (01)", "01"),
        ("Ain", "01"),
        ("AIN", "01"),
        ("ain", "01"),
        ("20A", "2A"),
        ("20B", "2B"),
        ("2a", "2A"),
        ("2A - Corse-du-Sud", "2A"),
        ("corse du sud", "2A"),
        ("CORSE-DU-SUD", "2A"),
        ("Haute Corse", "2B"),
        ("20", "20"),
        ("20 - Corse", "20"),
        ("Corse", "20"),
        ("971", "971"),
        ("Guadeloupe", "971"),
        ("971 - Guadeloupe", "971"),
        ("Réunion", "974"),
        ("LA REUNION", "974"),
        ("Cote d'Or", "21"),
        ("Côte d’Or", "21"),
        ("Val d'Oise", "95"),
        ("95 - Val-d'Oise", "95"),
        ("Territoire-de-Belfort", "90"),
        ("69D", "69D"),
        ("Métropole de Lyon", "69M"),
        ("975", "975"),
        ("St-Pierre-et-Miquelon", "975"),
        ("Nouvelle-Calédonie", "988"),
        // Footnote marks.
        ("974 (1)", "974"),
        ("976*", "976"),
        ("Mayotte (1)", "976"),
        ("La Réunion (*)", "974"),
    ] {
        assert_eq!(known(text), Some(code), "{text}");
    }
    assert_eq!(
        recognise("975").department(),
        None,
        "a collectivité d'outre-mer is not a département"
    );
    assert_eq!(recognise("69M").department(), None);
    assert_eq!(
        recognise("Bretagne"),
        Recognised::Known(region("53").unwrap())
    );
    assert_eq!(recognise("Bretagne").department(), None);
    for unknown in [
        "00", "96", "99", "101", "977x", "20C", "Aurillac", "", "12 rue",
    ] {
        assert_eq!(known(unknown), None, "{unknown}");
        assert!(
            !matches!(recognise(unknown), Recognised::Known(_)),
            "{unknown}"
        );
    }
    assert_eq!(recognise("01 - Aisne"), Recognised::Conflict);
    assert_eq!(recognise("15 - Ain"), Recognised::Conflict);
    for (t, scope) in [
        ("France entière", TotalScope::France),
        (
            "TOTAL estimé France entière (hors Mayotte)",
            TotalScope::France,
        ),
        ("France métropolitaine", TotalScope::Metropolitan),
        ("Total DROM", TotalScope::Overseas),
        ("Ensemble", TotalScope::France),
    ] {
        assert_eq!(recognise(t), Recognised::Total(scope), "{t}");
    }
}

#[test]
fn region_codes() {
    let code = |t: &str| match recognise_region(t) {
        Recognised::Known(r) => Some((r.level, r.code)),
        _ => None,
    };
    assert_eq!(code("84"), Some((Level::Region, "84")));
    assert_eq!(code("1"), Some((Level::Region, "01")));
    assert_eq!(code("101"), Some((Level::Region, "01")));
    assert_eq!(code("104"), Some((Level::Region, "04")));
    assert_eq!(code("Grand-Est"), Some((Level::Region, "44")));
    assert_eq!(
        code("84 - Auvergne-Rhône-Alpes"),
        Some((Level::Region, "84"))
    );
    assert_eq!(code("05"), None);
    assert_eq!(code("Cantal"), Some((Level::Department, "15")));
    assert_eq!(region_of("15"), Some("84"));
    assert_eq!(region_of("20"), Some("94"));
    assert_eq!(region_of("2A"), Some("94"));
    assert_eq!(region_of("976"), Some("06"));
    assert_eq!(region_of("975"), None);
    assert_eq!(region_of("99"), None);
}

#[test]
fn residences() {
    let d = |t: &str| department_of_residence(t).map(|t| t.code);
    assert_eq!(d("15"), Some("15"));
    assert_eq!(d("Cantal"), Some("15"));
    assert_eq!(d("15014"), Some("15"));
    assert_eq!(d("97411"), Some("974"));
    assert_eq!(d("2A004"), Some("2A"));
    assert_eq!(d("20090"), Some("2A"));
    assert_eq!(d("20200"), Some("2B"));
    assert_eq!(d("97500"), None, "Saint-Pierre-et-Miquelon");
    assert_eq!(d("975"), None);
    assert_eq!(d("Aurillac"), None);
    assert_eq!(d("12 rue des Lilas"), None);
    assert_eq!(d("99999"), None);
}

proptest::proptest! {
    /// Any text, however odd (accents, marks, multi-byte characters), is read
    /// without a panic.
    #[test]
    fn any_text_is_read_without_panic(t in "\\PC{0,12}", d in "[0-9AB*() -]{0,7}") {
        let _ = recognise(&t);
        let _ = recognise_region(&t);
        let _ = department_of_residence(&t);
        let _ = recognise(&d);
        let _ = department_of_residence(&d);
        let _ = recognise(&format!("{d}{t}"));
    }
}
