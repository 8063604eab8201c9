//! Reading a page as its reader does: the visible text (tags, attributes, style
//! sheets dropped, entities decoded) and the numbers in it, in French format.

/// The visible text of a page: tags and attributes dropped (a tag ends a word), the
/// style sheet dropped, entities decoded; SVG text kept, its drawing data dropped.
pub(super) fn visible_text(html: &str) -> String {
    let mut body = html.to_string();
    while let (Some(a), Some(b)) = (body.find("<style"), body.find("</style>")) {
        if b < a {
            break;
        }
        body.replace_range(a..b + 8, "\n");
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push('\n');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    decode(&text)
}

/// Decodes the entities minijinja and the templates write.
pub(super) fn decode(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(a) = rest.find('&') {
        out.push_str(&rest[..a]);
        let tail = &rest[a..];
        let Some(end) = tail.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let name = &tail[1..end];
        let c = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "nbsp" => Some('\u{a0}'),
            n if n.starts_with("#x") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A number found in a text: its value, decimals, where it starts and ends (bytes).
#[derive(Debug)]
pub(super) struct Number {
    pub(super) value: f64,
    pub(super) decimals: i32,
    pub(super) grouped: bool,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// Every number of `text` in French format: groups of three digits separated by a
/// (narrow) no-break space or a space, a decimal comma.
pub(super) fn numbers(text: &str) -> Vec<Number> {
    let b: Vec<(usize, char)> = text.char_indices().collect();
    let digit = |i: usize| b.get(i).is_some_and(|(_, c)| c.is_ascii_digit());
    let run = |mut i: usize| {
        while digit(i) {
            i += 1;
        }
        i
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !digit(i) || (i > 0 && (b[i - 1].1.is_alphanumeric() || b[i - 1].1 == '_')) {
            i = if digit(i) { run(i) } else { i + 1 };
            continue;
        }
        let start = i;
        let mut j = run(i);
        let mut int: String = b[start..j].iter().map(|(_, c)| c).collect();
        let mut grouped = false;
        while int.len() <= 3 || grouped {
            let sep = b.get(j).map(|(_, c)| *c);
            let next = run(j + 1);
            let three = next == j + 4 && !b.get(next).is_some_and(|(_, c)| c.is_alphanumeric());
            if matches!(sep, Some(' ' | '\u{a0}' | '\u{202f}')) && three {
                int.extend(b[j + 1..next].iter().map(|(_, c)| c));
                j = next;
                grouped = true;
            } else {
                break;
            }
        }
        let mut decimals = 0;
        let mut frac = String::new();
        if b.get(j).is_some_and(|(_, c)| *c == ',') && digit(j + 1) {
            let k = run(j + 1);
            frac = b[j + 1..k].iter().map(|(_, c)| c).collect();
            decimals = frac.len() as i32;
            j = k;
        }
        let value: f64 = format!("{int}.{}", if frac.is_empty() { "0" } else { &frac })
            .parse()
            .unwrap();
        let end = b.get(j).map_or(text.len(), |(p, _)| *p);
        out.push(Number {
            value,
            decimals,
            grouped,
            start: b[start].0,
            end,
        });
        i = j;
    }
    out
}

/// The page without its `<svg>` elements, and the `<svg>` elements.
pub(super) fn split_svg(html: &str) -> (String, String) {
    let (mut page, mut svg) = (String::new(), String::new());
    let mut rest = html;
    while let Some(a) = rest.find("<svg") {
        page.push_str(&rest[..a]);
        let b = rest[a..].find("</svg>").map_or(rest.len(), |b| a + b + 6);
        svg.push_str(&rest[a..b]);
        svg.push('\n');
        rest = &rest[b..];
    }
    page.push_str(rest);
    (page, svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_numbers_are_parsed_as_displayed() {
        let n = numbers("12,3\u{a0}% · 1\u{202f}514 journées · 4,2 ‰ · 86,1 · 2020–2023 · A12");
        let v: Vec<(f64, i32)> = n.iter().map(|n| (n.value, n.decimals)).collect();
        assert_eq!(
            v,
            [
                (12.3, 1),
                (1514.0, 0),
                (4.2, 1),
                (86.1, 1),
                (2020.0, 0),
                (2023.0, 0)
            ]
        );
        assert_eq!(decode("l&#x27;année &amp; 2"), "l'année & 2");
    }
}
