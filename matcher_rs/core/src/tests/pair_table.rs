//! The pair table against its definition, on tables large enough for the radix passes
//! that make the keys twice and write the pairs in the last pass.

use super::*;
use crate::kernels::engine::{Pair, Val};
use crate::kernels::pair_table::build_pair_table;

/// Every pair of entries of distinct items, sorted; with a cap (and positive entries) only
/// those up to it, then one `i64::MAX` row when some were left out.
fn by_definition(vals: &[Val], cap: Option<i64>) -> Vec<Pair> {
    let mut all = Vec::new();
    for (p, x) in vals.iter().enumerate() {
        for (q, y) in vals.iter().enumerate().skip(p + 1) {
            if x.item != y.item {
                all.push(Pair {
                    v: x.v + y.v,
                    p: p as u32,
                    q: q as u32,
                });
            }
        }
    }
    all.sort_unstable();
    let cap = match (cap, vals.first()) {
        (Some(c), Some(x)) if x.v > 0 => c,
        _ => return all,
    };
    let kept = all.partition_point(|r| r.v <= cap);
    let cut = kept < all.len();
    all.truncate(kept);
    if cut {
        all.push(Pair {
            v: i64::MAX,
            p: 0,
            q: 0,
        });
    }
    all
}

/// Sorted entries of `amounts`, some items with a second (discounted) entry.
fn entries(amounts: &[(i64, bool)]) -> Vec<Val> {
    let mut vals = Vec::new();
    for (i, &(a, disc)) in amounts.iter().enumerate() {
        vals.push(Val {
            v: a,
            item: i as u32,
            disc: false,
        });
        if disc && a > 1 {
            vals.push(Val {
                v: a / 2,
                item: i as u32,
                disc: true,
            });
        }
    }
    vals.sort_unstable();
    vals
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// 100 to 160 entries (about 5,000 to 13,000 pairs), amounts narrow (one radix pass)
    /// to wide (several), with credits, discounts and caps.
    #[test]
    fn large_pair_tables_equal_their_definition(
        raw in prop::collection::vec((1i64..=1 << 40, any::<bool>()), 100..=160),
        bits in 1u32..=40,
        credits in any::<bool>(),
        cap in prop::option::of(0i64..=1 << 41),
    ) {
        let amounts: Vec<(i64, bool)> = raw
            .iter()
            .enumerate()
            .map(|(i, &(a, d))| {
                let a = (a >> (40 - bits)).max(1);
                if credits && i % 7 == 0 { (-a, false) } else { (a, d) }
            })
            .collect();
        let vals = entries(&amounts);
        let got = build_pair_table(&vals, cap);
        prop_assert_eq!(&got.pairs, &by_definition(&vals, cap));
    }
}
