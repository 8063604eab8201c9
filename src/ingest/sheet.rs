//! Mapping one sheet onto a canonical table: the sheet context, header location and
//! column roles, then row by row — total and repeated-header rows, value parsing, the
//! checks of `checks`, territory fields — into a `TableBuilder`, with the sheet's
//! statistics and issues (docs/architecture.md, « Lecture »).

use super::*;
use crate::pipeline::motif::Hole;

pub(super) struct SheetContext<'a> {
    pub(super) source_name: &'a str,
    pub(super) file: &'a str,
    pub(super) sheet: Option<&'a str>,
    pub(super) spec: &'a SourceSpec,
    pub(super) table: Table,
    pub(super) is_1904: bool,
    pub(super) pipeline: &'a Pipeline,
    pub(super) checks: &'a Checks,
    /// Codes and names of the services table; `None` when the pipeline has no services
    /// table.
    pub(super) known_services: Option<&'a directory::ServiceDirectory>,
    /// What the file's name gave (`motif_fichier`).
    pub(super) file_names: Option<&'a crate::pipeline::motif::Captures>,
    /// The sheet was chosen by a wildcard (`*`): without a table it is left aside.
    pub(super) by_wildcard: bool,
}

impl SheetContext<'_> {
    pub(super) fn issue(
        &self,
        cell: Option<String>,
        column: Option<String>,
        field: Option<&str>,
        code: &str,
        severity: Severity,
        message: String,
    ) -> Issue {
        Issue {
            fichier: self.file.to_string(),
            feuille: self.sheet.map(str::to_string),
            cellule: cell,
            colonne: column,
            champ: field.map(str::to_string),
            code: code.to_string(),
            gravite: severity,
            message,
        }
    }

    /// Line of `[sources.colonnes] <field> = …` in the pipeline file.
    pub(super) fn mapping_line(&self, field: &str) -> Option<usize> {
        self.spec
            .colonnes
            .iter()
            .find(|(k, _)| k.get_ref() == field)
            .map(|(k, _)| crate::pipeline::line_col(&self.pipeline.text, k.span().start).0)
    }

    pub(super) fn err(&self, kind: SourceErrorKind) -> SourceError {
        SourceError {
            file: self.file.to_string(),
            sheet: self.sheet.map(str::to_string),
            kind,
        }
    }
}

