//! Reading the rows of one sheet against its plan (`sheet::SheetPlan`): blank, total and
//! repeated-header rows set aside, every cell in play parsed and vetted, the row checks
//! of `checks` applied; what is accepted waits in `SheetRows` for the checks of the whole
//! sheet.

use super::*;

/// Reads every row under the header of `plan` (see the module doc).
// Long function: the order of the row rules (blank, below the table, total, CSV structure,
// repeated header, values, checks) is the specification; it stays in one place.
pub(super) fn read_rows(
    ctx: &SheetContext,
    grid: &Grid,
    plan: &SheetPlan,
    stats: &mut SourceStats,
    issues: &mut Vec<Issue>,
) -> SheetRows {
    let mut out = SheetRows::default();
    let mut seen_data = false;
    let mut open_ends: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    let markers = markers::RowMarkers::new(
        &plan.header,
        &plan.cols,
        &plan.wide,
        ctx.spec.lignes_total.as_deref(),
    );
    // What each column in play feeds, once for the sheet.
    let roles: Vec<ColumnRole> = plan
        .cols
        .iter()
        .map(|(_, _, role)| column_role(plan, role))
        .collect();
    for r in plan.header.data_start()..grid.height() {
        if grid.row_is_empty(r) {
            // In a CSV file, blank lines (and the lines of a multi-line record) are not
            // the end of the table; in a workbook, `lire_apres_lignes_vides` reads past
            // them (a second block).
            if seen_data
                && out.end_of_table.is_none()
                && grid.text_layout.is_none()
                && !ctx.spec.lire_apres_lignes_vides
            {
                out.end_of_table = Some(r);
            }
            continue;
        }
        stats.lignes_lues += 1;
        if out.end_of_table.is_some() {
            bump(&mut stats.lignes_exclues, "sous_le_tableau");
            continue;
        }
        if total_row(ctx, &markers, grid, r, stats, issues) {
            continue;
        }
        if markers::is_note_row(grid, r) {
            bump(&mut stats.lignes_exclues, "ligne_note");
            issues.push(ctx.issue(
                Some(format!("ligne {}", r + 1)),
                None,
                None,
                "ligne_note",
                Severity::Info,
                "note sous le tableau (Source, Lecture, Champ, Note, renvoi * ou (1)) : mise de côté".into(),
            ));
            continue;
        }
        if let Some(layout) = &grid.text_layout
            && let Some(reason) = text_structure(ctx, layout, &plan.header, grid, r, stats, issues)
        {
            seen_data = true;
            bump(&mut stats.lignes_rejetees, reason);
            continue;
        }
        if markers.is_repeated_header(grid, r) {
            bump(&mut stats.lignes_exclues, "entete_repete");
            issues.push(ctx.issue(
                Some(format!("ligne {}", r + 1)),
                None,
                None,
                "entete_repete",
                Severity::Info,
                "ligne d'en-tête répétée (début d'un nouveau bloc) : mise de côté".into(),
            ));
            continue;
        }
        let read = interpret_row(ctx, grid, plan, &roles, r, issues);
        for key in &read.open_ends {
            *open_ends.entry(key.clone()).or_default() += 1;
        }
        if !read.any_value && plan.wide.iter().all(|w| grid.get(r, w.index).is_empty()) {
            bump(&mut stats.lignes_exclues, "ligne_sans_donnees");
            continue;
        }
        issues.extend(read.missing_required);
        seen_data = true;
        let mut row = read.row;
        let mut rejected = read.rejected;
        if let Some(y) = plan.sheet_year
            && !row.values.contains_key("annee")
        {
            row.values.insert("annee", Value::Integer(i64::from(y)));
        }
        names::apply(ctx, &plan.from_names, &mut row);
        normalise_territory_fields(ctx, &mut row, r, &plan.cols, issues);
        if rejected.is_none()
            && let Some(reason) = check_row(ctx, &mut row, r, issues)
        {
            rejected = Some(reason);
        }
        if let Some(reason) = rejected {
            bump(&mut stats.lignes_rejetees, reason);
            continue;
        }
        // Reference rows: the territory read with the territory table, then one row per
        // value column (pushed once the whole sheet is read: see `resolve_reference`).
        if ctx.table == Table::Reference {
            let mut refs = RefRow {
                stats: &mut *stats,
                issues: &mut *issues,
                pending: &mut out.pending,
            };
            reference_row(
                ctx,
                grid,
                r,
                &row,
                &plan.cols,
                &plan.wide,
                plan.period,
                &mut refs,
            );
            continue;
        }
        out.accepted.push((r, row));
        stats.lignes_acceptees += 1;
    }
    open_ends_read(ctx, open_ends, issues);
    out
}

