"""The customer-name stamp AutoApply keeps its payer-name indexes by (engine/matching/name_cache.py),
on SQLite and PostgreSQL: every write of a tenant's customers replaces it, nothing else does, and
a name added by an update identifies the payer in the next round of a server that kept the index."""

from __future__ import annotations

from cashapp_client import Client, money
from engine.app import CashApp
from engine.customers import create_customer, update_customer
from engine.model import Customer
from engine.money import Money
from engine.payments import PaymentDraft, create_payment
from engine.storage.store import Store


def _stamp(app: CashApp, tenant: str) -> str:
    return app.read(tenant, lambda s: s.customer_names_stamp())


def test_every_customer_write_replaces_the_stamp_and_nothing_else_does(app: CashApp) -> None:
    assert _stamp(app, "t") == ""
    app.write("t", lambda s: create_customer(s, Customer("C1", "Alpha Trading GmbH")))
    created = _stamp(app, "t")
    assert created != ""
    # The same customer created again writes nothing; payments and another tenant's customers
    # are not this tenant's names.
    app.write("t", lambda s: create_customer(s, Customer("C1", "Alpha Trading GmbH")))
    app.write("t", lambda s: create_payment(s, PaymentDraft("P1", Money(100, "EUR"), "2026-11-02")))
    app.write("u", lambda s: create_customer(s, Customer("C1", "Other Tenant Ltd")))
    assert _stamp(app, "t") == created
    assert _stamp(app, "u") not in ("", created)

    def rename(s: Store) -> None:
        update_customer(s, Customer("C1", "Alpha Trading", name_aliases=("Alpha T.",)), ["name_aliases"])

    app.write("t", rename)
    updated = _stamp(app, "t")
    assert updated not in ("", created)
    app.write("t", lambda s: create_customer(s, Customer("C2", "Beta Foods AG")))
    assert _stamp(app, "t") not in ("", created, updated)


def test_an_alias_added_by_an_update_identifies_the_payer_in_the_next_round(client: Client) -> None:
    client.create_customer("C1", display_name="Alpha Trading GmbH")
    client.create_customer("C2", display_name="Gamma Logistics Ltd")
    client.create_invoice("INV-1", customer_id="C1", amount=money("120.00", "EUR"), issue_date="2026-11-01")
    client.create_payment(
        "P1", amount=money("120.00", "EUR"), value_date="2026-11-20", payer_name="Beta Foods Trading",
    )  # fmt: skip
    (first,) = client.auto_apply(all_payments=True).decisions
    assert first.customer_id == ""  # the round built and kept the name index without the alias
    client.update_customer("C1", name_aliases=["Beta Foods Trading"])
    (second,) = client.auto_apply(payment_ids=["P1"]).decisions
    assert second.customer_id == "C1"
