"""Planner statistics after a bulk load: PostgreSQL analyzes the tables that changed a lot since
their last analysis before AutoApply plans and before the report; SQLite needs nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.money import Money
from engine.payments import PaymentDraft, import_payments
from engine.storage import statistics
from engine.storage.db import Database
from engine.storage.store import Store
from tests.databases import database, postgres_database

LOADED = 3000
# pg_stat counters reach the shared statistics within about a second of a commit.
STATS_WAIT_SECONDS = 15.0


def _bulk_load(db: Database) -> None:
    drafts = [PaymentDraft(f"P-{n:05d}", Money(100 + n, "EUR"), "2026-11-20") for n in range(LOADED)]
    items = [(d.payment_id, lambda d=d: d) for d in drafts]
    for start in range(0, LOADED, 1000):
        chunk = items[start : start + 1000]
        db.transact(lambda conn, chunk=chunk: import_payments(Store(conn, "t"), chunk))


def _without_autovacuum(db: Database, *tables: str) -> None:
    """Autovacuum off for `tables`: its own ANALYZE of the loaded tables (a minute or so after the
    load, on its schedule) would leave nothing stale for the check under test to find."""
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))


def _analyzed(db: Database, table: str) -> bool:
    with db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = :t"), {"t": table}
        ).one()
    return row.last_analyze is not None


def test_a_bulk_loaded_postgresql_book_is_analyzed_once_before_planning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = postgres_database()
    db = Database(next(urls))
    try:
        db.migrate()
        _without_autovacuum(db, "payments", "decision_marks")
        _bulk_load(db)
        assert not _analyzed(db, "payments")
        monkeypatch.setattr(statistics, "CHECK_INTERVAL_SECONDS", 0.0)
        deadline = time.monotonic() + STATS_WAIT_SECONDS
        refreshed: list[str] = []
        while "payments" not in refreshed and time.monotonic() < deadline:
            refreshed = db.statistics.refresh_if_stale()
            time.sleep(0.2)
        assert "payments" in refreshed and "decision_marks" in refreshed
        assert _analyzed(db, "payments")
        # Fresh now: nothing more to analyze until the tables change again. PostgreSQL reports an
        # ANALYZE to pg_stat_user_tables a moment later (sooner on an idle machine), so the
        # check may see the tables stale once or twice more before it sees them fresh.
        deadline = time.monotonic() + STATS_WAIT_SECONDS
        while db.statistics.refresh_if_stale() != [] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert db.statistics.refresh_if_stale() == []
    finally:
        db.dispose()
        next(urls, None)  # runs the generator's cleanup (drops the database)


def test_checks_are_throttled_and_sqlite_is_left_alone(tmp_path: Path) -> None:
    urls = database("sqlite", tmp_path)
    db = Database(next(urls))
    try:
        db.migrate()
        _bulk_load(db)
        assert db.statistics.refresh_if_stale() == []
        with db.engine.connect() as conn:
            stat_tables = "SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'"
            assert conn.exec_driver_sql(stat_tables).all() == []
    finally:
        db.dispose()
        next(urls, None)  # runs the generator's cleanup (drops the database)