/// One information per end-date column where open ends were written as text (`en
/// cours`, `-`…): how many were read as « not ended yet » (never a warning: README
/// « Fins ouvertes »).
fn open_ends_read(
    ctx: &SheetContext,
    counts: BTreeMap<(String, &'static str), usize>,
    issues: &mut Vec<Issue>,
) {
    for ((column, field), n) in counts {
        issues.push(ctx.issue(
            None,
            Some(column),
            Some(field),
            "fin_ouverte",
            Severity::Info,
            format!("{n} date(s) de fin écrite(s) en texte (« en cours », « - », « encore présent »…) : lue(s) comme « pas encore terminé »"),
        ));
    }
}

/// A total or sub-total row: set aside (totals are recomputed), reported.
fn total_row(
    ctx: &SheetContext,
    markers: &markers::RowMarkers,
    grid: &Grid,
    r: usize,
    stats: &mut SourceStats,
    issues: &mut Vec<Issue>,
) -> bool {
    if !markers.is_total_row(grid, r) {
        return false;
    }
    bump(&mut stats.lignes_exclues, "ligne_total");
    issues.push(ctx.issue(
        Some(format!("ligne {}", r + 1)),
        None,
        None,
        "ligne_total",
        Severity::Info,
        "ligne de total ou de sous-total : mise de côté (les totaux sont recalculés)".into(),
    ));
    true
}

/// One row's cells in play, parsed and vetted.
struct RowRead {
    row: RowValues,
    /// The first reason the row is rejected.
    rejected: Option<&'static str>,
    /// At least one cell in play holds something (a value, a marker, an error).
    any_value: bool,
    /// Issues about empty required cells: they wait until the row is known to hold data
    /// (a note or a footnote under the table is excluded, not rejected).
    missing_required: Vec<Issue>,
    /// End-date cells (column as written, field) holding an open end written as text.
    open_ends: Vec<(String, &'static str)>,
}

/// What a column in play feeds: kind, field name, identifying, required.
type ColumnRole<'a> = (Kind, &'a str, bool, bool);

/// The [`ColumnRole`] of `role` in `plan`.
fn column_role<'a>(plan: &SheetPlan, role: &'a Role) -> ColumnRole<'a> {
    match role {
        Role::Field(f) => (
            f.kind,
            f.name,
            f.identifying,
            plan.targets.iter().any(|t| t.key == f.name && t.required),
        ),
        Role::Measure(m) => (Kind::Number, m.as_str(), false, false),
    }
}

