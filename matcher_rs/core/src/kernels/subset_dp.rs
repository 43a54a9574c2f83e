//! The `subset_dp` kernel: every candidate set of items without discounts, enumerated
//! output-sensitively from a dynamic-programming table of the payment window.
//! Mirrored line for line by `SubsetDp` in `engine/matching/kernels/subset_dp.py`.
//!
//! With `lo = max(payment - tolerance, 1)`, `hi = payment + tolerance`, window width
//! `w = hi - lo + 1` and `kk = min(k, hi)` (a set of more than `hi` items cannot total
//! `hi` or less, every amount being at least 1), row `i` of the table describes the
//! suffix `items[i..]`: cell `t` (`0 <= t <= hi`) holds the fewest items of a non-empty
//! subset of that suffix whose total lies in `[t - w + 1, t]`, or `kk + 1` ("none with at
//! most `kk` items"). A partial set with total `cur <= hi` and `m` members that may still
//! take items from `i` on therefore has a non-empty completion into the window exactly
//! when `row_i[hi - cur] <= kk - m`: one table read. The table is the witness structure:
//! the depth-first search reads it before it enters any branch, so every prefix it visits
//! is the prefix of at least one candidate.
//!
//! Nodes: the table counts `ceil((hi + 1) / DP_CELLS_PER_NODE)` per row, `n + 1` rows,
//! counted before it is allocated; the search counts one per visited prefix (the empty
//! root included) and one per item examined as the next member of a prefix.

use crate::engine::{Budget, Exhausted};
use crate::rank::{Best, Evidence, Partial};
use crate::{Algorithm, Item, Limits, Solution, DP_CELLS_PER_NODE};
use std::sync::atomic::{AtomicBool, Ordering};

/// The witness table's answer to the one question the search asks.
trait Witness {
    /// Whether some non-empty subset of `items[i..]` with at most `room` items totals
    /// between `b - (hi - lo)` and `b`, where `b = hi - cur` for a prefix totalling `cur`.
    fn completes(&self, i: usize, b: usize, room: usize) -> bool;
}

/// Counts table: row `i`, cell `t` is the fewest items as described in the module
/// documentation, capped at `kk + 1`.
struct Counts<C> {
    cells: Vec<C>,
    width: usize,
}

impl<C: Cell> Witness for Counts<C> {
    #[inline(always)]
    fn completes(&self, i: usize, b: usize, room: usize) -> bool {
        self.cells[i * self.width + b] <= C::of(room)
    }
}

/// Reachability bit table, used when `k >= n`: then the size bound never binds (a
/// completion from `items[i..]` has at most `n - i <= kk - m` items, or, when `kk = hi`,
/// at most `hi - cur <= kk - m` items), so one bit per cell says whether the count is
/// finite. Row `i` is `words` 64-bit words; bit `t` is cell `t`.
struct Reach {
    bits: Vec<u64>,
    words: usize,
}

impl Witness for Reach {
    #[inline(always)]
    fn completes(&self, i: usize, b: usize, _room: usize) -> bool {
        self.bits[i * self.words + b / 64] >> (b % 64) & 1 == 1
    }
}

/// A count cell, capped. One byte while `kk < 255`, else two bytes (enough:
/// `kk <= min(n, hi)`, so `kk >= 2^16 - 1` needs a table of over 2^32 cells).
trait Cell: Copy + Ord {
    fn of(count: usize) -> Self;
    fn plus_one(self) -> Self;
}

impl Cell for u8 {
    fn of(count: usize) -> Self {
        count as u8
    }
    #[inline(always)]
    fn plus_one(self) -> Self {
        self.saturating_add(1)
    }
}

impl Cell for u16 {
    fn of(count: usize) -> Self {
        count as u16
    }
    #[inline(always)]
    fn plus_one(self) -> Self {
        self.saturating_add(1)
    }
}

/// The payment window and the set-size bound of one search.
#[derive(Clone, Copy, Debug)]
struct Window {
    lo: usize,
    hi: usize,
    kk: usize,
    payment: i64,
}

/// Number of nodes the table of `n` items and window top `hi` counts.
pub(crate) fn table_nodes(n: usize, hi: u64) -> u64 {
    (n as u64 + 1).saturating_mul((hi + 1).div_ceil(DP_CELLS_PER_NODE))
}

