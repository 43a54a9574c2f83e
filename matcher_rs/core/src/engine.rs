//! The search algorithms. Each one is mirrored line for line in
//! `engine/matching/solver_py.py`, including every `budget.tick(..)` call,
//! so the node counter and the exhaustion point agree between the two.
//!
//! Window arithmetic is done in i128: bounds such as `payment - tolerance - v`
//! may fall outside i64 even though every real sum fits (validated up front).

use crate::{Algorithm, Item};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The node budget ran out; the search is incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exhausted;

/// Deterministic work counter with a limit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget {
    nodes: u64,
    limit: u64,
}

impl Budget {
    pub(crate) fn new(limit: i64) -> Self {
        Budget {
            nodes: 0,
            limit: u64::try_from(limit).unwrap_or(0),
        }
    }

    /// Counts `n` units of work; fails once the total exceeds the limit.
    #[inline]
    pub(crate) fn tick(&mut self, n: u64) -> Result<(), Exhausted> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limit {
            Err(Exhausted)
        } else {
            Ok(())
        }
    }

    pub(crate) fn nodes(&self) -> u64 {
        self.nodes
    }
}

/// FxHash-style hasher. The keys are short index lists the solver builds itself,
/// so HashDoS resistance buys nothing and SipHash would dominate the run time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            self.add(u64::from_le_bytes(word));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Largest set whose key and flags are stored inline (every k-sum and two-pointer set).
const INLINE_SET: usize = 5;

/// The item indices of a candidate set, ascending; small sets need no allocation.
#[derive(Clone, Debug)]
pub(crate) enum Key {
    Small(u8, [u32; INLINE_SET]),
    Large(Box<[u32]>),
}

impl Key {
    fn new(indices: &[u32]) -> Self {
        if indices.len() <= INLINE_SET {
            let mut a = [0u32; INLINE_SET];
            a[..indices.len()].copy_from_slice(indices);
            Key::Small(indices.len() as u8, a)
        } else {
            Key::Large(indices.into())
        }
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[u32] {
        match self {
            Key::Small(n, a) => &a[..*n as usize],
            Key::Large(b) => b,
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl std::borrow::Borrow<[u32]> for Key {
    fn borrow(&self) -> &[u32] {
        self.as_slice()
    }
}

/// Discount flags of a candidate (one per member, in member order); a bit mask
/// (member `i` is bit `i`) for sets of at most 64 items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Flags {
    Bits(u64),
    Spilled(Box<[bool]>),
}

impl Flags {
    fn new(flags: impl ExactSizeIterator<Item = bool>) -> Self {
        if flags.len() <= 64 {
            Flags::Bits(
                flags
                    .enumerate()
                    .fold(0u64, |m, (i, f)| m | (u64::from(f) << i)),
            )
        } else {
            Flags::Spilled(flags.collect())
        }
    }

    /// The flags of a set of `len` members.
    pub(crate) fn to_vec(&self, len: usize) -> Vec<bool> {
        match self {
            Flags::Bits(m) => (0..len).map(|i| m >> i & 1 == 1).collect(),
            Flags::Spilled(b) => b.to_vec(),
        }
    }

    fn get(&self, i: usize) -> bool {
        match self {
            Flags::Bits(m) => m >> i & 1 == 1,
            Flags::Spilled(b) => b[i],
        }
    }
}

/// Best variant found so far for one item set: (residual, discount flags).
pub(crate) type Collector = HashMap<Key, (i64, Flags), BuildHasherDefault<FxHasher>>;

/// Records the variant `members` (item, discounted) with total `total`.
fn record(found: &mut Collector, target: i64, total: i64, members: &mut [(u32, bool)]) {
    members.sort_unstable();
    let n = members.len();
    let mut inline = [0u32; INLINE_SET];
    let spilled: Vec<u32>;
    let indices: &[u32] = if n <= INLINE_SET {
        for (slot, m) in inline.iter_mut().zip(members.iter()) {
            *slot = m.0;
        }
        &inline[..n]
    } else {
        spilled = members.iter().map(|m| m.0).collect();
        &spilled
    };
    let residual = target - total;
    let discounted = members.iter().filter(|m| m.1).count();
    let flags = || Flags::new(members.iter().map(|m| m.1));
    match found.get_mut(indices) {
        Some(best) => {
            let best_discounted = (0..n).filter(|&i| best.1.get(i)).count();
            let order = (residual.unsigned_abs(), discounted)
                .cmp(&(best.0.unsigned_abs(), best_discounted))
                .then_with(|| {
                    members
                        .iter()
                        .map(|m| m.1)
                        .cmp((0..n).map(|i| best.1.get(i)))
                });
            if order == std::cmp::Ordering::Less {
                *best = (residual, flags());
            }
        }
        None => {
            found.insert(Key::new(indices), (residual, flags()));
        }
    }
}

/// One amount an item can contribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Val {
    v: i64,
    item: u32,
    disc: bool,
}

/// Two value entries at sorted positions `p < q` belonging to distinct items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pair {
    v: i64,
    p: u32,
    q: u32,
}

/// A partial assignment of one Horowitz-Sahni half (bit per global item index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Half {
    v: i64,
    mask: u64,
    dmask: u64,
    size: u32,
}