/// Interprets every column in play of row `r`.
// Long function: one match over the outcomes of parsing a cell; each arm is a few lines and
// they read best together.
fn interpret_row(
    ctx: &SheetContext,
    grid: &Grid,
    plan: &SheetPlan,
    roles: &[ColumnRole],
    r: usize,
    issues: &mut Vec<Issue>,
) -> RowRead {
    let mut out = RowRead {
        // One value a column at most, and a few the row's checks add: sized once rather
        // than grown a few times for each of a million rows.
        row: RowValues::with_capacity(plan.cols.len() + 4),
        rejected: None,
        any_value: false,
        missing_required: Vec::new(),
        open_ends: Vec::new(),
    };
    for ((c, display, role), &(kind, field_name, identifying, required)) in
        plan.cols.iter().zip(roles)
    {
        let cell = grid.get(r, *c);
        // An open end written as text (`en cours`, `-`…) in an end date: no end yet, like
        // an empty cell, and no issue.
        let mut parsed = match role {
            Role::Field(f) if open_ends::is_open_end(f.name, cell, &ctx.spec.fins_ouvertes) => {
                if !cell.is_empty() {
                    out.open_ends.push((display.clone(), f.name));
                }
                Parsed::Missing(Missing::Empty)
            }
            _ => values::parse(cell, kind, ctx.is_1904),
        };
        let mut user_mapped = false;
        if let (Parsed::Value(Value::Text(t)), Role::Field(f)) = (&parsed, role)
            && let Some(mapped) = map_value(ctx.spec, f.name, t)
        {
            parsed = Parsed::Value(Value::Text(mapped));
            user_mapped = true;
        }
        // The cell's place and column name are built only when an issue names them.
        let issue = |code: &str, sev: Severity, message: String| {
            ctx.issue(
                Some(cell_ref(r, *c)),
                Some(display.clone()),
                Some(field_name),
                code,
                sev,
                message,
            )
        };
        let severity = |reject: bool| {
            if reject {
                Severity::Error
            } else {
                Severity::Warning
            }
        };
        match parsed {
            Parsed::Value(v) => {
                out.any_value = true;
                let v = apply_factor(ctx, field_name, v);
                let vetted = match role {
                    Role::Field(f) => vet(ctx, f, v, user_mapped),
                    Role::Measure(_) => Ok(v),
                };
                match vetted {
                    Ok(v) => {
                        let name: std::borrow::Cow<'static, str> = match role {
                            Role::Field(f) => f.name.into(),
                            Role::Measure(m) => m.clone().into(),
                        };
                        out.row.values.insert(name, v);
                    }
                    Err(p) => {
                        let reject = p.reject || required;
                        if reject {
                            out.rejected.get_or_insert(p.code);
                        }
                        let effect = if reject {
                            "la ligne est rejetée"
                        } else {
                            "valeur laissée de côté (non renseignée)"
                        };
                        issues.push(issue(
                            p.code,
                            severity(reject),
                            format!("{} : {effect} ; {}", p.what, p.fix),
                        ));
                    }
                }
            }
            Parsed::Missing(Missing::Empty) => {
                if required {
                    out.rejected.get_or_insert("valeur_obligatoire_manquante");
                    out.missing_required.push(issue(
                        "valeur_obligatoire_manquante",
                        Severity::Error,
                        format!(
                            "valeur obligatoire absente ({}) : la ligne est rejetée ; complétez la cellule",
                            field_label(role)
                        ),
                    ));
                }
            }
            Parsed::Missing(Missing::Marker(m)) => {
                out.any_value = true;
                let (sev, code) = if required {
                    (Severity::Error, "valeur_obligatoire_manquante")
                } else {
                    (Severity::Info, "valeur_non_disponible")
                };
                if required {
                    out.rejected.get_or_insert(code);
                }
                issues.push(issue(
                    code,
                    sev,
                    format!(
                        "valeur signalée comme non disponible ({m}) pour {} : traitée comme manquante",
                        field_label(role)
                    ),
                ));
            }
            Parsed::Missing(Missing::ErrorCell(e)) => {
                out.any_value = true;
                if required {
                    out.rejected.get_or_insert("cellule_en_erreur");
                }
                issues.push(issue(
                    "cellule_en_erreur",
                    severity(required),
                    format!(
                        "cellule en erreur de formule ({e}) pour {} : corrigez la formule dans le tableur ; valeur traitée comme manquante",
                        field_label(role)
                    ),
                ));
            }
            Parsed::Invalid(inv) => {
                out.any_value = true;
                if required {
                    out.rejected.get_or_insert(inv.code());
                }
                let shown = shown_invalid(cell, identifying, kind);
                issues.push(issue(
                    inv.code(),
                    severity(required),
                    format!(
                        "valeur illisible pour {}{shown} : {}{}",
                        field_label(role),
                        inv.hint(),
                        open_ends::hint(field_name, inv)
                    ),
                ));
            }
        }
    }
    out
}

/// Factors (`facteurs`): ETP written as percentages, for instance.
fn apply_factor(ctx: &SheetContext, field_name: &str, v: Value) -> Value {
    match (
        v,
        ctx.spec
            .facteurs
            .iter()
            .find(|(k, _)| *k.get_ref() == field_name),
    ) {
        (Value::Number(n), Some((_, f))) => Value::Number(n * f),
        (v, _) => v,
    }
}

/// The unreadable value quoted in its message — only a short numeric-looking text of a
/// numeric, non-identifying field: never the value of an identifying or free-text cell.
fn shown_invalid(cell: &Cell, identifying: bool, kind: Kind) -> String {
    match (identifying, kind, cell.as_text()) {
        (false, Kind::Number | Kind::Integer | Kind::Bool | Kind::Month, Some(t))
            if t.chars().count() <= 20 && looks_numeric(&t) =>
        {
            format!(" (« {} »)", values::clean_text(&t))
        }
        _ => String::new(),
    }
}
