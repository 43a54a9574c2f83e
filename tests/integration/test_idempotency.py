"""AIP-155 through the real server: a request_id takes effect once. A repeat of the same request
returns the stored response byte for byte and changes nothing, even after the books moved on, and
even when the copies arrive at the same moment from different connections; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest

from cashapp_client import (
    Allocation,
    CashappError,
    Client,
    InvalidArgumentError,
    Payment,
    error_from_grpc,
    money,
)
from cashapp_client._proto.cashapp.v1 import payment_service_pb2 as ps
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb


def _book(client: Client) -> None:
    client.create_customer("C1", display_name="ACME GmbH", payer_accounts=["DE89370400440532013000"])
    for iid, amount in (("INV-1", "100.00"), ("INV-2", "250.50"), ("INV-3", "73.00")):
        client.create_invoice(iid, customer_id="C1", amount=money(amount, "EUR"), issue_date="2026-11-01")


def _books(client: Client) -> dict[str, Any]:
    """Balances, resources and the decision log, serialized: equal values, unchanged books."""
    report = client.get_reconciliation_report()
    assert report.all_passed

    def ser(items: Any) -> list[bytes]:
        return [i.SerializeToString(deterministic=True) for i in items]

    return {
        "balances": sorted((b.account, b.currency_code, b.balance_minor) for b in report.balances),
        "invoices": ser(client.list_invoices()),
        "payments": ser(client.list_payments()),
        "returns": ser(client.list_returns()),
        "decisions": ser(client.list_decisions()),
        "exceptions": ser(client.list_exceptions()),
    }


def _ser(message: Any) -> bytes:
    return bytes(message.SerializeToString(deterministic=True))


def _repeat_changes_nothing(client: Client, call: Callable[[], Any]) -> Any:
    """Calls twice; the second answer equals the first and the books do not move."""
    first = call()
    books = _books(client)
    second = call()
    assert _ser(second) == _ser(first)
    assert _books(client) == books
    return first


def test_create_payment_repeated_returns_the_stored_payment_and_changes_nothing(client: Client) -> None:
    _book(client)
    rid = str(uuid.uuid4())

    def create() -> pb.Payment:
        return client.create_payment(
            "P1", amount=money("100.00", "EUR"), value_date="2026-11-20", customer_id="C1", request_id=rid
        )

    _repeat_changes_nothing(client, create)
    assert len(list(client.list_payments())) == 1


def test_apply_payment_repeated_applies_once_and_returns_the_first_response(client: Client) -> None:
    _book(client)
    client.create_payment("P1", amount=money("300.00", "EUR"), value_date="2026-11-20", customer_id="C1")
    rid = str(uuid.uuid4())
    allocations = [Allocation(invoice_id="INV-1", amount=money("40.00", "EUR"))]
    first = _repeat_changes_nothing(client, lambda: client.apply_payment("P1", allocations, request_id=rid))
    assert first.unapplied_amount.amount_minor == 26000
    assert len(client.get_payment("P1").applications) == 1
    assert client.get_invoice("INV-1").open_amount.amount_minor == 6000


def test_a_repeat_after_the_books_moved_still_returns_the_stored_response(client: Client) -> None:
    """The stored answer is the answer to that request_id, not a fresh read of the state."""
    _book(client)
    client.create_payment("P1", amount=money("300.00", "EUR"), value_date="2026-11-20", customer_id="C1")
    rid = str(uuid.uuid4())
    allocations = [Allocation(invoice_id="INV-1", amount=money("40.00", "EUR"))]
    first = client.apply_payment("P1", allocations, request_id=rid)
    client.apply_payment("P1", [Allocation(invoice_id="INV-2", amount=money("10.00", "EUR"))])
    books = _books(client)
    again = client.apply_payment("P1", allocations, request_id=rid)
    assert _ser(again) == _ser(first)
    assert _books(client) == books
    assert client.get_payment("P1").unapplied_amount.amount_minor == 25000


def test_unapply_payment_repeated_reverses_once(client: Client) -> None:
    _book(client)
    client.create_payment("P1", amount=money("100.00", "EUR"), value_date="2026-11-20", customer_id="C1")
    client.apply_payment("P1", [Allocation(invoice_id="INV-1", amount=money("100.00", "EUR"))])
    rid = str(uuid.uuid4())
    _repeat_changes_nothing(client, lambda: client.unapply_payment("P1", request_id=rid))
    assert len(client.get_payment("P1").applications) == 2  # the original and one reversal


def test_return_payment_repeated_returns_once(client: Client) -> None:
    _book(client)
    client.create_payment("P1", amount=money("350.50", "EUR"), value_date="2026-11-20", customer_id="C1")
    client.apply_payment(
        "P1",
        [
            Allocation(invoice_id="INV-1", amount=money("100.00", "EUR")),
            Allocation(invoice_id="INV-2", amount=money("250.50", "EUR")),
        ],
    )
    rid = str(uuid.uuid4())
    ret = _repeat_changes_nothing(
        client, lambda: client.return_payment("R1", payment_id="P1", reason_code="R01", request_id=rid)
    )
    assert sorted(ret.reopened_invoice_ids) == ["INV-1", "INV-2"]
    assert len(list(client.list_returns())) == 1
    assert client.get_payment("P1").returned_amount.amount_minor == 35050


def test_auto_apply_repeated_returns_the_stored_decisions_and_records_no_new_ones(client: Client) -> None:
    _book(client)
    client.create_invoice("INV-4", customer_id="C1", amount=money("73.00", "EUR"), issue_date="2026-11-01")
    client.import_payments(
        [
            Payment(
                payment_id="P-SUM",
                amount=money("350.50", "EUR"),
                value_date="2026-11-20",
                payer_account="DE89 3704 0044 0532 0130 00",
            ),
            Payment(
                payment_id="P-AMB",
                amount=money("73.00", "EUR"),
                value_date="2026-11-20",
                payer_name="Acme GmbH",
            ),
        ]
    )
    rid = str(uuid.uuid4())
    result = _repeat_changes_nothing(client, lambda: client.auto_apply(all_payments=True, request_id=rid))
    assert (result.auto_applied_count, result.suggested_count) == (1, 1)
    assert len(list(client.list_decisions())) == 2
    assert len(list(client.list_exceptions())) == 1
    # A fresh request_id is a new run, but nothing is left to decide: P-SUM is applied and
    # P-AMB waits in the exception queue for a person.
    assert len(client.auto_apply(all_payments=True).decisions) == 0
    assert len(list(client.list_decisions())) == 2


def test_resolve_exception_repeated_applies_once(client: Client) -> None:
    _book(client)
    client.create_invoice("INV-4", customer_id="C1", amount=money("73.00", "EUR"), issue_date="2026-11-01")
    client.create_payment(
        "P-AMB", amount=money("73.00", "EUR"), value_date="2026-11-20", payer_name="Acme GmbH"
    )
    client.auto_apply(payment_ids=["P-AMB"])
    (exception,) = list(client.list_exceptions())
    rid = str(uuid.uuid4())
    _repeat_changes_nothing(
        client, lambda: client.resolve_exception(exception.exception_id, rank=1, request_id=rid)
    )
    assert len(client.get_payment("P-AMB").applications) == 1


def _chunk(payment_ids: list[str], request_id: str) -> ps.ImportPaymentsRequest:
    return ps.ImportPaymentsRequest(
        request_id=request_id,
        payments=[
            pb.Payment(
                payment_id=pid, amount=money("10.00", "EUR"), value_date="2026-11-20", customer_id="C1"
            )
            for pid in payment_ids
        ],
    )


def _stream(client: Client, *chunks: ps.ImportPaymentsRequest) -> ps.ImportPaymentsResponse:
    try:
        return client.payment_service.ImportPayments(iter(chunks), timeout=30)
    except grpc.RpcError as error:
        raise error_from_grpc(error) from error


def test_an_import_chunk_retried_with_its_request_id_does_not_duplicate(client: Client) -> None:
    _book(client)
    chunk = _chunk(["P1", "P2", "P3"], str(uuid.uuid4()))
    first = _repeat_changes_nothing(client, lambda: _stream(client, chunk))
    assert first.created_count == 3
    # The stored response is replayed, so the retry still reports "created", not "already existed".
    assert [r.result for r in first.results] == ["CREATED"] * 3
    # Retried inside one stream, after a new chunk, the repeated chunk is answered from storage too.
    both = _stream(client, _chunk(["P4"], str(uuid.uuid4())), chunk)
    assert (both.created_count, both.existing_count) == (4, 0)
    assert sorted(p.payment_id for p in client.list_payments()) == ["P1", "P2", "P3", "P4"]


def test_an_import_chunk_request_id_reused_for_other_payments_is_refused(client: Client) -> None:
    _book(client)
    rid = str(uuid.uuid4())
    _stream(client, _chunk(["P1"], rid))
    books = _books(client)
    with pytest.raises(InvalidArgumentError) as caught:
        _stream(client, _chunk(["P2"], rid))
    assert caught.value.reason == "REQUEST_ID_REUSED_WITH_DIFFERENT_REQUEST"
    assert [v.field for v in caught.value.field_violations] == ["request_id"]
    assert _books(client) == books


def test_client_import_resumed_with_the_same_request_id_does_not_duplicate(client: Client) -> None:
    _book(client)
    payments = [
        Payment(payment_id=f"P{i}", amount=money("1.00", "EUR"), value_date="2026-11-20") for i in range(25)
    ]
    rid = str(uuid.uuid4())
    first = client.import_payments(payments, chunk_size=10, request_id=rid)
    books = _books(client)
    again = client.import_payments(payments, chunk_size=10, request_id=rid)
    assert _ser(again) == _ser(first)
    assert first.created_count == 25
    assert _books(client) == books


def _race(target: str, calls: int, call: Callable[[Client], Any]) -> list[Any]:
    """`calls` clients, each on its own connection, released together by a barrier."""
    barrier = threading.Barrier(calls)
    clients = [Client(target, timeout_seconds=30) for _ in range(calls)]

    def run(c: Client) -> Any:
        barrier.wait()
        return call(c)

    try:
        with ThreadPoolExecutor(calls) as pool:
            return list(pool.map(run, clients))
    finally:
        for c in clients:
            c.close()


RACERS = 6


def test_the_same_apply_sent_at_once_from_many_connections_takes_effect_once(
    client: Client, target: str
) -> None:
    _book(client)
    client.create_payment("P1", amount=money("300.00", "EUR"), value_date="2026-11-20", customer_id="C1")
    rid = str(uuid.uuid4())
    # 20.00 would fit six times over: a second effect could not hide behind a refusal.
    allocations = [
        Allocation(invoice_id="INV-1", amount=money("10.00", "EUR")),
        Allocation(invoice_id="INV-2", amount=money("10.00", "EUR")),
    ]
    answers = _race(target, RACERS, lambda c: c.apply_payment("P1", allocations, request_id=rid))
    assert len({_ser(a) for a in answers}) == 1
    payment = client.get_payment("P1")
    assert len(payment.applications) == 2
    assert payment.unapplied_amount.amount_minor == 28000
    assert client.get_invoice("INV-1").open_amount.amount_minor == 9000


def test_the_same_create_sent_at_once_creates_once(client: Client, target: str) -> None:
    _book(client)
    rid = str(uuid.uuid4())
    created = _race(
        target,
        RACERS,
        lambda c: c.create_payment(
            "P1", amount=money("100.00", "EUR"), value_date="2026-11-20", customer_id="C1", request_id=rid
        ),
    )
    assert len({_ser(p) for p in created}) == 1
    assert len(list(client.list_payments())) == 1


def _outcomes(target: str, call: Callable[[Client], Any]) -> list[Any]:
    """Like _race, but a refusal is an outcome too (returned, not raised)."""

    def attempt(c: Client) -> Any:
        try:
            return call(c)
        except CashappError as error:
            return error

    return _race(target, RACERS, attempt)


def _book_fully_applied(client: Client) -> None:
    _book(client)
    client.create_payment("P1", amount=money("100.00", "EUR"), value_date="2026-11-20", customer_id="C1")


def _return_race(client: Client, target: str) -> list[Any]:
    client.apply_payment("P1", [Allocation(invoice_id="INV-1", amount=money("100.00", "EUR"))])
    rid = str(uuid.uuid4())
    return _outcomes(target, lambda c: c.return_payment("R1", payment_id="P1", request_id=rid))


def _full_apply_race(client: Client, target: str) -> list[Any]:
    rid = str(uuid.uuid4())
    allocations = [Allocation(invoice_id="INV-1", amount=money("100.00", "EUR"))]
    return _outcomes(target, lambda c: c.apply_payment("P1", allocations, request_id=rid))


def test_the_same_return_sent_at_once_returns_once(client: Client, target: str) -> None:
    _book_fully_applied(client)
    _return_race(client, target)
    assert len(list(client.list_returns())) == 1
    payment = client.get_payment("P1")
    assert payment.returned_amount.amount_minor == 10000
    assert len(payment.applications) == 2  # the application and its one reversal
    assert client.get_invoice("INV-1").open_amount.amount_minor == 10000


def test_the_same_full_apply_sent_at_once_applies_once(client: Client, target: str) -> None:
    _book_fully_applied(client)
    _full_apply_race(client, target)
    payment = client.get_payment("P1")
    assert len(payment.applications) == 1
    assert payment.unapplied_amount.amount_minor == 0
    assert client.get_invoice("INV-1").open_amount.amount_minor == 0


@pytest.mark.parametrize("race", [_return_race, _full_apply_race], ids=["return", "full-apply"])
def test_every_copy_of_a_request_sent_at_once_gets_the_stored_response(
    client: Client,
    target: str,
    race: Callable[[Client, str], list[Any]],
) -> None:
    _book_fully_applied(client)
    answers = race(client, target)
    refusals = [a for a in answers if isinstance(a, CashappError)]
    assert not refusals, [f"{e.code.name} {e.reason}" for e in refusals]
    assert len({_ser(a) for a in answers}) == 1


def test_the_same_auto_apply_sent_at_once_decides_once(client: Client, target: str) -> None:
    _book(client)
    client.create_payment(
        "P-SUM",
        amount=money("350.50", "EUR"),
        value_date="2026-11-20",
        payer_account="DE89370400440532013000",
    )
    rid = str(uuid.uuid4())
    answers = _race(target, RACERS, lambda c: c.auto_apply(all_payments=True, request_id=rid))
    assert len({_ser(a) for a in answers}) == 1
    assert answers[0].auto_applied_count == 1
    assert len(list(client.list_decisions())) == 1
    assert len(client.get_payment("P-SUM").applications) == 2


def test_the_same_import_chunk_sent_at_once_creates_each_payment_once(client: Client, target: str) -> None:
    _book(client)
    chunk = _chunk([f"P{i}" for i in range(20)], str(uuid.uuid4()))
    answers = _race(target, RACERS, lambda c: _stream(c, chunk))
    assert len({_ser(a) for a in answers}) == 1
    assert answers[0].created_count == 20
    assert len(list(client.list_payments())) == 20
    report = client.get_reconciliation_report()
    (cash,) = [b for b in report.balances if b.account == "CASH"]
    assert abs(cash.balance_minor) == 20 * 1000
