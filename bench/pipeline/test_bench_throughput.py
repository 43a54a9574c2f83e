"""Throughput through the real gRPC server: ImportPayments, and AutoApply deciding a batch of
payments (identify, references, exact subset search, decide, set-based persist), on SQLite and
PostgreSQL. Each round gets a fresh database and a freshly loaded book; only the measured call is
timed. Answers are checked (every payment decided, the books reconcile), never timings."""

from __future__ import annotations

import random
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.pipeline.conftest import postgres_admin_url
from cashapp_client import Client, Payment, money
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from server.app import run_in_thread
from server.config import Settings

SEED = 20261122
CUSTOMERS = 200
INVOICES_PER_CUSTOMER = 20
PAYMENTS = 1000  # one AutoApply call (its per-call limit)
IMPORT_PAYMENTS = 10_000
ROUNDS = 3


@contextmanager
def _database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    admin_url = postgres_admin_url()
    name = f"cashapp_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _book(client: Client, rng: random.Random) -> list[pb.Payment]:
    """Customers with open invoices; payments each settling 1-3 invoices of one customer, by
    payer account (no references), so every payment goes through the subset search."""
    amounts: dict[int, list[int]] = {}
    invoices = []
    for c in range(CUSTOMERS):
        client.create_customer(f"C{c}", display_name=f"Customer {c} GmbH", payer_accounts=[f"ACCT{c:06d}"])
        for j in range(INVOICES_PER_CUSTOMER):
            cents = int(10 ** rng.uniform(3, 6))
            amounts.setdefault(c, []).append(cents)
            invoices.append(
                pb.Invoice(
                    invoice_id=f"I{c}-{j}",
                    customer_id=f"C{c}",
                    amount=money(cents, "EUR"),
                    issue_date="2026-10-01",
                )
            )
    for start in range(0, len(invoices), 1000):
        client.batch_create_invoices(invoices[start : start + 1000])
    # Each invoice is paid at most once, as in real books: payments draw from what is unpaid.
    unpaid = {c: rng.sample(cents, len(cents)) for c, cents in amounts.items()}
    payments = []
    for p in range(PAYMENTS):
        c = rng.choice([c for c, left in unpaid.items() if left])
        take = min(rng.randint(1, 3), len(unpaid[c]))
        cents = sum(unpaid[c].pop() for _ in range(take))
        payments.append(
            Payment(
                payment_id=f"P{p}",
                amount=money(cents, "EUR"),
                value_date="2026-11-20",
                payer_account=f"ACCT{c:06d}",
            )
        )
    return payments


class Round:
    """One fresh server and book per benchmark round; closed after the run."""

    def __init__(self) -> None:
        self.stack = ExitStack()

    def start(self, backend: str) -> Client:
        url = self.stack.enter_context(_database(backend))
        running = self.stack.enter_context(run_in_thread(Settings(database_url=url, listen="127.0.0.1:0")))
        return self.stack.enter_context(Client(f"127.0.0.1:{running.port}", timeout_seconds=600))


@pytest.fixture
def rounds() -> Iterator[list[Round]]:
    made: list[Round] = []
    yield made
    for r in made:
        r.stack.close()


def test_auto_apply_throughput(benchmark: Any, backend: str, rounds: list[Round]) -> None:
    results = []

    def setup() -> tuple[tuple[Client], dict[str, Any]]:
        r = Round()
        rounds.append(r)
        client = r.start(backend)
        client.import_payments(_book(client, random.Random(SEED)))
        return (client,), {}

    def auto_apply(client: Client) -> None:
        results.append((client, client.auto_apply(all_payments=True)))

    benchmark.extra_info.update({"payments": PAYMENTS, "open_invoices": CUSTOMERS * INVOICES_PER_CUSTOMER})
    benchmark.pedantic(auto_apply, setup=setup, rounds=ROUNDS, iterations=1)
    for client, response in results:
        assert len(response.decisions) == PAYMENTS
        assert response.auto_applied_count > PAYMENTS // 2
        assert client.get_reconciliation_report().all_passed
    benchmark.extra_info["auto_applied"] = results[0][1].auto_applied_count
    benchmark.extra_info["suggested"] = results[0][1].suggested_count


def test_import_payments_throughput(benchmark: Any, backend: str, rounds: list[Round]) -> None:
    counts = []
    payments = [
        Payment(
            payment_id=f"P{p}", amount=money(1000 + p, "EUR"), value_date="2026-11-20", payer_name="Somebody"
        )
        for p in range(IMPORT_PAYMENTS)
    ]

    def setup() -> tuple[tuple[Client], dict[str, Any]]:
        r = Round()
        rounds.append(r)
        return (r.start(backend),), {}

    def import_all(client: Client) -> None:
        counts.append(client.import_payments(payments).created_count)

    benchmark.extra_info["payments"] = IMPORT_PAYMENTS
    benchmark.pedantic(import_all, setup=setup, rounds=ROUNDS, iterations=1)
    assert counts == [IMPORT_PAYMENTS] * ROUNDS
