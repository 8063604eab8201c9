//! French number formatting shared by every output a user reads (charts, reports,
//! terminal). Owns: decimal comma, narrow no-break space as thousands separator,
//! no-break space before `%`.

/// No-break space placed before `%` (French typography).
pub const NBSP: char = '\u{a0}';
/// Narrow no-break space used as thousands separator.
pub const NNBSP: char = '\u{202f}';

/// Formats `value` with `decimals` decimals, a decimal comma and narrow no-break spaces
/// between thousands: `12345.678, 1` → `12 345,7`.
pub fn number_fr(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "—".to_string();
    }
    let s = format!("{:.*}", decimals, value.abs());
    let (int_part, frac_part) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let mut grouped = String::new();
    let digits: Vec<char> = int_part.chars().collect();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(NNBSP);
        }
        grouped.push(*c);
    }
    let negative = value < 0.0 && s.chars().any(|c| c != '0' && c != '.');
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&grouped);
    if let Some(f) = frac_part {
        out.push(',');
        out.push_str(&f);
    }
    out
}

/// Formats a ratio as a French percentage: `1.2138, 2` → `121,38 %`.
pub fn percent_fr(ratio: f64, decimals: usize) -> String {
    if !ratio.is_finite() {
        return "—".to_string();
    }
    format!("{}{}%", number_fr(ratio * 100.0, decimals), NBSP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_french_numbers() {
        assert_eq!(number_fr(1514.0, 0), "1\u{202f}514");
        assert_eq!(number_fr(1234567.891, 2), "1\u{202f}234\u{202f}567,89");
        assert_eq!(number_fr(-0.5, 1), "-0,5");
        assert_eq!(number_fr(-0.04, 1), "0,0");
        assert_eq!(number_fr(999.0, 0), "999");
        assert_eq!(number_fr(f64::NAN, 1), "—");
    }

    #[test]
    fn formats_french_percentages() {
        assert_eq!(percent_fr(1.2138, 2), "121,38\u{a0}%");
        assert_eq!(percent_fr(1.214, 1), "121,4\u{a0}%");
        assert_eq!(percent_fr(0.0, 1), "0,0\u{a0}%");
    }
}
