//! Unit tests of `vocabulary`.

use super::*;

#[test]
fn committed_documentation_is_current() {
    let committed = include_str!("../../docs/vocabulaires.md");
    assert!(
        committed == markdown(),
        "docs/vocabulaires.md n'est plus à jour : régénérez-le avec « cargo run -- vocabulaires --markdown > docs/vocabulaires.md »"
    );
}

#[test]
fn spellings_fold_to_one_label() {
    assert_eq!(recognise(MEASURE_TYPES, "aemo r"), Some("AEMO renforcée"));
    assert_eq!(recognise(MEASURE_TYPES, "AEMO-R"), Some("AEMO renforcée"));
    assert_eq!(
        recognise(MEASURE_TYPES, " Placement ASE "),
        Some("Placement ASE")
    );
    assert_eq!(recognise(LEGAL_FRAMES, "Judiciaire"), Some("judiciaire"));
    assert_eq!(
        recognise(JOBS, "Éducatrice spécialisée"),
        Some("Éducateur spécialisé")
    );
    assert_eq!(recognise(ACTION_STATUSES, "Réalisé"), Some("réalisé"));
    assert_eq!(
        recognise(JOBS, "Chef(fe) de service"),
        Some("Chef de service")
    );
    assert_eq!(recognise(JOBS, "Infirmier(ère)"), Some("Infirmier"));
    assert_eq!(
        recognise(JOBS, "Enseignant(e) spécialisé(e)"),
        Some("Enseignant")
    );
    assert_eq!(
        recognise(JOBS, "Educateur spécialisé référent"),
        Some("Éducateur spécialisé")
    );
    // Ambiguous abbreviations need the pipeline's mapping.
    assert_eq!(recognise(JOBS, "AS"), None);
    // A first name is not a category.
    assert_eq!(recognise(MEASURE_TYPES, "Maëlys"), None);
    assert_eq!(recognise(JOBS, "Dupont"), None);
    assert_eq!(recognise(MEASURE_TYPES, ""), None);
}

#[test]
fn no_spelling_is_claimed_by_two_terms() {
    for (table, field, terms) in all() {
        let mut seen = std::collections::BTreeMap::new();
        for term in terms {
            for s in std::iter::once(&term.label).chain(term.synonyms.iter()) {
                if let Some(other) = seen.insert(key(s), term.label) {
                    assert_eq!(
                        other,
                        term.label,
                        "{}.{field}: « {s} » in two terms",
                        table.id()
                    );
                }
            }
        }
    }
}

#[test]
fn every_coded_field_exists_and_is_text() {
    for (table, field, _) in all() {
        let f = table.field(field).expect("field");
        assert_eq!(f.kind, crate::tables::Kind::Text);
        assert!(!f.identifying);
    }
    assert!(of(Table::Accompaniments, "nom").is_none());
}
