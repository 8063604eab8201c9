//! The proposal written as a pipeline file: every choice commented with its reason, the
//! undecided values as commented questions, so that the file runs as it is and reads as
//! a review list. Sheets of one workbook with the same table and columns become one
//! source (`feuilles = [...]`, or `["*"]` beyond a dozen, without listing names: one
//! sheet per child is a real layout).

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::{Component, Path, PathBuf};

use super::SheetProposal;
use super::values::{ColumnValues, Verdict};
use crate::tables::Table;

/// More sheets of the same shape than this are read as `feuilles = ["*"]`.
const LISTED_SHEETS: usize = 12;

fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn quote_fr(s: &str) -> String {
    format!("« {} »", s.replace('\n', " "))
}

/// `file` relative to the folder `base` the pipeline is written in (both made absolute
/// from the current folder), with `/` separators.
pub fn relative(file: &Path, base: &Path) -> String {
    let abs = |p: &Path| -> PathBuf {
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(p)
        };
        let mut out = PathBuf::new();
        for c in p.components() {
            match c {
                Component::ParentDir => {
                    out.pop();
                }
                Component::CurDir => {}
                other => out.push(other),
            }
        }
        out
    };
    let (f, b) = (abs(file), abs(base));
    let fc: Vec<_> = f.components().collect();
    let bc: Vec<_> = b.components().collect();
    let common = fc.iter().zip(&bc).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); bc.len() - common];
    parts.extend(
        fc[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// A group of sheets proposed as one source.
struct Group<'a> {
    first: &'a SheetProposal,
    sheets: Vec<&'a str>,
}

fn shape(p: &SheetProposal) -> Vec<(String, Option<&'static str>)> {
    p.columns
        .iter()
        .map(|c| (c.header.clone(), c.field.map(|f| f.name)))
        .collect()
}

fn groups(proposals: &[SheetProposal]) -> Vec<Group<'_>> {
    let mut out: Vec<Group> = Vec::new();
    for p in proposals.iter().filter(|p| p.table.is_some()) {
        let same = out.iter_mut().find(|g| {
            g.first.file == p.file
                && g.first.table == p.table
                && g.first.header_rows == p.header_rows
                && shape(g.first) == shape(p)
                && p.sheet.is_some()
        });
        match same {
            Some(g) => g.sheets.push(p.sheet.as_deref().unwrap_or_default()),
            None => out.push(Group {
                first: p,
                sheets: p.sheet.as_deref().into_iter().collect(),
            }),
        }
    }
    out
}

/// The whole proposed pipeline; paths relative to `base`, the folder it will be saved in.
pub fn pipeline(proposals: &[SheetProposal], base: &Path) -> String {
    let mut t = String::new();
    let files: BTreeSet<String> = proposals.iter().map(|p| relative(&p.file, base)).collect();
    let _ = writeln!(
        t,
        "# Pipeline proposé par « observatoire proposer » à partir de {} fichier(s).\n\
         # À RELIRE avant usage : chaque colonne porte la raison de son choix ; les valeurs\n\
         # non décidées sont des questions en commentaire ; les champs à compléter le disent.\n",
        files.len()
    );
    let _ = writeln!(
        t,
        "[pipeline]\nnom = \"À compléter : nom du réseau ou de l'association\"\n"
    );
    let years = proposals.iter().filter_map(|p| p.years);
    let (lo, hi) = years.fold((i32::MAX, i32::MIN), |(a, b), (x, y)| (a.min(x), b.max(y)));
    if lo <= hi {
        let debut = lo.max(hi - 3);
        let _ = writeln!(
            t,
            "# Les dates de début et de fin lues vont de {lo} à {hi} : la période proposée en\n\
             # retient les quatre dernières années au plus ; à ajuster.\n[periode]\ndebut = {debut}\nfin = {hi}\n"
        );
    } else {
        let _ = writeln!(
            t,
            "# Aucune date de début ou de fin lue : période à compléter.\n[periode]\ndebut = 2020\nfin = 2023\n"
        );
    }
    let identifying = proposals
        .iter()
        .any(|p| matches!(p.table, Some(Table::Accompaniments | Table::Staff)));
    if identifying {
        let _ = writeln!(
            t,
            "# Clés secrètes de pseudonymisation, à créer avec « observatoire cle creer » et à\n\
             # garder hors de tout dossier partagé.\n[confidentialite]\ncle = \"cles/collectif.cle\"\ncle_observatoire = \"cles/observatoire.cle\"\n"
        );
    }
    for g in groups(proposals) {
        source(&mut t, &g, base);
    }
    skipped(&mut t, proposals, base);
    t
}

