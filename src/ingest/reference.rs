//! Rows of reference tables (DREES, INSEE): their territory at the pipeline's level, and
//! the checks that need the whole sheet (a territory given twice, Corsica `20` beside
//! `2A`/`2B`, the parts of the Rhône) before the values are pushed.

use super::*;

/// One reference value, waiting for the checks that need the whole sheet (Corsica
/// given twice, the parts of the Rhône, a territory given twice).
pub(super) struct PendingRef {
    /// Grid row (0-based) and place of the territory cell.
    pub(super) row: usize,
    pub(super) place: String,
    pub(super) variable: String,
    pub(super) period: Option<i32>,
    pub(super) dim1: Option<String>,
    pub(super) dim2: Option<String>,
    pub(super) code: String,
    pub(super) label: Option<String>,
    pub(super) value: f64,
}

/// What [`reference_row`] updates.
impl PendingRef {
    /// Key of the reference row: publisher, variable, period, level, territory, dimensions.
    pub(super) fn key(&self, reference: &crate::pipeline::ReferenceSpec) -> RefKey {
        (
            reference.source.clone(),
            self.variable.clone(),
            self.period,
            reference.niveau.clone(),
            self.code.clone(),
            self.dim1.clone(),
            self.dim2.clone(),
        )
    }
}

pub(super) struct RefRow<'a> {
    pub(super) stats: &'a mut SourceStats,
    pub(super) issues: &'a mut Vec<Issue>,
    pub(super) pending: &'a mut Vec<PendingRef>,
}

/// Where a reference row's territory leads.
pub(super) enum RowTerritory {
    Keep {
        code: String,
        name: Option<&'static str>,
    },
    Exclude(&'static str, Severity, &'static str),
    Reject(&'static str, &'static str),
}

/// Reads the territory of a reference row at the pipeline's level.
pub(super) fn row_territory(level: &str, code_text: &str) -> RowTerritory {
    use crate::territory::{Level, Recognised, recognise, recognise_region};
    const UNKNOWN: &str = "territoire non reconnu : ni un code ni un nom du Code officiel géographique (ex. 01, 2A, 971, « 01 - Ain », « Ain ») : la ligne est rejetée ; corrigez la cellule";
    const CONFLICT: &str = "le code et le nom écrits dans la cellule désignent deux territoires différents : la ligne est rejetée ; corrigez la cellule";
    const TOTAL: &str = "ligne de total (France, métropole, outre-mer) : mise de côté (les totaux sont recalculés à partir des territoires)";
    const COM: &str = "collectivité d'outre-mer (Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin, Wallis-et-Futuna, Polynésie française, Nouvelle-Calédonie) : ce n'est ni un département ni une région, la ligne est mise de côté";
    let by_level = crate::territory::fold(level);
    let recognised = match by_level.as_str() {
        "DEPARTEMENT" => recognise(code_text),
        "REGION" => recognise_region(code_text),
        _ => {
            return RowTerritory::Keep {
                code: normalise_territory_code(code_text),
                name: None,
            };
        }
    };
    let regions = by_level == "REGION";
    match recognised {
        Recognised::Unknown => RowTerritory::Reject("territoire_inconnu", UNKNOWN),
        Recognised::Conflict => RowTerritory::Reject("territoire_incoherent", CONFLICT),
        Recognised::Total(_) => RowTerritory::Exclude("ligne_total", Severity::Info, TOTAL),
        Recognised::Known(t) => match (t.level, regions) {
            (Level::OverseasCollectivity, _) => {
                RowTerritory::Exclude("territoire_hors_niveau", Severity::Warning, COM)
            }
            (Level::Region, false) => RowTerritory::Exclude(
                "territoire_hors_niveau",
                Severity::Info,
                "ligne d'une région, pas d'un département : mise de côté",
            ),
            (Level::Region, true) => RowTerritory::Keep {
                code: t.code.to_string(),
                name: Some(t.name),
            },
            (_, true) => RowTerritory::Exclude(
                "territoire_hors_niveau",
                Severity::Info,
                "ligne d'un département, pas d'une région : mise de côté",
            ),
            (_, false) => RowTerritory::Keep {
                code: t.code.to_string(),
                name: Some(t.name),
            },
        },
    }
}

