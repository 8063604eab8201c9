//! Values given by file and sheet names (`motif_fichier`, `motif_feuille`; the patterns
//! themselves are `pipeline::motif`): which files and sheets a source reads, the service,
//! year and département each name gives, and the reports of the names left aside — a
//! file or sheet outside the patterns, a sheet with no table (« Lisez-moi »), a hidden
//! sheet. Nothing is skipped silently; a pattern that matches nothing is an error.

use super::*;
use crate::pipeline::motif::{self, Captures, Hole};

/// What a file's name gave (`motif_fichier`).
#[derive(Debug, Clone)]
pub(super) enum FileName {
    /// No `motif_fichier`.
    Free,
    Matched(Captures),
    /// The name matches none of the patterns: reported, not read.
    Outside,
}

impl FileName {
    pub(super) fn captures(&self) -> Option<&Captures> {
        match self {
            FileName::Matched(c) => Some(c),
            _ => None,
        }
    }
}

fn list(m: &Option<toml::Spanned<crate::pipeline::Synonyms>>) -> Vec<String> {
    m.as_ref().map(|m| m.get_ref().list()).unwrap_or_default()
}

/// The name of each file against `motif_fichier`; an error when no file matches.
pub(super) fn file_names(
    src: &SourceSpec,
    files: &[PathBuf],
) -> Result<Vec<FileName>, SourceError> {
    let patterns = list(&src.motif_fichier);
    if patterns.is_empty() {
        return Ok(vec![FileName::Free; files.len()]);
    }
    let motifs = motif::parse_all(&patterns);
    let out: Vec<FileName> = files
        .iter()
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            motif::first_match(&motifs, &name).map_or(FileName::Outside, FileName::Matched)
        })
        .collect();
    let names: Vec<String> = files
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
        .collect();
    if let Some(unused) = unmatched(&patterns, &names) {
        return Err(SourceError {
            file: src.fichier.get_ref().clone(),
            sheet: None,
            kind: SourceErrorKind::NamePattern(format!(
                "aucun des {} fichier(s) trouvé(s) ne correspond à motif_fichier « {unused} » ({}). Vérifiez le motif : il porte sur le nom du fichier seul, sans son dossier, extension comprise (ex. \"suivi-{{departement}}.xlsx\") ; un motif de la liste qui ne sert plus est à retirer.",
                files.len(),
                quoted(&patterns)
            )),
        });
    }
    Ok(out)
}

/// The first pattern of the list that matches none of `names` (each pattern must serve).
fn unmatched<'a>(patterns: &'a [String], names: &[String]) -> Option<&'a str> {
    patterns
        .iter()
        .find(|p| {
            motif::Motif::parse(p).is_ok_and(|m| !names.iter().any(|n| m.captures(n).is_some()))
        })
        .map(String::as_str)
}