/// Solves one payment with `subset_dp`. The caller guarantees that no item has a
/// discounted amount and that the table fits in memory (see `crate::dp_applicable`).
pub(crate) fn solve(items: &[Item], k: usize, payment_minor: i64, limits: &Limits) -> Solution {
    debug_assert!(items.iter().all(|it| it.discounted_minor.is_none()));
    let tol = limits.tolerance_minor;
    // Validation bounds both by i64::MAX, so they fit in usize.
    let hi = usize::try_from(payment_minor + tol).expect("payment + tolerance fits in usize");
    let lo = usize::try_from((payment_minor - tol).max(1)).expect("lo >= 1");
    let window = Window {
        lo,
        hi,
        kk: k.min(hi),
        payment: payment_minor,
    };
    // An amount above `hi` never fits; clamped, every sum below stays small.
    let amounts: Vec<usize> = items
        .iter()
        .map(|it| usize::try_from(it.amount_minor).map_or(hi + 1, |a| a.min(hi + 1)))
        .collect();
    let stop = AtomicBool::new(false);
    let mut budget =
        Budget::with_memory(limits.node_budget, limits.memory_limit_bytes).watching(&stop);
    let mut best =
        Best::new(limits.max_candidates).limited_to(crate::solution_limit(limits.max_solutions));
    let complete = search(items, k, &amounts, window, &mut budget, &mut best).is_ok();
    let (outcome, candidates, count) = best.finish(payment_minor, complete, limits.max_candidates);
    let outcome = crate::rank::with_memory(outcome, budget.refused, false);
    Solution {
        outcome,
        candidates,
        candidate_count: count,
        algorithm: Algorithm::SubsetDp,
        nodes: budget.nodes(),
    }
}

/// Counts the table's nodes, builds the cheapest table that answers exactly, searches.
fn search(
    items: &[Item],
    k: usize,
    amounts: &[usize],
    window: Window,
    budget: &mut Budget,
    best: &mut Best,
) -> Result<(), Exhausted> {
    let cells = (amounts.len() as u64 + 1).saturating_mul(window.hi as u64 + 1);
    budget.reserve(cells, crate::DP_CELL_BYTES)?;
    budget.tick(table_nodes(amounts.len(), window.hi as u64))?;
    if k >= amounts.len() {
        Search::new(items, amounts, window, reach_table(amounts, window)).run(budget, best)
    } else if window.kk < u8::MAX as usize {
        let table = count_table::<u8>(amounts, window);
        Search::new(items, amounts, window, table).run(budget, best)
    } else {
        assert!(window.kk < u16::MAX as usize, "kk fits a two-byte cell");
        let table = count_table::<u16>(amounts, window);
        Search::new(items, amounts, window, table).run(budget, best)
    }
}

/// Builds rows `n` down to `0`, one row of exact counts at a time (`exact[s]`: fewest
/// items of the suffix totalling exactly `s`, 0 for the empty set at `s = 0`), then the
/// row's window minima over `s >= 1` (non-empty completions only).
fn count_table<C: Cell>(amounts: &[usize], window: Window) -> Counts<C> {
    let width = window.hi + 1;
    let none = C::of(window.kk + 1);
    let n = amounts.len();
    let mut table = vec![none; (n + 1) * width];
    let mut exact = vec![none; width];
    exact[0] = C::of(0);
    let mut next = exact.clone();
    let mut scratch = vec![none; width];
    let span = window.hi - window.lo + 1;
    window_minima(&exact, span, none, &mut table[n * width..], &mut scratch);
    for i in (0..n).rev() {
        let a = amounts[i];
        next.copy_from_slice(&exact);
        if a <= window.hi {
            // 0/1 knapsack step: taking item i turns a total s - a into s, one more item.
            for (dst, &src) in next[a..].iter_mut().zip(&exact[..width - a]) {
                *dst = (*dst).min(src.plus_one().min(none));
            }
        }
        std::mem::swap(&mut exact, &mut next);
        let row = &mut table[i * width..(i + 1) * width];
        window_minima(&exact, span, none, row, &mut scratch);
    }
    Counts {
        cells: table,
        width,
    }
}

/// [`count_table`] with bits: row `i` holds the totals reachable from `items[i..]`
/// (`exact`, the empty set at bit 0), then, bit 0 cleared, their OR over each window.
/// Bits above `hi` in a row's last word are never read, and shifts only move bits up,
/// so they never reach a cell that is.
fn reach_table(amounts: &[usize], window: Window) -> Reach {
    let words = (window.hi + 1).div_ceil(64);
    let n = amounts.len();
    let mut bits = vec![0u64; (n + 1) * words];
    let mut exact = vec![0u64; words];
    exact[0] = 1;
    let span = window.hi - window.lo + 1;
    let mut scratch = vec![0u64; words];
    window_any(&exact, span, &mut bits[n * words..], &mut scratch);
    for i in (0..n).rev() {
        if amounts[i] <= window.hi {
            shift_or(&mut exact, amounts[i]);
        }
        window_any(
            &exact,
            span,
            &mut bits[i * words..(i + 1) * words],
            &mut scratch,
        );
    }
    Reach { bits, words }
}

/// `x |= x << by` over a bit string of `x.len()` words (bits shifted past the end drop).
fn shift_or(x: &mut [u64], by: usize) {
    let (q, r) = (by / 64, by % 64);
    // Descending, every word read is still the original: it lies at or below the write.
    for w in (q..x.len()).rev() {
        let mut v = x[w - q] << r;
        if r > 0 && w > q {
            v |= x[w - q - 1] >> (64 - r);
        }
        x[w] |= v;
    }
}

