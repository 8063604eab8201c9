//! The activity report's per-département pages: which services and organisations each
//! département has, which figures each page shows, and its file name.

use std::collections::{BTreeMap, BTreeSet};

use super::DEPARTMENT_PAGES;
use crate::indicators::{IndicatorRow, Results};

/// Services and organisations of each département (services without département under
/// `None`), from the service rows.
pub(super) type Departments<'a> = BTreeMap<Option<&'a str>, (BTreeSet<&'a str>, BTreeSet<&'a str>)>;

pub(super) fn departments(results: &Results) -> Departments<'_> {
    let mut deps: Departments = BTreeMap::new();
    for r in &results.rows {
        if let Some(s) = &r.service {
            let e = deps.entry(r.code_territoire.as_deref()).or_default();
            e.0.insert(s);
            if let Some(o) = &r.organisation {
                e.1.insert(o);
            }
        }
    }
    deps
}

/// The département of a figure's perimeter, for the per-département pages: a service's
/// département, a département, the département of an internal territory (`15-nord`);
/// `None` for organisations and the whole network.
pub(super) fn department_of(r: &IndicatorRow) -> Option<&str> {
    let code = r.code_territoire.as_deref()?;
    match (r.service.is_some(), r.niveau_territoire.as_str()) {
        (true, _) => Some(code),
        (false, "departement") if r.organisation.is_none() => Some(code),
        (false, "territoire_interne") => code.split_once('-').map(|(d, _)| d),
        _ => None,
    }
}

/// Page of a département: a file name made of its code's letters and digits only.
pub(super) fn department_page(code: Option<&str>) -> String {
    let name: String = code
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if code.is_none() || name.is_empty() {
        format!("{DEPARTMENT_PAGES}/sans-departement.html")
    } else {
        format!("{DEPARTMENT_PAGES}/departement-{name}.html")
    }
}

/// Each département page's figures by indicator, in one pass over the figures: an
/// organisation's figure goes to every page of a département where it has a service; any
/// other to the page of its département ([`department_of`]; a service without
/// département to the page of those). Each page used to test every figure of the
/// network (one département page per département: quadratic at national scale). Rows
/// keep the order of `results`.
pub(super) fn rows_by_page<'a>(
    results: &'a Results,
    deps: &Departments<'a>,
) -> BTreeMap<Option<&'a str>, BTreeMap<&'a str, Vec<&'a IndicatorRow>>> {
    let mut pages_of_org: BTreeMap<&str, Vec<Option<&str>>> = BTreeMap::new();
    for (dep, (_, orgs)) in deps {
        for o in orgs {
            pages_of_org.entry(o).or_default().push(*dep);
        }
    }
    let mut out: BTreeMap<Option<&str>, BTreeMap<&str, Vec<&IndicatorRow>>> =
        deps.keys().map(|d| (*d, BTreeMap::new())).collect();
    for r in &results.rows {
        if let (None, Some(o), None) = (&r.service, &r.organisation, &r.code_territoire) {
            for dep in pages_of_org.get(o.as_str()).into_iter().flatten() {
                if let Some(page) = out.get_mut(dep) {
                    page.entry(r.indicateur.as_str()).or_default().push(r);
                }
            }
            continue;
        }
        let dep = department_of(r);
        if (dep.is_some() || r.service.is_some())
            && let Some(page) = out.get_mut(&dep)
        {
            page.entry(r.indicateur.as_str()).or_default().push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        level: &str,
        code: Option<&str>,
        org: Option<&str>,
        service: Option<&str>,
    ) -> IndicatorRow {
        IndicatorRow {
            indicateur: "file_active".into(),
            niveau_territoire: level.into(),
            code_territoire: code.map(str::to_string),
            organisation: org.map(str::to_string),
            service: service.map(str::to_string),
            ..Default::default()
        }
    }

    /// The one-pass index gives each page the rows the page's own filter (what each
    /// page tested on every row before) accepts, in the same order.
    #[test]
    fn each_page_gets_the_rows_its_filter_accepts() {
        let results = Results {
            rows: vec![
                row("service", Some("15"), Some("A"), Some("s1")),
                row("service", Some("63"), Some("A"), Some("s2")),
                row("service", Some("63"), Some("B"), Some("s3")),
                row("service", None, Some("B"), Some("s4")),
                row("organisation", None, Some("A"), None),
                row("organisation", None, Some("B"), None),
                row("organisation", None, Some("C"), None),
                row("departement", Some("15"), None, None),
                row("departement", Some("63"), Some("A"), None),
                row("territoire_interne", Some("63-nord"), None, None),
                row("territoire_interne", Some("2A-sud"), None, None),
                row("reseau", None, None, None),
                row("service", Some("15"), Some("A"), Some("s1")),
            ],
            notes: Vec::new(),
        };
        let deps = departments(&results);
        let by_page = rows_by_page(&results, &deps);
        assert_eq!(by_page.len(), deps.len());
        for (&dep, (_, orgs)) in &deps {
            let keep = |r: &IndicatorRow| match (&r.service, &r.organisation) {
                (None, Some(o)) if r.code_territoire.is_none() => orgs.contains(o.as_str()),
                _ => department_of(r) == dep && (dep.is_some() || r.service.is_some()),
            };
            let expected: Vec<&IndicatorRow> = results.rows.iter().filter(|r| keep(r)).collect();
            let got: Vec<&IndicatorRow> = by_page[&dep].values().flatten().copied().collect();
            assert_eq!(got, expected, "{dep:?}");
        }
        assert_eq!(by_page[&Some("63")]["file_active"].len(), 5);
    }
}
