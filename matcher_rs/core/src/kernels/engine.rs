//! The engine every search kernel runs in: the node budget, the sorted value entries, the
//! target-independent tables of each algorithm and the dispatch of a query to its kernel
//! (`kernels/<name>.rs`, each mirrored line for line in `engine/matching/kernels/<name>.py`,
//! including every `budget.tick(..)` call, so the node counter and the exhaustion point
//! agree between the two).
//!
//! Window arithmetic is done in i128: bounds such as `payment - tolerance - v`
//! may fall outside i64 even though every real sum fits (validated up front). The
//! innermost loops of `ksum5` use i64 where a comment shows the values fit.

use crate::kernels::branch_and_bound::Bnb;
use crate::kernels::horowitz_sahni::{half_table, Half};
use crate::kernels::ksum_mitm::Bounds;
use crate::kernels::pair_table::{build_pair_table, pair_table, PairCost, PairTable};
use crate::kernels::sorted_bounds::{prefix_sums, wide_amounts};
use crate::{Algorithm, Item};
use std::sync::atomic::{AtomicBool, Ordering};

pub(crate) use crate::kernels::collect::{Collector, Flags, Key};
pub(crate) use crate::kernels::shared_triples::{triple_count, SharedTriples};

/// The node budget ran out; the search is incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exhausted;

/// Deterministic work counter with a limit, and the memory the search's tables may take.
///
/// Memory is modelled, not measured: every table is reserved at its size in bytes (its
/// entries times the constants in `lib.rs`, an upper bound of what Rust allocates for it)
/// before it is allocated, so an instance whose tables would not fit is refused with
/// nothing allocated, and the collector of candidates may keep only as many sets as the
/// room left holds. The Python twin reserves the same sizes, so both refuse alike.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget<'s> {
    pub(crate) nodes: u64,
    pub(crate) limit: u64,
    /// Bytes the tables may take, and the bytes reserved so far.
    pub(crate) memory_limit: u64,
    pub(crate) reserved: u64,
    /// A reservation was refused (the search ended for want of memory).
    pub(crate) refused: bool,
    /// Set by the collector when it drops a set: the next tick ends the search.
    pub(crate) stop: &'s AtomicBool,
}

/// The stop flag of a budget no collector watches.
static NEVER: AtomicBool = AtomicBool::new(false);

impl Budget<'static> {
    /// A budget of `limit` nodes and unbounded memory (the tests' oracle runs).
    #[cfg(test)]
    pub(crate) fn new(limit: i64) -> Self {
        Budget::with_memory(limit, i64::MAX)
    }

    /// A budget of `limit` nodes and `memory_limit` bytes.
    pub(crate) fn with_memory(limit: i64, memory_limit: i64) -> Self {
        Budget {
            nodes: 0,
            limit: u64::try_from(limit).unwrap_or(0),
            memory_limit: u64::try_from(memory_limit).unwrap_or(0),
            reserved: 0,
            refused: false,
            stop: &NEVER,
        }
    }

    /// This budget, ended at its next tick once `stop` is set (by a full collector).
    pub(crate) fn watching(self, stop: &AtomicBool) -> Budget<'_> {
        Budget {
            nodes: self.nodes,
            limit: self.limit,
            memory_limit: self.memory_limit,
            reserved: self.reserved,
            refused: self.refused,
            stop,
        }
    }
}

impl Budget<'_> {
    /// Reserves `count` entries of `bytes` each before a table is allocated; fails (and
    /// remembers why) when they would pass the memory limit.
    pub(crate) fn reserve(&mut self, count: u64, bytes: u64) -> Result<(), Exhausted> {
        let total = self.reserved.saturating_add(count.saturating_mul(bytes));
        if total > self.memory_limit {
            self.refused = true;
            return Err(Exhausted);
        }
        self.reserved = total;
        Ok(())
    }

    /// Counts `n` units of work; fails once the total exceeds the limit.
    #[inline]
    pub(crate) fn tick(&mut self, n: u64) -> Result<(), Exhausted> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limit || self.stop.load(Ordering::Relaxed) {
            Err(Exhausted)
        } else {
            Ok(())
        }
    }

    pub(crate) fn nodes(&self) -> u64 {
        self.nodes
    }
}

/// One amount an item can contribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Val {
    pub(crate) v: i64,
    pub(crate) item: u32,
    pub(crate) disc: bool,
}

/// Two value entries at sorted positions `p < q` belonging to distinct items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pair {
    pub(crate) v: i64,
    pub(crate) p: u32,
    pub(crate) q: u32,
}

