"""Bad input through the real server: every refusal names its status class, its ErrorInfo reason
and the offending field, and leaves the books exactly as they were; on SQLite and PostgreSQL.

The refusals share one booked server per backend (module scope: a server per case would cost more
than the cases). Each case snapshots every balance and resource before and after, so a refusal
that changed anything fails, and the invariants are checked after each case and at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2

from cashapp_client import Allocation as Alloc
from cashapp_client import (
    AlreadyExistsError,
    CashappError,
    Client,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    error_from_grpc,
    money,
)
from cashapp_client import Payment as Pay
from cashapp_client._proto.cashapp.v1 import customer_service_pb2 as cs
from cashapp_client._proto.cashapp.v1 import invoice_service_pb2 as ivs
from cashapp_client._proto.cashapp.v1 import payment_service_pb2 as ps
from cashapp_client._proto.cashapp.v1 import reconciliation_service_pb2 as rs
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from cashapp_client._proto.cashapp.v1 import return_service_pb2 as rts
from engine.storage.pagination import encode_token
from server.app import run_in_thread
from server.config import Settings
from tests.databases import database

IBAN = "DE89370400440532013000"
BAD_IBAN = "DE89370400440532013001"  # one digit off: checksum fails
SETUP_REQUEST_ID = "setup-apply-p-eur"


# --- one booked server per backend ------------------------------------------------------------


@dataclass
class Books:
    client: Client
    exception_id: str
    application_id: str  # active: P-EUR -> INV-2, 30.00
    reversed_application_id: str  # P-UN -> INV-1, reversed by unapply


def _book(c: Client) -> Books:
    c.create_customer("C1", display_name="ACME GmbH", payer_accounts=[IBAN])
    c.create_customer("C2", display_name="Beta Ltd")
    for iid, amount, currency in (
        ("INV-1", "100.00", "EUR"),
        ("INV-2", "50.00", "EUR"),
        ("INV-3", "73.00", "EUR"),
        ("INV-4", "73.00", "EUR"),
        ("INV-V", "5.00", "EUR"),
        ("INV-J", "1000", "JPY"),
    ):
        c.create_invoice(iid, customer_id="C1", amount=money(amount, currency), issue_date="2026-11-01")
    c.void_invoice("INV-V", reason="issued in error")
    for pid, amount, currency in (
        ("P-EUR", "120.00", "EUR"),
        ("P-USD", "100.00", "USD"),
        ("P-UN", "10.00", "EUR"),
        ("P-RET", "10.00", "EUR"),
    ):
        c.create_payment(pid, amount=money(amount, currency), value_date="2026-11-20", customer_id="C1")
    paid = c.apply_payment(
        "P-EUR", [Alloc(invoice_id="INV-2", amount=money("30.00", "EUR"))], request_id=SETUP_REQUEST_ID
    )
    c.apply_payment("P-UN", [Alloc(invoice_id="INV-1", amount=money("10.00", "EUR"))])
    unapplied = c.unapply_payment("P-UN")
    c.return_payment("R-1", payment_id="P-RET", reason_code="R01")
    c.return_goods("G-1", invoice_id="INV-1", amount=money("1.00", "EUR"), reason_code="DAMAGED")
    c.create_payment("P-AMB", amount=money("73.00", "EUR"), value_date="2026-11-20", payer_name="Acme GmbH")
    result = c.auto_apply(payment_ids=["P-AMB"])
    assert result.decisions[0].outcome == pb.DECISION_OUTCOME_SUGGESTED
    (exception,) = list(c.list_exceptions())
    assert len(exception.suggestions) == 2
    (reversed_app,) = [a for a in unapplied.applications if a.reversed_by_application_id]
    return Books(c, exception.exception_id, paid.applications[0].application_id, reversed_app.application_id)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def books(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Books]:
    urls = database(request.param, tmp_path_factory.mktemp("bad_input"))
    url = next(urls)
    try:
        with (
            run_in_thread(Settings(database_url=url, listen="127.0.0.1:0")) as running,
            Client(f"127.0.0.1:{running.port}", timeout_seconds=30) as c,
        ):
            yield _book(c)
            report = c.get_reconciliation_report()
            assert report.all_passed, [i.name for i in report.invariants if not i.passed]
    finally:
        urls.close()


# --- helpers ----------------------------------------------------------------------------------


def _snapshot(c: Client) -> dict[str, Any]:
    """Every balance and every resource, serialized: equal snapshots, unchanged books."""
    report = c.get_reconciliation_report()
    assert report.all_passed, [i.name for i in report.invariants if not i.passed]

    def ser(items: Iterator[Any]) -> list[bytes]:
        return [i.SerializeToString(deterministic=True) for i in items]

    return {
        "balances": sorted(
            (b.account, b.currency_code, b.debit_minor, b.credit_minor, b.balance_minor)
            for b in report.balances
        ),
        "customers": ser(c.list_customers()),
        "invoices": ser(c.list_invoices()),
        "payments": ser(c.list_payments()),
        "returns": ser(c.list_returns()),
        "open_exceptions": ser(c.list_exceptions(state=pb.MATCH_EXCEPTION_STATE_OPEN)),
        "resolved_exceptions": ser(c.list_exceptions(state=pb.MATCH_EXCEPTION_STATE_RESOLVED)),
        "decisions": ser(c.list_decisions()),
        "superseded_exceptions": ser(c.list_exceptions(state=pb.MATCH_EXCEPTION_STATE_SUPERSEDED)),
        "settings": c.get_settings().SerializeToString(deterministic=True),
    }


def _raw(method: Any, request: Any) -> Any:
    """Calls a raw stub (for requests the typed client refuses to build), mapping errors."""
    try:
        return method(request, timeout=30)
    except grpc.RpcError as error:
        raise error_from_grpc(error) from error


def _refused(
    b: Books, call: Callable[[Books], object], error: type[CashappError], reason: str, field: str
) -> CashappError:
    before = _snapshot(b.client)
    with pytest.raises(error) as caught:
        call(b)
    assert caught.value.domain == "cashapp"
    assert caught.value.reason == reason, caught.value
    assert [v.field for v in caught.value.field_violations] == [field], caught.value
    assert _snapshot(b.client) == before, "a refused request changed the books"
    return caught.value


def _inv(iid: str, amount: pb.Money, **kw: str) -> Callable[[Books], object]:
    kw = {"customer_id": "C1", "issue_date": "2026-11-01", **kw}
    return lambda b: b.client.create_invoice(iid, amount=amount, **kw)


def _pay(pid: str, amount: pb.Money, **kw: str) -> Callable[[Books], object]:
    kw = {"value_date": "2026-11-20", **kw}
    return lambda b: b.client.create_payment(pid, amount=amount, **kw)


def _apply(pid: str, *allocs: tuple[str, pb.Money]) -> Callable[[Books], object]:
    return lambda b: b.client.apply_payment(pid, [Alloc(invoice_id=i, amount=a) for i, a in allocs])


def _m(amount_minor: int, currency: str = "EUR", scale: int | None = None) -> pb.Money:
    return pb.Money(currency_code=currency, amount_minor=amount_minor, scale=scale)


def _invoice_msg(iid: str, amount: pb.Money) -> pb.Invoice:
    return pb.Invoice(invoice_id=iid, customer_id="C1", amount=amount, issue_date="2026-11-01")


def _batch(invoices: list[pb.Invoice]) -> Callable[[Books], object]:
    request = ivs.BatchCreateInvoicesRequest(
        requests=[ivs.CreateInvoiceRequest(invoice_id=i.invoice_id, invoice=i) for i in invoices],
        request_id=str(uuid.uuid4()),
    )
    return lambda b: _raw(b.client.invoice_service.BatchCreateInvoices, request)


def _import_chunk(payments: list[pb.Payment]) -> Callable[[Books], object]:
    chunk = ps.ImportPaymentsRequest(payments=payments, request_id=str(uuid.uuid4()))
    return lambda b: _raw(b.client.payment_service.ImportPayments, iter([chunk]))


def _pay_msg(pid: str) -> pb.Payment:
    return pb.Payment(payment_id=pid, amount=_m(100), value_date="2026-11-20")


def _list_call(stub: str, method: str, request: Any) -> Callable[[Books], object]:
    return lambda b: _raw(getattr(getattr(b.client, stub), method), request)


def _resolve_rank(rank: int) -> Callable[[Books], object]:
    def call(b: Books) -> object:
        request = rs.ResolveExceptionRequest(
            exception_id=b.exception_id, accept_suggestion_rank=rank, request_id=str(uuid.uuid4())
        )
        return _raw(b.client.reconciliation_service.ResolveException, request)

    return call


def _foreign_page_token(b: Books) -> object:
    """A genuine token of a list filtered by customer, replayed on the unfiltered list."""
    request = ivs.ListInvoicesRequest(page_size=1, customer_id="C1")
    first = _raw(b.client.invoice_service.ListInvoices, request)
    assert first.next_page_token
    return _raw(
        b.client.invoice_service.ListInvoices,
        ivs.ListInvoicesRequest(page_size=1, page_token=first.next_page_token),
    )


LIST_METHODS = (
    ("customer_service", "ListCustomers", cs.ListCustomersRequest),
    ("invoice_service", "ListInvoices", ivs.ListInvoicesRequest),
    ("payment_service", "ListPayments", ps.ListPaymentsRequest),
    ("return_service", "ListReturns", rts.ListReturnsRequest),
    ("reconciliation_service", "ListExceptions", rs.ListExceptionsRequest),
    ("reconciliation_service", "ListDecisions", rs.ListDecisionsRequest),
)
IA, NF, AE, FP = InvalidArgumentError, NotFoundError, AlreadyExistsError, FailedPreconditionError
EUR = "EUR"

# (call, error class, reason, field)
MONEY_CASES = [
    pytest.param(
        _inv("N", money("0.00", EUR)),
        IA,
        "AMOUNT_MUST_BE_POSITIVE",
        "invoice.amount.amount_minor",
        id="invoice-zero",
    ),
    pytest.param(
        _inv("N", money("-5.00", EUR)),
        IA,
        "AMOUNT_MUST_BE_POSITIVE",
        "invoice.amount.amount_minor",
        id="invoice-negative",
    ),
    pytest.param(
        _pay("N", money("0.00", EUR)),
        IA,
        "AMOUNT_MUST_BE_POSITIVE",
        "payment.amount.amount_minor",
        id="payment-zero",
    ),
    pytest.param(
        _pay("N", money("-0.01", EUR)),
        IA,
        "AMOUNT_MUST_BE_POSITIVE",
        "payment.amount.amount_minor",
        id="payment-negative",
    ),
    pytest.param(
        _apply("P-EUR", ("INV-1", money("0.00", EUR))),
        IA,
        "AMOUNT_MUST_BE_POSITIVE",
        "allocations[0].amount.amount_minor",
        id="allocation-zero",
    ),
    pytest.param(
        _apply("P-EUR", ("INV-1", money("-1.00", EUR))),
        IA,
        "AMOUNT_MUST_NOT_BE_NEGATIVE",
        "allocations[0].amount.amount_minor",
        id="allocation-negative",
    ),
    pytest.param(
        lambda b: b.client.return_goods("G-N", invoice_id="INV-1", amount=money("0", EUR)),
        IA,
        "AMOUNT_MUST_BE_POSITIVE",
        "amount.amount_minor",
        id="credit-memo-zero",
    ),
    pytest.param(
        _inv("N", money("10.00", "XXX")),
        IA,
        "UNKNOWN_CURRENCY",
        "invoice.amount.currency_code",
        id="invoice-unknown-currency",
    ),
    pytest.param(
        _inv("N", money("10.00", "eur")),
        IA,
        "UNKNOWN_CURRENCY",
        "invoice.amount.currency_code",
        id="invoice-lowercase-currency",
    ),
    pytest.param(
        _pay("N", money("10.00", "ABC")),
        IA,
        "UNKNOWN_CURRENCY",
        "payment.amount.currency_code",
        id="payment-unknown-currency",
    ),
    pytest.param(
        _pay("N", money("10.00", "")),
        IA,
        "MISSING_CURRENCY",
        "payment.amount.currency_code",
        id="payment-missing-currency",
    ),
    pytest.param(
        _apply("P-EUR", ("INV-1", money("1.00", "QQQ"))),
        IA,
        "UNKNOWN_CURRENCY",
        "allocations[0].amount.currency_code",
        id="allocation-unknown-currency",
    ),
    pytest.param(
        _inv("N", money("10.005", EUR)),
        IA,
        "PRECISION_FINER_THAN_CURRENCY",
        "invoice.amount.amount_minor",
        id="eur-scale-3",
    ),
    pytest.param(
        _inv("N", money("1000.50", "JPY")),
        IA,
        "PRECISION_FINER_THAN_CURRENCY",
        "invoice.amount.amount_minor",
        id="jpy-scale-2",
    ),
    pytest.param(
        _pay("N", money("0.001", EUR)),
        IA,
        "PRECISION_FINER_THAN_CURRENCY",
        "payment.amount.amount_minor",
        id="payment-eur-scale-3",
    ),
    pytest.param(
        _apply("P-EUR", ("INV-1", money("10.005", EUR))),
        IA,
        "PRECISION_FINER_THAN_CURRENCY",
        "allocations[0].amount.amount_minor",
        id="allocation-eur-scale-3",
    ),
    pytest.param(
        _inv("N", _m(1, scale=10)), IA, "INVALID_SCALE", "invoice.amount.scale", id="scale-too-large"
    ),
    pytest.param(
        _inv("N", _m(1, scale=-1)), IA, "INVALID_SCALE", "invoice.amount.scale", id="scale-negative"
    ),
    pytest.param(
        _inv("N", money(10**15 + 1, EUR)),
        IA,
        "AMOUNT_OUT_OF_RANGE",
        "invoice.amount.amount_minor",
        id="invoice-out-of-range",
    ),
    pytest.param(
        _pay("N", money("10000000000000.01", EUR)),
        IA,
        "AMOUNT_OUT_OF_RANGE",
        "payment.amount.amount_minor",
        id="payment-out-of-range",
    ),
    pytest.param(
        _inv("N", _m(2**62, EUR, scale=0)),
        IA,
        "AMOUNT_OUT_OF_RANGE",
        "invoice.amount.amount_minor",
        id="scale-up-out-of-range",
    ),
    pytest.param(
        _inv("N", money(2**63 - 1, EUR)),
        IA,
        "AMOUNT_OUT_OF_RANGE",
        "invoice.amount.amount_minor",
        id="int64-max",
    ),
    pytest.param(
        _apply("P-EUR", ("INV-1", money(10**15 + 1, EUR))),
        IA,
        "AMOUNT_OUT_OF_RANGE",
        "allocations[0].amount.amount_minor",
        id="allocation-out-of-range",
    ),
]

CURRENCY_AND_BALANCE_CASES = [
    pytest.param(
        _apply("P-USD", ("INV-1", money("10.00", "USD"))),
        FP,
        "PAYMENT_CURRENCY_MUST_MATCH_INVOICE",
        "allocations[0].invoice_id",
        id="usd-payment-to-eur-invoice",
    ),
    pytest.param(
        _apply("P-EUR", ("INV-1", money("10.00", "USD"))),
        IA,
        "PAYMENT_CURRENCY_MUST_MATCH_ALLOCATION",
        "allocations[0].amount.currency_code",
        id="allocation-in-other-currency",
    ),
    pytest.param(
        _apply("P-EUR", ("INV-J", money("10.00", EUR))),
        FP,
        "PAYMENT_CURRENCY_MUST_MATCH_INVOICE",
        "allocations[0].invoice_id",
        id="eur-payment-to-jpy-invoice",
    ),
    pytest.param(
        lambda b: b.client.return_goods("G-N", invoice_id="INV-1", amount=money("1", "USD")),
        IA,
        "CURRENCY_MISMATCH",
        "amount.currency_code",
        id="credit-memo-other-currency",
    ),
    pytest.param(
        _apply("P-EUR", ("INV-1", money("95.00", EUR))),
        FP,
        "PAYMENT_OVER_APPLIED",
        "allocations",
        id="more-than-the-payment",
    ),
    pytest.param(
        _apply("P-EUR", ("INV-1", money("60.00", EUR)), ("INV-3", money("40.00", EUR))),
        FP,
        "PAYMENT_OVER_APPLIED",
        "allocations",
        id="more-than-the-payment-in-sum",
    ),
    pytest.param(
        _apply("P-EUR", ("INV-2", money("25.00", EUR))),
        FP,
        "INVOICE_OVER_APPLIED",
        "allocations[0].amount.amount_minor",
        id="more-than-the-open-amount",
    ),
    pytest.param(
        lambda b: b.client.apply_payment(
            "P-EUR", [Alloc(invoice_id="INV-2", amount=money("15.00", EUR), discount=money("10.00", EUR))]
        ),
        FP,
        "INVOICE_OVER_APPLIED",
        "allocations[0].amount.amount_minor",
        id="amount-plus-discount-beyond-open",
    ),
    pytest.param(
        _apply("P-EUR", ("INV-1", money("1.00", EUR)), ("INV-1", money("1.00", EUR))),
        IA,
        "DUPLICATE_INVOICE",
        "allocations[1].invoice_id",
        id="same-invoice-twice",
    ),
    pytest.param(
        _apply("P-EUR", ("INV-V", money("1.00", EUR))),
        FP,
        "INVOICE_VOIDED",
        "allocations[0].invoice_id",
        id="apply-to-void-invoice",
    ),
    pytest.param(
        _apply("P-RET", ("INV-1", money("1.00", EUR))),
        FP,
        "PAYMENT_RETURNED",
        "payment_id",
        id="apply-returned-payment",
    ),
    pytest.param(
        lambda b: b.client.void_invoice("INV-2"),
        FP,
        "INVOICE_HAS_APPLIED_MONEY",
        "invoice_id",
        id="void-invoice-with-money-applied",
    ),
    pytest.param(
        lambda b: b.client.return_payment("R-N", payment_id="P-RET"),
        FP,
        "PAYMENT_ALREADY_RETURNED",
        "payment_id",
        id="return-payment-twice",
    ),
    pytest.param(
        lambda b: b.client.return_goods("G-N", invoice_id="INV-1", amount=money("100.01", EUR)),
        FP,
        "CREDIT_MEMO_EXCEEDS_INVOICE",
        "amount.amount_minor",
        id="credit-memo-beyond-invoice",
    ),
    pytest.param(
        lambda b: b.client.unapply_payment("P-UN", application_ids=[b.reversed_application_id]),
        FP,
        "APPLICATION_NOT_ACTIVE",
        "application_ids[0]",
        id="unapply-reversed-application",
    ),
    pytest.param(
        lambda b: b.client.unapply_payment("P-USD"),
        FP,
        "NOTHING_TO_UNAPPLY",
        "payment_id",
        id="unapply-nothing",
    ),
    pytest.param(
        lambda b: b.client.create_customer("C-N", display_name="X", payer_accounts=[IBAN]),
        FP,
        "PAYER_ACCOUNT_BELONGS_TO_ANOTHER_CUSTOMER",
        "customer.payer_accounts[0]",
        id="payer-account-of-another-customer",
    ),
    pytest.param(
        lambda b: _raw(
            b.client.payment_service.ApplyPayment,
            ps.ApplyPaymentRequest(payment_id="P-EUR", request_id=str(uuid.uuid4())),
        ),
        IA,
        "INVALID_ALLOCATION_COUNT",
        "allocations",
        id="no-allocations",
    ),
    pytest.param(
        lambda b: _raw(
            b.client.payment_service.ApplyPayment,
            ps.ApplyPaymentRequest(
                payment_id="P-EUR",
                request_id=str(uuid.uuid4()),
                allocations=[Alloc(invoice_id=f"X{i}", amount=money("0.01", EUR)) for i in range(101)],
            ),
        ),
        IA,
        "INVALID_ALLOCATION_COUNT",
        "allocations",
        id="101-allocations",
    ),
]

NOT_FOUND_CASES = [
    pytest.param(
        lambda b: b.client.get_customer("NOPE"), NF, "CUSTOMER_NOT_FOUND", "customer_id", id="get-customer"
    ),
    pytest.param(
        lambda b: b.client.update_customer("NOPE", display_name="X"),
        NF,
        "CUSTOMER_NOT_FOUND",
        "customer.customer_id",
        id="update-customer",
    ),
    pytest.param(
        lambda b: b.client.get_invoice("NOPE"), NF, "INVOICE_NOT_FOUND", "invoice_id", id="get-invoice"
    ),
    pytest.param(
        lambda b: b.client.void_invoice("NOPE"), NF, "INVOICE_NOT_FOUND", "invoice_id", id="void-invoice"
    ),
    pytest.param(
        _inv("N", money("1.00", EUR), customer_id="NOPE"),
        NF,
        "CUSTOMER_NOT_FOUND",
        "invoice.customer_id",
        id="invoice-of-unknown-customer",
    ),
    pytest.param(
        _pay("N", money("1.00", EUR), customer_id="NOPE"),
        NF,
        "CUSTOMER_NOT_FOUND",
        "payment.customer_id",
        id="payment-of-unknown-customer",
    ),
    pytest.param(
        lambda b: b.client.get_payment("NOPE"), NF, "PAYMENT_NOT_FOUND", "payment_id", id="get-payment"
    ),
    pytest.param(
        _apply("NOPE", ("INV-1", money("1.00", EUR))),
        NF,
        "PAYMENT_NOT_FOUND",
        "payment_id",
        id="apply-unknown-payment",
    ),
    pytest.param(
        _apply("P-EUR", ("NOPE", money("1.00", EUR))),
        NF,
        "INVOICE_NOT_FOUND",
        "allocations[0].invoice_id",
        id="apply-to-unknown-invoice",
    ),
    pytest.param(
        lambda b: b.client.unapply_payment("NOPE"),
        NF,
        "PAYMENT_NOT_FOUND",
        "payment_id",
        id="unapply-unknown-payment",
    ),
    pytest.param(
        lambda b: b.client.unapply_payment("P-EUR", application_ids=["NOPE"]),
        NF,
        "APPLICATION_NOT_FOUND",
        "application_ids[0]",
        id="unapply-unknown-application",
    ),
    pytest.param(
        lambda b: b.client.unapply_payment("P-EUR", application_ids=[b.reversed_application_id]),
        NF,
        "APPLICATION_NOT_FOUND",
        "application_ids[0]",
        id="application-of-another-payment",
    ),
    pytest.param(lambda b: b.client.get_return("NOPE"), NF, "RETURN_NOT_FOUND", "return_id", id="get-return"),
    pytest.param(
        lambda b: b.client.return_payment("R-N", payment_id="NOPE"),
        NF,
        "PAYMENT_NOT_FOUND",
        "payment_id",
        id="return-unknown-payment",
    ),
    pytest.param(
        lambda b: b.client.return_goods("G-N", invoice_id="NOPE", amount=money("1", EUR)),
        NF,
        "INVOICE_NOT_FOUND",
        "invoice_id",
        id="credit-memo-on-unknown-invoice",
    ),
    pytest.param(
        lambda b: b.client.resolve_exception("NOPE", rank=1),
        NF,
        "EXCEPTION_NOT_FOUND",
        "exception_id",
        id="resolve-unknown-exception",
    ),
    pytest.param(
        lambda b: b.client.resolve_exception(
            "NOPE", allocations=[Alloc(invoice_id="INV-3", amount=money("1.00", EUR))]
        ),
        NF,
        "EXCEPTION_NOT_FOUND",
        "exception_id",
        id="resolve-unknown-exception-with-allocations",
    ),
    pytest.param(
        lambda b: b.client.auto_apply(payment_ids=["P-EUR", "NOPE"]),
        NF,
        "PAYMENT_NOT_FOUND",
        "payments.payment_ids[1]",
        id="auto-apply-unknown-payment",
    ),
    pytest.param(
        lambda b: b.client.auto_apply(customer_id="NOPE"),
        NF,
        "CUSTOMER_NOT_FOUND",
        "customer_id",
        id="auto-apply-unknown-customer",
    ),
]

REQUEST_CASES = [
    pytest.param(
        lambda b: b.client.apply_payment(
            "P-EUR", [Alloc(invoice_id="INV-1", amount=money("10.00", EUR))], request_id=SETUP_REQUEST_ID
        ),
        IA,
        "REQUEST_ID_REUSED_WITH_DIFFERENT_REQUEST",
        "request_id",
        id="request-id-reused-same-method",
    ),
    pytest.param(
        lambda b: b.client.create_payment(
            "N", amount=money("1", EUR), value_date="2026-11-20", request_id=SETUP_REQUEST_ID
        ),
        IA,
        "REQUEST_ID_REUSED_WITH_DIFFERENT_REQUEST",
        "request_id",
        id="request-id-reused-other-method",
    ),
    pytest.param(
        lambda b: b.client.void_invoice("INV-1", request_id="r" * 129),
        IA,
        "TEXT_TOO_LONG",
        "request_id",
        id="request-id-too-long",
    ),
    *[
        pytest.param(
            _list_call(stub, method, req_type(page_size=-1)),
            IA,
            "INVALID_PAGE_SIZE",
            "page_size",
            id=f"{method}-negative-page-size",
        )
        for stub, method, req_type in LIST_METHODS
    ],
    *[
        pytest.param(
            _list_call(stub, method, req_type(page_token=token)),
            IA,
            "INVALID_PAGE_TOKEN",
            "page_token",
            id=f"{method}-page-token-{name}",
        )
        for stub, method, req_type in LIST_METHODS
        for name, token in (("garbage", "!!not-a-token!!"), ("json-without-key", "e30="))
    ],
    pytest.param(
        _foreign_page_token, IA, "INVALID_PAGE_TOKEN", "page_token", id="page-token-of-another-filter"
    ),
    pytest.param(_batch([]), IA, "INVALID_BATCH_SIZE", "requests", id="batch-of-0-invoices"),
    pytest.param(
        _batch([_invoice_msg(f"B-{i}", _m(100)) for i in range(1001)]),
        IA,
        "INVALID_BATCH_SIZE",
        "requests",
        id="batch-of-1001-invoices",
    ),
    pytest.param(
        _batch([_invoice_msg("B-1", _m(100)), _invoice_msg("B-2", _m(0))]),
        IA,
        "AMOUNT_MUST_BE_POSITIVE",
        "requests[1].invoice.amount.amount_minor",
        id="batch-with-one-bad-item-creates-none",
    ),
    pytest.param(
        _batch([_invoice_msg("B-1", _m(100)), _invoice_msg("B-1", _m(100))]),
        IA,
        "DUPLICATE_ID",
        "requests[1].invoice.invoice_id",
        id="batch-repeating-an-id",
    ),
    pytest.param(
        _batch([_invoice_msg("B-1", _m(100)), _invoice_msg("INV-1", _m(1))]),
        AE,
        "INVOICE_ALREADY_EXISTS",
        "requests[1].invoice.invoice_id",
        id="batch-with-existing-id-other-content",
    ),
    pytest.param(_import_chunk([]), IA, "INVALID_BATCH_SIZE", "payments", id="import-chunk-of-0"),
    pytest.param(
        _import_chunk([_pay_msg(f"I-{i}") for i in range(1001)]),
        IA,
        "INVALID_BATCH_SIZE",
        "payments",
        id="import-chunk-of-1001",
    ),
    pytest.param(
        _inv("N", money("1", EUR), issue_date="2026-13-01"),
        IA,
        "INVALID_DATE",
        "invoice.issue_date",
        id="invoice-month-13",
    ),
    pytest.param(
        _inv("N", money("1", EUR), issue_date="2026-02-30"),
        IA,
        "INVALID_DATE",
        "invoice.issue_date",
        id="invoice-february-30",
    ),
    pytest.param(
        _inv("N", money("1", EUR), issue_date=""),
        IA,
        "MISSING_DATE",
        "invoice.issue_date",
        id="invoice-without-issue-date",
    ),
    pytest.param(
        _inv("N", money("1", EUR), due_date="2026/12/01"),
        IA,
        "INVALID_DATE",
        "invoice.due_date",
        id="invoice-slashed-due-date",
    ),
    pytest.param(
        _inv("N", money("1", EUR), due_date="2026-10-31"),
        IA,
        "DUE_BEFORE_ISSUE",
        "invoice.due_date",
        id="due-before-issue",
    ),
    pytest.param(
        _pay("N", money("1", EUR), value_date="yesterday"),
        IA,
        "INVALID_DATE",
        "payment.value_date",
        id="payment-value-date-text",
    ),
    pytest.param(
        lambda b: list(b.client.list_invoices(due_before="2026-1-1")),
        IA,
        "INVALID_DATE",
        "due_before",
        id="list-due-before",
    ),
    pytest.param(
        lambda b: b.client.create_customer("C-N", display_name="X", payer_accounts=[BAD_IBAN]),
        IA,
        "INVALID_IBAN",
        "customer.payer_accounts[0]",
        id="create-customer-bad-iban",
    ),
    pytest.param(
        lambda b: b.client.update_customer("C2", payer_accounts=["NL91ABNA0417164300", BAD_IBAN]),
        IA,
        "INVALID_IBAN",
        "customer.payer_accounts[1]",
        id="update-customer-bad-iban",
    ),
    pytest.param(
        lambda b: b.client.create_customer("C-N", display_name="X", payer_accounts=["#1"]),
        IA,
        "INVALID_PAYER_ACCOUNT",
        "customer.payer_accounts[0]",
        id="payer-account-garbage",
    ),
    pytest.param(
        lambda b: b.client.create_customer("C-N", display_name=" "),
        IA,
        "MISSING_NAME",
        "customer.display_name",
        id="customer-blank-name",
    ),
    pytest.param(_inv("INV 1 ", money("1", EUR)), IA, "INVALID_ID", "invoice_id", id="id-with-edge-space"),
    pytest.param(_inv("", money("1", EUR)), IA, "MISSING_ID", "invoice_id", id="invoice-without-id"),
    pytest.param(
        lambda b: _raw(
            b.client.customer_service.UpdateCustomer,
            cs.UpdateCustomerRequest(
                customer=pb.Customer(customer_id="C2", display_name="Y"),
                request_id=str(uuid.uuid4()),
                update_mask={"paths": ["create_time"]},
            ),
        ),
        IA,
        "INVALID_UPDATE_MASK",
        "update_mask.paths",
        id="update-mask-unknown-path",
    ),
    pytest.param(
        lambda b: b.client.create_customer("C1", display_name="Another name"),
        AE,
        "CUSTOMER_ALREADY_EXISTS",
        "customer_id",
        id="customer-id-other-content",
    ),
    pytest.param(
        _inv("INV-1", money("100.01", EUR)),
        AE,
        "INVOICE_ALREADY_EXISTS",
        "invoice_id",
        id="invoice-id-other-content",
    ),
    pytest.param(
        _pay("P-EUR", money("120.00", EUR), value_date="2026-11-21", customer_id="C1"),
        AE,
        "PAYMENT_ALREADY_EXISTS",
        "payment_id",
        id="payment-id-other-content",
    ),
    pytest.param(
        lambda b: b.client.return_payment("R-1", payment_id="P-UN", reason_code="R01"),
        AE,
        "RETURN_ALREADY_EXISTS",
        "return_id",
        id="return-id-other-content",
    ),
    pytest.param(
        lambda b: b.client.return_goods(
            "G-1", invoice_id="INV-1", amount=money("2", EUR), reason_code="DAMAGED"
        ),
        AE,
        "RETURN_ALREADY_EXISTS",
        "return_id",
        id="goods-return-id-other-content",
    ),
    pytest.param(
        lambda b: _raw(b.client.reconciliation_service.AutoApply, rs.AutoApplyRequest(request_id="x1")),
        IA,
        "MISSING_SCOPE",
        "scope",
        id="auto-apply-without-scope",
    ),
    pytest.param(
        lambda b: _raw(
            b.client.reconciliation_service.AutoApply,
            rs.AutoApplyRequest(all_payments=False, request_id="x2"),
        ),
        IA,
        "MISSING_SCOPE",
        "scope",
        id="auto-apply-all-payments-false",
    ),
    pytest.param(
        lambda b: _raw(
            b.client.reconciliation_service.AutoApply,
            rs.AutoApplyRequest(payments=rs.PaymentIds(), request_id="x3"),
        ),
        IA,
        "MISSING_PAYMENT_IDS",
        "payments.payment_ids",
        id="auto-apply-empty-payment-ids",
    ),
    pytest.param(
        lambda b: b.client.resolve_exception(b.exception_id, rank=3),
        IA,
        "INVALID_SUGGESTION_RANK",
        "accept_suggestion_rank",
        id="resolve-rank-beyond-suggestions",
    ),
    pytest.param(
        _resolve_rank(0), IA, "INVALID_SUGGESTION_RANK", "accept_suggestion_rank", id="resolve-rank-0"
    ),
    pytest.param(
        _resolve_rank(-1), IA, "INVALID_SUGGESTION_RANK", "accept_suggestion_rank", id="resolve-rank-negative"
    ),
    pytest.param(
        lambda b: _raw(
            b.client.reconciliation_service.ResolveException,
            rs.ResolveExceptionRequest(exception_id=b.exception_id, request_id=str(uuid.uuid4())),
        ),
        IA,
        "MISSING_RESOLUTION",
        "resolution",
        id="resolve-without-resolution",
    ),
    pytest.param(
        lambda b: b.client.resolve_exception(
            b.exception_id, allocations=[Alloc(invoice_id="INV-3", amount=money("74.00", EUR))]
        ),
        FP,
        "INVOICE_OVER_APPLIED",
        "allocations.allocations[0].amount.amount_minor",
        id="resolve-with-allocation-beyond-open",
    ),
]


def _batch_customers(*customers: pb.Customer) -> Callable[[Books], object]:
    request = cs.BatchCreateCustomersRequest(
        requests=[cs.CreateCustomerRequest(customer_id=c.customer_id, customer=c) for c in customers],
        request_id=str(uuid.uuid4()),
    )
    return lambda b: _raw(b.client.customer_service.BatchCreateCustomers, request)


def _update_settings(settings: pb.Settings, *paths: str) -> Callable[[Books], object]:
    request = rs.UpdateSettingsRequest(
        settings=settings,
        update_mask=field_mask_pb2.FieldMask(paths=list(paths)),
        request_id=str(uuid.uuid4()),
    )
    return lambda b: _raw(b.client.reconciliation_service.UpdateSettings, request)


def _cust(cid: str, *accounts: str) -> pb.Customer:
    return pb.Customer(customer_id=cid, display_name=f"Name of {cid}", payer_accounts=list(accounts))


# Settings, the matching tolerance, customer batches, scope and on-account resolution.
DECIDE_ONCE_CASES = [
    pytest.param(
        lambda b: _raw(
            b.client.reconciliation_service.AutoApply, rs.AutoApplyRequest(customer_id="", request_id="x4")
        ),
        IA,
        "MISSING_ID",
        "customer_id",
        id="auto-apply-empty-customer-id",
    ),
    pytest.param(
        lambda b: b.client.update_settings(write_off_tolerance_minor=-1),
        IA,
        "INVALID_TOLERANCE",
        "settings.write_off_tolerance_minor",
        id="settings-negative-write-off-tolerance",
    ),
    pytest.param(
        lambda b: b.client.update_settings(matching_tolerance_minor=10**15 + 1),
        IA,
        "INVALID_TOLERANCE",
        "settings.matching_tolerance_minor",
        id="settings-matching-tolerance-out-of-range",
    ),
    pytest.param(
        _update_settings(pb.Settings(matching_tolerance_minor=-3)),
        IA,
        "INVALID_TOLERANCE",
        "settings.matching_tolerance_minor",
        id="settings-empty-mask-negative",
    ),
    pytest.param(
        _update_settings(pb.Settings(), "update_time"),
        IA,
        "INVALID_UPDATE_MASK",
        "update_mask.paths",
        id="settings-mask-unknown-path",
    ),
    pytest.param(
        lambda b: b.client.update_settings(write_off_tolerance_minor=5, request_id=SETUP_REQUEST_ID),
        IA,
        "REQUEST_ID_REUSED_WITH_DIFFERENT_REQUEST",
        "request_id",
        id="settings-request-id-reused",
    ),
    pytest.param(
        lambda b: b.client.create_customer("N", display_name="N", matching_tolerance_minor=-1),
        IA,
        "INVALID_TOLERANCE",
        "customer.matching_tolerance_minor",
        id="customer-negative-matching-tolerance",
    ),
    pytest.param(
        lambda b: b.client.update_customer("C1", matching_tolerance_minor=-5),
        IA,
        "INVALID_TOLERANCE",
        "customer.matching_tolerance_minor",
        id="update-customer-negative-matching-tolerance",
    ),
    pytest.param(
        lambda b: b.client.update_customer("NOPE", matching_tolerance_minor=5),
        NF,
        "CUSTOMER_NOT_FOUND",
        "customer.customer_id",
        id="update-unknown-customer-matching-tolerance",
    ),
    pytest.param(_batch_customers(), IA, "INVALID_BATCH_SIZE", "requests", id="batch-of-0-customers"),
    pytest.param(
        _batch_customers(*[_cust(f"B{i}") for i in range(1001)]),
        IA,
        "INVALID_BATCH_SIZE",
        "requests",
        id="batch-of-1001-customers",
    ),
    pytest.param(
        _batch_customers(_cust("B1"), _cust("B1")),
        IA,
        "DUPLICATE_ID",
        "requests[1].customer.customer_id",
        id="batch-repeating-a-customer-id",
    ),
    pytest.param(
        _batch_customers(_cust("B1"), _cust("")),
        IA,
        "MISSING_ID",
        "requests[1].customer.customer_id",
        id="batch-customer-without-id",
    ),
    pytest.param(
        _batch_customers(_cust("B1"), _cust("B2", BAD_IBAN)),
        IA,
        "INVALID_IBAN",
        "requests[1].customer.payer_accounts[0]",
        id="batch-with-one-bad-customer-creates-none",
    ),
    pytest.param(
        _batch_customers(_cust("B1"), _cust("C1")),
        AE,
        "CUSTOMER_ALREADY_EXISTS",
        "requests[1].customer.customer_id",
        id="batch-with-existing-customer-other-content",
    ),
    pytest.param(
        _batch_customers(_cust("B1", IBAN)),
        FP,
        "PAYER_ACCOUNT_BELONGS_TO_ANOTHER_CUSTOMER",
        "requests[0].customer.payer_accounts[0]",
        id="batch-claiming-a-registered-account",
    ),
    pytest.param(
        _batch_customers(_cust("B1", "ACCT-777"), _cust("B2", "acct 777")),
        FP,
        "PAYER_ACCOUNT_BELONGS_TO_ANOTHER_CUSTOMER",
        "requests[1].customer.payer_accounts[0]",
        id="batch-two-customers-one-account",
    ),
    pytest.param(
        lambda b: _raw(
            b.client.reconciliation_service.ResolveException,
            rs.ResolveExceptionRequest(exception_id=b.exception_id, on_account=False, request_id="x5"),
        ),
        IA,
        "INVALID_ON_ACCOUNT",
        "on_account",
        id="resolve-on-account-false",
    ),
    pytest.param(
        lambda b: b.client.resolve_exception("NOPE", on_account=True),
        NF,
        "EXCEPTION_NOT_FOUND",
        "exception_id",
        id="resolve-unknown-exception-on-account",
    ),
]


def _forged_token(key: str) -> Callable[[Books], object]:
    """A page token built the way the server builds one, around a key it never issued."""
    token = encode_token(key, {})
    return _list_call("customer_service", "ListCustomers", cs.ListCustomersRequest(page_token=token))


NUL = "\x00"

# Dates within bounds and exactly YYYY-MM-DD; no NUL in any string, refused before any look-up.
EDGE_CASES = [
    pytest.param(
        _inv("N", money("1", EUR), issue_date="9999-12-31"),
        IA,
        "DATE_OUT_OF_RANGE",
        "invoice.issue_date",
        id="issue-date-9999-12-31",
    ),
    pytest.param(
        _inv("N", money("1", EUR), issue_date="1899-12-31"),
        IA,
        "DATE_OUT_OF_RANGE",
        "invoice.issue_date",
        id="issue-date-before-1900",
    ),
    pytest.param(
        _inv("N", money("1", EUR), due_date="3000-01-01"),
        IA,
        "DATE_OUT_OF_RANGE",
        "invoice.due_date",
        id="due-date-3000",
    ),
    pytest.param(
        _inv("N", money("1", EUR), issue_date="20261101"),
        IA,
        "INVALID_DATE",
        "invoice.issue_date",
        id="issue-date-basic-format",
    ),
    pytest.param(
        _inv("N", money("1", EUR), issue_date="2026-W45-1"),
        IA,
        "INVALID_DATE",
        "invoice.issue_date",
        id="issue-date-week-date",
    ),
    pytest.param(
        _pay("N", money("1", EUR), value_date="\uff12\uff10\uff12\uff16-11-20"),
        IA,
        "INVALID_DATE",
        "payment.value_date",
        id="value-date-fullwidth-digits",
    ),
    pytest.param(
        _pay("N", money("1", EUR), value_date="2026-11-20\n"),
        IA,
        "INVALID_DATE",
        "payment.value_date",
        id="value-date-trailing-newline",
    ),
    pytest.param(
        lambda b: list(b.client.list_invoices(due_before="20261101")),
        IA,
        "INVALID_DATE",
        "due_before",
        id="due-before-basic-format",
    ),
    pytest.param(
        lambda b: b.client.void_invoice("INV-1", request_id=f"r{NUL}"),
        IA,
        "NUL_CHARACTER",
        "request_id",
        id="nul-request-id",
    ),
    pytest.param(
        lambda b: b.client.get_invoice(f"INV-1{NUL}"), IA, "NUL_CHARACTER", "invoice_id", id="nul-lookup-id"
    ),
    pytest.param(
        lambda b: b.client.resolve_exception(f"{NUL}", rank=1),
        IA,
        "NUL_CHARACTER",
        "exception_id",
        id="nul-exception-id",
    ),
    pytest.param(
        lambda b: list(b.client.list_invoices(customer_id=f"C1{NUL}")),
        IA,
        "NUL_CHARACTER",
        "customer_id",
        id="nul-list-filter",
    ),
    pytest.param(
        _list_call("customer_service", "ListCustomers", cs.ListCustomersRequest(page_token=NUL)),
        IA,
        "NUL_CHARACTER",
        "page_token",
        id="nul-page-token",
    ),
    pytest.param(_forged_token(NUL), IA, "INVALID_PAGE_TOKEN", "page_token", id="forged-token-nul-key"),
    pytest.param(_forged_token("é" * 10), IA, "INVALID_PAGE_TOKEN", "page_token", id="forged-token-unicode"),
    pytest.param(
        lambda b: _raw(
            b.client.reconciliation_service.ListDecisions,
            rs.ListDecisionsRequest(page_token=encode_token("9" * 30 + ":x", {"p": "", "order": "newest"})),
        ),
        IA,
        "INVALID_PAGE_TOKEN",
        "page_token",
        id="forged-token-create-time-beyond-bigint",
    ),
    pytest.param(
        lambda b: b.client.create_customer("C-N", display_name=f"ACME{NUL}"),
        IA,
        "NUL_CHARACTER",
        "customer.display_name",
        id="nul-display-name",
    ),
    pytest.param(
        _batch_customers(pb.Customer(customer_id="B1", display_name="B", name_aliases=["ok", f"b{NUL}"])),
        IA,
        "NUL_CHARACTER",
        "requests[0].customer.name_aliases[1]",
        id="nul-alias-in-batch",
    ),
    pytest.param(
        _pay("N", money("1", EUR), remittance_info=f"INV-1{NUL}"),
        IA,
        "NUL_CHARACTER",
        "payment.remittance_info",
        id="nul-remittance",
    ),
    pytest.param(
        lambda b: b.client.auto_apply(customer_id=f"C1{NUL}"),
        IA,
        "NUL_CHARACTER",
        "customer_id",
        id="nul-auto-apply-scope",
    ),
    pytest.param(
        lambda b: b.client.void_invoice("INV-1", reason=NUL),
        IA,
        "NUL_CHARACTER",
        "reason",
        id="nul-void-reason",
    ),
    pytest.param(
        _inv("N", _m(100, "X" * 70_000)),
        IA,
        "UNKNOWN_CURRENCY",
        "invoice.amount.currency_code",
        id="huge-value-quoted-in-a-bounded-message",
    ),
    pytest.param(
        _update_settings(pb.Settings(write_off_tolerance_minor=1), f"write_off{NUL}"),
        IA,
        "NUL_CHARACTER",
        "update_mask.paths[0]",
        id="nul-update-mask-path",
    ),
]


@pytest.mark.parametrize(("call", "error", "reason", "field"), EDGE_CASES)
def test_out_of_range_dates_and_nul_text_are_refused_before_any_lookup_and_change_nothing(
    books: Books, call: Callable[[Books], object], error: type[CashappError], reason: str, field: str
) -> None:
    _refused(books, call, error, reason, field)


@pytest.mark.parametrize(("call", "error", "reason", "field"), DECIDE_ONCE_CASES)
def test_bad_settings_batches_and_resolutions_are_refused_and_change_nothing(
    books: Books, call: Callable[[Books], object], error: type[CashappError], reason: str, field: str
) -> None:
    _refused(books, call, error, reason, field)


@pytest.mark.parametrize(("call", "error", "reason", "field"), MONEY_CASES)
def test_bad_money_is_refused_naming_the_field_and_changes_nothing(
    books: Books, call: Callable[[Books], object], error: type[CashappError], reason: str, field: str
) -> None:
    _refused(books, call, error, reason, field)


@pytest.mark.parametrize(("call", "error", "reason", "field"), CURRENCY_AND_BALANCE_CASES)
def test_currency_and_balance_violations_are_refused_and_change_nothing(
    books: Books, call: Callable[[Books], object], error: type[CashappError], reason: str, field: str
) -> None:
    _refused(books, call, error, reason, field)


@pytest.mark.parametrize(("call", "error", "reason", "field"), NOT_FOUND_CASES)
def test_unknown_ids_are_not_found_naming_the_field_and_change_nothing(
    books: Books, call: Callable[[Books], object], error: type[CashappError], reason: str, field: str
) -> None:
    _refused(books, call, error, reason, field)


@pytest.mark.parametrize(("call", "error", "reason", "field"), REQUEST_CASES)
def test_malformed_requests_are_refused_naming_the_field_and_change_nothing(
    books: Books, call: Callable[[Books], object], error: type[CashappError], reason: str, field: str
) -> None:
    _refused(books, call, error, reason, field)


def test_status_classes_match_the_grpc_codes(books: Books) -> None:
    err = _refused(
        books,
        _apply("P-EUR", ("INV-2", money("25.00", EUR))),
        FP,
        "INVOICE_OVER_APPLIED",
        "allocations[0].amount.amount_minor",
    )
    assert err.code == grpc.StatusCode.FAILED_PRECONDITION
    err = _refused(books, lambda b: b.client.get_invoice("NOPE"), NF, "INVOICE_NOT_FOUND", "invoice_id")
    assert err.code == grpc.StatusCode.NOT_FOUND
    err = _refused(
        books, _inv("N", money("0", EUR)), IA, "AMOUNT_MUST_BE_POSITIVE", "invoice.amount.amount_minor"
    )
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT


IDENTICAL_CASES = [
    pytest.param(
        lambda b: b.client.create_customer("C1", display_name="ACME GmbH", payer_accounts=[IBAN]),
        "customer_id",
        "C1",
        id="customer",
    ),
    pytest.param(_inv("INV-1", money("100.00", EUR)), "invoice_id", "INV-1", id="invoice"),
    pytest.param(_inv("INV-1", money("100.000", EUR)), "invoice_id", "INV-1", id="invoice-other-scale"),
    pytest.param(
        lambda b: b.client.batch_create_invoices([_invoice_msg("INV-1", money("100.00", EUR))])[0],
        "invoice_id",
        "INV-1",
        id="invoice-in-batch",
    ),
    pytest.param(_pay("P-EUR", money("120.00", EUR), customer_id="C1"), "payment_id", "P-EUR", id="payment"),
    pytest.param(
        lambda b: b.client.return_payment("R-1", payment_id="P-RET", reason_code="R01"),
        "return_id",
        "R-1",
        id="payment-return",
    ),
    pytest.param(
        lambda b: b.client.return_goods(
            "G-1", invoice_id="INV-1", amount=money("1.00", EUR), reason_code="DAMAGED"
        ),
        "return_id",
        "G-1",
        id="goods-return",
    ),
    pytest.param(lambda b: b.client.void_invoice("INV-V"), "invoice_id", "INV-V", id="void-twice"),
    pytest.param(
        lambda b: b.client.batch_create_customers(
            [pb.Customer(customer_id="C1", display_name="ACME GmbH", payer_accounts=[IBAN])]
        )[0],
        "customer_id",
        "C1",
        id="customer-in-batch",
    ),
]


@pytest.mark.parametrize(("call", "id_field", "expected_id"), IDENTICAL_CASES)
def test_duplicate_id_with_identical_content_returns_the_existing_resource_and_changes_nothing(
    books: Books, call: Callable[[Books], Any], id_field: str, expected_id: str
) -> None:
    before = _snapshot(books.client)
    existing = call(books)
    assert getattr(existing, id_field) == expected_id
    assert _snapshot(books.client) == before


def test_import_chunk_reports_bad_payments_per_item_and_creates_the_good_ones(books: Books) -> None:
    before = _snapshot(books.client)
    response = books.client.import_payments(
        [
            Pay(payment_id="IMP-OK", amount=money("5.00", EUR), value_date="2026-11-20"),
            Pay(payment_id="IMP-CUR", amount=money("5.00", "XXX"), value_date="2026-11-20"),
            Pay(payment_id="IMP-PREC", amount=money("5.005", EUR), value_date="2026-11-20"),
            Pay(payment_id="IMP-DATE", amount=money("5.00", EUR), value_date="2026-02-30"),
            Pay(payment_id="P-EUR", amount=money("1.00", EUR), value_date="2026-11-20"),
            Pay(payment_id="P-USD", amount=money("100.00", "USD"), value_date="2026-11-20", customer_id="C1"),
        ]
    )
    by_id = {r.payment_id: r for r in response.results}
    assert (response.created_count, response.existing_count, response.failed_count) == (1, 1, 4)
    assert by_id["IMP-OK"].result == "CREATED"
    assert by_id["P-USD"].result == "ALREADY_EXISTED"
    assert by_id["IMP-CUR"].error_reason == "UNKNOWN_CURRENCY"
    assert by_id["IMP-CUR"].error_message.startswith("payments[1].amount.currency_code")
    assert by_id["IMP-PREC"].error_reason == "PRECISION_FINER_THAN_CURRENCY"
    assert by_id["IMP-DATE"].error_reason == "INVALID_DATE"
    assert by_id["P-EUR"].error_reason == "PAYMENT_ALREADY_EXISTS"
    after = _snapshot(books.client)
    assert len(after["payments"]) == len(before["payments"]) + 1
    assert books.client.get_payment("IMP-OK").unapplied_amount.amount_minor == 500
    for name in ("IMP-CUR", "IMP-PREC", "IMP-DATE"):
        with pytest.raises(NotFoundError):
            books.client.get_payment(name)


# --- exact conversions are accepted (fresh books) ---------------------------------------------


def test_exact_conversions_from_another_scale_are_accepted(client: Client) -> None:
    client.create_customer("C1", display_name="ACME GmbH")
    cases = [
        ("X-EUR3", money("10.500", EUR), 1050),
        ("X-EUR0", money("10", EUR), 1000),
        ("X-EUR9", _m(10_500_000_000, EUR, scale=9), 1050),
        ("X-JPY2", money("1000.00", "JPY"), 1000),
        ("X-KWD1", money("1.5", "KWD"), 1500),
        ("X-MAX", money(10**15, EUR), 10**15),
    ]
    for iid, amount, expected in cases:
        invoice = client.create_invoice(iid, customer_id="C1", amount=amount, issue_date="2026-11-01")
        assert invoice.amount.amount_minor == expected, iid
        assert invoice.open_amount.amount_minor == expected, iid
        assert not invoice.amount.HasField("scale")
    payment = client.create_payment(
        "PX", amount=money("10.500", EUR), value_date="2026-11-20", customer_id="C1"
    )
    assert payment.amount.amount_minor == 1050
    applied = client.apply_payment("PX", [Alloc(invoice_id="X-EUR3", amount=money("10.50000", EUR))])
    assert applied.unapplied_amount.amount_minor == 0
    assert client.get_invoice("X-EUR3").open_amount.amount_minor == 0
