//! ksum_mitm: sets of three to five items, meet in the middle over the sorted value
//! entries and the pair table. Twin: `engine/matching/kernels/ksum_mitm.py`.

use crate::kernels::collect::{record, Collector};
use crate::kernels::engine::{
    clamp64, distinct, first_above, Budget, Engine, Exhausted, Pair, Val, NO_PAIR,
};
use crate::kernels::pair_table::PairTable;
use crate::kernels::two_pointer::pairs_in_window;

/// Value bounds of the k-sum kernels, read from the sorted entries on demand (not
/// counted as work; no tables, so a large instance allocates nothing for them). A bound
/// may add one item's two entries; bounds only prune.
pub(crate) struct Bounds<'v> {
    pub(crate) vals: &'v [Val],
    /// The largest value of two entries (`-NO_PAIR` with fewer than two).
    pub(crate) top2: i128,
}

impl<'v> Bounds<'v> {
    pub(crate) fn new(vals: &'v [Val]) -> Self {
        let l = vals.len();
        let top2 = if l >= 2 {
            i128::from(vals[l - 1].v) + i128::from(vals[l - 2].v)
        } else {
            -NO_PAIR
        };
        Bounds { vals, top2 }
    }

    pub(crate) fn v(&self, i: usize) -> i128 {
        i128::from(self.vals[i].v)
    }

    /// The smallest value of the two entries after position `q` (`NO_PAIR` if none).
    #[inline]
    pub(crate) fn min_after(&self, q: usize) -> i128 {
        if q + 2 < self.vals.len() {
            self.v(q + 1) + self.v(q + 2)
        } else {
            NO_PAIR
        }
    }

    /// The largest value of the two entries before position `q` (`-NO_PAIR` if none).
    #[inline]
    pub(crate) fn max_before(&self, q: usize) -> i128 {
        if q >= 2 {
            self.v(q - 1) + self.v(q - 2)
        } else {
            -NO_PAIR
        }
    }

