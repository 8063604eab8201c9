//! The rules a value and a row must pass (docs/architecture.md, « Contrôles des
//! valeurs »): closed vocabularies, known services, plausible ranges and dates, the
//! structure of a CSV line, coherence within a row and across the rows of a sheet.

use super::*;

/// Why a value read is not used.
pub(super) struct Problem {
    pub(super) code: &'static str,
    /// What is wrong, in French, without the value when it may identify someone.
    pub(super) what: String,
    /// What to do.
    pub(super) fix: String,
    /// The row is rejected (else the value alone is set aside).
    pub(super) reject: bool,
}

/// `true` when a text is made of digits and number punctuation only (safe to quote in a
/// message: it cannot be a name).
pub(super) fn looks_numeric(t: &str) -> bool {
    t.chars().any(|c| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_digit() || " .,-+%/:eE\u{a0}\u{202f}".contains(c))
}

/// French number for messages: `100 000`, `0,5`.
pub(super) fn french_number(x: f64) -> String {
    if x.abs() >= 1e12 {
        return format!("{x:e}").replace('.', ",");
    }
    let decimals = if x.fract() == 0.0 { 0 } else { 2 };
    crate::format::number_fr(x, decimals)
}

/// Checks a value against its field's closed vocabulary, the services table and the
/// plausible ranges (docs/architecture.md, « Contrôles des valeurs »).
// Long function: one check after another on a value (vocabulary, service, range, date),
// each returning its own French message.
pub(super) fn vet(
    ctx: &SheetContext,
    f: &'static Field,
    v: Value,
    user_mapped: bool,
) -> Result<Value, Problem> {
    match v {
        Value::Text(t) => {
            if f.name == col::SERVICE
                && ctx.table != Table::Services
                && let Some(known) = ctx.known_services
            {
                return match known.resolve(&t) {
                    Ok(code) => Ok(Value::Text(code)),
                    Err(u) => {
                        let (what, fix) = directory::explain(&u, known);
                        Err(Problem {
                            code: match u {
                                directory::Unresolved::Unknown { .. } => "service_inconnu",
                                directory::Unresolved::Ambiguous { .. } => "service_ambigu",
                            },
                            what,
                            fix,
                            reject: true,
                        })
                    }
                };
            }
            if user_mapped {
                return Ok(Value::Text(t));
            }
            match crate::vocabulary::of(ctx.table, f.name) {
                None => Ok(Value::Text(t)),
                Some(terms) => match crate::vocabulary::recognise(terms, &t) {
                    Some(label) => Ok(Value::Text(label.to_string())),
                    None => Err(Problem {
                        code: "valeur_hors_vocabulaire",
                        what: format!(
                            "valeur qui n'est pas une modalité connue de {} (le contenu n'est pas reproduit : ce peut être un nom saisi dans la mauvaise colonne)",
                            field_label(&Role::Field(f))
                        ),
                        fix: format!(
                            "si c'est une vraie modalité, déclarez-la dans [sources.valeurs.{}] du pipeline (\"libellé du fichier\" = \"libellé publié\") ; modalités connues : docs/vocabulaires.md",
                            f.name
                        ),
                        reject: false,
                    }),
                },
            }
        }
        Value::Number(n) => match crate::tables::plausible_range(ctx.table, f.name) {
            Some((lo, hi)) if !(lo..=hi).contains(&n) => Err(Problem {
                code: "valeur_hors_limites",
                what: format!(
                    "valeur invraisemblable pour {} (« {} ») : attendu entre {} et {}",
                    field_label(&Role::Field(f)),
                    french_number(n),
                    french_number(lo),
                    french_number(hi)
                ),
                fix: "corrigez la cellule (une capacité ou un nombre de journées nul, négatif ou démesuré fausserait tous les taux)".into(),
                reject: false,
            }),
            _ => Ok(Value::Number(n)),
        },
        Value::Integer(i) => match crate::tables::plausible_range(ctx.table, f.name) {
            Some((lo, hi)) if !(lo..=hi).contains(&(i as f64)) => Err(Problem {
                code: "valeur_hors_limites",
                what: format!(
                    "valeur invraisemblable pour {} (« {i} ») : attendu entre {} et {}",
                    field_label(&Role::Field(f)),
                    french_number(lo),
                    french_number(hi)
                ),
                fix: "corrigez la cellule".into(),
                reject: false,
            }),
            _ => Ok(Value::Integer(i)),
        },
        Value::Date(d) => {
            use chrono::Datelike;
            let earliest = crate::tables::earliest_year(ctx.table, f.name);
            if d.year() < earliest || d > ctx.checks.latest_date {
                let dates_of_presence = matches!(
                    f.name,
                    "date_debut" | "date_fin" | "date_entree" | "date_sortie"
                );
                Err(Problem {
                    code: "date_invraisemblable",
                    what: format!(
                        "date invraisemblable pour {} : attendue entre le 01/01/{earliest} et le {}",
                        field_label(&Role::Field(f)),
                        ctx.checks.latest_date.format("%d/%m/%Y")
                    ),
                    fix: "vérifiez l'année (faute de frappe ?)".into(),
                    // A wrong start or end date changes who is counted in which year.
                    reject: dates_of_presence,
                })
            } else {
                Ok(Value::Date(d))
            }
        }
        other => Ok(other),
    }
}

