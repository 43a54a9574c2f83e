//! two_pointer: sets of one and two items over the sorted value entries.
//! Twin: `engine/matching/kernels/two_pointer.py`.

use crate::kernels::collect::{record, Collector};
use crate::kernels::engine::{first_above, Budget, Engine, Exhausted, Val};

impl Engine<'_> {
    pub(crate) fn singles(
        &self,
        vals: &[Val],
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let hi = i128::from(target) + i128::from(self.tol);
        for s in vals {
            budget.tick(1)?;
            if i128::from(s.v) > hi {
                break;
            }
            if (target - s.v).unsigned_abs() <= self.tol as u64 {
                record(found, target, s.v, &mut [(s.item, s.disc)]);
            }
        }
        Ok(())
    }

    /// Pairs of distinct items.
    pub(crate) fn two_pointer(
        &self,
        vals: &[Val],
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo, hi) = self.window(target);
        pairs_in_window(vals, 0, vals.len(), lo, hi, budget, |x, y| {
            let mut m = [(x.item, x.disc), (y.item, y.disc)];
            record(found, target, x.v + y.v, &mut m);
        })
    }
}

/// Calls `visit` for every pair of entries at positions `start <= i < j < end` of
/// distinct items whose values sum into `[lo, hi]`. The smaller entry starts at the first
/// one that reaches `lo` with the largest entry (binary search, one node); two pointers
/// then slide left over the sorted values, and every move and scanned entry is a node.
/// The scan stops once no entry after `i` fits under `hi`.
pub(crate) fn pairs_in_window(
    vals: &[Val],
    start: usize,
    end: usize,
    lo: i128,
    hi: i128,
    budget: &mut Budget,
    mut visit: impl FnMut(&Val, &Val),
) -> Result<(), Exhausted> {
    if end < start + 2 {
        return Ok(());
    }
    budget.tick(1)?;
    let range = &vals[start..end];
    let first = start + first_above(range, lo - i128::from(vals[end - 1].v));
    if first >= end {
        return Ok(());
    }
    let v0 = i128::from(vals[first].v);
    // hi_ptr may start at start - 1 (then nothing fits: the loop stops at once).
    let mut hi_ptr = (start + first_above(range, hi - v0 + 1)) as isize - 1;
    let mut lo_ptr = start + first_above(range, lo - v0);
    for i in first..end {
        budget.tick(1)?;
        let vi = i128::from(vals[i].v);
        let (up, down) = (hi - vi, lo - vi);
        if up < vi || hi_ptr <= i as isize {
            break;
        }
        // vals[i] <= up, so the pointer stops at i at the latest.
        while i128::from(vals[hi_ptr as usize].v) > up {
            hi_ptr -= 1;
            budget.tick(1)?;
        }
        if hi_ptr <= i as isize {
            break;
        }
        while lo_ptr > i + 1 && i128::from(vals[lo_ptr - 1].v) >= down {
            lo_ptr -= 1;
            budget.tick(1)?;
        }
        for j in lo_ptr.max(i + 1)..=hi_ptr as usize {
            budget.tick(1)?;
            let o = &vals[j];
            if o.item != vals[i].item {
                visit(&vals[i], o);
            }
        }
    }
    Ok(())
}
