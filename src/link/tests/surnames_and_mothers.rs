//! Surnames and mothers' names in the fuzzy pass ([`crate::link`], « Twin guard and
//! surname floors »): how they weigh on a link, and a changed surname, taken only where
//! a mother's name explains it.

use super::*;

#[test]
fn mothers_names_and_surname_encodings_weigh_on_a_fuzzy_link() {
    // Two records of two services born the same day, encodings at Dice 0,78.
    let (a, b) = (bits(0..100), bits(22..122));
    let first = bits(0..10);
    let other_first = bits(5..15); // Dice 0,50: clearly another first name
    let close = bits(200..210); // surname encodings: 0,80 with `close2`
    let close2 = bits(202..212);
    let far = bits(206..216); // 0,40 with `close`
    // (first name B, surname B, surname encoding B, mothers A and B, linked?)
    type Case<'a> = (&'a String, &'a str, &'a String, [Option<&'a str>; 2], bool);
    let cases: [Case; 12] = [
        // Same mother: a first name one slip away (Dice 0,50) needs only the threshold.
        (&other_first, "n1", &close, [Some("m1"), Some("m1")], true),
        // Surname and first name both one slip off: two differences, 0,80…
        (&other_first, "n2", &close2, [None, None], false),
        // …unless the mother's own name is known on both sides and the same…
        (&other_first, "n2", &close2, [Some("m1"), Some("m1")], true),
        // …not a mother who carries either child's surname (a single mother's child,
        // or her married name): that says nothing of her.
        (&other_first, "n2", &close2, [Some("n2"), Some("n2")], false),
        (&other_first, "n2", &close2, [Some("n1"), Some("n1")], false),
        // Mothers known and different: another mother unless ≥ 0,90.
        (&first, "n1", &close, [Some("m1"), Some("m2")], false),
        // B's mother is written under A's surname (her married name): not a
        // disagreement.
        (&first, "n1", &close, [Some("m1"), Some("n1")], true),
        // A mother missing on one side: no evidence either way.
        (&first, "n1", &close, [Some("m1"), None], true),
        // Another surname close in its encoding (a typo): linked at 0,78.
        (&first, "n2", &close2, [None, None], true),
        // Another surname, far in its encoding: another family.
        (&first, "n2", &far, [None, None], false),
        // …whatever the general encoding says.
        (&first, "n2", &far, [Some("m1"), Some("m1")], false),
        // The married-name rule looks across: B's mother equal to B's own surname
        // explains nothing when A carries another surname.
        (&first, "n2", &close2, [Some("m1"), Some("n2")], false),
    ];
    for (i, (first_b, surname_b, clk_b, mothers, linked)) in cases.into_iter().enumerate() {
        let df = pair_of_records(
            "k2",
            [&a, &b],
            [&first, first_b],
            [&close, clk_b],
            surname_b,
            mothers,
        );
        let (same, r) = same_person(&df);
        assert_eq!(same, linked, "case {i}: {r:?}");
        // No shared key: a surname refused here is not a changed surname.
        assert_eq!(r.paires_refusees_noms_inexpliques, 0, "case {i}");
    }
}

#[test]
fn a_changed_surname_is_explained_by_the_mother() {
    // Two records of two services sharing an exact key (same first name, birth month and
    // mother), born the same day, encodings at Dice 0,88: above the 0,85 the shared key
    // asks of two surnames, under the 0,90 at which the exact pass takes another surname.
    // Surname controls `n1` and `n2`.
    let (a, b) = (bits(0..100), bits(12..112));
    let first = bits(0..10);
    let (close, close2, far) = (bits(200..210), bits(202..212), bits(206..216));
    // `DASILVA` against `SILVA`: one bigram lost, three gained, Dice under 0,50.
    let k = SecretKey::from_bytes([1; 32]);
    let encoded = |n: &str| Clk::encode_first_name(&k, n).map(|c| c.to_hex());
    let (dasilva, silva) = (encoded("DASILVA"), encoded("SILVA"));
    let (Some(dasilva), Some(silva)) = (dasilva, silva) else {
        panic!("encodings of two names");
    };
    // (surname encodings, mothers, linked?)
    type Case<'a> = ([&'a String; 2], [Option<&'a str>; 2], bool);
    let cases: [Case; 6] = [
        // Far surnames, a mother's own name in common: another family's namesake.
        ([&close, &far], [Some("m"), Some("m")], false),
        ([&close, &far], [None, None], false),
        // Far surnames, one of them the mother's name: the child's surname changed
        // (from the mother's name to the father's), one child.
        ([&close, &far], [Some("n1"), Some("n1")], true),
        ([&close, &far], [None, Some("n2")], true),
        // Surnames one slip apart: a typo, as before.
        ([&close, &close2], [Some("m"), Some("m")], true),
        // One surname a part of the other (a particle dropped): as before.
        ([&dasilva, &silva], [Some("m"), Some("m")], true),
    ];
    for (i, (surnames, mothers, linked)) in cases.into_iter().enumerate() {
        let df = pair_of_records("k1", [&a, &b], [&first, &first], surnames, "n2", mothers);
        let (same, r) = same_person(&df);
        assert_eq!(same, linked, "case {i}: {r:?}");
        // Each refusal is counted, and only the refusals.
        assert_eq!(
            r.paires_refusees_noms_inexpliques,
            usize::from(!linked),
            "case {i}"
        );
    }
    // Far surnames with encodings at Dice 0,80, under the 0,85 a changed surname needs:
    // refused by the floor already, not counted as an unexplained surname.
    let lower = bits(20..120);
    let mothers = [Some("m"), Some("m")];
    let df = pair_of_records(
        "k1",
        [&a, &lower],
        [&first, &first],
        [&close, &far],
        "n2",
        mothers,
    );
    let (same, r) = same_person(&df);
    assert!(!same, "{r:?}");
    assert_eq!(r.paires_refusees_noms_inexpliques, 0);
}

#[test]
fn mothers_written_as_parts_of_a_double_surname_do_not_disagree() {
    // Two records of two services born the same day, encodings at Dice 0,78, mothers
    // `m1` and `m2`: another mother, unless each is one part of its child's double
    // surname (`DUMONT DIARRA` with `DIARRA`, `DUMMONT DIARRA` with `DUMONT`).
    let (a, b) = (bits(0..100), bits(22..122));
    let first = bits(0..10);
    let other_first = bits(5..15);
    let (close, close2) = (bits(200..210), bits(202..212));
    // (first name B, surname B, its encoding, `mere_partie_du_nom` of A and B, linked?)
    type Case<'a> = (
        &'a String,
        &'a str,
        &'a String,
        Option<[Option<bool>; 2]>,
        bool,
    );
    let cases: [Case; 7] = [
        // Without the column (an extract of an earlier version): two mothers.
        (&first, "n2", &close2, None, false),
        (
            &first,
            "n2",
            &close2,
            Some([Some(false), Some(false)]),
            false,
        ),
        // Each mother one part of her child's surname: a slip in the surname is linked.
        (&first, "n2", &close2, Some([Some(true), Some(true)]), true),
        (&first, "n1", &close, Some([Some(true), Some(true)]), true),
        // One side only: the other mother is another woman (`PETIT LAMBERT` with
        // `LAMBERT`, `PETIT` with `MARTIN`).
        (
            &first,
            "n2",
            &close2,
            Some([Some(true), Some(false)]),
            false,
        ),
        (&first, "n2", &close2, Some([None, Some(true)]), false),
        // Surname and first name both off: still two differences (0,80).
        (
            &other_first,
            "n2",
            &close2,
            Some([Some(true), Some(true)]),
            false,
        ),
    ];
    for (i, (first_b, surname_b, clk_b, parts, linked)) in cases.into_iter().enumerate() {
        let mut df = pair_of_records(
            "k2",
            [&a, &b],
            [&first, first_b],
            [&close, clk_b],
            surname_b,
            [Some("m1"), Some("m2")],
        );
        if let Some(parts) = parts {
            df.with_column(Column::new("mere_partie_du_nom".into(), parts))
                .unwrap();
        }
        let (same, r) = same_person(&df);
        assert_eq!(same, linked, "case {i}: {r:?}");
    }
}

