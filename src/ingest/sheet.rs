//! Mapping one sheet onto a canonical table: the sheet context, header location and
//! column roles, then row by row — total and repeated-header rows, value parsing, the
//! checks of `checks`, territory fields — into a `TableBuilder`, with the sheet's
//! statistics and issues (docs/architecture.md, « Lecture »).

use super::*;

pub(super) struct SheetContext<'a> {
    pub(super) source_name: &'a str,
    pub(super) file: &'a str,
    pub(super) sheet: Option<&'a str>,
    pub(super) spec: &'a SourceSpec,
    pub(super) table: Table,
    pub(super) is_1904: bool,
    pub(super) pipeline: &'a Pipeline,
    pub(super) checks: &'a Checks,
    /// Service codes of the services table (folded → as written); `None` when the
    /// pipeline has no services table.
    pub(super) known_services: Option<&'a BTreeMap<String, String>>,
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
        // A constant service from the source replaces the column.
        if f.name == "service" && ctx.spec.service.is_some() && u.is_empty() {
            continue;
        }
        // The year may come from a date (month of activity, training date, sending date).
        let year_from_date = f.name == "annee"
            && (ctx.spec.annee_depuis_feuille
                || matches!(
                    ctx.table,
                    Table::Activity | Table::Training | Table::Satisfaction
                ));
        let required = f.required && !year_from_date;
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

