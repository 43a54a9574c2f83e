//! The solver core's tests, one file per concept: shared fixtures (the brute-force oracle,
//! limits, strategies) live here; the kernels' own properties in the files beside it.

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
        max_solutions: 0,
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
        Some(payment),
        &mut budget,
    )
    .unwrap();
    eng.query(payment, &mut budget, &mut found).unwrap();
    rank::finish_one(items, payment, found, true, false, i64::MAX).1
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

/// The fields `ksum_shared_triples` must share with `solve_one_to_many`.
fn verdict(s: &Solution) -> (Outcome, &[Candidate], u64) {
    (s.outcome, &s.candidates, s.candidate_count)
}

mod cases;
mod credits;
mod max_solutions;
mod multi;
mod pair_table;
mod properties;
mod shared_triples;
mod sorted_bounds;
mod subset_dp;