pub(crate) enum Prepared {
    TwoPointer {
        vals: Vec<Val>,
    },
    /// `deferred`: the pair table's cost, when the query pays for it (one payment, sets
    /// of 4 and 5: after the sets of 1 to 3, so those are found whatever the table costs).
    /// `bounded`: one payment's sets of 4 and 5 take `sorted_bounds` (no pair table) on
    /// the prefix sums `prefix` (empty otherwise).
    Ksum {
        vals: Vec<Val>,
        pairs: PairTable,
        deferred: Option<PairCost>,
        bounded: bool,
        prefix: Vec<i128>,
    },
    Hs {
        left: Vec<Half>,
        right: Vec<Half>,
    },
    /// `prefix`: sums of the positive parts of the amounts in `order`; `credit`: of the
    /// negative parts (all zero without credits).
    Bnb {
        order: Vec<u32>,
        prefix: Vec<i128>,
        credit: Vec<i128>,
    },
}

/// Target-independent tables of one algorithm, reusable across payments.
pub(crate) struct Engine<'a> {
    pub(crate) items: &'a [Item],
    pub(crate) k: usize,
    pub(crate) tol: i64,
    pub(crate) multi: bool,
    pub(crate) prepared: Prepared,
    /// The largest target the tables serve (`i64::MAX`: any); see [`Engine::prepare`].
    pub(crate) reach: i64,
}

pub(crate) fn sorted_values(items: &[Item], budget: &mut Budget) -> Result<Vec<Val>, Exhausted> {
    let discounted = items
        .iter()
        .filter(|it| it.discounted_minor.is_some())
        .count();
    budget.reserve((items.len() + discounted) as u64, crate::VAL_BYTES)?;
    let mut vals = Vec::with_capacity(items.len() * 2);
    for (i, it) in items.iter().enumerate() {
        vals.push(Val {
            v: it.amount_minor,
            item: i as u32,
            disc: false,
        });
        if let Some(d) = it.discounted_minor {
            vals.push(Val {
                v: d,
                item: i as u32,
                disc: true,
            });
        }
    }
    budget.tick(vals.len() as u64)?;
    vals.sort_unstable();
    Ok(vals)
}

/// Stands for "no such pair" in bounds; mirrors `_NO_PAIR` in Python.
pub(crate) const NO_PAIR: i128 = i128::MAX / 4;

impl<'a> Engine<'a> {
    /// Builds the tables of `algorithm`; their entries count as nodes.
    ///
    /// `multi` says the engine will answer many targets (many-to-many): k-sum then
    /// builds the pair table for triples too and answers sets of 1 to 3 by window
    /// lookups, paying for the table once instead of O(n^2) per target.
    ///
    /// `reach`, when given, is the largest target the engine will be asked: the pair table
    /// then leaves out what no window up to `reach + tol` can use (see
    /// [`build_pair_table`]), which changes no candidate and no node count.
    pub(crate) fn prepare(
        items: &'a [Item],
        k: usize,
        tol: i64,
        algorithm: Algorithm,
        multi: bool,
        reach: Option<i64>,
        budget: &mut Budget,
    ) -> Result<Self, Exhausted> {
        // Validation keeps every target plus the tolerance within i64.
        let cap = reach.map(|r| r.saturating_add(tol));
        let prepared = match algorithm {
            Algorithm::TwoPointer => Prepared::TwoPointer {
                vals: sorted_values(items, budget)?,
            },
            Algorithm::KsumMitm | Algorithm::KsumSharedTriples => {
                let vals = sorted_values(items, budget)?;
                // Triples need no table; only sets of 4 and 5 use the pair table. For one
                // payment the query pays for it after the sets of 1 to 3 (smaller k first);
                // it is built here only when the budget can still pay for it then.
                let bounded = !multi && k >= 4 && wide_amounts(&vals);
                let prefix = if bounded {
                    budget.reserve(vals.len() as u64 + 1, crate::VAL_BYTES)?;
                    prefix_sums(&vals)
                } else {
                    Vec::new()
                };
                let (pairs, deferred) = if multi {
                    (pair_table(items, &vals, cap, budget)?, None)
                } else if k >= 4 && !bounded {
                    let cost = PairCost::of(items, &vals);
                    let pairs = if cost.affordable(budget) {
                        build_pair_table(&vals, cap)
                    } else {
                        PairTable::new(Vec::new())
                    };
                    (pairs, Some(cost))
                } else {
                    (PairTable::new(Vec::new()), None)
                };
                Prepared::Ksum {
                    vals,
                    pairs,
                    deferred,
                    bounded,
                    prefix,
                }
            }
            Algorithm::HorowitzSahni => {
                budget.reserve(crate::hs_table_entries(items), crate::HALF_BYTES)?;
                let half = items.len() / 2;
                let left = half_table(items, 0..half, k, budget)?;
                let mut right = half_table(items, half..items.len(), k, budget)?;
                right.sort_unstable();
                Prepared::Hs { left, right }
            }
            // Its table depends on the target; `dp::solve` serves it per payment.
            Algorithm::SubsetDp => unreachable!("subset_dp has no target-independent tables"),
            Algorithm::BranchAndBound => {
                budget.reserve(items.len() as u64 + 1, crate::BNB_BYTES)?;
                budget.tick(items.len() as u64)?;
                let mut order: Vec<u32> = (0..items.len() as u32).collect();
                order.sort_unstable_by_key(|&i| {
                    (std::cmp::Reverse(items[i as usize].amount_minor), i)
                });
                let mut prefix = vec![0i128; items.len() + 1];
                let mut credit = vec![0i128; items.len() + 1];
                for (j, &i) in order.iter().enumerate() {
                    let a = i128::from(items[i as usize].amount_minor);
                    prefix[j + 1] = prefix[j] + a.max(0);
                    credit[j + 1] = credit[j] + a.min(0);
                }
                Prepared::Bnb {
                    order,
                    prefix,
                    credit,
                }
            }
        };
        Ok(Engine {
            items,
            k,
            tol,
            multi,
            prepared,
            reach: reach.unwrap_or(i64::MAX),
        })
    }

