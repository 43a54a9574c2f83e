//! The sorted-positions search for wide amount ranges.

use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Amounts over six decades and more: one payment's sets of 4 and 5 take
    /// `sorted_bounds`, which must find exactly the oracle's candidates.
    #[test]
    fn sorted_bounds_equals_the_oracle(
        raw in prop::collection::vec((0usize..5, 1i64..4, prop::option::of(1i64..1 << 20)), 2..=11),
        picks in prop::collection::btree_set(0usize..11, 1..=5),
        max_items in 4usize..=5,
        tol in prop_oneof![Just(0i64), 0i64..3],
    ) {
        let scales = [1i64, 7, 1 << 10, 1 << 21, 1 << 30];
        let mut items: Vec<Item> = raw
            .iter()
            .map(|&(s, m, d)| {
                let amount_minor = scales[s] * m;
                Item { discounted_minor: d.filter(|&d| d < amount_minor), ..Item::plain(amount_minor) }
            })
            .collect();
        items[0] = Item::plain(1);
        items[1] = Item::plain(1 << 21);
        let vals = engine::sorted_values(&items, &mut engine::Budget::new(i64::MAX)).unwrap();
        prop_assert!(crate::kernels::sorted_bounds::wide_amounts(&vals));
        let payment: i64 = picks.iter().map(|&i| items[i % items.len()].amount_minor).sum();
        let want = oracle(&items, payment, max_items, tol);
        let s = solve_one_to_many(&items, payment, &limits(max_items as i64, tol)).unwrap();
        prop_assert_eq!(s.candidates, want);
    }
}