fn source(t: &mut String, g: &Group, base: &Path) {
    let p = g.first;
    let Some(table) = p.table else { return };
    let file = relative(&p.file, base);
    let stem = p
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let _ = writeln!(t, "[[sources]]");
    match g.sheets.as_slice() {
        [] => {
            let _ = writeln!(t, "nom = {}\nfichier = {}", q(&stem), q(&file));
        }
        [one] => {
            let _ = writeln!(
                t,
                "nom = {}\nfichier = {}\nfeuille = {}",
                q(&format!("{stem} — {one}")),
                q(&file),
                q(one)
            );
        }
        many if many.len() > LISTED_SHEETS => {
            let _ = writeln!(
                t,
                "nom = {}\nfichier = {}\n# {} feuilles de même forme (noms non affichés)\nfeuilles = [\"*\"]",
                q(&stem),
                q(&file),
                many.len()
            );
        }
        many => {
            let list: Vec<String> = many.iter().map(|s| q(s)).collect();
            let _ = writeln!(
                t,
                "nom = {}\nfichier = {}\nfeuilles = [{}]",
                q(&stem),
                q(&file),
                list.join(", ")
            );
        }
    }
    header_line(t, &p.header_rows);
    let _ = writeln!(t, "table = {}", q(table.id()));
    if let Some(o) = &p.organisation {
        let _ = writeln!(t, "organisation = {}", q(o));
    }
    let has_service_column = p.column_of("service").is_some();
    match (&p.service, has_service_column) {
        (Some(s), false) => {
            let _ = writeln!(t, "service = {}", q(s));
        }
        (None, false) if table.field("service").is_some_and(|f| f.required) => {
            let _ = writeln!(
                t,
                "service = \"À COMPLÉTER\" # code du service (FINESS) : aucune colonne « service » trouvée"
            );
        }
        _ => {}
    }
    if let Some((enc, sep)) = p.csv {
        let sep = if sep == '\t' {
            "\\t".to_string()
        } else {
            sep.to_string()
        };
        let _ = writeln!(
            t,
            "[sources.csv]\nencodage = {}\nseparateur = \"{sep}\"",
            q(&enc.to_ascii_lowercase())
        );
    }
    columns(t, p);
    if table == Table::Reference {
        reference(t, g);
    }
    for v in &p.values {
        values(t, v);
    }
    let _ = writeln!(t);
}

/// A measure's name from its header: folded, lower case, words joined by `_`.
fn measure_name(header: &str) -> String {
    let folded = crate::text::fold(header).to_lowercase();
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut name = words.join("_");
    name.truncate(40);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "mesure_");
    }
    name
}

fn is_year(header: &str) -> bool {
    let h = header.trim();
    h.len() == 4 && h.bytes().all(|b| b.is_ascii_digit())
}

/// `[sources.reference]` of a public series: what cannot be guessed is to complete; the
/// numeric columns are its measures, or, when their headers are years, a wide table.
fn reference(t: &mut String, g: &Group) {
    let p = g.first;
    let by_sheet = !g.sheets.is_empty() && g.sheets.iter().all(|s| is_year(s));
    let _ = writeln!(
        t,
        "[sources.reference]
source = \"À COMPLÉTER : éditeur des chiffres (DREES, INSEE…)\""
    );
    if p.departements {
        let _ = writeln!(t, "niveau = \"departement\" # codes de département lus");
    } else {
        let _ = writeln!(
            t,
            "niveau = \"region\" # À VÉRIFIER : les codes lus ne sont pas des départements"
        );
    }
    let wide = p.measures.iter().filter(|m| is_year(&m.header)).count() >= 2;
    if by_sheet {
        let _ = writeln!(t, "periode = \"feuille\" # une feuille par année");
    } else if !wide {
        let year = p.years.map(|y| y.1).unwrap_or(2023);
        let _ = writeln!(
            t,
            "periode = {year} # À VÉRIFIER : l'année que décrivent les chiffres"
        );
    } else {
        let _ = writeln!(
            t,
            "periode = \"feuille\" # les années viennent des en-têtes de colonnes"
        );
    }
    if wide {
        let _ = writeln!(
            t,
            "# Une colonne de valeurs par année : tableau « large »
[sources.reference.colonnes_larges]
variable = \"À COMPLÉTER : nom de la grandeur\""
        );
        return;
    }
    let _ = writeln!(t, "[sources.reference.mesures]");
    for m in &p.measures {
        let _ = writeln!(
            t,
            "{} = {} # colonne {} : nombres",
            measure_name(&m.header),
            q(&m.header),
            m.letter
        );
    }
}

