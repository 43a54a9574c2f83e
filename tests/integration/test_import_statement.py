"""ImportStatement through the real server on SQLite and PostgreSQL: idempotent per file and per
entry, all-or-nothing, returns and remittance advice linked to their payments (or kept and held),
AutoApply re-triggered by advice, a bounded response. The client fixture checks the ledger
invariants after every scenario."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest

from cashapp_client import Client, InvalidArgumentError, PaymentState, money
from cashapp_client._proto.cashapp.v1 import payment_service_pb2 as ps
from server.app import run_in_thread
from server.config import Settings
from tests.integration.statement_files import ACCOUNT, csv_file, row


def _book(client: Client) -> None:
    client.create_customer("C1", display_name="ACME GmbH", payer_accounts=[ACCOUNT])
    for invoice_id in ("INV-1", "INV-2"):
        client.create_invoice(
            invoice_id, customer_id="C1", amount=money("100.00", "EUR"), issue_date="2026-11-01"
        )


def _state(client: Client) -> dict[str, Any]:
    """What an import may change: payments, returns, decisions and the journal's length."""
    report = client.get_reconciliation_report()
    return {
        "payments": [p.SerializeToString(deterministic=True) for p in client.list_payments()],
        "returns": [r.SerializeToString(deterministic=True) for r in client.list_returns()],
        "decisions": len(list(client.list_decisions())),
        "journal": report.journal_entry_count,
    }


def test_the_same_file_twice_creates_each_payment_once(client: Client) -> None:
    data = csv_file([row("100.00", "BR-1"), row("250.50", "BR-2")])
    first = client.import_statement(data, file_name="day1.csv")
    assert (first.format, first.counts.entries, first.counts.created) == ("csv", 2, 2)
    assert not first.already_imported
    before = _state(client)
    second = client.import_statement(data, file_name="renamed.csv")
    assert second.already_imported
    assert second.sha256 == first.sha256
    assert second.file_name == "day1.csv"  # the first import's answer
    assert second.counts == first.counts
    assert _state(client) == before
    assert sorted(p.payment_id for p in client.list_payments()) == ["-/BR-1", "-/BR-2"]


def test_a_file_sent_again_with_auto_apply_applies_what_the_first_import_left(client: Client) -> None:
    _book(client)
    data = csv_file([row("100.00", "BR-1", references="INV-1=100.00")])
    assert not client.import_statement(data).HasField("auto_apply")
    again = client.import_statement(data, auto_apply=True)
    assert again.already_imported and again.counts.created == 1
    assert again.auto_apply.auto_applied_count == 1
    assert [a.invoice_id for a in client.get_payment("-/BR-1").applications] == ["INV-1"]
    # Decided once: a third send finds nothing new to decide.
    third = client.import_statement(data, auto_apply=True)
    assert (third.auto_apply.auto_applied_count, third.auto_apply.suggested_count) == (0, 0)


def test_the_same_entry_in_an_intraday_and_an_end_of_day_file_is_one_payment(client: Client) -> None:
    intraday = csv_file([row("100.00", "BR-1")])
    end_of_day = csv_file([row("100.00", "BR-1", references="INV-1=100.00"), row("40.00", "BR-3")])
    client.import_statement(intraday)
    second = client.import_statement(end_of_day)
    c = second.counts
    assert (c.created, c.already_imported, c.remittance_added) == (1, 1, 1)
    payment = client.get_payment("-/BR-1")
    assert list(payment.references) == ["INV-1"]
    assert [(line.reference, line.paid.amount_minor) for line in payment.remittance_lines] == [
        ("INV-1", 10000)
    ]
    assert len(list(client.list_payments())) == 2


def test_a_malformed_file_is_refused_naming_the_line_and_stores_nothing(client: Client) -> None:
    client.import_statement(csv_file([row("10.00", "BR-0")]))
    before = _state(client)
    bad = csv_file([row("100.00", "BR-1"), row("12.3.4", "BR-2")])
    with pytest.raises(InvalidArgumentError) as refused:
        client.import_statement(bad)
    assert "line 3, column amount" in refused.value.message
    assert [v.field for v in refused.value.field_violations] == ["file"]
    assert _state(client) == before
    # Refused, so not remembered: the corrected file imports in full.
    fixed = client.import_statement(csv_file([row("100.00", "BR-1"), row("12.34", "BR-2")]))
    assert fixed.counts.created == 2 and not fixed.already_imported


def test_an_unknown_format_and_a_missing_header_are_refused(client: Client) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        client.import_statement(csv_file([row("1.00", "BR-1")]), format="camt.999")
    assert [v.field for v in refused.value.field_violations] == ["header.format"]
    chunks = iter([ps.ImportStatementRequest(chunk=b"kind,amount\n")])
    with pytest.raises(grpc.RpcError) as no_header:
        client.payment_service.ImportStatement(chunks, timeout=10)
    assert no_header.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert list(client.list_payments()) == []


@pytest.fixture
def small_limit_client(database_url: str) -> Iterator[Client]:
    settings = Settings(database_url=database_url, listen="127.0.0.1:0", max_statement_bytes=2000)
    with run_in_thread(settings) as running, Client(f"127.0.0.1:{running.port}", timeout_seconds=30) as c:
        yield c
        assert c.get_reconciliation_report().all_passed


