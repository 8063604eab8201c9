//! Closed vocabularies of the coded fields (ground floor, shared by ingest and the
//! indicators). A coded field is one whose values become labels of published figures
//! (type de mesure, cadre, métier, thème…): a value that is neither one of the terms
//! below (compared without case, accents, spaces or punctuation) nor a value the
//! pipeline maps explicitly (`[sources.valeurs.<champ>]`) is not a category — it may be
//! a child's name typed in the wrong column — so ingest reports it (cell, never value)
//! and treats it as « non renseigné » (docs/architecture.md, « Vocabulaires fermés »).
//!
//! Each term has a canonical label (what is published) and the spellings met in
//! partners' files. The lists cover the child-protection, medico-social and social
//! sectors the observatory covers (docs/vocabulaires.md); anything else is added per source with `valeurs`.

use crate::tables::Table;
use std::collections::HashMap;

use crate::text::fold;

/// One category: its published label and other spellings.
#[derive(Debug, Clone, Copy)]
pub struct Term {
    pub label: &'static str,
    pub synonyms: &'static [&'static str],
}

const fn t(label: &'static str, synonyms: &'static [&'static str]) -> Term {
    Term { label, synonyms }
}

mod terms;

pub use terms::{
    ACTION_STATUSES, CAPACITY_UNITS, CONTRACTS, INDICATOR_KINDS, JOBS, LEGAL_FRAMES, MEASURE_TYPES,
    MODALITIES, RESPONDENTS, SECTORS, SERVICE_TYPES, SEXES, TARGET_DIRECTIONS, TRAINING_THEMES,
};

/// The closed vocabulary of `field` in `table`, if the field is coded.
pub fn of(table: Table, field: &str) -> Option<&'static [Term]> {
    Some(match (table, field) {
        (Table::Accompaniments, "type_mesure") => MEASURE_TYPES,
        (Table::Accompaniments, "cadre") => LEGAL_FRAMES,
        (Table::Accompaniments, "sexe") => SEXES,
        (Table::Accompaniments | Table::Services, "modalite") => MODALITIES,
        (Table::Services, "type_service") => SERVICE_TYPES,
        (Table::Services, "secteur") => SECTORS,
        (Table::Services | Table::Capacities, "unite_capacite") => CAPACITY_UNITS,
        (Table::Staff, "metier") => JOBS,
        (Table::Staff, "type_contrat") => CONTRACTS,
        (Table::Training, "theme") => TRAINING_THEMES,
        (Table::Satisfaction, "type_repondant") => RESPONDENTS,
        (Table::ActionPlan, "statut") => ACTION_STATUSES,
        (Table::ActionPlan, "type_indicateur") => INDICATOR_KINDS,
        (Table::ActionPlan, "sens_cible") => TARGET_DIRECTIONS,
        _ => return None,
    })
}

/// Comparison key: folded (upper case, no accents), letters and digits only, without
/// the short parenthesised endings of inclusive writing (`Chef(fe)`, `Infirmier(ère)`,
/// `Directeur(trice)`, `spécialisé(e)`).
fn key(s: &str) -> String {
    let folded = fold(s);
    let mut out = String::with_capacity(folded.len());
    let mut chars = folded.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '(' {
            let inner: String = chars.clone().take_while(|c| *c != ')').collect();
            if inner.chars().count() <= 6 && inner.chars().all(char::is_alphabetic) {
                for _ in 0..=inner.chars().count() {
                    chars.next();
                }
                continue;
            }
        }
        if c.is_ascii_alphanumeric() {
            out.push(c);
        }
    }
    out
}

/// Qualifiers that do not change a category (`Éducateur spécialisé référent`).
const QUALIFIERS: &[&str] = &[
    "REFERENT",
    "REFERENTE",
    "PRINCIPAL",
    "PRINCIPALE",
    "ENFORMATION",
    "REMPLACANT",
    "REMPLACANTE",
    "COORDINATEUR",
    "COORDINATRICE",
    "DIPLOME",
    "DIPLOMEE",
];

/// Every vocabulary of the module, for the lookup index.
const VOCABULARIES: &[&[Term]] = &[
    MEASURE_TYPES,
    LEGAL_FRAMES,
    SEXES,
    MODALITIES,
    SERVICE_TYPES,
    SECTORS,
    CAPACITY_UNITS,
    JOBS,
    TRAINING_THEMES,
    CONTRACTS,
    RESPONDENTS,
    ACTION_STATUSES,
    INDICATOR_KINDS,
    TARGET_DIRECTIONS,
];