/// `out` bit `t` = any of `exact` bits `max(t - span + 1, 1)..=t`, by doubling: after
/// the loop `out` covers windows of `c` (a power of two, `c <= span`), and two windows
/// of `c` cover `span`.
fn window_any(exact: &[u64], span: usize, out: &mut [u64], scratch: &mut [u64]) {
    out.copy_from_slice(exact);
    out[0] &= !1;
    let mut c = 1;
    while 2 * c <= span {
        scratch.copy_from_slice(out);
        shift_or_from(out, scratch, c);
        c *= 2;
    }
    if c < span {
        scratch.copy_from_slice(out);
        shift_or_from(out, scratch, span - c);
    }
}

/// `out |= src << by`.
fn shift_or_from(out: &mut [u64], src: &[u64], by: usize) {
    let (q, r) = (by / 64, by % 64);
    for w in q..out.len() {
        let mut v = src[w - q] << r;
        if r > 0 && w > q {
            v |= src[w - q - 1] >> (64 - r);
        }
        out[w] |= v;
    }
}

/// `out[t] = min(exact[max(t - span + 1, 1)..=t])` (`out[0]` is the cap), by the van
/// Herk / Gil-Werman method: blocks of `span` cells, prefix minima within each block into
/// `out`, suffix minima into `scratch`; a window then spans at most two blocks.
fn window_minima<C: Cell>(exact: &[C], span: usize, none: C, out: &mut [C], scratch: &mut [C]) {
    out.copy_from_slice(exact);
    // The empty set (s = 0) is no completion: with it left out, the cap (the largest
    // value) takes its place, which no window minimum can prefer.
    out[0] = none;
    if span == 1 {
        return;
    }
    scratch.copy_from_slice(out);
    for block in out.chunks_mut(span) {
        for t in 1..block.len() {
            block[t] = block[t].min(block[t - 1]);
        }
    }
    for block in scratch.chunks_mut(span) {
        for t in (0..block.len() - 1).rev() {
            block[t] = block[t].min(block[t + 1]);
        }
    }
    for t in (span - 1..out.len()).rev() {
        out[t] = out[t].min(scratch[t + 1 - span]);
    }
}

/// One level of the explicit depth-first stack: a visited prefix of `m` members with
/// total `cur` and ranking evidence `part`, whose next member is sought from `next` on.
struct Frame {
    next: usize,
    cur: usize,
    m: usize,
    part: Partial,
}

struct Search<'a, T> {
    items: &'a [Item],
    amounts: &'a [usize],
    window: Window,
    table: T,
}

impl<'a, T: Witness> Search<'a, T> {
    fn new(items: &'a [Item], amounts: &'a [usize], window: Window, table: T) -> Self {
        Search {
            items,
            amounts,
            window,
            table,
        }
    }

    /// Whether a prefix with total `cur <= hi` and room for `room` more items has a
    /// non-empty completion from `items[i..]` into the window.
    #[inline(always)]
    fn completes(&self, i: usize, cur: usize, room: usize) -> bool {
        self.table.completes(i, self.window.hi - cur, room)
    }

    /// Depth-first over items in index order. The stack of ancestors is explicit because a
    /// set may have thousands of members and a rayon worker's stack is small; the visit
    /// order is that of the recursion in the Python mirror.
    fn run(&self, budget: &mut Budget, best: &mut Best) -> Result<(), Exhausted> {
        let (n, kk) = (self.amounts.len(), self.window.kk);
        budget.tick(1)?;
        let mut chosen: Vec<u32> = Vec::with_capacity(kk);
        let mut ancestors: Vec<Frame> = Vec::with_capacity(kk);
        let mut top = Frame {
            next: if kk > 0 { 0 } else { n },
            cur: 0,
            m: 0,
            part: Partial::EMPTY,
        };
        loop {
            let j = top.next;
            if j == n {
                let Some(parent) = ancestors.pop() else {
                    return Ok(());
                };
                top = parent;
                chosen.pop();
                continue;
            }
            top.next += 1;
            budget.tick(1)?;
            let (cur, m) = (top.cur + self.amounts[j], top.m + 1);
            let fits = cur <= self.window.hi;
            let offer = fits && cur >= self.window.lo;
            let extend = fits && self.completes(j + 1, cur, kk - m);
            if !offer && !extend {
                // Item j starts no completion; if none from items[j..] completes the
                // prefix, none from a shorter suffix does either.
                if !self.completes(j, top.cur, kk - top.m) {
                    top.next = n;
                }
                continue;
            }
            budget.tick(1)?;
            let part = top.part.with(&self.items[j]);
            chosen.push(j as u32);
            if offer {
                let residual = self.window.payment - cur as i64;
                best.offer(Evidence::of_partial(&part, m, residual), &chosen, residual);
                if best.limited {
                    // The solution limit: the search ends at its next tick.
                    budget.stop.store(true, Ordering::Relaxed);
                }
            }
            if extend {
                let child = Frame {
                    next: j + 1,
                    cur,
                    m,
                    part,
                };
                ancestors.push(std::mem::replace(&mut top, child));
            } else {
                chosen.pop();
            }
        }
    }
}
