//! Unit tests of `pipeline`.

use super::*;

const MINIMAL: &str = r#"
[pipeline]
nom = "Essai"

[periode]
debut = 2020
fin = 2022

[[sources]]
fichier = "a.xlsx"
table = "accompagnements"
service = "S1"
[sources.colonnes]
date_debut = ["Entrée", "Date d'entrée"]
"#;

#[test]
fn parses_a_minimal_pipeline() {
    let p = Pipeline::parse(Path::new("dir/p.toml"), MINIMAL.into()).unwrap();
    assert_eq!(p.spec.periode.years(), 2020..=2022);
    assert_eq!(p.spec.sources.len(), 1);
    assert_eq!(p.resolve("a.xlsx"), Path::new("dir/a.xlsx"));
}

#[test]
fn unknown_key_points_at_line_and_suggests() {
    let text = MINIMAL.replace(
        "fichier = \"a.xlsx\"",
        "fichier = \"a.xlsx\"\nfeuile = \"X\"",
    );
    let e = Pipeline::parse(Path::new("p.toml"), text).unwrap_err();
    assert_eq!(e.line, Some(11));
    assert!(e.message.contains("feuile"), "{}", e.message);
    assert!(e.hint.contains("« feuille »"), "{}", e.hint);
}

#[test]
fn unknown_table_and_field_are_located() {
    let text = MINIMAL.replace("\"accompagnements\"", "\"accompagnement\"");
    let e = Pipeline::parse(Path::new("p.toml"), text).unwrap_err();
    assert_eq!(e.line, Some(11));
    assert!(e.hint.contains("« accompagnements »"), "{}", e.hint);

    let text = MINIMAL.replace("date_debut =", "date_debutt =");
    let e = Pipeline::parse(Path::new("p.toml"), text).unwrap_err();
    assert_eq!(e.line, Some(14));
    assert_eq!(e.column, Some(1));
    assert!(e.hint.contains("« date_debut »"), "{}", e.hint);
}

#[test]
fn bad_period_and_missing_key() {
    let text = MINIMAL.replace("fin = 2022", "fin = 2019");
    let e = Pipeline::parse(Path::new("p.toml"), text).unwrap_err();
    assert_eq!(e.line, Some(7));
    let text = MINIMAL.replace("nom = \"Essai\"", "");
    let e = Pipeline::parse(Path::new("p.toml"), text).unwrap_err();
    assert!(e.message.contains("« nom »"), "{}", e.message);
    let text = MINIMAL.replace("debut = 2020", "debut = 2020\ndebut = 2021");
    let e = Pipeline::parse(Path::new("p.toml"), text).unwrap_err();
    assert!(e.line.is_some());
}

#[test]
fn child_territory_setting() {
    use crate::settings::ChildTerritory;
    let p = Pipeline::parse(Path::new("p.toml"), MINIMAL.into()).unwrap();
    assert_eq!(
        p.settings.indicators.child_territory,
        ChildTerritory::Service
    );
    let with = |extra: &str| format!("{MINIMAL}\n{extra}");
    let p = Pipeline::parse(
        Path::new("p.toml"),
        with("[indicateurs]\nterritoire_enfant = \"residence\"\n"),
    )
    .unwrap();
    assert_eq!(
        p.settings.indicators.child_territory,
        ChildTerritory::Residence
    );
    let e = Pipeline::parse(
        Path::new("p.toml"),
        with("[indicateurs]\nterritoire_enfant = \"commune\"\n"),
    )
    .unwrap_err();
    assert!(e.hint.contains("residence"), "{}", e.hint);
    let e = Pipeline::parse(
        Path::new("p.toml"),
        with("[confidentialite]\nniveau_residence = \"region\"\n[indicateurs]\nterritoire_enfant = \"residence\"\n"),
    )
    .unwrap_err();
    assert!(e.hint.contains("niveau_residence"), "{}", e.hint);
}

#[test]
fn open_ends_only_for_tables_with_an_end_date() {
    let text = MINIMAL.replace(
        "service = \"S1\"",
        "service = \"S1\"\nfins_ouvertes = [\"pas encore sorti\"]",
    );
    let p = Pipeline::parse(Path::new("p.toml"), text.clone()).unwrap();
    assert_eq!(p.spec.sources[0].fins_ouvertes, ["pas encore sorti"]);
    let text = text
        .replace("\"accompagnements\"", "\"activite\"")
        .replace("date_debut = [\"Entrée\", \"Date d'entrée\"]", "");
    let e = Pipeline::parse(Path::new("p.toml"), text).unwrap_err();
    assert_eq!(e.line, Some(11));
    assert!(e.message.contains("fins_ouvertes"), "{}", e.message);
}
