//! The candidates of one search: every item set found, with its best variant.

use crate::Item;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};

/// FxHash-style hasher. The keys are short index lists the solver builds itself,
/// so HashDoS resistance buys nothing and SipHash would dominate the run time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    pub(crate) hash: u64,
}

impl FxHasher {
    #[inline]
    pub(crate) fn add(&mut self, word: u64) {
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
pub(crate) const INLINE_SET: usize = 5;

/// The item indices of a candidate set, ascending; small sets need no allocation.
#[derive(Clone, Debug)]
pub(crate) enum Key {
    Small(u8, [u32; INLINE_SET]),
    Large(Box<[u32]>),
}

impl Key {
    pub(crate) fn new(indices: &[u32]) -> Self {
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
    pub(crate) fn new(flags: impl ExactSizeIterator<Item = bool>) -> Self {
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

    pub(crate) fn get(&self, i: usize) -> bool {
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
    pub(crate) items: &'a [Item],
    /// No item has a discounted amount: every set is plain.
    pub(crate) all_plain: bool,
    /// Sets with a discountable member.
    pub(crate) best: BestVariants,
    /// The other sets (disjoint from `best`'s).
    pub(crate) plain: Plain,
    /// How many sets may be kept (the memory left after the tables); a new set beyond
    /// that is dropped and `overflowed` set, so memory stays bounded and the outcome says
    /// the candidates are incomplete.
    pub(crate) room: u64,
    pub(crate) overflowed: bool,
    /// Stop once this many sets are kept (`limits.max_solutions`; `u64::MAX`: never), and
    /// whether that happened: the search then ends at its next tick.
    pub(crate) limit: u64,
    pub(crate) limited: bool,
    /// The budget's stop flag, set on overflow so that the search ends at its next tick.
    stop: Option<&'a AtomicBool>,
}

impl<'a> Collector<'a> {
    pub(crate) fn new(items: &'a [Item]) -> Self {
        Collector {
            items,
            all_plain: items.iter().all(|it| it.discounted_minor.is_none()),
            best: BestVariants::default(),
            plain: Plain::new(),
            room: u64::MAX,
            overflowed: false,
            limit: u64::MAX,
            limited: false,
            stop: None,
        }
    }

    /// Bounds the sets kept to what `budget`'s memory left holds once `pending` bytes of
    /// tables the query will still pay for are reserved, less `held` sets kept elsewhere
    /// (many-to-many's groups so far).
    pub(crate) fn bounded(
        mut self,
        budget: &crate::engine::Budget<'a>,
        pending: u64,
        held: usize,
    ) -> Self {
        let left = (budget.memory_limit - budget.reserved).saturating_sub(pending);
        self.room = (left / crate::CANDIDATE_BYTES).saturating_sub(held as u64);
        self.stop = Some(budget.stop);
        self
    }

    /// Ends the search at its next tick once `limit` sets are kept (see `Limits::max_solutions`).
    pub(crate) fn limited_to(mut self, limit: u64) -> Self {
        self.limit = limit;
        self
    }

    /// A new set was kept: at the solution limit, end the search at its next tick.
    #[inline]
    fn kept(&mut self) {
        if self.len() as u64 >= self.limit {
            self.limited = true;
            if let Some(stop) = self.stop {
                stop.store(true, Ordering::Relaxed);
            }
        }
    }

    /// A new set did not fit: remember it and end the search at its next tick.
    fn overflow(&mut self) {
        self.overflowed = true;
        if let Some(stop) = self.stop {
            stop.store(true, Ordering::Relaxed);
        }
    }

    /// Whether one more new set fits; records the overflow when it does not.
    #[inline]
    fn admit(&mut self) -> bool {
        if (self.len() as u64) < self.room {
            return true;
        }
        self.overflow();
        false
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
pub(crate) fn record(found: &mut Collector, target: i64, total: i64, members: &mut [(u32, bool)]) {
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
        if found.admit() {
            found.plain.push((key, target - total));
            found.kept();
        }
        return;
    }
    let full = found.len() as u64 >= found.room;
    let collector = found;
    let found = &mut collector.best;
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
        None if full => collector.overflow(),
        None => {
            found.insert(Key::new(indices), (residual, flags()));
            collector.kept();
        }
    }
}

/// The amounts an item can contribute, (value, discounted), and how many there are.
pub(crate) fn amounts(it: &Item) -> ([(i64, bool); 2], usize) {
    match it.discounted_minor {
        Some(d) => ([(it.amount_minor, false), (d, true)], 2),
        None => ([(it.amount_minor, false), (0, true)], 1),
    }
}
