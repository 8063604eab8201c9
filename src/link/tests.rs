//! Unit tests of exact and fuzzy linkage (`link`), on hand-made extracts.

use super::*;
use crate::pseudonymise::bloom::ClkInput;
use crate::pseudonymise::keys::SecretKey;

mod exact;
mod surnames_and_mothers;

fn clk(prenom: &str, nom: &str, d: u32) -> Option<String> {
    let k = SecretKey::from_bytes([1; 32]);
    Clk::encode(
        &k,
        &ClkInput {
            prenom: Some(prenom),
            nom: Some(nom),
            nom_mere: Some("DUPRE"),
            naissance: chrono::NaiveDate::from_ymd_opt(2012, 3, d),
            sexe: Some('F'),
        },
    )
    .map(|c| c.to_hex())
}

#[test]
fn exact_then_fuzzy_one_to_one() {
    // r0, r1: same person, same service (exact key). r2: same person in another
    // service, a typo (fuzzy). r3: her twin sister in the other service (different
    // first name): must stay apart. r4: no key at all.
    let df = df![
        "service" => ["A", "A", "B", "B", "B"],
        "pseudonyme_1" => [Some("k0"), Some("k0"), Some("k2"), Some("k3"), None],
        "pseudonyme_dossier" => [None::<&str>, None, None, None, None],
        "clk" => [clk("LEA", "FAURE", 7), clk("LEA", "FAURE", 7), clk("LEA", "FAUER", 7), clk("ZOE", "FAURE", 7), None],
        "bloc_1" => [Some("b"), Some("b"), Some("b"), Some("b"), None],
    ]
    .unwrap();
    let (out, r) = link(&df, &Settings::default()).unwrap();
    let p: Vec<String> = out
        .column("personne")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect();
    assert_eq!(p[0], p[1]);
    assert_eq!(p[0], p[2]);
    assert_ne!(p[0], p[3]);
    assert_ne!(p[3], p[4]);
    assert_eq!(r.personnes, 3);
    assert_eq!(r.liens_exacts, vec![1]);
    assert_eq!(r.liens_flous, 1);
    assert_eq!(r.enregistrements_sans_cle, 1);
    // Without the fuzzy pass the typo stays apart.
    let (_, r) = link(
        &df,
        &Settings {
            fuzzy: false,
            ..Settings::default()
        },
    )
    .unwrap();
    assert_eq!(r.personnes, 4);
}

/// A filter with the given bits set, in hex.
fn bits(set: impl IntoIterator<Item = usize>) -> String {
    let mut c = Clk::empty();
    for b in set {
        c.0[b / 64] |= 1 << (b % 64);
    }
    c.to_hex()
}

fn persons(out: &DataFrame) -> Vec<String> {
    out.column("personne")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect()
}

/// Two records of services A and B born the same day, with their names' encodings and
/// controls: A carries key 1 `k1` and surname control `n1`, B `key_b` and `surname_b`.
fn pair_of_records(
    key_b: &str,
    clks: [&String; 2],
    first_names: [&String; 2],
    surnames: [&String; 2],
    surname_b: &str,
    mothers: [Option<&str>; 2],
) -> DataFrame {
    df![
        "service" => ["A", "B"],
        "pseudonyme_1" => [Some("k1"), Some(key_b)],
        "clk" => clks.map(|c| Some(c.clone())),
        "clk_prenom" => first_names.map(|c| Some(c.clone())),
        "clk_nom" => surnames.map(|c| Some(c.clone())),
        "controle_naissance" => [Some("d"), Some("d")],
        "controle_nom" => [Some("n1"), Some(surname_b)],
        "controle_mere" => mothers,
        "bloc_1" => [Some("b"), Some("b")],
    ]
    .unwrap()
}

/// Links two records; whether they became one person, and the report.
fn same_person(df: &DataFrame) -> (bool, Report) {
    let (out, r) = link(df, &Settings::default()).unwrap();
    let p = persons(&out);
    (p[0] == p[1], r)
}