fn header_line(t: &mut String, rows: &[usize]) {
    match rows {
        [one] => {
            let _ = writeln!(t, "ligne_entete = {one}");
        }
        [a, b] => {
            let _ = writeln!(
                t,
                "# En-tête sur deux lignes : groupe puis intitulé\nligne_entete = [{a}, {b}]"
            );
        }
        _ => {}
    }
}

fn columns(t: &mut String, p: &SheetProposal) {
    let _ = writeln!(t, "[sources.colonnes]");
    for c in p.columns.iter() {
        if let (Some(f), Some(r)) = (c.field, c.reason) {
            let _ = writeln!(
                t,
                "{} = {} # colonne {} : {}",
                f.name,
                q(&c.header),
                c.letter,
                r.french()
            );
        }
    }
    let unused: Vec<String> = p
        .columns
        .iter()
        .filter(|c| c.field.is_none() && !p.measures.iter().any(|m| m.letter == c.letter))
        .map(|c| format!("#   colonne {} {}", c.letter, quote_fr(&c.header)))
        .collect();
    if !unused.is_empty() {
        let _ = writeln!(
            t,
            "# Colonnes sans champ reconnu, non lues (à associer à la main au besoin) :\n{}",
            unused.join("\n")
        );
    }
}

fn values(t: &mut String, v: &ColumnValues) {
    let decided: Vec<String> = v
        .lines
        .iter()
        .filter_map(|l| match &l.verdict {
            Verdict::Proposed(to) => Some(format!(
                "{} = {} # proposé, à vérifier ({} ligne(s))",
                q(&l.raw),
                q(to),
                l.count
            )),
            _ => None,
        })
        .collect();
    let questions: Vec<String> = v
        .lines
        .iter()
        .filter_map(|l| match &l.verdict {
            Verdict::Question(near) => {
                let near: Vec<String> = near.iter().map(|s| quote_fr(s)).collect();
                Some(format!(
                    "# QUESTION : {} ({} ligne(s)) = ? catégories proches : {}\n# {} = \"…\"",
                    quote_fr(&l.raw),
                    l.count,
                    if near.is_empty() {
                        "aucune".into()
                    } else {
                        near.join(", ")
                    },
                    q(&l.raw)
                ))
            }
            _ => None,
        })
        .collect();
    let known: Vec<String> = v
        .lines
        .iter()
        .filter_map(|l| match &l.verdict {
            Verdict::Known(to) if *to != l.raw => {
                Some(format!("{} → {}", quote_fr(&l.raw), quote_fr(to)))
            }
            Verdict::Known(to) => Some(quote_fr(to)),
            _ => None,
        })
        .collect();
    if decided.is_empty() && questions.is_empty() && v.hidden.is_empty() {
        if !known.is_empty() {
            let _ = writeln!(
                t,
                "# {} : valeurs reconnues telles quelles : {}",
                v.field,
                known.join(", ")
            );
        }
        return;
    }
    let _ = writeln!(t, "[sources.valeurs.{}]", v.field);
    for d in decided {
        let _ = writeln!(t, "{d}");
    }
    for qn in questions {
        let _ = writeln!(t, "{qn}");
    }
    if !known.is_empty() {
        let _ = writeln!(t, "# Reconnues telles quelles : {}", known.join(", "));
    }
    if !v.hidden.is_empty() {
        let _ = writeln!(
            t,
            "# {} valeur(s) vue(s) une seule fois, non affichée(s) (saisie erronée ?) : cellule(s) {}",
            v.hidden.len(),
            v.hidden.join(", ")
        );
    }
}

fn skipped(t: &mut String, proposals: &[SheetProposal], base: &Path) {
    let skipped: Vec<&SheetProposal> = proposals.iter().filter(|p| p.skipped.is_some()).collect();
    if skipped.is_empty() {
        return;
    }
    let _ = writeln!(t, "# Feuilles non proposées :");
    if skipped.len() > LISTED_SHEETS {
        let _ = writeln!(
            t,
            "#   {} feuilles sans en-tête de table reconnu (noms non affichés)",
            skipped.len()
        );
        return;
    }
    for p in skipped {
        let _ = writeln!(
            t,
            "#   {}{} : {}",
            relative(&p.file, base),
            p.sheet
                .as_deref()
                .map(|s| format!(", feuille {}", quote_fr(s)))
                .unwrap_or_default(),
            p.skipped.as_deref().unwrap_or_default()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("/a/b/c.xlsx"), Path::new("/a/d")),
            "../b/c.xlsx"
        );
        assert_eq!(
            relative(Path::new("/a/b/c.xlsx"), Path::new("/a/b")),
            "c.xlsx"
        );
        assert_eq!(
            relative(Path::new("/a/b/../c.csv"), Path::new("/a")),
            "c.csv"
        );
    }
}