/// One row of a reference table: its values (measures, wide columns) and its territory.
// Long function: a reference row's territory and its values (measures and wide columns) are
// read with the same territory outcome.
#[allow(clippy::too_many_arguments)]
pub(super) fn reference_row(
    ctx: &SheetContext,
    grid: &Grid,
    r: usize,
    row: &RowValues,
    cols: &[(usize, String, Role)],
    wide: &[WideCol],
    period: Option<i32>,
    out: &mut RefRow,
) {
    let Some(reference) = &ctx.spec.reference else {
        out.stats.lignes_acceptees += 1;
        return;
    };
    // The values of the row: (variable, period, dim1, dim2, value).
    type RowValue = (String, Option<i32>, Option<String>, Option<String>, f64);
    let mut found: Vec<RowValue> = Vec::new();
    for (_, _, role) in cols {
        if let Role::Measure(var) = role
            && let Some(v) = row.number(var)
        {
            found.push((var.clone(), period, None, None, v));
        }
    }
    let variable = reference
        .colonnes_larges
        .as_ref()
        .map(|w| w.variable.clone())
        .unwrap_or_default();
    for w in wide {
        let cell = grid.get(r, w.index);
        match values::parse(cell, Kind::Number, ctx.is_1904) {
            Parsed::Value(Value::Number(v)) => {
                let (d1, d2) = w.dims();
                found.push((variable.clone(), w.year.or(period), d1, d2, v));
            }
            Parsed::Missing(Missing::Empty) => {}
            Parsed::Missing(Missing::Marker(m)) => out.issues.push(ctx.issue(
                Some(cell_ref(r, w.index)),
                Some(w.display.clone()),
                None,
                "valeur_non_disponible",
                Severity::Info,
                format!("valeur signalée comme non disponible ({m})"),
            )),
            _ => out.issues.push(ctx.issue(
                Some(cell_ref(r, w.index)),
                Some(w.display.clone()),
                None,
                "nombre_invalide",
                Severity::Warning,
                format!("valeur illisible : {}", values::Invalid::NotANumber.hint()),
            )),
        }
    }
    let code_col = cols
        .iter()
        .find(|(_, _, role)| matches!(role, Role::Field(f) if f.name == col::REF_CODE))
        .map(|c| c.0);
    let place = code_col.map_or_else(|| format!("ligne {}", r + 1), |c| cell_ref(r, c));
    let code_text = row.text(col::REF_CODE).unwrap_or_default();
    let label = row.text(col::REF_LABEL);
    let territory = row_territory(&reference.niveau, &code_text);
    if found.is_empty() && !matches!(territory, RowTerritory::Keep { .. }) {
        // No value and no territory: a note, a footnote, a title.
        bump(&mut out.stats.lignes_exclues, "ligne_sans_valeur");
        out.issues.push(ctx.issue(
            Some(format!("ligne {}", r + 1)),
            None,
            None,
            "ligne_sans_valeur",
            Severity::Info,
            "ligne sans valeur ni territoire (note, renvoi, titre) : mise de côté".into(),
        ));
        return;
    }
    match territory {
        RowTerritory::Reject(code, message) => {
            bump(&mut out.stats.lignes_rejetees, code);
            out.issues.push(ctx.issue(
                Some(place),
                None,
                Some(col::REF_CODE),
                code,
                Severity::Error,
                message.into(),
            ));
        }
        RowTerritory::Exclude(code, severity, message) => {
            bump(&mut out.stats.lignes_exclues, code);
            out.issues.push(ctx.issue(
                Some(place),
                None,
                Some(col::REF_CODE),
                code,
                severity,
                message.into(),
            ));
        }
        RowTerritory::Keep { code, name } => {
            // A label that names another territory than the code: reported, the code wins.
            if let (Some(t), Some(l)) =
                (name.and_then(|_| crate::territory::by_code(&code)), &label)
                && let crate::territory::Recognised::Known(by_label) =
                    crate::territory::recognise(l)
                && by_label.code != t.code
                && by_label.name != t.name
                && !(t.code == "20" && by_label.code == "94")
            {
                out.issues.push(ctx.issue(
                    Some(place.clone()),
                    None,
                    Some(col::REF_LABEL),
                    "libelle_territoire_different",
                    Severity::Warning,
                    "le libellé désigne un autre territoire que le code (Code officiel géographique) : le code est retenu ; vérifiez la ligne".into(),
                ));
            }
            out.stats.lignes_acceptees += 1;
            let label = label.or_else(|| name.map(str::to_string));
            for (variable, period, dim1, dim2, value) in found {
                out.pending.push(PendingRef {
                    row: r,
                    place: place.clone(),
                    variable,
                    period,
                    dim1,
                    dim2,
                    code: code.clone(),
                    label: label.clone(),
                    value,
                });
            }
        }
    }
}

