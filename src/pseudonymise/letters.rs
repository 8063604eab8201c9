//! The letters of a name, whatever their order, as linkage compares them without the
//! name: the letter control (the name's letters sorted, keyed: equal for a
//! transposition) and the letter neighbourhood (keyed 16-bit values of the sorted
//! letters and of every way to drop one of them: two neighbourhoods meet when the names
//! are at most one letter apart — one substituted, added or dropped, in any order).
//! Owns the neighbourhood's form in the extract and its re-keying at the observatory
//! (docs/architecture.md, Linkage).
//!
//! Both are functions of the name coarser than its bigram encoding, which holds its
//! letters: they tell the observatory nothing the extract did not already hold.

use super::keys::SecretKey;

/// Domain of the keyed values of a neighbourhood.
const NEIGHBOURHOOD_DOMAIN: &str = "observatoire/voisins-lettres/v1";
/// Domain of the observatory's permutation of those values.
const PERMUTATION_DOMAIN: &str = "observatoire/voisins-permutation/v1";
/// Values a neighbourhood element can take (16 bits: two names that share one by chance
/// — about one pair in a thousand — are only read as close, which the rest of the
/// comparison still weighs).
const VALUES: usize = 1 << 16;

/// The letters of a normalised name (upper-case ASCII) in alphabetical order.
pub fn sorted(name: &str) -> Vec<u8> {
    let mut letters = name.as_bytes().to_vec();
    letters.sort_unstable();
    letters
}

/// Calls `f` with each multiset of a neighbourhood, as sorted letters: the name's
/// letters, then the letters with one occurrence of each distinct letter dropped.
pub fn multisets(sorted: &[u8], mut f: impl FnMut(&[u8])) {
    f(sorted);
    let mut buf = Vec::with_capacity(sorted.len());
    for (i, &c) in sorted.iter().enumerate() {
        if i > 0 && sorted[i - 1] == c {
            continue;
        }
        buf.clear();
        buf.extend_from_slice(&sorted[..i]);
        buf.extend_from_slice(&sorted[i + 1..]);
        f(&buf);
    }
}

/// The key of the neighbourhood values: SipHash-2-4 keys drawn once from the
/// collective's key (an HMAC under [`NEIGHBOURHOOD_DOMAIN`]), wiped on drop. SipHash is
/// a keyed pseudo-random function made for short inputs: a dozen values a name cost
/// what one HMAC does.
pub struct LetterKey([u64; 2]);

impl LetterKey {
    pub fn new(key: &SecretKey) -> LetterKey {
        let mac = key.mac(NEIGHBOURHOOD_DOMAIN, &[b"siphash"]);
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&mac[i..i + 8]);
            u64::from_le_bytes(w)
        };
        LetterKey([word(0), word(8)])
    }

    /// The keyed value of one multiset (16 bits of its SipHash).
    pub fn value(&self, sorted: &[u8]) -> u16 {
        use std::hash::Hasher;
        let mut h = siphasher::sip::SipHasher24::new_with_keys(self.0[0], self.0[1]);
        h.write(sorted);
        h.finish() as u16
    }
}

impl Drop for LetterKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// A neighbourhood as the extract stores it: its distinct values in ascending order,
/// two bytes each, little-endian.
pub fn to_bytes(values: &mut Vec<u16>) -> Vec<u8> {
    values.sort_unstable();
    values.dedup();
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn values(bytes: &[u8]) -> Option<impl Iterator<Item = u16> + '_> {
    (bytes.len().is_multiple_of(2)).then(|| {
        bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
    })
}

/// Whether a stored neighbourhood is readable (an even number of bytes).
pub fn readable(bytes: &[u8]) -> bool {
    bytes.len().is_multiple_of(2)
}

/// Whether two neighbourhoods share a value: the names are at most one letter apart,
/// whatever the order of their letters. `None` when either is unreadable.
pub fn one_letter_apart(a: &[u8], b: &[u8]) -> Option<bool> {
    let (mut x, mut y) = (values(a)?.peekable(), values(b)?.peekable());
    // Both ascending: one merge.
    while let (Some(&p), Some(&q)) = (x.peek(), y.peek()) {
        match p.cmp(&q) {
            std::cmp::Ordering::Equal => return Some(true),
            std::cmp::Ordering::Less => {
                x.next();
            }
            std::cmp::Ordering::Greater => {
                y.next();
            }
        }
    }
    Some(false)
}

/// The observatory's permutation of the 65 536 values, derived from its key.
pub fn keyed_permutation(key: &SecretKey) -> Vec<u16> {
    let mut perm: Vec<u16> = (0..VALUES).map(|v| v as u16).collect();
    super::bloom::shuffle(key, PERMUTATION_DOMAIN, &mut perm);
    perm
}