    /// Bytes of a table built here that the query has yet to reserve (the deferred pair
    /// table): the collector's room leaves them out.
    pub(crate) fn pending_bytes(&self) -> u64 {
        match &self.prepared {
            Prepared::Ksum {
                pairs,
                deferred: Some(cost),
                ..
            } if !pairs.is_empty() => cost.entries.saturating_mul(crate::PAIR_BYTES),
            _ => 0,
        }
    }

    /// The items the tables were built from.
    pub(crate) fn items(&self) -> &'a [Item] {
        self.items
    }

    /// Records every candidate for `target` into `found`.
    pub(crate) fn query(
        &self,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        debug_assert!(
            target <= self.reach,
            "the tables were cut below this target"
        );
        match &self.prepared {
            Prepared::TwoPointer { vals } => {
                self.singles(vals, target, budget, found)?;
                if self.k >= 2 {
                    self.two_pointer(vals, target, budget, found)?;
                }
                Ok(())
            }
            Prepared::Ksum {
                vals,
                pairs,
                deferred,
                bounded,
                prefix,
            } => {
                let bounds = &Bounds::new(vals);
                if *bounded {
                    self.singles(vals, target, budget, found)?;
                    self.two_pointer(vals, target, budget, found)?;
                    self.ksum3(vals, bounds, target, budget, found)?;
                    for size in 4..=self.k {
                        self.sorted_bounds(vals, prefix, size, target, budget, found)?;
                    }
                    return Ok(());
                }
                if self.multi {
                    self.singles_window(vals, target, budget, found)?;
                    self.pairs_window(vals, pairs, target, budget, found)?;
                    self.ksum3_table(vals, pairs, target, budget, found)?;
                } else {
                    self.singles(vals, target, budget, found)?;
                    self.two_pointer(vals, target, budget, found)?;
                    self.ksum3(vals, bounds, target, budget, found)?;
                    if let Some(cost) = deferred {
                        cost.charge(budget)?;
                    }
                }
                if self.k >= 4 {
                    self.ksum4(vals, pairs, bounds, target, budget, found)?;
                }
                if self.k >= 5 {
                    self.ksum5(vals, pairs, bounds, target, budget, found)?;
                }
                Ok(())
            }
            Prepared::Hs { left, right } => self.horowitz_sahni(left, right, target, budget, found),
            Prepared::Bnb {
                order,
                prefix,
                credit,
            } => {
                let search = Bnb {
                    items: self.items,
                    order,
                    prefix,
                    credit,
                    k: self.k,
                    lo: i128::from(target) - i128::from(self.tol),
                    hi: i128::from(target) + i128::from(self.tol),
                    target,
                };
                search.run(budget, found)
            }
        }
    }

    pub(crate) fn window(&self, target: i64) -> (i128, i128) {
        let t = i128::from(target);
        let tol = i128::from(self.tol);
        (t - tol, t + tol)
    }
}

/// `min(x, cap)` as i64, for `x` that fits in i64.
#[inline(always)]
pub(crate) fn clamp64(x: i128, cap: i128) -> i64 {
    x.min(cap) as i64
}

/// The first position of `vals` (ascending) whose value is `>= bound`.
#[inline]
pub(crate) fn first_above(vals: &[Val], bound: i128) -> usize {
    match (vals.first(), vals.last()) {
        (Some(x), _) if i128::from(x.v) >= bound => 0,
        (_, Some(z)) if i128::from(z.v) < bound => vals.len(),
        // Some value lies on each side of `bound`, so it fits in i64: the search compares
        // in i64 (two instructions fewer per step than in i128).
        _ => {
            let bound = bound as i64;
            vals.partition_point(|x| x.v < bound)
        }
    }
}

/// True when neither `x` nor `y` is one of `taken`.
pub(crate) fn distinct(taken: &[u32], x: u32, y: u32) -> bool {
    !taken.contains(&x) && !taken.contains(&y)
}
