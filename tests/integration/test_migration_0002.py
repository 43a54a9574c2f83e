"""Migration 0002 backfills what the engine now computes at import: a book written by 0001 gets
its payments marked for one decision, the given customer kept apart, the payer account key and
the remittance reference keys; on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import column, insert, select, table

from engine.storage import tables as t
from engine.storage.db import Database
from engine.storage.migrate import alembic_config
from engine.storage.store import Store

PAYMENT_0001 = {
    "tenant_id": "t",
    "currency": "EUR",
    "amount_minor": 1000,
    "returned_minor": 0,
    "value_date": "2026-11-20",
    "customer_id": None,
    "payer_name": "",
    "on_account": False,
    "create_us": 1,
}


def test_a_0001_book_is_backfilled_for_deciding_once(database_url: str) -> None:
    db = Database(database_url)
    try:
        config = alembic_config(db.engine)
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
            payments_0001 = table(
                "payments",
                *[
                    column(c.name)
                    for c in t.payments.c
                    if c.name not in {"given_customer_id", "payer_account_key"}
                ],
            )
            iban = "de89 3704 0044 0532 0130 00"
            memo, refs = "invoice INV-7", json.dumps(["RF18539007547034"])
            rows = [
                {**PAYMENT_0001, "payment_id": "P-OPEN", "unapplied_minor": 1000, "payer_account": iban,
                 "remittance_info": memo, "references": refs},
                {**PAYMENT_0001, "payment_id": "P-DONE", "unapplied_minor": 0, "payer_account": "",
                 "remittance_info": "", "references": "[]", "customer_id": "C1"},
            ]  # fmt: skip
            conn.execute(insert(payments_0001), rows)
        db.migrate()
        with db.engine.connect() as conn:
            payments = {r.payment_id: r for r in conn.execute(select(t.payments))}
            assert payments["P-OPEN"].payer_account_key == "DE89370400440532013000"
            assert payments["P-DONE"].given_customer_id == "C1"
            marks = {r.payment_id: r.needs_decision for r in conn.execute(select(t.decision_marks))}
            assert marks == {"P-OPEN": True, "P-DONE": False}
            keys = {r.key for r in conn.execute(select(t.payment_reference_keys)) if r.payment_id == "P-OPEN"}
            assert {"1NV7", "539007547034"} <= keys
            assert Store(conn, "t").payments_needing_decision(limit=10) == ["P-OPEN"]
    finally:
        db.dispose()
