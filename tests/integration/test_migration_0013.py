"""Migration 0013 (payments by value date) on SQLite and PostgreSQL: it adds the index
engine/storage/tables.py declares, downgrades to 0012 without it and upgrades again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from engine.storage import tables as t
from engine.storage.db import Database
from engine.storage.migrate import alembic_config

INDEX = "ix_payments_value_date"


def _index_columns(db: Database) -> list[str] | None:
    with db.engine.connect() as conn:
        found = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("payments")}
    return found.get(INDEX)  # type: ignore[return-value]


def test_0013_adds_the_value_date_index_and_downgrades(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        declared = next(i for i in t.payments.indexes if i.name == INDEX)
        assert (
            _index_columns(db)
            == [c.name for c in declared.columns]
            == ["tenant_id", "value_date", "payment_id"]
        )
        config = alembic_config(db.engine)
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0012")
        assert _index_columns(db) is None
        db.migrate()
        assert _index_columns(db) == ["tenant_id", "value_date", "payment_id"]
    finally:
        db.dispose()
