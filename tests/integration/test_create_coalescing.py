"""CreatePayment's group commit (engine/create_together.py, server/create_batcher.py): calls that
share a transaction are each answered as if alone: a bad call fails by itself, the same payment id
or request_id twice in one batch answers like two calls one after the other, and the ledger
invariants hold afterwards (the `client` fixture checks them on both databases)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from cashapp_client import CashappError, Client, InvalidArgumentError, money
from cashapp_client._proto.cashapp.v1 import payment_service_pb2 as ps
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from engine.create_together import CreateCall, Outcome, create_together
from engine.errors import AlreadyExists, InvalidArgument, NotFound
from server import convert
from server.app import Running
from server.auth import DEFAULT_TENANT
from server.rpc import fingerprint


def _call(request: ps.CreatePaymentRequest) -> CreateCall:
    return CreateCall.of(
        DEFAULT_TENANT,
        "",
        request.request_id,
        type(request).__name__,
        fingerprint(request),
        lambda: convert.payment_in(request.payment_id, request.payment),
        lambda p: convert.payment_out(p).SerializeToString(deterministic=True),
    )


def _request(
    payment_id: str, amount_minor: int = 1000, request_id: str = "", **fields: str
) -> ps.CreatePaymentRequest:
    payment = pb.Payment(
        amount=pb.Money(currency_code="EUR", amount_minor=amount_minor), value_date="2026-11-20"
    )
    for name, value in fields.items():
        setattr(payment, name, value)
    return ps.CreatePaymentRequest(payment_id=payment_id, payment=payment, request_id=request_id)


def _payment(outcome: Outcome) -> pb.Payment:
    assert isinstance(outcome, bytes), outcome
    return pb.Payment.FromString(outcome)


def test_one_batch_answers_each_call_as_if_it_ran_alone(server: Running, client: Client) -> None:
    client.create_customer("C1", display_name="ACME GmbH")
    requests = [
        _request("P1", request_id="r1"),
        ps.CreatePaymentRequest(payment_id="P-BAD", payment=pb.Payment(value_date="2026-11-20")),
        _request("P1"),  # the same content again: answers the payment created just before
        _request("P1", amount_minor=999),  # other content under the same id
        _request("P1", request_id="r1"),  # a retry within the batch: the first answer
        _request("P9", request_id="r1"),  # the request_id reused for another request
        _request("P2", customer_id="C-NOPE"),
        _request("P3", customer_id="C1", request_id="r3"),
    ]
    outcomes = create_together(server.db, [_call(r) for r in requests])

    first = _payment(outcomes[0])
    assert first.payment_id == "P1" and first.amount.amount_minor == 1000
    bad = outcomes[1]
    assert isinstance(bad, InvalidArgument) and bad.violations[0].field == "payment.amount"
    assert _payment(outcomes[2]) == first
    assert isinstance(outcomes[3], AlreadyExists) and outcomes[3].violations[0].field == "payment_id"
    assert outcomes[4] == outcomes[0]
    assert isinstance(outcomes[5], InvalidArgument)
    assert outcomes[5].reason == "REQUEST_ID_REUSED_WITH_DIFFERENT_REQUEST"
    assert isinstance(outcomes[6], NotFound) and outcomes[6].violations[0].field == "payment.customer_id"
    assert _payment(outcomes[7]).customer_id == "C1"
    assert sorted(p.payment_id for p in client.list_payments()) == ["P1", "P3"]

    # A later batch answers the stored requests from their records, and the ids like today.
    again = create_together(
        server.db, [_call(_request("P1", request_id="r1")), _call(_request("P3", customer_id="C1"))]
    )
    assert again[0] == outcomes[0]
    assert _payment(again[1]).payment_id == "P3"
    assert sorted(p.payment_id for p in client.list_payments()) == ["P1", "P3"]


def test_a_batch_the_database_refuses_writes_nothing(server: Running, client: Client) -> None:
    def refused() -> object:
        raise RuntimeError("the database went away")

    calls = [_call(_request("P1", request_id="r1"))]
    broken = CreateCall.of(DEFAULT_TENANT, "", "r2", "CreatePaymentRequest", "f", refused, calls[0].encode)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        create_together(server.db, [*calls, broken])
    assert list(client.list_payments()) == []


CALLERS = 32


def test_concurrent_creates_with_one_bad_request_each_get_their_own_answer(
    client: Client, target: str
) -> None:
    start = threading.Barrier(CALLERS)

    def create(n: int) -> object:
        with Client(target, timeout_seconds=30) as c:
            start.wait()
            try:
                if n == 7:  # the one bad request: a value date that is no date
                    return c.create_payment("P-BAD", amount=money("1.00", "EUR"), value_date="2026-13-45")
                # Callers 20..31 all create P-SAME: one payment, the same answer for each.
                payment_id = "P-SAME" if n >= 20 else f"P{n}"
                return c.create_payment(
                    payment_id,
                    amount=money("10.00", "EUR"),
                    value_date="2026-11-20",
                    request_id=str(uuid.uuid4()),
                )
            except CashappError as error:
                return error

    with ThreadPoolExecutor(CALLERS) as pool:
        answers = list(pool.map(create, range(CALLERS)))
    bad = answers[7]
    assert isinstance(bad, InvalidArgumentError), bad
    assert [v.field for v in bad.field_violations] == ["payment.value_date"]
    others = [a for n, a in enumerate(answers) if n != 7]
    assert all(isinstance(a, pb.Payment) for a in others), [
        a for a in others if not isinstance(a, pb.Payment)
    ]
    same = {a.SerializeToString(deterministic=True) for a in answers[20:] if isinstance(a, pb.Payment)}
    assert len(same) == 1
    ids = sorted(p.payment_id for p in client.list_payments())
    assert ids == sorted({f"P{n}" for n in range(20) if n != 7} | {"P-SAME"})
    report = client.get_reconciliation_report()
    (cash,) = [b for b in report.balances if b.account == "CASH"]
    assert abs(cash.balance_minor) == len(ids) * 1000