/// Structure checks of a CSV line: an unclosed quote that swallowed the lines below, or
/// a number of fields that does not match the header (every value would be shifted).
/// Returns the rejection reason.
pub(super) fn text_structure(
    ctx: &SheetContext,
    layout: &grid::TextLayout,
    header: &Header,
    grid: &Grid,
    r: usize,
    stats: &mut SourceStats,
    issues: &mut Vec<Issue>,
) -> Option<&'static str> {
    if let Some(&(first, last, swallowed)) = layout.swallowed.iter().find(|(f, ..)| *f == r) {
        // The swallowed non-blank lines were lines of the file: read, and rejected with
        // this one.
        stats.lignes_lues += swallowed;
        *stats
            .lignes_rejetees
            .entry("guillemet_non_ferme".into())
            .or_default() += swallowed;
        issues.push(ctx.issue(
            Some(format!("ligne {}", first + 1)),
            None,
            None,
            "guillemet_non_ferme",
            Severity::Error,
            format!(
                "un guillemet ouvert ligne {} n'est refermé que ligne {} : les lignes {} à {} ont été lues comme une seule valeur ; ces {} lignes sont rejetées ; corrigez le guillemet dans le fichier (une valeur entre guillemets doit se terminer par un guillemet)",
                first + 1,
                last + 1,
                first + 1,
                last + 1,
                swallowed + 1
            ),
        ));
        return Some("guillemet_non_ferme");
    }
    let header_raw = header
        .rows
        .iter()
        .filter_map(|h| layout.fields.get(*h))
        .copied()
        .max()
        .unwrap_or(0);
    let header_named = header
        .columns
        .iter()
        .map(|c| c.index + 1)
        .max()
        .unwrap_or(0);
    let raw = layout.fields.get(r).copied().unwrap_or(0);
    let filled = grid.rows.get(r).map_or(0, Vec::len);
    if filled > header_raw.max(header_named) || raw < header_named {
        issues.push(ctx.issue(
            Some(format!("ligne {}", r + 1)),
            None,
            None,
            "nombre_de_champs",
            Severity::Error,
            format!(
                "la ligne compte {raw} champ(s) alors que l'en-tête en compte {} : ses valeurs seraient décalées d'une colonne à l'autre ; la ligne est rejetée ; vérifiez les séparateurs de cette ligne (une valeur contenant le séparateur doit être entre guillemets)",
                header_raw.max(header_named)
            ),
        ));
        return Some("nombre_de_champs");
    }
    None
}

