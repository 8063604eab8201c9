//! What pseudonymisation derives from each normalised name, made once per name and
//! reading session ([`super::super::memo`]): its bits in the identity encoding, its own
//! encoding, the pseudonym and neighbourhood of its letters, its pseudonym. A national
//! network's names recur (siblings, frequent names: five surnames in six had been met
//! earlier in their very run of rows, and a million rows hold about twenty thousand
//! distinct names), and each of these was made again for every row, the bits of every
//! bigram set one by one and every encoding's bits moved one by one by the
//! observatory's permutation.
//!
//! The memo keeps no clear name: a name is found by a keyed 128-bit hash of it
//! ([`Keyed`]). What it keeps of a name is keyed: its pseudonyms, its letters', and its
//! encodings' bits — its own share of the identity encoding among them, which the
//! extract only holds within the union of an identity's names.

use polars::prelude::PlHashMap;

use super::super::memo::Keyed;

use super::super::bloom::{BITS, Clk, NamePart, TokenMemo};
use super::{SLOT_LETTERS, SLOT_NAME, Signed, Signer, letters};

/// The role of a name in an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    FirstName,
    Surname,
    Mother,
}

/// What one name gives in its role, finished as the run's pseudonyms are (re-keyed for
/// the observatory).
pub(super) struct NameParts {
    /// Its bits in the identity encoding.
    pub(super) identity: Clk,
    /// Its own encoding's bytes: first name or surname; `None` for a mother's name.
    pub(super) own: Option<[u8; BITS / 8]>,
    /// The neighbourhood of its letters (first name, surname).
    pub(super) neighbourhood: Option<Vec<u8>>,
    /// The pseudonym of its letters in alphabetical order (first name, surname).
    pub(super) letters: Option<Signed>,
    /// Its pseudonym under the name control's domain (surname, mother's name).
    pub(super) pseudonym: Option<Signed>,
}

/// The parts of the names met in a reading session: where each name's parts are, by
/// role and keyed hash of the name.
#[derive(Default)]
pub(in crate::pseudonymise) struct NameMemo {
    /// The names' hash.
    keyed: Keyed,
    places: [PlHashMap<u128, usize>; 3],
    pub(super) parts: Vec<NameParts>,
}

/// Names' parts past which a memo is emptied before the next run of rows. A run adds at
/// most three a row, so a memo holds at most 32 768 + 3 × 8 192 parts, about 26 MB (a
/// national reading keeps about ten thousand a thread).
const NAMES_CAPACITY: usize = 1 << 15;

impl Drop for NameMemo {
    fn drop(&mut self) {
        self.clear();
    }
}

impl NameMemo {
    /// Empties the memo when it holds more than [`NAMES_CAPACITY`] names' parts; only
    /// between runs of rows, where no row holds a place.
    pub(super) fn bound(&mut self) {
        self.bound_at(NAMES_CAPACITY);
    }

    fn bound_at(&mut self, capacity: usize) {
        if self.parts.len() > capacity {
            self.clear();
        }
    }

    /// Forgets every name, wiping what they gave.
    fn clear(&mut self) {
        for map in &mut self.places {
            map.clear();
        }
        for p in &mut self.parts {
            zeroize::Zeroize::zeroize(&mut p.identity.0);
            if let Some(own) = p.own.as_mut() {
                zeroize::Zeroize::zeroize(own);
            }
            if let Some(n) = p.neighbourhood.as_mut() {
                zeroize::Zeroize::zeroize(n);
            }
            for s in [&mut p.letters, &mut p.pseudonym].into_iter().flatten() {
                s.wipe();
            }
        }
        self.parts.clear();
    }

    /// The keyed hash of a name.
    fn hash(&mut self, name: &str) -> u128 {
        self.keyed.hash(name.as_bytes())
    }

    /// Where the parts of `name` in `role` are in [`NameMemo::parts`], made and
    /// remembered at its first meeting. `name` is normalised and never empty (the
    /// identity's empty names are none).
    pub(super) fn place(
        &mut self,
        role: Role,
        name: &str,
        signer: &Signer,
        tokens: &mut TokenMemo,
    ) -> usize {
        let hash = self.hash(name);
        let map = &mut self.places[role as usize];
        if let Some(&at) = map.get(&hash) {
            return at;
        }
        self.parts.push(make(role, name, signer, tokens));
        let at = self.parts.len() - 1;
        map.insert(hash, at);
        at
    }
}

