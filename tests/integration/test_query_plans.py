"""The plans of AutoApply's hot queries stay on their indexes, on SQLite and PostgreSQL.

Every SELECT, UPDATE and DELETE one AutoApply round issues (selection, claims, identification,
references, open invoices, partners, duplicates, versions, exceptions, marks; executemany ones name
one key each) is captured while it runs on a small booked world and explained. No query may read a
large table whole, nor the whole of one tenant's part of it, nor the rows of one value of a flag
(an exception's state, a payment's mark), nor (SQLite's plans name their bounds) a range of one
tenant's part bounded only by a date or a number: the cost of a round must not grow with
the book. On PostgreSQL, whose planner rightly prefers a sequential scan on tables this small,
the plans are explained with sequential scans disabled: the test proves that an index path
exists for every hot query; statistics (engine/storage/statistics.py) make the planner take it
on large tables.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.e2e.book import generate
from engine import model as m
from engine import reconciliation
from engine.app import CashApp
from engine.customers import create_customer
from engine.invoices import InvoiceDraft, create_invoices
from engine.money import Money
from engine.payments import PaymentDraft, import_payments
from engine.storage.db import Database
from engine.storage.store import Store

TENANT = "t"
# Tables whose size grows with the book.
LARGE = (
    "payments",
    "invoices",
    "decision_marks",
    "applications",
    "payer_accounts",
    "payment_reference_keys",
    "decisions",
    "match_exceptions",
    "journal_entries",
    "journal_lines",
)
# Read whole on purpose: payer-name matching compares a name with every customer's (loaded once
# per round, and only when a payment needs it: engine/matching/identify.NameIndex).
WHOLE_ON_PURPOSE = ("FROM customers WHERE customers.tenant_id = ? ORDER BY customers.customer_id",)


def _book(app: CashApp) -> None:
    book = generate(7, 400)

    def setup(s: Store) -> None:
        for c in book.customers:
            create_customer(s, m.Customer(c.customer_id, c.display_name, c.name_aliases, c.payer_accounts))
        drafts = [
            InvoiceDraft(
                i.invoice_id, i.customer_id, Money(i.amount_minor, i.currency), i.issue_date, i.due_date
            )
            for i in book.invoices
        ]
        create_invoices(s, drafts)
        payments = [
            PaymentDraft(
                p.payment_id,
                Money(p.amount_minor, p.currency),
                p.value_date,
                payer_account=p.payer_account,
                payer_name=p.payer_name,
                remittance_info=p.remittance_info,
                references=p.references,
            )
            for p in book.payments
        ]
        import_payments(s, [(d.payment_id, lambda d=d: d) for d in payments])

    app.write(TENANT, setup)


def _round_selects(app: CashApp) -> list[tuple[str, Any]]:
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")) and not many:
            captured.append((statement, parameters))

    event.listen(app.db.engine, "before_cursor_execute", capture)
    try:
        claimed = app.write(TENANT, lambda s: reconciliation.claim_batch(s, "plans"))
        planned = app.read(TENANT, lambda s: reconciliation.plan(s, reconciliation.Scope(), claimed))
        app.write(TENANT, lambda s: reconciliation.commit(s, planned, "plans"))
    finally:
        event.remove(app.db.engine, "before_cursor_execute", capture)
    unique: dict[str, tuple[str, Any]] = {}
    for statement, parameters in captured:
        unique.setdefault(_shape(statement), (statement, parameters))
    return list(unique.values())


def _shape(statement: str) -> str:
    """The statement with its whitespace and IN-list lengths normalized."""
    return re.sub(r"(, \?)+|(, %\(\w+\)s)+", "", re.sub(r"\s+", " ", statement)).strip()


def _whole_reads(conn: Any, statement: str, parameters: Any) -> list[str]:
    """The plan steps that read a large table whole, one tenant's part of it whole, or a range of
    one tenant's part (tenant_id and then only bounds, such as a date range: a range that is
    narrow on a small book spans ever more rows as the book grows, which is how a value-date
    index once made SQLite read a growing share of the payments for every payment decided)."""
    if conn.dialect.name == "sqlite":
        steps = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
        large = f"SEARCH ({'|'.join(LARGE)}) .*"
        scans = [s for s in steps if re.match(rf"SCAN ({'|'.join(LARGE)})\b", s)]
        tenant_only = [s for s in steps if re.match(rf"{large}\(tenant_id=\?\)$", s)]
        bounds_only = r"\(tenant_id=\? AND (\w+[<>]=?\?( AND )?)+\)$"
        tenant_range = [s for s in steps if re.match(large + bounds_only, s)]
        # A flag of few values (an exception's state, a payment's mark) bounds nothing: outside a
        # LIMITed walk of the oldest marks, such a read spans a share of the book. A LIMITed
        # statement that names its rows (an IN list) is no walk: it once read the whole backlog
        # to find a batch's 1,000 payments, 8,000 VM steps a payment at 1,000,000 waiting.
        walk = " LIMIT " in statement and " IN (" not in statement
        flag_only = rf"{large}\(tenant_id=\? AND (state|needs_decision)=\?\)$"
        flagged = [] if walk else [s for s in steps if re.match(flag_only, s)]
        return scans + tenant_only + tenant_range + flagged
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    steps = [row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters)]
    return [s.strip() for s in steps if re.search(rf"Seq Scan on ({'|'.join(LARGE)})\b", s)]


def _problems(app: CashApp) -> dict[str, list[str]]:
    """The hot queries of one round that read a large table whole or by a tenant-wide range."""
    _book(app)
    selects = _round_selects(app)
    assert len(selects) >= 15, "the round did not run the queries this test is about"
    problems = {}
    with app.db.engine.begin() as conn:
        for statement, parameters in selects:
            if any(allowed in _shape(statement) for allowed in WHOLE_ON_PURPOSE):
                continue
            whole = _whole_reads(conn, statement, parameters)
            if whole:
                problems[_shape(statement)[:300]] = whole
    return problems


def test_every_hot_query_of_an_auto_apply_round_stays_on_an_index(app: CashApp) -> None:
    assert not _problems(app)


def test_a_tenant_wide_date_range_is_flagged(tmp_path: Path) -> None:
    """The check itself: an index on (tenant_id, value_date), which once made SQLite read the
    payments of a date range for every payment decided, is reported as a range read."""
    db = Database(f"sqlite:///{tmp_path / 'plans.db'}")
    db.migrate()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE INDEX ix_payments_value_date ON payments (tenant_id, value_date)")
    try:
        problems = _problems(CashApp(db))
    finally:
        db.dispose()
    steps = [step for found in problems.values() for step in found]
    assert steps and all("ix_payments_value_date (tenant_id=? AND value_date>" in s for s in steps), problems