type Index = HashMap<String, &'static str>;

/// Comparison key → label, built once per vocabulary (a national run checks millions of
/// cells).
fn index(terms: &[Term]) -> Option<&'static Index> {
    static INDEXES: std::sync::OnceLock<Vec<(usize, Index)>> = std::sync::OnceLock::new();
    let all = INDEXES.get_or_init(|| {
        VOCABULARIES
            .iter()
            .map(|terms| {
                let mut map = Index::new();
                for t in terms.iter() {
                    for s in std::iter::once(&t.label).chain(t.synonyms.iter()) {
                        map.entry(key(s)).or_insert(t.label);
                    }
                }
                (terms.as_ptr() as usize, map)
            })
            .collect()
    });
    all.iter()
        .find(|(p, _)| *p == terms.as_ptr() as usize)
        .map(|(_, m)| m)
}

/// The canonical label of `text` in `terms`, if it is one of them (also once a trailing
/// qualifier such as « référent » is removed).
pub fn recognise(terms: &[Term], text: &str) -> Option<&'static str> {
    // A coded column repeats a few labels over every row: each thread remembers the
    // answers for short texts (bounded; cleared when full).
    const SHORT: usize = 64;
    const REMEMBERED: usize = 4096;
    thread_local! {
        static SEEN: std::cell::RefCell<HashMap<usize, HashMap<String, Option<&'static str>>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    let id = terms.as_ptr() as usize;
    if text.len() > SHORT {
        return recognise_text(terms, text);
    }
    if let Some(known) = SEEN.with(|s| s.borrow().get(&id).and_then(|m| m.get(text).copied())) {
        return known;
    }
    let found = recognise_text(terms, text);
    SEEN.with(|s| {
        let mut s = s.borrow_mut();
        let m = s.entry(id).or_default();
        if m.len() >= REMEMBERED {
            m.clear();
        }
        m.insert(text.to_string(), found);
    });
    found
}

fn recognise_text(terms: &[Term], text: &str) -> Option<&'static str> {
    let k = key(text);
    if k.is_empty() {
        return None;
    }
    let indexed = index(terms);
    let find = |k: &str| match indexed {
        Some(map) => map.get(k).copied(),
        None => terms
            .iter()
            .find(|t| key(t.label) == k || t.synonyms.iter().any(|s| key(s) == k))
            .map(|t| t.label),
    };
    find(&k).or_else(|| {
        QUALIFIERS
            .iter()
            .filter_map(|q| k.strip_suffix(q))
            .filter(|rest| !rest.is_empty())
            .find_map(find)
    })
}

/// Every coded field, for documentation: (table, field, terms).
pub fn all() -> Vec<(Table, &'static str, &'static [Term])> {
    let mut v = Vec::new();
    for table in Table::ALL {
        for f in table.fields() {
            if let Some(terms) = of(table, f.name) {
                v.push((table, f.name, terms));
            }
        }
    }
    v
}

/// The vocabularies as Markdown (`docs/vocabulaires.md`, `observatoire vocabulaires`).
pub fn markdown() -> String {
    let mut s = String::from(
        "# Vocabulaires des colonnes codées\n\n\
Généré par `observatoire vocabulaires --markdown` : ne pas modifier à la main.\n\n\
Une colonne codée donne les libellés des chiffres publiés (type de mesure, cadre, métier…). \
Une valeur est reconnue si elle s'écrit comme un libellé ou une variante ci-dessous, aux \
majuscules, accents, espaces et ponctuation près. Toute autre valeur est signalée dans le \
rapport de validation (`valeur_hors_vocabulaire`, cellule indiquée, contenu jamais reproduit : \
ce peut être un nom saisi dans la mauvaise colonne) et comptée comme « non renseigné ». \
Pour une vraie modalité absente de ces listes, déclarez-la dans le pipeline :\n\n\
```toml\n[sources.valeurs.type_mesure]\n\"Libellé de votre fichier\" = \"Libellé publié\"\n```\n",
    );
    for (table, field, terms) in all() {
        let label = table.field(field).map_or("", |f| f.label);
        s.push_str(&format!("\n## {}.{field} — {label}\n\n", table.id()));
        s.push_str("| libellé publié | variantes reconnues |\n|---|---|\n");
        for t in terms {
            s.push_str(&format!("| {} | {} |\n", t.label, t.synonyms.join(", ")));
        }
    }
    s
}

#[cfg(test)]
mod tests;
