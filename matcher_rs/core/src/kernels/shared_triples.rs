//! ksum_shared_triples: the k-sum engine plus a table of every triple, shared by the
//! payments of one customer. Twin: `engine/matching/kernels/shared_triples.py`.

use crate::kernels::collect::{record, Collector};
use crate::kernels::engine::sorted_values;
use crate::kernels::engine::{distinct, Budget, Engine, Exhausted, Prepared, Val};
use crate::kernels::pair_table::{pair_table, Occupancy};
use crate::Item;

/// Three value entries at sorted positions `p < q < r` belonging to distinct items.
/// Positions fit in a byte: a table within [`crate::TRIPLE_TABLE_LIMIT`] has at most
/// 255 entries to choose from (256 entries give more than 2^21 triples).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Triple {
    pub(crate) v: i64,
    pub(crate) p: u8,
    pub(crate) q: u8,
    pub(crate) r: u8,
}

/// Number of triple-table entries: triples of value entries of three distinct items.
/// With `l` entries of which `l - n` are discounted variants, a triple holding both
/// entries of one item holds one of those `l - n` same-item pairs plus any third entry.
pub(crate) fn triple_count(n_items: usize, l: usize) -> u64 {
    let l128 = l as u128;
    let same = (l - n_items) as u128;
    let all = if l >= 3 {
        l128 * (l128 - 1) * (l128 - 2) / 6
    } else {
        0
    };
    let count = all - same * l128.saturating_sub(2);
    u64::try_from(count).unwrap_or(u64::MAX)
}

/// Builds the sorted triple-sum table; `count` (its size) is ticked before allocating.
pub(crate) fn triple_table(
    vals: &[Val],
    count: u64,
    budget: &mut Budget,
) -> Result<Vec<Triple>, Exhausted> {
    budget.reserve(count, crate::TRIPLE_BYTES)?;
    budget.tick(count)?;
    let l = vals.len();
    let capacity = usize::try_from(count).unwrap_or(0);
    let bits = usize::BITS - l.leading_zeros();
    let top = vals.last().map_or(0, |x| 3 * x.v as u128);
    // Packed u64 keys `(v, p, q, r)` sort in the order of the structs.
    if 3 * bits < 64 && top < 1u128 << (64 - 3 * bits) {
        let mut keys = Vec::with_capacity(capacity);
        for (p, x) in vals.iter().enumerate() {
            for (q, y) in vals.iter().enumerate().skip(p + 1) {
                if x.item == y.item {
                    continue;
                }
                let head = (p as u64) << (2 * bits) | (q as u64) << bits;
                let xy = x.v + y.v;
                for (r, z) in vals.iter().enumerate().skip(q + 1) {
                    if z.item != x.item && z.item != y.item {
                        keys.push(((xy + z.v) as u64) << (3 * bits) | head | r as u64);
                    }
                }
            }
        }
        keys.sort_unstable();
        let mask = (1u64 << bits) - 1;
        return Ok(keys
            .into_iter()
            .map(|key| Triple {
                v: (key >> (3 * bits)) as i64,
                p: (key >> (2 * bits) & mask) as u8,
                q: (key >> bits & mask) as u8,
                r: (key & mask) as u8,
            })
            .collect());
    }
    let mut triples = Vec::with_capacity(capacity);
    for (p, x) in vals.iter().enumerate() {
        for (q, y) in vals.iter().enumerate().skip(p + 1) {
            if x.item == y.item {
                continue;
            }
            for (r, z) in vals.iter().enumerate().skip(q + 1) {
                if z.item != x.item && z.item != y.item {
                    triples.push(Triple {
                        v: x.v + y.v + z.v,
                        p: p as u8,
                        q: q as u8,
                        r: r as u8,
                    });
                }
            }
        }
    }
    triples.sort_unstable();
    Ok(triples)
}

/// The `ksum_shared_triples` kernel of `solve_one_to_many_multi`: the k-sum engine in
/// table mode (sorted entries and pair table) plus a sorted table of every triple, all
/// built once per customer. Per payment: singles, pairs and triples are windows of the
/// entries / pair table / triple table; a quadruple is entry `s` plus triple `t` with
/// `s < t.p`, a quintuple pair `l` plus triple `t` with `l.q < t.p` (each set variant
/// appears exactly once; position order and disjointness are checked on hits only).
pub(crate) struct SharedTriples<'a> {
    pub(crate) engine: Engine<'a>,
    pub(crate) triples: Vec<Triple>,
    pub(crate) occ: Occupancy,
    /// Smallest value of three entries after position `q` (a bound).
    pub(crate) min3_after: Vec<i128>,
}

