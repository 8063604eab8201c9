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
