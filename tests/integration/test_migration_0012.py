"""Migration 0012 (exception assignee) on SQLite and PostgreSQL: it adds the nullable column
engine/storage/tables.py declares, keeps the exceptions already there (unassigned), downgrades
to 0011 without it and upgrades again."""

from __future__ import annotations

from sqlalchemy import column, insert, inspect, select, table

from engine.storage import tables as t
from engine.storage.db import Database
from engine.storage.migrate import downgrade


def _has_assignee(db: Database) -> bool:
    with db.engine.connect() as conn:
        return "assignee" in {c["name"] for c in inspect(conn).get_columns("match_exceptions")}


def test_0012_adds_the_assignee_keeps_old_exceptions_and_downgrades(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        assert t.match_exceptions.c.assignee.nullable
        assert _has_assignee(db)
        downgrade(db.engine, "0011")
        assert not _has_assignee(db)
        before = table(
            "match_exceptions", *(column(c.name) for c in t.match_exceptions.columns if c.name != "assignee")
        )
        with db.engine.begin() as conn:
            conn.execute(
                insert(before).values(
                    tenant_id="acme", exception_id="X1", payment_id="P1", customer_id=None, state="OPEN",
                    reason="NO_CUSTOMER_IDENTIFIED", suggestions="[]", decision_id="D1", create_us=1,
                    resolve_us=0,
                )
            )  # fmt: skip
        db.migrate()
        with db.engine.connect() as conn:
            rows = conn.execute(
                select(t.match_exceptions.c.exception_id, t.match_exceptions.c.assignee)
            ).all()
        assert [tuple(r) for r in rows] == [("X1", None)]
    finally:
        db.dispose()
