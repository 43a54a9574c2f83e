"""The AutoApply claim reads the waiting payments of the owners its batch takes, not of every owner
at the head of the backlog (DecisionStore.backlog_batch and its _Owners reader), on SQLite and
PostgreSQL.

The customers at the head of a backlog are the large ones (a customer with many payments tends to
have an old one): reading every head owner's waiting payments at once read up to 8 times the
batch at 50,000 payments, rows the round never took, more of them the larger the book. Here a
hundred customers each wait with ten payments, one of each among the hundred oldest: the batch
takes ten of them whole, and the reads must stay near that, not near all hundred."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from engine import model as m
from engine.app import CashApp
from engine.customers import create_customers
from engine.money import Money
from engine.payments import PaymentDraft, import_payments
from engine.storage.decision_store import DecisionStore
from engine.storage.store import Store

TENANT = "t"
CUSTOMERS = 150  # more than the batch's owners, fewer than one query's maximum (OWNERS_PER_QUERY)
EACH = 10  # waiting payments per customer
LIMIT = 100  # the batch: ten customers' payments
CHUNK = 500  # payments per import (one import takes at most 1,000)


def _book(s: Store) -> None:
    create_customers(s, [m.Customer(f"C-{c:03d}", f"Customer {c}") for c in range(CUSTOMERS)])
    # Payment j of every customer is dated day j + 1: the oldest page holds one payment of each
    # of the first LIMIT customers (ids break the tie), so the walk meets a hundred owners.
    drafts = [
        PaymentDraft(
            f"P-{c:03d}-{j}", Money(1000 + j, "EUR"), f"2026-11-{j + 1:02d}", customer_id=f"C-{c:03d}"
        )
        for c in range(CUSTOMERS)
        for j in range(EACH)
    ]
    for start in range(0, len(drafts), CHUNK):
        import_payments(s, [(d.payment_id, lambda d=d: d) for d in drafts[start : start + CHUNK]])


def test_the_batch_reads_the_waiting_payments_of_the_owners_it_takes(
    app: CashApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.write(TENANT, _book)
    owners_read: list[str] = []
    payments_read = 0
    waiting_of = DecisionStore._waiting_of

    def counted(store: DecisionStore, owners: Sequence[str]) -> dict[str, list[str]]:
        nonlocal payments_read
        found = waiting_of(store, owners)
        owners_read.extend(owners)
        payments_read += sum(len(v) for v in found.values())
        return found

    monkeypatch.setattr(DecisionStore, "_waiting_of", counted)
    batch = app.read(TENANT, lambda s: s.backlog_batch(LIMIT))

    # The ten oldest customers, each with all its waiting payments, oldest customer first.
    taken = [f"C-{c:03d}" for c in range(LIMIT // EACH)]
    assert [owner for _pid, owner in batch] == [o for o in taken for _ in range(EACH)]
    assert sorted(pid for pid, _owner in batch) == sorted(
        f"P-{c:03d}-{j}" for c in range(10) for j in range(EACH)
    )
    # Read: about the owners taken (the first query guesses how many), never the hundred at the head.
    assert len(owners_read) == len(set(owners_read))
    assert set(taken) <= set(owners_read)
    assert len(owners_read) <= 2 * len(taken), owners_read
    assert payments_read <= 2 * LIMIT, payments_read
