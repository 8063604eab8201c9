//! Unit tests of `fuzzy`.

proptest::proptest! {
    /// The count chosen at run time equals the portable one, and Dice equals the
    /// encodings' own.
    #[test]
    fn common_ones_count_the_shared_bits(
        a in proptest::collection::vec(proptest::num::u8::ANY, 128),
        b in proptest::collection::vec(proptest::num::u8::ANY, 128),
    ) {
        let shared: u32 = a.iter().zip(&b).map(|(x, y)| (x & y).count_ones()).sum();
        proptest::prop_assert_eq!(super::common_ones(&a, &b), shared);
        proptest::prop_assert_eq!(super::common_ones_portable(&a, &b), shared);
        let clk = |v: &[u8]| crate::pseudonymise::bloom::Clk::from_bytes(v);
        if let (Some(x), Some(y)) = (clk(&a), clk(&b)) {
            proptest::prop_assert_eq!(
                super::dice(&a, x.count_ones(), &b, y.count_ones()),
                x.dice(&y)
            );
        }
    }
}