enum Prepared {
    TwoPointer { vals: Vec<Val> },
    Ksum { vals: Vec<Val>, pairs: PairTable },
    Hs { left: Vec<Half>, right: Vec<Half> },
    Bnb { order: Vec<u32>, prefix: Vec<i128> },
}

/// Target-independent tables of one algorithm, reusable across payments.
pub(crate) struct Engine<'a> {
    items: &'a [Item],
    k: usize,
    tol: i64,
    multi: bool,
    prepared: Prepared,
}

fn sorted_values(items: &[Item], budget: &mut Budget) -> Result<Vec<Val>, Exhausted> {
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

fn amounts(it: &Item) -> ([(i64, bool); 2], usize) {
    match it.discounted_minor {
        Some(d) => ([(it.amount_minor, false), (d, true)], 2),
        None => ([(it.amount_minor, false), (0, true)], 1),
    }
}

/// An occupancy bit map of the values of a sorted sum table: bit `b` is set when some
/// value `v` has `(v - base) >> shift == b`. The map (at most 8 bits per entry, so it
/// stays in cache) answers most window look-ups that would find nothing without
/// searching the table; it only replaces the search for a window's start, which is not
/// counted as work, so node counts are unchanged.
pub(crate) struct Occupancy {
    base: i64,
    /// Largest value minus `base`.
    span: i64,
    shift: u32,
    bits: Vec<u64>,
}

impl Occupancy {
    /// `values` ascending.
    fn new(values: &[i64]) -> Self {
        let (base, span) = match (values.first(), values.last()) {
            (Some(&first), Some(&last)) => (first, last - first),
            _ => (0, -1),
        };
        let want = (values.len() as u64 * 8).next_power_of_two().max(64);
        let mut shift = 0u32;
        while span >= 0 && (span as u64) >> shift >= want {
            shift += 1;
        }
        let words = if span >= 0 {
            ((span as u64 >> shift) >> 6) as usize + 1
        } else {
            0
        };
        let mut bits = vec![0u64; words];
        for &v in values {
            let b = ((v - base) as u64 >> shift) as usize;
            bits[b >> 6] |= 1 << (b & 63);
        }
        Occupancy {
            base,
            span,
            shift,
            bits,
        }
    }

    /// False only when no value lies in `[lo, hi]`.
    #[inline(always)]
    fn may_hit(&self, lo: i128, hi: i128) -> bool {
        let base = i128::from(self.base);
        let (l, h) = (lo - base, hi - base);
        if h < 0 || l > i128::from(self.span) {
            return false;
        }
        // Both offsets now lie in 0..=span, which fits in u64.
        let b0 = (l.max(0) as u64 >> self.shift) as usize;
        let b1 = (h.min(i128::from(self.span)) as u64 >> self.shift) as usize;
        let (w0, w1) = (b0 >> 6, b1 >> 6);
        if w1 > w0 + 1 {
            return true;
        }
        let lo_mask = !0u64 << (b0 & 63);
        let hi_mask = !0u64 >> (63 - (b1 & 63));
        if w0 == w1 {
            self.bits[w0] & lo_mask & hi_mask != 0
        } else {
            (self.bits[w0] & lo_mask) | (self.bits[w1] & hi_mask) != 0
        }
    }
}

/// The sorted pair-sum table and the [`Occupancy`] map of its values.
pub(crate) struct PairTable {
    pairs: Vec<Pair>,
    occ: Occupancy,
}

impl std::ops::Deref for PairTable {
    type Target = [Pair];

    fn deref(&self) -> &[Pair] {
        &self.pairs
    }
}

impl PairTable {
    fn new(pairs: Vec<Pair>) -> Self {
        let values: Vec<i64> = pairs.iter().map(|p| p.v).collect();
        PairTable {
            occ: Occupancy::new(&values),
            pairs,
        }
    }

    /// False only when no pair value lies in `[lo, hi]`.
    #[inline(always)]
    fn may_hit(&self, lo: i128, hi: i128) -> bool {
        self.occ.may_hit(lo, hi)
    }
}

fn pair_table(items: &[Item], vals: &[Val], budget: &mut Budget) -> Result<PairTable, Exhausted> {
    // Count first so the budget refuses a table before it is allocated.
    let l = vals.len() as u64;
    let same_item = (vals.len() - items.len()) as u64;
    budget.tick((l * l.saturating_sub(1) / 2).saturating_sub(same_item))?;
    // Sorting packed u64 keys `(v, p, q)` is much faster than sorting the structs; the
    // order is the same. Values too large to pack take the plain sort.
    let bits = usize::BITS - vals.len().leading_zeros();
    let top = vals.last().map_or(0, |x| 2 * x.v as u128);
    if 2 * bits < 64 && top < 1u128 << (64 - 2 * bits) {
        let mut keys = Vec::with_capacity(vals.len() * vals.len().saturating_sub(1) / 2);
        for (p, x) in vals.iter().enumerate() {
            let row = (p as u64) << bits;
            for (q, y) in vals.iter().enumerate().skip(p + 1) {
                if x.item != y.item {
                    keys.push(((x.v + y.v) as u64) << (2 * bits) | row | q as u64);
                }
            }
        }
        keys.sort_unstable();
        let mask = (1u64 << bits) - 1;
        let pairs = keys
            .into_iter()
            .map(|key| Pair {
                v: (key >> (2 * bits)) as i64,
                p: (key >> bits & mask) as u32,
                q: (key & mask) as u32,
            })
            .collect();
        return Ok(PairTable::new(pairs));
    }
    let mut pairs = Vec::new();
    for (p, x) in vals.iter().enumerate() {
        for (q, y) in vals.iter().enumerate().skip(p + 1) {
            if x.item != y.item {
                pairs.push(Pair {
                    v: x.v + y.v,
                    p: p as u32,
                    q: q as u32,
                });
            }
        }
    }
    pairs.sort_unstable();
    Ok(PairTable::new(pairs))
}

fn half_table(
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

impl<'a> Engine<'a> {
    /// Builds the tables of `algorithm`; their entries count as nodes.
    ///
    /// `multi` says the engine will answer many targets (many-to-many): k-sum then
    /// builds the pair table for triples too and answers sets of 1 to 3 by window
    /// lookups, paying for the table once instead of O(n^2) per target.
    pub(crate) fn prepare(
        items: &'a [Item],
        k: usize,
        tol: i64,
        algorithm: Algorithm,
        multi: bool,
        budget: &mut Budget,
    ) -> Result<Self, Exhausted> {
        let prepared = match algorithm {
            Algorithm::TwoPointer => Prepared::TwoPointer {
                vals: sorted_values(items, budget)?,
            },
            Algorithm::KsumMitm | Algorithm::KsumSharedTriples => {
                let vals = sorted_values(items, budget)?;
                // Triples need no table; only sets of 4 and 5 use the pair table.
                let pairs = if k >= 4 || multi {
                    pair_table(items, &vals, budget)?
                } else {
                    PairTable::new(Vec::new())
                };
                Prepared::Ksum { vals, pairs }
            }
            Algorithm::HorowitzSahni => {
                let half = items.len() / 2;
                let left = half_table(items, 0..half, k, budget)?;
                let mut right = half_table(items, half..items.len(), k, budget)?;
                right.sort_unstable();
                Prepared::Hs { left, right }
            }
            // Its table depends on the target; `dp::solve` serves it per payment.
            Algorithm::SubsetDp => unreachable!("subset_dp has no target-independent tables"),
            Algorithm::BranchAndBound => {
                budget.tick(items.len() as u64)?;
                let mut order: Vec<u32> = (0..items.len() as u32).collect();
                order.sort_unstable_by_key(|&i| {
                    (std::cmp::Reverse(items[i as usize].amount_minor), i)
                });
                let mut prefix = vec![0i128; items.len() + 1];
                for (j, &i) in order.iter().enumerate() {
                    prefix[j + 1] = prefix[j] + i128::from(items[i as usize].amount_minor);
                }
                Prepared::Bnb { order, prefix }
            }
        };
        Ok(Engine {
            items,
            k,
            tol,
            multi,
            prepared,
        })
    }

    /// Records every candidate for `target` into `found`.
    pub(crate) fn query(
        &self,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        match &self.prepared {
            Prepared::TwoPointer { vals } => {
                self.singles(vals, target, budget, found)?;
                if self.k >= 2 {
                    self.two_pointer(vals, target, budget, found)?;
                }
                Ok(())
            }
            Prepared::Ksum { vals, pairs } => {
                if self.multi {
                    self.singles_window(vals, target, budget, found)?;
                    self.pairs_window(vals, pairs, target, budget, found)?;
                    self.ksum3_table(vals, pairs, target, budget, found)?;
                } else {
                    self.singles(vals, target, budget, found)?;
                    self.two_pointer(vals, target, budget, found)?;
                    self.ksum3(vals, target, budget, found)?;
                }
                if self.k >= 4 {
                    self.ksum4(vals, pairs, target, budget, found)?;
                }
                if self.k >= 5 {
                    self.ksum5(vals, pairs, target, budget, found)?;
                }
                Ok(())
            }
            Prepared::Hs { left, right } => self.horowitz_sahni(left, right, target, budget, found),
            Prepared::Bnb { order, prefix } => {
                let search = Bnb {
                    items: self.items,
                    order,
                    prefix,
                    k: self.k,
                    lo: i128::from(target) - i128::from(self.tol),
                    hi: i128::from(target) + i128::from(self.tol),
                    target,
                };
                search.run(budget, found)
            }
        }
    }

    fn singles(
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
    fn two_pointer(
        &self,
        vals: &[Val],
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo, hi) = self.window(target);
        pairs_in_window(vals, 0, lo, hi, budget, |x, y| {
            let mut m = [(x.item, x.disc), (y.item, y.disc)];
            record(found, target, x.v + y.v, &mut m);
        })
    }

    /// Calls `visit` on every pair whose value lies in `[lo, hi]`, counting each.
    ///
    /// `hint` carries the window start between calls whose `lo` never increases
    /// (the callers' loops guarantee it); start at `pairs.len()`. Finding the start
    /// is not counted as work, so how it is found does not change the node count.
    fn scan_pairs(
        table: &PairTable,
        hint: &mut usize,
        lo: i128,
        hi: i128,
        budget: &mut Budget,
        mut visit: impl FnMut(&Pair),
    ) -> Result<(), Exhausted> {
        // An empty window scans nothing; `hint` stays valid because `lo` never increases.
        if !table.may_hit(lo, hi) {
            return Ok(());
        }
        let pairs = &table.pairs;
        let mut j = gallop_down(pairs, *hint, lo, |p| p.v);
        *hint = j;
        while j < pairs.len() && i128::from(pairs[j].v) <= hi {
            budget.tick(1)?;
            visit(&pairs[j]);
            j += 1;
        }
        Ok(())
    }

    // Sets of 3 to 5 are decomposed in value order: with the chosen entries at
    // sorted positions e1 < e2 < ... , a triple is e1 + (e2, e3), a quadruple
    // (e1, e2) + (e3, e4) and a quintuple e1 + (e2, e3) + (e4, e5). Each variant of
    // each set therefore appears exactly once, and because later entries are never
    // smaller, a loop over smaller parts can stop as soon as `parts * value > hi`.

    /// Triples: entry `s` plus a two-pointer pair of later entries (no table).
    fn ksum3(
        &self,
        vals: &[Val],
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo0, hi0) = self.window(target);
        for (p0, s) in vals.iter().enumerate() {
            budget.tick(1)?;
            let sv = i128::from(s.v);
            if 3 * sv > hi0 {
                break;
            }
            pairs_in_window(vals, p0 + 1, lo0 - sv, hi0 - sv, budget, |x, y| {
                if x.item != s.item && y.item != s.item {
                    let mut m = [(s.item, s.disc), (x.item, x.disc), (y.item, y.disc)];
                    record(found, target, s.v + x.v + y.v, &mut m);
                }
            })?;
        }
        Ok(())
    }

    /// Singles by binary search (one node) plus one node per entry in the window.
    fn singles_window(
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
    fn pairs_window(
        &self,
        vals: &[Val],
        pairs: &PairTable,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo, hi) = self.window(target);
        budget.tick(1)?;
        let mut hint = pairs.len();
        Self::scan_pairs(pairs, &mut hint, lo, hi, budget, |r| {
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
    fn ksum3_table(
        &self,
        vals: &[Val],
        pairs: &PairTable,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo0, hi0) = self.window(target);
        let mut hint = pairs.len();
        for (p0, s) in vals.iter().enumerate() {
            budget.tick(1)?;
            let sv = i128::from(s.v);
            if 3 * sv > hi0 {
                break;
            }
            Self::scan_pairs(pairs, &mut hint, lo0 - sv, hi0 - sv, budget, |r| {
                let (x, y) = (vals[r.p as usize], vals[r.q as usize]);
                if r.p as usize > p0 && x.item != s.item && y.item != s.item {
                    let mut m = [(s.item, s.disc), (x.item, x.disc), (y.item, y.disc)];
                    record(found, target, s.v + r.v, &mut m);
                }
            })?;
        }
        Ok(())
    }

    /// Quadruples: pair `l` plus pair `r` with `l.q < r.p`.
    fn ksum4(
        &self,
        vals: &[Val],
        pairs: &PairTable,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo0, hi0) = self.window(target);
        let mut hint = pairs.len();
        for l in pairs.iter() {
            budget.tick(1)?;
            let lv = i128::from(l.v);
            if 2 * lv > hi0 {
                break;
            }
            let (a, b) = (vals[l.p as usize], vals[l.q as usize]);
            Self::scan_pairs(pairs, &mut hint, lo0 - lv, hi0 - lv, budget, |r| {
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

    /// Quintuples: entry `s` plus pairs `l`, `r` with `s < l.p` and `l.q < r.p`.
    /// The pair `l` is the outer loop so that `s` runs over the contiguous positions
    /// `0..l.p` and no combination is visited only to be skipped.
    fn ksum5(
        &self,
        vals: &[Val],
        pairs: &PairTable,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
    ) -> Result<(), Exhausted> {
        let (lo0, hi0) = self.window(target);
        let min_val = i128::from(vals[0].v);
        let max_pair = i128::from(pairs[pairs.len() - 1].v);
        // The smallest value a pair of entries after position q can have (a bound:
        // the two entries may belong to one item).
        let min_after: Vec<i128> = (0..vals.len())
            .map(|q| match (vals.get(q + 1), vals.get(q + 2)) {
                (Some(x), Some(y)) => i128::from(x.v) + i128::from(y.v),
                _ => i128::MAX / 4,
            })
            .collect();
        for l in pairs.iter() {
            budget.tick(1)?;
            let lv = i128::from(l.v);
            if min_val + 2 * lv > hi0 {
                break;
            }
            let rest = min_after[l.q as usize];
            if min_val + lv + rest > hi0 {
                continue;
            }
            let (a, b) = (vals[l.p as usize], vals[l.q as usize]);
            let mut hint = pairs.len();
            for s in &vals[..l.p as usize] {
                budget.tick(1)?;
                let sv = i128::from(s.v);
                if 5 * sv > hi0 || sv + 2 * lv > hi0 || sv + lv + rest > hi0 {
                    break;
                }
                let slv = sv + lv;
                if s.item == a.item || s.item == b.item || slv + max_pair < lo0 {
                    continue;
                }
                Self::scan_pairs(pairs, &mut hint, lo0 - slv, hi0 - slv, budget, |r| {
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

    fn window(&self, target: i64) -> (i128, i128) {
        let t = i128::from(target);
        let tol = i128::from(self.tol);
        (t - tol, t + tol)
    }

    fn horowitz_sahni(
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

/// Calls `visit` for every pair of entries at positions `start <= i < j` of distinct
/// items whose values sum into `[lo, hi]`. Two pointers slide left over the sorted
/// values; both start by binary search (one node), every move and scanned entry is a node.
fn pairs_in_window(
    vals: &[Val],
    start: usize,
    lo: i128,
    hi: i128,
    budget: &mut Budget,
    mut visit: impl FnMut(&Val, &Val),
) -> Result<(), Exhausted> {
    let n = vals.len();
    if start >= n {
        return Ok(());
    }
    budget.tick(1)?;
    let v0 = i128::from(vals[start].v);
    let mut hi_ptr = vals.partition_point(|x| i128::from(x.v) <= hi - v0) as isize - 1;
    let mut lo_ptr = vals.partition_point(|x| i128::from(x.v) < lo - v0);
    for i in start..n {
        budget.tick(1)?;
        let vi = i128::from(vals[i].v);
        let (up, down) = (hi - vi, lo - vi);
        if up < vi {
            break;
        }
        while hi_ptr >= 0 && i128::from(vals[hi_ptr as usize].v) > up {
            hi_ptr -= 1;
            budget.tick(1)?;
        }
        while lo_ptr > 0 && i128::from(vals[lo_ptr - 1].v) >= down {
            lo_ptr -= 1;
            budget.tick(1)?;
        }
        let mut j = lo_ptr.max(i + 1) as isize;
        while j <= hi_ptr {
            budget.tick(1)?;
            let o = &vals[j as usize];
            if o.item != vals[i].item {
                visit(&vals[i], o);
            }
            j += 1;
        }
    }
    Ok(())
}

/// First index whose value is `>= lo`, given that every row from `hint` on
/// already is: exponential search downwards from `hint`, then binary search.
fn gallop_down<T>(rows: &[T], hint: usize, lo: i128, value: impl Fn(&T) -> i64) -> usize {
    let below = |j: usize| i128::from(value(&rows[j])) < lo;
    if hint == 0 || below(hint - 1) {
        return hint;
    }
    // pairs[top] >= lo throughout; pairs[base - 1] < lo once found.
    let mut top = hint - 1;
    let mut step = 1;
    let base = loop {
        if step > top {
            break 0;
        }
        let j = top - step;
        if below(j) {
            break j + 1;
        }
        top = j;
        step *= 2;
    };
    base + rows[base..top].partition_point(|r| i128::from(value(r)) < lo)
}

/// True when neither `x` nor `y` is one of `taken`.
fn distinct(taken: &[u32], x: u32, y: u32) -> bool {
    !taken.contains(&x) && !taken.contains(&y)
}

fn members_of(mask: u64, dmask: u64) -> Vec<(u32, bool)> {
    (0..64u32)
        .filter(|i| mask >> i & 1 == 1)
        .map(|i| (i, dmask >> i & 1 == 1))
        .collect()
}

/// Depth-first search over items by descending amount, pruned by the
/// payment window and by the largest amounts still available.
struct Bnb<'a> {
    items: &'a [Item],
    order: &'a [u32],
    prefix: &'a [i128],
    k: usize,
    lo: i128,
    hi: i128,
    target: i64,
}

/// One level of the explicit depth-first stack: a node whose children are
/// being generated (items from `j` on, amount variant `variant` of item `j`).
struct Frame {
    sum: i64,
    j: usize,
    variant: usize,
    remaining: usize,
    owns_member: bool,
}

impl Bnb<'_> {
    /// The stack is explicit because `max_items` may be in the thousands and a
    /// rayon worker's stack is small; the visit order is that of the plain
    /// recursion (and of the Python mirror).
    fn run(&self, budget: &mut Budget, found: &mut Collector) -> Result<(), Exhausted> {
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
    fn visit(
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
    fn next_child(&self, f: &mut Frame) -> Option<(i64, usize, (u32, bool))> {
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
                if s + i128::from(v) > self.hi {
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

/// Three value entries at sorted positions `p < q < r` belonging to distinct items.
/// Positions fit in a byte: a table within [`crate::TRIPLE_TABLE_LIMIT`] has at most
/// 255 entries to choose from (256 entries give more than 2^21 triples).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Triple {
    v: i64,
    p: u8,
    q: u8,
    r: u8,
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
fn triple_table(vals: &[Val], count: u64, budget: &mut Budget) -> Result<Vec<Triple>, Exhausted> {
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
    engine: Engine<'a>,
    triples: Vec<Triple>,
    occ: Occupancy,
    /// Smallest value of three entries after position `q` (a bound).
    min3_after: Vec<i128>,
    /// Per item: has a discounted amount (its sets may appear in several variants).
    discountable: Vec<bool>,
    /// `word_start[w]`: first triple whose occupancy bucket is `>= 64 w` (one more entry,
    /// the table length, at the end); locates a window's start without a table-wide search.
    word_start: Vec<u32>,
}

/// Sets of items without discounts, found by `SharedTriples::query`: each appears in
/// exactly one variant (full amounts), so it needs no de-duplication.
pub(crate) type Plain = Vec<(Key, i64)>;

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
        let pairs = pair_table(items, &vals, budget)?;
        let triples = triple_table(&vals, triple_count(items.len(), vals.len()), budget)?;
        let values: Vec<i64> = triples.iter().map(|t| t.v).collect();
        let occ = Occupancy::new(&values);
        let mut word_start = Vec::with_capacity(occ.bits.len() + 1);
        let mut i = 0usize;
        for w in 0..occ.bits.len() {
            let first_bucket = (w as u64) << 6;
            while i < values.len() && ((values[i] - occ.base) as u64 >> occ.shift) < first_bucket {
                i += 1;
            }
            word_start.push(i as u32);
        }
        word_start.push(values.len() as u32);
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
                prepared: Prepared::Ksum { vals, pairs },
            },
            occ,
            word_start,
            triples,
            min3_after,
            discountable: items
                .iter()
                .map(|it| it.discounted_minor.is_some())
                .collect(),
        })
    }

    /// Records a set of 3 to 5 members: into `plain` when no member has a discount
    /// (its only variant, found once), else into `found` like every other kernel.
    #[inline]
    fn put(
        &self,
        found: &mut Collector,
        plain: &mut Plain,
        target: i64,
        total: i64,
        members: &mut [(u32, bool)],
    ) {
        if members.iter().any(|m| self.discountable[m.0 as usize]) {
            record(found, target, total, members);
            return;
        }
        let mut a = [0u32; INLINE_SET];
        for (slot, m) in a.iter_mut().zip(members.iter()) {
            *slot = m.0;
        }
        let n = members.len();
        a[..n].sort_unstable();
        plain.push((Key::Small(n as u8, a), target - total));
    }

    /// Records every candidate for `target` into `found` and `plain` (disjoint sets).
    pub(crate) fn query(
        &self,
        target: i64,
        budget: &mut Budget,
        found: &mut Collector,
        plain: &mut Plain,
    ) -> Result<(), Exhausted> {
        let Prepared::Ksum { vals, pairs } = &self.engine.prepared else {
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
            self.put(found, plain, target, t.v, &mut m);
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
                        self.put(found, plain, target, s.v + t.v, &mut m);
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
                        self.put(found, plain, target, l.v + t.v, &mut m);
                    }
                })?;
            }
        }
        Ok(())
    }

    /// Calls `visit` on every triple whose value lies in `[lo, hi]`, counting each.
    /// The window's start is found through `word_start` (not counted as work).
    fn scan(
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
        // `may_hit` holds, so `lo - base <= span` and the bucket below is in the map.
        let off = lo - i128::from(self.occ.base);
        let mut j = if off <= 0 {
            0
        } else {
            let w = ((off as u64) >> self.occ.shift >> 6) as usize;
            let (a, z) = (self.word_start[w] as usize, self.word_start[w + 1] as usize);
            a + rows[a..z].partition_point(|t| i128::from(t.v) < lo)
        };
        while j < rows.len() && i128::from(rows[j].v) <= hi {
            budget.tick(1)?;
            visit(&rows[j]);
            j += 1;
        }
        Ok(())
    }
}
