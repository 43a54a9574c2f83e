//! Subset-matching core for cashapp. Knows nothing of Python.
//!
//! Given the open items of one customer and a payment, find every set of at most
//! `max_items` distinct items (each taken at its full or, when it has one, its
//! discounted amount) whose total lies within `tolerance_minor` of the payment,
//! rank those candidates and say whether one of them is clearly best.
//!
//! The pure-Python fallback (`engine/matching/solver_py.py`) implements the very
//! same algorithms with the very same work counter ("nodes"), so both return the
//! same result bit for bit, including when the node budget runs out.
//!
//! Definitions (shared with the Python side):
//! - `residual_minor = payment - total` (positive: the customer paid more).
//! - One-to-many items may be credit memos (negative amounts, no discount), netted inside
//!   a set; see [`validate_signed_items`]. Many-to-many and counting take positive amounts.
//! - One candidate per item set: the variant with the smallest `|residual|`, then
//!   fewer discounted items, then the lexicographically smallest flag tuple.
//! - Ranking key, ascending: `(residual != 0, |residual|, -sum(reference_score),
//!   |S|, max(due) - min(due), sum(due), item_indices)`.
//! - Outcome: `NoMatch` without candidates; `Matched` when exactly one candidate
//!   has the best tier `(residual != 0, -sum(reference_score))`; `Ambiguous`
//!   otherwise; `BudgetExhausted` whenever the search stopped early.
//!
//! Kernels (the choice never changes the candidates, only the work and `nodes`):
//! `two_pointer` (`k <= 2`), `ksum_mitm` (`k <= 5`), then per payment `subset_dp`
//! (no discounts, a DP table of at most [`DP_TABLE_LIMIT`] cells, cheaper than the
//! Horowitz-Sahni tables), `horowitz_sahni` (half tables within [`HS_TABLE_LIMIT`]) or
//! `branch_and_bound`; see [`choose_algorithm`] and [`choose_algorithm_for_payment`].

mod batch;
pub mod kernels;
mod many;

// Short paths to the shared rooms of the kernels (see kernels/mod.rs).
use kernels::subset_dp as dp;
pub(crate) use kernels::{engine, rank};

pub use batch::{solve_batch, FlatBatch, FlatSolutions};
pub use kernels::count::{
    count_subsets, count_subsets_multi, CountLimits, CountOutcome, SubsetCount, COUNT_MAX_BITS,
    COUNT_MAX_WITNESS_BITS,
};
pub use many::{solve_many_to_many, Group, ManyLimits, ManySolution};

use std::fmt;
use std::sync::atomic::AtomicBool;

/// Version of the solver core, reported by the Python binding.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Highest accepted reference score (a percentage).
pub const MAX_REFERENCE_SCORE: i64 = 100;

/// Largest item count per set served by the k-sum kernel on pair tables.
pub const KSUM_MAX_ITEMS: usize = 5;

/// Horowitz-Sahni is chosen only when both half tables together hold at most
/// this many partial assignments (entries, each 32 bytes).
pub const HS_TABLE_LIMIT: u64 = 1 << 21;

/// Largest triple table (entries, 24 bytes each) the `ksum_shared_triples` kernel of
/// [`solve_one_to_many_multi`] builds; larger instances take the per-payment path.
pub const TRIPLE_TABLE_LIMIT: u64 = 1 << 21;

/// The shared triple table is built only for at least this many payments ...
pub const SHARED_MIN_PAYMENTS: usize = 16;

/// ... and at most this many triple entries per payment (amortisation of the build).
pub const SHARED_TRIPLES_PER_PAYMENT: u64 = 1 << 14;

/// `subset_dp` is chosen only when its table, `(n + 1) * (payment + tolerance + 1)` cells,
/// has at most this many cells: 16 MiB at one byte per cell (two when more than 254 items
/// may form a set).
pub const DP_TABLE_LIMIT: u64 = 1 << 24;

/// Cells of a `subset_dp` table row counted as one node.
pub const DP_CELLS_PER_NODE: u64 = 64;

