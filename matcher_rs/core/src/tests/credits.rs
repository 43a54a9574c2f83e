//! Credit memos (negative amounts) netted inside a one-to-many set.

use super::*;

/// Items of which about a third are credit memos (negative amounts, no discount).
fn arb_items_with_credits(max_n: usize, max_amount: i64) -> impl Strategy<Value = Vec<Item>> {
    prop::collection::vec(
        (arb_items(1, max_amount), 0u8..3, 1..=max_amount),
        0..=max_n,
    )
    .prop_map(|raw| {
        raw.into_iter()
            .filter_map(|(one, credit, c)| {
                let mut it = *one.first()?;
                if credit == 0 {
                    it.amount_minor = -c;
                    it.discounted_minor = None;
                }
                Some(it)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn every_algorithm_nets_credits_like_the_oracle(
        items in arb_items_with_credits(9, 40),
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

#[test]
fn credits_are_netted_in_one_to_many_and_refused_elsewhere() {
    let items = [Item::plain(100), Item::plain(80), Item::plain(-30)];
    let s = solve_one_to_many(&items, 150, &Limits::default()).unwrap();
    assert_eq!(s.outcome, Outcome::Matched);
    assert_eq!(s.candidates[0].item_indices, vec![0, 1, 2]);
    let e = solve_one_to_many(&[Item::plain(0)], 5, &Limits::default()).unwrap_err();
    assert_eq!(e.to_string(), "items[0].amount_minor must not be 0");
    let credit = Item {
        discounted_minor: Some(3),
        ..Item::plain(-5)
    };
    let e = solve_one_to_many(&[credit], 5, &Limits::default()).unwrap_err();
    assert!(e
        .to_string()
        .starts_with("items[0].discounted_minor must be absent"));
    let e = solve_one_to_many(&[Item::plain(i64::MIN + 1)], 5, &Limits::default()).unwrap_err();
    assert!(matches!(e, SolveError::Overflow(_)));
    let e = solve_many_to_many(&items, &[150], &ManyLimits::default()).unwrap_err();
    assert_eq!(e.to_string(), "items[2].amount_minor must be > 0");
}
