"""Deadlines, retries, idempotency keys, auth metadata and error mapping, against a scripted fake.

The fake is the test proxy without an upstream: each call is answered by a scripted behaviour,
so these tests need no server and prove exactly how many attempts the client made.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from cashapp_client import (
    Allocation,
    AsyncClient,
    CashappError,
    Client,
    Customer,
    DeadlineExceededError,
    InvalidArgumentError,
    Invoice,
    NotFoundError,
    Payment,
    UnavailableError,
    error_from_grpc,
    money,
)
from cashapp_client._proto.cashapp.v1 import (
    customer_service_pb2,
    invoice_service_pb2,
    payment_service_pb2,
    reconciliation_service_pb2,
    return_service_pb2,
)
from cashapp_client._retry import SERVER_DELAY_JITTER, RetryPolicy

if TYPE_CHECKING:  # the fixtures hand these out; tests/e2e is not a package to import from
    from conftest import Behaviour, Proxy, RecordedCall

ProxyFactory = Callable[[str | None], "Proxy"]
CREATE_CUSTOMER = "/cashapp.v1.CustomerService/CreateCustomer"


def answer(message: Customer | payment_service_pb2.ImportPaymentsResponse) -> Behaviour:
    return lambda call, context: message.SerializeToString()


def rich_error(
    code: grpc.StatusCode,
    message: str,
    reason: str,
    violations: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> Behaviour:
    def behaviour(call: RecordedCall, context: grpc.ServicerContext) -> bytes | None:
        info = any_pb2.Any()
        info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain="cashapp", metadata={"k": "v"}))
        details = [info]
        if violations:
            bad_request = any_pb2.Any()
            bad_request.Pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(field=f, description=d)
                        for f, d in violations
                    ]
                )
            )
            details.append(bad_request)
        status = status_pb2.Status(code=code.value[0], message=message, details=details)
        context.abort_with_status(rpc_status.to_status(status))
        return None

    return behaviour


def sleep_then_answer(seconds: float, message: Customer) -> Behaviour:
    def behaviour(call: RecordedCall, context: grpc.ServicerContext) -> bytes | None:
        time.sleep(seconds)
        return message.SerializeToString()

    return behaviour


def create_customer_request_ids(proxy: Proxy) -> list[str]:
    return [
        customer_service_pb2.CreateCustomerRequest.FromString(call.requests[0]).request_id
        for call in proxy.calls
    ]


CUSTOMER = Customer(customer_id="C1", display_name="ACME")


def test_unavailable_is_retried_with_the_same_request_id(proxy_factory: ProxyFactory) -> None:
    proxy = proxy_factory(None)
    proxy.fail_next(2)
    proxy.then(answer(CUSTOMER))
    with Client(proxy.target, initial_backoff_seconds=0.01) as client:
        assert client.create_customer("C1", display_name="ACME") == CUSTOMER
    assert proxy.methods() == [CREATE_CUSTOMER] * 3
    request_ids = create_customer_request_ids(proxy)
    assert request_ids[0] and len(set(request_ids)) == 1


def test_caller_request_id_is_sent_on_every_attempt(proxy_factory: ProxyFactory) -> None:
    proxy = proxy_factory(None)
    proxy.fail_next(1)
    proxy.then(answer(CUSTOMER))
    with Client(proxy.target, initial_backoff_seconds=0.01) as client:
        client.create_customer("C1", display_name="ACME", request_id="caller-key")
    assert create_customer_request_ids(proxy) == ["caller-key", "caller-key"]


def test_separate_calls_get_separate_request_ids(proxy_factory: ProxyFactory) -> None:
    proxy = proxy_factory(None)
    proxy.then(answer(CUSTOMER), answer(CUSTOMER))
    with Client(proxy.target) as client:
        client.create_customer("C1", display_name="ACME")
        client.create_customer("C1", display_name="ACME")
    assert len(set(create_customer_request_ids(proxy))) == 2


def test_retries_stop_after_max_attempts(proxy_factory: ProxyFactory) -> None:
    proxy = proxy_factory(None)
    proxy.fail_next(10)
    with (
        Client(proxy.target, max_attempts=3, initial_backoff_seconds=0.01) as client,
        pytest.raises(UnavailableError) as raised,
    ):
        client.get_customer("C1")
    assert len(proxy.calls) == 3
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE
    assert isinstance(raised.value.__cause__, grpc.RpcError)


def test_unreachable_server_raises_unavailable_after_bounded_attempts() -> None:
    # Nothing listens on port 1: every attempt is refused, the client gives up quickly.
    with (
        Client("127.0.0.1:1", max_attempts=2, initial_backoff_seconds=0.01) as client,
        pytest.raises(UnavailableError),
    ):
        client.get_customer("C1")


def test_invalid_argument_is_not_retried_and_carries_its_details(
    proxy_factory: ProxyFactory,
) -> None:
    proxy = proxy_factory(None)
    proxy.then(
        rich_error(
            grpc.StatusCode.INVALID_ARGUMENT,
            "unknown currency",
            "UNKNOWN_CURRENCY",
            [("invoice.amount.currency_code", "XXX is not an ISO 4217 code")],
        )
    )
    with Client(proxy.target) as client, pytest.raises(InvalidArgumentError) as raised:
        client.create_invoice("I1", customer_id="C1", amount=money("1.00", "XXX"), issue_date="2026-01-01")
    error = raised.value
    assert len(proxy.calls) == 1
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert (error.reason, error.domain, dict(error.metadata)) == (
        "UNKNOWN_CURRENCY",
        "cashapp",
        {"k": "v"},
    )
    assert [v.field for v in error.field_violations] == ["invoice.amount.currency_code"]
    assert error.message == "unknown currency"
    assert "UNKNOWN_CURRENCY" in str(error) and "invoice.amount.currency_code" in str(error)


@pytest.mark.parametrize(
    ("code", "error_class"),
    [
        (grpc.StatusCode.NOT_FOUND, NotFoundError),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, CashappError),
    ],
)
def test_codes_map_to_their_exception_class(
    proxy_factory: ProxyFactory, code: grpc.StatusCode, error_class: type[CashappError]
) -> None:
    proxy = proxy_factory(None)
    proxy.then(rich_error(code, "nope", "SOME_REASON"))
    with Client(proxy.target) as client, pytest.raises(CashappError) as raised:
        client.get_customer("C1")
    assert type(raised.value) is error_class
    assert raised.value.reason == "SOME_REASON"
    assert len(proxy.calls) == 1


def test_plain_status_without_details_still_maps(proxy_factory: ProxyFactory) -> None:
    proxy = proxy_factory(None)
    proxy.fail_next(1, grpc.StatusCode.PERMISSION_DENIED)
    with Client(proxy.target) as client, pytest.raises(CashappError) as raised:
        client.get_customer("C1")
    assert raised.value.code == grpc.StatusCode.PERMISSION_DENIED
    assert raised.value.reason == "" and raised.value.field_violations == ()


def test_deadline_is_honoured_and_not_retried(proxy_factory: ProxyFactory) -> None:
    proxy = proxy_factory(None)
    proxy.then(sleep_then_answer(2.0, CUSTOMER))
    with (
        Client(proxy.target, timeout_seconds=5.0) as client,
        pytest.raises(DeadlineExceededError),
    ):
        client.get_customer("C1", timeout_seconds=0.2)
    assert len(proxy.calls) == 1


def test_token_is_sent_as_bearer_metadata(proxy_factory: ProxyFactory) -> None:
    proxy = proxy_factory(None)
    proxy.then(answer(CUSTOMER), answer(CUSTOMER))
    with Client(proxy.target, token="secret") as client:
        client.get_customer("C1")
    with Client(proxy.target) as client:
        client.get_customer("C1")
    assert proxy.calls[0].metadata["authorization"] == "Bearer secret"
    assert "authorization" not in proxy.calls[1].metadata


def test_list_iterator_follows_page_tokens(proxy_factory: ProxyFactory) -> None:
    pages = {
        "": customer_service_pb2.ListCustomersResponse(
            customers=[Customer(customer_id="A"), Customer(customer_id="B")], next_page_token="t1"
        ),
        "t1": customer_service_pb2.ListCustomersResponse(customers=[Customer(customer_id="C")]),
    }

    def page(call: RecordedCall, context: grpc.ServicerContext) -> bytes | None:
        request = customer_service_pb2.ListCustomersRequest.FromString(call.requests[0])
        assert request.page_size == 2
        return pages[request.page_token].SerializeToString()

    proxy = proxy_factory(None)
    proxy.then(page, page)
    with Client(proxy.target) as client:
        customers = client.list_customers(page_size=2)
        assert len(proxy.calls) == 0, "pages are fetched lazily"
        assert [c.customer_id for c in customers] == ["A", "B", "C"]
    assert len(proxy.calls) == 2


def _import_answer(call: RecordedCall, context: grpc.ServicerContext) -> bytes | None:
    chunks = [payment_service_pb2.ImportPaymentsRequest.FromString(r) for r in call.requests]
    results = [
        payment_service_pb2.ImportPaymentResult(payment_id=p.payment_id, result="CREATED")
        for chunk in chunks
        for p in chunk.payments
    ]
    return payment_service_pb2.ImportPaymentsResponse(
        results=results, created_count=len(results)
    ).SerializeToString()


def _payments(count: int) -> list[Payment]:
    return [
        Payment(payment_id=f"P{i}", amount=money("1.00", "EUR"), value_date="2026-01-01")
        for i in range(count)
    ]


def test_import_payments_chunks_at_most_1000_per_message(proxy_factory: ProxyFactory) -> None:
    proxy = proxy_factory(None)
    proxy.then(_import_answer)
    with Client(proxy.target) as client:
        response = client.import_payments(iter(_payments(2500)))
    (call,) = proxy.calls
    chunks = [payment_service_pb2.ImportPaymentsRequest.FromString(r) for r in call.requests]
    assert [len(c.payments) for c in chunks] == [1000, 1000, 500]
    assert len({c.request_id for c in chunks}) == 3
    assert response.created_count == 2500
    assert [r.payment_id for r in response.results] == [f"P{i}" for i in range(2500)]


def test_import_payments_aggregates_results_across_streams(proxy_factory: ProxyFactory) -> None:
    proxy = proxy_factory(None)
    proxy.then(_import_answer, _import_answer)
    with Client(proxy.target) as client:
        response = client.import_payments(_payments(25), chunk_size=2)
    assert len(proxy.calls) == 2
    assert response.created_count == 25 and len(response.results) == 25


def test_import_payments_retry_resends_identical_chunks(proxy_factory: ProxyFactory) -> None:
    proxy = proxy_factory(None)
    proxy.fail_next(1)
    proxy.then(_import_answer)
    with Client(proxy.target, initial_backoff_seconds=0.01) as client:
        response = client.import_payments(_payments(3), chunk_size=2)
    first, second = proxy.calls
    assert first.requests == second.requests
    assert response.created_count == 3


# The asyncio client ------------------------------------------------------------------------------


async def test_async_unavailable_is_retried_with_the_same_request_id(
    proxy_factory: ProxyFactory,
) -> None:
    proxy = proxy_factory(None)
    proxy.fail_next(2)
    proxy.then(answer(CUSTOMER))
    async with AsyncClient(proxy.target, initial_backoff_seconds=0.01) as client:
        assert await client.create_customer("C1", display_name="ACME") == CUSTOMER
    request_ids = create_customer_request_ids(proxy)
    assert len(request_ids) == 3 and len(set(request_ids)) == 1


async def test_async_invalid_argument_carries_details_and_is_not_retried(
    proxy_factory: ProxyFactory,
) -> None:
    proxy = proxy_factory(None)
    proxy.then(
        rich_error(
            grpc.StatusCode.INVALID_ARGUMENT,
            "bad",
            "UNKNOWN_CURRENCY",
            [("payment.amount.currency_code", "unknown")],
        )
    )
    async with AsyncClient(proxy.target) as client:
        with pytest.raises(InvalidArgumentError) as raised:
            await client.create_payment("P1", amount=money("1.00", "XXX"), value_date="2026-01-01")
    assert len(proxy.calls) == 1
    assert raised.value.reason == "UNKNOWN_CURRENCY"
    assert raised.value.field_violations[0].field == "payment.amount.currency_code"


async def test_async_deadline_is_honoured(proxy_factory: ProxyFactory) -> None:
    proxy = proxy_factory(None)
    proxy.then(sleep_then_answer(2.0, CUSTOMER))
    async with AsyncClient(proxy.target, timeout_seconds=0.2) as client:
        with pytest.raises(DeadlineExceededError):
            await client.get_customer("C1")
    assert len(proxy.calls) == 1


async def test_async_list_iterator_and_import(proxy_factory: ProxyFactory) -> None:
    page = customer_service_pb2.ListCustomersResponse(customers=[Customer(customer_id="A")])
    proxy = proxy_factory(None)
    proxy.then(lambda call, context: page.SerializeToString(), _import_answer)
    async with AsyncClient(proxy.target, token="t") as client:
        assert [c.customer_id async for c in client.list_customers()] == ["A"]
        response = await client.import_payments(_payments(1001))
    assert response.created_count == 1001
    chunks = [payment_service_pb2.ImportPaymentsRequest.FromString(r) for r in proxy.calls[1].requests]
    assert [len(c.payments) for c in chunks] == [1000, 1]
    assert proxy.calls[0].metadata["authorization"] == "Bearer t"


def test_error_from_grpc_maps_a_bare_rpc_error() -> None:
    class FakeError(grpc.RpcError):
        def code(self) -> grpc.StatusCode:
            return grpc.StatusCode.ALREADY_EXISTS

        def details(self) -> str:
            return "exists"

        def trailing_metadata(self) -> tuple[tuple[str, str | bytes], ...]:
            return (("grpc-status-details-bin", b"\xff\xfe not a status"),)

    error = error_from_grpc(FakeError())
    assert error.code == grpc.StatusCode.ALREADY_EXISTS
    assert error.message == "exists" and error.status is None
    assert grpc.StatusCode.ALREADY_EXISTS.value[0] == code_pb2.ALREADY_EXISTS


# Database outages: RetryInfo, and every mutating call is idempotent under retries ---------------


def unavailable_with_retry_info(delay_seconds: float) -> Behaviour:
    """What the server sends when its database is unreachable (see server/errors.py)."""

    def behaviour(call: RecordedCall, context: grpc.ServicerContext) -> bytes | None:
        info, retry = any_pb2.Any(), any_pb2.Any()
        info.Pack(error_details_pb2.ErrorInfo(reason="DATABASE_UNAVAILABLE", domain="cashapp"))
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(delay_seconds * 1e9))
        retry.Pack(error_details_pb2.RetryInfo(retry_delay=delay))
        status = status_pb2.Status(code=code_pb2.UNAVAILABLE, message="database down", details=[info, retry])
        context.abort_with_status(rpc_status.to_status(status))
        return None

    return behaviour


def test_retry_info_delay_is_the_floor_of_the_backoff() -> None:
    policy = RetryPolicy(max_attempts=5, initial_backoff_seconds=0.001)
    far = time.monotonic() + 60
    sleeps = [policy.next_sleep(grpc.StatusCode.UNAVAILABLE, 1, far, 0.5) for _ in range(50)]
    assert all(s is not None and 0.5 <= s <= 0.5 * (1 + SERVER_DELAY_JITTER) for s in sleeps)
    assert len(set(sleeps)) > 1, "jittered, so clients told the same delay do not return together"
    assert policy.next_sleep(grpc.StatusCode.UNAVAILABLE, 1, far, None) < 0.5  # type: ignore[operator]
    assert policy.next_sleep(grpc.StatusCode.INTERNAL, 1, far, 0.5) is None


def test_outage_unavailable_is_retried_and_reports_its_retry_delay(proxy_factory: ProxyFactory) -> None:
    proxy = proxy_factory(None)
    proxy.then(unavailable_with_retry_info(0.05), answer(CUSTOMER))
    with Client(proxy.target, initial_backoff_seconds=0.001) as client:
        assert client.get_customer("C1") == CUSTOMER
    assert len(proxy.calls) == 2
    proxy.then(unavailable_with_retry_info(0.05))
    with Client(proxy.target, max_attempts=1) as client, pytest.raises(UnavailableError) as raised:
        client.get_customer("C1")
    assert raised.value.reason == "DATABASE_UNAVAILABLE"
    assert raised.value.retry_delay_seconds == pytest.approx(0.05)


def test_retry_info_longer_than_the_deadline_is_not_retried_early(proxy_factory: ProxyFactory) -> None:
    # The server asks for 5 s, the call has 1 s: retrying after the 1 ms backoff would ignore the
    # server, so the client gives up after one attempt instead.
    proxy = proxy_factory(None)
    proxy.then(unavailable_with_retry_info(5.0), answer(CUSTOMER))
    with (
        Client(proxy.target, timeout_seconds=1.0, initial_backoff_seconds=0.001) as client,
        pytest.raises(UnavailableError),
    ):
        client.get_customer("C1")
    assert len(proxy.calls) == 1


async def test_async_retry_info_longer_than_the_deadline_is_not_retried_early(
    proxy_factory: ProxyFactory,
) -> None:
    proxy = proxy_factory(None)
    proxy.then(unavailable_with_retry_info(5.0), answer(CUSTOMER))
    async with AsyncClient(proxy.target, timeout_seconds=1.0, initial_backoff_seconds=0.001) as client:
        with pytest.raises(UnavailableError) as raised:
            await client.get_customer("C1")
    assert len(proxy.calls) == 1 and raised.value.retry_delay_seconds == 5.0


EUR = money("1.00", "EUR")
# Every mutating call of the client, with the request type the server receives.
MUTATING_CALLS: list[tuple[str, Callable[[Client], object], type[Message]]] = [
    (
        "create_customer",
        lambda c: c.create_customer("C1", display_name="A"),
        customer_service_pb2.CreateCustomerRequest,
    ),
    (
        "batch_create_customers",
        lambda c: c.batch_create_customers([Customer(customer_id="C1", display_name="A")]),
        customer_service_pb2.BatchCreateCustomersRequest,
    ),
    (
        "update_customer",
        lambda c: c.update_customer("C1", display_name="B"),
        customer_service_pb2.UpdateCustomerRequest,
    ),
    (
        "create_invoice",
        lambda c: c.create_invoice("I1", customer_id="C1", amount=EUR, issue_date="2026-01-01"),
        invoice_service_pb2.CreateInvoiceRequest,
    ),
    (
        "batch_create_invoices",
        lambda c: c.batch_create_invoices(
            [Invoice(invoice_id="I1", customer_id="C1", amount=EUR, issue_date="2026-01-01")]
        ),
        invoice_service_pb2.BatchCreateInvoicesRequest,
    ),
    ("void_invoice", lambda c: c.void_invoice("I1", reason="dup"), invoice_service_pb2.VoidInvoiceRequest),
    (
        "create_payment",
        lambda c: c.create_payment("P1", amount=EUR, value_date="2026-01-01"),
        payment_service_pb2.CreatePaymentRequest,
    ),
    (
        "apply_payment",
        lambda c: c.apply_payment("P1", [Allocation(invoice_id="I1", amount=EUR)]),
        payment_service_pb2.ApplyPaymentRequest,
    ),
    ("unapply_payment", lambda c: c.unapply_payment("P1"), payment_service_pb2.UnapplyPaymentRequest),
    (
        "return_goods",
        lambda c: c.return_goods("R1", invoice_id="I1", amount=EUR),
        return_service_pb2.ReturnGoodsRequest,
    ),
    (
        "return_payment",
        lambda c: c.return_payment("R1", payment_id="P1"),
        return_service_pb2.ReturnPaymentRequest,
    ),
    ("auto_apply", lambda c: c.auto_apply(all_payments=True), reconciliation_service_pb2.AutoApplyRequest),
    (
        "resolve_exception",
        lambda c: c.resolve_exception("X1", rank=1),
        reconciliation_service_pb2.ResolveExceptionRequest,
    ),
    (
        "assign_exception",
        lambda c: c.assign_exception("X1", "anna"),
        reconciliation_service_pb2.AssignExceptionRequest,
    ),
    (
        "update_settings",
        lambda c: c.update_settings(matching_tolerance_minor=1),
        reconciliation_service_pb2.UpdateSettingsRequest,
    ),
]


@pytest.mark.parametrize(("name", "call", "request_type"), MUTATING_CALLS, ids=[m[0] for m in MUTATING_CALLS])
def test_every_mutating_call_retries_an_outage_with_the_same_request(
    proxy_factory: ProxyFactory, name: str, call: Callable[[Client], object], request_type: type[Message]
) -> None:
    proxy = proxy_factory(None)
    proxy.then(unavailable_with_retry_info(0.01), lambda recorded, context: b"")
    with Client(proxy.target, initial_backoff_seconds=0.001) as client:
        call(client)
    first, second = proxy.calls
    assert first.requests == second.requests, f"{name} changed its request between attempts"
    request_id = request_type.FromString(first.requests[0]).request_id  # type: ignore[attr-defined]
    assert request_id, f"{name} was sent without a request_id"
