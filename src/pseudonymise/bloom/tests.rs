//! Unit tests of `bloom`.

use super::*;

#[test]
fn packed_tokens_never_collide() {
    let tokens = [
        "", "A", "A\0", "\0A", "P:_L", "P:L_", "JM:1-12", "J:1/M:12", "P:ÉÉ",
    ];
    let packs: Vec<Option<u128>> = tokens.iter().map(|t| packed(t)).collect();
    for (i, a) in packs.iter().enumerate() {
        assert!(a.is_some(), "{}", tokens[i]);
        for b in &packs[i + 1..] {
            assert_ne!(a, b);
        }
    }
    assert_eq!(packed("0123456789abcdef"), None);
    assert!(packed("0123456789abcde").is_some());
}

#[test]
fn a_shared_memo_gives_the_encodings_of_fresh_ones() {
    let key = SecretKey::from_bytes([7; 32]);
    let mut memo = TokenMemo::default();
    let names = [
        ("LEA", "MARTIN"),
        ("LEO", "MARTINE"),
        ("ÉLODIE", "LE GOFF"),
        ("LEA", "DURAND"),
    ];
    for (prenom, nom) in names.iter().cycle().take(12) {
        let input = ClkInput {
            prenom: Some(prenom),
            nom: Some(nom),
            nom_mere: Some("DUPRE"),
            naissance: NaiveDate::from_ymd_opt(2012, 3, 7),
            sexe: Some('F'),
        };
        assert_eq!(
            Clk::encode_memo(&key, &input, &mut memo),
            Clk::encode(&key, &input)
        );
        assert_eq!(
            Clk::encode_first_name_memo(&key, prenom, &mut memo),
            Clk::encode_first_name(&key, prenom)
        );
    }
    // The two domains never share a hash: the same bigram gives other bits.
    assert_ne!(
        Clk::encode_first_name(&key, "LEA"),
        Clk::encode(
            &key,
            &ClkInput {
                prenom: Some("LEA"),
                naissance: NaiveDate::from_ymd_opt(2012, 3, 7),
                ..ClkInput::default()
            }
        )
    );
}

fn clk(
    key: &SecretKey,
    prenom: &str,
    nom: &str,
    mere: Option<&str>,
    y: i32,
    m: u32,
    d: u32,
) -> Clk {
    Clk::encode(
        key,
        &ClkInput {
            prenom: Some(prenom),
            nom: Some(nom),
            nom_mere: mere,
            naissance: NaiveDate::from_ymd_opt(y, m, d),
            sexe: Some('F'),
        },
    )
    .unwrap()
}

#[test]
fn similar_identities_score_high_and_different_ones_low() {
    let k = SecretKey::from_bytes([3; 32]);
    let a = clk(&k, "MARIEEVE", "FAURE", Some("BERARD"), 2012, 3, 7);
    assert_eq!(a.dice(&a), 1.0);
    let typo = clk(&k, "MARIEEVE", "FAUER", Some("BERARD"), 2012, 3, 7);
    let swap = clk(&k, "MARIEEVE", "FAURE", Some("BERARD"), 2012, 7, 3);
    let no_mother = clk(&k, "MARIEEVE", "FAURE", None, 2012, 3, 7);
    let other = clk(&k, "LUCAS", "MARTIN", Some("DUBOIS"), 2012, 3, 7);
    let sister = clk(&k, "CHLOE", "FAURE", Some("BERARD"), 2012, 3, 7);
    assert!(a.dice(&typo) > 0.85, "{}", a.dice(&typo));
    assert!(a.dice(&swap) > 0.85, "{}", a.dice(&swap));
    assert!(a.dice(&no_mother) > 0.8, "{}", a.dice(&no_mother));
    assert!(a.dice(&other) < 0.6, "{}", a.dice(&other));
    assert!(a.dice(&sister) < a.dice(&typo));
    // Another key gives unrelated filters.
    let k2 = SecretKey::from_bytes([4; 32]);
    assert!(a.dice(&clk(&k2, "MARIEEVE", "FAURE", Some("BERARD"), 2012, 3, 7)) < 0.7);
    assert!(
        Clk::encode(
            &k,
            &ClkInput {
                prenom: Some("X"),
                ..Default::default()
            }
        )
        .is_none()
    );
}

