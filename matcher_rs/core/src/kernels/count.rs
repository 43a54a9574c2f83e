//! How many explanations of a payment exist over every subset size (capped at 2), and which
//! one when exactly one does: a counting DP over cents on bitsets of 64-bit words.
//!
//! Twin of `engine/matching/kernels/count.py` (same validation, messages and results).
//!
//! - An explanation is a non-empty set of distinct items with a choice, per member that has a
//!   discounted amount, of its full or discounted amount; it meets the payment when
//!   `|payment - total| <= tolerance`. Different (set, choice) pairs are different
//!   explanations even when their totals are equal. No bound on the set size.
//! - `ones[s]`: at least one non-empty explanation totals `s`; `twos[s]`: at least two. An
//!   item with amount `a` (and discounted `d`) reaches `s` by skipping it, or by adding it to an
//!   explanation of `s - a` (`s - d`) or to the empty set; capped counts add as
//!   `twos' = twos | twos_b | (ones & ones_b)`, `ones' = ones | ones_b` per way `b`.
//! - Bits `0..=hi`, `hi = payment + tolerance`; `hi + 1 > max_bits` is `TooLarge` (nothing
//!   allocated). Cost O(n * hi / 64) word operations.
//! - Witness: the `ones` table before each item (`n * (hi + 1)` bits, kept only when within
//!   `max_witness_bits`) lets the unique explanation be walked back from the last item.
use crate::{Item, SolveError};

/// Default largest bitset, in bits (2^28 bits = 32 MiB); one DP holds two of them.
pub const COUNT_MAX_BITS: i64 = 1 << 28;
/// Default largest per-stage witness table, in bits (2^29 bits = 64 MiB).
pub const COUNT_MAX_WITNESS_BITS: i64 = 1 << 29;
/// Hard ceilings of the two limits, in bits (512 MiB and 1 GiB): a limit can never ask, by
/// accident, for an allocation the machine cannot make.
pub const COUNT_MAX_BITS_CEILING: i64 = 1 << 32;
pub const COUNT_MAX_WITNESS_BITS_CEILING: i64 = 1 << 33;

/// Limits of the counting DP, in bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountLimits {
    pub max_bits: i64,
    pub max_witness_bits: i64,
}

impl Default for CountLimits {
    fn default() -> Self {
        CountLimits {
            max_bits: COUNT_MAX_BITS,
            max_witness_bits: COUNT_MAX_WITNESS_BITS,
        }
    }
}

/// How many explanations meet the payment: 0, 1, 2 or more, or not computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CountOutcome {
    Zero,
    One,
    Many,
    TooLarge,
}

impl CountOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CountOutcome::Zero => "NONE",
            CountOutcome::One => "ONE",
            CountOutcome::Many => "MANY",
            CountOutcome::TooLarge => "TOO_LARGE",
        }
    }
}

/// The count (capped at 2) and, when it is 1 and the stage tables fit, the explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubsetCount {
    pub outcome: CountOutcome,
    /// 0, 1 or 2 ("two or more"); `None` for `TooLarge`.
    pub explanation_count: Option<u8>,
    /// Item indices of the unique explanation, ascending (empty without witness).
    pub item_indices: Vec<u32>,
    pub discounted: Vec<bool>,
    /// `payment - total` of the unique explanation (`One` only, witness or not).
    pub residual_minor: Option<i64>,
    /// True exactly when `item_indices` / `discounted` hold the unique explanation.
    pub witness_available: bool,
}

impl SubsetCount {
    fn of(outcome: CountOutcome, explanation_count: Option<u8>) -> Self {
        SubsetCount {
            outcome,
            explanation_count,
            item_indices: Vec::new(),
            discounted: Vec::new(),
            residual_minor: None,
            witness_available: false,
        }
    }
}

fn invalid(message: String) -> SolveError {
    SolveError::Invalid(message)
}

