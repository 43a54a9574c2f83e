"""Migration 0008 turns every deduction booked before it into an OPEN case (a reversed one into
none), so DEDUCTIONS equals the open deduction cases from the first report on; the case history
is append-only; the downgrade removes it all. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from engine import customers, invoices, ledger, payments
from engine import model as m
from engine.invariants import reconciliation_report
from engine.money import Money
from engine.storage.db import Database
from engine.storage.migrate import downgrade
from engine.storage.store import Store

BEFORE = "0008-1"  # the revision 0008 follows


def _apply_as_before_0008(store: Store, payment_id: str, invoice_id: str, reverse: bool) -> None:
    """An application with a 20.00 deduction, posted the way the app did before cases existed."""
    app = m.Application(
        ledger.new_id(), payment_id, invoice_id, "EUR", 8000, 0, 0, m.ApplicationSource.AUTO, 2000
    )
    apps = [(app, +1)]
    if reverse:
        apps.append(
            (
                dataclasses.replace(
                    app, application_id=ledger.new_id(), reverses_application_id=app.application_id
                ),
                -1,
            )
        )
    for a, sign in apps:
        e = ledger.entry("APPLICATION", "before 0008", ledger.application_lines(a, "C1", sign), 1)
        store.change_payments_unapplied({payment_id: -sign * a.amount_minor})
        store.change_invoices_open({invoice_id: -sign * a.settles_minor})
        store.insert_applications([(a, e.entry_id)])
        store.insert_journal([e])


def _book_before_0008(store: Store) -> None:
    customers.create_customer(store, m.Customer("C1", "ACME GmbH"))
    for iid in ("INV-1", "INV-2"):
        invoices.create_invoices(
            store, [invoices.InvoiceDraft(iid, "C1", Money(10_000, "EUR"), "2026-11-01")]
        )
    for pid in ("P1", "P2"):
        payments.create_payment(store, payments.PaymentDraft(pid, Money(8000, "EUR"), "2026-11-20", "C1"))
    _apply_as_before_0008(store, "P1", "INV-1", reverse=False)
    _apply_as_before_0008(store, "P2", "INV-2", reverse=True)


def test_0008_opens_a_case_for_every_live_deduction_booked_before_it(database_url: str) -> None:
    db = Database(database_url)
    try:
        # Booked by today's code at the newest revision, then taken down to the one 0008 follows
        # (which keeps the applications and drops what came later): the schema a book of that
        # time had, without writing through a schema today's code no longer knows.
        db.migrate()
        db.transact(lambda conn: _book_before_0008(Store(conn, "T")))
        downgrade(db.engine, BEFORE)
        db.migrate()
        with db.reading() as conn:
            store = Store(conn, "T")
            report = reconciliation_report(store)
            cases = store.list_cases([], 100, "", ())[0]
        assert report.all_passed, [(c.name, c.violations) for c in report.invariants if not c.passed]
        (case,) = cases
        assert (case.invoice_id, case.payment_id, case.open_minor, case.state.value) == (
            "INV-1",
            "P1",
            2000,
            "OPEN",
        )
        assert [e.action for e in case.events] == ["OPENED"]
        with pytest.raises(DBAPIError, match="APPEND_ONLY"), db.engine.begin() as conn:
            conn.execute(text("UPDATE case_events SET note = 'rewritten'"))
        downgrade(db.engine, BEFORE)
        with db.engine.connect() as conn:
            assert "cases" not in conn.dialect.get_table_names(conn)
    finally:
        db.dispose()
