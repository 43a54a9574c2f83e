//! sorted_bounds: sets of four and five items by a depth-first search over sorted
//! positions, flsss-style: the members are fixed from the largest down, each at a position
//! whose value, with the entries just below it (the largest the rest can be) reaches the
//! window and, with the smallest entries, stays under it (both by binary search), and the
//! last two come from [`pairs_by_larger`] below the smallest member fixed. No
//! pair table: on amounts spread over many decades the bounds leave few partial sets,
//! where the table costs `n^2 / 2` entries whatever the target. Chosen by
//! [`wide_amounts`]. Twin: `engine/matching/kernels/sorted_bounds.py`.

use crate::kernels::collect::{record, Collector};
use crate::kernels::engine::{first_above, Budget, Engine, Exhausted, Val};

/// The amounts span at least this factor (2^20, six decades) for [`wide_amounts`] ...
pub(crate) const WIDE_SPAN_BITS: u32 = 20;

/// ... and there are at most this many value entries: past them the pair table, paid
/// once, serves sets of five faster than the deeper search (wide-range n = 500, k <= 5:
/// 1.3 M nodes here, 158 k with the table).
pub(crate) const WIDE_MAX_ENTRIES: usize = 256;

/// Whether sets of 4 and 5 of one payment take this kernel instead of the pair table:
/// at most [`WIDE_MAX_ENTRIES`] entries, every one positive, the largest at least
/// `2^WIDE_SPAN_BITS` times the smallest. Mirrored by `sorted_bounds.wide_amounts`.
pub(crate) fn wide_amounts(vals: &[Val]) -> bool {
    match (vals.first(), vals.last()) {
        (Some(a), Some(z)) if a.v > 0 && vals.len() <= WIDE_MAX_ENTRIES => {
            i128::from(z.v) >= i128::from(a.v) << WIDE_SPAN_BITS
        }
        _ => false,
    }
}

/// `prefix[i]`: the sum of the first `i` entries (target-independent, built with the
/// engine's tables and reserved like a value entry each).
pub(crate) fn prefix_sums(vals: &[Val]) -> Vec<i128> {
    let mut prefix = Vec::with_capacity(vals.len() + 1);
    prefix.push(0i128);
    for x in vals {
        prefix.push(prefix[prefix.len() - 1] + i128::from(x.v));
    }
    prefix
}

struct Search<'s> {
    vals: &'s [Val],
    prefix: &'s [i128],
    lo: i128,
    hi: i128,
    target: i64,
}

impl Engine<'_> {
    /// Every set of exactly `size` (3 to 5) entries of distinct items in the window. The
    /// start is one node; each position tried at a fixed level is one node.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn sorted_bounds(
        &self,
        vals: &[Val],
        prefix: &[i128],
        size: usize,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo, hi) = self.window(target);
        budget.tick(1)?;
        let search = Search {
            vals,
            prefix,
            lo,
            hi,
            target,
        };
        let mut chosen: Vec<Val> = Vec::with_capacity(size);
        search.level(vals.len(), size, 0, &mut chosen, budget, found)
    }
}

impl Search<'_> {
    /// The members below `chosen` (sum `s`): `m` more entries at positions before `end`.
    /// The range of each level (two binary searches) is one node, and so is each
    /// position tried.
    fn level(
        &self,
        end: usize,
        m: usize,
        s: i128,
        chosen: &mut Vec<Val>,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let vals = self.vals;
        if m == 2 {
            return pairs_by_larger(vals, end, self.lo - s, self.hi - s, budget, |x, y| {
                if chosen.iter().all(|c| c.item != x.item && c.item != y.item) {
                    let mut members = [(0u32, false); 5];
                    for (slot, c) in members.iter_mut().zip(chosen.iter()) {
                        *slot = (c.item, c.disc);
                    }
                    let k = chosen.len();
                    members[k] = (x.item, x.disc);
                    members[k + 1] = (y.item, y.disc);
                    let total = s as i64 + x.v + y.v;
                    record(found, self.target, total, &mut members[..k + 2]);
                }
            });
        }
        if end < m {
            return Ok(());
        }
        budget.tick(1)?;
        let pre = self.prefix;
        // Position p with the m - 1 entries right below it: the largest set p can top,
        // ascending with p. With the m - 1 smallest entries: the smallest.
        let reach = |p: usize| s + i128::from(vals[p].v) + pre[p] - pre[p + 1 - m];
        let (mut a, mut z) = (m - 1, end);
        while a < z {
            let mid = a + (z - a) / 2;
            if reach(mid) < self.lo {
                a = mid + 1;
            } else {
                z = mid;
            }
        }
        let last = first_above(&vals[..end], self.hi - s - pre[m - 1] + 1);
        for (p, &x) in vals.iter().enumerate().take(last).skip(a) {
            budget.tick(1)?;
            if chosen.iter().any(|c| c.item == x.item) {
                continue;
            }
            chosen.push(x);
            self.level(p, m - 1, s + i128::from(x.v), chosen, budget, found)?;
            chosen.pop();
        }
        Ok(())
    }
}

/// Calls `visit` for every pair of entries at positions `i < j < end` of distinct items whose
/// values sum into `[lo, hi]`, by the larger one: `j` runs over the positions whose value is
/// at least half of `lo` and at most `hi` less the smallest entry (two binary searches, one
/// node), each one node, and the partners of `j` are the entries below it in `[lo - v_j,
/// hi - v_j]` (two binary searches), each one node. On amounts spread over many decades few
/// entries lie within a factor of two below the window, where the two-pointer scan of
/// `pairs_in_window` walks over every small entry (wide-range n = 200, k <= 5: 69,842 nodes
/// that way, most of them the sets of five). Mirrored by `sorted_bounds.pairs_by_larger`.
pub(crate) fn pairs_by_larger(
    vals: &[Val],
    end: usize,
    lo: i128,
    hi: i128,
    budget: &mut Budget,
    mut visit: impl FnMut(&Val, &Val),
) -> Result<(), Exhausted> {
    if end < 2 {
        return Ok(());
    }
    budget.tick(1)?;
    let range = &vals[..end];
    // 2 v_j >= lo, i.e. v_j >= ceil(lo / 2); v_j <= hi - vals[0].
    let from = first_above(range, lo.div_euclid(2) + lo.rem_euclid(2)).max(1);
    let to = first_above(range, hi - i128::from(vals[0].v) + 1);
    for j in from..to {
        budget.tick(1)?;
        let y = &vals[j];
        let vy = i128::from(y.v);
        let below = &vals[..j];
        let (a, z) = (first_above(below, lo - vy), first_above(below, hi - vy + 1));
        for x in &vals[a..z] {
            budget.tick(1)?;
            if x.item != y.item {
                visit(x, y);
            }
        }
    }
    Ok(())
}
