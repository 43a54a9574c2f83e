"""Migration 0003 chains a journal written before it: every tenant's entries get gapless
sequence numbers in the order they were written (create_us, then entry_id), their hashes and a
head, across backfill chunks; then the money tables are append-only and the app appends to the
chain. On SQLite and PostgreSQL; the downgrade removes it all again."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, column, insert, select, table, text
from sqlalchemy.exc import DBAPIError

from engine import journal_chain
from engine.invariants import reconciliation_report
from engine.ledger import Line, entry
from engine.model import Account
from engine.storage import tables as t
from engine.storage.append_only import REFUSED
from engine.storage.db import Database
from engine.storage.migrate import downgrade, upgrade
from engine.storage.store import Store

# More than two backfill chunks (0003's BACKFILL_CHUNK is 1000) for one tenant.
ENTRIES_OF_A = 2100
ENTRIES_OF_B = 3


def _rows(tenant: str, i: int) -> tuple[dict[str, object], list[dict[str, object]]]:
    """Entry i of a tenant and its two lines. Pairs share a timestamp (as the entries of one
    request do), so entry_id breaks the tie."""
    eid = f"{tenant}-{i:05d}"
    row = {"tenant_id": tenant, "entry_id": eid, "kind": "INVOICE_ISSUED", "reverses_entry_id": None,
           "memo": f"memo {i} \u00e9", "create_us": 1_000 + i // 2}  # fmt: skip
    lines = [
        {"tenant_id": tenant, "entry_id": eid, "line_no": no, "account": account, "currency": "EUR",
         "amount_minor": amount, "customer_id": "C1", "invoice_id": None, "payment_id": None}
        for no, (account, amount) in enumerate((("DISCOUNTS", 100 + i), ("REVENUE", -100 - i)))
    ]  # fmt: skip
    return row, lines


def _write_0002_journal(engine: Engine) -> None:
    names = ("tenant_id", "entry_id", "kind", "reverses_entry_id", "memo", "create_us")
    entries_0002 = table("journal_entries", *[column(c) for c in names])
    lines_0002 = table("journal_lines", *[column(c.name) for c in t.journal_lines.c])
    entries, lines = [], []
    for tenant, n in (("A", ENTRIES_OF_A), ("B", ENTRIES_OF_B)):
        for i in range(n):
            row, its_lines = _rows(tenant, i)
            entries.append(row)
            lines += its_lines
    with engine.begin() as conn:
        conn.execute(insert(entries_0002), entries)
        conn.execute(insert(lines_0002), lines)


def _chain_check(db: Database, tenant: str) -> tuple[tuple[str, ...], int, str]:
    with db.reading() as conn:
        report = reconciliation_report(Store(conn, tenant))
    chain = next(c for c in report.invariants if c.name == "JOURNAL_CHAIN_INTACT")
    return chain.violations, report.journal_entry_count, report.journal_chain_head


def test_a_0002_journal_is_chained_in_writing_order_and_then_append_only(database_url: str) -> None:
    db = Database(database_url)
    try:
        upgrade(db.engine, "0002")
        _write_0002_journal(db.engine)
        db.migrate()

        je = t.journal_entries.c
        with db.engine.connect() as conn:
            order = [
                r.entry_id
                for r in conn.execute(select(je.entry_id).where(je.tenant_id == "A").order_by(je.seq))
            ]
            heads = {r.tenant_id: r.seq for r in conn.execute(select(t.journal_heads))}
        assert order == [f"A-{i:05d}" for i in range(ENTRIES_OF_A)]
        assert heads == {"A": ENTRIES_OF_A, "B": ENTRIES_OF_B}
        for tenant, n in (("A", ENTRIES_OF_A), ("B", ENTRIES_OF_B)):
            violations, count, head = _chain_check(db, tenant)
            assert (violations, count) == ((), n)
            assert head != journal_chain.GENESIS_HASH

        # The app appends after the backfilled chain ...
        new = entry(
            "INVOICE_ISSUED",
            "after 0003",
            [Line(Account.DISCOUNTS, "EUR", 5), Line(Account.REVENUE, "EUR", -5)],
            9,
        )
        db.transact(lambda conn: Store(conn, "B").insert_journal([new]))
        assert _chain_check(db, "B")[:2] == ((), ENTRIES_OF_B + 1)
        # ... and nobody rewrites it through the app's connection.
        with pytest.raises(DBAPIError, match=REFUSED), db.engine.begin() as conn:
            conn.execute(text("UPDATE journal_lines SET amount_minor = 0 WHERE tenant_id = 'A'"))
        assert _chain_check(db, "A")[:2] == ((), ENTRIES_OF_A)
    finally:
        db.dispose()


def test_0003_downgrades_to_a_0002_schema_without_guards(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        downgrade(db.engine, "0002")
        _write_0002_journal(db.engine)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE journal_lines SET amount_minor = 0 WHERE tenant_id = 'B'"))
            conn.execute(text("DELETE FROM journal_lines WHERE tenant_id = 'B'"))
    finally:
        db.dispose()