#[test]
fn twins_exactly_on_the_first_name_guard_stay_apart() {
    // Two records of two services, same encoding, same birth date: only their
    // first names tell them apart. First names sharing 4 of 10 bits: Dice exactly
    // 0,40 (= the guard): twins, two children. Sharing 5 of 10: 0,50, one child.
    let whole = bits(0..200);
    for (shared, linked) in [(4, false), (5, true)] {
        let second = bits((10 - shared)..(20 - shared));
        let first = bits(0..10);
        let df = df![
            "service" => ["A", "B"],
            "pseudonyme_1" => [Some("k0"), Some("k1")],
            "clk" => [Some(whole.clone()), Some(whole.clone())],
            "clk_prenom" => [Some(first), Some(second)],
            "controle_naissance" => [Some("d"), Some("d")],
            "bloc_1" => [Some("b"), Some("b")],
        ]
        .unwrap();
        let (out, r) = link(&df, &Settings::default()).unwrap();
        let p = persons(&out);
        assert_eq!(p[0] == p[1], linked, "{shared} bits shared: {r:?}");
        assert_eq!(r.paires_comparees, 1);
        assert_eq!(r.liens_flous, usize::from(linked));
    }
    let a = Clk::from_hex(&bits(0..10)).unwrap();
    let b = Clk::from_hex(&bits(6..16)).unwrap();
    assert_eq!(a.dice(&b), FIRST_NAME_THRESHOLD);
}

#[test]
fn different_surnames_need_a_closer_encoding() {
    // Two records of two services born the same day, encodings at Dice 0,78 (above
    // the 0,75 threshold, below 0,80 and 0,85).
    let (a, b) = (bits(0..100), bits(22..122));
    assert_eq!(
        Clk::from_hex(&a).unwrap().dice(&Clk::from_hex(&b).unwrap()),
        0.78
    );
    let same = bits(0..40);
    // First-name Dice 0,50, above the twin guard: one bigram lost, one gained (a slip).
    let slip = bits(20..60);
    // Dice 0,46: the first name of four bigrams is the first part of one of nine
    // (`JEAN`, `JEANBAPTISTE`).
    let (short, long) = (bits(0..40), bits(10..100));
    // (first first name, second surname, second first name, second key 1, linked?)
    for (first, surname, first_name, key, linked) in [
        (&same, "n1", &same, "k1", true),
        (&same, "n2", &same, "k2", true),
        (&same, "n2", &slip, "k2", false),
        // A slip in a short first name keeps few bigrams, but is not another first
        // name: the threshold is enough.
        (&same, "n1", &slip, "k2", true),
        // A compound first name shortened, no mother known in common: twins as often
        // as the same child, 0,80 needed.
        (&short, "n1", &long, "k2", false),
        (&same, "n2", &same, "k1", false),
    ] {
        let df = df![
            "service" => ["A", "B"],
            "pseudonyme_1" => [Some("k1"), Some(key)],
            "clk" => [Some(a.clone()), Some(b.clone())],
            "clk_prenom" => [Some(first.clone()), Some(first_name.clone())],
            "controle_naissance" => [Some("d"), Some("d")],
            "controle_nom" => [Some("n1"), Some(surname)],
            "bloc_1" => [Some("b"), Some("b")],
        ]
        .unwrap();
        let (same, r) = same_person(&df);
        assert_eq!(same, linked, "{surname} {key}: {r:?}");
    }
}

#[test]
fn exact_keys_compare_with_representatives_only() {
    // One key group: 40 records of one child (same control), then 20 homonyms born
    // on other days, each its own cluster. The child's records join the first one;
    // each homonym is refused and becomes a representative, up to the cap.
    let n_child = 40;
    let n_homonyms = MAX_REPRESENTATIVES + 4;
    let mut controls: Vec<String> = vec!["same".into(); n_child];
    controls.extend((0..n_homonyms).map(|h| format!("other{h}")));
    let n = controls.len();
    let services: Vec<String> = (0..n).map(|i| format!("S{}", i % 3)).collect();
    let df = df![
        "service" => services,
        "pseudonyme_1" => vec!["k"; n],
        "controle_naissance" => controls,
    ]
    .unwrap();
    let (out, r) = link(&df, &Settings::default()).unwrap();
    let p = persons(&out);
    assert!(p[..n_child].iter().all(|x| *x == p[0]));
    assert_eq!(r.liens_exacts, vec![n_child - 1]);
    assert_eq!(r.liens_exacts_refuses, n_homonyms);
    // The child plus the first MAX_REPRESENTATIVES - 1 homonyms fill the group.
    assert_eq!(
        r.representants_plafonnes,
        n_homonyms - (MAX_REPRESENTATIVES - 1)
    );
    assert_eq!(r.personnes, 1 + n_homonyms);
}

