"""Migration 0013 (customer name stamps) on SQLite and PostgreSQL: it gives each tenant that
already has customers its own token, none to a tenant without, downgrades to 0012 without the
table and upgrades again."""

from __future__ import annotations

from sqlalchemy import column, insert, inspect, select, table

from engine.storage import tables as t
from engine.storage.db import Database
from engine.storage.migrate import downgrade


def _has_stamps(db: Database) -> bool:
    with db.engine.connect() as conn:
        return inspect(conn).has_table("customer_name_stamps")


def test_0013_stamps_each_tenant_with_customers_and_downgrades(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        downgrade(db.engine, "0012")
        assert not _has_stamps(db)
        customers = table("customers", *(column(c.name) for c in t.customers.columns))
        with db.engine.begin() as conn:
            for tenant, customer_id in (("acme", "C1"), ("acme", "C2"), ("globex", "C1")):
                conn.execute(
                    insert(customers).values(
                        tenant_id=tenant, customer_id=customer_id, display_name=customer_id,
                        name_aliases="[]", net_days=30, discount_days=0, discount_basis_points=0,
                        create_us=1, update_us=1, input_version=0,
                    )
                )  # fmt: skip
        db.migrate()
        with db.engine.connect() as conn:
            stamps = t.customer_name_stamps.c
            rows = dict(conn.execute(select(stamps.tenant_id, stamps.stamp)).all())
        assert set(rows) == {"acme", "globex"}
        assert len(set(rows.values())) == 2 and all(len(s) == 32 for s in rows.values())
    finally:
        db.dispose()
