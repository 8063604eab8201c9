//! Open ends written as text (docs/architecture.md, « Fins ouvertes »): in an end-date
//! field (`date_fin` of an accompaniment, `date_sortie` of a staff member), `en cours`,
//! `encore présent`, `-`, `/`… mean « not ended yet », exactly like an empty cell. The
//! default list is extended per source by `fins_ouvertes = […]`; texts are compared
//! folded (case, accents, spacing). Any other text that is not a date stays a
//! `date_invalide` issue, and a start date written `en cours` stays an error.

use super::grid::Cell;
use super::values;

/// End-date fields: the only ones where an open-end text means « no end yet ».
pub const END_DATE_FIELDS: &[&str] = &["date_fin", "date_sortie"];

/// Texts meaning « not ended yet » in an end-date field, whatever the pipeline says
/// (documented in the README, « Fins ouvertes »). An empty cell means the same.
pub const DEFAULT_OPEN_ENDS: &[&str] = &[
    "en cours",
    "encours",
    "encore présent",
    "encore présente",
    "toujours présent",
    "toujours présente",
    "présent",
    "présente",
    "non sorti",
    "non sortie",
    "pas de sortie",
    "-",
    "–",
    "—",
    "/",
];

/// `true` when `cell` of field `field` is an open end: a text of the default list or of
/// the source's own `extra` list, in an end-date field.
pub fn is_open_end(field: &str, cell: &Cell, extra: &[String]) -> bool {
    if !END_DATE_FIELDS.contains(&field) {
        return false;
    }
    let Cell::Text(t) = cell else {
        return false;
    };
    // Every end date of a CSV file is a text: a date written with digits is none of the
    // default texts (none has a digit), so only a source's own list can still name it.
    if extra.is_empty() && t.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    let key = folded(t);
    if key.is_empty() {
        return true;
    }
    DEFAULTS_FOLDED.contains(&key) || extra.iter().any(|e| folded(e) == key)
}

/// [`DEFAULT_OPEN_ENDS`] folded once.
static DEFAULTS_FOLDED: std::sync::LazyLock<Vec<String>> =
    std::sync::LazyLock::new(|| DEFAULT_OPEN_ENDS.iter().map(|d| folded(d)).collect());

/// What an unreadable end date may also be: the end of a message (empty for another
/// field or another fault).
pub fn hint(field: &str, invalid: values::Invalid) -> &'static str {
    if END_DATE_FIELDS.contains(&field) && invalid == values::Invalid::NotADate {
        " ; si la personne est encore présente, laissez la cellule vide ou écrivez « en cours » (ou déclarez votre formule dans fins_ouvertes de la source) ; en attendant, la date de fin est laissée vide"
    } else {
        ""
    }
}

/// Folded for comparison: upper case, no accents, single spaces (`values::fold`), then
/// without the spaces and dots around words (« En  cours. » = « en cours »).
fn folded(t: &str) -> String {
    values::fold(t)
        .trim_matches(|c: char| c == '.' || c.is_whitespace())
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_default_open_end_has_a_digit() {
        // `is_open_end` skips folding a text with a digit on this ground.
        assert!(
            DEFAULT_OPEN_ENDS
                .iter()
                .all(|d| !d.bytes().any(|b| b.is_ascii_digit()))
        );
        let extra = vec!["99/99/9999".to_string()];
        assert!(is_open_end("date_fin", &text(" 99/99/9999 "), &extra));
        assert!(!is_open_end("date_fin", &text("31/12/2024"), &[]));
        assert!(is_open_end("date_fin", &text("  En  Cours. "), &[]));
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn open_end_texts_only_in_end_dates() {
        for s in [
            "en cours",
            "EN COURS",
            "  En   cours ",
            "Encore présent",
            "encore presente",
            "-",
            "/",
            "",
            "En cours.",
        ] {
            assert!(is_open_end("date_fin", &text(s), &[]), "{s:?}");
            assert!(is_open_end("date_sortie", &text(s), &[]), "{s:?}");
        }
        // A start date written « en cours » is not an open end.
        assert!(!is_open_end("date_debut", &text("en cours"), &[]));
        // Neither a date nor in the list.
        assert!(!is_open_end("date_fin", &text("bientôt"), &[]));
        assert!(!is_open_end("date_fin", &text("12/13/2021"), &[]));
        // A source's own list extends the default one.
        let extra = vec!["Pas encore sorti".to_string()];
        assert!(is_open_end("date_fin", &text("pas encore  SORTI"), &extra));
        assert!(is_open_end("date_fin", &text("en cours"), &extra));
        // Only text cells.
        assert!(!is_open_end("date_fin", &Cell::Number(3.0), &[]));
        // An unreadable end date is told how to write an open end.
        assert!(hint("date_fin", values::Invalid::NotADate).contains("fins_ouvertes"));
        assert_eq!(hint("date_debut", values::Invalid::NotADate), "");
        assert_eq!(hint("date_fin", values::Invalid::DateOutOfRange), "");
    }
}
