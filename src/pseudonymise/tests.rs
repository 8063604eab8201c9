//! Unit tests of the extract: row-by-row parallel pseudonymisation, its digests against
//! 0.1, re-keying and the mother's-name control.

use super::*;
use sha2::{Digest, Sha256};

/// Digest of the extract and report of the sequential implementation (0.1), before
/// rows were pseudonymised in parallel.
const EXPECTED_DIGEST: &str = "dadf4d9c61795244cf74c7cc5683d2b5e290e1245c7e9f831d4a22539c70039b d8d069790cda8c02dbd45228968e865e80f4c37fd4bd514ce8296bb33484c6f7";

/// The mother's-name control and the surname encoding of the same extract.
const EXPECTED_ADDED: &str = "acd577b473191679491f5c464d4a3eacbddabbf93467bd9cbd1d1b59f56715f6";
const EXPECTED_REKEYED_ADDED: &str =
    "b4ca217d25dd7e843c319bacdc5bca3a63cd5a0845923faa4649abd8c31babd3";

/// The letter controls (`controle_lettres_prenom`, `controle_lettres_nom`) and letter
/// neighbourhoods (`voisins_lettres_prenom`, `voisins_lettres_nom`), added since.
const EXPECTED_LETTERS: &str = "503fcd9e023bea548b8c9c8514edb193c22ffd586d7dfb102a23c6f04683314c";
const EXPECTED_REKEYED_LETTERS: &str =
    "b1ae8d74b8744c7ac7d902df2b65a85f98996f4ec5dec8472f6d835d7350a256";
const EXPECTED_REKEYED: &str = "95caaca3a83c6a890b4165527e76f73e374fe08ea5595e6c1a56678d3439a371";

/// `n` canonical accompaniments with varied identities, some fields missing.
fn accompaniments(n: usize) -> DataFrame {
    let names = [
        "MARTIN", "Bernard", "dupré", "LE GALL", "N'DIAYE", "", "Éloïse",
    ];
    let firsts = ["Léa", "LEO", "jean-marc", "Zoé", "", "Anaïs", "Noah"];
    let pick = |v: &[&str], i: usize, m: usize| -> Option<String> {
        (!i.is_multiple_of(m)).then(|| format!("{}{}", v[i % v.len()], i % 13))
    };
    let days: Vec<Option<i32>> = (0..n)
        .map(|i| (!i.is_multiple_of(17)).then_some(12_000 + (i as i32 * 37) % 6_000))
        .collect();
    let births = Series::new("date_naissance".into(), days)
        .cast(&DataType::Date)
        .unwrap();
    df![
        "source" => vec!["PE"; n],
        "service" => (0..n).map(|i| format!("S{}", i % 5)).collect::<Vec<_>>(),
        "nom" => (0..n).map(|i| pick(&names, i, 11)).collect::<Vec<_>>(),
        "prenom" => (0..n).map(|i| pick(&firsts, i, 19)).collect::<Vec<_>>(),
        "date_naissance" => births,
        "sexe" => (0..n).map(|i| ["F", "M", "x"][i % 3]).collect::<Vec<_>>(),
        "nom_mere" => (0..n).map(|i| pick(&names, i + 3, 4)).collect::<Vec<_>>(),
        "numero_dossier" => (0..n).map(|i| i.is_multiple_of(3).then(|| format!("D{}", i % 97))).collect::<Vec<_>>(),
        "motif_sortie" => vec![Some("fin de mesure"); n],
        "departement_residence" => (0..n).map(|i| ["75", "2A", "971", "69"][i % 4]).collect::<Vec<_>>(),
    ]
    .unwrap()
}

/// `df` with its encodings in hexadecimal, their form when the digests were taken:
/// the bytes are the same.
fn as_hex(df: &DataFrame) -> DataFrame {
    let mut df = df.clone();
    for name in ENCODING_COLUMNS {
        let Ok(c) = df.column(name) else { continue };
        let hex: Vec<Option<String>> = c
            .binary()
            .unwrap()
            .iter()
            .map(|v| v.map(|b| Clk::from_bytes(b).unwrap().to_hex()))
            .collect();
        df.with_column(Column::new(name.into(), hex)).unwrap();
    }
    df
}

fn digest(df: &DataFrame) -> String {
    let df = &as_hex(df);
    let mut h = Sha256::new();
    for c in df.columns() {
        h.update(c.name().as_bytes());
        for v in c.as_materialized_series().iter() {
            h.update(format!("{v}|").as_bytes());
        }
    }
    hex::encode(h.finalize())
}

