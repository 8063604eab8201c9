//! What pseudonymisation remembers across the files of one reading session: the keyed
//! hashes of the encodings' tokens (bigrams, date and sex tokens), the pseudonyms of
//! the values that recur from file to file and are not identifying on their own (the
//! birth-date control, the blocking keys: a birth year with a month or with a name's
//! first three letters), what a birth date gives the identity encoding, and what each
//! name gives ([`super::rows`]'s `names`). Each file started these memos empty: a
//! national network's two thousand files hashed the same bigrams and birth dates again,
//! about six million HMACs; and names were made again in every run of rows.
//!
//! No clear name is kept: names are remembered by a keyed 128-bit hash of their
//! normalised form, under a key drawn for the memo and wiped with it; what they give is
//! what the extract holds of them anyway (keyed pseudonyms, encodings' bits).
//!
//! One memo per thread of the pool, each locked by the run of rows that uses it (so no
//! lock is taken a value). A memo serves one key and one finish: the first that uses
//! the session's memos owns them; a call with another key pseudonymises with a fresh
//! memo. Everything is wiped when the session ends (`Drop`), and a memo that grows past
//! its bound starts again empty.

use std::sync::{Mutex, OnceLock};

use polars::prelude::PlHashMap;

use super::bloom::{Clk, TokenMemo};
use super::rows::Signed;
use super::rows::names::NameMemo;

/// The memo of one thread: token hashes, remembered pseudonyms (by packed memo key, see
/// `rows::Signer::append_memo`), birth dates' bits and names' parts.
#[derive(Default)]
pub(super) struct Memo {
    pub(super) tokens: TokenMemo,
    pub(super) values: PlHashMap<u128, Signed>,
    /// A birth date's and sex's bits in the identity encoding, finished, by
    /// `rows::date_key`.
    pub(super) dates: PlHashMap<u64, Clk>,
    pub(super) names: NameMemo,
}

/// Pseudonyms, and birth dates, a memo remembers at most (a few tens of thousands of
/// distinct birth dates and blocking keys at national scale).
pub(super) const VALUES_CAPACITY: usize = 1 << 16;

impl Memo {
    /// Empties the remembered pseudonyms, wiping them.
    pub(super) fn clear_values(&mut self) {
        for (_, mut v) in self.values.drain() {
            v.wipe();
        }
    }

    /// Empties the remembered birth dates' bits, wiping them.
    pub(super) fn clear_dates(&mut self) {
        for (_, mut c) in self.dates.drain() {
            zeroize::Zeroize::zeroize(&mut c.0);
        }
    }
}

impl Drop for Memo {
    fn drop(&mut self) {
        self.clear_values();
        self.clear_dates();
    }
}

/// The memos of one reading session (see the module doc).
pub struct Memos {
    slots: Vec<Mutex<Memo>>,
    /// The key and finish the memos serve, set by their first use.
    owner: OnceLock<String>,
}

impl Default for Memos {
    fn default() -> Self {
        Memos::new()
    }
}

impl Memos {
    /// One memo per thread of the current thread pool.
    pub fn new() -> Memos {
        Memos {
            slots: (0..rayon::current_num_threads())
                .map(|_| Mutex::new(Memo::default()))
                .collect(),
            owner: OnceLock::new(),
        }
    }

    /// Wipes and frees every memo (the reading is over); they start again empty.
    pub fn clear(&self) {
        for slot in &self.slots {
            if let Ok(mut memo) = slot.lock() {
                *memo = Memo::default();
            }
        }
    }

    /// Runs `f` with this thread's memo when the memos serve `owner` and the thread has
    /// one free, else with a fresh memo.
    pub(super) fn with<R>(&self, owner: &str, f: impl FnOnce(&mut Memo) -> R) -> R {
        if self.owner.get_or_init(|| owner.to_string()) == owner
            && let Some(slot) = rayon::current_thread_index().and_then(|i| self.slots.get(i))
            && let Ok(mut memo) = slot.try_lock()
        {
            return f(&mut memo);
        }
        f(&mut Memo::default())
    }
}