/// Default of `limits.memory_limit_bytes`: what one search's tables and candidates may take.
pub const DEFAULT_MEMORY_LIMIT_BYTES: i64 = 64 << 20;

// The modelled footprint, in bytes per entry, that a search reserves against
// `memory_limit_bytes` before it allocates (upper bounds of what Rust allocates at its
// peak; the Python twin reserves the same, so both refuse the same instances).
/// A sorted value entry (`Val`).
pub const VAL_BYTES: u64 = 16;
/// A pair of entries: the packed key and its spare during the radix sort, then the
/// `Pair`, for each of the `l (l - 1) / 2` pairs of `l` entries.
pub const PAIR_BYTES: u64 = 24;
/// A Horowitz-Sahni half-table entry (`Half`), for each of the bound's entries.
pub const HALF_BYTES: u64 = 32;
/// An item of the branch-and-bound order and its prefix sum.
pub const BNB_BYTES: u64 = 24;
/// A triple: the packed key and the `Triple`.
pub const TRIPLE_BYTES: u64 = 24;
/// A `subset_dp` table cell (two bytes at most).
pub const DP_CELL_BYTES: u64 = 2;
/// A candidate set kept by the collector: its key and variant in the hash map or list
/// (with the map's spare capacity) and its ranking entry.
pub const CANDIDATE_BYTES: u64 = 160;

/// One open item (invoice) of the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item {
    pub amount_minor: i64,
    pub discounted_minor: Option<i64>,
    pub due_ordinal: i64,
    pub reference_score: i64,
}

impl Item {
    /// An item without discount, due date or reference evidence.
    pub fn plain(amount_minor: i64) -> Self {
        Item {
            amount_minor,
            discounted_minor: None,
            due_ordinal: 0,
            reference_score: 0,
        }
    }
}

/// Search limits of a one-to-many problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_items: i64,
    pub tolerance_minor: i64,
    pub node_budget: i64,
    pub max_candidates: i64,
    /// Bytes the search's tables and kept candidates may take (see [`CANDIDATE_BYTES`]);
    /// an instance whose tables would pass it is refused before they are allocated.
    pub memory_limit_bytes: i64,
    /// Stop once this many item sets are found (flsss's `n_solutions`); 0: every set.
    /// Which sets are "first" is the kernels' fixed enumeration order, the same in the
    /// Python twin; a search cut there answers [`Outcome::SolutionLimit`].
    pub max_solutions: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_items: 5,
            tolerance_minor: 0,
            node_budget: 5_000_000,
            max_candidates: 10,
            memory_limit_bytes: DEFAULT_MEMORY_LIMIT_BYTES,
            max_solutions: 0,
        }
    }
}

/// How a search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Matched,
    Ambiguous,
    NoMatch,
    BudgetExhausted,
    /// The tables would pass `memory_limit_bytes` (refused before allocating), or more
    /// candidates match than the memory left may keep; the search is incomplete.
    MemoryLimit,
    /// `limits.max_solutions` sets were found and the search stopped there, with more of
    /// it left to run: the candidates are the sets found first, not necessarily the best.
    SolutionLimit,
}

impl Outcome {
    /// All outcomes in code order (the batch API reports `code()`).
    pub const ALL: [Outcome; 6] = [
        Outcome::Matched,
        Outcome::Ambiguous,
        Outcome::NoMatch,
        Outcome::BudgetExhausted,
        Outcome::MemoryLimit,
        Outcome::SolutionLimit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Matched => "MATCHED",
            Outcome::Ambiguous => "AMBIGUOUS",
            Outcome::NoMatch => "NO_MATCH",
            Outcome::BudgetExhausted => "BUDGET_EXHAUSTED",
            Outcome::MemoryLimit => "MEMORY_LIMIT",
            Outcome::SolutionLimit => "SOLUTION_LIMIT",
        }
    }

    pub fn code(self) -> i64 {
        match self {
            Outcome::Matched => 0,
            Outcome::Ambiguous => 1,
            Outcome::NoMatch => 2,
            Outcome::BudgetExhausted => 3,
            Outcome::MemoryLimit => 4,
            Outcome::SolutionLimit => 5,
        }
    }
}

