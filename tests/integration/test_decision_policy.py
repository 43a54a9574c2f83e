"""The decision policy, one failure class of a realistic book per test, through the real server
on SQLite and PostgreSQL: what must be applied is applied, and every doubt goes to a person."""

from __future__ import annotations

from cashapp_client import Client, Payment, PaymentTerms, money
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb

ACCOUNT = "DE89370400440532013000"
TERMS = PaymentTerms(net_days=30, discount_days=10, discount_basis_points=200)


def _book(client: Client, invoices: dict[str, str], *, tolerance_minor: int | None = None) -> None:
    client.create_customer(
        "C1",
        display_name="Beta Logistics B.V.",
        payer_accounts=[ACCOUNT],
        payment_terms=TERMS,
        tolerance_minor=tolerance_minor,
    )
    for invoice_id, amount in invoices.items():
        client.create_invoice(
            invoice_id, customer_id="C1", amount=money(amount, "EUR"), issue_date="2026-11-01"
        )


def _pay(
    client: Client, *payments: tuple[str, str, str], value_date: str = "2026-11-20", account: str = ACCOUNT
) -> dict[str, pb.Decision]:
    client.import_payments(
        [
            Payment(
                payment_id=pid,
                amount=money(amount, "EUR"),
                value_date=value_date,
                payer_account=account,
                remittance_info=memo,
            )
            for pid, amount, memo in payments
        ]
    )
    return {d.payment_id: d for d in client.auto_apply(all_payments=True).decisions}


