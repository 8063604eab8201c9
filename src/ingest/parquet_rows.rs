//! The rows of a Parquet source, checked as a sheet's rows are (docs/architecture.md,
//! « Parquet sources »): a row without a required value, or whose service the services
//! table does not know, is rejected with a reason and counted; the others are kept in
//! their order. A partner's extract was checked against the partner's own services
//! table; the observatory's may differ, and a row it cannot place would otherwise count
//! in the network's figures and in none of a département's, without a word.
//!
//! Messages give the file, the column, the number of rows and the first row's number,
//! never a value (a forged file may hold anything in any column).

use std::collections::BTreeMap;

use polars::prelude::*;

use super::directory::{self, ServiceDirectory, Unresolved};
use crate::error::Error;
use crate::tables::{Table, columns as col};
use crate::validation::{Issue, Severity};

/// What checking the rows gave: the rows kept, the issues, and the rows rejected by
/// reason (for the row accounting).
pub(super) struct Vetted {
    pub df: DataFrame,
    pub issues: Vec<Issue>,
    pub rejected: BTreeMap<String, usize>,
}

/// One reason to reject rows: its code, its column, what and how to fix it.
struct Reason {
    code: &'static str,
    column: &'static str,
    what: String,
    fix: String,
}

/// Checks the rows of `df`, a Parquet source of `table` read from `display`, against
/// its required fields and, for every table but the services, the services table
/// (`known`, when the pipeline has one).
pub(super) fn vet(
    df: DataFrame,
    table: Table,
    display: &str,
    known: Option<&ServiceDirectory>,
) -> Result<Vetted, Error> {
    let height = df.height();
    // The first reason of each row (`None`: kept), in the order the checks are made.
    let mut reason_of: Vec<Option<usize>> = vec![None; height];
    let mut reasons: Vec<Reason> = Vec::new();
    for f in table.fields() {
        // The services table keeps rows a sheet would not require values of (a service
        // without a capacity, kept by the capacities' join): read as before.
        if !f.required || f.identifying || table == Table::Services {
            continue;
        }
        let Ok(c) = df.column(f.name) else { continue };
        if c.null_count() == 0 {
            continue;
        }
        let missing = c.is_null();
        let r = reasons.len();
        reasons.push(Reason {
            code: "valeur_obligatoire_manquante",
            column: f.name,
            what: format!("valeur obligatoire absente ({})", f.label),
            fix: "complétez la colonne chez le partenaire, puis produisez l'extrait à nouveau"
                .into(),
        });
        for (slot, m) in reason_of.iter_mut().zip(missing.iter()) {
            if m == Some(true) && slot.is_none() {
                *slot = Some(r);
            }
        }
    }
    let mut df = df;
    if let Some(known) = known.filter(|k| {
        table != Table::Services && table.field(col::SERVICE).is_some() && !k.is_empty()
    }) && let Some(codes) = services(&df, known, &mut reasons, &mut reason_of)?
    {
        df.with_column(codes.with_name(col::SERVICE.into()).into_column())?;
    }
    // Issues and counts, reason by reason: how many rows, and the first one.
    let mut issues = Vec::new();
    let mut rejected: BTreeMap<String, usize> = BTreeMap::new();
    for (r, reason) in reasons.iter().enumerate() {
        let mut rows = reason_of.iter().enumerate().filter(|(_, s)| **s == Some(r));
        let Some((first, _)) = rows.next() else {
            continue;
        };
        let n = 1 + rows.count();
        *rejected.entry(reason.code.to_string()).or_default() += n;
        issues.push(Issue {
            fichier: display.to_string(),
            feuille: None,
            cellule: Some(format!("ligne {}", first + 1)),
            colonne: Some(reason.column.to_string()),
            champ: Some(reason.column.to_string()),
            code: reason.code.to_string(),
            gravite: Severity::Error,
            message: format!(
                "{} : {n} ligne(s) rejetée(s), la première est la ligne {} du fichier ; {}",
                reason.what,
                first + 1,
                reason.fix
            ),
        });
    }
    if rejected.is_empty() {
        return Ok(Vetted {
            df,
            issues,
            rejected,
        });
    }
    let keep: BooleanChunked = reason_of.iter().map(|s| s.is_none()).collect();
    Ok(Vetted {
        df: df.filter(&keep)?,
        issues,
        rejected,
    })
}

