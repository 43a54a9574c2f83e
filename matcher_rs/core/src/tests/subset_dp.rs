//! The witness-table DP.

use super::*;

fn plain_items(max_n: usize, max_amount: i64) -> impl Strategy<Value = Vec<Item>> {
    arb_items(max_n, max_amount).prop_map(|items| {
        items
            .into_iter()
            .map(|it| Item {
                discounted_minor: None,
                ..it
            })
            .collect()
    })
}

fn dp_limits(max_items: usize, tol: i64, node_budget: i64, max_candidates: i64) -> Limits {
    Limits {
        max_items: max_items as i64,
        tolerance_minor: tol,
        node_budget,
        max_candidates,
        memory_limit_bytes: i64::MAX,
        max_solutions: 0,
    }
}

/// `subset_dp` forced, whatever the rule would choose.
fn force_dp(items: &[Item], payment: i64, lim: &Limits) -> Solution {
    let k = effective_k(items.len(), lim.max_items);
    dp::solve(items, k, payment, lim)
}

/// What the hashing kernels return through `finish_one` (forced `alg`, ample budget).
fn by_engine(items: &[Item], payment: i64, lim: &Limits, alg: Algorithm) -> Solution {
    let k = effective_k(items.len(), lim.max_items);
    let mut budget = engine::Budget::new(i64::MAX);
    let mut found = engine::Collector::new(items);
    let eng = engine::Engine::prepare(
        items,
        k,
        lim.tolerance_minor,
        alg,
        false,
        Some(payment),
        &mut budget,
    );
    eng.unwrap()
        .query(payment, &mut budget, &mut found)
        .unwrap();
    let (outcome, candidates, count) =
        rank::finish_one(items, payment, found, true, false, lim.max_candidates);
    Solution {
        outcome,
        candidates,
        candidate_count: count,
        algorithm: alg,
        nodes: 0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Both tables (counts for k < n, bits for k >= n) and every window width.
    #[test]
    fn subset_dp_equals_the_oracle(
        items in plain_items(12, 40),
        payment in 1i64..200,
        max_items in 1usize..14,
        tol in prop_oneof![Just(0i64), 0i64..4, 0i64..90],
    ) {
        let want = oracle(&items, payment, max_items, tol);
        let s = force_dp(&items, payment, &dp_limits(max_items, tol, i64::MAX, i64::MAX));
        prop_assert_eq!(s.candidate_count, want.len() as u64);
        prop_assert_eq!(s.candidates, want);
        prop_assert_ne!(s.outcome, Outcome::BudgetExhausted);
    }

    /// Amounts and windows past 64: multi-word bit shifts and window minima over blocks.
    #[test]
    fn subset_dp_equals_the_oracle_with_wide_amounts(
        items in plain_items(11, 400),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 1..=8),
        max_items in 1usize..12,
        tol in prop_oneof![Just(0i64), 0i64..300],
        offset in -200i64..200,
    ) {
        prop_assume!(!items.is_empty());
        let payment = picks
            .iter()
            .map(|ix| items[ix.index(items.len())].amount_minor)
            .sum::<i64>()
            .saturating_add(offset)
            .max(1);
        let want = oracle(&items, payment, max_items, tol);
        let s = force_dp(&items, payment, &dp_limits(max_items, tol, i64::MAX, i64::MAX));
        prop_assert_eq!(s.candidates, want);
    }

    /// Outcome, truncation and count as the hashing kernels report them; a tight budget
    /// is reported, never a silent guess, and nodes never exceed the budget by more than 1.
    #[test]
    fn subset_dp_solution_equals_branch_and_bound(
        items in plain_items(12, 30),
        payment in 1i64..150,
        max_items in 1usize..14,
        tol in prop_oneof![Just(0i64), 0i64..40],
        max_candidates in 0i64..5,
        node_budget in prop_oneof![Just(i64::MAX), 0i64..300],
    ) {
        let lim = dp_limits(max_items, tol, node_budget, max_candidates);
        let s = force_dp(&items, payment, &lim);
        let want = by_engine(&items, payment, &lim, Algorithm::BranchAndBound);
        if s.outcome == Outcome::BudgetExhausted {
            prop_assert!(s.nodes == node_budget as u64 + 1 || s.nodes > node_budget as u64);
            prop_assert!(s.candidate_count <= want.candidate_count);
            for c in &s.candidates {
                prop_assert!(want_contains(&items, payment, max_items, tol, c));
            }
        } else {
            prop_assert!(s.nodes <= node_budget as u64);
            prop_assert_eq!(verdict(&s), verdict(&want));
        }
    }

    #[test]
    fn multi_with_subset_dp_equals_one_call_per_payment(
        items in plain_items(14, 50),
        payments in prop::collection::vec(1i64..300, 0..6),
        max_items in 6i64..16,
        tol in prop_oneof![Just(0i64), 0i64..30],
        node_budget in prop_oneof![Just(5_000_000i64), 0i64..400],
        max_candidates in 0i64..4,
    ) {
        let lim = Limits { max_items, tolerance_minor: tol, node_budget, max_candidates, memory_limit_bytes: i64::MAX, max_solutions: 0 };
        let got = solve_one_to_many_multi(&items, &payments, &lim).unwrap();
        for (s, &p) in got.iter().zip(&payments) {
            prop_assert_eq!(s, &solve_one_to_many(&items, p, &lim).unwrap());
        }
    }
}