/// The search algorithm chosen for an instance (see [`choose_algorithm`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    TwoPointer,
    KsumMitm,
    HorowitzSahni,
    BranchAndBound,
    /// Chosen per payment by [`choose_algorithm_for_payment`] only.
    SubsetDp,
    /// Only reported by [`solve_one_to_many_multi`] (never chosen by [`choose_algorithm`],
    /// not in [`Algorithm::ALL`]); forcing it serves like `KsumMitm`.
    KsumSharedTriples,
}

impl Algorithm {
    /// All algorithms in code order (the batch API reports `code()`).
    pub const ALL: [Algorithm; 5] = [
        Algorithm::TwoPointer,
        Algorithm::KsumMitm,
        Algorithm::HorowitzSahni,
        Algorithm::BranchAndBound,
        Algorithm::SubsetDp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::TwoPointer => "two_pointer",
            Algorithm::KsumMitm => "ksum_mitm",
            Algorithm::HorowitzSahni => "horowitz_sahni",
            Algorithm::BranchAndBound => "branch_and_bound",
            Algorithm::SubsetDp => "subset_dp",
            Algorithm::KsumSharedTriples => "ksum_shared_triples",
        }
    }

    pub fn code(self) -> i64 {
        match self {
            Algorithm::TwoPointer => 0,
            Algorithm::KsumMitm => 1,
            Algorithm::HorowitzSahni => 2,
            Algorithm::BranchAndBound => 3,
            Algorithm::SubsetDp => 4,
            Algorithm::KsumSharedTriples => 5,
        }
    }
}

/// One explanation of the payment: a set of items and the amounts taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Item indices, ascending.
    pub item_indices: Vec<u32>,
    /// `discounted[i]` is true when `item_indices[i]` is taken at its discounted amount.
    pub discounted: Vec<bool>,
    pub total_minor: i64,
    pub residual_minor: i64,
}

/// Result of a one-to-many search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Solution {
    pub outcome: Outcome,
    /// The best `max_candidates` candidates, best first.
    pub candidates: Vec<Candidate>,
    /// Number of candidates found (all of them, not only those returned).
    pub candidate_count: u64,
    pub algorithm: Algorithm,
    /// Deterministic work counter, identical in the Python fallback.
    pub nodes: u64,
}

/// Bad input. Every variant becomes a Python `ValueError` except `ThreadPool`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SolveError {
    /// A field is out of its domain; the message names the field.
    Invalid(String),
    /// Sums could overflow i64; refused rather than wrapped.
    Overflow(String),
    /// The rayon thread pool could not be built.
    ThreadPool(String),
}

