//! Kernels that answer one question each, outside the candidate search; each has a
//! pure-Python twin in `engine/matching/kernels/` with identical results.
pub mod count;
