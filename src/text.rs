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

/// Upper case without accents, for comparing short user codes (not identity fields).
pub fn fold(t: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let cleaned = clean_text(t);
    // Plain ASCII has no accent to strip: the decomposition would give it back unchanged.
    if cleaned.is_ascii() {
        return cleaned.to_ascii_uppercase();
    }
    cleaned
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect::<String>()
        .to_uppercase()
}
