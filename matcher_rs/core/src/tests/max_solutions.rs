//! `limits.max_solutions`: the search stops once that many sets are found. A search cut
//! there answers SOLUTION_LIMIT with item sets that all belong to the full answer (each in
//! a variant within the tolerance, the first met: not necessarily its best one) and no more
//! work than the full search; a search that ends anyway equals the full search exactly.

use super::*;

/// The one-payment property, checked against the unlimited call on the same instance.
fn check_limited(
    items: &[Item],
    payment: i64,
    lim: &Limits,
    max_solutions: i64,
) -> Result<(), TestCaseError> {
    let full = solve_one_to_many(items, payment, lim).unwrap();
    let cut = Limits {
        max_solutions,
        ..*lim
    };
    let got = solve_one_to_many(items, payment, &cut).unwrap();
    prop_assert_eq!(got.algorithm, full.algorithm);
    if got.outcome != Outcome::SolutionLimit {
        // Never stopped by the limit (or it stopped on the search's last tick): the same
        // search ran to the same end.
        prop_assert_eq!(&got, &full);
        return Ok(());
    }
    prop_assert_eq!(got.candidate_count, max_solutions as u64);
    prop_assert!(got.nodes <= full.nodes);
    let sets = oracle(items, payment, lim.max_items as usize, lim.tolerance_minor);
    for c in &got.candidates {
        prop_assert!(sets.iter().any(|o| o.item_indices == c.item_indices));
        let total: i64 = c
            .item_indices
            .iter()
            .zip(&c.discounted)
            .map(|(&i, &d)| {
                let it = &items[i as usize];
                if d {
                    it.discounted_minor.unwrap()
                } else {
                    it.amount_minor
                }
            })
            .sum();
        prop_assert_eq!(total, c.total_minor);
        prop_assert!((payment - total).abs() <= lim.tolerance_minor);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_limited_search_finds_sets_of_the_full_answer(
        items in arb_items(14, 60),
        payment in 1i64..250,
        max_items in 1i64..9,
        tol in prop_oneof![Just(0i64), 0i64..30],
        node_budget in prop_oneof![Just(5_000_000i64), 0i64..400],
        max_solutions in 1i64..4,
    ) {
        let lim = Limits { max_items, tolerance_minor: tol, node_budget, max_candidates: i64::MAX, memory_limit_bytes: i64::MAX, max_solutions: 0 };
        check_limited(&items, payment, &lim, max_solutions)?;
    }

    #[test]
    fn a_limited_subset_dp_search_finds_sets_of_the_full_answer(
        amounts in prop::collection::vec(1i64..30, 12..20),
        payment in 1i64..200,
        tol in 0i64..4,
        max_solutions in 1i64..4,
    ) {
        let items: Vec<Item> = amounts.into_iter().map(Item::plain).collect();
        let lim = Limits { max_items: 12, tolerance_minor: tol, node_budget: 5_000_000, max_candidates: i64::MAX, memory_limit_bytes: i64::MAX, max_solutions: 0 };
        prop_assume!(choose_algorithm_for_payment(&items, 12, payment, tol) == Algorithm::SubsetDp);
        check_limited(&items, payment, &lim, max_solutions)?;
    }

    #[test]
    fn a_limited_multi_call_equals_limited_separate_calls(
        items in arb_items(12, 60),
        payments in prop::collection::vec(1i64..250, 0..20),
        max_items in 1i64..7,
        max_solutions in 0i64..3,
    ) {
        let lim = Limits { max_items, max_solutions, ..Limits::default() };
        let got = solve_one_to_many_multi(&items, &payments, &lim).unwrap();
        for (s, &p) in got.iter().zip(&payments) {
            let one = solve_one_to_many(&items, p, &lim).unwrap();
            if s.algorithm == Algorithm::KsumSharedTriples {
                prop_assert_eq!(verdict(s), verdict(&one));
            } else {
                prop_assert_eq!(s, &one);
            }
        }
    }
}

#[test]
fn the_first_set_ends_a_find_one_search() {
    // 10 + 20 and 30 both pay 30; singles come first, so 30 is found first.
    let items: Vec<Item> = [10, 20, 30, 5].into_iter().map(Item::plain).collect();
    let lim = Limits {
        max_solutions: 1,
        ..Limits::default()
    };
    let s = solve_one_to_many(&items, 30, &lim).unwrap();
    assert_eq!(s.outcome, Outcome::SolutionLimit);
    assert_eq!(s.candidate_count, 1);
    assert_eq!(s.candidates[0].item_indices, vec![2]);
    let all = solve_one_to_many(&items, 30, &Limits::default()).unwrap();
    assert_eq!(all.candidate_count, 2);
    assert!(s.nodes < all.nodes);
}

#[test]
fn a_negative_solution_limit_is_refused() {
    let lim = Limits {
        max_solutions: -1,
        ..Limits::default()
    };
    let e = solve_one_to_many(&[Item::plain(5)], 5, &lim).unwrap_err();
    assert_eq!(
        e,
        SolveError::Invalid("limits.max_solutions must be >= 0".into())
    );
    let e = solve_one_to_many_multi(&[Item::plain(5)], &[5], &lim).unwrap_err();
    assert_eq!(
        e,
        SolveError::Invalid("limits.max_solutions must be >= 0".into())
    );
}