/// A stored neighbourhood re-keyed: every value through `perm`, in ascending order
/// again. `None` when unreadable.
pub fn permute(bytes: &[u8], perm: &[u16]) -> Option<Vec<u8>> {
    let mut out: Vec<u16> = values(bytes)?
        .map(|v| perm.get(usize::from(v)).copied().unwrap_or(v))
        .collect();
    Some(to_bytes(&mut out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neighbourhood(key: &SecretKey, name: &str) -> Vec<u8> {
        let key = LetterKey::new(key);
        let mut v = Vec::new();
        multisets(&sorted(name), |m| v.push(key.value(m)));
        to_bytes(&mut v)
    }

    /// The multisets of a name's neighbourhood, unhashed.
    fn unhashed(name: &str) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        multisets(&sorted(name), |m| v.push(m.to_vec()));
        v
    }

    #[test]
    fn neighbourhoods_meet_one_letter_apart_whatever_the_order() {
        let key = SecretKey::from_bytes([3; 32]);
        let n = |s: &str| neighbourhood(&key, s);
        let meet = |a: &str, b: &str| unhashed(a).iter().any(|m| unhashed(b).contains(m));
        // One letter substituted, added, dropped, doubled, or letters swapped: one edit,
        // alone or with a transposition. Hashed values of equal multisets are equal, so
        // these always meet.
        for (a, b) in [
            ("CHLOE", "CHLOE"),
            ("LEO", "LOE"),
            ("CHLOE", "CLHLE"),
            ("MATHIS", "MATTIHS"),
            ("LEA", "LENA"),
            ("ADELE", "ADELLE"),
            ("BIGOT", "BGIIT"),
            ("A", "B"),
        ] {
            assert!(meet(a, b) && meet(b, a), "{a} {b}");
            assert_eq!(one_letter_apart(&n(a), &n(b)), Some(true), "{a} {b}");
        }
        // Two letters apart or more: twins' first names, another family's surname.
        let far = [
            ("INES", "IRIS"),
            ("ADELE", "JADE"),
            ("LISA", "LYA"),
            ("EMMA", "EVA"),
            ("MERCIER", "MEUNIER"),
            ("LOUISE", "LOUANE"),
        ];
        for (a, b) in far {
            assert!(!meet(a, b), "{a} {b}");
        }
        // Hashed to 16 bits, two far neighbourhoods meet by chance about
        // |A|·|B| / 65 536 of the time (`LOUISE`, `LOUANE` do under this key: read as
        // close, the rest of the comparison still weighs them). Over many pairs of far
        // names, the rate stays of that order.
        let names: Vec<String> = (0..400u32)
            .map(|i| {
                let mut x = i.wrapping_mul(2_654_435_761);
                (0..6)
                    .map(|_| {
                        x = x.rotate_left(5) ^ 0x9E37_79B9;
                        char::from(b'A' + (x % 26) as u8)
                    })
                    .collect()
            })
            .collect();
        let (mut pairs, mut chance) = (0u32, 0u32);
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                if !meet(a, b) {
                    pairs += 1;
                    chance += u32::from(one_letter_apart(&n(a), &n(b)) == Some(true));
                }
            }
        }
        assert!(pairs > 70_000);
        assert!(
            f64::from(chance) / f64::from(pairs) < 0.002,
            "{chance} / {pairs}"
        );
        // Unreadable values are not read as anything.
        assert_eq!(one_letter_apart(&[1, 2, 3], &n("LEA")), None);
        // Another key, other values.
        let other = SecretKey::from_bytes([4; 32]);
        assert_ne!(neighbourhood(&other, "LEA"), n("LEA"));
    }

    #[test]
    fn the_permutation_keeps_which_neighbourhoods_meet() {
        let key = SecretKey::from_bytes([3; 32]);
        let perm = keyed_permutation(&SecretKey::from_bytes([9; 32]));
        let mut seen = perm.clone();
        seen.sort_unstable();
        assert!(seen.iter().enumerate().all(|(i, &v)| usize::from(v) == i));
        let n = |s: &str| permute(&neighbourhood(&key, s), &perm).unwrap();
        assert_ne!(n("LEA"), neighbourhood(&key, "LEA"));
        assert_eq!(one_letter_apart(&n("LEO"), &n("LOE")), Some(true));
        assert_eq!(one_letter_apart(&n("LEA"), &n("LENA")), Some(true));
        assert_eq!(one_letter_apart(&n("EMMA"), &n("EVA")), Some(false));
        assert_eq!(permute(&[1], &perm), None);
    }
}