#[test]
fn parallel_pseudonymisation_is_row_by_row_and_unchanged() {
    let n = 3 * 8_192 + 100;
    let df = accompaniments(n);
    let key = SecretKey::from_bytes([5; 32]);
    let settings = Settings::new(2023);
    // One session's memos for every call: what a run remembered from the calls before
    // changes nothing.
    let memos = Memos::new();
    let (out, report) = pseudonymise_with(&df, &key, &settings, &memos).unwrap();
    assert_eq!(out.height(), n);
    // Every row is what it is alone, whatever run it fell in.
    for i in [0, 1, 8_191, 8_192, 20_000, n - 1] {
        let (one, _) = pseudonymise_with(&df.slice(i as i64, 1), &key, &settings, &memos).unwrap();
        assert_eq!(digest(&one), digest(&out.slice(i as i64, 1)), "row {i}");
    }
    // The same bytes as the sequential implementation this replaced, for every
    // column it had; the columns added since have their own digests.
    let added = [columns::MOTHER_CONTROL, columns::SURNAME_CLK];
    let letters = [
        columns::FIRST_NAME_LETTERS,
        columns::SURNAME_LETTERS,
        columns::FIRST_NAME_NEIGHBOURS,
        columns::SURNAME_NEIGHBOURS,
    ];
    // Not keyed, the same under every key:
    // `a_mother_written_as_a_part_of_the_surname_and_a_compound_first_name_are_marked`.
    let parts = [columns::MOTHER_IN_SURNAME, columns::COMPOUND_FIRST_NAME];
    let since = [added.as_slice(), letters.as_slice(), parts.as_slice()].concat();
    let report = serde_json::to_string(&report).unwrap();
    assert_eq!(
        format!(
            "{} {}",
            digest(&out.drop_many(since.clone())),
            hex::encode(Sha256::digest(&report))
        ),
        EXPECTED_DIGEST
    );
    assert_eq!(digest(&out.select(added).unwrap()), EXPECTED_ADDED);
    assert_eq!(digest(&out.select(letters).unwrap()), EXPECTED_LETTERS);
    let rekeyed = rekey(out.clone(), &SecretKey::from_bytes([6; 32])).unwrap();
    assert_eq!(digest(&rekeyed.drop_many(since)), EXPECTED_REKEYED);
    assert_eq!(
        digest(&rekeyed.select(added).unwrap()),
        EXPECTED_REKEYED_ADDED
    );
    assert_eq!(
        digest(&rekeyed.select(letters).unwrap()),
        EXPECTED_REKEYED_LETTERS
    );
    // Re-keyed as made (the observatory reading its own files): the same extract and
    // the same report as the two steps.
    let once = Rekey::new(SecretKey::from_bytes([6; 32]));
    // Memos that served the collective's finish are not used for the observatory's.
    let (fused, fused_report) = pseudonymise_rekeyed(&df, &key, &once, &settings, &memos).unwrap();
    assert!(fused.equals_missing(&rekeyed));
    assert_eq!(serde_json::to_string(&fused_report).unwrap(), report);
    // And the observatory's own session memos, used by a file before: the same.
    let session = Memos::new();
    pseudonymise_rekeyed(&df.slice(5, 300), &key, &once, &settings, &session).unwrap();
    let (again, _) = pseudonymise_rekeyed(&df, &key, &once, &settings, &session).unwrap();
    assert!(again.equals_missing(&rekeyed));
    // Re-keyed values are the short pseudonyms of the collective's, 12 characters.
    let observatory = SecretKey::from_bytes([6; 32]);
    for name in ["pseudonyme_1", columns::BIRTH_CONTROL, "bloc_1"] {
        let before = out.column(name).unwrap().str().unwrap().get(7).unwrap();
        let after = rekeyed.column(name).unwrap().str().unwrap().get(7).unwrap();
        assert_eq!(
            after,
            observatory.short_pseudonym("observatoire/recle/v1", &[before])
        );
        assert_eq!(after.len(), 12);
    }
    // The mother's-name control is the surname control of the same name.
    let names = df!(
        "nom" => ["Martin", "Dupré"],
        "prenom" => ["Léa", "Tom"],
        "nom_mere" => ["Dupré", "Martin"],
    )
    .unwrap();
    let mut one = accompaniments(2);
    for c in ["nom", "prenom", "nom_mere"] {
        one.with_column(names.column(c).unwrap().clone()).unwrap();
    }
    let (two, _) = pseudonymise(&one, &key, &settings).unwrap();
    let text = |c: &str| text_col(&two, c).unwrap();
    let (surnames, mothers) = (
        text(columns::SURNAME_CONTROL),
        text(columns::MOTHER_CONTROL),
    );
    assert_eq!((&surnames[0], &surnames[1]), (&mothers[1], &mothers[0]));
    assert_ne!(surnames[0], surnames[1]);
}