#[test]
fn fuzzy_result_does_not_depend_on_threads() {
    // Many near-duplicate pairs across two services in one block: the same links
    // and counts with 1 and 2 threads.
    let k = SecretKey::from_bytes([3; 32]);
    let names = [
        "LEA", "LEO", "LENA", "LEON", "ELEA", "LEANE", "LEIA", "LEAH",
    ];
    let mut service = Vec::new();
    let mut clks = Vec::new();
    let mut keys = Vec::new();
    for (s, surname) in [("A", "MARTIN"), ("B", "MARTINE")] {
        for (i, p) in names.iter().enumerate() {
            service.push(s.to_string());
            keys.push(format!("{s}{i}"));
            clks.push(
                Clk::encode(
                    &k,
                    &ClkInput {
                        prenom: Some(p),
                        nom: Some(surname),
                        nom_mere: None,
                        naissance: chrono::NaiveDate::from_ymd_opt(2012, 3, 7),
                        sexe: None,
                    },
                )
                .map(|c| c.to_hex()),
            );
        }
    }
    let blocks = vec!["b"; service.len()];
    let df = df![
        "service" => service,
        "pseudonyme_1" => keys,
        "clk" => clks,
        "bloc_1" => blocks,
    ]
    .unwrap();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| link(&df, &Settings::default()).unwrap())
    };
    let (a, ra) = run(1);
    let (b, rb) = run(2);
    assert_eq!(persons(&a), persons(&b));
    assert_eq!(ra, rb);
    assert!(ra.liens_flous > 0, "{ra:?}");
}

/// First names further than one slip apart are another child however close the rest;
/// another sex with another first name too; below the threshold, a pair that agrees
/// field by field (one slip, one mother's name missing) is still the same child.
#[test]
fn first_names_sexes_and_fields_decide_beside_the_encoding() {
    let a = bits(0..100);
    // First names of eight bigrams (ten bits each).
    let first = bits(0..80);
    let slip = bits(20..100); // two bigrams lost, two gained: a substitution
    let inserted = bits(10..100); // one lost, two gained: an inserted letter
    let other = bits(40..120); // four lost, four gained: Dice 0,50, another name
    let surname = bits(300..350);
    // (CLK B, first name B, sex B, mother A, mother B, linked?)
    type Case<'a> = (
        String,
        &'a String,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        bool,
    );
    let cases: [Case; 8] = [
        // Twins: everything equal but a first name two slips away.
        (bits(5..105), &other, "F", Some("m"), Some("m"), false),
        // The same with a first name one slip away: a typo.
        (bits(5..105), &slip, "F", Some("m"), Some("m"), true),
        // One slip in the first name and another sex: two children.
        (bits(5..105), &slip, "M", Some("m"), Some("m"), false),
        // …but another sex alone is a slip of the sex.
        (bits(5..105), &first, "M", Some("m"), Some("m"), true),
        // Dice 0,65, under the 0,70 threshold: the mother's name missing on one side and
        // a slip in the first name, everything else equal.
        (bits(35..135), &slip, "F", Some("m"), None, true),
        (bits(35..135), &inserted, "F", Some("m"), None, true),
        // Both mothers known: nothing explains the distance.
        (bits(35..135), &slip, "F", Some("m"), Some("m"), false),
        // Under 0,60, never.
        (bits(45..145), &slip, "F", Some("m"), None, false),
    ];
    for (i, (b, first_b, sex_b, mother_a, mother_b, linked)) in cases.into_iter().enumerate() {
        let df = df![
            "service" => ["A", "B"],
            "pseudonyme_1" => [Some("k1"), Some("k2")],
            "clk" => [Some(a.clone()), Some(b)],
            "clk_prenom" => [Some(first.clone()), Some(first_b.clone())],
            "clk_nom" => [Some(surname.clone()), Some(surname.clone())],
            "controle_naissance" => [Some("d"), Some("d")],
            "controle_nom" => [Some("n"), Some("n")],
            "controle_mere" => [mother_a, mother_b],
            "sexe" => [Some("F"), Some(sex_b)],
            "bloc_1" => [Some("b"), Some("b")],
        ]
        .unwrap();
        let (same, r) = same_person(&df);
        assert_eq!(same, linked, "case {i}: {r:?}");
        // The twins and the other sex: refused by their first names, and counted.
        assert_eq!(
            r.paires_refusees_prenoms,
            usize::from(i == 0 || i == 2),
            "case {i}"
        );
    }
}

