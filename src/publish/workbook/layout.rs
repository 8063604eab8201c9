//! What goes where in the workbook, without writing anything: the sections (one per
//! indicator family), the order of their lines, the perimeter and breakdown labels, and
//! the sheet names Excel accepts. Pure functions, tested below.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use crate::indicators::{
    IndicatorDef, IndicatorRow, activity, context, cross_sector, hr, persons, quality,
    satisfaction, training,
};

/// The sections of a workbook: one sheet per indicator family, in report order, named
/// for a director. A family added to the registry without a name here still gets its
/// sheet ([`OTHERS`]), and a unit test fails until it is named.
pub const FAMILIES: [(&str, &[IndicatorDef]); 8] = [
    ("Activité", &activity::DEFINITIONS),
    ("Personnes accompagnées", &persons::DEFINITIONS),
    ("Parcours PE et DITEP", &cross_sector::DEFINITIONS),
    ("Ressources humaines", &hr::DEFINITIONS),
    ("Formation", &training::DEFINITIONS),
    ("Satisfaction", &satisfaction::DEFINITIONS),
    ("Démarche qualité", &quality::DEFINITIONS),
    ("Territoires", &context::DEFINITIONS),
];

/// Sheet of the rows whose indicator belongs to no named family.
pub const OTHERS: &str = "Autres indicateurs";

/// Where a figure is about, as a reader names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Perimeter {
    /// Services, organisations, départements, internal territories, whole network.
    pub rank: u8,
    /// Sort key inside the rank (name for services and organisations, code for
    /// départements so that they come in the order of their codes).
    pub sort: String,
    /// « Service », « Organisation »…
    pub level: &'static str,
    /// The service's name, `Cantal (15)`, `Ensemble du réseau`…
    pub name: String,
    /// Service code, organisation, territory code; empty for the whole network.
    pub code: String,
}

/// The perimeter of a row (the same reading as the HTML report's).
pub fn perimeter(r: &IndicatorRow) -> Perimeter {
    let p = |rank, sort: String, level, name: String, code: String| Perimeter {
        rank,
        sort,
        level,
        name,
        code,
    };
    match (
        &r.service,
        &r.organisation,
        r.niveau_territoire.as_str(),
        &r.code_territoire,
    ) {
        (Some(s), _, _, _) => {
            let name = r.nom_service.clone().unwrap_or_else(|| s.clone());
            p(0, format!("{name}\u{0}{s}"), "Service", name, s.clone())
        }
        (None, Some(o), _, t) => {
            let (name, code) = match t {
                Some(t) => (
                    format!("{o} — {}", crate::territory::department_display(t)),
                    format!("{o} / {t}"),
                ),
                None => (o.clone(), o.clone()),
            };
            p(1, code.clone(), "Organisation", name, code)
        }
        (None, None, "departement", Some(d)) => p(
            2,
            d.clone(),
            "Département",
            crate::territory::department_display(d),
            d.clone(),
        ),
        (None, None, "territoire_interne", Some(t)) => p(
            3,
            t.clone(),
            "Territoire interne",
            t.replacen('-', " — ", 1),
            t.clone(),
        ),
        _ => p(
            4,
            String::new(),
            "Ensemble du réseau",
            "Ensemble du réseau".into(),
            String::new(),
        ),
    }
}

/// French name of a breakdown dimension (the column names of the canonical tables).
pub fn breakdown_label(dimension: &str) -> String {
    match dimension {
        "type_mesure" => "Type de mesure".into(),
        "cadre" => "Cadre de la mesure".into(),
        "tranche_age" => "Âge au 31/12".into(),
        "sexe" => "Sexe".into(),
        "metier" => "Métier".into(),
        "type_repondant" => "Type de répondant".into(),
        "theme" => "Thème de formation".into(),
        "motif" => "Motif d'absence".into(),
        "question" => "Question".into(),
        "fiche" => "Fiche action".into(),
        "indicateur" => "Indicateur de la fiche action".into(),
        "secteur" => "Secteur".into(),
        "territoire" => "Territoire".into(),
        other => {
            let mut s = other.replace('_', " ");
            if let Some(first) = s.get(..1) {
                s.replace_range(..1, &first.to_uppercase());
            }
            s
        }
    }
}

