//! The sorted pair-sum table of the k-sum kernels and the occupancy map that finds a
//! window's start in it (no Python twin for the map: it changes no count).

use crate::kernels::engine::{Budget, Exhausted, Pair, Val};
use crate::Item;

/// An occupancy bit map of the values of a sorted sum table: bit `b` is set when some
/// value `v` has `(v - base) >> shift == b`. The map (at most 8 bits per entry, so it
/// stays in cache) answers most window look-ups that would find nothing without
/// searching the table, and `word_start` locates a window's start in a few rows. It only
/// replaces the search for a window's start, which is not counted as work, so node
/// counts are unchanged.
pub(crate) struct Occupancy {
    pub(crate) base: i64,
    /// Largest value minus `base`.
    pub(crate) span: i64,
    pub(crate) shift: u32,
    pub(crate) bits: Vec<u64>,
    /// `word_start[w]`: first row whose bucket is `>= 64 w` (one more entry, the table
    /// length, at the end; no entries for an empty table).
    pub(crate) word_start: Vec<u32>,
}

impl Occupancy {
    /// `values` ascending.
    pub(crate) fn new<I>(values: I) -> Self
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
        // Empty for an empty table (never read: `may_hit` is false), so the empty tables of
        // the queries that need none allocate nothing.
        let mut word_start = Vec::new();
        if words > 0 {
            word_start.reserve_exact(words + 1);
            word_start.push(0);
        }
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
    pub(crate) fn first_at_least<T>(
        &self,
        rows: &[T],
        lo: i128,
        value: impl Fn(&T) -> i64,
    ) -> usize {
        let off = lo - i128::from(self.base);
        if off <= 0 {
            return 0;
        }
        // `0 < lo - base <= span`, so `lo` fits in i64.
        self.first_at_least64(rows, lo as i64, value)
    }

    /// [`Occupancy::first_at_least`] on an i64 bound, for the hot loops.
    #[inline(always)]
    pub(crate) fn first_at_least64<T>(
        &self,
        rows: &[T],
        lo: i64,
        value: impl Fn(&T) -> i64,
    ) -> usize {
        // Saturation only lowers an offset that is below 0 anyway (`lo - base <= span`).
        let off = lo.saturating_sub(self.base);
        if off <= 0 {
            return 0;
        }
        // Rows of earlier words lie below `lo`, rows of later words above it.
        let w = ((off as u64) >> self.shift >> 6) as usize;
        let (a, z) = (self.word_start[w] as usize, self.word_start[w + 1] as usize);
        a + rows[a..z].partition_point(|t| value(t) < lo)
    }

    /// False only when no value lies in `[lo, hi]`.
    #[inline(always)]
    pub(crate) fn may_hit(&self, lo: i128, hi: i128) -> bool {
        // Clamping to i64 can only add false positives (every value fits in i64).
        let clamp = |x: i128| x.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        self.may_hit64(clamp(lo), clamp(hi))
    }

    /// [`Occupancy::may_hit`] on i64 bounds, for the hot loops.
    #[inline(always)]
    pub(crate) fn may_hit64(&self, lo: i64, hi: i64) -> bool {
        // Saturation keeps each offset on its side of 0 (span >= -1; base may be negative
        // with credits, and then an offset saturates upward, still past span).
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
    pub(crate) pairs: Vec<Pair>,
    pub(crate) occ: Occupancy,
}

impl std::ops::Deref for PairTable {
    type Target = [Pair];

    fn deref(&self) -> &[Pair] {
        &self.pairs
    }
}

impl PairTable {
    pub(crate) fn new(pairs: Vec<Pair>) -> Self {
        PairTable {
            occ: Occupancy::new(pairs.iter().map(|p| p.v)),
            pairs,
        }
    }

    /// A table cut at a cap (see [`build_pair_table`]): `pairs` are the table's rows up to
    /// the cap and, when `cut` (the full table had rows past it), one more row of value
    /// `i64::MAX` standing for them, which the occupancy map leaves out.
    fn capped(mut pairs: Vec<Pair>, cut: bool) -> Self {
        let occ = Occupancy::new(pairs.iter().map(|p| p.v));
        if cut {
            pairs.push(Pair {
                v: i64::MAX,
                p: 0,
                q: 0,
            });
        }
        PairTable { occ, pairs }
    }
}

/// What the pair table of `vals` costs: the entries reserved (every pair of entries, as
/// the packed keys are made before same-item pairs are dropped) and the nodes counted
/// (its pairs of distinct items).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PairCost {
    pub(crate) entries: u64,
    pub(crate) nodes: u64,
}

impl PairCost {
    pub(crate) fn of(items: &[Item], vals: &[Val]) -> Self {
        let l = vals.len() as u64;
        let same_item = (vals.len() - items.len()) as u64;
        let entries = l * l.saturating_sub(1) / 2;
        PairCost {
            entries,
            nodes: entries.saturating_sub(same_item),
        }
    }