#[test]
fn one_slip_and_shortened_names_by_their_bigrams() {
    use super::{one_slip, shortened};
    // Substitution, transposition, inserted letter, doubled letter.
    for e in [(2, 2), (3, 3), (1, 2), (2, 1), (0, 1), (1, 0), (0, 0)] {
        assert!(one_slip(e), "{e:?}");
    }
    // ADELE / JADE keeps (3, 2): one slip by the counts; EMMA / EVA (3, 2) too; LOUNA /
    // LOUISE (3, 4) and NOLWENN / NLOWEN (4, 3) do not.
    for e in [(3, 4), (4, 3), (4, 4), (2, 4), (5, 5)] {
        assert!(!one_slip(e), "{e:?}");
    }
    // JEAN / JEANBAPTISTE (1, 9); not JEAN / JEANNE's neighbour (2, 4).
    assert!(shortened((1, 9)) && shortened((9, 1)) && shortened((1, 4)));
    assert!(!shortened((2, 4)) && !shortened((1, 3)) && !shortened((0, 5)));
}

/// Two records of two services, one birth date, with real encodings of their names:
/// whether they became one person. `letters`: the letter controls of the first names
/// and of the surnames (`None`: an extract without them).
fn named_pair(
    (first_a, first_b): (&str, &str),
    (last_a, last_b): (&str, &str),
    letters: Option<([&str; 2], [&str; 2])>,
) -> (bool, Report) {
    let k = SecretKey::from_bytes([1; 32]);
    let first = |p: &str| Clk::encode_first_name(&k, p).map(|c| c.to_hex());
    let surname =
        |n: &str| Clk::encode_surname_memo(&k, n, &mut Default::default()).map(|c| c.to_hex());
    let control = |n: &str| Some(format!("nom-{n}"));
    let mut df = df![
        "service" => ["A", "B"],
        "pseudonyme_1" => [Some("k1"), Some("k2")],
        "clk" => [clk(first_a, last_a, 7), clk(first_b, last_b, 7)],
        "clk_prenom" => [first(first_a), first(first_b)],
        "clk_nom" => [surname(last_a), surname(last_b)],
        "controle_naissance" => [Some("d"), Some("d")],
        "controle_nom" => [control(last_a), control(last_b)],
        "sexe" => [Some("F"), Some("F")],
        "bloc_1" => [Some("b"), Some("b")],
    ]
    .unwrap();
    if let Some((f, l)) = letters {
        df.with_column(Column::new("controle_lettres_prenom".into(), f))
            .unwrap();
        df.with_column(Column::new("controle_lettres_nom".into(), l))
            .unwrap();
    }
    same_person(&df)
}

#[test]
fn letters_tell_a_transposition_from_twins() {
    let k = SecretKey::from_bytes([1; 32]);
    let first = |p: &str| Clk::encode_first_name(&k, p).unwrap();
    // `LEO` and `LOE` share one bigram of four: under the twin guard. Spelled with the
    // same letters, it is one child with two letters swapped.
    assert!(first("LEO").dice(&first("LOE")) <= FIRST_NAME_THRESHOLD);
    let same = Some((["EL0", "EL0"], ["FRU", "FRU"]));
    assert!(named_pair(("LEO", "LOE"), ("FAURE", "FAURE"), same).0);
    // Without the letter controls (an extract of an earlier version): two children,
    // as before.
    assert!(!named_pair(("LEO", "LOE"), ("FAURE", "FAURE"), None).0);
    // `LOUISE` and `LOUANE` lose and gain three bigrams, like a transposition, and
    // share more than the guard; with other letters, they are twins.
    assert_eq!(
        first("LOUISE").name_bigram_difference(&first("LOUANE")),
        (3, 3)
    );
    assert!(first("LOUISE").dice(&first("LOUANE")) > FIRST_NAME_THRESHOLD);
    let other = Some((["EILOSU", "AELNOU"], ["FRU", "FRU"]));
    assert!(!named_pair(("LOUISE", "LOUANE"), ("FAURE", "FAURE"), other).0);
    assert!(named_pair(("LOUISE", "LOUANE"), ("FAURE", "FAURE"), None).0);
    // A surname with two letters swapped (`ROUX`, `RUOX`) keeps too few bigrams to be
    // read as a typo; with the same letters, it is one.
    let surnames = Some((["AEL", "AEL"], ["ORUX", "ORUX"]));
    assert!(named_pair(("LEA", "LEA"), ("ROUX", "RUOX"), surnames).0);
    assert!(!named_pair(("LEA", "LEA"), ("ROUX", "RUOX"), None).0);
}

