//! Tests of [`super`]: numbered keys, cells and relations by hand.

use super::*;
use crate::disclosure::{Settings, protect};
use crate::indicators::persons::{ACTIVE_FILE, BY_AGE, Perimeter};
use crate::indicators::{CellStatus, ratio};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["", "a", "ab", "b", "15", "2A", "ensemble", "é"])
        .prop_map(String::from)
}

proptest! {
    /// Numbered places and breakdowns compare as their texts do (`None` first),
    /// equal numbers are equal texts, and each number gives its text back.
    #[test]
    fn numbers_keep_the_texts_and_their_order(
        fields in prop::collection::vec(
            (text(), prop::option::of(text()), prop::option::of(text()),
             prop::option::of(text()), prop::option::of((text(), text()))),
            1..12,
        )
    ) {
        let rows: Vec<IndicatorRow> = fields
            .iter()
            .map(|(level, code, org, service, breakdown)| IndicatorRow {
                niveau_territoire: level.clone(),
                code_territoire: code.clone(),
                organisation: org.clone(),
                service: service.clone(),
                ventilation: breakdown.as_ref().map(|b| b.0.clone()),
                modalite: breakdown.as_ref().map(|b| b.1.clone()),
                ..Default::default()
            })
            .collect();
        let (names, ids) = Names::of(&rows);
        let texts = names.texts();
        for (f, id) in fields.iter().zip(&ids) {
            let back = |i: u32| (i != 0).then(|| texts[i as usize].clone());
            prop_assert_eq!(back(id[0]), Some(f.0.clone()));
            prop_assert_eq!(back(id[1]), f.1.clone());
            prop_assert_eq!(back(id[2]), f.2.clone());
            prop_assert_eq!(back(id[3]), f.3.clone());
            prop_assert_eq!(back(id[4]), f.4.as_ref().map(|b| b.0.clone()));
            prop_assert_eq!(back(id[5]), f.4.as_ref().map(|b| b.1.clone()));
            prop_assert_eq!(names.place(&(f.0.clone(), f.1.clone(), f.2.clone(), f.3.clone())),
                Some([id[0], id[1], id[2], id[3]]));
        }
        for (fa, ia) in fields.iter().zip(&ids) {
            for (fb, ib) in fields.iter().zip(&ids) {
                prop_assert_eq!(ia.cmp(ib), fa.cmp(fb));
            }
        }
        prop_assert_eq!(names.get("absent de toutes les lignes"), None);
    }
}

/// Two services A and B of one organisation in département 15; file active and age
/// distribution per service and pooled, as the persons family writes them.
fn rows() -> (Vec<IndicatorRow>, Directory) {
    let services = polars::df![
        "service" => ["A", "B"],
        "organisation" => ["O", "O"],
        "departement" => ["15", "15"],
        "annee" => [2022, 2022],
    ]
    .unwrap();
    let dir = Directory::from_services(&services).unwrap();
    // Age bands (0-10, 11-17) per service: A = 3 + 40, B = 30 + 25.
    let bands = [("A", [3.0, 40.0]), ("B", [30.0, 25.0])];
    let mut out = Vec::new();
    let mut push = |per: &Perimeter, young: f64, old: f64| {
        let total = young + old;
        let mut fa = per.row(&dir, ACTIVE_FILE, 2022);
        fa.numerateur = Some(total);
        fa.valeur = Some(total);
        out.push(fa);
        for (band, n) in [("0-10 ans", young), ("11-17 ans", old)] {
            let mut r = per.row(&dir, BY_AGE, 2022);
            r.ventilation = Some("tranche_age".into());
            r.modalite = Some(band.into());
            r.numerateur = Some(n);
            r.denominateur = Some(total);
            r.valeur = ratio(r.numerateur, r.denominateur);
            out.push(r);
        }
    };
    for (s, [y, o]) in bands {
        push(&Perimeter::Service(s.into()), y, o);
    }
    for per in [
        Perimeter::Organisation("O".into()),
        Perimeter::Department("15".into()),
        Perimeter::Network,
    ] {
        push(&per, 33.0, 65.0);
    }
    (out, dir)
}

