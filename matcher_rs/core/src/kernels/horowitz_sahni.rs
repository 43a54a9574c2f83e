//! horowitz_sahni: every set of up to k items from two half tables of partial sums.
//! Twin: `engine/matching/kernels/horowitz_sahni.py`.

use crate::kernels::collect::{amounts, record, Collector};
use crate::kernels::engine::{Budget, Engine, Exhausted};
use crate::Item;

/// A partial assignment of one Horowitz-Sahni half (bit per global item index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Half {
    pub(crate) v: i64,
    pub(crate) mask: u64,
    pub(crate) dmask: u64,
    pub(crate) size: u32,
}

pub(crate) fn half_table(
    items: &[Item],
    range: std::ops::Range<usize>,
    k: usize,
    budget: &mut Budget,
) -> Result<Vec<Half>, Exhausted> {
    let mut table = vec![Half {
        v: 0,
        mask: 0,
        dmask: 0,
        size: 0,
    }];
    budget.tick(1)?;
    for i in range {
        let (vs, nv) = amounts(&items[i]);
        let current = table.len();
        for &(v, disc) in &vs[..nv] {
            for e in 0..current {
                let h = table[e];
                if (h.size as usize) < k {
                    budget.tick(1)?;
                    table.push(Half {
                        v: h.v + v,
                        mask: h.mask | (1 << i),
                        dmask: if disc { h.dmask | (1 << i) } else { h.dmask },
                        size: h.size + 1,
                    });
                }
            }
        }
    }
    Ok(table)
}

impl Engine<'_> {
    pub(crate) fn horowitz_sahni(
        &self,
        left: &[Half],
        right: &[Half],
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo0, hi0) = self.window(target);
        for e in left {
            budget.tick(1)?;
            let ev = i128::from(e.v);
            let mut j = right.partition_point(|r| i128::from(r.v) < lo0 - ev);
            while j < right.len() && i128::from(right[j].v) <= hi0 - ev {
                budget.tick(1)?;
                let r = &right[j];
                let size = (e.size + r.size) as usize;
                if size >= 1 && size <= self.k {
                    let mut m = members_of(e.mask | r.mask, e.dmask | r.dmask);
                    record(found, target, e.v + r.v, &mut m);
                }
                j += 1;
            }
        }
        Ok(())
    }
}

pub(crate) fn members_of(mask: u64, dmask: u64) -> Vec<(u32, bool)> {
    (0..64u32)
        .filter(|i| mask >> i & 1 == 1)
        .map(|i| (i, dmask >> i & 1 == 1))
        .collect()
}
