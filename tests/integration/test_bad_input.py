"""Bad money, currencies and balances through the real server, on SQLite and PostgreSQL: each
refusal names its status class, reason and field and changes nothing (tests.integration.
bad_input_books); exact conversions from another scale are accepted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import grpc
import pytest

from cashapp_client import Allocation as Alloc
from cashapp_client import (
    CashappError,
    Client,
    money,
)
from cashapp_client._proto.cashapp.v1 import payment_service_pb2 as ps
from tests.integration.bad_input_books import (
    EUR,
    FP,
    IA,
    IBAN,
    NF,
    Books,
    _apply,
    _inv,
    _m,
    _pay,
    _raw,
    _refused,
)

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
