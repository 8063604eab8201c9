//! Unit tests of `header`.

use super::super::grid::Cell;
use super::*;

fn t(s: &str) -> Cell {
    Cell::Text(s.into())
}

fn target(key: &str, user: &[&str], builtin: &[&str], required: bool) -> Target {
    Target {
        key: key.into(),
        user: user.iter().map(|s| s.to_string()).collect(),
        builtin: builtin.iter().map(|s| s.to_string()).collect(),
        required,
    }
}

#[test]
fn normalisation_rules() {
    assert_eq!(normalize("  Date de fin "), "date de fin");
    assert_eq!(
        normalize("Nom de naissance\nde la mère"),
        "nom de naissance de la mere"
    );
    assert_eq!(normalize("MECS1"), "mecs");
    assert_eq!(normalize("A.P. Mineurs1"), "a p mineurs");
    assert_eq!(normalize("2021"), "2021");
    assert_eq!(normalize("Code\n région"), "code region");
    assert_eq!(normalize("Né(e) le"), normalize("ne(e) le"));
    assert_eq!(normalize("N° dossier"), "n dossier");
    assert_eq!(normalize("ÉTABLISSEMENTS"), "etablissements");
}

#[test]
fn detects_single_row_header_below_titles() {
    let g = Grid {
        rows: vec![
            vec![t("Tableau 1 - Enfants accueillis")],
            vec![t("Source : DREES")],
            vec![],
            vec![
                t("Code région"),
                t("Code département"),
                t("Département"),
                t("Total "),
            ],
            vec![t("84"), t("01"), t("Ain"), Cell::Number(1619.0)],
        ],
        ..Default::default()
    };
    let targets = vec![
        target("code_territoire", &[], &["code departement"], true),
        target("libelle_territoire", &[], &["departement"], false),
        target("total", &["Total"], &[], false),
    ];
    let h = detect(&g, &targets).unwrap();
    assert_eq!(h.rows, vec![3]);
    assert_eq!(match_columns(&h, &targets), vec![Some(1), Some(2), Some(3)]);
}

#[test]
fn two_row_header_with_group_labels() {
    let g = Grid {
        rows: vec![
            vec![
                t("Identité"),
                Cell::Empty,
                t("Mère"),
                t("Accueil"),
                Cell::Empty,
                t("Cadre"),
            ],
            vec![
                t("Nom"),
                t("Prénom"),
                t("Nom de famille"),
                t("Date d'admission"),
                t("Date de sortie"),
            ],
            vec![t("X"), t("Y"), t("Z"), t("01/01/2021")],
        ],
        ..Default::default()
    };
    let targets = vec![
        target("nom_mere", &["Mère Nom de famille"], &[], false),
        target("nom", &[], &["nom", "nom de famille"], false),
        target("prenom", &[], &["prenom"], false),
        target("date_debut", &[], &["date d'admission"], true),
        target("date_fin", &[], &["date de sortie"], false),
        target("cadre", &[], &["cadre"], false),
    ];
    let h = detect(&g, &targets).unwrap();
    assert_eq!(h.rows, vec![0, 1]);
    let m = match_columns(&h, &targets);
    let col = |i: usize| m[i].map(|c| h.columns[c].index);
    assert_eq!(col(0), Some(2));
    assert_eq!(col(1), Some(0));
    assert_eq!(col(2), Some(1));
    assert_eq!(col(3), Some(3));
    assert_eq!(col(4), Some(4));
    assert_eq!(col(5), Some(5));
    assert_eq!(h.columns[4].display(), "Accueil / Date de sortie");
}

#[test]
fn columns_by_letter() {
    assert_eq!(column_letter_ref("colonne A"), Some(0));
    assert_eq!(column_letter_ref("Colonne ab"), Some(27));
    assert_eq!(column_letter_ref("colonne 3"), None);
    let g = Grid {
        rows: vec![vec![t("Départements"), t("Départements"), t("Total")]],
        ..Default::default()
    };
    let targets = vec![
        target("code", &["colonne A"], &[], true),
        target("libelle", &["colonne B"], &[], false),
    ];
    let h = header_at(&g, &[0]);
    assert_eq!(match_columns(&h, &targets), vec![Some(0), Some(1)]);
}