/// Checks every input, in the order and with the messages of the Python twin.
fn validate(
    items: &[Item],
    payments: &[(i64, String)],
    tolerance_minor: i64,
    limits: &CountLimits,
) -> Result<(), SolveError> {
    if !(1..=COUNT_MAX_BITS_CEILING).contains(&limits.max_bits) {
        return Err(invalid(format!(
            "limits.max_bits must be between 1 and {COUNT_MAX_BITS_CEILING}"
        )));
    }
    if !(0..=COUNT_MAX_WITNESS_BITS_CEILING).contains(&limits.max_witness_bits) {
        return Err(invalid(format!(
            "limits.max_witness_bits must be between 0 and {COUNT_MAX_WITNESS_BITS_CEILING}"
        )));
    }
    if tolerance_minor < 0 {
        return Err(invalid("tolerance_minor must be >= 0".into()));
    }
    for (p, name) in payments {
        if *p <= 0 {
            return Err(invalid(format!("{name} must be > 0")));
        }
    }
    for (i, it) in items.iter().enumerate() {
        if it.amount_minor < 0 {
            return Err(invalid(format!("items[{i}].amount_minor must be >= 0")));
        }
        if let Some(d) = it.discounted_minor {
            if d <= 0 || d >= it.amount_minor {
                return Err(invalid(format!(
                    "items[{i}].discounted_minor must be > 0 and < amount_minor"
                )));
            }
        }
    }
    Ok(())
}

/// How many explanations of any subset size meet `payment_minor` within `tolerance_minor`
/// (capped at 2), and the unique one when exactly one does.
pub fn count_subsets(
    items: &[Item],
    payment_minor: i64,
    tolerance_minor: i64,
    limits: &CountLimits,
) -> Result<SubsetCount, SolveError> {
    validate(
        items,
        &[(payment_minor, "payment_minor".to_string())],
        tolerance_minor,
        limits,
    )?;
    Ok(count_all(items, &[payment_minor], tolerance_minor, limits).remove(0))
}

/// One [`count_subsets`] result per payment, identical to separate calls: the tables are
/// built once, up to the largest `hi` within `max_bits`; the stage tables only up to the
/// largest `hi` whose witness fits `max_witness_bits`.
pub fn count_subsets_multi(
    items: &[Item],
    payments_minor: &[i64],
    tolerance_minor: i64,
    limits: &CountLimits,
) -> Result<Vec<SubsetCount>, SolveError> {
    let named: Vec<(i64, String)> = payments_minor
        .iter()
        .enumerate()
        .map(|(j, &p)| (p, format!("payments_minor[{j}]")))
        .collect();
    validate(items, &named, tolerance_minor, limits)?;
    Ok(count_all(items, payments_minor, tolerance_minor, limits))
}

/// Per payment: its `hi` when the bitset fits, and whether its stage tables fit.
fn plan(n: usize, payment: i64, tol: i64, limits: &CountLimits) -> Option<(usize, bool)> {
    let hi = i128::from(payment) + i128::from(tol);
    if hi >= i128::from(limits.max_bits) {
        return None;
    }
    let witness = (n as i128) * (hi + 1) <= i128::from(limits.max_witness_bits);
    Some((hi as usize, witness))
}

fn count_all(items: &[Item], payments: &[i64], tol: i64, limits: &CountLimits) -> Vec<SubsetCount> {
    let plans: Vec<Option<(usize, bool)>> = payments
        .iter()
        .map(|&p| plan(items.len(), p, tol, limits))
        .collect();
    let Some(hi) = plans.iter().flatten().map(|&(h, _)| h).max() else {
        return plans
            .iter()
            .map(|_| SubsetCount::of(CountOutcome::TooLarge, None))
            .collect();
    };
    let hi_witness = plans
        .iter()
        .flatten()
        .filter(|&&(_, w)| w)
        .map(|&(h, _)| h)
        .max();
    let tables = Tables::build(items, hi, hi_witness);
    payments
        .iter()
        .zip(&plans)
        .map(|(&p, plan)| match plan {
            None => SubsetCount::of(CountOutcome::TooLarge, None),
            Some((_, witness)) => tables.answer(items, p, tol, *witness),
        })
        .collect()
}

fn words_for(bits: usize) -> usize {
    bits.div_ceil(64)
}

fn bit(words: &[u64], s: usize) -> bool {
    words[s / 64] >> (s % 64) & 1 == 1
}

/// The DP tables after every item, and `ones` before each item (`stage_words` words each).
struct Tables {
    ones: Vec<u64>,
    twos: Vec<u64>,
    stages: Vec<u64>,
    stage_words: usize,
}