/// What a matched column feeds.
#[derive(Debug, Clone)]
pub(super) enum Role {
    Field(&'static Field),
    Measure(String),
}

pub(super) fn targets_for(ctx: &SheetContext) -> (Vec<Target>, Vec<Role>) {
    let mut targets = Vec::new();
    let mut roles = Vec::new();
    let user = |name: &str| -> Vec<String> {
        ctx.spec
            .colonnes
            .iter()
            .find(|(k, _)| k.get_ref() == name)
            .map(|(_, v)| v.list())
            .unwrap_or_default()
    };
    for f in ctx.table.fields() {
        let u = user(f.name);
        // A constant service from the source, or one given by the file or sheet names,
        // replaces the column.
        if f.name == "service"
            && (ctx.spec.service.is_some() || names::gives(ctx.spec, Hole::Service))
            && u.is_empty()
        {
            continue;
        }
        // The year may come from a date (month of activity, training date, sending date).
        let year_from_date = f.name == "annee"
            && (ctx.spec.annee_depuis_feuille
                || names::gives(ctx.spec, Hole::Year)
                || matches!(
                    ctx.table,
                    Table::Activity | Table::Training | Table::Satisfaction
                ));
        // With a `capacites` source the services may be a directory, one row per service:
        // their year and capacity come from the capacities (see `capacities::join`).
        let from_capacities = ctx.table == Table::Services
            && matches!(f.name, "annee" | "capacite")
            && capacities::has_source(ctx.pipeline);
        let required = f.required && !year_from_date && !from_capacities;
        targets.push(Target {
            key: f.name.to_string(),
            user: u,
            builtin: f.synonyms.iter().map(|s| s.to_string()).collect(),
            required,
        });
        roles.push(Role::Field(f));
    }
    if let Some(r) = &ctx.spec.reference {
        for (var, syn) in &r.mesures {
            targets.push(Target {
                key: var.clone(),
                user: syn.list(),
                builtin: vec![],
                required: true,
            });
            roles.push(Role::Measure(var.clone()));
        }
    }
    (targets, roles)
}

pub(super) fn locate_header(
    ctx: &SheetContext,
    grid: &Grid,
    targets: &[Target],
) -> Result<Header, SourceError> {
    match ctx.spec.ligne_entete.as_ref().map(|h| h.get_ref()) {
        Some(HeaderSel::Row(n)) => Ok(header::header_at(grid, &[n - 1])),
        Some(HeaderSel::Rows(v)) => {
            let rows: Vec<usize> = v.iter().map(|n| n - 1).collect();
            Ok(header::header_at(grid, &rows))
        }
        _ => header::detect(grid, targets).ok_or(ctx.err(SourceErrorKind::HeaderNotFound {
            searched_rows: header::SEARCH_ROWS.min(grid.height().max(1)),
        })),
    }
}

/// At most `max` characters of a header text, with an ellipsis.
pub(super) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

pub(super) fn bump(map: &mut BTreeMap<String, usize>, key: &str) {
    *map.entry(key.to_string()).or_default() += 1;
}

/// What is known of a sheet before its rows are read: its header, the columns in play and
/// their roles, the wide value columns, and the year given by the sheet's name.
pub(super) struct SheetPlan {
    pub(super) header: Header,
    pub(super) targets: Vec<Target>,
    /// Columns in play: (grid column, header display, role).
    pub(super) cols: Vec<(usize, String, Role)>,
    pub(super) wide: Vec<WideCol>,
    /// `annee_depuis_feuille`: the year the sheet's name gives.
    pub(super) sheet_year: Option<i32>,
    /// Period of a reference table (`[sources.reference] periode`).
    pub(super) period: Option<i32>,
    /// Service, year and département the file and sheet names give.
    pub(super) from_names: names::FromNames,
}

/// What the rows of a sheet leave for the checks of the whole sheet.
#[derive(Default)]
pub(super) struct SheetRows {
    pub(super) accepted: Vec<(usize, RowValues)>,
    pub(super) pending: Vec<PendingRef>,
    /// First blank row after data (a workbook's table ends there).
    pub(super) end_of_table: Option<usize>,
}

/// Maps the rows of one sheet into `builder`: the plan (header and columns), the rows,
/// then the checks across rows and the reference rows' whole-sheet checks. `None`: the
/// sheet is left aside, reported (no table in a sheet chosen by a wildcard, a name
/// outside `motif_feuille`).
pub(super) fn map_sheet(
    ctx: &SheetContext,
    grid: &Grid,
    builder: &mut TableBuilder,
    issues: &mut Vec<Issue>,
) -> Result<Option<SourceStats>, SourceError> {
    check_constant_service(ctx)?;
    let mut plan = match plan_sheet(ctx, grid, issues) {
        Ok(plan) => plan,
        Err(SourceError {
            kind: SourceErrorKind::HeaderNotFound { searched_rows },
            ..
        }) if ctx.by_wildcard && !names::looks_like_a_table(grid) => {
            issues.push(names::not_a_table(ctx, searched_rows));
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let Some(from_names) = names::sheet_values(ctx, issues)? else {
        return Ok(None);
    };
    plan.from_names = from_names;
    let mut stats = SourceStats {
        source: ctx.source_name.to_string(),
        fichier: ctx.file.to_string(),
        feuille: ctx.sheet.map(str::to_string),
        table: ctx.table.id().to_string(),
        lignes_entete: plan.header.rows.iter().map(|r| r + 1).collect(),
        ..Default::default()
    };
    let rows = rows::read_rows(ctx, grid, &plan, &mut stats, issues);
    names::check_rows(ctx, &plan.from_names, &rows.accepted, issues);
    finish_sheet(ctx, rows, &mut stats, builder, issues);
    Ok(Some(stats))
}

/// A constant `service = …` of a source must be in the services table.
fn check_constant_service(ctx: &SheetContext) -> Result<(), SourceError> {
    if ctx.table != Table::Services
        && let (Some(known), Some(code)) = (ctx.known_services, &ctx.spec.service)
        && !known.has_code(code)
    {
        let line = ctx
            .pipeline
            .text
            .lines()
            .position(|l| {
                let l = l.trim_start();
                l.starts_with("service") && l.contains(code.as_str())
            })
            .map(|i| i + 1);
        return Err(ctx.err(SourceErrorKind::UnknownService {
            code: code.clone(),
            line,
        }));
    }
    Ok(())
}

/// Locates the header, checks the mapped and required columns, and settles the columns
/// in play (unused header columns are reported).
fn plan_sheet(
    ctx: &SheetContext,
    grid: &Grid,
    issues: &mut Vec<Issue>,
) -> Result<SheetPlan, SourceError> {
    let (targets, roles) = targets_for(ctx);
    let header = locate_header(ctx, grid, &targets)?;
    let matched = header::match_columns(&header, &targets);
    // Header texts are quoted in messages only when the row really is a header (it
    // matched at least two fields): a `ligne_entete` pointing at a data row must not
    // print a child's row.
    let header_trusted = matched.iter().filter(|m| m.is_some()).count() >= 2;
    check_mapped_columns(ctx, &header, &targets, &matched, &roles, header_trusted)?;
    let mut cols: Vec<(usize, String, Role)> = Vec::new();
    for (m, role) in matched.iter().zip(&roles) {
        if let Some(ci) = m {
            let hc = &header.columns[*ci];
            cols.push((hc.index, hc.display(), role.clone()));
        }
    }
    let (wide, set_aside) = wide_columns(ctx, grid, &header, &cols, issues);
    if header_trusted {
        report_unused_columns(ctx, &header, &cols, &wide, &set_aside, issues);
    }
    let (sheet_year, period) = sheet_period(ctx)?;
    Ok(SheetPlan {
        header,
        targets,
        cols,
        wide,
        sheet_year,
        period,
        from_names: names::FromNames::default(),
    })
}

/// A column the pipeline names must exist (a mapping that matches nothing is an error,
/// never a field silently left empty), and so must the required columns.
fn check_mapped_columns(
    ctx: &SheetContext,
    header: &Header,
    targets: &[Target],
    matched: &[Option<usize>],
    roles: &[Role],
    header_trusted: bool,
) -> Result<(), SourceError> {
    for ((t, m), role) in targets.iter().zip(matched).zip(roles) {
        if m.is_none() && !t.user.is_empty() {
            let found: Vec<String> = header
                .columns
                .iter()
                .filter(|_| header_trusted)
                .map(|c| shorten(&c.display(), 40))
                .take(40)
                .collect();
            let suggestion = header_trusted
                .then(|| closest_header(header, &t.user))
                .flatten();
            return Err(ctx.err(SourceErrorKind::MappedColumnAbsent(Box::new(
                crate::error::MappedColumn {
                    field: t.key.clone(),
                    wanted: t.user.clone(),
                    line: match role {
                        Role::Field(_) => ctx.mapping_line(&t.key),
                        Role::Measure(_) => None,
                    },
                    header_rows: header.rows.iter().map(|r| r + 1).collect(),
                    found,
                    suggestion,
                },
            ))));
        }
    }
    for (t, m) in targets.iter().zip(matched) {
        if t.required && m.is_none() {
            let mut expected = t.user.clone();
            expected.extend(t.builtin.iter().cloned());
            return Err(ctx.err(SourceErrorKind::MissingColumn {
                field: t.key.clone(),
                expected,
            }));
        }
    }
    Ok(())
}

/// The header text closest to what the pipeline wrote (for the suggestion of a mapped
/// column that does not exist).
fn closest_header(header: &Header, wanted: &[String]) -> Option<String> {
    let wanted_keys: Vec<String> = wanted.iter().map(|u| header::normalize(u)).collect();
    header
        .columns
        .iter()
        .map(|c| c.display())
        .filter(|d| !d.is_empty())
        .map(|d| {
            let k = header::normalize(&d);
            let dist = wanted_keys
                .iter()
                .map(|w| strsim::levenshtein(w, &k))
                .min()
                .unwrap_or(usize::MAX);
            (dist, d)
        })
        .filter(|(dist, d)| *dist <= (header::normalize(d).chars().count() / 3).max(2))
        .min_by_key(|(dist, _)| *dist)
        .map(|(_, d)| shorten(&d, 40))
}

/// Nothing silent: a column of the header that feeds nothing is reported (its header,
/// never its values), so a misspelt mapping or a forgotten field is visible.
fn report_unused_columns(
    ctx: &SheetContext,
    header: &Header,
    cols: &[(usize, String, Role)],
    wide: &[WideCol],
    set_aside: &[usize],
    issues: &mut Vec<Issue>,
) {
    let unused: Vec<String> = header
        .columns
        .iter()
        .filter(|hc| {
            !cols.iter().any(|c| c.0 == hc.index)
                && !wide.iter().any(|w| w.index == hc.index)
                && !set_aside.contains(&hc.index)
        })
        .map(|hc| format!("« {} »", shorten(&hc.display(), 40)))
        .collect();
    if unused.is_empty() {
        return;
    }
    issues.push(ctx.issue(
        Some(format!("ligne {}", header.rows.last().map_or(1, |r| r + 1))),
        None,
        None,
        "colonnes_non_utilisees",
        Severity::Info,
        format!(
            "{} colonne(s) de l'en-tête ne correspondent à aucun champ de la table {} et ne sont pas lues : {} ; pour en lire une, ajoutez-la dans [sources.colonnes]",
            unused.len(),
            ctx.table.id(),
            unused.join(", ")
        ),
    ));
}

/// The year a sheet's name gives (`annee_depuis_feuille`) and the period of a reference
/// table; a sheet name that should be a year and is not stops the sheet.
fn sheet_period(ctx: &SheetContext) -> Result<(Option<i32>, Option<i32>), SourceError> {
    let sheet_year: Option<i32> = if ctx.spec.annee_depuis_feuille {
        match ctx
            .sheet
            .and_then(|s| s.trim().parse::<i32>().ok())
            .filter(|y| (1900..=2100).contains(y))
        {
            Some(y) => Some(y),
            None => {
                return Err(ctx.err(SourceErrorKind::Corrupt(
                    "le nom de la feuille n'est pas une année, alors que annee_depuis_feuille = true".into(),
                )));
            }
        }
    } else {
        None
    };
    let period = match ctx.spec.reference.as_ref().map(|r| r.periode.get_ref()) {
        Some(PeriodSel::Year(y)) => Some(*y),
        Some(PeriodSel::FromSheet(_)) => {
            let y = ctx.sheet.and_then(|s| s.trim().parse::<i32>().ok());
            if y.is_none() {
                return Err(ctx.err(SourceErrorKind::Corrupt(
                    "le nom de la feuille n'est pas une année, alors que periode = \"feuille\""
                        .into(),
                )));
            }
            y
        }
        None => None,
    };
    Ok((sheet_year, period))
}

/// Checks across rows (exact duplicates, one person on too many simultaneous measures),
/// then the accepted rows into `builder`; a reference sheet's values after its
/// whole-sheet checks; the rows left under a table's first blank line reported.
fn finish_sheet(
    ctx: &SheetContext,
    rows: SheetRows,
    stats: &mut SourceStats,
    builder: &mut TableBuilder,
    issues: &mut Vec<Issue>,
) {
    let set_aside = across_rows(ctx, &rows.accepted, issues);
    for (i, (_, row)) in rows.accepted.into_iter().enumerate() {
        if let Some(reason) = set_aside.get(&i) {
            stats.lignes_acceptees -= 1;
            bump(&mut stats.lignes_rejetees, reason);
            continue;
        }
        builder.push_row(ctx, row);
        stats.lignes_produites += 1;
    }
    if ctx.table == Table::Reference {
        resolve_reference(ctx, rows.pending, stats, issues, builder);
        // A table read to the end without a single value is never silent.
        if stats.lignes_lues > 0 && stats.lignes_produites == 0 {
            issues.push(ctx.issue(
                None,
                None,
                None,
                "aucune_valeur_retenue",
                Severity::Warning,
                format!("aucune valeur retenue sur les {} ligne(s) lues de ce tableau : vérifiez la colonne du territoire (code_territoire), le niveau (niveau = \"departement\" ou \"region\") et les colonnes de valeurs", stats.lignes_lues),
            ));
        }
    }
    if let Some(end) = rows.end_of_table
        && let Some(n) = stats.lignes_exclues.get("sous_le_tableau")
    {
        issues.push(ctx.issue(
            Some(format!("ligne {}", end + 1)),
            None,
            None,
            "sous_le_tableau",
            Severity::Warning,
            format!("le tableau s'arrête à la première ligne vide (ligne {}) : {n} ligne(s) non vide(s) en dessous (notes, second tableau) n'ont pas été lues ; si ce sont des données (un second bloc sous des lignes vides), ajoutez lire_apres_lignes_vides = true à cette source dans le pipeline, ou supprimez la ligne vide", end + 1),
        ));
    }
}

pub(super) fn field_label(role: &Role) -> String {
    match role {
        Role::Field(f) => format!("« {} » ({})", f.name, f.label),
        Role::Measure(m) => format!("« {m} »"),
    }
}

/// Territory fields of the services (`departement`) and of the accompaniments
/// (`departement_residence`), read with the territory table: a département in any common
/// form becomes its code (`Cantal`, `15 - Cantal` → `15`); anything else (a région, a
/// collectivité d'outre-mer, a typo) is reported with its cell and left empty — never
/// silently kept.
pub(super) fn normalise_territory_fields(
    ctx: &SheetContext,
    row: &mut RowValues,
    r: usize,
    cols: &[(usize, String, Role)],
    issues: &mut Vec<Issue>,
) {
    let (field, residence) = match ctx.table {
        Table::Services => (col::DEPARTMENT, false),
        Table::Accompaniments => ("departement_residence", true),
        _ => return,
    };
    let Some(text) = row.text(field) else { return };
    let found = if residence {
        crate::territory::department_of_residence(&text)
    } else {
        crate::territory::recognise(&text).department()
    };
    match found {
        Some(t) => {
            row.values.insert(field, Value::Text(t.code.to_string()));
        }
        None => {
            row.values.remove(field);
            let (place, column) = cols
                .iter()
                .find(|(_, _, role)| matches!(role, Role::Field(f) if f.name == field))
                .map(|(c, d, _)| (Some(cell_ref(r, *c)), Some(d.clone())))
                .unwrap_or((Some(format!("ligne {}", r + 1)), None));
            let message = if residence {
                "département de résidence non reconnu (ni un département, ni le code commune ou postal d'une commune d'un département ; une collectivité d'outre-mer n'est pas un département) : traité comme non renseigné ; corrigez la cellule (ex. 15, 2A, 971, Cantal, 15014)"
            } else {
                "département non reconnu (ni un code ni un nom de département du Code officiel géographique ; une région ou une collectivité d'outre-mer n'est pas un département) : le service est compté sans département ; corrigez la cellule (ex. 15, 2A, 971, Cantal)"
            };
            issues.push(ctx.issue(
                place,
                column,
                Some(field),
                "territoire_inconnu",
                Severity::Warning,
                message.into(),
            ));
        }
    }
}

/// Applies `[sources.valeurs.<field>]`, comparing without case or accents.
pub(super) fn map_value(spec: &SourceSpec, field: &str, text: &str) -> Option<String> {
    let map = spec
        .valeurs
        .iter()
        .find(|(k, _)| k.get_ref() == field)
        .map(|(_, v)| v)?;
    let key = values::fold(text);
    map.iter()
        .find(|(raw, _)| values::fold(raw) == key)
        .map(|(_, v)| v.clone())
}