/// Whether `c` is a candidate of the definition (a set within the window, full amounts).
fn want_contains(items: &[Item], payment: i64, max_items: usize, tol: i64, c: &Candidate) -> bool {
    oracle(items, payment, max_items, tol).contains(c)
}

#[test]
fn payment_rule_picks_subset_dp_where_its_table_is_small() {
    let twenty: Vec<Item> = (1..=20).map(Item::plain).collect();
    let sixty: Vec<Item> = (1..=60).map(Item::plain).collect();
    let rule = choose_algorithm_for_payment;
    assert_eq!(rule(&twenty, 5, 7, 0), Algorithm::KsumMitm);
    // 21 table nodes against 2,048 half-table entries; a large target reverses that.
    assert_eq!(rule(&twenty, 8, 7, 0), Algorithm::SubsetDp);
    assert_eq!(rule(&twenty, 8, 7_000, 0), Algorithm::HorowitzSahni);
    // From branch-and-bound whenever the table fits: 61 * 275,036 cells do, one more not.
    assert_eq!(rule(&sixty, 8, 7, 0), Algorithm::SubsetDp);
    assert_eq!(rule(&sixty, 8, 275_000, 35), Algorithm::SubsetDp);
    assert_eq!(rule(&sixty, 8, 275_000, 36), Algorithm::BranchAndBound);
    let mut discounted = sixty.clone();
    discounted[3].discounted_minor = Some(3);
    assert_eq!(rule(&discounted, 8, 7, 0), Algorithm::BranchAndBound);
    // Many-to-many keeps the target-independent rule.
    assert_eq!(choose_algorithm(&sixty, 8), Algorithm::BranchAndBound);
}

#[test]
fn subset_dp_counts_every_set_and_keeps_the_best() {
    // 24 items of 1..=24: a payment of 60 has thousands of sets.
    let items: Vec<Item> = (1..=24).map(Item::plain).collect();
    let lim = dp_limits(24, 0, 5_000_000, 3);
    let s = solve_one_to_many(&items, 60, &lim).unwrap();
    assert_eq!(s.algorithm, Algorithm::SubsetDp);
    let all = oracle(&items, 60, 24, 0);
    assert_eq!(s.candidate_count, all.len() as u64);
    assert_eq!(s.candidates, all[..3].to_vec());
    // The fewest items (three: 13 + 23 + 24), then the smallest indices.
    assert_eq!(s.candidates[0].item_indices, vec![12, 22, 23]);
    assert_eq!(s.outcome, Outcome::Ambiguous);
}

#[test]
fn two_byte_cells_serve_sets_of_more_than_254_items() {
    // Counts up to kk = min(k, hi) must be exact: one byte holds kk = 254 (cap 255), two
    // bytes from kk = 255 on. Every set of `payment` ones out of `n` matches.
    for (n, payment) in [(256usize, 254i64), (257, 255)] {
        let items = vec![Item::plain(1); n];
        // A finite budget: a table whose cap wrapped would let the search roam forever.
        let lim = dp_limits(payment as usize, 0, 10_000_000, 2);
        let s = solve_one_to_many(&items, payment, &lim).unwrap();
        assert_eq!(
            (s.algorithm, s.outcome),
            (Algorithm::SubsetDp, Outcome::Ambiguous)
        );
        assert_eq!(s.candidate_count, (n * (n - 1) / 2) as u64, "C({n}, 2)");
        let first: Vec<u32> = (0..payment as u32).collect();
        assert_eq!(s.candidates[0].item_indices, first);
        // One more allowed member changes nothing: no set of more items fits.
        let wider = dp_limits(payment as usize + 1, 0, 10_000_000, 2);
        let t = solve_one_to_many(&items, payment, &wider).unwrap();
        assert_eq!(
            (t.candidate_count, &t.candidates),
            (s.candidate_count, &s.candidates)
        );
    }
}

#[test]
fn subset_dp_budget_runs_out_in_the_table_or_in_the_search() {
    let items: Vec<Item> = (1..=24).map(Item::plain).collect();
    let table = dp::table_nodes(24, 60);
    let cut = dp_limits(24, 0, table as i64 - 1, 10);
    let s = solve_one_to_many(&items, 60, &cut).unwrap();
    assert_eq!(s.outcome, Outcome::BudgetExhausted);
    assert_eq!((s.nodes, s.candidate_count), (table, 0));
    let some = dp_limits(24, 0, table as i64 + 500, 10);
    let s = solve_one_to_many(&items, 60, &some).unwrap();
    assert_eq!(s.outcome, Outcome::BudgetExhausted);
    assert_eq!(s.nodes, table + 501);
    let all = oracle(&items, 60, 24, 0).len() as u64;
    assert!(s.candidate_count > 0 && s.candidate_count < all);
}

#[test]
fn batch_reports_subset_dp_by_its_code() {
    let amounts: Vec<i64> = (1..=20).collect();
    let zeros = vec![0i64; 20];
    let batch = FlatBatch {
        item_offsets: &[0, 20],
        amounts_minor: &amounts,
        discounted_minor: &zeros,
        due_ordinal: &zeros,
        reference_score: &zeros,
        payments_minor: &[40],
        limits: dp_limits(20, 0, 5_000_000, 2),
    };
    let out = solve_batch(&batch, 1).unwrap();
    assert_eq!(out.algorithm_codes, vec![Algorithm::SubsetDp.code()]);
    assert_eq!(
        Algorithm::ALL[Algorithm::SubsetDp.code() as usize],
        Algorithm::SubsetDp
    );
}