fn quoted(list: &[String]) -> String {
    list.iter()
        .map(|p| format!("« {p} »"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The report of a file the glob found but `motif_fichier` does not match.
pub(super) fn file_outside(src: &SourceSpec, display: &str) -> Issue {
    Issue {
        fichier: display.to_string(),
        feuille: None,
        cellule: None,
        colonne: None,
        champ: None,
        code: "fichier_hors_motif".into(),
        gravite: Severity::Warning,
        message: format!(
            "le nom de ce fichier ne correspond pas à motif_fichier ({}) : fichier non lu. S'il contient des données de cette source, renommez-le ou ajoutez un motif à la liste",
            quoted(&list(&src.motif_fichier))
        ),
    }
}

/// Sheets the source reads when it names none: every visible one when it has a
/// `motif_feuille`.
pub(super) fn default_patterns(src: &SourceSpec) -> Option<Vec<String>> {
    (src.feuille.is_none() && src.feuilles.is_none() && src.motif_feuille.is_some())
        .then(|| vec!["*".to_string()])
}

/// Whether `sheet` was chosen by a wildcard (`*`, `Entrées *`) rather than by its name:
/// such a sheet that holds no table is reported and left aside, not an error.
pub(super) fn by_wildcard(src: &SourceSpec, sheet: Option<&str>) -> bool {
    let Some(sheet) = sheet else { return false };
    match &src.feuilles {
        Some(l) => !l.get_ref().iter().any(|p| p == sheet),
        None => default_patterns(src).is_some(),
    }
}

/// At least one sheet of a workbook must match `motif_feuille`.
pub(super) fn some_sheet_matches(
    src: &SourceSpec,
    display: &str,
    sheets: &[SheetGrid],
) -> Result<(), SourceError> {
    let patterns = list(&src.motif_feuille);
    if patterns.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = sheets.iter().filter_map(|s| s.0.clone()).collect();
    let Some(unused) = unmatched(&patterns, &names) else {
        return Ok(());
    };
    let reason = format!(
        "aucune des {} feuille(s) lue(s) ne correspond à motif_feuille « {unused} » ({}). Vérifiez le motif (ex. \"Entrées {{annee}}\", \"{{service}}\") et la clé feuilles ; un motif de la liste qui ne sert pas dans ce classeur est à retirer.",
        sheets.len(),
        quoted(&patterns)
    );
    Err(SourceError {
        file: display.to_string(),
        sheet: None,
        kind: SourceErrorKind::NamePattern(reason),
    })
}

/// The report of the hidden sheets a wildcard of `feuilles` passed over: counted, never
/// named (a sheet may be named after a child).
pub(super) fn hidden(display: &str, sheets: &[String]) -> Option<Issue> {
    (!sheets.is_empty()).then(|| Issue {
        fichier: display.to_string(),
        feuille: None,
        cellule: None,
        colonne: None,
        champ: None,
        code: "feuille_masquee".into(),
        gravite: Severity::Info,
        message: format!("{} feuille(s) masquée(s) de ce classeur non lue(s) : une feuille masquée n'est lue que si le pipeline la nomme, dans feuille ou feuilles", sheets.len()),
    })
}

/// Whether a sheet has a row of at least three filled cells: a sheet chosen by a
/// wildcard without a recognised header is then an error (a table whose header was not
/// understood), not a page of text left aside.
pub(super) fn looks_like_a_table(grid: &Grid) -> bool {
    grid.rows
        .iter()
        .any(|r| r.iter().filter(|c| !c.is_empty()).count() >= 3)
}

/// The report of a sheet chosen by a wildcard whose first rows hold no table header.
pub(super) fn not_a_table(ctx: &SheetContext, searched_rows: usize) -> Issue {
    ctx.issue(
        None,
        None,
        None,
        "feuille_sans_tableau",
        Severity::Info,
        format!("aucun tableau dans cette feuille (pas d'en-tête reconnu dans les {searched_rows} premières lignes, aucune ligne de plus de deux cellules : page de présentation, notice) : feuille non lue"),
    )
}

/// Values the file's and the sheet's names give the rows of a sheet.
#[derive(Debug, Clone, Default)]
pub(super) struct FromNames {
    /// Service code (as written in the services table).
    pub(super) service: Option<String>,
    pub(super) year: Option<i32>,
    /// Département code.
    pub(super) department: Option<String>,
}

/// The values of a sheet's names, or `None` when the sheet's name matches none of the
/// `motif_feuille` patterns (reported, the sheet is not read).
pub(super) fn sheet_values(
    ctx: &SheetContext,
    issues: &mut Vec<Issue>,
) -> Result<Option<FromNames>, SourceError> {
    let patterns = list(&ctx.spec.motif_feuille);
    let from_sheet = if patterns.is_empty() {
        Captures::default()
    } else {
        let name = ctx.sheet.unwrap_or_default();
        match motif::first_match(&motif::parse_all(&patterns), name) {
            Some(c) => c,
            None => {
                issues.push(ctx.issue(
                    None,
                    None,
                    None,
                    "feuille_hors_motif",
                    Severity::Warning,
                    format!("le nom de cette feuille ne correspond pas à motif_feuille ({}) : feuille non lue. Si elle contient des données de cette source, renommez-la ou ajoutez un motif à la liste (un nom sans {{…}}, tel \"Antérieures\", est un motif)", quoted(&patterns)),
                ));
                return Ok(None);
            }
        }
    };
    let from_file = ctx.file_names.cloned().unwrap_or_default();
    let pick = |a: Option<String>, b: Option<String>, what: &str| {
        match (a, b) {
        (Some(a), Some(b)) if a != b => Err(ctx.err(SourceErrorKind::NamePattern(format!(
            "le nom du fichier et celui de la feuille donnent deux {what} différents ; corrigez l'un des motifs"
        )))),
        (a, b) => Ok(a.or(b)),
    }
    };
    let service = pick(from_file.service, from_sheet.service, "services")?;
    let department = pick(from_file.department, from_sheet.department, "départements")?;
    let year = pick(
        from_file.year.map(|y| y.to_string()),
        from_sheet.year.map(|y| y.to_string()),
        "années",
    )?
    .and_then(|y| y.parse().ok());
    let service = service
        .map(|s| resolve_service(ctx, &s, issues))
        .transpose()?;
    let department = department
        .map(|d| resolve_department(ctx, &d, service.as_deref()))
        .transpose()?;
    Ok(Some(FromNames {
        service,
        year,
        department,
    }))
}

/// Longest sheet name Excel allows: a longer service name is cut there.
const SHEET_NAME_MAX: usize = 31;

/// A service a name gives: a code or a name of the services table (folded). In a sheet
/// name of the longest length Excel allows, a text that begins one service's name and no
/// other's is that service (its name was cut); this is reported.
fn resolve_service(
    ctx: &SheetContext,
    text: &str,
    issues: &mut Vec<Issue>,
) -> Result<String, SourceError> {
    let Some(dir) = ctx.known_services.filter(|d| !d.is_empty()) else {
        return Ok(text.to_string());
    };
    if let Ok(code) = dir.resolve(text) {
        return Ok(code);
    }
    let cut = ctx
        .sheet
        .is_some_and(|s| s.chars().count() == SHEET_NAME_MAX);
    let begun = if cut { dir.begun_by(text) } else { Vec::new() };
    if let [code] = &begun[..] {
        issues.push(ctx.issue(
            None,
            None,
            Some(col::SERVICE),
            "nom_service_tronque",
            Severity::Info,
            format!("nom de feuille coupé à {SHEET_NAME_MAX} caractères (limite d'Excel) : rattaché au seul service dont le nom commence ainsi, {code}"),
        ));
        return Ok(code.clone());
    }
    let detail = if begun.len() > 1 {
        format!(
            " ; coupé à {SHEET_NAME_MAX} caractères, il commence le nom de {} services : renommez la feuille avec le code du service",
            begun.len()
        )
    } else {
        String::new()
    };
    Err(ctx.err(SourceErrorKind::NamePattern(format!(
        "le service « {text} » que donne le nom (motif {{service}}) n'est ni un code ni un nom de service de la table services{detail} : ses lignes ne sont pas lues. Renommez la feuille ou le fichier avec le code ou le nom du service, ou ajoutez le service au référentiel"
    ))))
}

/// A département a name gives: recognised by the territory table, and the service's own
/// département when the services table gives it.
fn resolve_department(
    ctx: &SheetContext,
    text: &str,
    service: Option<&str>,
) -> Result<String, SourceError> {
    let code = crate::territory::recognise(text)
        .department()
        .map(|t| t.code.to_string())
        .ok_or_else(|| {
            ctx.err(SourceErrorKind::NamePattern(format!(
                "« {text} », que donne le nom (motif {{departement}}), n'est pas un département (ex. 15, 2A, 971, Cantal)"
            )))
        })?;
    let of_service = service
        .zip(ctx.known_services)
        .and_then(|(s, dir)| dir.department_of(s))
        .map(str::to_string);
    if let Some(d) = of_service
        && d != code
    {
        return Err(ctx.err(SourceErrorKind::NamePattern(format!(
            "le nom donne le département {code}, mais la table services place ce service dans le département {d} : corrigez le nom ou le référentiel"
        ))));
    }
    Ok(code)
}

/// Gives a row the values of the names, where the row has none of its own: the service,
/// the year (for a table with a year) and the département (for a table with one).
pub(super) fn apply(ctx: &SheetContext, from: &FromNames, row: &mut RowValues) {
    let mut give = |field: &'static str, v: Option<Value>| {
        if let Some(v) = v
            && ctx.table.field(field).is_some()
        {
            row.values.insert_if_absent(field, v);
        }
    };
    give(col::SERVICE, from.service.clone().map(Value::Text));
    give(col::YEAR, from.year.map(|y| Value::Integer(i64::from(y))));
    give(col::DEPARTMENT, from.department.clone().map(Value::Text));
}

/// The rows of a sheet against the values of its names: the entry year, and the
/// département when the rows give their own service.
pub(super) fn check_rows(
    ctx: &SheetContext,
    from: &FromNames,
    accepted: &[(usize, RowValues)],
    issues: &mut Vec<Issue>,
) {
    entry_year_check(ctx, from, accepted, issues);
    department_check(ctx, from, accepted, issues);
}

/// A département the names give while the rows give their own service: the rows whose
/// service the services table places elsewhere are counted in one warning (they are
/// read, at their service).
fn department_check(
    ctx: &SheetContext,
    from: &FromNames,
    accepted: &[(usize, RowValues)],
    issues: &mut Vec<Issue>,
) {
    let (Some(dep), None, Some(dir)) = (&from.department, &from.service, ctx.known_services) else {
        return;
    };
    if ctx.table == Table::Services {
        return;
    }
    let elsewhere: Vec<usize> = accepted
        .iter()
        .filter(|(_, r)| {
            r.text(col::SERVICE)
                .and_then(|s| dir.resolve(&s).ok())
                .and_then(|code| dir.department_of(&code).map(str::to_string))
                .is_some_and(|d| &d != dep)
        })
        .map(|(i, _)| i + 1)
        .collect();
    if let Some(first) = elsewhere.first() {
        issues.push(ctx.issue(
            Some(format!("ligne {first}")),
            None,
            Some(col::SERVICE),
            "departement_hors_motif",
            Severity::Warning,
            format!("{} ligne(s) ont un service que la table services place hors du département {dep} que donne le nom (première : ligne {first}) : elles sont comptées à leur service ; vérifiez le fichier ou le référentiel", elsewhere.len()),
        ));
    }
}

/// One sheet per entry year: the year of an accompaniments sheet's name is the year its
/// children entered. Rows keep their own dates; those that start another year are
/// counted in one warning.
fn entry_year_check(
    ctx: &SheetContext,
    from: &FromNames,
    accepted: &[(usize, RowValues)],
    issues: &mut Vec<Issue>,
) {
    let Some(year) = from.year else { return };
    if ctx.table != Table::Accompaniments {
        return;
    }
    use chrono::Datelike;
    let other: Vec<usize> = accepted
        .iter()
        .filter(
            |(_, r)| matches!(r.values.get(col::START), Some(Value::Date(d)) if d.year() != year),
        )
        .map(|(i, _)| i + 1)
        .collect();
    if let Some(first) = other.first() {
        issues.push(ctx.issue(
            Some(format!("ligne {first}")),
            None,
            Some(col::START),
            "annee_entree_differente",
            Severity::Warning,
            format!("{} ligne(s) de cette feuille des entrées {year} commencent une autre année (première : ligne {first}) : elles sont comptées à leur propre date de début ; vérifiez qu'elles sont dans la bonne feuille", other.len()),
        ));
    }
}

/// Whether the source's patterns give this value (the column is then not required).
pub(super) fn gives(spec: &SourceSpec, hole: Hole) -> bool {
    motif::source_gives(spec, hole)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[&[&str]]) -> Grid {
        Grid {
            rows: rows
                .iter()
                .map(|r| r.iter().map(|t| Cell::Text(t.to_string())).collect())
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_page_of_text_is_not_a_table() {
        let readme = grid(&[
            &["Suivi des jeunes accueillis"],
            &["Extraction du 15/01/2024"],
        ]);
        assert!(!looks_like_a_table(&readme));
        let contents = grid(&[&["Feuille", "Contenu"], &["2021", "Entrées 2021"]]);
        assert!(!looks_like_a_table(&contents));
        let table = grid(&[&["Nom", "Prénom", "Entrée"], &["A", "B", "01/01/2021"]]);
        assert!(looks_like_a_table(&table));
    }
}