def test_a_file_over_the_size_limit_is_refused_and_stores_nothing(small_limit_client: Client) -> None:
    client = small_limit_client
    big = csv_file(row(f"{i + 1}.00", f"BR-{i}") for i in range(100))
    assert len(big) > 2000
    with pytest.raises(InvalidArgumentError) as refused:
        client.import_statement(big)
    assert "2000 bytes" in refused.value.message
    assert [v.field for v in refused.value.field_violations] == ["file"]
    assert list(client.list_payments()) == []
    assert client.get_reconciliation_report().journal_entry_count == 0


def test_a_return_in_a_later_file_returns_the_imported_payment(client: Client) -> None:
    client.import_statement(csv_file([row("100.00", "BR-1")]))
    returned = client.import_statement(
        csv_file([row("100.00", "RT-1", kind="RETURN", original_reference="BR-1", return_reason="R01")])
    )
    assert (returned.counts.returns, returned.counts.unmatched_returns) == (1, 0)
    assert client.get_payment("-/BR-1").state == PaymentState.PAYMENT_STATE_RETURNED
    [ret] = client.list_returns()
    assert (ret.payment_id, ret.reason_code) == ("-/BR-1", "R01")


def test_a_return_without_its_payment_is_kept_once_and_reported(client: Client) -> None:
    lost = row("70.00", "RT-9", kind="RETURN", original_reference="NOPE", return_reason="R03")
    first = client.import_statement(csv_file([lost]))
    assert first.counts.unmatched_returns == 1
    [exception] = first.exceptions
    assert (exception.result, exception.entry_id, exception.location) == (
        "RETURN_UNMATCHED",
        "-/RT-9/return",  # a return's identity carries its kind
        "line 2",
    )
    assert exception.amount.amount_minor == 7000 and "NOPE" in exception.message
    again = client.import_statement(csv_file([lost, row("5.00", "BR-5")]))
    assert (again.counts.unmatched_returns, again.counts.already_imported) == (0, 1)
    assert list(client.list_returns()) == []


def test_advice_for_an_earlier_payment_retriggers_its_decision(client: Client) -> None:
    _book(client)
    # Two open invoices of the same amount: amount alone cannot tell which one is paid.
    first = client.import_statement(csv_file([row("100.00", "BR-1")]), auto_apply=True)
    assert first.auto_apply.suggested_count == 1
    assert client.get_payment("-/BR-1").state == PaymentState.PAYMENT_STATE_UNAPPLIED
    # An advice naming the payment by its bank reference: linked, and the decision re-run.
    advice = csv_file([row("100.00", "BR-1", kind="ADVICE", payer_account="", references="INV-2=100.00")])
    linked = client.import_statement(advice, auto_apply=True)
    assert (linked.counts.advice_linked, linked.counts.advice_held) == (1, 0)
    assert linked.auto_apply.auto_applied_count == 1
    payment = client.get_payment("-/BR-1")
    assert payment.state == PaymentState.PAYMENT_STATE_APPLIED
    assert [a.invoice_id for a in payment.applications] == ["INV-2"]


def test_advice_before_its_payment_is_held_and_linked_when_the_payment_arrives(client: Client) -> None:
    _book(client)
    advice = csv_file([row("100.00", "BR-7", kind="ADVICE", payer_account="", references="INV-1=100.00")])
    held = client.import_statement(advice)
    assert (held.counts.advice_held, held.counts.created) == (1, 0)
    assert held.exceptions[0].result == "ADVICE_HELD"
    assert list(client.list_payments()) == []
    arrived = client.import_statement(csv_file([row("100.00", "BR-7")]), auto_apply=True)
    assert (arrived.counts.created, arrived.counts.advice_linked, arrived.counts.remittance_added) == (
        1,
        1,
        1,
    )
    payment = client.get_payment("-/BR-7")
    assert list(payment.references) == ["INV-1"]
    assert [a.invoice_id for a in payment.applications] == ["INV-1"]
    # The advice was linked once: sending it again changes nothing.
    assert client.import_statement(advice).already_imported


def test_a_different_amount_under_a_known_identity_is_a_conflict(client: Client) -> None:
    client.import_statement(csv_file([row("100.00", "BR-1")]))
    clash = client.import_statement(csv_file([row("999.00", "BR-1")]))
    assert (clash.counts.conflicts, clash.counts.created) == (1, 0)
    assert clash.exceptions[0].result == "CONFLICT"
    assert client.get_payment("-/BR-1").amount.amount_minor == 10000


def test_a_file_of_many_exceptions_gets_a_bounded_response(client: Client) -> None:
    returns = [
        row(f"{i + 1}.00", f"RT-{i}", kind="RETURN", original_reference=f"GONE-{i}", text="x" * 200)
        for i in range(1500)
    ]
    response = client.import_statement(csv_file(returns), timeout_seconds=120)
    assert response.counts.unmatched_returns == 1500
    assert len(response.exceptions) == 1000
    assert response.omitted_exception_count == 500
    assert response.ByteSize() < 1024 * 1024


def test_the_same_file_sent_twice_at_once_is_imported_once(client: Client, target: str) -> None:
    data = csv_file(row(f"{i + 1}.00", f"BR-{i}") for i in range(200))
    barrier = threading.Barrier(2, timeout=30)

    def send() -> ps.ImportStatementResponse:
        with Client(target, timeout_seconds=60) as own:
            barrier.wait()
            return own.import_statement(data)

    with ThreadPoolExecutor(2) as pool:
        answers = [f.result(timeout=120) for f in [pool.submit(send), pool.submit(send)]]
    assert sorted(a.already_imported for a in answers) == [False, True]
    assert all(a.counts.created == 200 for a in answers)
    assert len(list(client.list_payments())) == 200
