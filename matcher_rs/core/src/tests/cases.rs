//! One-payment answers by example: exact, ambiguous, ties, budgets, memory, bad input.

use super::*;

#[test]
fn single_exact_invoice_is_matched() {
    let items = [Item::plain(100), Item::plain(250), Item::plain(75)];
    let s = solve_one_to_many(&items, 250, &Limits::default()).unwrap();
    assert_eq!(s.outcome, Outcome::Matched);
    assert_eq!(s.candidates[0].item_indices, vec![1]);
    assert_eq!(s.candidates[0].residual_minor, 0);
}

#[test]
fn two_equal_sets_are_ambiguous() {
    let items = [Item::plain(100), Item::plain(100), Item::plain(5)];
    let s = solve_one_to_many(&items, 100, &Limits::default()).unwrap();
    assert_eq!(s.outcome, Outcome::Ambiguous);
    assert_eq!(s.candidate_count, 2);
}

#[test]
fn reference_score_breaks_the_tie() {
    let mut items = [Item::plain(100), Item::plain(100)];
    items[1].reference_score = 90;
    let s = solve_one_to_many(&items, 100, &Limits::default()).unwrap();
    assert_eq!(s.outcome, Outcome::Matched);
    assert_eq!(s.candidates[0].item_indices, vec![1]);
}

#[test]
fn discount_variant_with_smaller_residual_wins() {
    let items = [Item {
        discounted_minor: Some(98),
        ..Item::plain(100)
    }];
    let s = solve_one_to_many(&items, 98, &Limits::default()).unwrap();
    assert_eq!(s.candidates[0].discounted, vec![true]);
    assert_eq!(s.candidates[0].total_minor, 98);
}

#[test]
fn five_item_set_is_found_by_ksum() {
    let items: Vec<Item> = [3, 5, 7, 11, 13, 17, 19, 1000]
        .iter()
        .map(|&a| Item::plain(a))
        .collect();
    let s = solve_one_to_many(&items, 3 + 5 + 7 + 11 + 13, &Limits::default()).unwrap();
    assert_eq!(s.algorithm, Algorithm::KsumMitm);
    assert!(s
        .candidates
        .iter()
        .any(|c| c.item_indices == vec![0, 1, 2, 3, 4]));
}

#[test]
fn a_table_past_the_memory_limit_is_refused_before_it_is_built() {
    // 30,000 items at k = 4: a 7.2 GB pair table, refused with nothing allocated.
    let items: Vec<Item> = (0..30_000).map(|i| Item::plain(1_000 + 7 * i)).collect();
    let l = Limits {
        max_items: 4,
        node_budget: i64::MAX,
        ..Limits::default()
    };
    let s = solve_one_to_many(&items, items[5].amount_minor, &l).unwrap();
    assert_eq!(s.outcome, Outcome::MemoryLimit);
    // The sets of 1 to 3 were searched first (item 5 alone pays), then the table refused.
    assert_eq!(s.candidates.len(), 1);
    assert_eq!(s.candidates[0].item_indices, vec![5]);
}

#[test]
fn more_matching_sets_than_the_memory_holds_end_the_search() {
    // Every set of 1 to 5 of 30 equal amounts totals within [1, 5].
    let items: Vec<Item> = (0..30).map(|_| Item::plain(1)).collect();
    let l = Limits {
        tolerance_minor: 2,
        memory_limit_bytes: 30 * 16 + 435 * 24 + 160 * 50,
        ..Limits::default()
    };
    let s = solve_one_to_many(&items, 3, &l).unwrap();
    assert_eq!(s.outcome, Outcome::MemoryLimit);
    assert_eq!(s.candidate_count, 50);
}

#[test]
fn budget_exhaustion_is_reported_never_guessed() {
    let items: Vec<Item> = (1..40).map(Item::plain).collect();
    let l = Limits {
        node_budget: 100,
        ..Limits::default()
    };
    let s = solve_one_to_many(&items, 60, &l).unwrap();
    assert_eq!(s.outcome, Outcome::BudgetExhausted);
    assert!(s.nodes > 100);
}

#[test]
fn invalid_inputs_name_the_field() {
    let e = solve_one_to_many(&[Item::plain(0)], 5, &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("items[0].amount_minor"));
    let e = solve_one_to_many(&[Item::plain(5)], 0, &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("payment_minor"));
    let e = solve_one_to_many(&[Item::plain(i64::MAX)], 5, &Limits::default()).unwrap_err();
    assert!(matches!(e, SolveError::Overflow(_)));
}

#[test]
fn algorithm_rule_picks_each_kernel() {
    let few: Vec<Item> = (1..=10).map(Item::plain).collect();
    let many: Vec<Item> = (1..=80).map(Item::plain).collect();
    assert_eq!(choose_algorithm(&few, 2), Algorithm::TwoPointer);
    assert_eq!(choose_algorithm(&few, 4), Algorithm::KsumMitm);
    assert_eq!(choose_algorithm(&few, 8), Algorithm::HorowitzSahni);
    assert_eq!(choose_algorithm(&many, 8), Algorithm::BranchAndBound);
}

#[test]
fn batch_is_identical_for_any_thread_count() {
    let amounts: Vec<i64> = (0..300).map(|i| 10 + (i * 37) % 91).collect();
    let offsets: Vec<i64> = (0..=30).map(|p| p * 10).collect();
    let payments: Vec<i64> = (0..30).map(|p| 150 + p).collect();
    let zeros = vec![0i64; 300];
    let batch = FlatBatch {
        item_offsets: &offsets,
        amounts_minor: &amounts,
        discounted_minor: &zeros,
        due_ordinal: &zeros,
        reference_score: &zeros,
        payments_minor: &payments,
        limits: Limits::default(),
    };
    let one = solve_batch(&batch, 1).unwrap();
    assert_eq!(one, solve_batch(&batch, 2).unwrap());
    assert_eq!(one, solve_batch(&batch, 0).unwrap());
    assert_eq!(one.outcome_codes.len(), 30);
}

#[test]
fn many_to_many_finds_two_payments_for_one_invoice() {
    let items = [Item::plain(300), Item::plain(70)];
    let s = solve_many_to_many(&items, &[100, 200], &ManyLimits::default()).unwrap();
    assert_eq!(s.outcome, Outcome::Matched);
    assert_eq!(s.groups[0].payment_indices, vec![0, 1]);
    assert_eq!(s.groups[0].item_indices, vec![0]);
}

#[test]
fn sums_next_to_the_int64_limit_never_wrap() {
    // Accepted by validation with no headroom at all; debug builds trap any wrap.
    let big = 1i64 << 60;
    let items = vec![
        Item {
            discounted_minor: Some(big - 1),
            ..Item::plain(big)
        },
        Item::plain(big),
        Item::plain(big),
    ];
    let payment = 1i64 << 61;
    let tol = i64::MAX - 3 * big - payment;
    let want = oracle(&items, payment, 3, tol);
    assert!(!want.is_empty());
    for alg in [
        Algorithm::KsumMitm,
        Algorithm::HorowitzSahni,
        Algorithm::BranchAndBound,
    ] {
        for multi in [false, true] {
            assert_eq!(force(&items, payment, 3, tol, alg, multi), want, "{alg:?}");
        }
    }
    let s = solve_one_to_many(&items, payment, &limits(3, tol)).unwrap();
    assert_eq!(s.candidates, want);
    let refused = solve_one_to_many(&items, payment, &limits(3, tol + 1)).unwrap_err();
    assert!(matches!(refused, SolveError::Overflow(_)));
}
