"""Dates out of bounds or not exactly YYYY-MM-DD, and NUL in any string, are refused before any
look-up and change nothing; through the real server on SQLite and PostgreSQL
(tests.integration.bad_input_books).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cashapp_client import (
    CashappError,
    money,
)
from cashapp_client._proto.cashapp.v1 import customer_service_pb2 as cs
from cashapp_client._proto.cashapp.v1 import reconciliation_service_pb2 as rs
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from engine.storage.pagination import encode_token
from tests.integration.bad_input_books import (
    EUR,
    IA,
    Books,
    _batch_customers,
    _forged_token,
    _inv,
    _list_call,
    _m,
    _pay,
    _raw,
    _refused,
    _update_settings,
)

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
