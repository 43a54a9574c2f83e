//! The search algorithms. Each one is mirrored line for line in
//! `engine/matching/solver_py.py`, including every `budget.tick(..)` call,
//! so the node counter and the exhaustion point agree between the two.
//!
//! Window arithmetic is done in i128: bounds such as `payment - tolerance - v`
//! may fall outside i64 even though every real sum fits (validated up front). The
//! innermost loops of `ksum5` use i64 where a comment shows the values fit.

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

/// Best variant found so far per item set: (residual, discount flags).
pub(crate) type BestVariants = HashMap<Key, (i64, Flags), BuildHasherDefault<FxHasher>>;

/// Item sets without a discountable member, with their residuals. Such a set has one
/// variant, and every kernel visits each variant of each set exactly once, so these need
/// no de-duplication (no hashing).
pub(crate) type Plain = Vec<(Key, i64)>;

/// The candidates of one search for one target.
pub(crate) struct Collector<'a> {
    items: &'a [Item],
    /// No item has a discounted amount: every set is plain.
    all_plain: bool,
    /// Sets with a discountable member.
    pub(crate) best: BestVariants,
    /// The other sets (disjoint from `best`'s).
    pub(crate) plain: Plain,
}

impl<'a> Collector<'a> {
    pub(crate) fn new(items: &'a [Item]) -> Self {
        Collector {
            items,
            all_plain: items.iter().all(|it| it.discounted_minor.is_none()),
            best: BestVariants::default(),
            plain: Plain::new(),
        }
    }

    /// Every set found: (item indices, residual, discount flags).
    pub(crate) fn into_sets(self) -> impl Iterator<Item = (Key, i64, Flags)> {
        let best = self.best.into_iter().map(|(k, (r, f))| (k, r, f));
        best.chain(self.plain.into_iter().map(|(k, r)| (k, r, Flags::Bits(0))))
    }

    pub(crate) fn len(&self) -> usize {
        self.best.len() + self.plain.len()
    }
}

/// Records the variant `members` (item, discounted) with total `total`.
fn record(found: &mut Collector, target: i64, total: i64, members: &mut [(u32, bool)]) {
    let items = found.items;
    if found.all_plain
        || members
            .iter()
            .all(|m| items[m.0 as usize].discounted_minor.is_none())
    {
        let key = if members.len() <= INLINE_SET {
            let mut a = [0u32; INLINE_SET];
            for (slot, m) in a.iter_mut().zip(members.iter()) {
                *slot = m.0;
            }
            a[..members.len()].sort_unstable();
            Key::Small(members.len() as u8, a)
        } else {
            let mut indices: Vec<u32> = members.iter().map(|m| m.0).collect();
            indices.sort_unstable();
            Key::Large(indices.into())
        };
        found.plain.push((key, target - total));
        return;
    }
    let found = &mut found.best;
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

/// Value bounds of the k-sum kernels, read from the sorted entries on demand (not
/// counted as work; no tables, so a large instance allocates nothing for them). A bound
/// may add one item's two entries; bounds only prune.
struct Bounds<'v> {
    vals: &'v [Val],
    /// The largest value of two entries (`-NO_PAIR` with fewer than two).
    top2: i128,
}

impl<'v> Bounds<'v> {
    fn new(vals: &'v [Val]) -> Self {
        let l = vals.len();
        let top2 = if l >= 2 {
            i128::from(vals[l - 1].v) + i128::from(vals[l - 2].v)
        } else {
            -NO_PAIR
        };
        Bounds { vals, top2 }
    }

    fn v(&self, i: usize) -> i128 {
        i128::from(self.vals[i].v)
    }

    /// The smallest value of the two entries after position `q` (`NO_PAIR` if none).
    #[inline]
    fn min_after(&self, q: usize) -> i128 {
        if q + 2 < self.vals.len() {
            self.v(q + 1) + self.v(q + 2)
        } else {
            NO_PAIR
        }
    }