/// Service, first name, birth-date control and birth day of a record.
type Row<'a> = (String, &'a str, String, u32);

/// Links two records of two services born the same day, with their names' letter
/// controls and neighbourhoods, beside `common` records of other children (other birth
/// days, another block) carrying each of their first names: whether the two became one
/// person.
fn pair_among(first_a: &str, first_b: &str, neighbourhoods: bool, common: usize) -> bool {
    use crate::pseudonymise::letters;
    let k = SecretKey::from_bytes([1; 32]);
    let letter_key = letters::LetterKey::new(&k);
    let near = |s: &str| {
        let mut v = Vec::new();
        letters::multisets(&letters::sorted(s), |m| v.push(letter_key.value(m)));
        letters::to_bytes(&mut v)
    };
    let control = |s: &str| String::from_utf8(letters::sorted(s)).unwrap();
    let mut rows: Vec<Row> = vec![
        ("A".into(), first_a, "d".into(), 7),
        ("B".into(), first_b, "d".into(), 7),
    ];
    for i in 0..common {
        for f in [first_a, first_b] {
            rows.push((
                format!("C{i}{f}"),
                f,
                format!("autre-{i}{f}"),
                10 + i as u32,
            ));
        }
    }
    let col = |f: &dyn Fn(&Row) -> Option<String>| -> Vec<Option<String>> {
        rows.iter().map(f).collect()
    };
    let mut df = df![
        "service" => col(&|r| Some(r.0.clone())),
        "pseudonyme_1" => col(&|r| Some(format!("k{}", r.0))),
        "clk" => col(&|r| clk(r.1, "FAURE", r.3)),
        "clk_prenom" => col(&|r| Clk::encode_first_name(&k, r.1).map(|c| c.to_hex())),
        "controle_naissance" => col(&|r| Some(r.2.clone())),
        "controle_nom" => col(&|_| Some("n".into())),
        "controle_lettres_prenom" => col(&|r| Some(control(r.1))),
        "sexe" => col(&|_| Some("F".into())),
        "bloc_1" => col(&|r| Some(if r.2 == "d" { "b".into() } else { r.2.clone() })),
    ]
    .unwrap();
    if neighbourhoods {
        let v: BinaryChunked = rows.iter().map(|r| Some(near(r.1))).collect();
        df.with_column(v.with_name("voisins_lettres_prenom".into()).into_column())
            .unwrap();
    }
    let p = persons(&link(&df, &Settings::default()).unwrap().0);
    p[0] == p[1]
}

#[test]
fn neighbourhoods_and_rare_spellings_tell_slips_from_twins() {
    let k = SecretKey::from_bytes([1; 32]);
    let first = |p: &str| Clk::encode_first_name(&k, p).unwrap();
    // `EMMA` and `EVA`: three bigrams lost, two gained, above the twin guard — the
    // bigrams read them as one slip apart.
    assert_eq!(first("EMMA").name_bigram_difference(&first("EVA")), (3, 2));
    assert!(first("EMMA").dice(&first("EVA")) > FIRST_NAME_THRESHOLD);
    // Two letters apart, and both carried by several children: two first names (twins).
    assert!(!pair_among("EMMA", "EVA", true, 3));
    // A spelling met in one child only is a slip of the pen: two slips can leave it
    // two letters apart (`MANON`, `MANNIN`).
    assert!(pair_among("MANON", "MANNIN", true, 0));
    assert!(!pair_among("MANON", "MANNIN", true, 3));
    // Without the neighbourhoods (an extract of an earlier version): as before.
    assert!(pair_among("EMMA", "EVA", false, 3));
    // One letter substituted and two swapped (`CHLOE`, `CLHLE`: three bigrams lost and
    // three gained, other letters): one letter apart, the same child, however common.
    assert!(pair_among("CHLOE", "CLHLE", true, 3));
    assert!(!pair_among("CHLOE", "CLHLE", false, 0));
    // A letter replaced and two swapped (`JORDAN`, `JORXNA`): too many bigrams for a
    // slip, but one letter apart, and the spelling is met in one child only: misspelt.
    let e = first("JORDAN").name_bigram_difference(&first("JORXNA"));
    assert!(!one_slip(e), "{e:?}");
    assert!(pair_among("JORDAN", "JORXNA", true, 0));
    assert!(!pair_among("JORDAN", "JORXNA", true, 3));
    assert!(!pair_among("JORDAN", "JORXNA", false, 0));
}

