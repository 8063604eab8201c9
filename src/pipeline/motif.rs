//! Name patterns of a source (`motif_fichier`, `motif_feuille`): a file or sheet name
//! such as `suivi-{departement}.xlsx` or `Entrées {annee}` gives the service, the year or
//! the département of the rows inside. Owns the pattern syntax (placeholders `{service}`,
//! `{annee}`, `{departement}`, `*` for any text), matching (case, accents and spacing
//! folded) and the pipeline checks of these keys. Knows nothing of files or sheets.

use super::{Pipeline, SourceSpec};
use crate::error::PipelineError;
use crate::tables::Table;

/// A value a name pattern can capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hole {
    Service,
    Year,
    Department,
}

impl Hole {
    fn from_name(s: &str) -> Option<Hole> {
        match s {
            "SERVICE" => Some(Hole::Service),
            "ANNEE" => Some(Hole::Year),
            "DEPARTEMENT" => Some(Hole::Department),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Literal text, folded.
    Lit(Vec<char>),
    /// `*`: any text, possibly empty.
    Star,
    Hole(Hole),
}

/// One parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Motif {
    parts: Vec<Part>,
}

/// What a name gave (text as written, spaces trimmed, for the service and the
/// département).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captures {
    pub service: Option<String>,
    pub year: Option<i32>,
    pub department: Option<String>,
}

impl Motif {
    /// Parses a pattern; the error is a French reason.
    pub fn parse(text: &str) -> Result<Motif, String> {
        let folded: Vec<char> = crate::text::fold(text).chars().collect();
        if folded.is_empty() {
            return Err("motif vide".into());
        }
        let mut parts = Vec::new();
        let mut lit: Vec<char> = Vec::new();
        let mut i = 0;
        while i < folded.len() {
            match folded[i] {
                '*' => {
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Star);
                }
                '{' => {
                    let close = folded[i..]
                        .iter()
                        .position(|c| *c == '}')
                        .ok_or("accolade « { » non fermée")?;
                    let name: String = folded[i + 1..i + close].iter().collect();
                    let hole = Hole::from_name(name.trim()).ok_or_else(|| {
                        format!("emplacement « {{{}}} » inconnu", name.trim().to_lowercase())
                    })?;
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Hole(hole));
                    i += close;
                }
                '}' => return Err("accolade « } » sans « { »".into()),
                c => lit.push(c),
            }
            i += 1;
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Motif { parts })
    }

    /// Whether the pattern has this placeholder.
    pub fn has(&self, hole: Hole) -> bool {
        self.parts.contains(&Part::Hole(hole))
    }

    /// The values `name` gives, or `None` when it does not match.
    pub fn captures(&self, name: &str) -> Option<Captures> {
        let written: Vec<char> = crate::text::clean_text(name).chars().collect();
        let folded: Vec<char> = written.iter().map(|c| fold_char(*c)).collect();
        let mut out = Captures::default();
        matches(&self.parts, &folded, &written, &mut out).then_some(out)
    }
}

/// One character folded as [`crate::text::fold`] does (upper case, no accent), so that
/// the folded name keeps the positions of the written one.
fn fold_char(c: char) -> char {
    let f = crate::text::fold(c.encode_utf8(&mut [0; 4]));
    let mut chars = f.chars();
    match (chars.next(), chars.next()) {
        (Some(one), None) => one,
        _ => c.to_uppercase().next().unwrap_or(c),
    }
}

/// Backtracking match of `parts` against the whole of `name` (folded, and as written for
/// the captures); placeholders take the shortest text that lets the rest match
/// (`{annee}`: exactly four digits).
fn matches(parts: &[Part], name: &[char], written: &[char], out: &mut Captures) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return name.is_empty();
    };
    match first {
        Part::Lit(l) => {
            name.starts_with(l) && matches(rest, &name[l.len()..], &written[l.len()..], out)
        }
        Part::Star => (0..=name.len()).any(|k| matches(rest, &name[k..], &written[k..], out)),
        Part::Hole(Hole::Year) => {
            if name.len() < 4 || !name[..4].iter().all(char::is_ascii_digit) {
                return false;
            }
            let year: String = name[..4].iter().collect();
            if !matches(rest, &name[4..], &written[4..], out) {
                return false;
            }
            out.year = year.parse().ok();
            true
        }
        Part::Hole(h) => {
            for k in 1..=name.len() {
                if matches(rest, &name[k..], &written[k..], out) {
                    let text: String = written[..k].iter().collect::<String>().trim().to_string();
                    match h {
                        Hole::Service => out.service = Some(text),
                        _ => out.department = Some(text),
                    }
                    return true;
                }
            }
            false
        }
    }
}

/// The parsed patterns of a key (`motif_fichier` or `motif_feuille`); unparsable ones are
/// left out (the pipeline's validation refuses them first).
pub fn parse_all(list: &[String]) -> Vec<Motif> {
    list.iter().filter_map(|m| Motif::parse(m).ok()).collect()
}

/// The first pattern `name` matches, with its values.
pub fn first_match(motifs: &[Motif], name: &str) -> Option<Captures> {
    motifs.iter().find_map(|m| m.captures(name))
}

/// Whether a source's patterns give this value.
pub fn source_gives(src: &SourceSpec, hole: Hole) -> bool {
    [&src.motif_fichier, &src.motif_feuille]
        .into_iter()
        .flatten()
        .any(|m| parse_all(&m.get_ref().list()).iter().any(|p| p.has(hole)))
}