    /// The first position `q < end` with `vals[q] + max_before(q) >= bound` (that sum
    /// ascends with `q`), or `end`.
    pub(crate) fn first_trip(&self, end: usize, bound: i128) -> usize {
        let (mut lo, mut hi) = (0, end);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.v(mid) + self.max_before(mid) < bound {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// Whether the kernel for sets of `k` (3 to 5) items fixes the largest part of a set first
/// ("top": triples `s` + earlier pair, quadruples pair + earlier pair, quintuples pair +
/// earlier entry + earlier pair) rather than the smallest ("bottom"). Each way visits
/// every set once; on skewed amounts (the large entries carry the total) top visits far
/// fewer partial sets, on flat ones either may win. The rule compares how many outer-loop
/// rows (entries for `k = 3`, else pairs) each way can visit, found by binary search;
/// ties go to top. Mirrored by `ksum_mitm.top_first` in Python.
pub(crate) fn top_first(
    k: usize,
    vals: &[Val],
    pairs: &[Pair],
    lo: i128,
    hi: i128,
    top2: i128,
) -> bool {
    let v = |i: usize| i128::from(vals[i].v);
    // Rows whose value x satisfies `below(x)` precede the rest (x ascending).
    let entries =
        |below: &dyn Fn(i128) -> bool| vals.partition_point(|x| below(i128::from(x.v))) as i64;
    let rows =
        |below: &dyn Fn(i128) -> bool| pairs.partition_point(|x| below(i128::from(x.v))) as i64;
    let (bottom, top) = match k {
        3 => (
            entries(&|x| 3 * x <= hi) - entries(&|x| x < lo - top2),
            entries(&|x| x <= hi - v(0) - v(1)) - entries(&|x| 3 * x < lo),
        ),
        4 => (
            rows(&|x| 2 * x <= hi) - rows(&|x| x < lo - top2),
            rows(&|x| x <= hi - v(0) - v(1)) - rows(&|x| 2 * x < lo),
        ),
        _ => (
            rows(&|x| 2 * x <= hi - v(0)) - rows(&|x| 3 * x < 2 * (lo - top2)),
            rows(&|x| x <= hi - v(0) - v(1) - v(2)) - rows(&|x| 5 * x < 2 * lo),
        ),
    };
    top <= bottom
}

impl Engine<'_> {
    /// Calls `visit` on every pair whose value lies in `[lo, hi]`, counting each.
    /// Finding the window's start is not counted as work.
    #[inline(always)]
    pub(crate) fn scan_pairs(
        table: &PairTable,
        lo: i128,
        hi: i128,
        budget: &mut Budget,
        visit: impl FnMut(&Pair),
    ) -> Result<(), Exhausted> {
        // Every pair value fits in i64, so bounds clamped to i64 select the same pairs.
        let clamp = |x: i128| x.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        Self::scan_pairs64(table, clamp(lo), clamp(hi), budget, visit)
    }

    /// [`Engine::scan_pairs`] on i64 bounds.
    #[inline(always)]
    pub(crate) fn scan_pairs64(
        table: &PairTable,
        lo: i64,
        hi: i64,
        budget: &mut Budget,
        mut visit: impl FnMut(&Pair),
    ) -> Result<(), Exhausted> {
        if !table.occ.may_hit64(lo, hi) {
            return Ok(());
        }
        let pairs = &table.pairs;
        let mut j = table.occ.first_at_least64(pairs, lo, |p| p.v);
        while j < pairs.len() && pairs[j].v <= hi {
            budget.tick(1)?;
            visit(&pairs[j]);
            j += 1;
        }
        Ok(())
    }

    // Sets of 3 to 5 are decomposed in value order: with the chosen entries at sorted
    // positions e1 < e2 < ..., bottom first a triple is e1 + (e2, e3), a quadruple
    // (e1, e2) + (e3, e4) and a quintuple e1 + (e2, e3) + (e4, e5); top first a triple
    // is e3 + (e1, e2), a quadruple (e3, e4) + (e1, e2) and a quintuple
    // (e4, e5) + e3 + (e1, e2). Each variant of each set therefore appears exactly once,
    // and because the entries are sorted, every loop runs over the range its bounds
    // leave (found by binary search) instead of skipping rows one by one.

    /// Triples, without a table: top first (see [`top_first`]), entry `s` plus a
    /// two-pointer pair of earlier entries, from the first `s` that reaches `lo` with its
    /// two predecessors (binary search) to the last under `hi` with the two smallest
    /// entries; bottom first, entry `s` plus a pair of later entries, from the first `s`
    /// that reaches `lo` with the two largest entries to the last whose two successors
    /// stay under `hi`. The choice is one node.
    pub(crate) fn ksum3(
        &self,
        vals: &[Val],
        bounds: &Bounds,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo0, hi0) = self.window(target);
        let n = vals.len();
        budget.tick(1)?;
        if top_first(3, vals, &[], lo0, hi0, bounds.top2) {
            let min2 = i128::from(vals[0].v) + i128::from(vals[1].v);
            let first = bounds.first_trip(n, lo0).max(2);
            for p0 in first..n {
                budget.tick(1)?;
                let s = vals[p0];
                let sv = i128::from(s.v);
                if sv + min2 > hi0 {
                    break;
                }
                pairs_in_window(vals, 0, p0, lo0 - sv, hi0 - sv, budget, |x, y| {
                    if x.item != s.item && y.item != s.item {
                        let mut m = [(x.item, x.disc), (y.item, y.disc), (s.item, s.disc)];
                        record(found, target, s.v + x.v + y.v, &mut m);
                    }
                })?;
            }
            return Ok(());
        }
        let first = first_above(vals, lo0 - bounds.top2);
        for p0 in first..n.saturating_sub(2) {
            budget.tick(1)?;
            let s = vals[p0];
            let sv = i128::from(s.v);
            if sv + i128::from(vals[p0 + 1].v) + i128::from(vals[p0 + 2].v) > hi0 {
                break;
            }
            pairs_in_window(vals, p0 + 1, n, lo0 - sv, hi0 - sv, budget, |x, y| {
                if x.item != s.item && y.item != s.item {
                    let mut m = [(s.item, s.disc), (x.item, x.disc), (y.item, y.disc)];
                    record(found, target, s.v + x.v + y.v, &mut m);
                }
            })?;
        }
        Ok(())
    }

    /// Singles by binary search (one node) plus one node per entry in the window.
    pub(crate) fn singles_window(
        &self,
        vals: &[Val],
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo, hi) = self.window(target);
        budget.tick(1)?;
        let mut j = vals.partition_point(|x| i128::from(x.v) < lo);
        while j < vals.len() && i128::from(vals[j].v) <= hi {
            budget.tick(1)?;
            let x = &vals[j];
            record(found, target, x.v, &mut [(x.item, x.disc)]);
            j += 1;
        }
        Ok(())
    }

