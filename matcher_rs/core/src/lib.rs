//! Subset-matching core for cashapp. Knows nothing of Python.

/// Version of the solver core, reported by the Python binding.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
