"""One bad row never fails a whole AutoApply, through the real server on SQLite and PostgreSQL.

Dates given today lie within engine.validate's bounds, but a row stored before those bounds (an
invoice issued 9999-12-25, whose discount window and due date lie past the calendar's end) must
not make every AutoApply touching its customer fail: date arithmetic holds at the calendar's
ends, and every payment of the run is decided.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection

from cashapp_client import Client, money
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from engine import ledger
from engine import model as m
from engine.storage.db import Database
from engine.storage.store import Store, now_us
from server.app import Running
from server.auth import DEFAULT_TENANT


def _store_legacy_invoice(database_url: str, invoice: m.Invoice) -> None:
    """Stores an invoice the way the engine stores one, without today's date bounds."""

    def work(conn: Connection) -> None:
        store = Store(conn, DEFAULT_TENANT)
        store.insert_invoices([invoice])
        store.insert_journal([ledger.invoice_issued(invoice, invoice.create_us)])
        store.mark_needs_decision(customer_ids=[invoice.customer_id])

    db = Database(database_url)
    try:
        db.transact(work)
    finally:
        db.dispose()


@pytest.mark.rows_beyond_api_dates  # the aging cannot be asked as of 9999-12-31
def test_an_invoice_dated_at_the_end_of_the_calendar_fails_no_auto_apply(
    server: Running, database_url: str, client: Client
) -> None:
    client.create_customer("C1", display_name="ACME GmbH")
    client.create_customer("C2", display_name="Beta Ltd")
    terms = m.PaymentTerms(net_days=30, discount_days=10, discount_basis_points=200)
    legacy = m.Invoice(
        invoice_id="L-1",
        customer_id="C1",
        currency="EUR",
        amount_minor=10_000,
        open_minor=10_000,
        issue_date=dt.date(9999, 12, 25),
        due_date=dt.date(9999, 12, 31),
        payment_terms=terms,
        create_us=now_us(),
    )
    _store_legacy_invoice(database_url, legacy)
    client.create_invoice("INV-2", customer_id="C2", amount=money("75.00", "EUR"), issue_date="2026-11-01")
    for pid, cid, amount in (("P-1", "C1", "98.00"), ("P-2", "C2", "75.00"), ("P-3", "C1", "100.00")):
        client.create_payment(pid, amount=money(amount, "EUR"), value_date="2026-11-20", customer_id=cid)

    result = client.auto_apply(customer_id="C1")
    # Decided on their merits (both would settle L-1): no decision failed on the far dates.
    assert sorted(d.payment_id for d in result.decisions) == ["P-1", "P-3"]
    assert all(d.reason != "DECISION_FAILED" for d in result.decisions)
    result = client.auto_apply(all_payments=True)
    by_payment = {d.payment_id: d for d in result.decisions}
    assert by_payment["P-2"].outcome == pb.DECISION_OUTCOME_AUTO_APPLIED
    assert client.get_invoice("INV-2").open_amount.amount_minor == 0
    assert client.get_invoice("L-1").due_date == "9999-12-31"
