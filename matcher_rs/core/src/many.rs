//! Many-to-many: several payments of one customer against its open items.
//!
//! Definition (mirrored by `solver_py.solve_many_to_many`): a group is a
//! non-empty set P of at most `max_payments` payments and a non-empty set S of
//! at most `max_items` distinct items (each at full or discounted amount) with
//! `|sum(P) - total(S)| <= tolerance`; `residual = sum(P) - total(S)`. Per
//! (P, S) the best variant is kept as in one-to-many. Groups are ranked by
//! `(residual != 0, |residual|, -sum(reference_score), |P| + |S|, due spread,
//! due sum, payment_indices, item_indices)`; the outcome rule is the
//! one-to-many rule on that ranking. Payment subsets are enumerated by size,
//! then in lexicographic order, each counting one node, and each is solved with
//! the one-to-many engine prepared once for all of them.

use crate::engine::{Budget, Collector, Engine, Exhausted};
use crate::rank::{outcome_of_ranked, top_sorted, with_memory, Evidence};
use crate::{
    choose_algorithm, effective_k, validate_common_limits, validate_items, Algorithm, Item,
    Outcome, SolveError,
};

/// Search limits of a many-to-many problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManyLimits {
    pub max_payments: i64,
    pub max_items: i64,
    pub tolerance_minor: i64,
    pub node_budget: i64,
    pub max_candidates: i64,
    /// As in [`crate::Limits`]; the groups kept count as candidates.
    pub memory_limit_bytes: i64,
}

impl Default for ManyLimits {
    fn default() -> Self {
        ManyLimits {
            max_payments: 3,
            max_items: 5,
            tolerance_minor: 0,
            node_budget: 5_000_000,
            max_candidates: 10,
            memory_limit_bytes: crate::DEFAULT_MEMORY_LIMIT_BYTES,
        }
    }
}

/// A set of payments explained by a set of items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub payment_indices: Vec<u32>,
    pub item_indices: Vec<u32>,
    pub discounted: Vec<bool>,
    pub residual_minor: i64,
}

/// Result of a many-to-many search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManySolution {
    pub outcome: Outcome,
    pub groups: Vec<Group>,
    pub group_count: u64,
    pub algorithm: Algorithm,
    pub nodes: u64,
}

fn validate_many(items: &[Item], payments: &[i64], limits: &ManyLimits) -> Result<(), SolveError> {
    if limits.max_payments < 1 {
        return Err(SolveError::Invalid(
            "limits.max_payments must be >= 1".into(),
        ));
    }
    validate_common_limits(
        limits.max_items,
        limits.tolerance_minor,
        limits.node_budget,
        limits.max_candidates,
        limits.memory_limit_bytes,
    )?;
    let mut paid: i128 = 0;
    for (j, &p) in payments.iter().enumerate() {
        if p <= 0 {
            return Err(SolveError::Invalid(format!(
                "payments_minor[{j}] must be > 0"
            )));
        }
        paid += i128::from(p);
    }
    let total = validate_items(items)?;
    if total + paid + i128::from(limits.tolerance_minor) > i128::from(i64::MAX) {
        return Err(SolveError::Overflow(
            "overflow: sum of amount_minor, payments_minor and tolerance_minor exceeds int64"
                .into(),
        ));
    }
    Ok(())
}

/// Advances `combo` to the next lexicographic combination of `0..m`.
fn next_combination(combo: &mut [usize], m: usize) -> bool {
    let size = combo.len();
    let mut i = size;
    while i > 0 {
        i -= 1;
        if combo[i] < m - size + i {
            combo[i] += 1;
            for j in i + 1..size {
                combo[j] = combo[j - 1] + 1;
            }
            return true;
        }
    }
    false
}

fn search(
    engine: &Engine<'_>,
    payments: &[i64],
    max_payments: usize,
    budget: &mut Budget,
    groups: &mut Vec<Group>,
) -> Result<(), Exhausted> {
    // The groups kept count against the memory: a query may keep only what is left.
    let m = payments.len();
    for size in 1..=max_payments.min(m) {
        let mut combo: Vec<usize> = (0..size).collect();
        loop {
            budget.tick(1)?;
            let target: i64 = combo.iter().map(|&j| payments[j]).sum();
            let mut found = Collector::new(engine.items()).bounded(budget, 0, groups.len());
            let result = engine.query(target, budget, &mut found);
            let payment_indices: Vec<u32> = combo.iter().map(|&j| j as u32).collect();
            for (indices, residual, flags) in found.into_sets() {
                groups.push(Group {
                    payment_indices: payment_indices.clone(),
                    item_indices: indices.as_slice().to_vec(),
                    discounted: flags.to_vec(indices.as_slice().len()),
                    residual_minor: residual,
                });
            }
            result?;
            if !next_combination(&mut combo, m) {
                break;
            }
        }
    }
    Ok(())
}

/// Finds, ranks and classifies every group of payments and items.
pub fn solve_many_to_many(
    items: &[Item],
    payments: &[i64],
    limits: &ManyLimits,
) -> Result<ManySolution, SolveError> {
    validate_many(items, payments, limits)?;
    let algorithm = choose_algorithm(items, limits.max_items);
    let k = effective_k(items.len(), limits.max_items);
    let max_payments = usize::try_from(limits.max_payments).unwrap_or(usize::MAX);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut budget =
        Budget::with_memory(limits.node_budget, limits.memory_limit_bytes).watching(&stop);
    let mut groups = Vec::new();
    // The largest target is the sum of the largest `max_payments` payments.
    let mut largest = payments.to_vec();
    largest.sort_unstable_by(|a, b| b.cmp(a));
    let reach = largest.iter().take(max_payments).sum::<i64>();
    let complete = match Engine::prepare(
        items,
        k,
        limits.tolerance_minor,
        algorithm,
        true,
        Some(reach),
        &mut budget,
    ) {
        Ok(engine) => search(&engine, payments, max_payments, &mut budget, &mut groups).is_ok(),
        Err(Exhausted) => false,
    };
    let mut keyed: Vec<(Evidence, Group)> = groups
        .into_iter()
        .map(|g| {
            let ev = Evidence::of(
                items,
                &g.item_indices,
                g.residual_minor,
                g.payment_indices.len(),
            );
            (ev, g)
        })
        .collect();
    let group_count = keyed.len() as u64;
    let keep = usize::try_from(limits.max_candidates).unwrap_or(usize::MAX);
    top_sorted(&mut keyed, keep.max(2), |x, y| {
        (x.0, &x.1.payment_indices, &x.1.item_indices).cmp(&(
            y.0,
            &y.1.payment_indices,
            &y.1.item_indices,
        ))
    });
    Ok(ManySolution {
        outcome: with_memory(
            outcome_of_ranked(&keyed, |k| k.0, complete),
            budget.refused,
            stop.load(std::sync::atomic::Ordering::Relaxed),
        ),
        group_count,
        groups: keyed.into_iter().take(keep).map(|k| k.1).collect(),
        algorithm,
        nodes: budget.nodes(),
    })
}
