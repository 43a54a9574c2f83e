"""Every method family of the client against a real `cashapp serve` (see conftest.py)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import grpc
import pytest

from cashapp_client import (
    Allocation,
    AlreadyExistsError,
    AsyncClient,
    CashappError,
    Client,
    DecisionOutcome,
    FailedPreconditionError,
    InvalidArgumentError,
    Invoice,
    InvoiceState,
    MatchExceptionState,
    NotFoundError,
    Payment,
    PaymentState,
    PaymentTerms,
    ReturnKind,
    UnauthenticatedError,
    money,
)
from cashapp_client._proto.cashapp.v1 import payment_service_pb2

if TYPE_CHECKING:  # the fixtures hand these out; tests/e2e is not a package to import from
    from conftest import Proxy, RunningServer

Unique = Callable[[str], str]
ISSUE_DATE = "2026-01-15"
VALUE_DATE = "2026-02-01"


@pytest.fixture
def client(server_target: str) -> Iterator[Client]:
    with Client(server_target, initial_backoff_seconds=0.01) as client:
        yield client


def _customer(client: Client, unique: Unique, name: str = "c") -> str:
    customer_id = unique(name)
    client.create_customer(
        customer_id, display_name=f"Customer {customer_id}", payment_terms=PaymentTerms(net_days=30)
    )
    return customer_id


def _invoice(client: Client, customer_id: str, invoice_id: str, amount: str) -> str:
    client.create_invoice(
        invoice_id, customer_id=customer_id, amount=money(amount, "EUR"), issue_date=ISSUE_DATE
    )
    return invoice_id


# Customers ---------------------------------------------------------------------------------------


def test_customer_create_get_update_round_trip(client: Client, unique: Unique) -> None:
    customer_id = unique("cust")
    created = client.create_customer(
        customer_id,
        display_name="ACME GmbH",
        name_aliases=["ACME"],
        payer_accounts=["DE89370400440532013000"],
        payment_terms=PaymentTerms(net_days=30, discount_days=10, discount_basis_points=200),
        tolerance_minor=50,
    )
    assert created.customer_id == customer_id and created.display_name == "ACME GmbH"
    assert client.get_customer(customer_id) == created

    updated = client.update_customer(customer_id, display_name="ACME AG")
    assert updated.display_name == "ACME AG"
    assert list(updated.name_aliases) == ["ACME"], "fields outside the mask are kept"
    assert updated.tolerance_minor == 50
    assert client.get_customer(customer_id).display_name == "ACME AG"

    cleared = client.update_customer(customer_id, clear_tolerance=True)
    assert not cleared.HasField("tolerance_minor"), "the override is gone; the tenant default applies"
    assert cleared.display_name == "ACME AG"
    assert not client.get_customer(customer_id).HasField("tolerance_minor")


def test_identical_create_returns_existing_and_different_content_is_refused(
    client: Client, unique: Unique
) -> None:
    customer_id = unique("dup")
    first = client.create_customer(customer_id, display_name="Same")
    assert client.create_customer(customer_id, display_name="Same") == first
    with pytest.raises(AlreadyExistsError) as raised:
        client.create_customer(customer_id, display_name="Different")
    assert raised.value.reason and raised.value.domain == "cashapp"


def test_unknown_customer_is_not_found_with_a_reason(client: Client, unique: Unique) -> None:
    with pytest.raises(NotFoundError) as raised:
        client.get_customer(unique("missing"))
    assert raised.value.code == grpc.StatusCode.NOT_FOUND
    assert raised.value.reason.isupper()


def test_list_customers_iterates_over_every_page(client: Client, unique: Unique) -> None:
    created = {_customer(client, unique, f"page{i}") for i in range(5)}
    listed = [c.customer_id for c in client.list_customers(page_size=2)]
    assert created <= set(listed)
    assert len(listed) == len(set(listed)), "no customer is listed twice across pages"


# Invoices ----------------------------------------------------------------------------------------


def test_invoice_round_trip_with_decimal_amount(client: Client, unique: Unique) -> None:
    customer_id = _customer(client, unique)
    invoice_id = unique("inv")
    invoice = client.create_invoice(
        invoice_id, customer_id=customer_id, amount=money("123.45", "EUR"), issue_date=ISSUE_DATE
    )
    assert invoice.amount.amount_minor == 12345 and invoice.amount.currency_code == "EUR"
    assert invoice.open_amount.amount_minor == 12345
    assert invoice.state == InvoiceState.INVOICE_STATE_OPEN
    assert invoice.due_date == "2026-02-14", "defaults to issue date + the customer's net days"
    assert client.get_invoice(invoice_id) == invoice


def test_batch_create_and_filtered_listing(client: Client, unique: Unique) -> None:
    customer_id = _customer(client, unique)
    invoices = [
        Invoice(
            invoice_id=unique(f"b{i}"),
            customer_id=customer_id,
            amount=money(f"{10 + i}.00", "EUR"),
            issue_date=ISSUE_DATE,
            due_date=f"2026-03-{10 + i:02d}",
        )
        for i in range(5)
    ]
    created = client.batch_create_invoices(invoices)
    assert [i.invoice_id for i in created] == [i.invoice_id for i in invoices]

    listed = list(client.list_invoices(customer_id=customer_id, page_size=2))
    assert [i.invoice_id for i in listed] == [i.invoice_id for i in invoices]
    due_early = list(client.list_invoices(customer_id=customer_id, due_before="2026-03-12"))
    assert {i.invoice_id for i in due_early} == {invoices[0].invoice_id, invoices[1].invoice_id}

    voided = client.void_invoice(invoices[4].invoice_id, reason="issued by mistake")
    assert voided.state == InvoiceState.INVOICE_STATE_VOIDED
    open_ids = {
        i.invoice_id
        for i in client.list_invoices(customer_id=customer_id, state=InvoiceState.INVOICE_STATE_OPEN)
    }
    assert open_ids == {i.invoice_id for i in invoices[:4]}


def test_unknown_currency_is_invalid_argument_naming_the_currency_field(
    client: Client, unique: Unique
) -> None:
    customer_id = _customer(client, unique)
    with pytest.raises(InvalidArgumentError) as raised:
        client.create_invoice(
            unique("inv"),
            customer_id=customer_id,
            amount=money("1.00", "XXQ"),
            issue_date=ISSUE_DATE,
        )
    error = raised.value
    assert error.domain == "cashapp" and error.reason
    assert any(v.field.endswith("amount.currency_code") for v in error.field_violations), error


def test_precision_finer_than_the_currency_is_refused(client: Client, unique: Unique) -> None:
    customer_id = _customer(client, unique)
    with pytest.raises(InvalidArgumentError) as raised:
        client.create_invoice(
            unique("inv"),
            customer_id=customer_id,
            amount=money("1.001", "EUR"),
            issue_date=ISSUE_DATE,
        )
    assert any("amount" in v.field for v in raised.value.field_violations), raised.value
    exact = client.create_invoice(
        unique("inv"), customer_id=customer_id, amount=money("1.100", "EUR"), issue_date=ISSUE_DATE
    )
    assert exact.amount.amount_minor == 110


def test_invalid_batch_is_refused_as_a_whole(client: Client, unique: Unique) -> None:
    customer_id = _customer(client, unique)
    good = Invoice(
        invoice_id=unique("ok"),
        customer_id=customer_id,
        amount=money("5.00", "EUR"),
        issue_date=ISSUE_DATE,
    )
    bad = Invoice(
        invoice_id=unique("bad"),
        customer_id=customer_id,
        amount=money("5.00", "XXQ"),
        issue_date=ISSUE_DATE,
    )
    with pytest.raises(InvalidArgumentError) as raised:
        client.batch_create_invoices([good, bad])
    assert any("currency_code" in v.field for v in raised.value.field_violations)
    with pytest.raises(NotFoundError):
        client.get_invoice(good.invoice_id)


# Payments ----------------------------------------------------------------------------------------


def test_payment_apply_and_unapply_round_trip(client: Client, unique: Unique) -> None:
    customer_id = _customer(client, unique)
    invoice_id = _invoice(client, customer_id, unique("inv"), "100.00")
    payment_id = unique("pay")
    payment = client.create_payment(
        payment_id, amount=money("100.00", "EUR"), value_date=VALUE_DATE, customer_id=customer_id
    )
    assert payment.state == PaymentState.PAYMENT_STATE_UNAPPLIED
    assert payment.unapplied_amount.amount_minor == 10000
    assert client.get_payment(payment_id) == payment

    applied = client.apply_payment(
        payment_id, [Allocation(invoice_id=invoice_id, amount=money("100.00", "EUR"))]
    )
    assert applied.state == PaymentState.PAYMENT_STATE_APPLIED
    assert applied.applied_amount.amount_minor == 10000
    assert client.get_invoice(invoice_id).state == InvoiceState.INVOICE_STATE_PAID
    with pytest.raises(FailedPreconditionError):
        client.void_invoice(invoice_id)

    unapplied = client.unapply_payment(payment_id)
    assert unapplied.state == PaymentState.PAYMENT_STATE_UNAPPLIED
    assert client.get_invoice(invoice_id).open_amount.amount_minor == 10000

    listed = list(client.list_payments(customer_id=customer_id))
    assert [p.payment_id for p in listed] == [payment_id]


def test_same_request_id_returns_the_stored_response(client: Client, unique: Unique) -> None:
    payment_id = unique("idem")
    key = unique("key")
    first = client.create_payment(
        payment_id, amount=money("7.00", "EUR"), value_date=VALUE_DATE, request_id=key
    )
    again = client.create_payment(
        payment_id, amount=money("7.00", "EUR"), value_date=VALUE_DATE, request_id=key
    )
    assert again == first
    with pytest.raises(InvalidArgumentError) as raised:
        client.create_payment(
            unique("other"), amount=money("7.00", "EUR"), value_date=VALUE_DATE, request_id=key
        )
    assert raised.value.reason


def test_import_payments_in_chunks_reports_every_payment(client: Client, unique: Unique) -> None:
    prefix = unique("imp")
    payments = [
        Payment(payment_id=f"{prefix}-{i}", amount=money(100 + i, "EUR"), value_date=VALUE_DATE)
        for i in range(2100)
    ]
    response = client.import_payments(iter(payments))
    assert (response.created_count, response.existing_count, response.failed_count) == (
        2100,
        0,
        0,
    )
    assert [r.payment_id for r in response.results] == [p.payment_id for p in payments]
    assert client.get_payment(f"{prefix}-2099").amount.amount_minor == 2199

    bad = Payment(payment_id=f"{prefix}-bad", amount=money("1.00", "XXQ"), value_date=VALUE_DATE)
    again = client.import_payments([*payments[:10], bad], chunk_size=4)
    assert (again.created_count, again.existing_count, again.failed_count) == (0, 10, 1)
    failed = [r for r in again.results if r.result == "FAILED"]
    assert failed[0].payment_id == f"{prefix}-bad" and failed[0].error_reason


# Returns -----------------------------------------------------------------------------------------


def test_goods_and_payment_returns(client: Client, unique: Unique) -> None:
    customer_id = _customer(client, unique)
    invoice_id = _invoice(client, customer_id, unique("inv"), "50.00")
    goods = client.return_goods(
        unique("rg"), invoice_id=invoice_id, amount=money("20.00", "EUR"), reason_code="DAMAGED"
    )
    assert goods.kind == ReturnKind.RETURN_KIND_GOODS
    assert goods.credited_to_invoice.amount_minor == 2000
    assert client.get_invoice(invoice_id).open_amount.amount_minor == 3000
    assert client.get_return(goods.return_id) == goods

    payment_id = unique("pay")
    client.create_payment(
        payment_id, amount=money("30.00", "EUR"), value_date=VALUE_DATE, customer_id=customer_id
    )
    client.apply_payment(payment_id, [Allocation(invoice_id=invoice_id, amount=money("30.00", "EUR"))])
    returned = client.return_payment(unique("rp"), payment_id=payment_id, reason_code="R01")
    assert returned.kind == ReturnKind.RETURN_KIND_PAYMENT
    assert list(returned.reopened_invoice_ids) == [invoice_id]
    assert client.get_payment(payment_id).state == PaymentState.PAYMENT_STATE_RETURNED
    assert client.get_invoice(invoice_id).open_amount.amount_minor == 3000

    payment_returns = {r.return_id for r in client.list_returns(kind=ReturnKind.RETURN_KIND_PAYMENT)}
    assert returned.return_id in payment_returns and goods.return_id not in payment_returns


# Reconciliation ----------------------------------------------------------------------------------


def test_auto_apply_a_clear_reference_match_and_explain_it(client: Client, unique: Unique) -> None:
    customer_id = _customer(client, unique)
    invoice_id = _invoice(client, customer_id, unique("INV"), "250.00")
    payment_id = unique("pay")
    client.create_payment(
        payment_id,
        amount=money("250.00", "EUR"),
        value_date=VALUE_DATE,
        customer_id=customer_id,
        references=[invoice_id],
    )
    response = client.auto_apply(payment_ids=[payment_id])
    (decision,) = response.decisions
    assert decision.outcome == DecisionOutcome.DECISION_OUTCOME_AUTO_APPLIED
    assert response.auto_applied_count == 1
    assert decision.explanation.summary
    assert client.get_invoice(invoice_id).state == InvoiceState.INVOICE_STATE_PAID
    assert [d.decision_id for d in client.list_decisions(payment_id=payment_id)] == [decision.decision_id]


def test_ambiguous_match_goes_to_the_exception_queue_and_resolves_by_rank(
    client: Client, unique: Unique
) -> None:
    customer_id = _customer(client, unique)
    first = _invoice(client, customer_id, unique("A"), "40.00")
    second = _invoice(client, customer_id, unique("B"), "40.00")
    payment_id = unique("pay")
    client.create_payment(
        payment_id, amount=money("40.00", "EUR"), value_date=VALUE_DATE, customer_id=customer_id
    )
    response = client.auto_apply(customer_id=customer_id)
    (decision,) = [d for d in response.decisions if d.payment_id == payment_id]
    assert decision.outcome == DecisionOutcome.DECISION_OUTCOME_SUGGESTED

    (exception,) = [e for e in client.list_exceptions() if e.payment_id == payment_id]
    assert exception.state == MatchExceptionState.MATCH_EXCEPTION_STATE_OPEN
    assert len(exception.suggestions) >= 2
    resolved = client.resolve_exception(exception.exception_id, rank=1)
    assert resolved.state == MatchExceptionState.MATCH_EXCEPTION_STATE_RESOLVED
    states = {client.get_invoice(i).state for i in (first, second)}
    assert states == {InvoiceState.INVOICE_STATE_PAID, InvoiceState.INVOICE_STATE_OPEN}
    open_ids = {e.exception_id for e in client.list_exceptions()}
    assert exception.exception_id not in open_ids


def test_auto_apply_scope_all_payments(client: Client) -> None:
    response = client.auto_apply(all_payments=True)
    assert response.auto_applied_count + response.suggested_count + response.unmatched_count == len(
        response.decisions
    )


def test_reconciliation_report_passes(client: Client) -> None:
    report = client.get_reconciliation_report()
    assert report.invariants
    assert report.all_passed, [i for i in report.invariants if not i.passed]


# Retries through a proxy in front of the real server ---------------------------------------------


def test_retry_after_unavailable_applies_the_payment_once(
    server_target: str, proxy_factory: Callable[[str | None], Proxy], unique: Unique
) -> None:
    proxy = proxy_factory(server_target)
    proxy.fail_next(2)
    payment_id = unique("retry")
    with Client(proxy.target, initial_backoff_seconds=0.01) as client:
        payment = client.create_payment(payment_id, amount=money("9.99", "EUR"), value_date=VALUE_DATE)
    assert payment.amount.amount_minor == 999
    requests = [payment_service_pb2.CreatePaymentRequest.FromString(c.requests[0]) for c in proxy.calls]
    assert len(requests) == 3 and len({r.request_id for r in requests}) == 1


def test_retry_whose_first_attempt_took_effect_is_answered_from_storage(
    server_target: str, proxy_factory: Callable[[str | None], Proxy], unique: Unique
) -> None:
    """The worst case for at-most-once: the server applied the call but the answer was lost."""
    proxy = proxy_factory(server_target)
    seen: list[bytes] = []

    def forward_then_lose_the_answer(call, context):  # type: ignore[no-untyped-def]
        seen.append(call.requests[0])
        with grpc.insecure_channel(server_target) as channel:
            channel.unary_unary(call.method)(call.requests[0], timeout=5)
        context.abort(grpc.StatusCode.UNAVAILABLE, "connection lost after the server acted")

    proxy.then(forward_then_lose_the_answer)
    payment_id = unique("p")
    invoice_id = unique("inv")
    with Client(server_target) as direct:
        customer_id = _customer(direct, unique)
        _invoice(direct, customer_id, invoice_id, "10.00")
        direct.create_payment(
            payment_id, amount=money("10.00", "EUR"), value_date=VALUE_DATE, customer_id=customer_id
        )
    with Client(proxy.target, initial_backoff_seconds=0.01) as client:
        payment = client.apply_payment(
            payment_id, [Allocation(invoice_id=invoice_id, amount=money("10.00", "EUR"))]
        )
    assert len(proxy.calls) == 2
    assert payment.applied_amount.amount_minor == 1000
    assert len([a for a in payment.applications if not a.reverses_application_id]) == 1


def test_call_made_before_the_server_starts_succeeds_once_it_is_up(
    server_factory: Callable[..., RunningServer], unique: Unique
) -> None:
    with socket.socket() as probe:  # a free port nobody listens on yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    customer_id = unique("late")
    outcome: list[object] = []

    def call() -> None:
        # Backoff 0.25, 0.5, 1, 2, 4 s: the server (a second or two to start) is up in between.
        with Client(
            f"127.0.0.1:{port}", max_attempts=6, initial_backoff_seconds=0.25, timeout_seconds=30
        ) as client:
            try:
                outcome.append(client.create_customer(customer_id, display_name="Late"))
            except CashappError as error:
                outcome.append(error)

    caller = threading.Thread(target=call)
    caller.start()
    server = server_factory(port=port)
    caller.join(timeout=40)
    (result,) = outcome
    assert not isinstance(result, CashappError), result
    with Client(server.target) as client:
        assert client.get_customer(customer_id).display_name == "Late"


def test_invalid_argument_from_the_server_is_not_retried(
    server_target: str, proxy_factory: Callable[[str | None], Proxy], unique: Unique
) -> None:
    proxy = proxy_factory(server_target)
    with Client(proxy.target) as client, pytest.raises(InvalidArgumentError):
        client.create_payment(unique("p"), amount=money("1.00", "XXQ"), value_date=VALUE_DATE)
    assert len(proxy.calls) == 1


# Authentication ----------------------------------------------------------------------------------


def test_tokens_authenticate_and_separate_tenants(
    server_factory: Callable[..., RunningServer], unique: Unique
) -> None:
    server = server_factory({"CASHAPP_TOKENS": "tok-a=tenant-a,tok-b=tenant-b"})
    customer_id = unique("tenant")
    with Client(server.target, token="tok-a") as tenant_a:
        tenant_a.create_customer(customer_id, display_name="Only in A")
        assert tenant_a.get_customer(customer_id).display_name == "Only in A"
    with Client(server.target, token="tok-b") as tenant_b, pytest.raises(NotFoundError):
        tenant_b.get_customer(customer_id)
    with Client(server.target) as anonymous, pytest.raises(UnauthenticatedError):
        anonymous.get_customer(customer_id)
    with Client(server.target, token="wrong") as wrong, pytest.raises(CashappError) as raised:
        wrong.get_customer(customer_id)
    assert raised.value.code == grpc.StatusCode.UNAUTHENTICATED


# The asyncio client ------------------------------------------------------------------------------


async def test_async_client_round_trips(server_target: str, unique: Unique) -> None:
    async with AsyncClient(server_target) as client:
        customer_id = unique("async")
        await client.create_customer(customer_id, display_name="Async Ltd")
        assert (await client.get_customer(customer_id)).display_name == "Async Ltd"
        invoice_ids = [unique(f"ainv{i}") for i in range(3)]
        for invoice_id in invoice_ids:
            await client.create_invoice(
                invoice_id,
                customer_id=customer_id,
                amount=money("10.00", "EUR"),
                issue_date=ISSUE_DATE,
            )
        listed = [i.invoice_id async for i in client.list_invoices(customer_id=customer_id, page_size=2)]
        assert listed == invoice_ids

        payment_id = unique("apay")
        await client.create_payment(
            payment_id, amount=money("10.00", "EUR"), value_date=VALUE_DATE, customer_id=customer_id
        )
        payment = await client.apply_payment(
            payment_id, [Allocation(invoice_id=invoice_ids[0], amount=money("10.00", "EUR"))]
        )
        assert payment.state == PaymentState.PAYMENT_STATE_APPLIED

        prefix = unique("aimp")
        imported = await client.import_payments(
            Payment(payment_id=f"{prefix}-{i}", amount=money(1 + i, "EUR"), value_date=VALUE_DATE)
            for i in range(1500)
        )
        assert imported.created_count == 1500

        with pytest.raises(InvalidArgumentError) as raised:
            await client.create_invoice(
                unique("bad"),
                customer_id=customer_id,
                amount=money("1.00", "XXQ"),
                issue_date=ISSUE_DATE,
            )
        assert any("currency_code" in v.field for v in raised.value.field_violations)
        assert (await client.get_reconciliation_report()).all_passed
