"""Alerts through the real server on SQLite and PostgreSQL: each detector raises its finding with
evidence, a finding made again is stored once, a person acknowledges it with who and why, and bad
requests are refused with the field named and change nothing."""

from __future__ import annotations

import json

import pytest

from cashapp_client import Allocation, Client, InvalidArgumentError, NotFoundError, PaymentTerms, money
from cashapp_client._proto.cashapp.v1 import alert_service_pb2 as al

NET30 = PaymentTerms(net_days=30)


def _kinds(client: Client) -> dict[int, list[al.Alert]]:
    found: dict[int, list[al.Alert]] = {}
    for alert in client.list_alerts(include_acknowledged=True):
        found.setdefault(alert.kind, []).append(alert)
    return found


def test_a_payment_that_repeats_an_earlier_one_is_a_possible_duplicate(client: Client) -> None:
    client.create_customer("C1", display_name="Acme GmbH", payer_accounts=["DE-ACC-1"], payment_terms=NET30)
    client.create_invoice("INV-1", customer_id="C1", amount=money("500.00", "EUR"), issue_date="2026-11-01")
    for pid in ("P1", "P2"):
        client.create_payment(
            pid, amount=money("500.00", "EUR"), value_date="2026-11-20", payer_account="DE-ACC-1",
            remittance_info="INV-1",
        )  # fmt: skip
        client.auto_apply(all_payments=True)
    (alert,) = _kinds(client)[al.ALERT_KIND_POSSIBLE_DUPLICATE_PAYMENT]
    assert (alert.subject_type, alert.subject_id, alert.customer_id) == ("payment", "P2", "C1")
    assert "decision_id" in json.loads(alert.evidence_json)
    # Decided again after a change, the same finding is still one alert.
    client.update_customer("C1", display_name="Acme GmbH & Co. KG")
    client.auto_apply(all_payments=True)
    assert len(_kinds(client)[al.ALERT_KIND_POSSIBLE_DUPLICATE_PAYMENT]) == 1


def test_an_account_of_one_customer_paying_anothers_invoice_is_flagged(client: Client) -> None:
    client.create_customer("C-A", display_name="Alpha Trading", payer_accounts=["DE-ACC-A"])
    client.create_customer("C-B", display_name="Beta Foods")
    client.create_invoice("INV-B1", customer_id="C-B", amount=money("120.00", "EUR"), issue_date="2026-11-01")
    client.create_payment(
        "P1", amount=money("120.00", "EUR"), value_date="2026-11-20", payer_account="DE-ACC-A",
        remittance_info="Invoice INV-B1",
    )  # fmt: skip
    client.auto_apply(all_payments=True)
    (alert,) = _kinds(client)[al.ALERT_KIND_PAYER_ACCOUNT_OF_OTHER_CUSTOMER]
    evidence = json.loads(alert.evidence_json)
    assert (alert.subject_id, evidence["account_owner"], evidence["named_customers"]) == (
        "P1",
        "C-A",
        ["C-B"],
    )


def test_a_payment_far_above_the_customers_history_is_flagged(client: Client) -> None:
    client.create_customer("C1", display_name="Acme GmbH", payer_accounts=["DE-ACC-1"])
    for n in range(6):
        client.create_payment(
            f"P{n}", amount=money("100.00", "EUR"), value_date=f"2026-10-0{n + 1}", payer_account="DE-ACC-1"
        )
    client.auto_apply(all_payments=True)
    assert al.ALERT_KIND_AMOUNT_OUTSIDE_HISTORY not in _kinds(client)
    client.create_payment(
        "BIG", amount=money("50000.00", "EUR"), value_date="2026-11-20", payer_account="DE-ACC-1"
    )
    client.auto_apply(all_payments=True)
    (alert,) = _kinds(client)[al.ALERT_KIND_AMOUNT_OUTSIDE_HISTORY]
    evidence = json.loads(alert.evidence_json)
    assert (alert.subject_id, evidence["median_minor"], evidence["payments_compared"]) == ("BIG", 10_000, 6)


