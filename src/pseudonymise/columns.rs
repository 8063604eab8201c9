//! Columns of the pseudonymised extract added by this stage.

pub const BIRTH_YEAR: &str = "annee_naissance";
/// Residence reduced to the pipeline's territory level (département by default).
pub const RESIDENCE: &str = "territoire_residence";
pub const BIRTH_MONTH: &str = "mois_naissance";
pub const AGE: &str = "age_fin_periode";
pub const AGE_BAND: &str = "tranche_age_fin_periode";
/// `pseudonyme_1`, `pseudonyme_2`…: one per key of the key set, in order.
pub const PSEUDONYM_PREFIX: &str = "pseudonyme_";
/// Pseudonym of (service, numéro de dossier): links records within one service.
pub const FILE_PSEUDONYM: &str = "pseudonyme_dossier";
pub const CLK: &str = "clk";
/// Keyed control of the birth date (year, day and month in either order): two
/// records sharing an exact key but not this control are different children.
pub const BIRTH_CONTROL: &str = "controle_naissance";
/// Fingerprint of the collective's key the extract was made with.
pub const KEY_FINGERPRINT: &str = "empreinte_cle";
/// The key set, e.g. `prenom+mois_naissance+nom_mere|nom+prenom+date_naissance+sexe`.
pub const KEY_SET: &str = "jeu_de_cles";
/// Keyed control of the normalised surname.
pub const SURNAME_CONTROL: &str = "controle_nom";
/// Keyed control of the normalised mother's name, in the surname control's domain:
/// equal to [`SURNAME_CONTROL`] when the mother's name is the child's surname.
pub const MOTHER_CONTROL: &str = "controle_mere";
/// Whether the mother's name as written is one part of the child's double surname,
/// or one slip from one ([`super::normalise::is_part_of_double_surname`]): her maiden name
/// or her married one, which tells nothing of her. Null where either is missing.
/// Not keyed: a yes or no that a partner's extract and the observatory's agree on.
pub const MOTHER_IN_SURNAME: &str = "mere_partie_du_nom";
/// Whether the first name as written is compound (`Jean-Baptiste`,
/// [`super::normalise::is_compound`]): only then is a record giving its first part alone
/// the same child. Null without a first name; not keyed, like the above.
pub const COMPOUND_FIRST_NAME: &str = "prenom_compose";
/// Keyed control of the normalised first name's letters in alphabetical order: two
/// spellings that only swap letters share it. A coarser function of the first name
/// than [`FIRST_NAME_CLK`] (whose bigrams hold its letters): it tells the
/// observatory nothing the extract did not hold.
pub const FIRST_NAME_LETTERS: &str = "controle_lettres_prenom";
/// The same for the surname (a coarser function of it than [`SURNAME_CONTROL`]).
pub const SURNAME_LETTERS: &str = "controle_lettres_nom";
/// Letter neighbourhood of the normalised first name ([`super::letters`]): keyed
/// 16-bit values of its letters and of every way to drop one, two bytes each.
pub const FIRST_NAME_NEIGHBOURS: &str = "voisins_lettres_prenom";
/// The same for the surname.
pub const SURNAME_NEIGHBOURS: &str = "voisins_lettres_nom";
/// Bloom encoding of the first name alone.
pub const FIRST_NAME_CLK: &str = "clk_prenom";
/// Bloom encoding of the surname alone.
pub const SURNAME_CLK: &str = "clk_nom";
/// `bloc_1`…`bloc_3`: keyed blocking keys for fuzzy linkage.
pub const BLOCK_PREFIX: &str = "bloc_";
pub const BLOCKS: usize = 3;

/// How a column this stage adds is stored in an extract: what ingest checks a partner's
/// Parquet extract against before any stage reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Keyed pseudonyms and controls, codes (residence, age band, key set).
    Text,
    /// Birth year, birth month, age.
    Integer,
    /// The two marks read on the names as written.
    Flag,
    /// A Bloom encoding: bytes, or hexadecimal text (an extract of an earlier version).
    Encoding,
    /// A letter neighbourhood: bytes; any other type is read as absent and counted
    /// (`encodings_as_binary`).
    Neighbourhood,
}

/// The stored form of an extract column this stage adds; `None` for any other column.
pub fn stored(name: &str) -> Option<Stored> {
    let numbered = |prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    match name {
        BIRTH_YEAR | BIRTH_MONTH | AGE => Some(Stored::Integer),
        RESIDENCE | AGE_BAND | FILE_PSEUDONYM | BIRTH_CONTROL | KEY_FINGERPRINT | KEY_SET
        | SURNAME_CONTROL | MOTHER_CONTROL | FIRST_NAME_LETTERS | SURNAME_LETTERS => {
            Some(Stored::Text)
        }
        MOTHER_IN_SURNAME | COMPOUND_FIRST_NAME => Some(Stored::Flag),
        CLK | FIRST_NAME_CLK | SURNAME_CLK => Some(Stored::Encoding),
        FIRST_NAME_NEIGHBOURS | SURNAME_NEIGHBOURS => Some(Stored::Neighbourhood),
        _ if numbered(PSEUDONYM_PREFIX) || numbered(BLOCK_PREFIX) => Some(Stored::Text),
        _ => None,
    }
}
