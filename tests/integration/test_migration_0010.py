"""Migration 0010 (actor) on SQLite and PostgreSQL: it adds exactly the nullable columns
engine/storage/tables.py declares, keeps the rows already there (with no actor), downgrades to
0009 without them and upgrades again."""

from __future__ import annotations

from sqlalchemy import column, insert, inspect, select, table

from engine.storage import tables as t
from engine.storage.db import Database
from engine.storage.migrate import downgrade

ADDED = {("applications", "actor"), ("returns", "actor"), ("decisions", "actor")}


def _columns(db: Database) -> set[tuple[str, str]]:
    with db.engine.connect() as conn:
        schema = inspect(conn)
        names = {name for name, _ in ADDED}
        return {(name, c["name"]) for name in names for c in schema.get_columns(name)}


def test_0010_adds_the_actor_columns_keeps_old_rows_and_downgrades(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        for table_name, column_name in ADDED:
            assert t.metadata.tables[table_name].c[column_name].nullable, (table_name, column_name)
        assert _columns(db) >= ADDED
        downgrade(db.engine, "0009")
        assert not ADDED & _columns(db)
        # A decision written before 0010, through the columns 0009 has.
        before = table("decisions", *(column(c.name) for c in t.decisions.columns if c.name != "actor"))
        with db.engine.begin() as conn:
            conn.execute(
                insert(before).values(
                    tenant_id="acme", decision_id="D1", payment_id="P1", customer_id=None,
                    outcome="UNMATCHED", reason="NO_CUSTOMER_IDENTIFIED", explanation="{}", create_us=1,
                )
            )  # fmt: skip
        db.migrate()
        assert _columns(db) >= ADDED
        with db.engine.connect() as conn:
            assert conn.execute(select(t.decisions.c.decision_id, t.decisions.c.actor)).all() == [
                ("D1", None)
            ]
    finally:
        db.dispose()
