//! branch_and_bound: depth-first search over items by descending amount.
//! Twin: `engine/matching/kernels/branch_and_bound.py`.

use crate::kernels::collect::{amounts, record, Collector};
use crate::kernels::engine::{Budget, Exhausted};
use crate::Item;

/// Depth-first search over items by descending amount, pruned by the
/// payment window and by the largest amounts still available.
///
/// With credits (negative amounts, last in the order) a set's sum can fall as it grows, so
/// both prunings bound what the items still available can add: at most the positive parts
/// of the next `r` of them (`prefix`), at least the credits among the last `r` (`credit`).
/// Without credits the second bound is 0 and the search is the plain one.
pub(crate) struct Bnb<'a> {
    pub(crate) items: &'a [Item],
    pub(crate) order: &'a [u32],
    pub(crate) prefix: &'a [i128],
    pub(crate) credit: &'a [i128],
    pub(crate) k: usize,
    pub(crate) lo: i128,
    pub(crate) hi: i128,
    pub(crate) target: i64,
}

/// One level of the explicit depth-first stack: a node whose children are
/// being generated (items from `j` on, amount variant `variant` of item `j`).
pub(crate) struct Frame {
    pub(crate) sum: i64,
    pub(crate) j: usize,
    pub(crate) variant: usize,
    pub(crate) remaining: usize,
    pub(crate) owns_member: bool,
}

impl Bnb<'_> {
    /// The stack is explicit because `max_items` may be in the thousands and a
    /// rayon worker's stack is small; the visit order is that of the plain
    /// recursion (and of the Python mirror).
    pub(crate) fn run(&self, budget: &mut Budget, found: &mut Collector) -> Result<(), Exhausted> {
        let mut chosen: Vec<(u32, bool)> = Vec::with_capacity(self.k.min(64));
        let mut frames: Vec<Frame> = Vec::new();
        self.visit(0, 0, &mut chosen, &mut frames, budget, found)?;
        while let Some(top) = frames.last_mut() {
            match self.next_child(top) {
                Some((sum, start, member)) => {
                    chosen.push(member);
                    if !self.visit(sum, start, &mut chosen, &mut frames, budget, found)? {
                        chosen.pop();
                    }
                }
                None => {
                    if frames.pop().is_some_and(|f| f.owns_member) {
                        chosen.pop();
                    }
                }
            }
        }
        Ok(())
    }

    /// Counts and records a node; returns whether it may have children.
    pub(crate) fn visit(
        &self,
        sum: i64,
        start: usize,
        chosen: &mut [(u32, bool)],
        frames: &mut Vec<Frame>,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<bool, Exhausted> {
        budget.tick(1)?;
        let s = i128::from(sum);
        if !chosen.is_empty() && s >= self.lo && s <= self.hi {
            let mut m = chosen.to_vec();
            record(found, self.target, sum, &mut m);
        }
        if chosen.len() == self.k {
            return Ok(false);
        }
        frames.push(Frame {
            sum,
            j: start,
            variant: 0,
            remaining: self.k - chosen.len(),
            owns_member: !chosen.is_empty(),
        });
        Ok(true)
    }

    /// The next child of `f`: (sum, first item position for its children, member).
    pub(crate) fn next_child(&self, f: &mut Frame) -> Option<(i64, usize, (u32, bool))> {
        let n = self.order.len();
        let s = i128::from(f.sum);
        while f.j < n {
            if f.variant == 0 {
                let best = self.prefix[(f.j + f.remaining).min(n)] - self.prefix[f.j];
                if s + best < self.lo {
                    f.j = n;
                    return None;
                }
            }
            let idx = self.order[f.j];
            let (vs, nv) = amounts(&self.items[idx as usize]);
            if f.variant < nv {
                let (v, disc) = vs[f.variant];
                f.variant += 1;
                // The most the `remaining - 1` later members can take off the sum.
                let rebate = self.credit[n] - self.credit[(n + 1 - f.remaining).max(f.j + 1)];
                if s + i128::from(v) + rebate > self.hi {
                    continue;
                }
                return Some((f.sum + v, f.j + 1, (idx, disc)));
            }
            f.j += 1;
            f.variant = 0;
        }
        None
    }
}