impl<'a> SharedTriples<'a> {
    /// Builds the tables, counting one node per sorted entry, pair and triple.
    pub(crate) fn prepare(
        items: &'a [Item],
        k: usize,
        tol: i64,
        budget: &mut Budget,
    ) -> Result<Self, Exhausted> {
        let vals = sorted_values(items, budget)?;
        assert!(vals.len() <= 256, "triple positions are bytes");
        let pairs = pair_table(items, &vals, None, budget)?;
        let triples = triple_table(&vals, triple_count(items.len(), vals.len()), budget)?;
        let occ = Occupancy::new(triples.iter().map(|t| t.v));
        let min3_after = (0..vals.len())
            .map(
                |q| match (vals.get(q + 1), vals.get(q + 2), vals.get(q + 3)) {
                    (Some(x), Some(y), Some(z)) => {
                        i128::from(x.v) + i128::from(y.v) + i128::from(z.v)
                    }
                    _ => i128::MAX / 4,
                },
            )
            .collect();
        Ok(SharedTriples {
            engine: Engine {
                items,
                k,
                tol,
                multi: true,
                reach: i64::MAX,
                prepared: Prepared::Ksum {
                    vals,
                    pairs,
                    deferred: None,
                    bounded: false,
                    prefix: Vec::new(),
                },
            },
            occ,
            triples,
            min3_after,
        })
    }

    /// Records every candidate for `target` into `found`.
    pub(crate) fn query(
        &self,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let Prepared::Ksum { vals, pairs, .. } = &self.engine.prepared else {
            return Ok(());
        };
        let eng = &self.engine;
        eng.singles_window(vals, target, budget, found)?;
        eng.pairs_window(vals, pairs, target, budget, found)?;
        let (lo0, hi0) = eng.window(target);
        // Triples: one node plus one per entry of the window.
        budget.tick(1)?;
        self.scan(lo0, hi0, budget, |t| {
            let (x, y, z) = (vals[t.p as usize], vals[t.q as usize], vals[t.r as usize]);
            let mut m = [(x.item, x.disc), (y.item, y.disc), (z.item, z.disc)];
            record(found, target, t.v, &mut m);
        })?;
        if eng.k >= 4 {
            // Quadruples: entry s plus triple t with s < t.p.
            for (p0, s) in vals.iter().enumerate() {
                budget.tick(1)?;
                let sv = i128::from(s.v);
                if 4 * sv > hi0 {
                    break;
                }
                self.scan(lo0 - sv, hi0 - sv, budget, |t| {
                    let (x, y, z) = (vals[t.p as usize], vals[t.q as usize], vals[t.r as usize]);
                    if t.p as usize > p0 && s.item != x.item && s.item != y.item && s.item != z.item
                    {
                        let mut m = [
                            (s.item, s.disc),
                            (x.item, x.disc),
                            (y.item, y.disc),
                            (z.item, z.disc),
                        ];
                        record(found, target, s.v + t.v, &mut m);
                    }
                })?;
            }
        }
        if eng.k >= 5 {
            // Quintuples: pair l plus triple t with l.q < t.p; t >= 3 * vals[l.q] >= 1.5 * l.
            for l in pairs.iter() {
                budget.tick(1)?;
                let lv = i128::from(l.v);
                if 5 * lv > 2 * hi0 {
                    break;
                }
                if lv + self.min3_after[l.q as usize] > hi0 {
                    continue;
                }
                let (a, b) = (vals[l.p as usize], vals[l.q as usize]);
                self.scan(lo0 - lv, hi0 - lv, budget, |t| {
                    let (x, y, z) = (vals[t.p as usize], vals[t.q as usize], vals[t.r as usize]);
                    let taken = [a.item, b.item];
                    if u32::from(t.p) > l.q
                        && distinct(&taken, x.item, y.item)
                        && !taken.contains(&z.item)
                    {
                        let mut m = [
                            (a.item, a.disc),
                            (b.item, b.disc),
                            (x.item, x.disc),
                            (y.item, y.disc),
                            (z.item, z.disc),
                        ];
                        record(found, target, l.v + t.v, &mut m);
                    }
                })?;
            }
        }
        Ok(())
    }

    /// Calls `visit` on every triple whose value lies in `[lo, hi]`, counting each.
    /// The window's start is found through the occupancy map (not counted as work).
    pub(crate) fn scan(
        &self,
        lo: i128,
        hi: i128,
        budget: &mut Budget,
        mut visit: impl FnMut(&Triple),
    ) -> Result<(), Exhausted> {
        if !self.occ.may_hit(lo, hi) {
            return Ok(());
        }
        let rows = &self.triples;
        let mut j = self.occ.first_at_least(rows, lo, |t| t.v);
        while j < rows.len() && i128::from(rows[j].v) <= hi {
            budget.tick(1)?;
            visit(&rows[j]);
            j += 1;
        }
        Ok(())
    }
}