/// Checks across the accepted rows of one sheet. Returns the rows to reject (index in
/// `rows`) with their reason:
/// - an exact duplicate of an earlier row (every column read is equal) would be counted
///   twice — satisfaction questionnaires without a number are exempt, identical
///   unnumbered questionnaires being normal;
/// - one person (same nom, prénom, date de naissance — or same file number) with more
///   than `[controles] mesures_simultanees_max` measures at once in one service.
// Long function: two passes over the accepted rows of a sheet (exact duplicates, then
// simultaneous measures per person and service) sharing the row keys built once.
pub(super) fn across_rows(
    ctx: &SheetContext,
    rows: &[(usize, RowValues)],
    issues: &mut Vec<Issue>,
) -> BTreeMap<usize, &'static str> {
    let mut out = BTreeMap::new();
    if ctx.table == Table::Reference {
        return out;
    }
    // Rows by the digest of their values: the last kept row of each digest, and for
    // each kept row the one kept before it with the same digest (rarely any). Equal
    // digests are compared value by value; a chain never holds two equal rows.
    let mut last_seen: PlHashMap<u64, usize> = PlHashMap::with_capacity(rows.len());
    let mut before: Vec<Option<usize>> = vec![None; rows.len()];
    // One hasher state for the sheet: equal rows get equal digests.
    let state = PlRandomState::default();
    for (i, (r, row)) in rows.iter().enumerate() {
        if ctx.table == Table::Satisfaction && !row.values.contains_key("numero") {
            continue;
        }
        let digest = row_digest(&state, &row.values);
        let mut earlier = last_seen.get(&digest).copied();
        while let Some(j) = earlier
            && !same_values(&rows[j].1.values, &row.values)
        {
            earlier = before[j];
        }
        match earlier {
            Some(j) => {
                out.insert(i, "ligne_en_double");
                issues.push(ctx.issue(
                    Some(format!("ligne {}", r + 1)),
                    None,
                    None,
                    "ligne_en_double",
                    Severity::Error,
                    format!(
                        "ligne identique à la ligne {} (toutes les colonnes lues) : rejetée pour ne pas compter deux fois la même personne ou la même mesure ; supprimez le doublon",
                        rows[j].0 + 1
                    ),
                ));
            }
            None => before[i] = last_seen.insert(digest, i),
        }
    }
    if ctx.table != Table::Accompaniments {
        return out;
    }
    // Intervals of each person in each service (exact duplicates already set aside),
    // by the person's key ([`person_key`]).
    // Each person's last span and number of spans; each span with the person's span
    // before it.
    let mut people: PlHashMap<Vec<u8>, (usize, usize)> = PlHashMap::default();
    let mut spans: Vec<((usize, NaiveDate, NaiveDate), Option<usize>)> = Vec::new();
    let mut key = PersonKey::default();
    for (i, (_, row)) in rows.iter().enumerate() {
        if out.contains_key(&i) {
            continue;
        }
        let (Some(Value::Date(start)), end) =
            (row.values.get("date_debut"), row.values.get("date_fin"))
        else {
            continue;
        };
        if !key.of(row, ctx.spec.service.as_deref()) {
            continue;
        }
        let end = match end {
            Some(Value::Date(e)) => *e,
            _ => NaiveDate::MAX,
        };
        let (last, count) = people
            .entry_ref(key.bytes.as_slice())
            .or_insert((usize::MAX, 0));
        spans.push(((i, *start, end), (*count > 0).then_some(*last)));
        (*last, *count) = (spans.len() - 1, *count + 1);
    }
    let max = ctx.checks.max_simultaneous;
    let mut crowded: Vec<Vec<(usize, NaiveDate, NaiveDate)>> = people
        .values()
        .filter(|(_, count)| *count > max)
        .map(|&(last, _)| {
            let mut own = Vec::new();
            let mut at = Some(last);
            while let Some(k) = at {
                own.push(spans[k].0);
                at = spans[k].1;
            }
            own.reverse();
            own
        })
        .collect();
    // Persons in the order of their first row (the map has no order of its own).
    crowded.sort_by_key(|spans| spans.first().map(|s| s.0));
    for spans in &crowded {
        // Sweep: starts before ends on the same day (both ends are inclusive).
        let mut events: Vec<(NaiveDate, i8)> = spans
            .iter()
            .flat_map(|(_, s, e)| [(*s, -1i8), (e.succ_opt().unwrap_or(NaiveDate::MAX), 1)])
            .collect();
        events.sort();
        let (mut open, mut peak) = (0i64, 0i64);
        for (_, kind) in events {
            open -= i64::from(kind);
            peak = peak.max(open);
        }
        if peak as usize <= max {
            continue;
        }
        let lines: Vec<String> = spans
            .iter()
            .take(8)
            .map(|(i, ..)| (rows[*i].0 + 1).to_string())
            .collect();
        let more = if spans.len() > 8 { ", …" } else { "" };
        for (i, ..) in spans {
            out.insert(*i, "mesures_simultanees");
            issues.push(ctx.issue(
                Some(format!("ligne {}", rows[*i].0 + 1)),
                None,
                None,
                "mesures_simultanees",
                Severity::Error,
                format!(
                    "la même personne a {peak} mesures en cours en même temps dans ce service (lignes {}{more}), plus que le maximum plausible de {max} : ses {} lignes sont rejetées ; vérifiez les doublons et les dates de fin (maximum réglable : [controles] mesures_simultanees_max)",
                    lines.join(", "),
                    spans.len()
                ),
            ));
        }
    }
    out
}

