"""Malformed requests (bad ids, masks, page tokens, shapes) are refused naming the field and
change nothing; through the real server on SQLite and PostgreSQL (tests.integration.
bad_input_books).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from cashapp_client import Allocation as Alloc
from cashapp_client import (
    CashappError,
    money,
)
from cashapp_client._proto.cashapp.v1 import customer_service_pb2 as cs
from cashapp_client._proto.cashapp.v1 import reconciliation_service_pb2 as rs
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from tests.integration.bad_input_books import (
    AE,
    BAD_IBAN,
    EUR,
    FP,
    IA,
    LIST_METHODS,
    SETUP_REQUEST_ID,
    Books,
    _batch,
    _foreign_page_token,
    _import_chunk,
    _inv,
    _invoice_msg,
    _list_call,
    _m,
    _pay,
    _pay_msg,
    _raw,
    _refused,
    _resolve_rank,
)

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


@pytest.mark.parametrize(("call", "error", "reason", "field"), REQUEST_CASES)
def test_malformed_requests_are_refused_naming_the_field_and_change_nothing(
    books: Books, call: Callable[[Books], object], error: type[CashappError], reason: str, field: str
) -> None:
    _refused(books, call, error, reason, field)
