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
    rank::finish_one(items, payment, found, true, i64::MAX).1
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
        let lim = Limits { max_items, tolerance_minor: tol, node_budget, max_candidates };
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
        let lim = Limits { max_items, tolerance_minor: tol, node_budget, max_candidates };
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
