//! Many independent one-to-many problems in flat arrays, solved in parallel.
//!
//! Problem `p` owns items `item_offsets[p]..item_offsets[p + 1]` of the item
//! arrays and pays `payments_minor[p]`. A discount of 0 means "no discount".
//! Results do not depend on the thread count: every problem is solved on its
//! own and results are collected in problem order.

use crate::{solve_one_to_many, Item, Limits, Solution, SolveError};
use rayon::prelude::*;

/// Borrowed flat input of a batch (see the module documentation).
#[derive(Clone, Copy, Debug)]
pub struct FlatBatch<'a> {
    pub item_offsets: &'a [i64],
    pub amounts_minor: &'a [i64],
    pub discounted_minor: &'a [i64],
    pub due_ordinal: &'a [i64],
    pub reference_score: &'a [i64],
    pub payments_minor: &'a [i64],
    pub limits: Limits,
}

/// Flat output of a batch: per-problem arrays, then candidates, then members.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlatSolutions {
    pub outcome_codes: Vec<i64>,
    pub algorithm_codes: Vec<i64>,
    pub candidate_counts: Vec<i64>,
    pub nodes: Vec<i64>,
    /// Candidates of problem `p`: `candidate_offsets[p]..candidate_offsets[p + 1]`.
    pub candidate_offsets: Vec<i64>,
    pub candidate_total_minor: Vec<i64>,
    pub candidate_residual_minor: Vec<i64>,
    /// Members of candidate `c`: `member_offsets[c]..member_offsets[c + 1]`.
    pub member_offsets: Vec<i64>,
    /// Item index local to the problem (0 is the problem's first item).
    pub member_item_indices: Vec<i64>,
    pub member_discounted: Vec<bool>,
}

fn invalid(message: &str) -> SolveError {
    SolveError::Invalid(message.to_string())
}

fn split(batch: &FlatBatch<'_>) -> Result<Vec<(Vec<Item>, i64)>, SolveError> {
    let n = batch.amounts_minor.len();
    if batch.item_offsets.len() != batch.payments_minor.len() + 1 {
        return Err(invalid(
            "item_offsets must have len(payments_minor) + 1 entries",
        ));
    }
    if batch.discounted_minor.len() != n
        || batch.due_ordinal.len() != n
        || batch.reference_score.len() != n
    {
        return Err(invalid(
            "amounts_minor, discounted_minor, due_ordinal and reference_score must have equal lengths",
        ));
    }
    let offsets = batch.item_offsets;
    let monotone = offsets.windows(2).all(|w| w[0] <= w[1]);
    if offsets[0] != 0 || !monotone || offsets[offsets.len() - 1] != n as i64 {
        return Err(invalid(
            "item_offsets must start at 0, never decrease and end at len(amounts_minor)",
        ));
    }
    let problems = batch
        .payments_minor
        .iter()
        .enumerate()
        .map(|(p, &payment)| {
            let range = offsets[p] as usize..offsets[p + 1] as usize;
            let items = range
                .map(|i| Item {
                    amount_minor: batch.amounts_minor[i],
                    discounted_minor: match batch.discounted_minor[i] {
                        0 => None,
                        d => Some(d),
                    },
                    due_ordinal: batch.due_ordinal[i],
                    reference_score: batch.reference_score[i],
                })
                .collect();
            (items, payment)
        })
        .collect();
    Ok(problems)
}

fn solve_all(problems: &[(Vec<Item>, i64)], limits: &Limits) -> Vec<Result<Solution, SolveError>> {
    problems
        .par_iter()
        .with_max_len(1)
        .map(|(items, payment)| solve_one_to_many(items, *payment, limits))
        .collect()
}

/// Solves every problem of `batch`; `num_threads == 0` uses rayon's global pool.
///
/// The first invalid problem (lowest index) is reported as `problem {p}: ...`.
pub fn solve_batch(batch: &FlatBatch<'_>, num_threads: usize) -> Result<FlatSolutions, SolveError> {
    let problems = split(batch)?;
    let results = if num_threads == 0 {
        solve_all(&problems, &batch.limits)
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(num_threads)
            .build()
            .map_err(|e| SolveError::ThreadPool(format!("thread pool: {e}")))?;
        pool.install(|| solve_all(&problems, &batch.limits))
    };
    let mut out = FlatSolutions {
        candidate_offsets: vec![0],
        member_offsets: vec![0],
        ..FlatSolutions::default()
    };
    for (p, result) in results.into_iter().enumerate() {
        let solution = result.map_err(|e| match e {
            SolveError::Invalid(m) => SolveError::Invalid(format!("problem {p}: {m}")),
            SolveError::Overflow(m) => SolveError::Overflow(format!("problem {p}: {m}")),
            other => other,
        })?;
        push_solution(&mut out, solution);
    }
    Ok(out)
}

fn push_solution(out: &mut FlatSolutions, solution: Solution) {
    out.outcome_codes.push(solution.outcome.code());
    out.algorithm_codes.push(solution.algorithm.code());
    out.candidate_counts.push(solution.candidate_count as i64);
    out.nodes.push(solution.nodes as i64);
    for c in solution.candidates {
        out.candidate_total_minor.push(c.total_minor);
        out.candidate_residual_minor.push(c.residual_minor);
        out.member_item_indices
            .extend(c.item_indices.iter().map(|&i| i64::from(i)));
        out.member_discounted.extend_from_slice(&c.discounted);
        out.member_offsets
            .push(out.member_item_indices.len() as i64);
    }
    out.candidate_offsets
        .push(out.candidate_total_minor.len() as i64);
}
