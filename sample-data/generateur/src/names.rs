//! Invented French-looking names and places.
//!
//! First names and surnames are common French words or names; every person of
//! the synthetic world is a random combination of them, so no real person is
//! described. Communes and départements are real places (not personal data).

/// Girls' first names (accents, diaeresis and hyphenated compounds on purpose).
pub const PRENOMS_F: &[&str] = &[
    "Marie-Ève",
    "Anne-Sophie",
    "Zoé",
    "Léa",
    "Chloé",
    "Inès",
    "Anaïs",
    "Gaëlle",
    "Maëlys",
    "Héloïse",
    "Élise",
    "Clémence",
    "Léonie",
    "Noémie",
    "Océane",
    "Amélie",
    "Célia",
    "Jade",
    "Manon",
    "Louise",
    "Lou-Anne",
    "Marie-Lou",
    "Éloïse",
    "Romane",
    "Capucine",
    "Maïwenn",
    "Yasmine",
    "Aïcha",
    "Lina",
    "Maëlle",
    "Nolwenn",
    "Agathe",
    "Laure-Hélène",
    "Bérénice",
    "Mélissa",
    "Justine",
    "Ambre",
    "Rose",
    "Emma",
    "Anne-Laure",
    "Françoise",
    "Joëlle",
];

/// Boys' first names.
pub const PRENOMS_M: &[&str] = &[
    "Jean-Baptiste",
    "Noé",
    "Maël",
    "Théo",
    "Loïc",
    "Jérémy",
    "Noël",
    "Joël",
    "Raphaël",
    "Gaël",
    "Mathéo",
    "Timéo",
    "Clément",
    "Hugo",
    "Lucas",
    "Évan",
    "Jérôme",
    "Benoît",
    "François",
    "Cédric",
    "Thibault",
    "Mattéo",
    "Rémi",
    "Axel",
    "Ilyès",
    "Moussa",
    "Enzo",
    "Nathan",
    "Paul-Henri",
    "Jean-Noël",
    "Pierre-Louis",
    "Aurélien",
    "Adrien",
    "Kylian",
    "Yanis",
    "Sacha",
    "Léo",
    "Gabin",
    "Lény",
    "Malo",
    "Anthony",
    "Jean-Rémi",
];

/// Surnames (accents, apostrophes, particles, spaces, a ligature).
pub const NOMS: &[&str] = &[
    "Lefèvre",
    "Gérard",
    "Dupré",
    "N'Diaye",
    "Le Goff",
    "Da Silva",
    "Bérard",
    "Mézières",
    "Faure",
    "Chassaing",
    "Lebœuf",
    "Delmas",
    "Vergne",
    "Bouchet",
    "Besson",
    "Roussel",
    "Mercier",
    "Chabrier",
    "Fabre",
    "Rouchy",
    "Lacombe",
    "Vidal",
    "Cazals",
    "Delpech",
    "Dos Santos",
    "Ben Ahmed",
    "de La Roche",
    "d'Auzac",
    "Mallet",
    "Peyrol",
    "Méric",
    "Boyer",
    "Castagné",
    "Hérault",
    "Crégut",
    "Lhéritier",
    "Bonnefoy",
    "Chanut",
    "Brugère",
    "Guérin",
    "Lemaître",
    "Boudet",
    "Rigal",
    "Malbec",
    "Gaillard",
    "Fournier",
    "Traoré",
    "Diallo",
    "Nguyen",
    "Saint-Martin",
    "Laporte",
    "Célérier",
    "Courbière",
    "Marcenac",
    "Lavergne",
    "Sénéjoux",
    "Estèves",
    "Pradère",
    "Sabatié",
    "Lagarrigue",
    "Teyssèdre",
    "Moulès",
    "Garçon",
    "Noël",
    "Ferrière",
    "Aubrée",
    "Cœuret",
    "Bastide",
    "Couderc",
    "Vialard",
];

/// Communes of the Cantal (family residence of APMN measures).
pub const COMMUNES_15: &[&str] = &[
    "Aurillac",
    "Aurillac",
    "Aurillac",
    "Saint-Flour",
    "Saint-Flour",
    "Mauriac",
    "Arpajon-sur-Cère",
    "Ytrac",
    "Riom-ès-Montagnes",
    "Murat",
    "Maurs",
    "Ydes",
    "Massiac",
    "Vic-sur-Cère",
    "Chaudes-Aigues",
    "Pleaux",
    "Naucelles",
    "Jussac",
    "Laroquebrou",
    "Allanche",
    "Condat",
    "Saint-Mamet-la-Salvetat",
];

/// Lower-case letters only, accents and ligatures folded: the key used to
/// keep every child of the world distinguishable from every other one.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let lower: String = c.to_lowercase().collect();
        for c in lower.chars() {
            match c {
                'à' | 'â' | 'ä' | 'á' => out.push('a'),
                'é' | 'è' | 'ê' | 'ë' => out.push('e'),
                'î' | 'ï' | 'í' => out.push('i'),
                'ô' | 'ö' | 'ó' => out.push('o'),
                'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
                'ÿ' => out.push('y'),
                'ç' => out.push('c'),
                'œ' => out.push_str("oe"),
                'æ' => out.push_str("ae"),
                c if c.is_ascii_alphabetic() => out.push(c),
                _ => {}
            }
        }
    }
    out
}

/// Removes the accents of a name but keeps everything else (case,
/// hyphens, spaces, apostrophes): `Lefèvre` → `Lefevre`, `Lebœuf` → `Leboeuf`.
pub fn strip_accents(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            'à' | 'â' | 'ä' | 'á' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' => out.push('i'),
            'ô' | 'ö' | 'ó' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ç' => out.push('c'),
            'œ' => out.push_str("oe"),
            'É' | 'È' | 'Ê' => out.push('E'),
            'À' => out.push('A'),
            c => out.push(c),
        }
    }
    out
}

/// Whether a name carries at least one accent or ligature.
pub fn has_accent(s: &str) -> bool {
    strip_accents(s) != s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        assert_eq!(fold("N'Diaye"), "ndiaye");
        assert_eq!(fold("Marie-Ève"), "marieeve");
        assert_eq!(fold("Lebœuf"), "leboeuf");
        assert_eq!(strip_accents("Lefèvre"), "Lefevre");
        assert_eq!(strip_accents("Élise"), "Elise");
        assert!(has_accent("Gaëlle"));
        assert!(!has_accent("Le Goff"));
    }

    #[test]
    fn lists_have_no_duplicates() {
        for list in [PRENOMS_F, PRENOMS_M, NOMS] {
            let mut v: Vec<String> = list.iter().map(|s| fold(s)).collect();
            v.sort();
            let n = v.len();
            v.dedup();
            assert_eq!(n, v.len());
        }
    }
}