/// Pushes the reference values of one sheet after the checks that need the whole sheet,
/// for each variable, period and dimensions:
/// - a territory given twice is counted once (the first row);
/// - the parts of the Rhône (69D, 69M) are set aside when the Rhône (69) is given, and
///   add up to it when it is not (both parts needed);
/// - Corsica is never counted twice: `20` beside `2A`/`2B` is set aside (2A and 2B are
///   kept); `20` alone is kept as Corsica as a whole.
///
/// A row whose values are all set aside moves from accepted to excluded.
// Long function: the whole-sheet rules (a territory given twice, the parts of the Rhône,
// Corsica) work on the same groups of pending values.
pub(super) fn resolve_reference(
    ctx: &SheetContext,
    pending: Vec<PendingRef>,
    stats: &mut SourceStats,
    issues: &mut Vec<Issue>,
    builder: &mut TableBuilder,
) {
    let Some(reference) = &ctx.spec.reference else {
        return;
    };
    type GroupKey<'a> = (&'a str, Option<i32>, Option<&'a str>, Option<&'a str>);
    let mut groups: BTreeMap<GroupKey, Vec<usize>> = BTreeMap::new();
    for (i, p) in pending.iter().enumerate() {
        groups
            .entry((&p.variable, p.period, p.dim1.as_deref(), p.dim2.as_deref()))
            .or_default()
            .push(i);
    }
    // Why a value is set aside: (reason, severity, message).
    let mut dropped: Vec<Option<(&'static str, Severity, String)>> = vec![None; pending.len()];
    let mut merged_rows: Vec<usize> = Vec::new();
    let mut merged: Vec<PendingRef> = Vec::new();
    for idxs in groups.values() {
        let mut first: BTreeMap<&str, usize> = BTreeMap::new();
        for &i in idxs {
            match first.get(pending[i].code.as_str()) {
                Some(&f) => {
                    dropped[i] = Some((
                        "territoire_en_double",
                        Severity::Warning,
                        format!(
                            "territoire déjà donné ligne {} pour la même variable : cette ligne n'est pas comptée une seconde fois ; supprimez le doublon",
                            pending[f].row + 1
                        ),
                    ));
                }
                None => {
                    first.insert(&pending[i].code, i);
                }
            }
        }
        let kept = |code: &str| first.get(code).copied();
        let parts: Vec<usize> = ["69D", "69M"].iter().filter_map(|c| kept(c)).collect();
        if !parts.is_empty() {
            if let Some(rhone) = kept("69") {
                for &p in &parts {
                    dropped[p] = Some((
                        "partie_de_departement",
                        Severity::Info,
                        format!(
                            "partie du Rhône (69D ou 69M) : mise de côté, le Rhône (69) est donné ligne {}",
                            pending[rhone].row + 1
                        ),
                    ));
                }
            } else if parts.len() == 2 {
                let value: f64 = parts.iter().map(|&p| pending[p].value).sum();
                let p0 = &pending[parts[0]];
                merged.push(PendingRef {
                    row: p0.row,
                    place: p0.place.clone(),
                    variable: p0.variable.clone(),
                    period: p0.period,
                    dim1: p0.dim1.clone(),
                    dim2: p0.dim2.clone(),
                    code: "69".into(),
                    label: crate::territory::department("69").map(|t| t.name.to_string()),
                    value,
                });
                for &p in &parts {
                    merged_rows.push(pending[p].row);
                    dropped[p] = Some((
                        "partie_de_departement",
                        Severity::Info,
                        "le Rhône (69) n'est pas donné : il est compté comme la somme de ses deux parties (69D et 69M)".into(),
                    ));
                }
            } else {
                for &p in &parts {
                    dropped[p] = Some((
                        "partie_de_departement",
                        Severity::Warning,
                        "une seule des deux parties du Rhône (69D, 69M) est donnée, sans le Rhône (69) : elle est mise de côté et le Rhône n'est pas compté ; ajoutez l'autre partie ou la ligne du Rhône".into(),
                    ));
                }
            }
        }
        if let Some(corse) = kept("20") {
            let (a, b) = (kept("2A").is_some(), kept("2B").is_some());
            if a || b {
                let (severity, message) = if a && b {
                    (Severity::Info, "Corse (20) donnée en plus de la Corse-du-Sud (2A) et de la Haute-Corse (2B) : mise de côté pour ne pas compter la Corse deux fois".to_string())
                } else {
                    (Severity::Warning, "Corse (20) donnée en plus d'un seul des deux départements corses (2A ou 2B) : mise de côté pour ne pas compter la Corse deux fois ; la Corse est incomplète, ajoutez l'autre département".to_string())
                };
                dropped[corse] = Some(("corse_en_double", severity, message));
            }
        }
    }
    // A value already given by an earlier sheet or file of the same publisher.
    for (p, d) in pending.iter().zip(dropped.iter_mut()) {
        let key = p.key(reference);
        if d.is_none() && builder.has_reference(&key) {
            *d = Some((
                "territoire_en_double",
                Severity::Warning,
                "territoire déjà donné par une autre feuille ou un autre fichier pour la même variable et la même période : cette valeur n'est pas ajoutée ; vérifiez la période (periode = \"feuille\" pour une feuille par année) ou retirez le doublon".into(),
            ));
        }
    }
    // Issues (one per row and reason) and row accounting.
    let mut rows: BTreeMap<usize, (usize, Option<&'static str>)> = BTreeMap::new();
    let mut reported: Vec<(usize, &'static str)> = Vec::new();
    for (p, d) in pending.iter().zip(&dropped) {
        let e = rows.entry(p.row).or_insert((0, None));
        match d {
            None => e.0 += 1,
            Some((reason, severity, message)) => {
                e.1.get_or_insert(reason);
                if !reported.contains(&(p.row, reason)) {
                    reported.push((p.row, reason));
                    issues.push(ctx.issue(
                        Some(p.place.clone()),
                        None,
                        Some(col::REF_CODE),
                        reason,
                        *severity,
                        message.clone(),
                    ));
                }
            }
        }
    }
    for (row, (kept, reason)) in &rows {
        if *kept == 0
            && !merged_rows.contains(row)
            && let Some(reason) = reason
        {
            stats.lignes_acceptees = stats.lignes_acceptees.saturating_sub(1);
            bump(&mut stats.lignes_exclues, reason);
        }
    }
    for p in pending
        .into_iter()
        .zip(dropped)
        .filter(|(_, d)| d.is_none())
        .map(|(p, _)| p)
        .chain(merged)
    {
        let key = p.key(reference);
        if builder.has_reference(&key) {
            // Only the Rhône made of its two parts can get here (the other values were
            // checked above).
            issues.push(ctx.issue(
                Some(p.place.clone()),
                None,
                Some(col::REF_CODE),
                "territoire_en_double",
                Severity::Warning,
                "territoire déjà donné par une autre feuille ou un autre fichier pour la même variable et la même période : cette valeur n'est pas ajoutée".into(),
            ));
            continue;
        }
        builder.push_reference(
            ctx,
            &reference.source,
            &p.variable,
            p.period,
            &reference.niveau,
            &p.code,
            p.label.as_deref(),
            p.dim1,
            p.dim2,
            p.value,
        );
        stats.lignes_produites += 1;
    }
}

/// Territory codes of a level the territory table does not cover: trimmed, upper case,
/// `1` → `01`.
pub(super) fn normalise_territory_code(code: &str) -> String {
    let c = code.trim().to_uppercase();
    if c.len() == 1 && c.chars().all(|ch| ch.is_ascii_digit()) {
        format!("0{c}")
    } else {
        c
    }
}

/// Canonical codes of départements (01–19, 2A, 2B, 21–95, 971–974, 976) and the
/// historical `20` that DREES uses for Corsica as a whole, from the territory table. Not
/// départements: the parts of the Rhône (69D, 69M), the collectivités d'outre-mer (975,
/// 977, 978, 986–988), régions, totals.
pub fn is_department_code(code: &str) -> bool {
    crate::territory::department(code).is_some()
}