impl Tables {
    fn build(items: &[Item], hi: usize, hi_witness: Option<usize>) -> Self {
        let words = words_for(hi + 1);
        let stage_words = hi_witness.map_or(0, |h| words_for(h + 1));
        let mut t = Tables {
            ones: vec![0; words],
            twos: vec![0; words],
            stages: Vec::with_capacity(stage_words * items.len()),
            stage_words,
        };
        let top_mask = u64::MAX >> (63 - hi % 64);
        for it in items {
            if stage_words > 0 {
                t.stages.extend_from_slice(&t.ones[..stage_words]);
            }
            // Values are >= 0 (validated); those above `hi` never reach a total in the table.
            let value_shift = |v: i64| usize::try_from(v).ok().filter(|&v| v <= hi);
            let full = value_shift(it.amount_minor);
            let disc = it.discounted_minor.and_then(value_shift);
            add_item(&mut t.ones, &mut t.twos, full, disc);
            t.ones[words - 1] &= top_mask;
            t.twos[words - 1] &= top_mask;
        }
        t
    }

    /// The count over the payment's window; the explanation when it is unique and `witness`.
    fn answer(&self, items: &[Item], payment: i64, tol: i64, witness: bool) -> SubsetCount {
        let lo = (payment - tol).max(0) as usize;
        let top = (payment + tol) as usize;
        let (mut seen, mut last) = (0u32, 0usize);
        for w in lo / 64..=top / 64 {
            let low = if w == lo / 64 {
                u64::MAX << (lo % 64)
            } else {
                u64::MAX
            };
            let high = if w == top / 64 {
                u64::MAX >> (63 - top % 64)
            } else {
                u64::MAX
            };
            let mask = low & high;
            let ones = self.ones[w] & mask;
            seen += ones.count_ones();
            if self.twos[w] & mask != 0 || seen >= 2 {
                return SubsetCount::of(CountOutcome::Many, Some(2));
            }
            if ones != 0 {
                last = w * 64 + (63 - ones.leading_zeros() as usize);
            }
        }
        if seen == 0 {
            return SubsetCount::of(CountOutcome::Zero, Some(0));
        }
        let mut result = SubsetCount::of(CountOutcome::One, Some(1));
        result.residual_minor = Some(payment - last as i64);
        if witness {
            let (indices, flags) = self.backtrack(items, last);
            result.item_indices = indices;
            result.discounted = flags;
            result.witness_available = true;
        }
        result
    }

    /// The unique explanation of `total`, walked back from the last item. Invariant: exactly
    /// one explanation from items `0..=i` totals `s`; it skips item i, or takes it at its full
    /// or discounted amount on top of an explanation of the rest (the empty set for 0), and
    /// exactly one of the three holds (asserted).
    fn backtrack(&self, items: &[Item], total: usize) -> (Vec<u32>, Vec<bool>) {
        let mut picked: Vec<(u32, bool)> = Vec::new();
        let mut s = total as i64;
        for i in (0..items.len()).rev() {
            let before = &self.stages[i * self.stage_words..(i + 1) * self.stage_words];
            let reaches = |rest: i64| rest == 0 || (rest > 0 && bit(before, rest as usize));
            let skip = bit(before, s as usize);
            let full = reaches(s - items[i].amount_minor);
            let disc = items[i].discounted_minor.is_some_and(|d| reaches(s - d));
            assert!(
                u8::from(skip) + u8::from(full) + u8::from(disc) == 1,
                "the explanation of {total} is not unique at item {i}"
            );
            if skip {
                continue;
            }
            picked.push((i as u32, disc));
            s -= match (disc, items[i].discounted_minor) {
                (true, Some(d)) => d,
                _ => items[i].amount_minor,
            };
            if s == 0 {
                break;
            }
        }
        assert!(
            s == 0 && !picked.is_empty(),
            "no explanation of {total} was found"
        );
        picked.reverse();
        picked.into_iter().unzip()
    }
}

/// Word `w` of `src << (64 * q + r)`, for `w > q`. `(x >> 1) >> (63 - r)` is
/// `x >> (64 - r)` for `r > 0` and 0 for `r == 0`, without a branch.
#[inline(always)]
fn shifted_word(src: &[u64], w: usize, q: usize, r: usize) -> u64 {
    (src[w - q] << r) | ((src[w - q - 1] >> 1) >> (63 - r))
}