impl fmt::Display for SolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SolveError::Invalid(m) | SolveError::Overflow(m) | SolveError::ThreadPool(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for SolveError {}

fn invalid(message: String) -> SolveError {
    SolveError::Invalid(message)
}

/// Checks the limits shared by the one-to-many and many-to-many searches.
pub(crate) fn validate_common_limits(
    max_items: i64,
    tolerance_minor: i64,
    node_budget: i64,
    max_candidates: i64,
    memory_limit_bytes: i64,
) -> Result<(), SolveError> {
    if memory_limit_bytes < 0 {
        return Err(invalid("limits.memory_limit_bytes must be >= 0".into()));
    }
    if max_items < 1 {
        return Err(invalid("limits.max_items must be >= 1".into()));
    }
    if tolerance_minor < 0 {
        return Err(invalid("limits.tolerance_minor must be >= 0".into()));
    }
    if node_budget < 0 {
        return Err(invalid("limits.node_budget must be >= 0".into()));
    }
    if max_candidates < 0 {
        return Err(invalid("limits.max_candidates must be >= 0".into()));
    }
    Ok(())
}

pub(crate) fn validate_max_solutions(max_solutions: i64) -> Result<(), SolveError> {
    if max_solutions < 0 {
        return Err(invalid("limits.max_solutions must be >= 0".into()));
    }
    Ok(())
}

/// The collector's stop point for `limits.max_solutions` (0: none).
pub(crate) fn solution_limit(max_solutions: i64) -> u64 {
    match u64::try_from(max_solutions) {
        Ok(0) | Err(_) => u64::MAX,
        Ok(m) => m,
    }
}

/// Checks every item and returns the sum of the full amounts (as i128).
pub(crate) fn validate_items(items: &[Item]) -> Result<i128, SolveError> {
    for (i, it) in items.iter().enumerate() {
        if it.amount_minor <= 0 {
            return Err(invalid(format!("items[{i}].amount_minor must be > 0")));
        }
    }
    validate_signed_items(items)
}

/// Checks every item of a one-to-many search, where credit memos (negative amounts) are
/// netted inside a set, and returns the sum of the absolute full amounts (as i128): every
/// partial sum of a set and every window bound then fits in i64 once that sum, the payment
/// and the tolerance do. A credit has no early-payment discount.
pub(crate) fn validate_signed_items(items: &[Item]) -> Result<i128, SolveError> {
    let mut total: i128 = 0;
    for (i, it) in items.iter().enumerate() {
        if it.amount_minor == 0 {
            return Err(invalid(format!("items[{i}].amount_minor must not be 0")));
        }
        if let Some(d) = it.discounted_minor {
            if it.amount_minor < 0 {
                return Err(invalid(format!(
                    "items[{i}].discounted_minor must be absent on a credit (amount_minor < 0)"
                )));
            }
            if d <= 0 || d >= it.amount_minor {
                return Err(invalid(format!(
                    "items[{i}].discounted_minor must be > 0 and < amount_minor"
                )));
            }
        }
        if !(0..=MAX_REFERENCE_SCORE).contains(&it.reference_score) {
            return Err(invalid(format!(
                "items[{i}].reference_score must be between 0 and 100"
            )));
        }
        total += i128::from(it.amount_minor).abs();
    }
    Ok(total)
}

/// Whether some item is a credit memo (a negative amount).
pub fn has_credits(items: &[Item]) -> bool {
    items.iter().any(|it| it.amount_minor < 0)
}

fn validate_one(items: &[Item], payment_minor: i64, limits: &Limits) -> Result<(), SolveError> {
    validate_common_limits(
        limits.max_items,
        limits.tolerance_minor,
        limits.node_budget,
        limits.max_candidates,
        limits.memory_limit_bytes,
    )?;
    validate_max_solutions(limits.max_solutions)?;
    if payment_minor <= 0 {
        return Err(invalid("payment_minor must be > 0".into()));
    }
    let total = validate_signed_items(items)?;
    let worst = total + i128::from(payment_minor) + i128::from(limits.tolerance_minor);
    if worst > i128::from(i64::MAX) {
        return Err(SolveError::Overflow(
            "overflow: sum of |amount_minor|, payment_minor and tolerance_minor exceeds int64"
                .into(),
        ));
    }
    Ok(())
}

/// The target-independent rule; mirrored by `solver_py.choose_algorithm`. Many-to-many
/// uses it as is; one payment goes through [`choose_algorithm_for_payment`].
///
/// With `k = min(max_items, n)`: `k <= 2` two-pointer; `k <= 5` k-sum
/// meet-in-the-middle; otherwise Horowitz-Sahni when both half tables
/// (3 states per discounted item, 2 otherwise) hold at most [`HS_TABLE_LIMIT`]
/// entries together; branch-and-bound otherwise.
pub fn choose_algorithm(items: &[Item], max_items: i64) -> Algorithm {
    let k = effective_k(items.len(), max_items);
    if k <= 2 {
        return Algorithm::TwoPointer;
    }
    if k <= KSUM_MAX_ITEMS {
        return Algorithm::KsumMitm;
    }
    if hs_table_entries(items) <= HS_TABLE_LIMIT {
        Algorithm::HorowitzSahni
    } else {
        Algorithm::BranchAndBound
    }
}

/// The rule of one payment; mirrored by `solver_py.choose_algorithm_for_payment`.
///
/// [`choose_algorithm`], except where it picks `HorowitzSahni` or `BranchAndBound`
/// (`k > 5`) and [`dp_applicable`] holds: then `SubsetDp` replaces `BranchAndBound`
/// always, and `HorowitzSahni` when the DP table counts no more nodes than the two half
/// tables hold entries. Both kernels then pay per matching set (the DP about 25 nodes,
/// Horowitz-Sahni a window entry and a hash-map insert, about ten times the DP's time),
/// so the fixed cost decides: `2^(n/2)` half-table entries against `(n + 1) * (hi + 1)
/// / 64` table nodes, which favours Horowitz-Sahni for few items and a large target.
/// Branch-and-bound has no such bound: it may visit every subset of a no-match.
pub fn choose_algorithm_for_payment(
    items: &[Item],
    max_items: i64,
    payment_minor: i64,
    tolerance_minor: i64,
) -> Algorithm {
    let algorithm = choose_algorithm(items, max_items);
    let cheaper = match algorithm {
        Algorithm::BranchAndBound => true,
        Algorithm::HorowitzSahni => {
            let hi = payment_minor.saturating_add(tolerance_minor).max(0) as u64;
            dp::table_nodes(items.len(), hi) <= hs_table_entries(items)
        }
        _ => false,
    };
    if cheaper && dp_applicable(items, payment_minor, tolerance_minor) {
        Algorithm::SubsetDp
    } else {
        algorithm
    }
}

/// Whether `subset_dp` can serve a payment: no item has a discounted amount (the kernel
/// produces each set in one variant), every amount is positive (validation guarantees it;
/// checked here because this function is public) and the table, `(n + 1) * (payment +
/// tolerance + 1)` cells, has at most [`DP_TABLE_LIMIT`] of them.
pub fn dp_applicable(items: &[Item], payment_minor: i64, tolerance_minor: i64) -> bool {
    let plain = items
        .iter()
        .all(|it| it.discounted_minor.is_none() && it.amount_minor > 0);
    let hi = i128::from(payment_minor) + i128::from(tolerance_minor);
    let cells = (items.len() as i128 + 1) * (hi + 1);
    plain && hi >= 1 && cells <= i128::from(DP_TABLE_LIMIT)
}

/// Entries of both Horowitz-Sahni half tables (saturated past [`HS_TABLE_LIMIT`]).
pub(crate) fn hs_table_entries(items: &[Item]) -> u64 {
    let half = items.len() / 2;
    half_table_size(&items[..half]).saturating_add(half_table_size(&items[half..]))
}

fn half_table_size(items: &[Item]) -> u64 {
    let mut size: u64 = 1;
    for it in items {
        let states = if it.discounted_minor.is_some() { 3 } else { 2 };
        size = size.saturating_mul(states);
        if size > HS_TABLE_LIMIT {
            return u64::MAX / 2;
        }
    }
    size
}

pub(crate) fn effective_k(n: usize, max_items: i64) -> usize {
    let k = usize::try_from(max_items).unwrap_or(usize::MAX);
    k.min(n)
}

/// Finds, ranks and classifies every candidate set of items for one payment.
pub fn solve_one_to_many(
    items: &[Item],
    payment_minor: i64,
    limits: &Limits,
) -> Result<Solution, SolveError> {
    validate_one(items, payment_minor, limits)?;
    let algorithm = choose_algorithm_for_payment(
        items,
        limits.max_items,
        payment_minor,
        limits.tolerance_minor,
    );
    let k = effective_k(items.len(), limits.max_items);
    if algorithm == Algorithm::SubsetDp {
        return Ok(dp::solve(items, k, payment_minor, limits));
    }
    let stop = AtomicBool::new(false);
    let mut budget =
        engine::Budget::with_memory(limits.node_budget, limits.memory_limit_bytes).watching(&stop);
    let mut found = engine::Collector::new(items);
    let complete = match engine::Engine::prepare(
        items,
        k,
        limits.tolerance_minor,
        algorithm,
        false,
        Some(payment_minor),
        &mut budget,
    ) {
        Ok(eng) => {
            found = found
                .bounded(&budget, eng.pending_bytes(), 0)
                .limited_to(solution_limit(limits.max_solutions));
            eng.query(payment_minor, &mut budget, &mut found).is_ok()
        }
        Err(engine::Exhausted) => false,
    };
    let (outcome, candidates, count) = rank::finish_one(
        items,
        payment_minor,
        found,
        complete,
        budget.refused,
        limits.max_candidates,
    );
    Ok(Solution {
        outcome,
        candidates,
        candidate_count: count,
        algorithm,
        nodes: budget.nodes(),
    })
}

/// Whether [`solve_one_to_many_multi`] serves `payments` payments with the
/// `ksum_shared_triples` kernel; mirrored by `solver_py._use_shared_triples`.
///
/// Only where k-sum serves `k` in 4..=5, for at least [`SHARED_MIN_PAYMENTS`]
/// payments, with a triple table of at most [`TRIPLE_TABLE_LIMIT`] entries and at
/// most [`SHARED_TRIPLES_PER_PAYMENT`] entries per payment.
pub fn use_shared_triples(items: &[Item], max_items: i64, payments: usize) -> bool {
    let k = effective_k(items.len(), max_items);
    if choose_algorithm(items, max_items) != Algorithm::KsumMitm || k < 4 {
        return false;
    }
    // Its packed triple keys are unsigned: credits take the default path.
    if payments < SHARED_MIN_PAYMENTS || has_credits(items) {
        return false;
    }
    let l = items.len()
        + items
            .iter()
            .filter(|i| i.discounted_minor.is_some())
            .count();
    let triples = engine::triple_count(items.len(), l);
    triples <= TRIPLE_TABLE_LIMIT
        && triples <= (payments as u64).saturating_mul(SHARED_TRIPLES_PER_PAYMENT)
}

/// Solves every payment of `payments_minor` against the same `items`: entry `j` of
/// the result has the candidates, ranking, candidate count and outcome of
/// `solve_one_to_many(items, payments_minor[j], limits)`.
///
/// Default path: the target-independent tables (sorted value entries, pair-sum table,
/// half tables, branch-and-bound order) are built once and shared by all payments;
/// each payment's node count still includes the table entries, exactly as a separate
/// call would count them, so every field (algorithm and `nodes` included) equals the
/// separate call's. A payment [`choose_algorithm_for_payment`] gives to `subset_dp` is
/// solved on its own, as a separate call would be: the DP table depends on the target.
///
/// When [`use_shared_triples`] holds, the `ksum_shared_triples` kernel is used instead
/// (algorithm `KsumSharedTriples`, its own node count: one per sorted entry, pair and
/// triple of the shared tables, then per payment the counts of the windows and loops
/// of `SharedTriples::query`). If the shared tables alone exceed the node budget, every
/// payment takes the default path; if a payment's search exceeds it, that payment is
/// solved by `solve_one_to_many`. So BUDGET_EXHAUSTED is reported exactly when
/// `solve_one_to_many` reports it, except that a payment whose shared search completes
/// within the budget is reported complete (its candidates are the full definition).
/// Payments are solved in parallel on rayon's global pool; results come back in input
/// order.
///
/// Errors: the one-to-many checks, with `payments_minor[{j}] must be > 0` for a bad
/// payment and the overflow check made with the largest payment.
pub fn solve_one_to_many_multi(
    items: &[Item],
    payments_minor: &[i64],
    limits: &Limits,
) -> Result<Vec<Solution>, SolveError> {
    validate_multi(items, payments_minor, limits)?;
    let algorithm = choose_algorithm(items, limits.max_items);
    let k = effective_k(items.len(), limits.max_items);
    if use_shared_triples(items, limits.max_items, payments_minor.len()) {
        let mut prepared_budget =
            engine::Budget::with_memory(limits.node_budget, limits.memory_limit_bytes);
        if let Ok(shared) =
            engine::SharedTriples::prepare(items, k, limits.tolerance_minor, &mut prepared_budget)
        {
            let solve = |&payment_minor: &i64| {
                let stop = AtomicBool::new(false);
                let mut budget = prepared_budget.watching(&stop);
                let mut found = engine::Collector::new(items)
                    .bounded(&budget, 0, 0)
                    .limited_to(solution_limit(limits.max_solutions));
                // Its enumeration order is not the separate call's, so a search that
                // reaches the solution limit is answered by the separate call.
                if shared
                    .query(payment_minor, &mut budget, &mut found)
                    .is_err()
                    || found.overflowed
                    || found.limited
                {
                    return solve_one_to_many(items, payment_minor, limits);
                }
                let (outcome, candidates, count) = rank::finish_one(
                    items,
                    payment_minor,
                    found,
                    true,
                    false,
                    limits.max_candidates,
                );
                Ok(Solution {
                    outcome,
                    candidates,
                    candidate_count: count,
                    algorithm: Algorithm::KsumSharedTriples,
                    nodes: budget.nodes(),
                })
            };
            use rayon::prelude::*;
            return payments_minor
                .par_iter()
                .with_max_len(1)
                .map(solve)
                .collect();
        }
    }
    // The DP table depends on the payment, so `subset_dp` payments are solved one by one;
    // the tables of `algorithm` are built once, and only if some payment needs them.
    let dp = |p: i64| {
        choose_algorithm_for_payment(items, limits.max_items, p, limits.tolerance_minor)
            == Algorithm::SubsetDp
    };
    let mut prepared_budget =
        engine::Budget::with_memory(limits.node_budget, limits.memory_limit_bytes);
    let prepared = payments_minor.iter().any(|&p| !dp(p)).then(|| {
        engine::Engine::prepare(
            items,
            k,
            limits.tolerance_minor,
            algorithm,
            false,
            payments_minor.iter().copied().max(),
            &mut prepared_budget,
        )
    });
    let solve = |&payment_minor: &i64| {
        if dp(payment_minor) {
            return dp::solve(items, k, payment_minor, limits);
        }
        let stop = AtomicBool::new(false);
        let mut budget = prepared_budget.watching(&stop);
        let pending = match &prepared {
            Some(Ok(eng)) => eng.pending_bytes(),
            _ => 0,
        };
        let mut found = engine::Collector::new(items)
            .bounded(&budget, pending, 0)
            .limited_to(solution_limit(limits.max_solutions));
        let complete = match &prepared {
            Some(Ok(eng)) => eng.query(payment_minor, &mut budget, &mut found).is_ok(),
            // `None` is never seen here: it means every payment takes `subset_dp`.
            Some(Err(engine::Exhausted)) | None => false,
        };
        let (outcome, candidates, count) = rank::finish_one(
            items,
            payment_minor,
            found,
            complete,
            budget.refused,
            limits.max_candidates,
        );
        Solution {
            outcome,
            candidates,
            candidate_count: count,
            algorithm,
            nodes: budget.nodes(),
        }
    };
    if payments_minor.len() <= 1 {
        return Ok(payments_minor.iter().map(solve).collect());
    }
    use rayon::prelude::*;
    Ok(payments_minor
        .par_iter()
        .with_max_len(1)
        .map(solve)
        .collect())
}

fn validate_multi(
    items: &[Item],
    payments_minor: &[i64],
    limits: &Limits,
) -> Result<(), SolveError> {
    validate_common_limits(
        limits.max_items,
        limits.tolerance_minor,
        limits.node_budget,
        limits.max_candidates,
        limits.memory_limit_bytes,
    )?;
    validate_max_solutions(limits.max_solutions)?;
    for (j, &p) in payments_minor.iter().enumerate() {
        if p <= 0 {
            return Err(invalid(format!("payments_minor[{j}] must be > 0")));
        }
    }
    let total = validate_signed_items(items)?;
    let largest = payments_minor.iter().copied().max().unwrap_or(0);
    let worst = total + i128::from(largest) + i128::from(limits.tolerance_minor);
    if worst > i128::from(i64::MAX) {
        return Err(SolveError::Overflow(
            "overflow: sum of |amount_minor|, payment_minor and tolerance_minor exceeds int64"
                .into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