#[test]
fn letter_controls_are_shared_by_spellings_that_swap_letters() {
    let key = SecretKey::from_bytes([5; 32]);
    let names = df!(
        "nom" => [Some("Roux"), Some("Ruox"), Some("Rous"), None],
        "prenom" => [Some("Léo"), Some("Loé"), Some("Léon"), Some("LEO")],
    )
    .unwrap();
    let mut df = accompaniments(4);
    for c in ["nom", "prenom"] {
        df.with_column(names.column(c).unwrap().clone()).unwrap();
    }
    let (out, _) = pseudonymise(&df, &key, &Settings::new(2023)).unwrap();
    let first = text_col(&out, columns::FIRST_NAME_LETTERS).unwrap();
    let last = text_col(&out, columns::SURNAME_LETTERS).unwrap();
    // A transposition (and accents, case) keeps the letters; an added letter does not.
    assert_eq!(first[0], first[1]);
    assert_eq!(first[0], first[3]);
    assert_ne!(first[0], first[2]);
    assert_eq!(last[0], last[1]);
    assert_ne!(last[0], last[2]);
    assert_eq!(last[3], None);
    // Keyed, and not the surname control of the same letters.
    let surnames = text_col(&out, columns::SURNAME_CONTROL).unwrap();
    assert_ne!(last[0], surnames[0]);
    let (other, _) =
        pseudonymise(&df, &SecretKey::from_bytes([7; 32]), &Settings::new(2023)).unwrap();
    assert_ne!(
        text_col(&other, columns::FIRST_NAME_LETTERS).unwrap()[0],
        first[0]
    );
}

#[test]
fn a_mother_written_as_a_part_of_the_surname_and_a_compound_first_name_are_marked() {
    let names = df!(
        "nom" => [Some("Dumont Diarra"), Some("Dummont-Diarra"), Some("Dumont"), Some("Petit Lambert"), None],
        "nom_mere" => [Some("Diarra"), Some("Dumont"), Some("Dumont"), Some("Martin"), Some("Diarra")],
        "prenom" => [Some("Jean-Baptiste"), Some("Jean"), Some("Marie Ève"), None, Some("-")],
    )
    .unwrap();
    let mut df = accompaniments(5);
    for c in ["nom", "nom_mere", "prenom"] {
        df.with_column(names.column(c).unwrap().clone()).unwrap();
    }
    let flags = |out: &DataFrame, name: &str| -> Vec<Option<bool>> {
        out.column(name).unwrap().bool().unwrap().iter().collect()
    };
    let key = SecretKey::from_bytes([5; 32]);
    let (out, _) = pseudonymise(&df, &key, &Settings::new(2023)).unwrap();
    let parts = vec![Some(true), Some(true), Some(false), Some(false), None];
    // No first name, or one without a letter: null.
    let compound = vec![Some(true), Some(false), Some(true), None, None];
    assert_eq!(flags(&out, columns::MOTHER_IN_SURNAME), parts);
    assert_eq!(flags(&out, columns::COMPOUND_FIRST_NAME), compound);
    // Not keyed: the observatory's re-keying leaves them as they are.
    let rekeyed = rekey(out, &SecretKey::from_bytes([6; 32])).unwrap();
    assert_eq!(flags(&rekeyed, columns::MOTHER_IN_SURNAME), parts);
    assert_eq!(flags(&rekeyed, columns::COMPOUND_FIRST_NAME), compound);
    // And they are linkage columns (dropped once linked).
    let linkage = linkage_columns(&rekeyed);
    for c in [columns::MOTHER_IN_SURNAME, columns::COMPOUND_FIRST_NAME] {
        assert!(linkage.contains(&c.to_string()), "{c}");
    }
}