/// The key of one person in one service: service, file number, surname and first name
/// folded, birth date; each text preceded by its length, so that two keys are equal
/// exactly when their fields are. Built in buffers reused from row to row (the check
/// runs on every accompaniment row).
#[derive(Default)]
struct PersonKey {
    bytes: Vec<u8>,
    text: String,
    folded: String,
}

impl PersonKey {
    /// Builds the key of `row` (`service` when the row has none); `false` when the row
    /// names nobody: no file number and not all of surname, first name and birth date.
    fn of(&mut self, row: &RowValues, service: Option<&str>) -> bool {
        self.bytes.clear();
        let birth = match row.values.get("date_naissance") {
            Some(Value::Date(d)) => Some(*d),
            _ => None,
        };
        let mut known = usize::from(birth.is_some());
        let mut dossier = false;
        for (k, field) in [(0, "numero_dossier"), (1, "nom"), (2, "prenom")] {
            self.folded.clear();
            if row.text_into(field, &mut self.text) {
                values::fold_into(&self.text, &mut self.folded);
            }
            let filled = !self.folded.is_empty();
            known += usize::from(filled && k > 0);
            dossier |= filled && k == 0;
            push_text(&mut self.bytes, &self.folded);
        }
        if known < 3 && !dossier {
            return false;
        }
        let service = if row.text_into(col::SERVICE, &mut self.text) {
            self.text.as_str()
        } else {
            service.unwrap_or_default()
        };
        push_text(&mut self.bytes, service);
        match birth {
            Some(d) => {
                self.bytes.push(1);
                self.bytes
                    .extend_from_slice(&chrono::Datelike::num_days_from_ce(&d).to_le_bytes());
            }
            None => self.bytes.push(0),
        }
        true
    }
}

/// `text` appended to a key, preceded by its length.
fn push_text(bytes: &mut Vec<u8>, text: &str) {
    bytes.extend_from_slice(&(text.len() as u64).to_le_bytes());
    bytes.extend_from_slice(text.as_bytes());
}

/// Table-specific coherence checks. Returns a rejection reason.
pub(super) fn check_row(
    ctx: &SheetContext,
    row: &mut RowValues,
    r: usize,
    issues: &mut Vec<Issue>,
) -> Option<&'static str> {
    match ctx.table {
        Table::Accompaniments => {
            if let (Some(Value::Date(birth)), Some(Value::Date(start))) = (
                row.values.get("date_naissance"),
                row.values.get("date_debut"),
            ) && birth > start
            {
                issues.push(ctx.issue(Some(format!("ligne {}", r + 1)), None, Some("date_naissance"), "naissance_apres_debut", Severity::Warning,
                    "la date de naissance est postérieure à la date de début de la mesure : date de naissance laissée de côté (âge non renseigné) ; corrigez l'une des deux dates".into()));
                row.values.remove("date_naissance");
            }
            if let (Some(Value::Date(a)), Some(Value::Date(b))) =
                (row.values.get("date_debut"), row.values.get("date_fin"))
                && b < a
            {
                issues.push(ctx.issue(Some(format!("ligne {}", r + 1)), None, Some("date_fin"), "dates_incoherentes", Severity::Error,
                    "la date de fin précède la date de début : la ligne est rejetée ; corrigez l'une des deux dates".into()));
                return Some("dates_incoherentes");
            }
            None
        }
        Table::Activity => {
            let month_year = match row.values.get("mois") {
                Some(Value::Month { year, .. }) => *year,
                _ => None,
            };
            if !row.values.contains_key("annee") {
                match month_year {
                    Some(y) => {
                        row.values.insert("annee", Value::Integer(i64::from(y)));
                    }
                    None => {
                        issues.push(ctx.issue(Some(format!("ligne {}", r + 1)), None, Some("annee"), "annee_manquante", Severity::Error,
                            "année introuvable (ni colonne année, ni mois sous forme de date) : la ligne est rejetée".into()));
                        return Some("annee_manquante");
                    }
                }
            }
            None
        }
        Table::Training | Table::Satisfaction => {
            let date_field = if ctx.table == Table::Training {
                "date"
            } else {
                "date_envoi"
            };
            if !row.values.contains_key("annee") {
                match row.values.get(date_field) {
                    Some(Value::Date(d)) => {
                        use chrono::Datelike;
                        row.values
                            .insert("annee", Value::Integer(i64::from(d.year())));
                    }
                    _ => {
                        issues.push(ctx.issue(Some(format!("ligne {}", r + 1)), None, Some("annee"), "annee_manquante", Severity::Error,
                            "année introuvable (ni colonne année, ni date) : la ligne est rejetée".into()));
                        return Some("annee_manquante");
                    }
                }
            }
            None
        }
        _ => None,
    }
}

