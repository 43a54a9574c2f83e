"""The smallest book that exercises matching: one customer with a payer account, one invoice,
and one payment from that account that pays it exactly (the telemetry tests trace it)."""

from __future__ import annotations

from cashapp_client import Client, Payment, money

ACCOUNT = "ACCT00001"


def book_one_payment(client: Client) -> None:
    client.create_customer("C1", display_name="ACME", payer_accounts=[ACCOUNT])
    client.create_invoice("I1", customer_id="C1", amount=money("10.00", "EUR"), issue_date="2026-11-01")
    client.import_payments(
        [
            Payment(
                payment_id="P1", amount=money("10.00", "EUR"), value_date="2026-11-02", payer_account=ACCOUNT
            )
        ]
    )
