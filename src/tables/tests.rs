//! Unit tests of `tables`.

use super::*;

#[test]
fn table_ids_round_trip_and_fields_are_unique() {
    for t in Table::ALL {
        assert_eq!(Table::from_id(t.id()), Some(t));
        let mut names: Vec<_> = t.fields().iter().map(|f| f.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len(), "duplicate field in {}", t.id());
    }
    assert!(
        Table::Accompaniments
            .field("nom")
            .is_some_and(|f| f.identifying)
    );
    assert!(
        Table::Accompaniments
            .field("date_debut")
            .is_some_and(|f| f.required)
    );
}
