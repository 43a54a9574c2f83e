//! Criterion benchmarks of the solver core, without Python in the loop.
//!
//! The instances follow `bench/matcher/generator.py` in shape (amounts log-uniform between
//! 10.00 and 10,000.00, a payment equal to a planted 3-item sum) but come from this file's
//! own seeded generator, so the numbers are the core's alone; the cross-peer comparison
//! (flsss, CP-SAT, HiGHS, itertools, the Python fallback) lives in `bench/matcher`.
//! Run with `cargo bench -p matcher_core` (`make bench-rust`).
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use matcher_core::{
    solve_batch, solve_many_to_many, solve_one_to_many, solve_one_to_many_multi, FlatBatch, Item,
    Limits, ManyLimits, Outcome,
};
use std::hint::black_box;

/// SplitMix64: a tiny deterministic generator (the benches need no statistical quality).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Log-uniform amount in minor units between 10.00 and 10,000.00.
    fn amount(&mut self) -> i64 {
        let (lo, hi) = (1_000f64.ln(), 1_000_000f64.ln());
        (lo + (hi - lo) * self.unit()).exp().round() as i64
    }
}

fn amounts(rng: &mut Rng, n: usize) -> Vec<i64> {
    (0..n).map(|_| rng.amount()).collect()
}

fn items_of(amounts: &[i64]) -> Vec<Item> {
    amounts.iter().map(|&a| Item::plain(a)).collect()
}

/// The sum of three distinct random items.
fn planted(rng: &mut Rng, amounts: &[i64]) -> i64 {
    let mut picked = Vec::new();
    while picked.len() < 3 {
        let i = rng.below(amounts.len());
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    picked.iter().map(|&i| amounts[i]).sum()
}

fn limits(max_items: i64, tolerance_minor: i64, node_budget: i64) -> Limits {
    Limits {
        max_items,
        tolerance_minor,
        node_budget,
        max_candidates: 10,
        ..Limits::default()
    }
}

fn one_to_many(c: &mut Criterion) {
    let mut group = c.benchmark_group("one_to_many/exhaustive_k5");
    for &(n, tol) in &[(60, 0), (100, 0), (100, 50), (200, 0), (200, 50)] {
        let mut rng = Rng(n as u64 * 1_000 + tol as u64);
        let amounts = amounts(&mut rng, n);
        let (items, payment) = (items_of(&amounts), planted(&mut rng, &amounts));
        let lim = limits(5, tol, 1_000_000_000);
        group.bench_function(BenchmarkId::new(format!("tol{tol}"), n), |b| {
            b.iter(|| solve_one_to_many(black_box(&items), black_box(payment), &lim).unwrap())
        });
    }
    group.finish();

    // A payment that no set of <= 5 items explains: the solver must prove it.
    let mut group = c.benchmark_group("one_to_many/no_match_k5");
    for &n in &[60, 100, 200] {
        let mut rng = Rng(7_000 + n as u64);
        let amounts = amounts(&mut rng, n);
        let items = items_of(&amounts);
        let lim = limits(5, 0, 1_000_000_000);
        let payment = loop {
            let p = planted(&mut rng, &amounts) + 1 + rng.below(999) as i64;
            if solve_one_to_many(&items, p, &lim).unwrap().outcome == Outcome::NoMatch {
                break p;
            }
        };
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| solve_one_to_many(black_box(&items), black_box(payment), &lim).unwrap())
        });
    }
    group.finish();

    // Every set of <= 3 of 10,000 items: the pair table is the cost.
    let mut rng = Rng(10_000);
    let amounts = amounts(&mut rng, 10_000);
    let (items, payment) = (items_of(&amounts), planted(&mut rng, &amounts));
    let lim = limits(3, 0, 1_000_000_000);
    let mut group = c.benchmark_group("one_to_many/exhaustive_k3");
    group.sample_size(10);
    group.bench_function(BenchmarkId::from_parameter(10_000), |b| {
        b.iter(|| solve_one_to_many(black_box(&items), black_box(payment), &lim).unwrap())
    });
    group.finish();
}

fn customer_batch(c: &mut Criterion) {
    // One customer's 200 payments against the same 100 open items, tables built once.
    let mut rng = Rng(200);
    let amounts = amounts(&mut rng, 100);
    let items = items_of(&amounts);
    let payments: Vec<i64> = (0..200).map(|_| planted(&mut rng, &amounts)).collect();
    let lim = limits(5, 0, 5_000_000);
    c.bench_function("one_to_many_multi/200_payments/n100_k5", |b| {
        b.iter(|| solve_one_to_many_multi(black_box(&items), black_box(&payments), &lim).unwrap())
    });
}

fn many_to_many(c: &mut Criterion) {
    let mut rng = Rng(10_100);
    let amounts = amounts(&mut rng, 100);
    let items = items_of(&amounts);
    let payments: Vec<i64> = (0..10).map(|_| planted(&mut rng, &amounts)).collect();
    let lim = ManyLimits {
        max_payments: 3,
        max_items: 3,
        tolerance_minor: 0,
        node_budget: 1_000_000_000,
        max_candidates: 10,
        ..ManyLimits::default()
    };
    c.bench_function("many_to_many/m10_n100", |b| {
        b.iter(|| solve_many_to_many(black_box(&items), black_box(&payments), &lim).unwrap())
    });
}

fn batch(c: &mut Criterion) {
    // 10,000 independent problems of 40..60 items, k <= 5, one thread.
    let mut rng = Rng(50);
    let (mut offsets, mut flat, mut payments) = (vec![0i64], Vec::new(), Vec::new());
    for _ in 0..10_000 {
        let n = 40 + rng.below(21);
        let amounts = amounts(&mut rng, n);
        payments.push(planted(&mut rng, &amounts));
        flat.extend_from_slice(&amounts);
        offsets.push(flat.len() as i64);
    }
    let zeros = vec![0i64; flat.len()];
    let problem = FlatBatch {
        item_offsets: &offsets,
        amounts_minor: &flat,
        discounted_minor: &zeros,
        due_ordinal: &zeros,
        reference_score: &zeros,
        payments_minor: &payments,
        limits: limits(5, 0, 5_000_000),
    };
    let mut group = c.benchmark_group("batch");
    group.sample_size(10);
    group.bench_function("10000_problems/n40-60_k5/1_thread", |b| {
        b.iter(|| solve_batch(black_box(&problem), 1).unwrap())
    });
    group.finish();
}

criterion_group!(benches, one_to_many, customer_batch, many_to_many, batch);
criterion_main!(benches);
