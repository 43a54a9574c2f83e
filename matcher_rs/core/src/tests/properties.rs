//! Every kernel against the brute-force oracle, on random instances.

use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn every_algorithm_equals_the_oracle(
        items in arb_items(9, 40),
        payment in 1i64..150,
        max_items in 1usize..10,
        tol in prop_oneof![Just(0i64), 0i64..4, 0i64..60],
    ) {
        let want = oracle(&items, payment, max_items, tol);
        let k = max_items.min(items.len());
        let mut algs = vec![Algorithm::HorowitzSahni, Algorithm::BranchAndBound];
        if k <= 2 { algs.push(Algorithm::TwoPointer); }
        if (3..=5).contains(&k) { algs.push(Algorithm::KsumMitm); }
        for alg in algs {
            for multi in [false, true] {
                let got = force(&items, payment, max_items, tol, alg, multi);
                prop_assert_eq!(&got, &want, "{:?} multi={}", alg, multi);
            }
        }
        let s = solve_one_to_many(&items, payment, &limits(max_items as i64, tol)).unwrap();
        prop_assert_eq!(s.candidates, want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Wide amounts: the pair table's bit map uses coarse buckets (shift > 0).
    #[test]
    fn ksum_equals_the_oracle_with_wide_amounts(
        items in arb_items(11, 1_000_000),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 1..=5),
        max_items in 3usize..=5,
        tol in prop_oneof![Just(0i64), 0i64..2_000],
        offset in -500i64..500,
    ) {
        prop_assume!(items.len() >= 3);
        let payment = picks
            .iter()
            .map(|ix| items[ix.index(items.len())].amount_minor)
            .sum::<i64>()
            .saturating_add(offset)
            .max(1);
        let want = oracle(&items, payment, max_items, tol);
        for multi in [false, true] {
            let got = force(&items, payment, max_items, tol, Algorithm::KsumMitm, multi);
            prop_assert_eq!(&got, &want, "multi={}", multi);
        }
    }
}