/// The parts of `name` in `role`.
fn make(role: Role, name: &str, signer: &Signer, tokens: &mut TokenMemo) -> NameParts {
    let key = signer.key;
    let (identity, own) = match role {
        Role::FirstName => (NamePart::IdentityFirstName, Some(NamePart::FirstName)),
        Role::Surname => (NamePart::IdentitySurname, Some(NamePart::Surname)),
        Role::Mother => (NamePart::IdentityMother, None),
    };
    let spelled = role != Role::Mother;
    let sorted_letters = || String::from_utf8(letters::sorted(name)).unwrap_or_default();
    NameParts {
        identity: signer.finished(Clk::name_part(key, identity, name, tokens)),
        own: own.map(|p| {
            signer
                .finished(Clk::name_part(key, p, name, tokens))
                .to_bytes()
        }),
        neighbourhood: spelled.then(|| signer.neighbourhood(name)),
        letters: spelled.then(|| signer.sign_slot(SLOT_LETTERS, &[&sorted_letters()])),
        pseudonym: (role != Role::FirstName).then(|| signer.sign_slot(SLOT_NAME, &[name])),
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::keys::SecretKey;
    use super::super::super::memo::Memo;
    use super::super::super::{Rekey, Settings};
    use super::super::{Finish, Signer};
    use super::*;

    /// A name met in a later run of rows is found again by its hash, under a key of
    /// the memo's own; past its bound, the memo starts again empty.
    #[test]
    fn names_are_found_again_by_a_keyed_hash_until_the_bound() {
        let key = SecretKey::from_bytes([5; 32]);
        let settings = Settings::default();
        let mut session = Memo::default();
        let signer = Signer::new(&key, Finish::Collective, &settings, &mut session);
        let mut names = NameMemo::default();
        let mut tokens = TokenMemo::default();
        let first = names.place(Role::Surname, "MARTIN", &signer, &mut tokens);
        names.bound();
        assert_eq!(
            names.place(Role::Surname, "MARTIN", &signer, &mut tokens),
            first
        );
        let other = names.place(Role::Surname, "MARTINE", &signer, &mut tokens);
        assert_ne!(other, first);
        assert_eq!(names.parts.len(), 2);
        // Another memo hashes under another key.
        let mut fresh = NameMemo::default();
        assert_ne!(names.hash("MARTIN"), fresh.hash("MARTIN"));
        // Past the bound, emptied between two runs, and made again alike.
        let kept = names.parts[first].identity;
        names.bound_at(1);
        assert!(names.parts.is_empty());
        let again = names.place(Role::Surname, "MARTIN", &signer, &mut tokens);
        assert_eq!(names.parts[again].identity, kept);
    }

    /// The parts a name gave at its first meeting, as made again from scratch: for
    /// each role, under either finish; and a name's roles give it different bits.
    #[test]
    fn a_name_met_again_gives_what_it_gave_and_roles_stay_apart() {
        let key = SecretKey::from_bytes([5; 32]);
        let rekey = Rekey::new(SecretKey::from_bytes([6; 32]));
        let settings = Settings::default();
        for finish in [Finish::Collective, Finish::Observatory(&rekey)] {
            let mut session = Memo::default();
            let signer = Signer::new(&key, finish, &settings, &mut session);
            let mut names = NameMemo::default();
            let mut tokens = TokenMemo::default();
            let roles = [Role::FirstName, Role::Surname, Role::Mother];
            let mut met = Vec::new();
            for name in ["MARTIN", "LEA", "MARTIN", "LEA"] {
                for role in roles {
                    met.push((role, name, names.place(role, name, &signer, &mut tokens)));
                }
            }
            // Six names in their roles, each made once.
            assert_eq!(names.parts.len(), 6);
            for &(role, name, at) in &met {
                let fresh = make(role, name, &signer, &mut TokenMemo::default());
                let kept = &names.parts[at];
                assert_eq!(kept.identity, fresh.identity);
                assert_eq!(kept.own, fresh.own);
                assert_eq!(kept.neighbourhood, fresh.neighbourhood);
                let text = |s: &Option<Signed>| s.map(|s| s.as_str().to_string());
                assert_eq!(text(&kept.letters), text(&fresh.letters));
                assert_eq!(text(&kept.pseudonym), text(&fresh.pseudonym));
                // What each role has, and has not.
                assert_eq!(kept.own.is_some(), role != Role::Mother);
                assert_eq!(kept.letters.is_some(), role != Role::Mother);
                assert_eq!(kept.pseudonym.is_some(), role != Role::FirstName);
            }
            let bits = |role| {
                names.parts[met
                    .iter()
                    .find(|m| m.0 == role && m.1 == "MARTIN")
                    .map_or(0, |m| m.2)]
                .identity
            };
            assert_ne!(bits(Role::FirstName), bits(Role::Surname));
            assert_ne!(bits(Role::Surname), bits(Role::Mother));
            // The surname and the mother's name share their pseudonym's domain.
            let pseudonym = |role| {
                let at = met
                    .iter()
                    .find(|m| m.0 == role && m.1 == "MARTIN")
                    .map_or(0, |m| m.2);
                names.parts[at].pseudonym.map(|s| s.as_str().to_string())
            };
            assert_eq!(pseudonym(Role::Surname), pseudonym(Role::Mother));
            // The union of the finished parts is the finished encoding of the identity.
            let born = chrono::NaiveDate::from_ymd_opt(2012, 3, 14);
            let whole = Clk::encode(
                &key,
                &crate::pseudonymise::bloom::ClkInput {
                    prenom: Some("LEA"),
                    nom: Some("MARTIN"),
                    nom_mere: Some("LEA"),
                    naissance: born,
                    sexe: Some('F'),
                },
            );
            let part = |role, name| {
                let at = met
                    .iter()
                    .find(|m| m.0 == role && m.1 == name)
                    .map_or(0, |m| m.2);
                names.parts[at].identity
            };
            let mut union = part(Role::FirstName, "LEA");
            union |= part(Role::Surname, "MARTIN");
            union |= part(Role::Mother, "LEA");
            if let Some(d) = born {
                union |= signer.finished(Clk::date_part(&key, d, Some('F'), &mut tokens));
            }
            assert_eq!(whole.map(|c| signer.finished(c)), Some(union));
        }
    }
}
