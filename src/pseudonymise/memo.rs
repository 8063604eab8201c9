//! What pseudonymisation remembers across the files of one reading session: the keyed
//! hashes of the encodings' tokens (bigrams, date and sex tokens) and the pseudonyms of
//! the values that recur from file to file and are not identifying on their own (the
//! birth-date control, the blocking keys: a birth year with a month or with a name's
//! first three letters). Each file started these memos empty: a national network's two
//! thousand files hashed the same bigrams and birth dates again, about six million
//! HMACs. Names and their letters are remembered within one run of rows only
//! ([`super::rows`]), so that no list of clear names outlives it.
//!
//! One memo per thread of the pool, each locked by the run of rows that uses it (so no
//! lock is taken a value). A memo serves one key and one finish: the first that uses
//! the session's memos owns them; a call with another key pseudonymises with a fresh
//! memo. Everything is wiped when the session ends (`Drop`), and a memo that grows past
//! its bound starts again empty.

use std::sync::{Mutex, OnceLock};

use polars::prelude::PlHashMap;

use super::bloom::TokenMemo;

/// The memo of one thread: token hashes and remembered pseudonyms (by memo key: slot
/// byte and fields, see `rows::Signer::append_memo`).
#[derive(Default)]
pub(super) struct Memo {
    pub(super) tokens: TokenMemo,
    pub(super) values: PlHashMap<Vec<u8>, Box<str>>,
}

/// Pseudonyms a memo remembers at most (a few tens of thousands of distinct birth dates
/// and blocking keys at national scale).
pub(super) const VALUES_CAPACITY: usize = 1 << 16;

impl Memo {
    /// Empties the remembered pseudonyms, wiping their keys.
    pub(super) fn clear_values(&mut self) {
        for (mut k, _) in self.values.drain() {
            zeroize::Zeroize::zeroize(&mut k);
        }
    }
}

impl Drop for Memo {
    fn drop(&mut self) {
        self.clear_values();
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
