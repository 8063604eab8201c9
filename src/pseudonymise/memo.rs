//! What pseudonymisation remembers across the files of one reading session: the keyed
//! hashes of the encodings' tokens (bigrams, date and sex tokens), the pseudonyms of
//! the values that recur from file to file and are not identifying on their own (the
//! birth-date control, the blocking keys: a birth year with a month or with a name's
//! first three letters), what a birth date gives the identity encoding, and what each
//! name gives ([`super::rows`]'s `names`). Each file started these memos empty: a
//! national network's two thousand files hashed the same bigrams and birth dates again,
//! about six million HMACs; and names were made again in every run of rows.
//!
//! No clear value is kept as a key: names, birth dates and the texts of the remembered
//! values are found by a keyed 128-bit hash of them ([`Keyed`], under a key drawn for
//! the memo and wiped with it). What is remembered is keyed (pseudonyms, encodings'
//! bits: a name's own share of the identity encoding among them) and wiped in place when
//! a memo is emptied or dropped; copies a table left behind as it grew hold only keyed
//! values and hashes.
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

/// The memo of one thread: token hashes, remembered pseudonyms (by the keyed hash of
/// their packed memo key, see `rows::Signer::append_memo`), birth dates' bits and
/// names' parts.
#[derive(Default)]
pub(super) struct Memo {
    pub(super) tokens: TokenMemo,
    /// The hash of the remembered values' and birth dates' keys.
    pub(super) keyed: Keyed,
    pub(super) values: PlHashMap<u128, Signed>,
    /// A birth date's and sex's bits in the identity encoding, finished, by the keyed
    /// hash of `rows::date_key`.
    pub(super) dates: PlHashMap<u128, Clk>,
    pub(super) names: NameMemo,
}

/// A keyed 128-bit hash (SipHash-1-3) under a key drawn from the system at first use and
/// wiped on drop: what a memo finds its entries by, so that no clear name, birth date or
/// name's first letters is kept as a key. Two distinct values of a session share a hash
/// with a probability of about 10⁻²⁹. Each hash copies the key into the SipHash state on
/// the stack, as every MAC copies the keyed HMAC state; only the memo's own copy is
/// wiped.
#[derive(Default)]
pub(super) struct Keyed {
    key: Option<[u64; 2]>,
}

impl Keyed {
    pub(super) fn hash(&mut self, bytes: &[u8]) -> u128 {
        let [k0, k1] = *self.key.get_or_insert_with(draw_key);
        siphasher::sip128::SipHasher13::new_with_keys(k0, k1)
            .hash(bytes)
            .as_u128()
    }
}

impl Drop for Keyed {
    fn drop(&mut self) {
        if let Some(k) = self.key.as_mut() {
            zeroize::Zeroize::zeroize(k);
        }
    }
}

/// A key for [`Keyed`]: from the system, or, should it have none to give, from the
/// standard library's per-process random hashing keys.
fn draw_key() -> [u64; 2] {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_ok() {
        let k0 = u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default());
        let k1 = u64::from_le_bytes(bytes[8..].try_into().unwrap_or_default());
        zeroize::Zeroize::zeroize(&mut bytes);
        return [k0, k1];
    }
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    let draw = |salt: u64| {
        let mut h = state.build_hasher();
        h.write_u64(salt);
        h.finish()
    };
    [draw(0), draw(1)]
}

/// Pseudonyms, and birth dates, a memo remembers at most (a few tens of thousands of
/// distinct birth dates and blocking keys at national scale).
pub(super) const VALUES_CAPACITY: usize = 1 << 16;

impl Memo {
    /// Empties the remembered pseudonyms, wiping them in place.
    pub(super) fn clear_values(&mut self) {
        for v in self.values.values_mut() {
            v.wipe();
        }
        self.values.clear();
    }

    /// Empties the remembered birth dates' bits, wiping them in place.
    pub(super) fn clear_dates(&mut self) {
        for c in self.dates.values_mut() {
            zeroize::Zeroize::zeroize(&mut c.0);
        }
        self.dates.clear();
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
        Memos::for_threads(rayon::current_num_threads())
    }

    /// One memo per thread of a pool of `threads` (the reading's: `ingest::reading_lanes`).
    pub fn for_threads(threads: usize) -> Memos {
        Memos {
            slots: (0..threads).map(|_| Mutex::new(Memo::default())).collect(),
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
