"""Planner statistics that keep up with bulk loads (PostgreSQL).

A book is typically loaded in bulk and applied at once: thousands of invoices and payments are
imported, then AutoApply runs. PostgreSQL's autovacuum analyzes a table only after its naptime
and thresholds, so the first AutoApply calls are planned with no statistics at all (the planner
then takes the tables for empty), and a 5,000-payment book measured 10x slower than with fresh
statistics; the reconciliation report's walk over a fresh journal, planned as a nested loop
over "empty" tables, took minutes instead of a second. Before AutoApply plans and before the
report, every table of the schema that changed a lot since its last analysis
(pg_stat_user_tables says so, cheaply) is analyzed. At most one check per CHECK_INTERVAL_SECONDS
per process.

SQLite needs none of this: matching's queries are written so that SQLite's planner picks the
selective index without statistics (see engine.storage.payment_store.unapplied).

A role that may not analyze a table (not its owner) gets a warning from PostgreSQL, not an
error; autovacuum still catches up then, later.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 10.0
# A table is stale when this share of its rows changed since its last analysis...
STALE_FRACTION = 0.2
# ...counted against at least this many rows (small tables are planned well enough anyway).
MIN_ROWS = 1000

_STALE = text(
    """
    SELECT relname FROM pg_stat_user_tables
    WHERE schemaname = current_schema()
      AND n_mod_since_analyze > :fraction * GREATEST(n_live_tup, :min_rows)
    ORDER BY relname
    """
)


class PlannerStatistics:
    """Analyzes the tables of one engine whose statistics bulk changes made stale."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._checked_at: float | None = None

    def refresh_if_stale(self) -> list[str]:
        """The tables analyzed now (none on SQLite, or when checked less than an interval ago)."""
        if self.engine.dialect.name != "postgresql":
            return []
        with self._lock:
            now = time.monotonic()
            if self._checked_at is not None and now - self._checked_at < CHECK_INTERVAL_SECONDS:
                return []
            self._checked_at = now
            try:
                return self._analyze_stale()
            except SQLAlchemyError as exc:
                # Only an optimization: the plan that follows reports an outage itself.
                log.warning("planner statistics not refreshed: %s", exc.__class__.__name__)
                return []

    def _analyze_stale(self) -> list[str]:
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            params = {"fraction": STALE_FRACTION, "min_rows": MIN_ROWS}
            stale = [r.relname for r in conn.execute(_STALE, params)]
            for table in stale:
                # A name the catalog gave, quoted as an identifier; never from a request.
                conn.execute(text(f"ANALYZE {conn.dialect.identifier_preparer.quote(table)}"))
        if stale:
            log.info("planner statistics refreshed for %s", ", ".join(stale))
        return stale