/// The search without bounds: every candidate matched (the reference the bounded
/// search must agree with).
fn detect_every_candidate(grid: &Grid, targets: &[Target]) -> Option<Header> {
    let prepared = prepare(targets);
    let mut best: Option<((usize, usize, bool), Header)> = None;
    for r in 0..grid.height().min(SEARCH_ROWS) {
        if grid.row_is_empty(r) {
            continue;
        }
        let mut candidates = vec![header_at(grid, &[r])];
        if r + 1 < grid.height() && !grid.row_is_empty(r + 1) {
            candidates.push(header_at(grid, &[r, r + 1]));
        }
        for h in candidates {
            let (req, any) = score(&h, targets, &prepared);
            let s = (req, any, h.rows.len() == 1);
            if s.1 > 0 && best.as_ref().is_none_or(|(bs, _)| s > *bs) {
                best = Some((s, h));
            }
        }
    }
    best.map(|(_, h)| h)
}

proptest::proptest! {
    /// Skipping the candidates whose bound cannot beat the best changes nothing:
    /// grids of header words, their beginnings, group labels, data and blanks.
    #[test]
    fn bounded_detection_finds_what_every_candidate_finds(
        cells in proptest::collection::vec(proptest::collection::vec(0usize..12, 0..7), 1..12),
        required in proptest::collection::vec(proptest::bool::ANY, 4),
    ) {
        const WORDS: [&str; 12] = [
            "Nom", "Prénom", "Date d'entrée", "Date d'entrée réelle", "Identité",
            "Date", "DUPONT", "12/03/2021", "", "Total", "Nom de famille", "Entrée",
        ];
        let g = Grid {
            rows: cells
                .iter()
                .map(|row| row.iter().map(|&w| match WORDS[w] {
                    "" => Cell::Empty,
                    w => t(w),
                }).collect())
                .collect(),
            ..Default::default()
        };
        let targets = vec![
            target("nom", &[], &["nom", "nom de famille"], required[0]),
            target("prenom", &[], &["prenom"], required[1]),
            target("date_debut", &["Date d'entrée"], &[], required[2]),
            target("total", &[], &["identite total"], required[3]),
        ];
        let got = detect(&g, &targets).map(|h| (h.rows, h.columns));
        let want = detect_every_candidate(&g, &targets).map(|h| (h.rows, h.columns));
        proptest::prop_assert_eq!(got, want);
    }
}

#[test]
fn detection_cost_does_not_grow_with_cell_length() {
    // Forty candidate rows of very long texts (a pasted document), then a header.
    let long = "Ligne de commentaire très longue ".repeat(30_000);
    let mut rows: Vec<Vec<Cell>> = (0..39).map(|_| vec![t(&long), t(&long)]).collect();
    rows.push(vec![t("Date d'admission"), t(&long)]);
    let g = Grid {
        rows,
        ..Default::default()
    };
    let targets = vec![target("date_debut", &[], &["date d'admission"], true)];
    let start = std::time::Instant::now();
    let h = detect(&g, &targets).unwrap();
    assert_eq!(h.rows, vec![39]);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(head(&"é".repeat(300)).chars().count(), MAX_HEADER_CHARS);
}

#[test]
fn user_texts_match_as_prefix() {
    let g = Grid {
        rows: vec![vec![t("Total des enfants accueillis = (A) + (B)")]],
        ..Default::default()
    };
    let targets = vec![target("x", &["Total des enfants accueillis"], &[], true)];
    let h = header_at(&g, &[0]);
    assert_eq!(match_columns(&h, &targets), vec![Some(0)]);
}
