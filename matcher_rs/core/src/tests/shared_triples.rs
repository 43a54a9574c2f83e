//! The shared-triples kernel for many payments of one customer at k = 4 and 5.

use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Many payments with k in 4..=5: the shared-triples kernel gives every payment the
    /// candidates, ranking, count and outcome of a separate call (ample budget), and a
    /// tight budget never turns into a silent guess.
    #[test]
    fn shared_triples_multi_equals_one_call_per_payment(
        items in (prop::collection::vec(1i64..=1_000, 4), arb_items(10, 1_000)).prop_map(
            |(first, rest)| first.into_iter().map(Item::plain).chain(rest).collect::<Vec<_>>()),
        picks in prop::collection::vec(
            prop::collection::vec(any::<prop::sample::Index>(), 1..=5), 16..24),
        max_items in 4i64..=6,
        tol in prop_oneof![Just(0i64), 0i64..60],
        offsets in prop::collection::vec(-40i64..40, 24),
        node_budget in prop_oneof![Just(5_000_000i64), 0i64..3_000],
        max_candidates in 0i64..4,
    ) {
        let payments: Vec<i64> = picks
            .iter()
            .zip(&offsets)
            .map(|(p, o)| {
                p.iter()
                    .map(|ix| items[ix.index(items.len())].amount_minor)
                    .sum::<i64>()
                    .saturating_add(*o)
                    .max(1)
            })
            .collect();
        let lim = Limits { max_items, tolerance_minor: tol, node_budget, max_candidates, memory_limit_bytes: i64::MAX, max_solutions: 0 };
        let shared = use_shared_triples(&items, max_items, payments.len());
        let got = solve_one_to_many_multi(&items, &payments, &lim).unwrap();
        prop_assert_eq!(got.len(), payments.len());
        for (s, &p) in got.iter().zip(&payments) {
            let want = solve_one_to_many(&items, p, &lim).unwrap();
            if !shared || s.algorithm != Algorithm::KsumSharedTriples {
                prop_assert_eq!(s, &want);
            } else if want.outcome != Outcome::BudgetExhausted {
                prop_assert_eq!(verdict(s), verdict(&want));
            } else {
                prop_assert!(s.outcome != Outcome::BudgetExhausted);
                prop_assert!(s.nodes <= u64::try_from(node_budget).unwrap());
                let all = Limits { node_budget: 1 << 40, ..lim };
                let full = solve_one_to_many(&items, p, &all).unwrap();
                prop_assert_eq!(verdict(s), verdict(&full));
            }
        }
    }
}

#[test]
fn shared_triples_serves_many_payments_at_k_4_and_5() {
    let items: Vec<Item> = (0..30)
        .map(|i| Item {
            amount_minor: 100 + 37 * i,
            discounted_minor: (i % 3 == 0).then_some(90 + 37 * i),
            due_ordinal: i,
            reference_score: 0,
        })
        .collect();
    let payments: Vec<i64> = (0..40).map(|j| 500 + 61 * j).collect();
    for max_items in [4, 5] {
        let lim = Limits {
            max_items,
            tolerance_minor: 7,
            ..Limits::default()
        };
        assert!(use_shared_triples(&items, max_items, payments.len()));
        assert!(!use_shared_triples(
            &items,
            max_items,
            SHARED_MIN_PAYMENTS - 1
        ));
        let got = solve_one_to_many_multi(&items, &payments, &lim).unwrap();
        for (s, &p) in got.iter().zip(&payments) {
            let want = solve_one_to_many(&items, p, &lim).unwrap();
            assert_eq!(s.algorithm, Algorithm::KsumSharedTriples);
            assert_eq!(verdict(s), verdict(&want));
        }
        // Tables larger than the budget: every payment takes the per-payment path.
        let tight = Limits {
            node_budget: 1000,
            ..lim
        };
        let got = solve_one_to_many_multi(&items, &payments, &tight).unwrap();
        for (s, &p) in got.iter().zip(&payments) {
            assert_eq!(s, &solve_one_to_many(&items, p, &tight).unwrap());
        }
    }
    assert!(!use_shared_triples(&items, 3, 100));
}

#[test]
fn shared_triples_with_amounts_too_wide_to_pack() {
    let unit = 1i64 << 48;
    let items: Vec<Item> = (0..20)
        .map(|i| Item {
            amount_minor: unit + 37 * i,
            discounted_minor: (i % 4 == 0).then_some(unit - 5 + 37 * i),
            due_ordinal: i,
            reference_score: 0,
        })
        .collect();
    let payments: Vec<i64> = (0..24).map(|j| 4 * unit + 61 * j).collect();
    let lim = Limits {
        max_items: 5,
        tolerance_minor: 40,
        ..Limits::default()
    };
    assert!(use_shared_triples(&items, 5, payments.len()));
    let got = solve_one_to_many_multi(&items, &payments, &lim).unwrap();
    for (s, &p) in got.iter().zip(&payments) {
        assert_eq!(s.algorithm, Algorithm::KsumSharedTriples);
        assert_eq!(
            verdict(s),
            verdict(&solve_one_to_many(&items, p, &lim).unwrap())
        );
    }
    assert!(got.iter().any(|s| s.candidate_count > 0));
}