#[test]
fn encodings_in_hexadecimal_are_read_as_their_bytes() {
    let key = SecretKey::from_bytes([5; 32]);
    let (out, _) = pseudonymise(&accompaniments(50), &key, &Settings::new(2023)).unwrap();
    // The same extract as an earlier version wrote it: encodings in hexadecimal.
    let old = as_hex(&out);
    assert_eq!(old.column(columns::CLK).unwrap().dtype(), &DataType::String);
    let back = encodings_as_binary(old.clone()).unwrap();
    for name in ENCODING_COLUMNS {
        assert_eq!(
            back.column(name).unwrap().as_materialized_series(),
            out.column(name).unwrap().as_materialized_series(),
            "{name}"
        );
    }
    // Text that is not an encoding becomes empty, as linkage always read it.
    let bad = df!(columns::CLK => [Some("zz"), None]).unwrap();
    assert_eq!(unreadable_encodings(&bad).unwrap(), 1);
    let read = encodings_as_binary(bad).unwrap();
    assert_eq!(read.column(columns::CLK).unwrap().null_count(), 2);
    // Counted, not silent: a readable extract has none; bytes of the wrong length count.
    assert_eq!(unreadable_encodings(&out).unwrap(), 0);
    assert_eq!(unreadable_encodings(&old).unwrap(), 0);
    let short: BinaryChunked = [Some(&b"abc"[..]), None].into_iter().collect();
    let short =
        DataFrame::new(2, vec![short.with_name(columns::CLK.into()).into_column()]).unwrap();
    assert_eq!(unreadable_encodings(&short).unwrap(), 1);
    // A letter neighbourhood of an odd length, or a column of them that is not binary:
    // counted, and read as absent.
    let odd: BinaryChunked = [Some(&b"abc"[..]), Some(&b"ab"[..]), None]
        .into_iter()
        .collect();
    let odd = DataFrame::new(
        3,
        vec![
            odd.with_name(columns::FIRST_NAME_NEIGHBOURS.into())
                .into_column(),
        ],
    )
    .unwrap();
    assert_eq!(unreadable_encodings(&odd).unwrap(), 1);
    let forged = df!(columns::SURNAME_NEIGHBOURS => [Some("zz"), None]).unwrap();
    assert_eq!(unreadable_encodings(&forged).unwrap(), 1);
    let read = encodings_as_binary(forged).unwrap();
    let column = read.column(columns::SURNAME_NEIGHBOURS).unwrap();
    assert_eq!(column.dtype(), &DataType::Binary);
    assert_eq!(column.null_count(), 2);
}

#[test]
fn a_key_of_several_fields_or_none_macs_its_fields_apart() {
    let key = SecretKey::from_bytes([3; 32]);
    let mut settings = Settings::new(2023);
    settings.key_set = vec![
        vec![],
        vec!["nom".into(), "prenom".into(), "date_naissance".into()],
    ];
    // The second row has every field of the second key.
    let df = accompaniments(2).slice(1, 1);
    let (out, _) = pseudonymise(&df, &key, &settings).unwrap();
    let pseudonym = |c: &str| text_col(&out, c).unwrap()[0].clone();
    assert_eq!(
        pseudonym("pseudonyme_1").as_deref(),
        Some(key.pseudonym("observatoire/cle/v1/", &[]).as_str())
    );
    let ids = text_col(&df, "nom").unwrap();
    let first = text_col(&df, "prenom").unwrap();
    let (nom, prenom) = (
        normalise::name(ids[0].as_deref().unwrap()),
        normalise::name(first[0].as_deref().unwrap()),
    );
    let birth = day_col(&df, "date_naissance").unwrap()[0].unwrap();
    let mut date = String::new();
    normalise::write_date(birth, normalise::DatePart::Day, &mut date);
    assert_eq!(
        pseudonym("pseudonyme_2").as_deref(),
        Some(
            key.pseudonym(
                "observatoire/cle/v1/nom+prenom+date_naissance",
                &[&nom, &prenom, &date]
            )
            .as_str()
        )
    );
}

proptest::proptest! {
    /// Two values of the memo of repeated pseudonyms share a key only when they share
    /// their slot and their text; a text over 15 bytes, or in several fields, has none
    /// (it is signed without the memo).
    #[test]
    fn memo_keys_tell_slots_and_texts_apart(
        a in (0usize..6, "[0-9A-Z\u{1f}é]{0,16}"),
        b in (0usize..6, "[0-9A-Z\u{1f}é]{0,16}"),
    ) {
        let (ka, kb) = (rows::memo_key(a.0, &[&a.1]), rows::memo_key(b.0, &[&b.1]));
        proptest::prop_assert_eq!(ka.is_some(), a.1.len() <= 15);
        if let (Some(ka), Some(kb)) = (ka, kb) {
            proptest::prop_assert_eq!(ka == kb, a == b);
        }
        proptest::prop_assert!(rows::memo_key(a.0, &[&a.1, &b.1]).is_none());
    }
}
