"""Migration 0011 (decision trace id) on SQLite and PostgreSQL: it adds the nullable column
engine/storage/tables.py declares, keeps the decisions already there (with no trace), downgrades
to 0010 without it and upgrades again."""

from __future__ import annotations

from sqlalchemy import column, insert, inspect, select, table

from engine.storage import tables as t
from engine.storage.db import Database
from engine.storage.migrate import downgrade


def _has_trace_id(db: Database) -> bool:
    with db.engine.connect() as conn:
        return "trace_id" in {c["name"] for c in inspect(conn).get_columns("decisions")}


def test_0011_adds_the_trace_id_keeps_old_decisions_and_downgrades(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        assert t.decisions.c.trace_id.nullable
        assert _has_trace_id(db)
        downgrade(db.engine, "0010")
        assert not _has_trace_id(db)
        before = table("decisions", *(column(c.name) for c in t.decisions.columns if c.name != "trace_id"))
        with db.engine.begin() as conn:
            conn.execute(
                insert(before).values(
                    tenant_id="acme", decision_id="D1", payment_id="P1", customer_id=None,
                    outcome="UNMATCHED", reason="NO_CUSTOMER_IDENTIFIED", explanation="{}", create_us=1,
                    actor=None,
                )
            )  # fmt: skip
        db.migrate()
        with db.engine.connect() as conn:
            rows = conn.execute(select(t.decisions.c.decision_id, t.decisions.c.trace_id)).all()
        assert [tuple(r) for r in rows] == [("D1", None)]
    finally:
        db.dispose()
