//! camt.053 / camt.054 reader of cashapp: the Rust twin of engine/ingest/camt_reader.py.
//!
//! It yields exactly the records the lxml reader yields (the differential tests in
//! tests/unit/ingest compare both on every sample and fixture and on generated statements),
//! and the same errors for everything it judges; XML that is not well-formed, another
//! encoding, a DOCTYPE or digits of other scripts it declines (`Error::Decline`), and the
//! Python side then reads the file with lxml, whose answer is the reference.
//!
//! Pure Rust: the PyO3 binding (matcher_rs/binding/src/camt.rs) converts the records.
mod amounts;
mod entries;
mod fields;
mod identity;
mod names;
mod reader;
mod records;
mod remittance;
mod statement;
mod text;
mod tree;

pub use amounts::Money;
pub use reader::parse;
pub use records::{
    Adjustment, ControlTotal, Date, Entry, Error, Kind, Parsed, RemittanceLine, Skipped,
};