    /// Reserves and counts the table; fails when the budget cannot pay for it.
    pub(crate) fn charge(&self, budget: &mut Budget) -> Result<(), Exhausted> {
        budget.reserve(self.entries, crate::PAIR_BYTES)?;
        budget.tick(self.nodes)
    }

    /// Whether `budget` could still pay for the table (it can only shrink).
    pub(crate) fn affordable(&self, budget: &Budget) -> bool {
        let bytes = self.entries.saturating_mul(crate::PAIR_BYTES);
        budget.nodes.saturating_add(self.nodes) <= budget.limit
            && budget.reserved.saturating_add(bytes) <= budget.memory_limit
    }
}

/// The pair table, paid for first: a table the budget refuses is never allocated.
pub(crate) fn pair_table(
    items: &[Item],
    vals: &[Val],
    cap: Option<i64>,
    budget: &mut Budget,
) -> Result<PairTable, Exhausted> {
    PairCost::of(items, vals).charge(budget)?;
    Ok(build_pair_table(vals, cap))
}

/// The sorted table of every pair of entries of distinct items (not paid for here).
///
/// With `cap` (the largest window end any query will ask for) and every entry positive,
/// only the rows of value `<= cap` are built, followed by one row of value `i64::MAX` when
/// the full table had more: no set with such a pair fits any window (its other members
/// are positive), every binary search of the kernels looks for a bound `<= cap` (so it
/// finds the same position), and every loop over the rows that stops at the first row
/// past a bound stops at that stand-in row, counting it as it would count the real one.
/// So the kernels visit the same rows and count the same nodes as on the full table (the
/// Python twin builds it whole; the cost charged is the full table's either way), and on
/// wide amounts with a small payment most of the table is never made: wide-range n = 500,
/// k <= 5 keeps a few thousand of its 124,750 pairs.
pub(crate) fn build_pair_table(vals: &[Val], cap: Option<i64>) -> PairTable {
    let cap = match (cap, vals.first()) {
        (Some(c), Some(x)) if x.v > 0 => c,
        _ => i64::MAX,
    };
    // Row p keeps its partners p + 1 .. ends[p] (the values ascend along a row), and
    // `cut` records a dropped partner of another item.
    let mut cut = false;
    let ends: Vec<usize> = (0..vals.len())
        .map(|p| {
            let rest = &vals[p + 1..];
            let keep = if cap == i64::MAX {
                rest.len()
            } else {
                let bound = i128::from(cap) - i128::from(vals[p].v);
                rest.partition_point(|y| i128::from(y.v) <= bound)
            };
            cut |= rest[keep..].iter().any(|y| y.item != vals[p].item);
            p + 1 + keep
        })
        .collect();
    let kept: usize = ends.iter().enumerate().map(|(p, &e)| e - p - 1).sum();
    // Packed u64 keys `(v - vmin, p, q)` sort in the order of the structs. They are made
    // in `(p, q)` order, so a stable sort on the value bits alone (LSD radix) finishes
    // the job. Values too wide to pack take the plain sort.
    let bits = usize::BITS - vals.len().leading_zeros();
    let vmin = match vals {
        [x, y, ..] => x.v + y.v,
        _ => 0,
    };
    // In i128: with credits (negative values) `vmin` is negative. No kept pair exceeds
    // twice the largest value or the cap, so every packed value lies in `0..=range`.
    let top = vals
        .last()
        .map_or(0, |x| (2 * i128::from(x.v)).min(i128::from(cap)));
    let range = (top - i128::from(vmin)).max(0) as u128;
    if 2 * bits < 64 && range < 1u128 << (64 - 2 * bits) {
        let packed = Packed {
            vals,
            ends: &ends,
            bits,
            vmin,
        };
        let pairs = packed.sorted(kept, 128 - range.leading_zeros());
        return PairTable::capped(pairs, cut);
    }
    let mut pairs = Vec::with_capacity(kept + 1);
    for (p, x) in vals.iter().enumerate() {
        for (q, y) in vals.iter().enumerate().take(ends[p]).skip(p + 1) {
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
    PairTable::capped(pairs, cut)
}

/// Below this many keys a comparison sort beats the radix passes' fixed cost.
pub(crate) const RADIX_MIN_KEYS: usize = 512;

/// The widest radix digit: 2^11 counters of one pass stay in the first-level cache.
const RADIX_MAX_DIGIT_BITS: u32 = 11;

/// The counters of one radix pass.
const RADIX_BUCKETS: usize = 1 << RADIX_MAX_DIGIT_BITS;

/// Below this many keys [`radix_sort_above`] sorts a stored key array, with digits of at
/// most 8 bits (fewer counters to clear and sum).
const RADIX_WIDE_DIGIT_KEYS: usize = 1 << 12;

/// The pair keys of sorted entries, made on demand: row `p` (the pairs `(p, q)`,
/// `p < q < ends[p]`, of distinct items) in `q` order, key `(v - vmin, p, q)` packed with
/// `bits` bits for each position.
struct Packed<'a> {
    vals: &'a [Val],
    ends: &'a [usize],
    bits: u32,
    vmin: i64,
}

impl Packed<'_> {
    /// Calls `f` on every key in `(p, q)` order.
    #[inline(always)]
    fn each_key(&self, mut f: impl FnMut(u64)) {
        for (p, x) in self.vals.iter().enumerate() {
            // The key of `(p, q)` is its value bits plus `row + q` (`q` fits in its bits).
            let row = ((p as u64) << self.bits) + p as u64 + 1;
            let base = x.v - self.vmin;
            for (j, y) in self.vals[p + 1..self.ends[p]].iter().enumerate() {
                if x.item != y.item {
                    f((((base + y.v) as u64) << (2 * self.bits)) + row + j as u64);
                }
            }
        }
    }

    fn pair(&self, key: u64) -> Pair {
        let mask = (1u64 << self.bits) - 1;
        Pair {
            v: (key >> (2 * self.bits)) as i64 + self.vmin,
            p: (key >> self.bits & mask) as u32,
            q: (key & mask) as u32,
        }
    }

    /// The pairs sorted, with room for one more row; `kept` bounds their number and
    /// `width` is the bits of the largest packed value.
    fn sorted(&self, kept: usize, width: u32) -> Vec<Pair> {
        if kept < RADIX_WIDE_DIGIT_KEYS || width == 0 {
            // A small table stays in cache: the keys are stored, sorted and converted.
            let mut keys = Vec::with_capacity(kept);
            self.each_key(|k| keys.push(k));
            radix_sort_above(&mut keys, 2 * self.bits, width);
            let mut pairs = Vec::with_capacity(keys.len() + 1);
            pairs.extend(keys.into_iter().map(|k| self.pair(k)));
            return pairs;
        }
        self.radix(kept, width)
    }

    /// [`Packed::sorted`] for a large table: LSD radix on the value bits, in as few passes
    /// of at most [`RADIX_MAX_DIGIT_BITS`] as the width allows. The keys are never stored
    /// in pair order: one walk over the pairs counts every pass's digits, a second makes
    /// the keys again and scatters them by the first digit, which saves a write and two
    /// reads of the keys against sorting a stored key array (wide-range n = 1,000: 456 k
    /// pairs, 3.6 MB of keys, past the second-level cache).
    fn radix(&self, kept: usize, width: u32) -> Vec<Pair> {
        assert!(u32::try_from(kept).is_ok(), "radix counters are u32");
        let low = 2 * self.bits;
        let passes = width.div_ceil(RADIX_MAX_DIGIT_BITS) as usize;
        let digit = width.div_ceil(passes as u32);
        // The masks keep every digit below `RADIX_BUCKETS`, which lets the compiler drop
        // the counters' bounds checks.
        let mask = ((1usize << digit) - 1) & (RADIX_BUCKETS - 1);
        let first_digit = |k: u64| (k >> low) as usize & mask;
        // Every pass's digit counts, in one walk over the keys.
        let mut count = vec![[0u32; RADIX_BUCKETS]; passes];
        let mut n = 0usize;
        self.each_key(|k| {
            n += 1;
            let mut rest = k >> low;
            for c in count.iter_mut() {
                c[rest as usize & mask] += 1;
                rest >>= digit;
            }
        });
        // Turn the counts into each digit's first slot.
        for c in count.iter_mut() {
            let mut next = 0;
            for slot in c.iter_mut().take(mask + 1) {
                let m = *slot;
                *slot = next;
                next += m;
            }
        }
        let (first, rest) = count.split_at_mut(1);
        let first = &mut first[0];
        let mut keys = vec![0u64; n];
        self.each_key(|k| {
            let d = first_digit(k);
            keys[first[d] as usize] = k;
            first[d] += 1;
        });
        if !rest.is_empty() {
            let mut spare = vec![0u64; n];
            for (i, c) in rest.iter_mut().enumerate() {
                let shift = low + (i as u32 + 1) * digit;
                for &k in keys.iter() {
                    let d = (k >> shift) as usize & mask;
                    spare[c[d] as usize] = k;
                    c[d] += 1;
                }
                std::mem::swap(&mut keys, &mut spare);
            }
            // The spare goes before the pairs are made: the peak stays at one key and one
            // pair per row (`PAIR_BYTES`).
        }
        // Written in order (no zeroed table to scatter into).
        let mut pairs = Vec::with_capacity(n + 1);
        pairs.extend(keys.into_iter().map(|k| self.pair(k)));
        pairs
    }
}

/// Sorts `keys` stably by bits `low..low + width` (LSD radix, 8 or 11 bits per pass);
/// keys equal there keep their order.
pub(crate) fn radix_sort_above(keys: &mut Vec<u64>, low: u32, width: u32) {
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
