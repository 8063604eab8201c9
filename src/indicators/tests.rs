//! Unit tests of `indicators`.

#[test]
fn generated_documentation_is_current() {
    let committed = include_str!("../../docs/indicateurs.md");
    assert!(
        committed == super::registry_markdown(),
        "docs/indicateurs.md n'est plus à jour : régénérez-le avec « cargo run -- indicateurs --markdown > docs/indicateurs.md »"
    );
}

#[test]
fn registry_ids_are_unique_and_complete() {
    let defs = super::catalogue();
    let mut ids: Vec<&str> = defs.iter().map(|d| d.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), defs.len());
    for d in &defs {
        assert!(
            !d.libelle.is_empty()
                && !d.definition.is_empty()
                && !d.unite.is_empty()
                && !d.origine.is_empty(),
            "{}",
            d.id
        );
    }
}