def _cash(client: Client, payment_id: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for app in client.get_payment(payment_id).applications:
        if not app.reverses_application_id and not app.reversed_by_application_id:
            out[app.invoice_id] = out.get(app.invoice_id, 0) + app.amount.amount_minor
    return out


def _queued(client: Client) -> dict[str, str]:
    return {x.payment_id: x.reason for x in client.list_exceptions()}


def test_references_separated_by_slash_and_glued_name_each_invoice(client: Client) -> None:
    _book(client, {"INV-1001": "100.00", "INV-1002": "200.00", "INV-1003": "300.00", "INV-1004": "400.00"})
    decisions = _pay(client, ("P1", "300.00", "INV-1001/1002"), ("P2", "700.00", "INV1003INV1004"))
    assert decisions["P1"].reason == decisions["P2"].reason == "REFERENCE_EXACT_AMOUNT"
    assert _cash(client, "P1") == {"INV-1001": 10000, "INV-1002": 20000}
    assert _cash(client, "P2") == {"INV-1003": 30000, "INV-1004": 40000}


def test_a_remittance_naming_a_paid_invoice_is_a_possible_duplicate_never_an_amount_search(
    client: Client,
) -> None:
    _book(client, {"INV-1001": "500.00", "INV-1002": "500.00"})
    _pay(client, ("P1", "500.00", "INV-1001"))
    decisions = _pay(client, ("P2", "500.00", "INV-1001"), value_date="2026-11-24")
    assert decisions["P2"].reason == "POSSIBLE_DUPLICATE"
    assert "P1" in decisions["P2"].explanation.summary
    assert _cash(client, "P2") == {}
    assert _queued(client)["P2"] == "POSSIBLE_DUPLICATE"
    assert client.get_invoice("INV-1002").state == pb.INVOICE_STATE_OPEN


def test_a_remittance_naming_a_paid_and_an_open_invoice_is_a_doubt_not_a_decision(client: Client) -> None:
    _book(client, {"INV-1001": "100.00", "INV-1002": "200.00"})
    _pay(client, ("P1", "100.00", "INV-1001"))
    decisions = _pay(client, ("P2", "300.00", "INV-1001 INV-1002"), value_date="2026-11-22")
    assert decisions["P2"].outcome == pb.DECISION_OUTCOME_SUGGESTED
    assert decisions["P2"].reason == "POSSIBLE_DUPLICATE"
    assert _cash(client, "P2") == {}


def test_two_transfers_naming_the_same_invoices_that_together_pay_them_are_applied_as_a_split(
    client: Client,
) -> None:
    _book(client, {"INV-1001": "600.00", "INV-1002": "400.00", "INV-1003": "250.00"})
    decisions = _pay(
        client, ("P1", "500.00", "INV-1001 INV-1002 part 1"), ("P2", "500.00", "INV-1001/1002 part 2")
    )
    assert {d.reason for d in decisions.values()} == {"REFERENCE_SPLIT_PAYMENT"}
    together: dict[str, int] = {}
    for pid in ("P1", "P2"):
        for invoice_id, cash in _cash(client, pid).items():
            together[invoice_id] = together.get(invoice_id, 0) + cash
    assert together == {"INV-1001": 60000, "INV-1002": 40000}
    assert client.get_invoice("INV-1003").state == pb.INVOICE_STATE_OPEN


def test_transfers_without_references_are_paired_when_only_their_sum_explains_a_set(client: Client) -> None:
    # Each transfer alone matches nothing; with a write-off tolerance set they are still paired.
    _book(client, {"INV-1": "612.34", "INV-2": "187.66", "INV-3": "55.55"}, tolerance_minor=2500)
    decisions = _pay(client, ("P1", "433.21", ""), ("P2", "366.79", ""))
    assert {d.reason for d in decisions.values()} == {"AMOUNT_MANY_TO_MANY_GROUP"}
    assert client.get_invoice("INV-1").state == client.get_invoice("INV-2").state == pb.INVOICE_STATE_PAID


def test_split_transfers_are_paired_although_the_customer_pays_again_weeks_later(client: Client) -> None:
    # P1 with P3 would also make a set (INV-1 + INV-3); P3 comes 24 days after the split, so it
    # is no rival of the pair, which arrived within a day.
    _book(client, {"INV-1": "612.34", "INV-2": "187.66", "INV-3": "55.55"})
    client.import_payments(
        [
            Payment(payment_id=pid, amount=money(amount, "EUR"), value_date=date, payer_account=ACCOUNT)
            for pid, amount, date in [
                ("P1", "433.21", "2026-11-03"),
                ("P2", "366.79", "2026-11-04"),
                ("P3", "234.68", "2026-11-28"),
            ]
        ]
    )
    decisions = {d.payment_id: d for d in client.auto_apply(all_payments=True).decisions}
    assert decisions["P1"].reason == decisions["P2"].reason == "AMOUNT_MANY_TO_MANY_GROUP"
    assert _cash(client, "P1") == {"INV-1": 43321}
    assert decisions["P3"].outcome != pb.DECISION_OUTCOME_AUTO_APPLIED


def test_a_discount_the_payer_truncated_is_recorded_as_discount_not_deduction(client: Client) -> None:
    _book(client, {"INV-1001": "100.37", "INV-1002": "200.63"})  # 2%: 2.0074 and 4.0126
    truncated = 10037 - 200 + 20063 - 401
    decisions = _pay(client, ("P1", f"{truncated / 100:.2f}", "INV-1001 INV-1002"), value_date="2026-11-08")
    assert decisions["P1"].reason == "REFERENCE_WITH_DISCOUNT"
    apps = client.get_payment("P1").applications
    assert sorted(a.discount.amount_minor for a in apps) == [200, 401]
    assert all(a.deduction.amount_minor == 0 for a in apps)


def test_a_reference_backed_exact_match_is_not_displaced_by_an_amount_only_guess(client: Client) -> None:
    _book(client, {"INV-1001": "250.00", "INV-1002": "99.99"})
    # P0 (older, no reference) would take INV-1001 by amount; P1 names it with the exact amount.
    decisions = _pay(client, ("P0", "250.00", ""), ("P1", "250.00", "INV-1001"))
    assert decisions["P1"].reason == "REFERENCE_EXACT_AMOUNT"
    assert _cash(client, "P1") == {"INV-1001": 25000}
    assert _cash(client, "P0") == {}


def test_an_amount_only_subset_is_not_unique_when_a_larger_subset_also_fits(client: Client) -> None:
    # 600.00 = INV-A alone, and = the six invoices of 100.00: unique only up to five invoices.
    _book(client, {"INV-A": "600.00", **{f"INV-{n}": "100.00" for n in range(1, 7)}})
    decisions = _pay(client, ("P1", "600.00", ""))
    assert decisions["P1"].outcome == pb.DECISION_OUTCOME_SUGGESTED
    assert decisions["P1"].reason == "AMBIGUOUS_AMOUNT_MATCH"
    assert _cash(client, "P1") == {}


def test_a_unique_subset_of_seven_invoices_without_reference_is_found(client: Client) -> None:
    amounts = ["101.17", "213.91", "337.03", "452.89", "518.27", "649.51", "773.39", "888.88", "1999.99"]
    _book(client, {f"INV-{n}": a for n, a in enumerate(amounts, 1)})
    total = sum(int(a.replace(".", "")) for a in amounts[:7])
    decisions = _pay(client, ("P1", f"{total / 100:.2f}", ""))
    assert decisions["P1"].reason == "AMOUNT_UNIQUE_SUBSET"
    assert set(_cash(client, "P1")) == {f"INV-{n}" for n in range(1, 8)}


def test_a_reference_one_digit_off_counts_only_when_the_amount_confirms_it(client: Client) -> None:
    _book(client, {"INV-104523": "812.40", "INV-104588": "300.00", "INV-104599": "19.99"})
    decisions = _pay(
        client,
        ("P1", "812.40", "INV-10453"),  # a digit dropped, amount exact
        ("P2", "300.00", "INV-1045888"),  # a digit doubled, amount exact
        ("P3", "19.00", "INV-104959"),  # two digits swapped, amount disagrees
    )
    assert decisions["P1"].reason == decisions["P2"].reason == "REFERENCE_NEAR_EXACT_AMOUNT"
    assert _cash(client, "P1") == {"INV-104523": 81240}
    assert _cash(client, "P2") == {"INV-104588": 30000}
    assert decisions["P3"].outcome != pb.DECISION_OUTCOME_AUTO_APPLIED
    assert _cash(client, "P3") == {}


def test_the_last_reference_cut_at_140_characters_counts_when_the_residual_confirms_it(
    client: Client,
) -> None:
    invoices = {f"INV-2026-{n:04d}": f"{100 + n}.25" for n in range(1, 12)}
    _book(client, invoices)
    text = ("Zahlung Rechnungen " + " ".join(invoices))[:140]
    assert text.endswith(" INV-2026-")  # the bank cut INV-2026-0009
    named = [i for i in invoices if i in text]
    cut = "INV-2026-0009"
    total = sum(int(invoices[i].replace(".", "")) for i in [*named, cut])
    decisions = _pay(client, ("P1", f"{total / 100:.2f}", text))
    assert decisions["P1"].reason == "REFERENCE_CUT_REMAINDER"
    assert set(_cash(client, "P1")) == {*named, cut}


def test_a_cut_remittance_whose_remainder_several_sets_make_pays_only_what_it_names(client: Client) -> None:
    invoices = {f"INV-2026-{n:04d}": f"{100 + n}.25" for n in range(1, 9)}
    invoices |= {"INV-2026-0009": "50.00", "INV-2026-0010": "50.00"}  # the remainder has two readings
    _book(client, invoices)
    text = ("Zahlung Rechnungen " + " ".join(invoices))[:140]
    named = [i for i in invoices if i in text]
    total = sum(int(invoices[i].replace(".", "")) for i in named) + 5000
    decisions = _pay(client, ("P1", f"{total / 100:.2f}", text))
    assert decisions["P1"].reason == "REFERENCE_TEXT_CUT_ON_ACCOUNT"
    assert set(_cash(client, "P1")) == set(named)
    assert client.get_payment("P1").state == pb.PAYMENT_STATE_ON_ACCOUNT


def test_the_write_off_tolerance_does_not_loosen_the_amount_search(client: Client) -> None:
    _book(client, {"INV-1001": "480.00", "INV-1002": "495.00"}, tolerance_minor=2500)
    decisions = _pay(client, ("P1", "470.00", ""), ("P2", "470.00", "INV-1001"), value_date="2026-11-25")
    assert decisions["P1"].outcome != pb.DECISION_OUTCOME_AUTO_APPLIED  # amount-only: no exact subset
    assert decisions["P2"].reason == "REFERENCE_WITHIN_TOLERANCE"  # the bank fee is written off
    (app,) = client.get_payment("P2").applications
    assert app.write_off.amount_minor == 1000


def test_a_payer_known_only_by_a_name_variant_is_identified(client: Client) -> None:
    _book(client, {"INV-1001": "321.09"})
    client.import_payments(
        [
            Payment(
                payment_id="P1",
                amount=money("321.09", "EUR"),
                value_date="2026-11-20",
                payer_name="BETA LOGISTICS BV",
                remittance_info="",
            )
        ]
    )
    (decision,) = client.auto_apply(all_payments=True).decisions
    assert decision.reason == "AMOUNT_UNIQUE_SUBSET"
    assert decision.explanation.customer_identified_by == "PAYER_NAME"


def test_the_same_amount_again_from_the_same_payer_without_reference_is_a_possible_duplicate(
    client: Client,
) -> None:
    _book(client, {"INV-1001": "500.00", "INV-1002": "500.00"})
    _pay(client, ("P1", "500.00", "INV-1001"))
    decisions = _pay(client, ("P2", "500.00", ""), value_date="2026-11-23")
    assert decisions["P2"].reason == "POSSIBLE_DUPLICATE"
    assert "P1" in decisions["P2"].explanation.summary
    assert _cash(client, "P2") == {}


def test_tenant_default_tolerances_apply_to_customers_without_their_own(client: Client) -> None:
    _book(client, {"INV-1001": "480.00", "INV-1002": "495.00"})
    client.update_settings(write_off_tolerance_minor=1500, matching_tolerance_minor=0)
    decisions = _pay(client, ("P1", "470.00", "INV-1001"), ("P2", "492.00", ""))
    assert decisions["P1"].reason == "REFERENCE_WITHIN_TOLERANCE"  # 10.00 short, default write-off 15.00
    assert decisions["P2"].outcome != pb.DECISION_OUTCOME_AUTO_APPLIED  # matching stays exact
    client.update_settings(matching_tolerance_minor=500)
    (decision,) = client.auto_apply(all_payments=True).decisions  # the settings change re-decides P2
    assert decision.payment_id == "P2" and decision.reason == "AMOUNT_UNIQUE_SUBSET"
    assert _cash(client, "P2") == {"INV-1002": 49200}  # and 3.00 written off
