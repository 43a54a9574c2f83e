//! The solver's rooms. `engine` holds what every search kernel shares (the node budget,
//! the sorted value entries, the target-independent tables and the dispatch), `collect`
//! the candidates of one search, `rank` their order and the outcome rule; each other file
//! is one kernel. Every file has a pure-Python twin of the same name in
//! `engine/matching/kernels/`, with identical results (node counts included).
pub(crate) mod branch_and_bound;
pub(crate) mod collect;
pub mod count;
pub(crate) mod engine;
pub(crate) mod horowitz_sahni;
pub(crate) mod ksum_mitm;
pub(crate) mod pair_table;
pub(crate) mod rank;
pub(crate) mod shared_triples;
pub(crate) mod sorted_bounds;
pub(crate) mod subset_dp;
pub(crate) mod two_pointer;