#[test]
fn a_first_name_shortened_is_the_same_child_only_when_compound() {
    let k = SecretKey::from_bytes([1; 32]);
    let first = |p: &str| Clk::encode_first_name(&k, p).map(|c| c.to_hex());
    // Two records of two services, same surname, birth date and mother; first names
    // one the other's first part by their bigrams. `compound`: `prenom_compose` of
    // each record (`None`: an extract without the column).
    let pair = |(a, b): (&str, &str), compound: Option<[Option<bool>; 2]>| -> bool {
        let mut df = df![
            "service" => ["A", "B"],
            "pseudonyme_1" => [Some("k1"), Some("k2")],
            "clk" => [clk(a, "MARTIN", 7), clk(b, "MARTIN", 7)],
            "clk_prenom" => [first(a), first(b)],
            "controle_naissance" => [Some("d"), Some("d")],
            "controle_nom" => [Some("n"), Some("n")],
            "controle_mere" => [Some("m"), Some("m")],
            "sexe" => [Some("M"), Some("M")],
            "bloc_1" => [Some("b"), Some("b")],
        ]
        .unwrap();
        if let Some(c) = compound {
            df.with_column(Column::new("prenom_compose".into(), c))
                .unwrap();
        }
        same_person(&df).0
    };
    // The usual first name of a compound one: the same child, whichever side.
    assert!(pair(
        ("JEANBAPTISTE", "JEAN"),
        Some([Some(true), Some(false)])
    ));
    assert!(pair(
        ("JEAN", "JEANBAPTISTE"),
        Some([Some(false), Some(true)])
    ));
    // A name of one part holding all the other's bigrams but one: another name.
    assert!(!pair(("GABRIEL", "GAEL"), Some([Some(false), Some(false)])));
    assert!(!pair(("GAEL", "GABRIEL"), Some([Some(false), Some(false)])));
    // The short side compound says nothing of the long one.
    assert!(!pair(("GABRIEL", "GAEL"), Some([Some(false), Some(true)])));
    // Without the column (an extract of an earlier version), or null on the long side
    // (stacked with a newer one): as linkage read it before.
    assert!(pair(("GABRIEL", "GAEL"), Some([None, Some(false)])));
    assert!(pair(("GABRIEL", "GAEL"), None));
    assert!(pair(("JEANBAPTISTE", "JEAN"), None));
}
