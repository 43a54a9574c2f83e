"""Unknown ids are NOT_FOUND naming the field, a repeated id with identical content returns the
existing resource, and an import chunk reports bad payments one by one; through the real
server on SQLite and PostgreSQL, changing nothing (tests.integration.bad_input_books).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cashapp_client import Allocation as Alloc
from cashapp_client import (
    CashappError,
    NotFoundError,
    money,
)
from cashapp_client import Payment as Pay
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from tests.integration.bad_input_books import (
    EUR,
    IBAN,
    NF,
    Books,
    _apply,
    _inv,
    _invoice_msg,
    _pay,
    _refused,
    _snapshot,
)

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


@pytest.mark.parametrize(("call", "error", "reason", "field"), NOT_FOUND_CASES)
def test_unknown_ids_are_not_found_naming_the_field_and_change_nothing(
    books: Books, call: Callable[[Books], object], error: type[CashappError], reason: str, field: str
) -> None:
    _refused(books, call, error, reason, field)


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
