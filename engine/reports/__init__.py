"""Collections reports computed from the ledger as of a date: one module per report."""
