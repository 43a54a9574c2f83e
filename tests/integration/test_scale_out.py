"""Replicas on one database divide one backlog (engine/storage/claim_store.py), on SQLite and
PostgreSQL: an AutoApply call over every payment claims its batch's owners (customers, or single
unidentified payments), skips owners another call holds, and releases them with its commit; two
servers working the same backlog at once decide every payment exactly once."""

from __future__ import annotations

import threading
from collections import Counter

from cashapp_client import Client, Payment, money
from engine import reconciliation
from engine.app import CashApp
from engine.customers import create_customer
from engine.model import Customer
from engine.money import Money
from engine.payments import PaymentDraft, create_payment
from engine.storage.claim_store import CLAIM_LEASE_US
from engine.storage.store import Store, now_us
from server.app import run_in_thread
from server.config import Settings

TENANT = "t"


def _book(app: CashApp) -> None:
    """Customers C1..C3 with two waiting payments each (oldest customer first), and two payments
    nobody is identified for."""

    def setup(s: Store) -> None:
        for n in (1, 2, 3):
            create_customer(s, Customer(f"C{n}", f"Customer {n}", payer_accounts=(f"ACCT-{n}",)))
            for k in (1, 2):
                draft = PaymentDraft(
                    f"P{n}-{k}", Money(100, "EUR"), f"2026-11-0{n}", payer_account=f"ACCT-{n}"
                )
                create_payment(s, draft)
        for k in (1, 2):
            create_payment(s, PaymentDraft(f"U-{k}", Money(100, "EUR"), "2026-11-09"))

    app.write(TENANT, setup)


def _claim(app: CashApp, holder: str, limit: int, now: int | None = None) -> list[str]:
    return app.write(TENANT, lambda s: s.claim_backlog(holder, limit, now or now_us()))


def test_a_second_call_skips_the_owners_the_first_holds(app: CashApp) -> None:
    _book(app)
    first = _claim(app, "A", 3)
    # Customers whole: C1's two payments fit, C2's would not.
    assert first == ["P1-1", "P1-2"]
    second = _claim(app, "B", 1000)
    assert second == ["P2-1", "P2-2", "P3-1", "P3-2", "U-1", "U-2"]
    # Everything is held: a third call gets nothing until a claim is released.
    assert _claim(app, "C", 1000) == []
    app.write(TENANT, lambda s: s.release_claims("A"))
    assert _claim(app, "C", 1000) == ["P1-1", "P1-2"]


def test_a_lapsed_claim_is_taken_over(app: CashApp) -> None:
    _book(app)
    assert _claim(app, "A", 2) == ["P1-1", "P1-2"]
    # The holder died: after its lease another call takes its owners.
    later = now_us() + CLAIM_LEASE_US + 1
    assert _claim(app, "B", 2, later) == ["P1-1", "P1-2"]
    assert app.read(TENANT, lambda s: s.owners_claimed_by_others("A", later)) == frozenset({"C1"})


def test_a_commit_releases_its_claims_and_clears_the_marks(app: CashApp) -> None:
    _book(app)
    claimed = _claim(app, "A", 1000)
    planned = app.read(TENANT, lambda s: reconciliation.plan(s, reconciliation.Scope(), claimed))
    app.write(TENANT, lambda s: reconciliation.commit(s, planned, "A"))
    assert app.read(TENANT, lambda s: s.owners_claimed_by_others("B", now_us())) == frozenset()
    assert _claim(app, "B", 1000) == []  # nothing left to decide


def test_two_servers_on_one_database_decide_each_payment_once(database_url: str) -> None:
    payments = 3000
    with (
        run_in_thread(Settings(database_url=database_url, listen="127.0.0.1:0")) as one,
        run_in_thread(Settings(database_url=database_url, listen="127.0.0.1:0")) as two,
        Client(f"127.0.0.1:{one.port}", timeout_seconds=120) as first,
        Client(f"127.0.0.1:{two.port}", timeout_seconds=120) as second,
    ):
        for n in range(30):
            first.create_customer(f"C{n:02d}", display_name=f"Customer {n}", payer_accounts=[f"ACCT-{n:02d}"])
        first.import_payments(
            Payment(
                payment_id=f"P{i:05d}",
                amount=money("3.00", "EUR"),
                value_date=f"2026-11-{1 + i % 28:02d}",
                payer_account=f"ACCT-{i % 40:02d}",  # 10 of 40 accounts are nobody's
            )
            for i in range(payments)
        )
        rounds: dict[str, list[int]] = {}

        def work(name: str, client: Client) -> None:
            rounds[name] = [p.round_payment_count for p in client.auto_apply_backlog()]

        threads = [threading.Thread(target=work, args=a) for a in (("one", first), ("two", second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        assert set(rounds) == {"one", "two"}, "a replica's backlog call failed"
        decided = Counter(d.payment_id for d in first.list_decisions(page_size=1000))
        assert len(decided) == payments and set(decided.values()) == {1}
        assert sum(sum(r) for r in rounds.values()) == payments
        report = second.get_reconciliation_report()
        assert report.all_passed, [i.name for i in report.invariants if not i.passed]