#[test]
fn hex_round_trip_and_permutation_keeps_similarity() {
    let k = SecretKey::from_bytes([5; 32]);
    let a = clk(&k, "THEO", "LEGOFF", Some("NDIAYE"), 2009, 11, 30);
    let b = clk(&k, "TEHO", "LEGOFF", Some("NDIAYE"), 2009, 11, 30);
    assert_eq!(Clk::from_hex(&a.to_hex()), Some(a));
    // Another length, or not hexadecimal: refused.
    assert_eq!(Clk::from_hex("00ff"), None);
    assert_eq!(Clk::from_hex(&format!("{}00", a.to_hex())), None);
    assert_eq!(Clk::from_hex(&"zz".repeat(BITS / 8)), None);
    let perm = keyed_permutation(&SecretKey::from_bytes([9; 32]));
    let mut sorted = perm.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..BITS as u16).collect::<Vec<_>>());
    let (pa, pb) = (a.permute(&perm), b.permute(&perm));
    assert_ne!(pa, a);
    assert_eq!(pa.count_ones(), a.count_ones());
    assert!((pa.dice(&pb) - a.dice(&b)).abs() < 1e-12);
}

/// The bigrams each name lacks of the other, counted by hand on the padded bigrams,
/// are what the bits estimate.
#[test]
fn name_bigram_difference_counts_the_bigrams_by_hand() {
    let k = SecretKey::from_bytes([3; 32]);
    let mut memo = TokenMemo::default();
    let mut enc = |s: &str| Clk::encode_first_name_memo(&k, s, &mut memo).unwrap();
    let cases = [
        // Substitution: _L LE EA A_ / _L LE EO O_.
        ("LEA", "LEO", (2, 2)),
        // Transposition: _M MA AT TH HI IS S_ / _M MA AT TT TH HI IS S_ has TT more;
        // MATHIS / MAHTIS: AT TH HI / AH HT TI.
        ("MATHIS", "MATTHIS", (0, 1)),
        ("MATHIS", "MAHTIS", (3, 3)),
        // Inserted letter at the end: _L LE EO O_ / _L LE EO ON N_.
        ("LEO", "LEON", (1, 2)),
        // Usual first name: JEAN's N_ is not in JEANBAPTISTE, which has 9 more.
        ("JEAN", "JEANBAPTISTE", (1, 9)),
        // Twins: ADELE _A AD DE EL LE E_ / JADE _J JA AD DE E_.
        ("ADELE", "JADE", (3, 2)),
        ("EMMA", "EMMA", (0, 0)),
    ];
    for (a, b, want) in cases {
        assert_eq!(enc(a).name_bigram_difference(&enc(b)), want, "{a} / {b}");
    }
    // Surname encodings use their own domain and the same bits per bigram.
    let (x, y) = (
        Clk::encode_surname_memo(&k, "DURAND", &mut memo).unwrap(),
        Clk::encode_surname_memo(&k, "DURRADN", &mut memo).unwrap(),
    );
    // _D DU UR RA AN ND D_ / _D DU UR RR RA AD DN N_.
    assert_eq!(x.name_bigram_difference(&y), (3, 4));
}

#[test]
fn bigrams_have_places_of_their_own_and_remembered_hashes_are_the_tokens() {
    let letters: Vec<char> = std::iter::once('_').chain('A'..='Z').collect();
    let mut places = std::collections::HashSet::new();
    for domain in [Domain::Clk, Domain::FirstName, Domain::Surname] {
        for prefix in ["", "P:", "N:", "M:"] {
            for a in &letters {
                for b in &letters {
                    let slot = bigram_slot(domain, &format!("{prefix}{a}{b}"));
                    assert!(slot.is_some_and(|s| s < 3 * BIGRAM_SLOTS));
                    assert!(places.insert(slot), "{prefix}{a}{b}");
                }
            }
        }
    }
    for other in [
        "", "A", "ABC", "P:A", "X:AB", "P:Ab", "a_", "A:2012", "S:F", "P:ÉA", "PAB",
    ] {
        assert_eq!(bigram_slot(Domain::Clk, other), None, "{other}");
    }
    let key = SecretKey::from_bytes([4; 32]);
    let mut memo = TokenMemo::default();
    for _ in 0..2 {
        for token in ["P:_A", "AB", "N:Z_", "A:2012", "JM:1-12", "M:AA", "P:ÉA"] {
            for domain in [Domain::Clk, Domain::FirstName, Domain::Surname] {
                assert_eq!(
                    memo.hashes(&key, domain, token),
                    token_hashes(&key, domain, token),
                    "{token}"
                );
            }
        }
    }
}
