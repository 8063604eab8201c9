//! What two names' spellings say of each other in the fuzzy pass, whatever their order:
//! their letters ([`Letters`]: same letters, one letter apart, a rare spelling), how
//! many clusters carry each spelling ([`Spellings`]), whether two names are one slip
//! apart ([`slip`]) and how two first names relate ([`FirstNames`]).

use polars::prelude::PlHashMap;

use super::super::{Records, one_slip, shortened};
use super::profiles::Profile;
use crate::pseudonymise::bloom::Clk;
use crate::pseudonymise::letters;

/// What two names' letters say, whatever their order (`None`: unknown — an extract of an
/// earlier version, an unreadable value).
#[derive(Clone, Copy)]
pub(super) struct Letters {
    /// Spelled with the same letters (their letter controls are equal).
    pub(super) same: Option<bool>,
    /// At most one letter apart (their neighbourhoods meet).
    pub(super) near: Option<bool>,
    /// One of the two spellings is rare in the extract ([`RARE_SPELLING`]): most likely
    /// a slip of the pen rather than a name.
    pub(super) rare: bool,
}

impl Letters {
    /// Whether one name is a misspelling of the other whatever their bigrams: the same
    /// letters in another order, or one letter apart with one of the two spellings rare
    /// (twins' first names are both names; a slip of the pen is met in one child).
    pub(super) fn misspelt(&self) -> bool {
        self.same == Some(true) || (self.near == Some(true) && self.rare)
    }

    pub(super) fn of(
        (ca, na): (Option<&str>, Option<&[u8]>),
        (cb, nb): (Option<&str>, Option<&[u8]>),
        counts: &PlHashMap<&str, u32>,
    ) -> Letters {
        let same = ca.zip(cb).map(|(a, b)| a == b);
        let near = na
            .zip(nb)
            .and_then(|(a, b)| letters::one_letter_apart(a, b));
        let rare =
            |c: Option<&str>| c.is_some_and(|c| counts.get(c).is_none_or(|&n| n <= RARE_SPELLING));
        Letters {
            same,
            near,
            rare: rare(ca) || rare(cb),
        }
    }
}

/// Clusters a spelling's letters may be met in and still be read as rare: a slip of
/// the pen is carried by the records of one child (one cluster, two when the exact
/// keys left them apart); a first name or a surname is carried by many children.
const RARE_SPELLING: u32 = 2;

/// How many clusters carry each first name's and each surname's letters (their letter
/// controls), counted once over the profiles.
pub(super) struct Spellings<'a> {
    pub(super) first: PlHashMap<&'a str, u32>,
    pub(super) surname: PlHashMap<&'a str, u32>,
}

impl<'a> Spellings<'a> {
    pub(super) fn count(profiles: &[Profile], records: &Records<'a>) -> Spellings<'a> {
        let mut first: PlHashMap<&'a str, u32> = PlHashMap::default();
        let mut surname: PlHashMap<&'a str, u32> = PlHashMap::default();
        for p in profiles {
            if let Some(c) = p.first_name_letters(records).0 {
                *first.entry(c).or_default() += 1;
            }
            if let Some(c) = p.surname_letters(records).0 {
                *surname.entry(c).or_default() += 1;
            }
        }
        Spellings { first, surname }
    }
}

/// [`one_slip`], knowing the two names' letters: two common spellings more than one
/// letter apart are two names whatever their bigrams (`EMMA`, `EVA`: three bigrams lost,
/// two gained), a rare one is still a slip; without the neighbourhoods, the bigrams a
/// transposition changes (three lost, three gained) with other letters are two slips.
pub(super) fn slip(e: (u32, u32), letters: Letters) -> bool {
    // One name's bigrams all in the other's (a doubled letter, a compound name cut
    // short): as the bigrams say, whatever the letters.
    let contained = e.0.min(e.1) == 0;
    one_slip(e)
        && (contained
            || match letters.near {
                Some(true) => true,
                // Two common names more than one letter apart are two names (twins); a
                // rare spelling is a slip, and two slips can leave it that far.
                Some(false) => letters.rare,
                None => !(letters.same == Some(false) && e == TRANSPOSITION),
            })
}

/// The bigrams one transposition changes: three lost, three gained
/// ([`Clk::name_bigram_difference`]).
const TRANSPOSITION: (u32, u32) = (3, 3);

/// How two profiles' first names relate.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum FirstNames {
    /// Same encoding, or one side unknown.
    Same,
    /// One slip apart ([`one_slip`]).
    Slip,
    /// The same letters in another order (a transposition), or a rare spelling one
    /// letter from the other ([`Letters::misspelt`]): a slip, however few bigrams a
    /// short name keeps.
    Misspelt,
    /// One is the other's first part: the usual first name of a compound one
    /// ([`shortened`], the longer written as compound).
    Shortened,
    /// Further apart: another child.
    Other,
}

/// `compound`: whether each first name is written as compound. A name of one part
/// that holds all the other's bigrams but one is another name (`GABRIEL`, `GAEL`;
/// `MICHAEL`, `MAEL`; `WILLIAM`, `LIAM`), not its usual short form.
pub(super) fn first_name_relation(
    fa: Option<&Clk>,
    fb: Option<&Clk>,
    letters: Letters,
    compound: [bool; 2],
) -> FirstNames {
    match (fa, fb) {
        (Some(x), Some(y)) if x != y => {
            let e = x.name_bigram_difference(y);
            if letters.misspelt() {
                FirstNames::Misspelt
            } else if slip(e, letters) {
                FirstNames::Slip
            } else if shortened(e) && compound[usize::from(e.0 <= e.1)] {
                FirstNames::Shortened
            } else {
                FirstNames::Other
            }
        }
        _ => FirstNames::Same,
    }
}