/// Order of the categories of a breakdown as a reader expects it: by the first number
/// they hold (`3-5 ans` before `11-15 ans`), then as text; « non renseigné » last.
pub fn category_order(a: &str, b: &str) -> Ordering {
    let key = |s: &str| {
        let unknown = s == crate::indicators::frame::UNKNOWN;
        let digits: String = s
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (
            unknown,
            digits.parse::<u64>().ok().map_or((1, 0), |n| (0, n)),
        )
    };
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

/// One sheet's worth of rows.
pub struct Section<'a> {
    /// The family's sheet name (also of its continuation sheets).
    pub family: &'static str,
    /// The sheet's own name: the family's, or `Family (2)`… for a continuation.
    pub sheet: String,
    pub rows: Vec<&'a IndicatorRow>,
}

/// Index of each indicator in the catalogue (report order), and its family sheet.
fn placement(id: &str) -> (usize, &'static str) {
    let mut index = 0;
    for (sheet, defs) in FAMILIES {
        for d in defs {
            if d.id == id {
                return (index, sheet);
            }
            index += 1;
        }
    }
    (usize::MAX, OTHERS)
}

/// The rows grouped by family sheet (families in report order, empty ones left out),
/// each sheet in reading order: indicator (catalogue order), perimeter, breakdown,
/// category, year. A sheet longer than `max_rows` continues on `Name (2)`, `Name (3)`…
pub fn sections<'a>(rows: &[&'a IndicatorRow], max_rows: usize) -> Vec<Section<'a>> {
    let mut placed: Vec<(usize, usize, &'static str, Perimeter, &'a IndicatorRow)> = rows
        .iter()
        .map(|&r| {
            let (index, sheet) = placement(&r.indicateur);
            let family = FAMILIES
                .iter()
                .position(|f| f.0 == sheet)
                .unwrap_or(FAMILIES.len());
            (family, index, sheet, perimeter(r), r)
        })
        .collect();
    placed.sort_by(|a, b| {
        (a.0, a.1, &a.4.indicateur, &a.3)
            .cmp(&(b.0, b.1, &b.4.indicateur, &b.3))
            .then_with(|| a.4.ventilation.cmp(&b.4.ventilation))
            .then_with(|| match (&a.4.modalite, &b.4.modalite) {
                (Some(x), Some(y)) => category_order(x, y),
                (x, y) => x.cmp(y),
            })
            .then_with(|| a.4.periode.cmp(&b.4.periode))
    });
    let mut out: Vec<Section> = Vec::new();
    let max_rows = max_rows.max(1);
    for (_, _, sheet, _, r) in placed {
        match out.last_mut() {
            Some(s) if s.family == sheet && s.rows.len() < max_rows => s.rows.push(r),
            Some(s) if s.family == sheet => {
                let n = out.iter().filter(|s| s.family == sheet).count() + 1;
                out.push(Section {
                    family: sheet,
                    sheet: format!("{sheet} ({n})"),
                    rows: vec![r],
                })
            }
            _ => out.push(Section {
                family: sheet,
                sheet: sheet.to_string(),
                rows: vec![r],
            }),
        }
    }
    out
}

/// The definition of an indicator, if the catalogue has it.
pub fn definition(id: &str) -> Option<IndicatorDef> {
    crate::indicators::definition(id)
}

/// Longest sheet name Excel accepts (UTF-16 code units).
pub const SHEET_NAME_MAX: usize = 31;