    /// The largest value of the two entries before position `q` (`-NO_PAIR` if none).
    #[inline]
    fn max_before(&self, q: usize) -> i128 {
        if q >= 2 {
            self.v(q - 1) + self.v(q - 2)
        } else {
            -NO_PAIR
        }
    }

    /// The first position `q < end` with `vals[q] + max_before(q) >= bound` (that sum
    /// ascends with `q`), or `end`.
    fn first_trip(&self, end: usize, bound: i128) -> usize {
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
/// ties go to top. Mirrored by `solver_py._top_first`.
fn top_first(k: usize, vals: &[Val], pairs: &[Pair], lo: i128, hi: i128, top2: i128) -> bool {
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

/// Stands for "no such pair" in bounds; mirrors `_NO_PAIR` in Python.
const NO_PAIR: i128 = i128::MAX / 4;

fn amounts(it: &Item) -> ([(i64, bool); 2], usize) {
    match it.discounted_minor {
        Some(d) => ([(it.amount_minor, false), (d, true)], 2),
        None => ([(it.amount_minor, false), (0, true)], 1),
    }
}

/// An occupancy bit map of the values of a sorted sum table: bit `b` is set when some
/// value `v` has `(v - base) >> shift == b`. The map (at most 8 bits per entry, so it
/// stays in cache) answers most window look-ups that would find nothing without
/// searching the table, and `word_start` locates a window's start in a few rows. It only
/// replaces the search for a window's start, which is not counted as work, so node
/// counts are unchanged.
pub(crate) struct Occupancy {
    base: i64,
    /// Largest value minus `base`.
    span: i64,
    shift: u32,
    bits: Vec<u64>,
    /// `word_start[w]`: first row whose bucket is `>= 64 w` (one more entry, the table
    /// length, at the end).
    word_start: Vec<u32>,
}

impl Occupancy {
    /// `values` ascending.
    fn new<I>(values: I) -> Self
    where
        I: DoubleEndedIterator<Item = i64> + ExactSizeIterator + Clone,
    {
        let (base, span) = match (values.clone().next(), values.clone().next_back()) {
            (Some(first), Some(last)) => (first, last - first),
            _ => (0, -1),
        };
        let len = values.len();
        let want = (len as u64 * 8).next_power_of_two().max(64);
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
        let mut word_start = Vec::with_capacity(words + 1);
        word_start.push(0);
        // The values ascend, so the current word is kept in a register until it changes.
        let (mut word, mut acc) = (0usize, 0u64);
        for (i, v) in values.enumerate() {
            let b = ((v - base) as u64 >> shift) as usize;
            if b >> 6 != word {
                bits[word] = acc;
                acc = 0;
                word_start.resize((b >> 6) + 1, i as u32);
                word = b >> 6;
            }
            acc |= 1 << (b & 63);
        }
        if words > 0 {
            bits[word] = acc;
            word_start.push(len as u32);
        }
        Occupancy {
            base,
            span,
            shift,
            bits,
            word_start,
        }
    }

    /// The first of `rows` (whose values are the map's, ascending) with value `>= lo`;
    /// only valid when `may_hit(lo, _)` holds (so `lo - base <= span`).
    #[inline(always)]
    fn first_at_least<T>(&self, rows: &[T], lo: i128, value: impl Fn(&T) -> i64) -> usize {
        let off = lo - i128::from(self.base);
        if off <= 0 {
            return 0;
        }
        // Rows of earlier words lie below `lo`, rows of later words above it.
        let w = ((off as u64) >> self.shift >> 6) as usize;
        let (a, z) = (self.word_start[w] as usize, self.word_start[w + 1] as usize);
        a + rows[a..z].partition_point(|t| i128::from(value(t)) < lo)
    }

    /// False only when no value lies in `[lo, hi]`.
    #[inline(always)]
    fn may_hit(&self, lo: i128, hi: i128) -> bool {
        // Clamping to i64 can only add false positives (every value fits in i64).
        let clamp = |x: i128| x.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        self.may_hit64(clamp(lo), clamp(hi))
    }

    /// [`Occupancy::may_hit`] on i64 bounds, for the hot loops.
    #[inline(always)]
    fn may_hit64(&self, lo: i64, hi: i64) -> bool {
        // Saturation keeps each offset on its side of 0 (base >= 0 and span >= -1).
        let (l, h) = (lo.saturating_sub(self.base), hi.saturating_sub(self.base));
        if h < 0 || l > self.span {
            return false;
        }
        // Both offsets now lie in 0..=span.
        let b0 = (l.max(0) as u64 >> self.shift) as usize;
        let b1 = (h.min(self.span) as u64 >> self.shift) as usize;
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
        PairTable {
            occ: Occupancy::new(pairs.iter().map(|p| p.v)),
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
    // Packed u64 keys `(v - vmin, p, q)` sort in the order of the structs. They are made
    // in `(p, q)` order, so a stable sort on the value bits alone (LSD radix) finishes
    // the job. Values too wide to pack take the plain sort.
    let bits = usize::BITS - vals.len().leading_zeros();
    let vmin = match vals {
        [x, y, ..] => x.v + y.v,
        _ => 0,
    };
    let range = vals.last().map_or(0, |x| 2 * x.v as u128) - vmin as u128;
    if 2 * bits < 64 && range < 1u128 << (64 - 2 * bits) {
        let mut keys = vec![0u64; vals.len() * vals.len().saturating_sub(1) / 2];
        let mut w = 0;
        for (p, x) in vals.iter().enumerate() {
            let row = (p as u64) << bits;
            // Every key is written; it is kept (w advances) when the items differ.
            for (q, y) in vals.iter().enumerate().skip(p + 1) {
                keys[w] = ((x.v + y.v - vmin) as u64) << (2 * bits) | row | q as u64;
                w += usize::from(x.item != y.item);
            }
        }
        keys.truncate(w);
        radix_sort_above(&mut keys, 2 * bits, 128 - range.leading_zeros());
        let mask = (1u64 << bits) - 1;
        let pairs = keys
            .into_iter()
            .map(|key| Pair {
                v: (key >> (2 * bits)) as i64 + vmin,
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

/// Below this many keys a comparison sort beats the radix passes' fixed cost.
const RADIX_MIN_KEYS: usize = 512;

/// Sorts `keys` stably by bits `low..low + width` (LSD radix, 8 or 11 bits per pass);
/// keys equal there keep their order.
fn radix_sort_above(keys: &mut Vec<u64>, low: u32, width: u32) {
    if keys.len() < RADIX_MIN_KEYS {
        // Keys equal in those bits are equal in the low bits' order too: a full sort
        // gives the same order.
        keys.sort_unstable();
        return;
    }
    let digit: u32 = if keys.len() >= 1 << 12 { 11 } else { 8 };
    let passes = width.div_ceil(digit) as usize;
    let buckets = 1usize << digit;
    let mask = (buckets - 1) as u64;
    // One read of the keys counts the digits of every pass.
    let mut count = vec![0usize; buckets * passes];
    for &k in keys.iter() {
        for (pass, c) in count.chunks_exact_mut(buckets).enumerate() {
            c[((k >> (low + pass as u32 * digit)) & mask) as usize] += 1;
        }
    }
    let mut spare = vec![0u64; keys.len()];
    for (pass, c) in count.chunks_exact_mut(buckets).enumerate() {
        // Turn the counts into each digit's first slot.
        let mut next = 0;
        for slot in c.iter_mut() {
            let n = *slot;
            *slot = next;
            next += n;
        }
        let shift = low + pass as u32 * digit;
        for &k in keys.iter() {
            let d = ((k >> shift) & mask) as usize;
            spare[c[d]] = k;
            c[d] += 1;
        }
        std::mem::swap(keys, &mut spare);
    }
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
        match &self.prepared {
            Prepared::TwoPointer { vals } => {
                self.singles(vals, target, budget, found)?;
                if self.k >= 2 {
                    self.two_pointer(vals, target, budget, found)?;
                }
                Ok(())
            }
            Prepared::Ksum { vals, pairs } => {
                let bounds = &Bounds::new(vals);
                if self.multi {
                    self.singles_window(vals, target, budget, found)?;
                    self.pairs_window(vals, pairs, target, budget, found)?;
                    self.ksum3_table(vals, pairs, target, budget, found)?;
                } else {
                    self.singles(vals, target, budget, found)?;
                    self.two_pointer(vals, target, budget, found)?;
                    self.ksum3(vals, bounds, target, budget, found)?;
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
        pairs_in_window(vals, 0, vals.len(), lo, hi, budget, |x, y| {
            let mut m = [(x.item, x.disc), (y.item, y.disc)];
            record(found, target, x.v + y.v, &mut m);
        })
    }

    /// Calls `visit` on every pair whose value lies in `[lo, hi]`, counting each.
    /// Finding the window's start is not counted as work.
    #[inline(always)]
    fn scan_pairs(
        table: &PairTable,
        lo: i128,
        hi: i128,
        budget: &mut Budget,
        mut visit: impl FnMut(&Pair),
    ) -> Result<(), Exhausted> {
        if !table.may_hit(lo, hi) {
            return Ok(());
        }
        let pairs = &table.pairs;
        let mut j = table.occ.first_at_least(pairs, lo, |p| p.v);
        while j < pairs.len() && i128::from(pairs[j].v) <= hi {
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
    fn ksum3(
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
    fn ksum3_table(
        &self,
        vals: &[Val],
        pairs: &PairTable,
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
            Self::scan_pairs(pairs, lo0 - sv, hi0 - sv, budget, |r| {
                let (x, y) = (vals[r.p as usize], vals[r.q as usize]);
                if r.p as usize > p0 && x.item != s.item && y.item != s.item {
                    let mut m = [(s.item, s.disc), (x.item, x.disc), (y.item, y.disc)];
                    record(found, target, s.v + r.v, &mut m);
                }
            })?;
        }
        Ok(())
    }

    /// Quadruples: pair `l` plus pair `r`. Top first (see [`top_first`]), `r.q < l.p`, so
    /// `r <= l` and `r <= max_before[l.p]`, from the first `l` with `2 l >= lo`; bottom
    /// first, `l.q < r.p`, so `l <= r` and `r >= min_after[l.q]`, from the first `l` that
    /// reaches `lo` with the two largest entries. The choice and the start (binary
    /// searches) are one node.
    fn ksum4(
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
    fn ksum5(
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
    fn ksum5_top(
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
    fn ksum5_bottom(
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

/// Calls `visit` for every pair of entries at positions `start <= i < j < end` of
/// distinct items whose values sum into `[lo, hi]`. The smaller entry starts at the first
/// one that reaches `lo` with the largest entry (binary search, one node); two pointers
/// then slide left over the sorted values, and every move and scanned entry is a node.
/// The scan stops once no entry after `i` fits under `hi`.
fn pairs_in_window(
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

/// `min(x, cap)` as i64, for `x` that fits in i64.
#[inline(always)]
fn clamp64(x: i128, cap: i128) -> i64 {
    x.min(cap) as i64
}

/// The first position of `vals` (ascending) whose value is `>= bound`.
#[inline]
fn first_above(vals: &[Val], bound: i128) -> usize {
    match (vals.first(), vals.last()) {
        (Some(x), _) if i128::from(x.v) >= bound => 0,
        (_, Some(z)) if i128::from(z.v) < bound => vals.len(),
        _ => vals.partition_point(|x| i128::from(x.v) < bound),
    }
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
        let pairs = pair_table(items, &vals, budget)?;
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
                prepared: Prepared::Ksum { vals, pairs },
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
        let mut j = self.occ.first_at_least(rows, lo, |t| t.v);
        while j < rows.len() && i128::from(rows[j].v) <= hi {
            budget.tick(1)?;
            visit(&rows[j]);
            j += 1;
        }
        Ok(())
    }
}