impl Pipeline {
    /// The name patterns of a source: each parses, and each value it gives has somewhere
    /// to go in the source's table.
    pub(super) fn validate_motifs(
        &self,
        src: &SourceSpec,
        table: Table,
    ) -> Result<(), PipelineError> {
        for (key, motifs) in [
            ("motif_fichier", &src.motif_fichier),
            ("motif_feuille", &src.motif_feuille),
        ] {
            let Some(motifs) = motifs else { continue };
            for text in motifs.get_ref().list() {
                let m = Motif::parse(&text).map_err(|reason| {
                    self.err_at(
                        motifs.span(),
                        format!("{key} « {text} » invalide : {reason}"),
                        "écrivez le nom tel qu'il est, avec {service}, {annee} ou {departement} à la place de la partie qui change et * pour un texte quelconque (ex. motif_feuille = \"Entrées {annee}\")".into(),
                    )
                })?;
                if m.has(Hole::Service) && table.field("service").is_none() {
                    return Err(self.err_at(
                        motifs.span(),
                        format!("{key} : la table {} n'a pas de service", table.id()),
                        "retirez {service} du motif (remplacez-le par *)".into(),
                    ));
                }
                if m.has(Hole::Service) && src.service.is_some() {
                    return Err(self.err_at(
                        motifs.span(),
                        format!("{key} donne le service, et la clé service aussi"),
                        "gardez une seule des deux : retirez service = … ou remplacez {service} par *".into(),
                    ));
                }
                let holes = [Hole::Service, Hole::Year, Hole::Department];
                if src.fichier.get_ref().to_lowercase().ends_with(".parquet")
                    && holes.iter().any(|h| m.has(*h))
                {
                    return Err(self.err_at(
                        motifs.span(),
                        format!("{key} : un extrait Parquet est lu tel quel, le motif ne peut rien lui donner"),
                        "remplacez {service}, {annee} et {departement} par * (le motif choisit alors seulement les fichiers)".into(),
                    ));
                }
                if m.has(Hole::Year) && src.annee_depuis_feuille {
                    return Err(self.err_at(
                        motifs.span(),
                        format!("{key} donne l'année, et annee_depuis_feuille aussi"),
                        "retirez annee_depuis_feuille = true : le motif suffit".into(),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_capture_folded_text() {
        let m = Motif::parse("Entrées {annee}").unwrap();
        let c = m.captures("ENTREES  2021").unwrap();
        let m2 = Motif::parse("Œuvre {service}").unwrap();
        assert_eq!(
            m2.captures("œuvre Mecs Été").unwrap().service.as_deref(),
            Some("Mecs Été")
        );
        assert_eq!(c.year, Some(2021));
        assert!(m.captures("Entrées 21").is_none());
        assert!(m.captures("Antérieures").is_none());
        let m = Motif::parse("suivi-{departement}-{service}.xlsx").unwrap();
        let c = m.captures("suivi-15-MECS-15-001.xlsx").unwrap();
        assert_eq!(c.department.as_deref(), Some("15"));
        assert_eq!(c.service.as_deref(), Some("MECS-15-001"));
        let m = Motif::parse("* {service}").unwrap();
        assert_eq!(
            m.captures("Jeunes du Phare").unwrap().service.as_deref(),
            Some("du Phare")
        );
        let lit = Motif::parse("Antérieures").unwrap();
        assert_eq!(lit.captures("anterieures"), Some(Captures::default()));
    }

    const SOURCE: &str = r#"
[pipeline]
nom = "Essai"

[periode]
debut = 2020
fin = 2022

[[sources]]
fichier = "a.xlsx"
table = "accompagnements"
"#;

    fn parse(extra: &str) -> Result<Pipeline, PipelineError> {
        Pipeline::parse(
            std::path::Path::new("p.toml"),
            SOURCE.replace("table = ", &format!("{extra}\ntable = ")),
        )
    }

    #[test]
    fn pipeline_checks_the_patterns() {
        assert!(parse("motif_feuille = [\"Entrées {annee}\", \"Antérieures\"]").is_ok());
        let e = parse("motif_feuille = \"Entrées {an}\"").unwrap_err();
        assert!(e.message.contains("{an}"), "{}", e.message);
        assert_eq!(e.line, Some(11));
        let e = parse("service = \"S1\"\nmotif_fichier = \"{service}.xlsx\"").unwrap_err();
        assert!(e.message.contains("la clé service aussi"), "{}", e.message);
        let e = parse("annee_depuis_feuille = true\nmotif_feuille = \"{annee}\"").unwrap_err();
        assert!(e.hint.contains("annee_depuis_feuille"), "{}", e.hint);
        let e = Pipeline::parse(
            std::path::Path::new("p.toml"),
            SOURCE
                .replace("accompagnements", "reference")
                .replace("table = ", "motif_feuille = \"{service}\"\ntable = "),
        )
        .unwrap_err();
        assert!(e.message.contains("n'a pas de service"), "{}", e.message);
        let e = Pipeline::parse(
            std::path::Path::new("p.toml"),
            SOURCE.replace("a.xlsx", "extraits/*.parquet").replace(
                "table = ",
                "motif_fichier = \"{service}.parquet\"\ntable = ",
            ),
        )
        .unwrap_err();
        assert!(e.message.contains("Parquet"), "{}", e.message);
    }

    #[test]
    fn bad_patterns_say_why() {
        assert!(Motif::parse("{nom}").unwrap_err().contains("{nom}"));
        assert!(Motif::parse("Entrées {annee").is_err());
        assert!(Motif::parse("a}").is_err());
        assert!(Motif::parse("  ").is_err());
    }
}
