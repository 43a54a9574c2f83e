"""Migration 0009 (dunning) on SQLite and PostgreSQL: it creates exactly the tables
engine/storage/tables.py declares, each keyed tenant_id first, with the outbox unique per notice
and channel; it downgrades to 0008 and upgrades again."""

from __future__ import annotations

from sqlalchemy import inspect

from engine.storage import tables as t
from engine.storage.db import Database
from engine.storage.migrate import downgrade

DUNNING_TABLES = [
    t.dunning_policies,
    t.dunning_contacts,
    t.dunning_holds,
    t.dunning_levels,
    t.dunning_notices,
    t.dunning_deliveries,
]


def test_0009_creates_the_dunning_tables_as_declared_and_downgrades(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        with db.engine.connect() as conn:
            schema = inspect(conn)
            for table in DUNNING_TABLES:
                columns = {c["name"] for c in schema.get_columns(table.name)}
                assert columns == {c.name for c in table.columns}, table.name
                key = schema.get_pk_constraint(table.name)["constrained_columns"]
                assert key == [c.name for c in table.primary_key.columns], table.name
                assert key[0] == "tenant_id", table.name
                indexes = {i["name"]: i["column_names"] for i in schema.get_indexes(table.name)}
                for index in table.indexes:
                    assert indexes[index.name] == [c.name for c in index.columns], index.name
                    assert indexes[index.name][0] == "tenant_id", index.name
        assert [c.name for c in t.dunning_deliveries.primary_key.columns] == [
            "tenant_id",
            "notice_id",
            "channel",
        ]
        downgrade(db.engine, "0008")
        with db.engine.connect() as conn:
            assert not set(inspect(conn).get_table_names()) & {table.name for table in DUNNING_TABLES}
        db.migrate()
        with db.engine.connect() as conn:
            assert {table.name for table in DUNNING_TABLES} <= set(inspect(conn).get_table_names())
    finally:
        db.dispose()
