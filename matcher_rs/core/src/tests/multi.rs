//! Many payments against one customer's items: one call equals one call per payment.

use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn multi_equals_one_call_per_payment(
        items in arb_items(12, 60),
        payments in prop::collection::vec(1i64..250, 0..6),
        max_items in 1i64..8,
        tol in prop_oneof![Just(0i64), 0i64..30],
        node_budget in prop_oneof![Just(5_000_000i64), 0i64..400],
        max_candidates in 0i64..4,
    ) {
        let lim = Limits { max_items, tolerance_minor: tol, node_budget, max_candidates, memory_limit_bytes: i64::MAX, max_solutions: 0 };
        let got = solve_one_to_many_multi(&items, &payments, &lim).unwrap();
        prop_assert_eq!(got.len(), payments.len());
        for (s, &p) in got.iter().zip(&payments) {
            prop_assert_eq!(s, &solve_one_to_many(&items, p, &lim).unwrap());
        }
    }
}

#[test]
fn multi_refuses_a_bad_payment_naming_it() {
    let items = [Item::plain(100)];
    let e = solve_one_to_many_multi(&items, &[100, 0], &Limits::default()).unwrap_err();
    assert_eq!(
        e,
        SolveError::Invalid("payments_minor[1] must be > 0".into())
    );
    let e = solve_one_to_many_multi(&items, &[i64::MAX - 50], &Limits::default()).unwrap_err();
    assert!(matches!(e, SolveError::Overflow(_)));
    assert!(solve_one_to_many_multi(&items, &[], &Limits::default())
        .unwrap()
        .is_empty());
}
