use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

/// Brute force straight from the definition: every subset, every variant.
fn oracle(items: &[Item], payment: i64, max_items: usize, tol: i64) -> Vec<Candidate> {
    let n = items.len();
    let mut best: HashMap<Vec<u32>, (i64, Vec<bool>)> = HashMap::new();
    for mask in 1u32..(1 << n) {
        let idx: Vec<u32> = (0..n as u32).filter(|i| mask >> i & 1 == 1).collect();
        if idx.len() > max_items {
            continue;
        }
        let discountable: Vec<usize> = (0..idx.len())
            .filter(|&p| items[idx[p] as usize].discounted_minor.is_some())
            .collect();
        for dm in 0u32..(1 << discountable.len()) {
            let mut flags = vec![false; idx.len()];
            for (b, &p) in discountable.iter().enumerate() {
                flags[p] = dm >> b & 1 == 1;
            }
            let total: i64 = idx
                .iter()
                .zip(&flags)
                .map(|(&i, &f)| {
                    let it = &items[i as usize];
                    if f {
                        it.discounted_minor.unwrap()
                    } else {
                        it.amount_minor
                    }
                })
                .sum();
            let residual = payment - total;
            if residual.abs() > tol {
                continue;
            }
            let key =
                |r: i64, f: &Vec<bool>| (r.abs(), f.iter().filter(|x| **x).count(), f.clone());
            let e = best.entry(idx.clone()).or_insert((residual, flags.clone()));
            if key(residual, &flags) < key(e.0, &e.1) {
                *e = (residual, flags);
            }
        }
    }
    let mut out: Vec<(rank::Evidence, Candidate)> = best
        .into_iter()
        .map(|(idx, (r, f))| {
            (
                rank::Evidence::of(items, &idx, r, 0),
                Candidate {
                    item_indices: idx,
                    discounted: f,
                    total_minor: payment - r,
                    residual_minor: r,
                },
            )
        })
        .collect();
    out.sort_by(|a, b| (a.0, &a.1.item_indices).cmp(&(b.0, &b.1.item_indices)));
    out.into_iter().map(|x| x.1).collect()
}

fn limits(max_items: i64, tol: i64) -> Limits {
    Limits {
        max_items,
        tolerance_minor: tol,
        node_budget: i64::MAX,
        max_candidates: i64::MAX,
        memory_limit_bytes: i64::MAX,
    }
}

fn force(
    items: &[Item],
    payment: i64,
    max_items: usize,
    tol: i64,
    alg: Algorithm,
    multi: bool,
) -> Vec<Candidate> {
    let mut budget = engine::Budget::new(i64::MAX);
    let mut found = engine::Collector::new(items);
    let eng = engine::Engine::prepare(
        items,
        max_items.min(items.len()),
        tol,
        alg,
        multi,
        &mut budget,
    )
    .unwrap();
    eng.query(payment, &mut budget, &mut found).unwrap();
    rank::finish_one(items, payment, found, true, false, i64::MAX).1
}

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

fn arb_items(max_n: usize, max_amount: i64) -> impl Strategy<Value = Vec<Item>> {
    prop::collection::vec(
        (
            1..=max_amount,
            prop::option::of(1..=max_amount),
            0i64..5,
            0i64..=3,
        ),
        0..=max_n,
    )
    .prop_map(|raw| {
        raw.into_iter()
            .map(|(a, d, due, r)| Item {
                amount_minor: a,
                discounted_minor: d.filter(|&d| d < a),
                due_ordinal: due,
                reference_score: r * 30,
            })
            .collect()
    })
}

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn multi_equals_one_call_per_payment(
        items in arb_items(12, 60),
        payments in prop::collection::vec(1i64..250, 0..6),
        max_items in 1i64..8,
        tol in prop_oneof![Just(0i64), 0i64..30],
        node_budget in prop_oneof![Just(5_000_000i64), 0i64..400],
        max_candidates in 0i64..4,
    ) {
        let lim = Limits { max_items, tolerance_minor: tol, node_budget, max_candidates, memory_limit_bytes: i64::MAX };
        let got = solve_one_to_many_multi(&items, &payments, &lim).unwrap();
        prop_assert_eq!(got.len(), payments.len());
        for (s, &p) in got.iter().zip(&payments) {
            prop_assert_eq!(s, &solve_one_to_many(&items, p, &lim).unwrap());
        }
    }
}

#[test]
fn multi_refuses_a_bad_payment_naming_it() {
    let items = [Item::plain(100)];
    let e = solve_one_to_many_multi(&items, &[100, 0], &Limits::default()).unwrap_err();
    assert_eq!(
        e,
        SolveError::Invalid("payments_minor[1] must be > 0".into())
    );
    let e = solve_one_to_many_multi(&items, &[i64::MAX - 50], &Limits::default()).unwrap_err();
    assert!(matches!(e, SolveError::Overflow(_)));
    assert!(solve_one_to_many_multi(&items, &[], &Limits::default())
        .unwrap()
        .is_empty());
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

/// The fields `ksum_shared_triples` must share with `solve_one_to_many`.
fn verdict(s: &Solution) -> (Outcome, &[Candidate], u64) {
    (s.outcome, &s.candidates, s.candidate_count)
}

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
        let lim = Limits { max_items, tolerance_minor: tol, node_budget, max_candidates, memory_limit_bytes: i64::MAX };
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

// --- subset_dp -------------------------------------------------------------------------

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
    let eng = engine::Engine::prepare(items, k, lim.tolerance_minor, alg, false, &mut budget);
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
        let lim = Limits { max_items, tolerance_minor: tol, node_budget, max_candidates, memory_limit_bytes: i64::MAX };
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Amounts over six decades and more: one payment's sets of 4 and 5 take
    /// `sorted_bounds`, which must find exactly the oracle's candidates.
    #[test]
    fn sorted_bounds_equals_the_oracle(
        raw in prop::collection::vec((0usize..5, 1i64..4, prop::option::of(1i64..1 << 20)), 2..=11),
        picks in prop::collection::btree_set(0usize..11, 1..=5),
        max_items in 4usize..=5,
        tol in prop_oneof![Just(0i64), 0i64..3],
    ) {
        let scales = [1i64, 7, 1 << 10, 1 << 21, 1 << 30];
        let mut items: Vec<Item> = raw
            .iter()
            .map(|&(s, m, d)| {
                let amount_minor = scales[s] * m;
                Item { discounted_minor: d.filter(|&d| d < amount_minor), ..Item::plain(amount_minor) }
            })
            .collect();
        items[0] = Item::plain(1);
        items[1] = Item::plain(1 << 21);
        let vals = engine::sorted_values(&items, &mut engine::Budget::new(i64::MAX)).unwrap();
        prop_assert!(crate::kernels::sorted_bounds::wide_amounts(&vals));
        let payment: i64 = picks.iter().map(|&i| items[i % items.len()].amount_minor).sum();
        let want = oracle(&items, payment, max_items, tol);
        let s = solve_one_to_many(&items, payment, &limits(max_items as i64, tol)).unwrap();
        prop_assert_eq!(s.candidates, want);
    }
}
