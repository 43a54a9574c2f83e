"""Who did what, on SQLite and PostgreSQL: every application, reversal, return and decision a
call makes carries the calling token as its actor (stored, read back, and never rewritten by a
later call of someone else); an open local server and a CASHAPP_TOKENS token name no person."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select

from cashapp_client import Allocation, Client, Payment, PaymentTerms, money
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from engine.storage import tables as t
from engine.storage.db import Database
from engine.storage.token_store import TokenStore
from server.app import Running, run_in_thread
from server.config import Settings
from tests.integration.statement_files import csv_file, row


@pytest.fixture
def server(database_url: str) -> Iterator[Running]:
    with run_in_thread(Settings(database_url=database_url, listen="127.0.0.1:0")) as running:
        yield running


def issue(database_url: str, tenant: str, description: str) -> tuple[str, str]:
    """(secret, the actor its calls are recorded as)."""
    db = Database(database_url)
    try:
        issued = TokenStore(db).create(tenant, description)
    finally:
        db.dispose()
    return issued.secret, f"{description} (token {issued.token.token_id})"


def book(c: Client) -> None:
    c.create_customer(
        "C1",
        display_name="ACME GmbH",
        payer_accounts=["DE89370400440532013000"],
        payment_terms=PaymentTerms(net_days=30),
    )
    for iid, amount in (("INV-1", "100.00"), ("INV-2", "250.50"), ("INV-3", "73.00"), ("INV-4", "73.00")):
        c.create_invoice(iid, customer_id="C1", amount=money(amount, "EUR"), issue_date="2026-11-01")


def assert_invariants(c: Client) -> None:
    report = c.get_reconciliation_report()
    assert report.all_passed, [check.name for check in report.invariants if not check.passed]


def test_each_clerks_changes_carry_their_own_token(server: Running, database_url: str) -> None:
    anna, anna_actor = issue(database_url, "acme", "anna")
    ben, ben_actor = issue(database_url, "acme", "ben")
    target = f"127.0.0.1:{server.port}"
    with (
        Client(target, token=anna, timeout_seconds=30) as a,
        Client(target, token=ben, timeout_seconds=30) as b,
    ):
        book(a)
        a.create_payment("P1", amount=money("100.00", "EUR"), value_date="2026-11-20", customer_id="C1")
        applied = a.apply_payment(
            "P1", allocations=[Allocation(invoice_id="INV-1", amount=money("100.00", "EUR"))]
        )
        assert [x.actor for x in applied.applications] == [anna_actor]

        # Ben takes it back: the reversal is his, the original stays Anna's.
        b.unapply_payment("P1")
        rows = {x.application_id: x for x in b.get_payment("P1").applications}
        (original,) = [x for x in rows.values() if not x.reverses_application_id]
        (reversal,) = [x for x in rows.values() if x.reverses_application_id]
        assert (original.actor, reversal.actor) == (anna_actor, ben_actor)

        a.create_payment("P2", amount=money("250.50", "EUR"), value_date="2026-11-20", customer_id="C1")
        a.apply_payment("P2", allocations=[Allocation(invoice_id="INV-2", amount=money("250.50", "EUR"))])
        returned = b.return_payment("R1", payment_id="P2", reason_code="R01")
        assert returned.actor == ben_actor
        assert a.get_return("R1").actor == ben_actor
        assert all(
            x.actor == anna_actor for x in a.get_payment("P2").applications if not x.reverses_application_id
        )

        # A decision recorded from Ben's AutoApply call, then Anna's on-account resolution.
        a.import_payments(
            [
                Payment(
                    payment_id="P3",
                    amount=money("73.00", "EUR"),
                    value_date="2026-11-20",
                    payer_name="Acme GmbH",
                )
            ]
        )
        (decided,) = b.auto_apply(payment_ids=["P3"]).decisions
        assert decided.outcome == pb.DECISION_OUTCOME_SUGGESTED and decided.actor == ben_actor
        (exception,) = list(a.list_exceptions())
        a.resolve_exception(exception.exception_id, on_account=True)
        newest, older = list(a.list_decisions(payment_id="P3"))
        assert (newest.reason, newest.actor, older.actor) == ("PUT_ON_ACCOUNT", anna_actor, ben_actor)
        assert_invariants(a)

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(
                select(t.applications.c.actor).where(t.applications.c.payment_id == "P1")
            ).scalars()
            assert sorted(stored) == sorted([anna_actor, ben_actor])
            token_secrets = {anna, ben}
            for table in (t.applications, t.returns, t.decisions):
                for actor in conn.execute(select(table.c.actor)).scalars():
                    assert actor not in token_secrets  # the secret is never the actor
    finally:
        engine.dispose()


def test_a_bank_file_imported_with_auto_apply_carries_the_importers_token(
    server: Running, database_url: str
) -> None:
    """ImportStatement authenticates before the upload and runs the import and AutoApply as
    later steps: what those steps record still carries the caller."""
    anna, anna_actor = issue(database_url, "acme", "anna")
    with Client(f"127.0.0.1:{server.port}", token=anna, timeout_seconds=30) as a:
        book(a)
        answer = a.import_statement(
            csv_file([row("100.00", "BR-1", references="INV-1=100.00")]), auto_apply=True
        )
        assert answer.auto_apply.auto_applied_count == 1
        (applied,) = a.get_payment("-/BR-1").applications
        (decided,) = list(a.list_decisions(payment_id="-/BR-1"))
        assert (applied.actor, decided.actor) == (anna_actor, anna_actor)
        assert_invariants(a)


def test_an_open_local_server_records_no_actor(client: Client) -> None:
    book(client)
    client.create_payment("P1", amount=money("100.00", "EUR"), value_date="2026-11-20", customer_id="C1")
    applied = client.apply_payment(
        "P1", allocations=[Allocation(invoice_id="INV-1", amount=money("100.00", "EUR"))]
    )
    assert [x.actor for x in applied.applications] == [""]
    assert client.return_payment("R1", payment_id="P1", reason_code="R01").actor == ""


def test_a_cashapp_tokens_token_is_named_by_position_never_by_secret(database_url: str) -> None:
    settings = Settings(
        database_url=database_url,
        listen="127.0.0.1:0",
        tokens=(("secret-one-xyz", "acme"), ("secret-two-xyz", "acme")),
    )
    with (
        run_in_thread(settings) as running,
        Client(f"127.0.0.1:{running.port}", token="secret-two-xyz", timeout_seconds=30) as c,
    ):
        book(c)
        c.create_payment("P1", amount=money("100.00", "EUR"), value_date="2026-11-20", customer_id="C1")
        applied = c.apply_payment(
            "P1", allocations=[Allocation(invoice_id="INV-1", amount=money("100.00", "EUR"))]
        )
        assert [x.actor for x in applied.applications] == ["CASHAPP_TOKENS #2"]
        assert_invariants(c)
