//! Wide reference tables (`colonnes_larges`): which header columns hold values (one per
//! year or per category) and which hold codes or labels.

use super::*;

/// A value column of a wide reference table (`colonnes_larges`).
pub(super) struct WideCol {
    pub(super) index: usize,
    pub(super) display: String,
    pub(super) upper: Option<String>,
    pub(super) lower: Option<String>,
    /// The column's header is a year: the period of its values.
    pub(super) year: Option<i32>,
}

impl WideCol {
    /// Dimensions of the values: the header levels that are not the year.
    pub(super) fn dims(&self) -> (Option<String>, Option<String>) {
        let keep = |t: &Option<String>| {
            t.as_deref()
                .filter(|t| header_year(t).is_none())
                .map(values::clean_text)
        };
        let (d1, d2) = (keep(&self.upper), keep(&self.lower));
        if d1.is_none() { (d2, None) } else { (d1, d2) }
    }
}

/// `2019` as a header (a four-digit year between 1900 and 2100).
pub(super) fn header_year(t: &str) -> Option<i32> {
    let n = header::normalize(t);
    (n.len() == 4)
        .then(|| n.parse::<i32>().ok())
        .flatten()
        .filter(|y| (1900..=2100).contains(y))
}

/// Words of a header that name a code or a label, not a value.
pub(super) const CODE_OR_LABEL_WORDS: &[&str] = &[
    "code",
    "codes",
    "libelle",
    "libelles",
    "lib",
    "nom",
    "noms",
    "departement",
    "departements",
    "dep",
    "region",
    "regions",
    "reg",
    "territoire",
    "territoires",
    "commune",
    "communes",
    "numero",
    "insee",
];

/// The value columns of a wide reference table: every header column not mapped to a
/// field, except those the pipeline excludes and those that hold codes or labels (by
/// their header, or because their cells are text): a column of codes summed as values
/// gives absurd figures.
// Long function: the rules that decide whether a column holds values (exclusions, header
// words, text cells) are applied together, column by column.
pub(super) fn wide_columns(
    ctx: &SheetContext,
    grid: &Grid,
    header: &Header,
    cols: &[(usize, String, Role)],
    issues: &mut Vec<Issue>,
) -> (Vec<WideCol>, Vec<usize>) {
    let Some(w) = ctx
        .spec
        .reference
        .as_ref()
        .and_then(|r| r.colonnes_larges.as_ref())
    else {
        return (Vec::new(), Vec::new());
    };
    let mut set_aside: Vec<usize> = Vec::new();
    let used: Vec<usize> = cols.iter().map(|c| c.0).collect();
    let excluded: Vec<String> = w.exclure.iter().map(|s| header::normalize(s)).collect();
    let mut out = Vec::new();
    for hc in header.columns.iter().filter(|hc| !used.contains(&hc.index)) {
        let keys = hc.keys();
        if keys.iter().any(|k| excluded.contains(k)) {
            continue;
        }
        let place = Some(cell_ref(header.rows.last().copied().unwrap_or(0), hc.index));
        let named_as_code = keys
            .iter()
            .any(|k| k.split(' ').any(|word| CODE_OR_LABEL_WORDS.contains(&word)));
        if named_as_code {
            issues.push(ctx.issue(
                place,
                Some(hc.display()),
                None,
                "colonne_de_codes",
                Severity::Info,
                "colonne laissée de côté par colonnes_larges : son en-tête désigne un code ou un libellé, pas une valeur".into(),
            ));
            set_aside.push(hc.index);
            continue;
        }
        // Text cells (other than missing-value markers) in most of the filled cells: codes
        // or labels, not values.
        let (mut filled, mut text) = (0usize, 0usize);
        for r in header.data_start()..grid.height() {
            let cell = grid.get(r, hc.index);
            match values::parse(cell, Kind::Number, ctx.is_1904) {
                Parsed::Missing(Missing::Empty) => {}
                Parsed::Value(_) | Parsed::Missing(_) => filled += 1,
                Parsed::Invalid(_) => {
                    filled += 1;
                    text += 1;
                }
            }
        }
        if filled > 0 && text * 2 > filled {
            issues.push(ctx.issue(
                place,
                Some(hc.display()),
                None,
                "colonne_de_codes",
                Severity::Warning,
                format!("colonne laissée de côté par colonnes_larges : {text} de ses {filled} cellules remplies sont du texte (codes ou libellés), pas des nombres ; si c'est une colonne de valeurs, corrigez ses cellules"),
            ));
            set_aside.push(hc.index);
            continue;
        }
        let year = hc
            .lower
            .as_deref()
            .and_then(header_year)
            .or_else(|| hc.upper.as_deref().and_then(header_year));
        out.push(WideCol {
            index: hc.index,
            display: hc.display(),
            upper: hc.upper.clone(),
            lower: hc.lower.clone(),
            year,
        });
    }
    if out.iter().any(|w| w.year.is_some()) {
        issues.push(ctx.issue(
            None,
            None,
            None,
            "colonnes_annees",
            Severity::Info,
            "colonnes larges par année : l'année de chaque valeur est lue dans l'en-tête de sa colonne (la période du pipeline ne s'applique pas à ces colonnes)".into(),
        ));
    }
    (out, set_aside)
}
