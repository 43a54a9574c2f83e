"""The life of money through the real server: invoices, payments, manual and automatic
application, unapply, goods and payment returns, voids; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from cashapp_client import Allocation, Client, FailedPreconditionError, Payment, PaymentTerms, money
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb


def _book(client: Client) -> None:
    client.create_customer(
        "C1",
        display_name="ACME GmbH",
        payer_accounts=["DE89370400440532013000"],
        payment_terms=PaymentTerms(net_days=30, discount_days=10, discount_basis_points=200),
        tolerance_minor=500,
    )
    for iid, amount in (("INV-1", "100.00"), ("INV-2", "250.50"), ("INV-3", "73.00")):
        client.create_invoice(iid, customer_id="C1", amount=money(amount, "EUR"), issue_date="2026-11-01")


def test_payment_returned_after_application_reopens_exactly_the_invoices_it_paid(client: Client) -> None:
    _book(client)
    client.create_payment("P1", amount=money("350.50", "EUR"), value_date="2026-11-20", customer_id="C1")
    client.apply_payment(
        "P1",
        allocations=[
            Allocation(invoice_id="INV-1", amount=money("100.00", "EUR")),
            Allocation(invoice_id="INV-2", amount=money("250.50", "EUR")),
        ],
    )
    assert client.get_invoice("INV-1").state == pb.INVOICE_STATE_PAID
    ret = client.return_payment("R1", payment_id="P1", reason_code="R01")
    assert sorted(ret.reopened_invoice_ids) == ["INV-1", "INV-2"]
    assert client.get_invoice("INV-1").open_amount.amount_minor == 10000
    assert client.get_invoice("INV-2").open_amount.amount_minor == 25050
    assert client.get_invoice("INV-3").open_amount.amount_minor == 7300
    payment = client.get_payment("P1")
    assert payment.state == pb.PAYMENT_STATE_RETURNED
    assert payment.returned_amount.amount_minor == 35050
    assert all(a.reversed_by_application_id or a.reverses_application_id for a in payment.applications)


def test_auto_apply_settles_a_unique_subset_and_queues_an_ambiguous_one(client: Client) -> None:
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
    result = client.auto_apply(all_payments=True)
    by_payment = {d.payment_id: d for d in result.decisions}
    assert by_payment["P-SUM"].outcome == pb.DECISION_OUTCOME_AUTO_APPLIED
    assert by_payment["P-AMB"].outcome == pb.DECISION_OUTCOME_SUGGESTED
    assert client.get_payment("P-AMB").unapplied_amount.amount_minor == 7300
    (exception,) = list(client.list_exceptions())
    assert sorted(s.invoice_ids[0] for s in exception.suggestions) == ["INV-3", "INV-4"]
    client.resolve_exception(exception.exception_id, rank=1)
    assert client.get_payment("P-AMB").state == pb.PAYMENT_STATE_APPLIED
    assert list(client.list_exceptions()) == []


def test_unapply_restores_balances_and_void_is_allowed_again(client: Client) -> None:
    _book(client)
    client.create_payment("P1", amount=money("100.00", "EUR"), value_date="2026-11-20", customer_id="C1")
    client.apply_payment("P1", allocations=[Allocation(invoice_id="INV-1", amount=money("100.00", "EUR"))])
    client.unapply_payment("P1")
    assert client.get_payment("P1").unapplied_amount.amount_minor == 10000
    voided = client.void_invoice("INV-1", reason="issued in error")
    assert voided.state == pb.INVOICE_STATE_VOIDED


def test_goods_return_beyond_the_open_amount_becomes_on_account_credit(client: Client) -> None:
    _book(client)
    client.create_payment("P1", amount=money("60.00", "EUR"), value_date="2026-11-20", customer_id="C1")
    client.apply_payment("P1", allocations=[Allocation(invoice_id="INV-3", amount=money("60.00", "EUR"))])
    ret = client.return_goods("G1", invoice_id="INV-3", amount=money("20.00", "EUR"), reason_code="DAMAGED")
    assert ret.credited_to_invoice.amount_minor == 1300
    assert ret.on_account_credit.amount_minor == 700
    assert client.get_invoice("INV-3").open_amount.amount_minor == 0


def test_credit_memos_of_one_invoice_never_total_more_than_the_invoice(client: Client) -> None:
    _book(client)
    client.return_goods("G1", invoice_id="INV-1", amount=money("80.00", "EUR"), reason_code="DAMAGED")
    with pytest.raises(FailedPreconditionError) as err:
        client.return_goods("G2", invoice_id="INV-1", amount=money("20.01", "EUR"), reason_code="DAMAGED")
    assert err.value.reason == "CREDIT_MEMO_EXCEEDS_INVOICE"
    last = client.return_goods("G3", invoice_id="INV-1", amount=money("20.00", "EUR"), reason_code="DAMAGED")
    assert last.credited_to_invoice.amount_minor == 2000
    assert client.get_invoice("INV-1").state == pb.INVOICE_STATE_PAID