    /// Pairs of distinct items read from the pair table's window.
    pub(crate) fn pairs_window(
        &self,
        vals: &[Val],
        pairs: &PairTable,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo, hi) = self.window(target);
        budget.tick(1)?;
        Self::scan_pairs(pairs, lo, hi, budget, |r| {
            let (x, y) = (vals[r.p as usize], vals[r.q as usize]);
            record(
                found,
                target,
                r.v,
                &mut [(x.item, x.disc), (y.item, y.disc)],
            );
        })
    }

    /// Triples: entry `s` plus a pair `(p, q)` of the table with `s < p`.
    pub(crate) fn ksum3_table(
        &self,
        vals: &[Val],
        pairs: &PairTable,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo0, hi0) = self.window(target);
        // The loop stops at the first entry with `3 s > hi`, after counting it: the entries
        // ascend, so a binary search finds it, and it is counted after the others.
        let end = vals.partition_point(|s| 3 * i128::from(s.v) <= hi0);
        for (p0, s) in vals[..end].iter().enumerate() {
            budget.tick(1)?;
            let sv = i128::from(s.v);
            Self::scan_pairs(pairs, lo0 - sv, hi0 - sv, budget, |r| {
                let (x, y) = (vals[r.p as usize], vals[r.q as usize]);
                if r.p as usize > p0 && x.item != s.item && y.item != s.item {
                    let mut m = [(s.item, s.disc), (x.item, x.disc), (y.item, y.disc)];
                    record(found, target, s.v + r.v, &mut m);
                }
            })?;
        }
        if end < vals.len() {
            budget.tick(1)?;
        }
        Ok(())
    }

    /// Quadruples: pair `l` plus pair `r`. Top first (see [`top_first`]), `r.q < l.p`, so
    /// `r <= l` and `r <= max_before[l.p]`, from the first `l` with `2 l >= lo`; bottom
    /// first, `l.q < r.p`, so `l <= r` and `r >= min_after[l.q]`, from the first `l` that
    /// reaches `lo` with the two largest entries. The choice and the start (binary
    /// searches) are one node.
    pub(crate) fn ksum4(
        &self,
        vals: &[Val],
        pairs: &PairTable,
        bounds: &Bounds,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo0, hi0) = self.window(target);
        budget.tick(1)?;
        if top_first(4, vals, pairs, lo0, hi0, bounds.top2) {
            let min2 = i128::from(vals[0].v) + i128::from(vals[1].v);
            let first = pairs.partition_point(|p| 2 * i128::from(p.v) < lo0);
            for l in &pairs[first..] {
                budget.tick(1)?;
                let lv = i128::from(l.v);
                if lv + min2 > hi0 {
                    break;
                }
                let cap = bounds.max_before(l.p as usize);
                if lv + cap < lo0 {
                    continue;
                }
                let (a, b) = (vals[l.p as usize], vals[l.q as usize]);
                Self::scan_pairs(pairs, lo0 - lv, (hi0 - lv).min(cap), budget, |r| {
                    let (x, y) = (vals[r.p as usize], vals[r.q as usize]);
                    if r.q < l.p && distinct(&[a.item, b.item], x.item, y.item) {
                        let mut m = [
                            (x.item, x.disc),
                            (y.item, y.disc),
                            (a.item, a.disc),
                            (b.item, b.disc),
                        ];
                        record(found, target, l.v + r.v, &mut m);
                    }
                })?;
            }
            return Ok(());
        }
        let first = pairs.partition_point(|p| i128::from(p.v) < lo0 - bounds.top2);
        for l in &pairs[first..] {
            budget.tick(1)?;
            let lv = i128::from(l.v);
            if 2 * lv > hi0 {
                break;
            }
            let rest = bounds.min_after(l.q as usize);
            if lv + rest > hi0 {
                continue;
            }
            let (a, b) = (vals[l.p as usize], vals[l.q as usize]);
            Self::scan_pairs(pairs, (lo0 - lv).max(rest), hi0 - lv, budget, |r| {
                let (x, y) = (vals[r.p as usize], vals[r.q as usize]);
                if r.p > l.q && distinct(&[a.item, b.item], x.item, y.item) {
                    let mut m = [
                        (a.item, a.disc),
                        (b.item, b.disc),
                        (x.item, x.disc),
                        (y.item, y.disc),
                    ];
                    record(found, target, l.v + r.v, &mut m);
                }
            })?;
        }
        Ok(())
    }

    /// Quintuples, top or bottom first (see [`top_first`]; the choice is one node).
    pub(crate) fn ksum5(
        &self,
        vals: &[Val],
        pairs: &PairTable,
        bounds: &Bounds,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo0, hi0) = self.window(target);
        budget.tick(1)?;
        if top_first(5, vals, pairs, lo0, hi0, bounds.top2) {
            self.ksum5_top(vals, pairs, bounds, target, budget, found)
        } else {
            self.ksum5_bottom(vals, pairs, bounds, target, budget, found)
        }
    }

    /// Quintuples: pair `l` of the two largest entries, entry `s` before `l.p`, pair `r`
    /// of entries before `s`. `s` runs over the positions that can still reach the
    /// window: from the first reaching `lo` with its two predecessors to the last under
    /// `hi` with the two smallest entries (two binary searches, not counted; one node per
    /// `s` of that range, counted before the range is scanned). As `s + r <= 3 l / 2`,
    /// the first `l` is the first with `5 l >= 2 lo` (binary search, not counted).
    pub(crate) fn ksum5_top(
        &self,
        vals: &[Val],
        pairs: &PairTable,
        bounds: &Bounds,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo0, hi0) = self.window(target);
        let min2 = i128::from(vals[0].v) + i128::from(vals[1].v);
        let min3 = min2 + i128::from(vals[2].v);
        let first = pairs.partition_point(|p| 5 * i128::from(p.v) < 2 * lo0);
        for l in &pairs[first..] {
            budget.tick(1)?;
            let lv = i128::from(l.v);
            if lv + min3 > hi0 {
                break;
            }
            let lp = l.p as usize;
            let s_lo = bounds.first_trip(lp, lo0 - lv);
            let s_hi = first_above(&vals[..lp], hi0 - lv - min2 + 1);
            if s_lo >= s_hi {
                continue;
            }
            budget.tick((s_hi - s_lo) as u64)?;
            let (a, b) = (vals[lp], vals[l.q as usize]);
            // i64 suffices from here: `l` and `s` are three distinct items, so their sum
            // is at most the validated total.
            let (lo_l, hi_l) = ((lo0 - lv) as i64, (hi0 - lv) as i64);
            for (p0, s) in vals.iter().enumerate().take(s_hi).skip(s_lo) {
                if s.item == a.item || s.item == b.item {
                    continue;
                }
                let (wlo, whi) = (
                    lo_l - s.v,
                    clamp64((hi_l - s.v).into(), bounds.max_before(p0)),
                );
                if !pairs.occ.may_hit64(wlo, whi) {
                    continue;
                }
                Self::scan_pairs(pairs, wlo.into(), whi.into(), budget, |r| {
                    let (x, y) = (vals[r.p as usize], vals[r.q as usize]);
                    if (r.q as usize) < p0 && distinct(&[s.item, a.item, b.item], x.item, y.item) {
                        let mut m = [
                            (x.item, x.disc),
                            (y.item, y.disc),
                            (s.item, s.disc),
                            (a.item, a.disc),
                            (b.item, b.disc),
                        ];
                        record(found, target, s.v + l.v + r.v, &mut m);
                    }
                })?;
            }
        }
        Ok(())
    }

    /// Quintuples: entry `s` plus pairs `l`, `r` with `s < l.p` and `l.q < r.p`. `s` runs
    /// over the positions before `l.p` that can still reach the window: from the first
    /// reaching `lo` with the two largest entries to the last under `hi` with the
    /// smallest pair after `l.q` (two binary searches, not counted; one node per `s` of
    /// that range, counted before the range is scanned). As `s <= l / 2`, the first `l`
    /// is the first with `3 l >= 2 (lo - top2)` (binary search, not counted).
    pub(crate) fn ksum5_bottom(
        &self,
        vals: &[Val],
        pairs: &PairTable,
        bounds: &Bounds,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo0, hi0) = self.window(target);
        let top2 = bounds.top2;
        let min_val = i128::from(vals[0].v);
        let first = pairs.partition_point(|p| 3 * i128::from(p.v) < 2 * (lo0 - top2));
        for l in &pairs[first..] {
            budget.tick(1)?;
            let lv = i128::from(l.v);
            if min_val + 2 * lv > hi0 {
                break;
            }
            let rest = bounds.min_after(l.q as usize);
            let before = &vals[..l.p as usize];
            let s_lo = first_above(before, lo0 - lv - top2);
            let s_hi = first_above(before, hi0 - lv - rest + 1);
            if s_lo >= s_hi {
                continue;
            }
            budget.tick((s_hi - s_lo) as u64)?;
            let (a, b) = (vals[l.p as usize], vals[l.q as usize]);
            // i64 suffices from here: `l` and `s` are three distinct items, so their sum
            // is at most the validated total, and `rest <= hi - l - s` (the range is not
            // empty) is a value of two entries, at most `hi`.
            let (lo_l, hi_l, rest64) = ((lo0 - lv) as i64, (hi0 - lv) as i64, rest as i64);
            for s in &before[s_lo..s_hi] {
                if s.item == a.item || s.item == b.item {
                    continue;
                }
                let (wlo, whi) = ((lo_l - s.v).max(rest64), hi_l - s.v);
                if !pairs.occ.may_hit64(wlo, whi) {
                    continue;
                }
                Self::scan_pairs(pairs, wlo.into(), whi.into(), budget, |r| {
                    let (x, y) = (vals[r.p as usize], vals[r.q as usize]);
                    if r.p > l.q && distinct(&[s.item, a.item, b.item], x.item, y.item) {
                        let mut m = [
                            (s.item, s.disc),
                            (a.item, a.disc),
                            (b.item, b.disc),
                            (x.item, x.disc),
                            (y.item, y.disc),
                        ];
                        record(found, target, s.v + l.v + r.v, &mut m);
                    }
                })?;
            }
        }
        Ok(())
    }
}
