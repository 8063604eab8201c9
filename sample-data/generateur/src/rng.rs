//! Deterministic random helpers.
//!
//! Only the raw `ChaCha8Rng` output stream is used; all sampling (ranges,
//! probabilities, shuffles) is implemented here so that the generated files
//! do not depend on `rand`'s sampling algorithms or feature flags (feature
//! unification inside a workspace could otherwise change the bytes).

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The fixed seed of the synthetic world.
pub const SEED: u64 = 20_240_115;

/// Random source of the generator.
pub struct Rng(ChaCha8Rng);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// A generator on an independent stream of the same seed: the files added
    /// after the first ones draw from their own stream, so that they do not
    /// shift the draws (and the bytes) of the files written before them.
    pub fn stream(seed: u64, stream: u64) -> Self {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        r.set_stream(stream);
        Rng(r)
    }

    /// Uniform integer in `0..n` (`n > 0`; returns 0 when `n == 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform integer in `lo..=hi` (returns `lo` when `hi < lo`).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Index drawn with the given integer weights (at least one positive).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(SEED);
        let mut b = Rng::new(SEED);
        for _ in 0..100 {
            assert_eq!(a.range(-5, 17), b.range(-5, 17));
        }
    }

    #[test]
    fn range_bounds() {
        let mut r = Rng::new(1);
        for _ in 0..1000 {
            let x = r.range(3, 5);
            assert!((3..=5).contains(&x));
        }
        assert_eq!(r.range(4, 4), 4);
    }

    #[test]
    fn streams_are_independent() {
        let mut a = Rng::stream(SEED, 1);
        let mut b = Rng::stream(SEED, 1);
        let mut c = Rng::new(SEED);
        let (xa, xb, xc): (Vec<u64>, Vec<u64>, Vec<u64>) = (
            (0..8).map(|_| a.below(1 << 40)).collect(),
            (0..8).map(|_| b.below(1 << 40)).collect(),
            (0..8).map(|_| c.below(1 << 40)).collect(),
        );
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }
}
