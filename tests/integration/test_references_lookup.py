"""Invoices looked up by reference: a round's remittance may name thousands of invoices, more than
one IN list should carry; every one of them is found, once, on SQLite and PostgreSQL."""

from __future__ import annotations

from engine import model as m
from engine.app import CashApp
from engine.customers import create_customer
from engine.invoices import InvoiceDraft, create_invoices
from engine.matching.references import reference_key
from engine.money import Money
from engine.storage.invoice_store import REFERENCE_CHUNK
from engine.storage.store import Store

TENANT = "t"
COUNT = REFERENCE_CHUNK * 2 + 7  # three chunks, the last one short


def _book(s: Store) -> None:
    create_customer(s, m.Customer("C-1", "One", (), ()))
    create_invoices(
        s,
        [InvoiceDraft(f"INV-{n:05d}", "C-1", Money(100 + n, "EUR"), "2026-01-01") for n in range(COUNT)],
    )


def test_references_over_several_chunks_find_every_invoice_once(app: CashApp) -> None:
    app.write(TENANT, _book)
    raw = [f"INV-{n:05d}" for n in range(0, COUNT, 2)] + ["NOT-AN-INVOICE"]
    keys = [reference_key(f"inv {n:05d}") for n in range(1, COUNT, 2)]
    found = app.read(TENANT, lambda s: s.invoices_by_reference(raw, keys))
    ids = [inv.invoice_id for inv in found]
    assert len(ids) == len(set(ids)) == COUNT
    assert set(ids) == {f"INV-{n:05d}" for n in range(COUNT)}


def test_an_invoice_named_by_id_and_by_key_in_different_chunks_is_found_once(app: CashApp) -> None:
    app.write(TENANT, _book)
    raw = ["INV-00000"] + [f"X-{n}" for n in range(REFERENCE_CHUNK)]
    keys = [f"NOKEY{n}" for n in range(REFERENCE_CHUNK)] + [reference_key("INV-00000")]
    found = app.read(TENANT, lambda s: s.invoices_by_reference(raw, keys))
    assert [inv.invoice_id for inv in found] == ["INV-00000"]
