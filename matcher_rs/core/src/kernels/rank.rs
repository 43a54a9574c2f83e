//! Ranking of candidates and the outcome rule.

use crate::engine::{Collector, Flags, Key};
use crate::{Candidate, Item, Outcome};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

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

    /// The evidence of a set whose members' evidence `part` summed up (as [`Evidence::of`]).
    pub(crate) fn of_partial(part: &Partial, size: usize, residual: i64) -> Self {
        Evidence {
            inexact: residual != 0,
            abs_residual: residual.unsigned_abs(),
            neg_reference: -part.reference,
            size,
            due_spread: i128::from(part.due_hi) - i128::from(part.due_lo),
            due_sum: part.due_sum,
        }
    }

    /// The tier decides MATCHED versus AMBIGUOUS.
    pub(crate) fn tier(&self) -> (bool, i64) {
        (self.inexact, self.neg_reference)
    }
}

/// The evidence of a partial set, extended one member at a time, so that a search that
/// grows sets member by member ranks each one in O(1).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Partial {
    reference: i64,
    due_lo: i64,
    due_hi: i64,
    due_sum: i128,
}

impl Partial {
    /// The empty set.
    pub(crate) const EMPTY: Partial = Partial {
        reference: 0,
        due_lo: i64::MAX,
        due_hi: i64::MIN,
        due_sum: 0,
    };

    /// This set plus `it`.
    #[inline]
    pub(crate) fn with(&self, it: &Item) -> Partial {
        Partial {
            reference: self.reference + it.reference_score,
            due_lo: self.due_lo.min(it.due_ordinal),
            due_hi: self.due_hi.max(it.due_ordinal),
            due_sum: self.due_sum + i128::from(it.due_ordinal),
        }
    }
}

/// `outcome` once memory is accounted for: a refused table (`refused`) or a dropped set
/// (`overflowed`, which ends the search at its next tick) means MEMORY_LIMIT.
pub(crate) fn with_memory(outcome: Outcome, refused: bool, overflowed: bool) -> Outcome {
    if refused || overflowed {
        Outcome::MemoryLimit
    } else {
        outcome
    }
}

/// `outcome` of a search `limited` by `max_solutions` (its collector kept that many sets
/// and ended it): SOLUTION_LIMIT unless the search completed anyway (no work was left, so
/// the sets are all there are). Memory comes first: it is checked after this.
pub(crate) fn with_solution_limit(outcome: Outcome, complete: bool, limited: bool) -> Outcome {
    if limited && !complete {
        Outcome::SolutionLimit
    } else {
        outcome
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

/// [`outcome_of`] the evidence `ev` of the first two of `ranked` (best first), read in
/// place: a small search's result is built in a few hundred nanoseconds, so a copy of the
/// two into a new Vec was a measurable share of it.
pub(crate) fn outcome_of_ranked<T>(
    ranked: &[T],
    ev: impl Fn(&T) -> Evidence,
    complete: bool,
) -> Outcome {
    match ranked {
        [] => outcome_of(&[], complete),
        [a] => outcome_of(&[ev(a)], complete),
        [a, b, ..] => outcome_of(&[ev(a), ev(b)], complete),
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
    refused: bool,
    max_candidates: i64,
) -> (Outcome, Vec<Candidate>, u64) {
    let count = found.len();
    let (overflowed, limited) = (found.overflowed, found.limited);
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
    let outcome = outcome_of_ranked(&keyed, |k| k.0, complete);
    let outcome = with_solution_limit(outcome, complete, limited);
    let outcome = with_memory(outcome, refused, overflowed);
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

/// One kept candidate of [`Best`]: its ranking key is `(ev, indices)`.
struct Kept {
    ev: Evidence,
    indices: Box<[u32]>,
    residual: i64,
}

impl PartialEq for Kept {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Kept {}

impl PartialOrd for Kept {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Kept {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.ev, &*self.indices).cmp(&(other.ev, &*other.indices))
    }
}

/// The best candidates seen so far and how many were seen, for a search that produces
/// each item set exactly once in one variant (full amounts): it needs no de-duplication,
/// and keeping only the best bounds the memory however many sets match. The ranking key
/// is a total order, so what is kept does not depend on the order sets arrive in.
pub(crate) struct Best {
    /// At least two: the outcome compares the best with the runner-up.
    keep: usize,
    /// A max-heap: its top is the worst kept candidate.
    heap: BinaryHeap<Kept>,
    seen: u64,
    /// The solution limit (`u64::MAX`: none) and whether the sets seen reached it.
    limit: u64,
    pub(crate) limited: bool,
}

impl Best {
    pub(crate) fn new(max_candidates: i64) -> Self {
        Best {
            keep: usize::try_from(max_candidates).unwrap_or(usize::MAX).max(2),
            heap: BinaryHeap::new(),
            seen: 0,
            limit: u64::MAX,
            limited: false,
        }
    }

    /// This collection, reaching its limit once `limit` sets are seen.
    pub(crate) fn limited_to(mut self, limit: u64) -> Self {
        self.limit = limit;
        self
    }

    /// Counts the set `indices` (ascending, full amounts) and keeps it if it ranks among
    /// the best; allocates only then.
    #[inline]
    pub(crate) fn offer(&mut self, ev: Evidence, indices: &[u32], residual: i64) {
        self.seen += 1;
        self.limited |= self.seen >= self.limit;
        if self.heap.len() < self.keep {
            self.heap.push(Kept {
                ev,
                indices: indices.into(),
                residual,
            });
            return;
        }
        if let Some(mut worst) = self.heap.peek_mut() {
            if (ev, indices) < (worst.ev, &*worst.indices) {
                *worst = Kept {
                    ev,
                    indices: indices.into(),
                    residual,
                };
            }
        }
    }

    /// The outcome, the best `max_candidates` candidates (best first) and the count, as
    /// [`finish_one`] would return them for the same sets.
    pub(crate) fn finish(
        self,
        payment_minor: i64,
        complete: bool,
        max_candidates: i64,
    ) -> (Outcome, Vec<Candidate>, u64) {
        let ranked = self.heap.into_sorted_vec();
        let outcome = outcome_of_ranked(&ranked, |k| k.ev, complete);
        let outcome = with_solution_limit(outcome, complete, self.limited);
        let keep = usize::try_from(max_candidates).unwrap_or(usize::MAX);
        let candidates = ranked
            .into_iter()
            .take(keep)
            .map(|k| Candidate {
                discounted: vec![false; k.indices.len()],
                item_indices: k.indices.into_vec(),
                total_minor: payment_minor - k.residual,
                residual_minor: k.residual,
            })
            .collect();
        (outcome, candidates, self.seen)
    }
}
