//! Text folding shared by every stage (ground floor): free text cleaned of line breaks and
//! runs of spaces, and codes folded (upper case, no accents) so that short user codes
//! compare whatever their spelling. Never used on identity fields, whose normalisation
//! belongs to pseudonymisation.

/// Normalises free text: trims, turns line breaks and runs of spaces (including no-break
/// spaces) into single spaces.
pub fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for part in s
        .split(|c: char| c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}')
        .filter(|p| !p.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// [`clean_text`], borrowing `s` when it is already clean (no space at either end, no
/// line break or other space than single plain spaces between words): most cells are,
/// and reading interprets every cell.
pub fn clean_text_cow(s: &str) -> std::borrow::Cow<'_, str> {
    let mut previous_space = true;
    for c in s.chars() {
        let space = c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}';
        if space && (c != ' ' || previous_space) {
            return clean_text(s).into();
        }
        previous_space = space;
    }
    if previous_space && !s.is_empty() {
        return clean_text(s).into();
    }
    s.into()
}

/// Upper case without accents, for comparing short user codes (not identity fields).
pub fn fold(t: &str) -> String {
    let mut out = String::new();
    fold_into(t, &mut out);
    out
}

/// [`fold`] appended to `out`, without a `String` of its own (checks fold several
/// fields of every row into one buffer).
pub fn fold_into(t: &str, out: &mut String) {
    use unicode_normalization::UnicodeNormalization;
    let cleaned = clean_text_cow(t);
    out.reserve(cleaned.len());
    // Plain ASCII has no accent to strip: the decomposition would give it back unchanged.
    if cleaned.is_ascii() {
        out.extend(cleaned.chars().map(|c| c.to_ascii_uppercase()));
        return;
    }
    // Upper-casing maps each character on its own, so it can follow the decomposition
    // character by character.
    for c in cleaned
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
    {
        out.extend(c.to_uppercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clean_text_borrows_only_what_is_already_clean() {
        assert!(matches!(
            clean_text_cow("en cours"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert!(matches!(clean_text_cow(""), std::borrow::Cow::Borrowed(_)));
        for dirty in [" a", "a ", "a  b", "a\u{a0}b", "a\nb", "\t", " "] {
            assert!(
                matches!(clean_text_cow(dirty), std::borrow::Cow::Owned(_)),
                "{dirty:?}"
            );
        }
    }

    proptest! {
        /// The borrowing form always equals the cleaned copy.
        #[test]
        fn clean_text_cow_equals_clean_text(s in "[ab \\t\\n\\u{a0}\\u{202f}é]{0,12}") {
            let (borrowed, copied) = (clean_text_cow(&s).into_owned(), clean_text(&s));
            prop_assert_eq!(borrowed, copied);
        }

        /// Folding into a buffer equals cleaning, decomposing without combining marks
        /// and upper-casing the whole text, after what the buffer already held.
        #[test]
        fn fold_into_appends_the_folded_text(
            s in "[aBz \\t\\n\\u{a0}éÉßœﬁ½Σσς\\u{301}İ]{0,12}",
            before in "[a-z]{0,3}",
        ) {
            use unicode_normalization::UnicodeNormalization;
            let want = clean_text(&s)
                .nfkd()
                .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
                .collect::<String>()
                .to_uppercase();
            let mut out = before.clone();
            fold_into(&s, &mut out);
            prop_assert_eq!(out, format!("{before}{want}"));
        }
    }
}
