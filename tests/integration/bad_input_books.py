"""The booked server the bad-input tests share, one per backend, and the helpers that build
their calls: every refusal names its status class, its ErrorInfo reason and the offending field,
and leaves the books exactly as they were (each case snapshots every balance and resource before
and after, and the invariants are checked after each case and at the end).

One server per backend for the whole session (tests/integration/conftest.py): a server per case,
or per module, would cost more than the cases.
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


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
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


def _forged_token(key: str) -> Callable[[Books], object]:
    """A page token built the way the server builds one, around a key it never issued."""
    token = encode_token(key, {})
    return _list_call("customer_service", "ListCustomers", cs.ListCustomersRequest(page_token=token))


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