/// A breakdown is a dimension and a modality, both: a row with one of them only names
/// the cell of its total, as before the keys were numbered.
#[test]
fn a_breakdown_needs_its_dimension_and_its_modality() {
    let (mut rows, dir) = rows();
    // Row 1 is service A's first age band (3 children of 43).
    assert_eq!(rows[1].modalite.as_deref(), Some("0-10 ans"));
    rows[1].modalite = None;
    let built = build(&rows, &dir, &Settings::default());
    let (Some(band), Some(total)) = (built.row_cells[1].0, built.row_cells[0].0) else {
        panic!("cells of rows 0 and 1: {:?}", &built.row_cells[..2]);
    };
    assert_eq!(built.keys[band].breakdown, [0, 0]);
    // Its numerator (3) is then another value for A's file active (43): a conflict.
    assert_eq!(band, total);
    assert_eq!(built.conflicts, 1);
    assert_eq!(built.describe(band), "« file_active », 2022, service A");
}

#[test]
fn shared_cells_and_relations_by_hand() {
    let (rows, dir) = rows();
    let built = build(&rows, &dir, &Settings::default());
    assert_eq!(built.conflicts, 0);
    // Cells: per perimeter (A, B, O, 15, ensemble) the file active — shared by the
    // file-active row and the distributions' denominators — and two bands: 5 × 3.
    assert_eq!(built.system.cells.len(), 15);
    // Relations: per perimeter, bands = total (5); per quantity and breakdown (total,
    // each band), A + B = O, = 15, = ensemble (3 × 3).
    assert_eq!(built.system.relations.len(), 5 + 9);
    let primary: Vec<String> = (0..built.keys.len())
        .filter(|&c| built.system.cells[c].primary)
        .map(|c| built.describe(c))
        .collect();
    assert_eq!(
        primary,
        vec!["« file_active », 2022, service A, tranche_age = 0-10 ans"]
    );
}

#[test]
fn a_small_band_is_protected_across_margins_and_perimeters() {
    let (mut rows, dir) = rows();
    let report = protect(&mut rows, &dir, &Settings::default()).unwrap();
    let status = |s: Option<&str>, org: Option<&str>, band: Option<&str>, id: &str| {
        rows.iter()
            .find(|r| {
                r.indicateur == id
                    && r.service.as_deref() == s
                    && r.service.is_some() == s.is_some()
                    && r.organisation.as_deref() == org
                    && r.modalite.as_deref() == band
                    && (org.is_some() || s.is_some() || r.code_territoire.is_none())
            })
            .map(|r| r.statut)
            .unwrap()
    };
    // A's 3 children aged 0-10: primary. Its 40 older children would give it away
    // (43 − 40), and B's 30 young ones (33 − 30 at every pooled level): so the
    // smallest cells that close the cycle A-young, A-old, B-old, B-young are
    // suppressed, and the totals stay published.
    assert_eq!(
        status(Some("A"), Some("O"), Some("0-10 ans"), BY_AGE),
        CellStatus::Primary
    );
    assert_eq!(
        status(Some("A"), Some("O"), Some("11-17 ans"), BY_AGE),
        CellStatus::Secondary
    );
    assert_eq!(
        status(Some("B"), Some("O"), Some("0-10 ans"), BY_AGE),
        CellStatus::Secondary
    );
    assert_eq!(
        status(Some("B"), Some("O"), Some("11-17 ans"), BY_AGE),
        CellStatus::Secondary
    );
    assert_eq!(
        status(Some("A"), Some("O"), None, ACTIVE_FILE),
        CellStatus::Published
    );
    assert_eq!(
        status(None, None, Some("0-10 ans"), BY_AGE),
        CellStatus::Published
    );
    assert_eq!(report.ensemble.secret_primaire, 1);
    assert_eq!(report.ensemble.secret_secondaire, 3);
    // A withheld share shows neither its value nor its numerator.
    let hidden = rows
        .iter()
        .find(|r| r.statut == CellStatus::Primary)
        .unwrap();
    assert_eq!((hidden.valeur, hidden.numerateur), (None, None));
    assert_eq!(hidden.denominateur, Some(43.0));
}