#[test]
fn mirrored_birth_dates_link_where_one_child_is_followed() {
    // Same names and birth-date control, birth months 3 and 7: day and month swapped.
    let k = SecretKey::from_bytes([1; 32]);
    let first = Clk::encode_first_name(&k, "LUCAS").map(|c| c.to_hex());
    let other = Clk::encode_first_name(&k, "LUCA").map(|c| c.to_hex());
    let pair_with = |departments: Option<[Option<&str>; 2]>,
                     mothers: [Option<&str>; 2],
                     first_b: &Option<String>,
                     surname_b: &str,
                     clk_b: Option<String>| {
        let mut df = df![
            "service" => ["A", "B"],
            "pseudonyme_1" => [Some("k1"), Some("k2")],
            "clk" => [clk("LUCAS", "GARCIA", 7), clk_b],
            "clk_prenom" => [first.clone(), first_b.clone()],
            "controle_naissance" => [Some("d"), Some("d")],
            "controle_nom" => [Some("n"), Some(surname_b)],
            "controle_mere" => mothers,
            "mois_naissance" => [Some(3i32), Some(7)],
            "sexe" => [Some("M"), Some("M")],
            "bloc_1" => [Some("b"), Some("b")],
        ]
        .unwrap();
        if let Some(d) = departments {
            df.with_column(Column::new(SERVICE_DEPARTMENT.into(), d))
                .unwrap();
        }
        same_person(&df)
    };
    let pair_of = |departments, mothers, first_b: &Option<String>, surname_b| {
        pair_with(
            departments,
            mothers,
            first_b,
            surname_b,
            clk("LUCAS", "GARCIA", 7),
        )
    };
    let pair = |departments| pair_of(departments, [None, None], &first, "n");
    // Followed in one département: a slip of the pen, one child.
    assert!(pair(Some([Some("08"), Some("08")])).0);
    // In two départements, none in common: namesakes born on the mirrored day.
    let (same, r) = pair(Some([Some("08"), Some("50")]));
    assert!(!same);
    assert_eq!(r.paires_refusees_dates_inversees, 1);
    // Counted only where the encodings were close enough to link: another child's,
    // far below the threshold, is no refusal.
    let apart = Some([Some("08"), Some("50")]);
    let far = clk("NOAH", "MARTIN", 7);
    let (same, r) = pair_with(apart, [None, None], &first, "n", far);
    assert!(!same);
    assert_eq!(r.paires_refusees_dates_inversees, 0);
    // Where a département is unknown, or no directory gives them: as before.
    assert!(pair(Some([Some("08"), None])).0);
    assert!(pair(None).0);
    // Apart, but every name agrees, the mother's own among them: one child.
    assert!(pair_of(apart, [Some("m"), Some("m")], &first, "n").0);
    // Not when the mother carries the children's surname (it says nothing of her), nor
    // when she is known on one side only, nor when the first names or the surnames
    // differ: each refused as namesakes born on the mirrored day.
    for (mothers, first_b, surname_b) in [
        ([Some("n"), Some("n")], &first, "n"),
        ([Some("m"), None], &first, "n"),
        ([Some("m"), Some("m")], &other, "n"),
        ([Some("m"), Some("m")], &first, "n2"),
    ] {
        let (same, r) = pair_of(apart, mothers, first_b, surname_b);
        assert!(!same, "{mothers:?} {surname_b}");
        assert_eq!(
            r.paires_refusees_dates_inversees, 1,
            "{mothers:?} {surname_b}"
        );
    }
}