/// A digest of a row's values (field names and values; numbers by their bits).
fn row_digest(state: &PlRandomState, values: &FieldValues) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = state.build_hasher();
    for (k, v) in values.iter() {
        k.hash(&mut h);
        match v {
            Value::Text(t) => (0u8, t).hash(&mut h),
            Value::Date(d) => (1u8, d).hash(&mut h),
            Value::Integer(i) => (2u8, i).hash(&mut h),
            Value::Number(n) => (3u8, n.to_bits()).hash(&mut h),
            Value::Bool(b) => (4u8, b).hash(&mut h),
            Value::Month { month, year } => (5u8, month, year).hash(&mut h),
        }
    }
    h.finish()
}

/// Two rows with the same fields and values (numbers equal to the bit).
fn same_values(a: &FieldValues, b: &FieldValues) -> bool {
    a.len() == b.len()
        && a.iter().zip(b.iter()).all(|((ka, va), (kb, vb))| {
            ka == kb
                && match (va, vb) {
                    (Value::Number(x), Value::Number(y)) => x.to_bits() == y.to_bits(),
                    _ => va == vb,
                }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fields: &[(&'static str, &str)], birth: Option<NaiveDate>) -> RowValues {
        let mut r = RowValues::with_capacity(fields.len() + 1);
        for (k, v) in fields {
            r.values.insert(*k, Value::Text((*v).into()));
        }
        if let Some(d) = birth {
            r.values.insert("date_naissance", Value::Date(d));
        }
        r
    }

    fn key(r: &RowValues, service: Option<&str>) -> Option<Vec<u8>> {
        let mut k = PersonKey::default();
        k.of(r, service).then(|| k.bytes.clone())
    }

    #[test]
    fn person_keys_fold_names_and_keep_fields_apart() {
        let d = NaiveDate::from_ymd_opt(2012, 3, 4);
        let a = row(&[("nom", "Lefèvre"), ("prenom", "Zoé")], d);
        let b = row(&[("nom", " LEFEVRE"), ("prenom", "zoe ")], d);
        assert_eq!(key(&a, Some("S1")), key(&b, Some("S1")));
        assert_ne!(key(&a, Some("S1")), key(&a, Some("S2")));
        // A letter moved from one field to the next is another person.
        let c = row(&[("nom", "Lefèvr"), ("prenom", "eZoé")], d);
        assert_ne!(key(&a, Some("S1")), key(&c, Some("S1")));
        // The row's own service wins over the sheet's.
        let mut s = row(&[("nom", "Lefèvre"), ("prenom", "Zoé")], d);
        s.values.insert(col::SERVICE, Value::Text("S2".into()));
        assert_eq!(key(&s, Some("S1")), key(&a, Some("S2")));
        // Without a birth date, names alone name nobody; a file number does.
        assert_eq!(
            key(&row(&[("nom", "A"), ("prenom", "B")], None), None),
            None
        );
        let f = row(&[("numero_dossier", "12")], None);
        assert!(key(&f, None).is_some());
        assert_ne!(
            key(&f, None),
            key(&row(&[("numero_dossier", "13")], None), None)
        );
    }
}