/// A sheet name Excel accepts, unique among `used` (compared without case, as Excel
/// does): none of `[]:*?/\`, no apostrophe at either end, at most 31 characters, not
/// empty nor the reserved « History »; a repeated name gets ` (2)`, ` (3)`…
pub fn sheet_name(raw: &str, used: &mut BTreeSet<String>) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| {
            if "[]:*?/\\".contains(c) || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_matches('\'').trim();
    let base = if cleaned.is_empty() || cleaned.eq_ignore_ascii_case("history") {
        "Feuille"
    } else {
        cleaned
    };
    let fit = |s: &str, room: usize| -> String {
        let mut out = String::new();
        let mut units = 0;
        for c in s.chars() {
            units += c.len_utf16();
            if units > room {
                break;
            }
            out.push(c);
        }
        out.trim_end().trim_end_matches('\'').to_string()
    };
    let mut n = 1;
    loop {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!(" ({n})")
        };
        let name = format!("{}{suffix}", fit(base, SHEET_NAME_MAX - suffix.len()));
        if used.insert(name.to_lowercase()) {
            return name;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::catalogue;

    #[test]
    fn every_family_of_the_registry_has_a_sheet() {
        let named: usize = FAMILIES.iter().map(|f| f.1.len()).sum();
        assert_eq!(
            named,
            catalogue().len(),
            "une famille du registre sans feuille"
        );
        for d in catalogue() {
            assert_ne!(placement(d.id).1, OTHERS, "{}", d.id);
        }
    }

    #[test]
    fn categories_in_human_order() {
        let mut bands = [
            "21 ans et plus",
            "non renseigné",
            "11-15 ans",
            "3-5 ans",
            "0-2 ans",
            "6-10 ans",
        ];
        bands.sort_by(|a, b| category_order(a, b));
        assert_eq!(
            bands,
            [
                "0-2 ans",
                "3-5 ans",
                "6-10 ans",
                "11-15 ans",
                "21 ans et plus",
                "non renseigné"
            ]
        );
        let mut words = ["M", "F", "non renseigné", "AEMO"];
        words.sort_by(|a, b| category_order(a, b));
        assert_eq!(words, ["AEMO", "F", "M", "non renseigné"]);
    }

    #[test]
    fn sheet_names_excel_accepts() {
        let mut used = BTreeSet::new();
        assert_eq!(sheet_name("Activité", &mut used), "Activité");
        assert_eq!(sheet_name("activité", &mut used), "activité (2)");
        assert_eq!(sheet_name("a/b:c*d?e[f]g\\h", &mut used), "a b c d e f g h");
        assert_eq!(sheet_name("'cité'", &mut used), "cité");
        assert_eq!(sheet_name("", &mut used), "Feuille");
        assert_eq!(sheet_name("History", &mut used), "Feuille (2)");
        let long = "Personnes accompagnées par type de mesure et cadre";
        let a = sheet_name(long, &mut used);
        let b = sheet_name(long, &mut used);
        assert!(a.encode_utf16().count() <= 31 && b.encode_utf16().count() <= 31);
        assert!(b.ends_with(" (2)") && a != b, "{a} / {b}");
        assert_eq!(sheet_name("=1+1", &mut used), "=1+1");
    }

    #[test]
    fn rows_are_grouped_by_family_and_read_in_order() {
        let row =
            |id: &str, service: Option<&str>, modalite: Option<&str>, year: i32| IndicatorRow {
                indicateur: id.into(),
                periode: year,
                niveau_territoire: if service.is_some() {
                    "departement".into()
                } else {
                    "ensemble".into()
                },
                code_territoire: service.map(|_| "15".into()),
                service: service.map(str::to_string),
                ventilation: modalite.map(|_| "tranche_age".into()),
                modalite: modalite.map(str::to_string),
                ..Default::default()
            };
        let rows = [
            row(persons::BY_AGE, None, Some("11-15 ans"), 2021),
            row(persons::BY_AGE, None, Some("3-5 ans"), 2021),
            row(hr::ETP_TOTAL, Some("S1"), None, 2020),
            row(activity::ACTIVITY_RATE, None, None, 2021),
            row(activity::ACTIVITY_RATE, Some("S1"), None, 2021),
            row(activity::ACTIVITY_RATE, Some("S1"), None, 2020),
            row("inconnu", None, None, 2020),
        ];
        let refs: Vec<&IndicatorRow> = rows.iter().collect();
        let s = sections(&refs, 100);
        let names: Vec<&str> = s.iter().map(|s| s.sheet.as_str()).collect();
        assert_eq!(
            names,
            [
                "Activité",
                "Personnes accompagnées",
                "Ressources humaines",
                OTHERS
            ]
        );
        // Services before the network, years in order.
        let act: Vec<(Option<&str>, i32)> = s[0]
            .rows
            .iter()
            .map(|r| (r.service.as_deref(), r.periode))
            .collect();
        assert_eq!(act, [(Some("S1"), 2020), (Some("S1"), 2021), (None, 2021)]);
        assert_eq!(s[1].rows[0].modalite.as_deref(), Some("3-5 ans"));
        // A long family continues on a numbered sheet.
        let s = sections(&refs, 2);
        let names: Vec<&str> = s.iter().map(|s| s.sheet.as_str()).collect();
        assert_eq!(
            names,
            [
                "Activité",
                "Activité (2)",
                "Personnes accompagnées",
                "Ressources humaines",
                OTHERS
            ]
        );
    }
}