/// The services of `df` resolved against `known`, each distinct value once: the rows of a
/// value it does not know, or that names several services, get a reason; where a name of
/// the services table was written for its code, the column again with the codes (as in
/// a sheet).
fn services(
    df: &DataFrame,
    known: &ServiceDirectory,
    reasons: &mut Vec<Reason>,
    reason_of: &mut [Option<usize>],
) -> Result<Option<StringChunked>, Error> {
    let Ok(c) = df.column(col::SERVICE) else {
        return Ok(None);
    };
    let values = c.str()?;
    // Each distinct value's place in `resolved`, row by row.
    let mut distinct: PlHashMap<&str, usize> = PlHashMap::default();
    let mut resolved: Vec<Result<String, Unresolved>> = Vec::new();
    let mut place: Vec<Option<usize>> = Vec::with_capacity(values.len());
    for v in values.iter() {
        place.push(v.map(|v| {
            *distinct.entry(v).or_insert_with(|| {
                resolved.push(known.resolve(v));
                resolved.len() - 1
            })
        }));
    }
    // One reason per distinct value that cannot be placed.
    let mut reason_for: Vec<Option<usize>> = vec![None; resolved.len()];
    for (d, res) in resolved.iter().enumerate() {
        if let Err(u) = res {
            let (what, fix) = directory::explain(u, known);
            reason_for[d] = Some(reasons.len());
            reasons.push(Reason {
                code: match u {
                    Unresolved::Unknown { .. } => "service_inconnu",
                    Unresolved::Ambiguous { .. } => "service_ambigu",
                },
                column: col::SERVICE,
                what,
                fix,
            });
        }
    }
    for (slot, p) in reason_of.iter_mut().zip(&place) {
        if slot.is_none()
            && let Some(r) = p.and_then(|d| reason_for[d])
        {
            *slot = Some(r);
        }
    }
    // Names written for codes: the column again, with the codes.
    let renamed = distinct
        .iter()
        .any(|(v, &d)| matches!(&resolved[d], Ok(code) if code != v));
    if !renamed {
        return Ok(None);
    }
    let codes: StringChunked = values
        .iter()
        .zip(&place)
        .map(|(v, p)| match p.map(|d| &resolved[d]) {
            Some(Ok(code)) => Some(code.as_str()),
            _ => v,
        })
        .collect();
    Ok(Some(codes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> ServiceDirectory {
        let mut d = ServiceDirectory::default();
        d.add("MECS-63", Some("MECS Les Tilleuls"));
        d.add("AEMO-15", Some("AEMO Cantal"));
        d.add("AEMO-43", Some("AEMO Cantal"));
        d
    }

    #[test]
    fn rows_without_a_required_value_or_a_known_service_are_rejected_and_counted() {
        let df = df!(
            "service" => [Some("MECS-63"), Some("INCONNU-SECRET"), Some("mecs les tilleuls"), None, Some("AEMO Cantal"), Some("INCONNU-SECRET")],
            "date_debut" => [Some(1), Some(2), None, Some(4), Some(5), Some(6)],
            "x" => [1, 2, 3, 4, 5, 6],
        )
        .unwrap();
        let v = vet(df, Table::Accompaniments, "e.parquet", Some(&directory())).unwrap();
        // Kept: the first row, in its order.
        assert_eq!(v.df.height(), 1);
        assert_eq!(
            v.df.column("x").unwrap().get(0).unwrap(),
            AnyValue::Int32(1)
        );
        let counts: Vec<(&str, usize)> = v.rejected.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        assert_eq!(
            counts,
            [
                ("service_ambigu", 1),
                ("service_inconnu", 2),
                ("valeur_obligatoire_manquante", 2)
            ]
        );
        let text: Vec<String> = v
            .issues
            .iter()
            .map(|i| format!("{:?} {}", i.cellule, i.message))
            .collect();
        assert!(text.iter().all(|t| !t.contains("SECRET")), "{text:?}");
        assert!(
            text.iter()
                .any(|t| t.contains("Some(\"ligne 2\")") && t.contains("2 ligne(s)")),
            "{text:?}"
        );
        assert_eq!(v.issues.len(), 4, "{text:?}");
    }

    #[test]
    fn a_name_of_the_services_table_becomes_its_code() {
        let df = df!(
            "service" => ["mecs les tilleuls", "MECS-63"],
            "date_debut" => [1, 2],
        )
        .unwrap();
        let v = vet(df, Table::Accompaniments, "e.parquet", Some(&directory())).unwrap();
        assert!(v.issues.is_empty());
        let codes: Vec<Option<&str>> =
            v.df.column("service")
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .collect();
        assert_eq!(codes, [Some("MECS-63"), Some("MECS-63")]);
    }

    #[test]
    fn without_a_services_table_only_required_values_are_checked() {
        let df = df!("service" => [Some("X"), None], "date_debut" => [1, 2]).unwrap();
        let v = vet(df, Table::Accompaniments, "e.parquet", None).unwrap();
        assert_eq!(v.df.height(), 1);
        assert_eq!(v.rejected.get("valeur_obligatoire_manquante"), Some(&1));
    }
}
