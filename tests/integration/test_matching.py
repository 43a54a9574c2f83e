"""Matching decisions through the real server: bundles of payments, payments that contest one
invoice, references that agree or disagree with the amount, discounts, tolerances."""

from __future__ import annotations

from cashapp_client import Client, Payment, PaymentTerms, money
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb

ACCOUNT = "ACCT12345"


def _customer(client: Client, *amounts: str, tolerance_minor: int = 0) -> None:
    client.create_customer(
        "C1",
        display_name="ACME GmbH",
        payer_accounts=[ACCOUNT],
        tolerance_minor=tolerance_minor,
        payment_terms=PaymentTerms(net_days=30, discount_days=10, discount_basis_points=200),
    )
    for n, amount in enumerate(amounts, 1):
        client.create_invoice(
            f"INV-{n}", customer_id="C1", amount=money(amount, "EUR"), issue_date="2026-11-01"
        )


def _pay(client: Client, *payments: tuple[str, str, str]) -> dict[str, pb.Decision]:
    client.import_payments(
        [
            Payment(
                payment_id=pid,
                amount=money(amount, "EUR"),
                value_date="2026-11-20",
                payer_account=ACCOUNT,
                remittance_info=memo,
            )
            for pid, amount, memo in payments
        ]
    )
    return {d.payment_id: d for d in client.auto_apply(all_payments=True).decisions}


def test_two_payments_that_only_together_settle_two_invoices_are_applied_as_a_group(client: Client) -> None:
    _customer(client, "100.00", "250.00", "37.15", "80.00")
    decisions = _pay(client, ("P1", "200.00", ""), ("P2", "150.00", ""))
    assert {d.reason for d in decisions.values()} == {"AMOUNT_MANY_TO_MANY_GROUP"}
    assert client.get_invoice("INV-1").state == pb.INVOICE_STATE_PAID
    assert client.get_invoice("INV-2").state == pb.INVOICE_STATE_PAID
    assert client.get_invoice("INV-3").state == pb.INVOICE_STATE_OPEN
    for pid in ("P1", "P2"):
        assert client.get_payment(pid).state == pb.PAYMENT_STATE_APPLIED


def test_two_payments_claiming_the_same_invoice_both_go_to_a_person(client: Client) -> None:
    _customer(client, "100.00", "250.00")
    decisions = _pay(client, ("P1", "100.00", ""), ("P2", "100.00", ""))
    assert [d.reason for d in decisions.values()] == ["CONFLICTING_PAYMENTS"] * 2
    assert client.get_invoice("INV-1").state == pb.INVOICE_STATE_OPEN
    assert len(list(client.list_exceptions())) == 2


def test_a_normalized_reference_whose_amount_disagrees_is_only_suggested(client: Client) -> None:
    _customer(client, "100.00", "250.00")
    decisions = _pay(client, ("P1", "90.00", "invoice 1NV 1"))
    assert decisions["P1"].outcome == pb.DECISION_OUTCOME_SUGGESTED
    assert decisions["P1"].reason == "REFERENCE_AMOUNT_DISAGREES"
    assert client.get_payment("P1").unapplied_amount.amount_minor == 9000


def test_an_exact_reference_short_beyond_tolerance_pays_and_records_a_deduction(client: Client) -> None:
    _customer(client, "100.00", "250.00", tolerance_minor=100)
    decisions = _pay(client, ("P1", "240.00", "INV-2"))
    assert decisions["P1"].reason == "REFERENCE_SHORT_PAY_DEDUCTION"
    (application,) = client.get_payment("P1").applications
    assert (application.amount.amount_minor, application.deduction.amount_minor) == (24000, 1000)
    assert client.get_invoice("INV-2").state == pb.INVOICE_STATE_PAID
    balances = {b.account: b.balance_minor for b in client.get_reconciliation_report().balances}
    assert balances["DEDUCTIONS"] == 1000


def test_an_amount_only_shortfall_within_the_matching_tolerance_is_written_off(client: Client) -> None:
    _customer(client, "100.00", "250.00", tolerance_minor=100)
    client.update_customer("C1", matching_tolerance_minor=100)
    decisions = _pay(client, ("P1", "249.25", ""))
    assert decisions["P1"].reason == "AMOUNT_UNIQUE_SUBSET"
    (application,) = client.get_payment("P1").applications
    assert application.write_off.amount_minor == 75


def test_every_decision_is_stored_with_its_explanation(client: Client) -> None:
    _customer(client, "73.00", "73.00")
    _pay(client, ("P1", "73.00", ""))
    (decision,) = list(client.list_decisions(payment_id="P1"))
    assert decision.reason == "AMBIGUOUS_AMOUNT_MATCH"
    assert decision.explanation.solver_candidate_count == 2
    assert decision.explanation.runner_up.invoice_ids
    assert decision.explanation.customer_identified_by == "PAYER_ACCOUNT"