pub(super) fn is_total_row(ctx: &SheetContext, grid: &Grid, row: usize) -> bool {
    let first = grid
        .rows
        .get(row)
        .and_then(|r| r.iter().find(|c| !c.is_empty()))
        .and_then(|c| c.as_text());
    let Some(first) = first else { return false };
    let norm = header::normalize(&first);
    let defaults = ["total", "sous total", "total general"];
    let user = ctx.spec.lignes_total.clone().unwrap_or_default();
    defaults
        .iter()
        .map(|s| s.to_string())
        .chain(user.iter().map(|s| header::normalize(s)))
        .any(|m| !m.is_empty() && (norm == m || norm.starts_with(&format!("{m} "))))
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

/// Maps the rows of one sheet into `builder`.
pub(super) fn map_sheet(
    ctx: &SheetContext,
    grid: &Grid,
    builder: &mut TableBuilder,
    issues: &mut Vec<Issue>,
) -> Result<SourceStats, SourceError> {
    if ctx.table != Table::Services
        && let (Some(known), Some(code)) = (ctx.known_services, &ctx.spec.service)
        && !known.contains_key(&values::fold(code))
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
    let (targets, roles) = targets_for(ctx);
    let header = locate_header(ctx, grid, &targets)?;
    let matched = header::match_columns(&header, &targets);
    // Header texts are quoted in messages only when the row really is a header (it
    // matched at least two fields): a `ligne_entete` pointing at a data row must not
    // print a child's row.
    let header_trusted = matched.iter().filter(|m| m.is_some()).count() >= 2;
    // A column the pipeline names must exist: a mapping that matches nothing is an
    // error, never a field silently left empty.
    for ((t, m), role) in targets.iter().zip(&matched).zip(&roles) {
        if m.is_none() && !t.user.is_empty() {
            let found: Vec<String> = header
                .columns
                .iter()
                .filter(|_| header_trusted)
                .map(|c| shorten(&c.display(), 40))
                .take(40)
                .collect();
            let wanted_keys: Vec<String> = t.user.iter().map(|u| header::normalize(u)).collect();
            let suggestion = header
                .columns
                .iter()
                .map(|c| c.display())
                .filter(|d| !d.is_empty())
                .map(|d| {
                    let k = header::normalize(&d);
                    let dist = wanted_keys
                        .iter()
                        .map(|w| crate::pipeline::levenshtein(w, &k))
                        .min()
                        .unwrap_or(usize::MAX);
                    (dist, d)
                })
                .filter(|_| header_trusted)
                .filter(|(dist, d)| *dist <= (header::normalize(d).chars().count() / 3).max(2))
                .min_by_key(|(dist, _)| *dist)
                .map(|(_, d)| shorten(&d, 40));
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
    // Required columns must exist.
    for (t, m) in targets.iter().zip(&matched) {
        if t.required && m.is_none() {
            let mut expected = t.user.clone();
            expected.extend(t.builtin.iter().cloned());
            return Err(ctx.err(SourceErrorKind::MissingColumn {
                field: t.key.clone(),
                expected,
            }));
        }
    }
    let mut stats = SourceStats {
        source: ctx.source_name.to_string(),
        fichier: ctx.file.to_string(),
        feuille: ctx.sheet.map(str::to_string),
        table: ctx.table.id().to_string(),
        lignes_entete: header.rows.iter().map(|r| r + 1).collect(),
        ..Default::default()
    };
    // Columns in play: (grid column, header display, role).
    let mut cols: Vec<(usize, String, Role)> = Vec::new();
    for ((m, role), _t) in matched.iter().zip(&roles).zip(&targets) {
        if let Some(ci) = m {
            let hc = &header.columns[*ci];
            cols.push((hc.index, hc.display(), role.clone()));
        }
    }
    let used: Vec<usize> = cols.iter().map(|c| c.0).collect();
    let (wide, set_aside) = wide_columns(ctx, grid, &header, &cols, issues);
    // Nothing silent: a column of the header that feeds nothing is reported (its header,
    // never its values), so a misspelt mapping or a forgotten field is visible.
    let unused: Vec<String> = header
        .columns
        .iter()
        .filter(|hc| {
            !used.contains(&hc.index)
                && !wide.iter().any(|w| w.index == hc.index)
                && !set_aside.contains(&hc.index)
        })
        .map(|hc| format!("« {} »", shorten(&hc.display(), 40)))
        .collect();
    if !unused.is_empty() && header_trusted {
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

    let mut pending: Vec<PendingRef> = Vec::new();
    let mut seen_data = false;
    let mut accepted: Vec<(usize, RowValues)> = Vec::new();
    let mut end_of_table: Option<usize> = None;
    let start = header.data_start();
    for r in start..grid.height() {
        if grid.row_is_empty(r) {
            // In a CSV file, blank lines (and the lines of a multi-line record) are not
            // the end of the table; in a workbook, `lire_apres_lignes_vides` reads past
            // them (a second block).
            if seen_data
                && end_of_table.is_none()
                && grid.text_layout.is_none()
                && !ctx.spec.lire_apres_lignes_vides
            {
                end_of_table = Some(r);
            }
            continue;
        }
        stats.lignes_lues += 1;
        if end_of_table.is_some() {
            bump(&mut stats.lignes_exclues, "sous_le_tableau");
            continue;
        }
        if is_total_row(ctx, grid, r) {
            bump(&mut stats.lignes_exclues, "ligne_total");
            issues.push(
                ctx.issue(
                    Some(format!("ligne {}", r + 1)),
                    None,
                    None,
                    "ligne_total",
                    Severity::Info,
                    "ligne de total ou de sous-total : mise de côté (les totaux sont recalculés)"
                        .into(),
                ),
            );
            continue;
        }
        if let Some(layout) = &grid.text_layout
            && let Some(reason) = text_structure(ctx, layout, &header, grid, r, &mut stats, issues)
        {
            seen_data = true;
            bump(&mut stats.lignes_rejetees, reason);
            continue;
        }
        if is_repeated_header(grid, r, &header, &cols, &wide) {
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
        // Interpret every column in play.
        let mut row = RowValues::default();
        let mut rejected: Option<&'static str> = None;
        let mut any_value = false;
        // Issues about empty required cells wait until the row is known to hold data: a
        // note or a footnote under the table is excluded, not rejected.
        let mut missing_required: Vec<Issue> = Vec::new();
        for (c, display, role) in &cols {
            let cell = grid.get(r, *c);
            let (kind, field_name, identifying, required) = match role {
                Role::Field(f) => (
                    f.kind,
                    f.name.to_string(),
                    f.identifying,
                    targets.iter().any(|t| t.key == f.name && t.required),
                ),
                Role::Measure(m) => (Kind::Number, m.clone(), false, false),
            };
            let mut parsed = values::parse(cell, kind, ctx.is_1904);
            let mut user_mapped = false;
            if let (Parsed::Value(Value::Text(t)), Role::Field(f)) = (&parsed, role)
                && let Some(mapped) = map_value(ctx.spec, f.name, t)
            {
                parsed = Parsed::Value(Value::Text(mapped));
                user_mapped = true;
            }
            let place = Some(cell_ref(r, *c));
            let col_name = Some(display.clone());
            match parsed {
                Parsed::Value(v) => {
                    any_value = true;
                    // Factors (`facteurs`): ETP written as percentages, for instance.
                    let v = match (
                        v,
                        ctx.spec
                            .facteurs
                            .iter()
                            .find(|(k, _)| *k.get_ref() == field_name),
                    ) {
                        (Value::Number(n), Some((_, f))) => Value::Number(n * f),
                        (v, _) => v,
                    };
                    let vetted = match role {
                        Role::Field(f) => vet(ctx, f, v, user_mapped),
                        Role::Measure(_) => Ok(v),
                    };
                    match vetted {
                        Ok(v) => {
                            row.values.insert(field_name, v);
                        }
                        Err(p) => {
                            let reject = p.reject || required;
                            if reject {
                                rejected.get_or_insert(p.code);
                            }
                            let sev = if reject {
                                Severity::Error
                            } else {
                                Severity::Warning
                            };
                            let effect = if reject {
                                "la ligne est rejetée"
                            } else {
                                "valeur laissée de côté (non renseignée)"
                            };
                            issues.push(ctx.issue(
                                place,
                                col_name,
                                Some(&field_name),
                                p.code,
                                sev,
                                format!("{} : {effect} ; {}", p.what, p.fix),
                            ));
                        }
                    }
                }
                Parsed::Missing(Missing::Empty) => {
                    if required {
                        rejected.get_or_insert("valeur_obligatoire_manquante");
                        missing_required.push(ctx.issue(place, col_name, Some(&field_name), "valeur_obligatoire_manquante", Severity::Error,
                            format!("valeur obligatoire absente ({}) : la ligne est rejetée ; complétez la cellule", field_label(role))));
                    }
                }
                Parsed::Missing(Missing::Marker(m)) => {
                    any_value = true;
                    let (sev, code) = if required {
                        (Severity::Error, "valeur_obligatoire_manquante")
                    } else {
                        (Severity::Info, "valeur_non_disponible")
                    };
                    if required {
                        rejected.get_or_insert(code);
                    }
                    issues.push(ctx.issue(place, col_name, Some(&field_name), code, sev,
                        format!("valeur signalée comme non disponible ({m}) pour {} : traitée comme manquante", field_label(role))));
                }
                Parsed::Missing(Missing::ErrorCell(e)) => {
                    any_value = true;
                    let sev = if required {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    if required {
                        rejected.get_or_insert("cellule_en_erreur");
                    }
                    issues.push(ctx.issue(place, col_name, Some(&field_name), "cellule_en_erreur", sev,
                        format!("cellule en erreur de formule ({e}) pour {} : corrigez la formule dans le tableur ; valeur traitée comme manquante", field_label(role))));
                }
                Parsed::Invalid(inv) => {
                    any_value = true;
                    let sev = if required {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    if required {
                        rejected.get_or_insert(inv.code());
                    }
                    // Never echo the value of an identifying or free-text cell.
                    let shown = match (identifying, kind, cell.as_text()) {
                        (
                            false,
                            Kind::Number | Kind::Integer | Kind::Bool | Kind::Month,
                            Some(t),
                        ) if t.chars().count() <= 20 && looks_numeric(&t) => {
                            format!(" (« {} »)", values::clean_text(&t))
                        }
                        _ => String::new(),
                    };
                    issues.push(ctx.issue(
                        place,
                        col_name,
                        Some(&field_name),
                        inv.code(),
                        sev,
                        format!(
                            "valeur illisible pour {}{shown} : {}",
                            field_label(role),
                            inv.hint()
                        ),
                    ));
                }
            }
        }
        if !any_value && wide.iter().all(|w| grid.get(r, w.index).is_empty()) {
            bump(&mut stats.lignes_exclues, "ligne_sans_donnees");
            continue;
        }
        issues.extend(missing_required);
        seen_data = true;
        if let Some(y) = sheet_year
            && !row.values.contains_key("annee")
        {
            row.values
                .insert("annee".into(), Value::Integer(i64::from(y)));
        }
        normalise_territory_fields(ctx, &mut row, r, &cols, issues);
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
                stats: &mut stats,
                issues: &mut *issues,
                pending: &mut pending,
            };
            reference_row(ctx, grid, r, &row, &cols, &wide, period, &mut refs);
            continue;
        }
        accepted.push((r, row));
        stats.lignes_acceptees += 1;
    }
    // Checks across rows: exact duplicates, one person on too many simultaneous measures.
    let set_aside = across_rows(ctx, &accepted, issues);
    for (i, (_, row)) in accepted.iter().enumerate() {
        if let Some(reason) = set_aside.get(&i) {
            stats.lignes_acceptees -= 1;
            bump(&mut stats.lignes_rejetees, reason);
            continue;
        }
        builder.push_row(ctx, row);
        stats.lignes_produites += 1;
    }
    if ctx.table == Table::Reference {
        resolve_reference(ctx, pending, &mut stats, issues, builder);
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
    if let Some(end) = end_of_table
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
    Ok(stats)
}

pub(super) fn field_label(role: &Role) -> String {
    match role {
        Role::Field(f) => format!("« {} » ({})", f.name, f.label),
        Role::Measure(m) => format!("« {m} »"),
    }
}

/// A row that repeats the header (the top of a second block): at least two of the
/// columns in play hold their own header text, and they are most of the filled ones.
pub(super) fn is_repeated_header(
    grid: &Grid,
    r: usize,
    header: &Header,
    cols: &[(usize, String, Role)],
    wide: &[WideCol],
) -> bool {
    let in_play = cols.iter().map(|c| c.0).chain(wide.iter().map(|w| w.index));
    let (mut filled, mut same) = (0usize, 0usize);
    for c in in_play {
        let Some(t) = grid.get(r, c).as_text().filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        filled += 1;
        let n = header::normalize(&t);
        if header
            .columns
            .iter()
            .find(|hc| hc.index == c)
            .is_some_and(|hc| {
                [&hc.upper, &hc.lower]
                    .into_iter()
                    .flatten()
                    .any(|h| header::normalize(h) == n)
            })
        {
            same += 1;
        }
    }
    same >= 2 && same * 2 > filled
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
            row.values
                .insert(field.to_string(), Value::Text(t.code.to_string()));
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