def test_a_credit_memo_beyond_the_open_amount_and_new_terms_on_open_invoices_are_flagged(
    client: Client,
) -> None:
    client.create_customer("C1", display_name="Acme GmbH", payer_accounts=["DE-ACC-1"], payment_terms=NET30)
    client.create_invoice("INV-1", customer_id="C1", amount=money("100.00", "EUR"), issue_date="2026-11-01")
    client.create_payment(
        "P1", amount=money("80.00", "EUR"), value_date="2026-11-20", payer_account="DE-ACC-1"
    )
    client.apply_payment("P1", [Allocation(invoice_id="INV-1", amount=money("80.00", "EUR"))])
    client.return_goods("CM-1", invoice_id="INV-1", amount=money("50.00", "EUR"), reason_code="DAMAGED")
    (memo,) = _kinds(client)[al.ALERT_KIND_CREDIT_MEMO_EXCEEDS_OPEN_AMOUNT]
    assert json.loads(memo.evidence_json)["on_account_minor"] == 3_000

    client.create_invoice("INV-2", customer_id="C1", amount=money("70.00", "EUR"), issue_date="2026-11-02")
    client.update_customer("C1", payment_terms=PaymentTerms(net_days=60))
    (terms,) = _kinds(client)[al.ALERT_KIND_TERMS_CHANGED_AFTER_INVOICING]
    evidence = json.loads(terms.evidence_json)
    assert (evidence["before"], evidence["after"], evidence["open_invoice_ids"]) == (
        "net 30",
        "net 60",
        ["INV-2"],
    )
    # A change that is not one of terms raises nothing.
    client.update_customer("C1", display_name="Acme AG")
    assert len(_kinds(client)[al.ALERT_KIND_TERMS_CHANGED_AFTER_INVOICING]) == 1


def test_a_person_acknowledges_an_alert_once_with_who_and_why(client: Client) -> None:
    client.create_customer("C1", display_name="Acme GmbH", payer_accounts=["DE-ACC-1"], payment_terms=NET30)
    client.create_invoice("INV-1", customer_id="C1", amount=money("70.00", "EUR"), issue_date="2026-11-02")
    client.update_customer("C1", payment_terms=PaymentTerms(net_days=45))
    (alert,) = list(client.list_alerts())
    done = client.acknowledge_alert(alert.alert_id, actor="clerk@example.com", note="terms agreed by phone")
    assert (done.acknowledged_by, done.note, done.HasField("acknowledge_time")) == (
        "clerk@example.com",
        "terms agreed by phone",
        True,
    )
    assert list(client.list_alerts()) == []
    assert [a.alert_id for a in client.list_alerts(include_acknowledged=True)] == [alert.alert_id]
    again = client.acknowledge_alert(alert.alert_id, actor="someone@else", note="twice")
    assert (again.acknowledged_by, again.note) == ("clerk@example.com", "terms agreed by phone")
    assert client.get_alert(alert.alert_id) == again


@pytest.mark.parametrize(
    ("alert_id", "actor", "note", "error", "field"),
    [
        ("al_nope", "clerk", "checked", NotFoundError, "alert_id"),
        (None, "", "checked", InvalidArgumentError, "actor"),
        (None, "clerk", "   ", InvalidArgumentError, "note"),
        (None, "x" * 129, "checked", InvalidArgumentError, "actor"),
        (None, "clerk", "n" * 2001, InvalidArgumentError, "note"),
        (None, "clerk", "nul\x00", InvalidArgumentError, "note"),
    ],
    ids=["unknown", "no-actor", "blank-note", "long-actor", "long-note", "nul-note"],
)
def test_bad_acknowledgements_are_refused_and_change_nothing(
    client: Client, alert_id: str | None, actor: str, note: str, error: type[Exception], field: str
) -> None:
    client.create_customer("C1", display_name="Acme GmbH", payment_terms=NET30)
    client.create_invoice("INV-1", customer_id="C1", amount=money("70.00", "EUR"), issue_date="2026-11-02")
    client.update_customer("C1", payment_terms=PaymentTerms(net_days=45))
    (alert,) = list(client.list_alerts())
    with pytest.raises(error) as caught:
        client.acknowledge_alert(alert_id or alert.alert_id, actor=actor, note=note)
    assert [v.field for v in caught.value.field_violations] == [field]  # type: ignore[attr-defined]
    assert list(client.list_alerts()) == [alert]
