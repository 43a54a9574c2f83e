"""Migration 0014 on SQLite and PostgreSQL: it drops ix_decisions_payment, whose columns lead
ix_decisions_payment_newest, so a payment's decisions are still found by index; it downgrades to
0013 with the index back and upgrades again."""

from __future__ import annotations

from sqlalchemy import inspect

from engine.storage.db import Database
from engine.storage.migrate import downgrade


def _indexes(db: Database) -> dict[str, list[str | None]]:
    with db.engine.connect() as conn:
        return {ix["name"] or "": ix["column_names"] for ix in inspect(conn).get_indexes("decisions")}


def test_0014_drops_the_index_the_longer_one_covers_and_downgrades(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        after = _indexes(db)
        assert "ix_decisions_payment" not in after
        assert after["ix_decisions_payment_newest"][:2] == ["tenant_id", "payment_id"]
        downgrade(db.engine, "0013")
        assert _indexes(db)["ix_decisions_payment"] == ["tenant_id", "payment_id"]
        db.migrate()
        assert "ix_decisions_payment" not in _indexes(db)
    finally:
        db.dispose()
