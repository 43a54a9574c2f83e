//! Ranking of candidates and the outcome rule.

use crate::engine::{Collector, Flags, Key};
use crate::{Candidate, Item, Outcome};
use std::cmp::Ordering;

/// Evidence shared by one-to-many candidates and many-to-many groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Evidence {
    pub(crate) inexact: bool,
    pub(crate) abs_residual: u64,
    pub(crate) neg_reference: i64,
    pub(crate) size: usize,
    pub(crate) due_spread: i128,
    pub(crate) due_sum: i128,
}

impl Evidence {
    pub(crate) fn of(items: &[Item], indices: &[u32], residual: i64, extra_size: usize) -> Self {
        let mut reference = 0i64;
        let mut lo = i128::MAX;
        let mut hi = i128::MIN;
        let mut due_sum = 0i128;
        for &i in indices {
            let it = &items[i as usize];
            reference += it.reference_score;
            let d = i128::from(it.due_ordinal);
            lo = lo.min(d);
            hi = hi.max(d);
            due_sum += d;
        }
        Evidence {
            inexact: residual != 0,
            abs_residual: residual.unsigned_abs(),
            neg_reference: -reference,
            size: indices.len() + extra_size,
            due_spread: hi - lo,
            due_sum,
        }
    }

    /// The tier decides MATCHED versus AMBIGUOUS.
    pub(crate) fn tier(&self) -> (bool, i64) {
        (self.inexact, self.neg_reference)
    }
}

/// Outcome of a ranked, non-empty or empty list of evidence keys.
pub(crate) fn outcome_of(ranked: &[Evidence], complete: bool) -> Outcome {
    if !complete {
        return Outcome::BudgetExhausted;
    }
    match ranked {
        [] => Outcome::NoMatch,
        [_] => Outcome::Matched,
        [best, second, ..] => {
            if second.tier() > best.tier() {
                Outcome::Matched
            } else {
                Outcome::Ambiguous
            }
        }
    }
}

/// Keeps the `need` smallest elements of `v` under `cmp`, sorted.
pub(crate) fn top_sorted<T>(v: &mut Vec<T>, need: usize, cmp: impl Fn(&T, &T) -> Ordering) {
    let need = need.min(v.len());
    if need == 0 {
        v.clear();
        return;
    }
    if need < v.len() {
        v.select_nth_unstable_by(need - 1, &cmp);
        v.truncate(need);
    }
    v.sort_unstable_by(cmp);
}

/// A collected item set with its ranking evidence: (evidence, items, residual, flags).
type Ranked = (Evidence, Key, i64, Flags);

/// Turns the collected item sets into the ranked, truncated candidate list.
///
/// The ranking key starts with `|residual|` (`inexact` is `|residual| > 0`), so a set
/// whose `|residual|` exceeds the `need`-th smallest cannot be among the first `need`:
/// the evidence (a look-up per member) is built only for the others.
pub(crate) fn finish_one(
    items: &[Item],
    payment_minor: i64,
    found: Collector,
    complete: bool,
    max_candidates: i64,
) -> (Outcome, Vec<Candidate>, u64) {
    let count = found.len();
    let keep = usize::try_from(max_candidates).unwrap_or(usize::MAX);
    // Two are always needed: the outcome compares the best with the runner-up.
    let need = keep.max(2);
    let cut = if count > need {
        let mut abs: Vec<u64> = found.best.values().map(|v| v.0.unsigned_abs()).collect();
        abs.extend(found.plain.iter().map(|v| v.1.unsigned_abs()));
        *abs.select_nth_unstable(need - 1).1
    } else {
        u64::MAX
    };
    let mut keyed: Vec<Ranked> = found
        .into_sets()
        .filter(|s| s.1.unsigned_abs() <= cut)
        .map(|(indices, residual, flags)| {
            let ev = Evidence::of(items, indices.as_slice(), residual, 0);
            (ev, indices, residual, flags)
        })
        .collect();
    top_sorted(&mut keyed, need, |x, y| {
        (x.0, x.1.as_slice()).cmp(&(y.0, y.1.as_slice()))
    });
    let keys: Vec<Evidence> = keyed.iter().take(2).map(|k| k.0).collect();
    let outcome = outcome_of(&keys, complete);
    let candidates = keyed
        .into_iter()
        .take(keep)
        .map(|(_, indices, residual, flags)| Candidate {
            item_indices: indices.as_slice().to_vec(),
            discounted: flags.to_vec(indices.as_slice().len()),
            total_minor: payment_minor - residual,
            residual_minor: residual,
        })
        .collect();
    (outcome, candidates, count as u64)
}