/// Word `w` of `src << (64 * q + r)`, for any `w`.
#[inline(always)]
fn shifted_word_low(src: &[u64], w: usize, q: usize, r: usize) -> u64 {
    match w.cmp(&q) {
        std::cmp::Ordering::Less => 0,
        std::cmp::Ordering::Equal => src[0] << r,
        std::cmp::Ordering::Greater => shifted_word(src, w, q, r),
    }
}

/// Adds one item in place. The sources of the "take it" ways are the earlier explanations plus
/// the empty set (one more explanation of 0), so word 0 holds that source while the words are
/// rewritten from the highest down: the words a shift reads (at or below the one written)
/// still hold the previous stage, and word 0's own skip term is kept aside.
fn add_item(ones: &mut [u64], twos: &mut [u64], full: Option<usize>, disc: Option<usize>) {
    let shifts: Vec<(usize, usize)> = [full, disc]
        .into_iter()
        .flatten()
        .map(|v| (v / 64, v % 64))
        .collect();
    let Some(q_max) = shifts.iter().map(|&(q, _)| q).max() else {
        return;
    };
    let (ones0, twos0) = (ones[0], twos[0]);
    ones[0] = ones0 | 1;
    twos[0] = twos0 | (ones0 & 1);
    let n = ones.len();
    // Words above every shift's word offset: no boundary case.
    for w in (q_max + 1..n).rev() {
        let (mut o, mut t) = (ones[w], twos[w]);
        for &(q, r) in &shifts {
            let ob = shifted_word(ones, w, q, r);
            let tb = shifted_word(twos, w, q, r);
            t |= tb | (o & ob);
            o |= ob;
        }
        ones[w] = o;
        twos[w] = t;
    }
    for w in (0..n.min(q_max + 1)).rev() {
        let (mut o, mut t) = if w == 0 {
            (ones0, twos0)
        } else {
            (ones[w], twos[w])
        };
        for &(q, r) in &shifts {
            let ob = shifted_word_low(ones, w, q, r);
            let tb = shifted_word_low(twos, w, q, r);
            t |= tb | (o & ob);
            o |= ob;
        }
        ones[w] = o;
        twos[w] = t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Explanation = (Vec<u32>, Vec<bool>, i64);

    /// Every non-empty subset and every full/discounted choice, straight from the definition.
    fn oracle(items: &[Item], payment: i64, tol: i64) -> Vec<Explanation> {
        let n = items.len();
        let mut found = Vec::new();
        // Choice per item in base 3: 0 skip, 1 full, 2 discounted (only when it has one).
        for code in 1..3u64.pow(n as u32) {
            let (mut c, mut idx, mut flags, mut total, mut valid) = (code, vec![], vec![], 0, true);
            for (i, it) in items.iter().enumerate() {
                match c % 3 {
                    1 => {
                        idx.push(i as u32);
                        flags.push(false);
                        total += it.amount_minor;
                    }
                    2 => match it.discounted_minor {
                        Some(d) => {
                            idx.push(i as u32);
                            flags.push(true);
                            total += d;
                        }
                        None => valid = false,
                    },
                    _ => {}
                }
                c /= 3;
            }
            if valid && (payment - total).abs() <= tol {
                found.push((idx, flags, payment - total));
            }
        }
        found
    }

    fn expected(items: &[Item], payment: i64, tol: i64) -> SubsetCount {
        let found = oracle(items, payment, tol);
        match found.len() {
            0 => SubsetCount::of(CountOutcome::Zero, Some(0)),
            1 => {
                let (item_indices, discounted, residual) = found[0].clone();
                SubsetCount {
                    outcome: CountOutcome::One,
                    explanation_count: Some(1),
                    item_indices,
                    discounted,
                    residual_minor: Some(residual),
                    witness_available: true,
                }
            }
            _ => SubsetCount::of(CountOutcome::Many, Some(2)),
        }
    }

    fn item(amount: i64, discounted: Option<i64>) -> Item {
        Item {
            discounted_minor: discounted,
            ..Item::plain(amount)
        }
    }

    #[test]
    fn subsets_of_different_sizes_with_one_total_are_many() {
        let items = [Item::plain(100), Item::plain(60), Item::plain(40)];
        let r = count_subsets(&items, 100, 0, &CountLimits::default()).unwrap();
        assert_eq!(r.outcome, CountOutcome::Many);
        let r = count_subsets(&items, 160, 0, &CountLimits::default()).unwrap();
        assert_eq!(r.item_indices, vec![0, 1]);
    }

    #[test]
    fn a_set_of_eight_items_is_found_with_its_witness() {
        let items: Vec<Item> = (0..8).map(|i| Item::plain(1 << i)).collect();
        let r = count_subsets(&items, 255, 0, &CountLimits::default()).unwrap();
        assert_eq!(r, expected(&items, 255, 0));
        assert_eq!(r.item_indices, (0..8).collect::<Vec<u32>>());
    }

    #[test]
    fn shifts_across_word_boundaries_equal_the_oracle() {
        let items = [
            item(63, None),
            item(64, Some(1)),
            item(65, None),
            item(129, Some(127)),
            item(0, None),
            item(191, None),
        ];
        for payment in 1..=450 {
            for tol in [0, 1, 64] {
                let r = count_subsets(&items, payment, tol, &CountLimits::default()).unwrap();
                assert_eq!(
                    r,
                    expected(&items, payment, tol),
                    "payment {payment} tol {tol}"
                );
            }
        }
    }

    #[test]
    fn a_window_beyond_max_bits_is_too_large() {
        let limits = CountLimits {
            max_bits: 100,
            ..CountLimits::default()
        };
        let r = count_subsets(&[Item::plain(60)], 98, 2, &limits).unwrap();
        assert_eq!(r, SubsetCount::of(CountOutcome::TooLarge, None));
        let r = count_subsets(&[Item::plain(1)], i64::MAX, i64::MAX, &limits).unwrap();
        assert_eq!(r.outcome, CountOutcome::TooLarge);
    }

    #[test]
    fn without_room_for_stage_tables_the_count_comes_without_witness() {
        let items = [Item::plain(100), Item::plain(75)];
        let limits = CountLimits {
            max_witness_bits: 2 * 176 - 1,
            ..CountLimits::default()
        };
        let r = count_subsets(&items, 175, 0, &limits).unwrap();
        assert_eq!(r.outcome, CountOutcome::One);
        assert_eq!(r.residual_minor, Some(0));
        assert!(!r.witness_available && r.item_indices.is_empty());
    }

    #[test]
    fn bad_input_names_the_field() {
        let d = CountLimits::default();
        let msg = |r: Result<SubsetCount, SolveError>| r.unwrap_err().to_string();
        assert_eq!(
            msg(count_subsets(&[Item::plain(-1)], 5, 0, &d)),
            "items[0].amount_minor must be >= 0"
        );
        assert_eq!(
            msg(count_subsets(&[], 0, 0, &d)),
            "payment_minor must be > 0"
        );
        assert_eq!(
            msg(count_subsets(&[], 5, -1, &d)),
            "tolerance_minor must be >= 0"
        );
        let bad = CountLimits { max_bits: 0, ..d };
        assert!(msg(count_subsets(&[], 5, 0, &bad)).starts_with("limits.max_bits"));
        assert_eq!(
            count_subsets_multi(&[], &[3, -3], 0, &d)
                .unwrap_err()
                .to_string(),
            "payments_minor[1] must be > 0"
        );
    }

    fn instance() -> impl Strategy<Value = (Vec<Item>, i64, i64)> {
        let it = (0i64..30, proptest::option::of(1i64..30))
            .prop_map(|(a, d)| item(a, d.filter(|&d| d < a)));
        (
            proptest::collection::vec(it, 0..10),
            1i64..120,
            prop_oneof![Just(0i64), 0i64..4, 0i64..60],
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn random_instances_equal_the_oracle((items, payment, tol) in instance()) {
            let r = count_subsets(&items, payment, tol, &CountLimits::default()).unwrap();
            prop_assert_eq!(r, expected(&items, payment, tol));
        }

        #[test]
        fn multi_equals_separate_calls(
            (items, _, tol) in instance(),
            payments in proptest::collection::vec(1i64..150, 0..6),
            witness_bits in prop_oneof![Just(COUNT_MAX_WITNESS_BITS), 0i64..1500],
        ) {
            let limits = CountLimits { max_bits: 160, max_witness_bits: witness_bits };
            let separate: Vec<SubsetCount> = payments
                .iter()
                .map(|&p| count_subsets(&items, p, tol, &limits).unwrap())
                .collect();
            prop_assert_eq!(count_subsets_multi(&items, &payments, tol, &limits).unwrap(), separate);
        }
    }
}
