"""A payment is decided once per change of its inputs, through the real server on SQLite and
PostgreSQL: backlogs larger than one AutoApply call are worked through without starving newer
payments, an unchanged re-decision stores nothing, every doubt sits in the exception queue and
is re-decided when its inputs change."""

from __future__ import annotations

from collections import Counter

import pytest

from cashapp_client import (
    Client,
    FailedPreconditionError,
    Payment,
    money,
)
from cashapp_client._proto.cashapp.v1 import reconciliation_service_pb2 as rs
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from engine import reconciliation
from engine.app import CashApp
from engine.invoices import InvoiceDraft, create_invoices
from engine.money import Money
from engine.storage.store import Store

BACKLOG = 2500
OPEN = pb.MATCH_EXCEPTION_STATE_OPEN


def _drain(client: Client) -> list[rs.AutoApplyResponse]:
    """AutoApply(all) until a call decides nothing (bounded, so a starvation bug fails)."""
    responses = []
    for _ in range(20):
        response = client.auto_apply(all_payments=True)
        responses.append(response)
        if not response.decisions and not response.unchanged_count:
            return responses
    raise AssertionError("AutoApply never ran dry")


def _payments(prefix: str, count: int, **kw: str) -> list[Payment]:
    # Amounts in whole 3.00 steps never sum to an invoice of 1000.01: amount-only, unmatchable.
    return [
        Payment(payment_id=f"{prefix}-{n:05d}", amount=money("3.00", "EUR"), value_date="2026-11-20", **kw)
        for n in range(count)
    ]


def test_a_backlog_larger_than_one_call_is_decided_once_per_payment(client: Client) -> None:
    client.create_customer("C-A", display_name="Alpha Trading", payer_accounts=["ACCT-A-1"])
    client.create_customer("C-B", display_name="Beta Logistics", payer_accounts=["ACCT-B-1"])
    backlog = [
        *_payments("U", BACKLOG - 40),
        *_payments("A", 20, payer_account="ACCT-A-1"),
        *_payments("B", 20, payer_account="ACCT-B-1"),
    ]
    client.import_payments(backlog)

    responses = _drain(client)
    decided = Counter(d.payment_id for r in responses for d in r.decisions)
    assert len(decided) == BACKLOG and set(decided.values()) == {1}
    assert len(list(client.list_decisions(page_size=1000))) == BACKLOG
    assert [len(r.decisions) for r in responses] == [1000, 1000, 500, 0]
    # Every payment left unexplained waits for a person.
    assert len(list(client.list_exceptions(page_size=1000))) == BACKLOG
    nothing = client.auto_apply(all_payments=True)
    assert (len(nothing.decisions), nothing.unchanged_count) == (0, 0)

    client.create_invoice("INV-A", customer_id="C-A", amount=money("1000.01", "EUR"), issue_date="2026-11-01")
    redecided = client.auto_apply(all_payments=True)
    assert {d.payment_id for d in redecided.decisions} == {
        p.payment_id for p in backlog if p.payment_id[0] == "A"
    }
    assert {d.customer_id for d in redecided.decisions} == {"C-A"}
    assert len(list(client.list_decisions(page_size=1000))) == BACKLOG + 20
    # The old doubts were superseded by the new ones, one open exception per payment.
    assert len(list(client.list_exceptions(state=pb.MATCH_EXCEPTION_STATE_SUPERSEDED))) == 20
    assert len(list(client.list_exceptions(page_size=1000))) == BACKLOG
    nothing = client.auto_apply(all_payments=True)
    assert (len(nothing.decisions), nothing.unchanged_count) == (0, 0)


def test_an_unchanged_re_decision_stores_nothing_and_keeps_its_exception(client: Client) -> None:
    client.create_customer("C1", display_name="ACME GmbH", payer_accounts=["ACCT-1"])
    client.import_payments(_payments("P", 1, payer_account="ACCT-1"))
    (first,) = client.auto_apply(all_payments=True).decisions
    assert first.reason == "NO_OPEN_INVOICES_IN_CURRENCY"
    (exception,) = client.list_exceptions()
    # A settings change marks every unapplied payment; the re-decision equals the stored one.
    client.update_settings(write_off_tolerance_minor=100)
    again = client.auto_apply(all_payments=True)
    assert (len(again.decisions), again.unchanged_count) == (0, 1)
    assert [x.exception_id for x in client.list_exceptions()] == [exception.exception_id]
    assert len(list(client.list_decisions(payment_id="P-00000"))) == 1


def test_a_queued_doubt_is_superseded_when_inputs_change_and_resolved_when_they_settle_it(
    client: Client,
) -> None:
    client.create_customer("C1", display_name="ACME GmbH", payer_accounts=["ACCT-1"])
    for iid in ("INV-1", "INV-2"):
        client.create_invoice(iid, customer_id="C1", amount=money("73.00", "EUR"), issue_date="2026-11-01")
    client.create_payment("P1", amount=money("73.00", "EUR"), value_date="2026-11-20", payer_account="ACCT-1")
    (first,) = client.auto_apply(all_payments=True).decisions
    assert first.outcome == pb.DECISION_OUTCOME_SUGGESTED
    (old,) = client.list_exceptions()

    client.create_invoice("INV-3", customer_id="C1", amount=money("73.00", "EUR"), issue_date="2026-11-01")
    (second,) = client.auto_apply(all_payments=True).decisions
    assert second.outcome == pb.DECISION_OUTCOME_SUGGESTED
    (new,) = client.list_exceptions()
    assert new.exception_id != old.exception_id and len(new.suggestions) == 3
    (superseded,) = client.list_exceptions(state=pb.MATCH_EXCEPTION_STATE_SUPERSEDED)
    assert superseded.exception_id == old.exception_id
    with pytest.raises(FailedPreconditionError) as caught:
        client.resolve_exception(old.exception_id, rank=1)
    assert caught.value.reason == "EXCEPTION_SUPERSEDED"

    client.void_invoice("INV-2")
    client.void_invoice("INV-3")
    (third,) = client.auto_apply(all_payments=True).decisions
    assert third.outcome == pb.DECISION_OUTCOME_AUTO_APPLIED
    assert list(client.list_exceptions()) == []
    resolved = {x.exception_id for x in client.list_exceptions(state=pb.MATCH_EXCEPTION_STATE_RESOLVED)}
    assert resolved == {new.exception_id}
    # Newest first, overall and per payment.
    ids = [d.decision_id for d in client.list_decisions(payment_id="P1", page_size=1)]
    assert ids == [third.decision_id, second.decision_id, first.decision_id]
    assert [d.decision_id for d in client.list_decisions()][:1] == [third.decision_id]


def test_unmatched_cash_is_queued_and_a_new_customer_identifies_it(client: Client) -> None:
    client.create_payment(
        "P1", amount=money("10.00", "EUR"), value_date="2026-11-20", payer_account="DE-ACC-9"
    )
    (first,) = client.auto_apply(all_payments=True).decisions
    assert (first.outcome, first.reason) == (pb.DECISION_OUTCOME_UNMATCHED, "NO_CUSTOMER_IDENTIFIED")
    (queued,) = client.list_exceptions()
    assert queued.reason == "NO_CUSTOMER_IDENTIFIED"

    client.create_customer("C9", display_name="Nine Corp", payer_accounts=["DEACC9"])
    client.create_invoice("INV-9", customer_id="C9", amount=money("10.00", "EUR"), issue_date="2026-11-01")
    # Not yet identified, but paid from C9's account: in C9's scope.
    (second,) = client.auto_apply(customer_id="C9").decisions
    assert (second.outcome, second.customer_id) == (pb.DECISION_OUTCOME_AUTO_APPLIED, "C9")
    assert list(client.list_exceptions()) == []
    # Re-importing exactly what the client sent is still "already existed".
    result = client.import_payments(
        [
            Payment(
                payment_id="P1",
                amount=money("10.00", "EUR"),
                value_date="2026-11-20",
                payer_account="DE-ACC-9",
            )
        ]
    )
    assert (result.existing_count, result.failed_count) == (1, 0)
    assert client.get_payment("P1").customer_id == "C9"


def test_a_new_invoice_named_in_remittance_marks_the_unidentified_payment(client: Client) -> None:
    client.create_customer("C1", display_name="ACME GmbH")
    client.create_payment(
        "P1", amount=money("55.00", "EUR"), value_date="2026-11-20", remittance_info="pay INV-77"
    )
    assert client.auto_apply(all_payments=True).decisions[0].reason == "NO_CUSTOMER_IDENTIFIED"
    client.create_invoice("INV-77", customer_id="C1", amount=money("55.00", "EUR"), issue_date="2026-11-01")
    (decision,) = client.auto_apply(all_payments=True).decisions
    assert (decision.outcome, decision.customer_id) == (pb.DECISION_OUTCOME_AUTO_APPLIED, "C1")


def test_resolving_on_account_leaves_the_cash_as_credit_and_records_the_decision(client: Client) -> None:
    client.create_customer("C1", display_name="ACME GmbH", payer_accounts=["ACCT-1"])
    client.create_payment("P1", amount=money("10.00", "EUR"), value_date="2026-11-20", payer_account="ACCT-1")
    client.create_payment("P2", amount=money("10.00", "EUR"), value_date="2026-11-20")
    client.auto_apply(all_payments=True)
    by_payment = {x.payment_id: x for x in client.list_exceptions()}

    with pytest.raises(FailedPreconditionError) as caught:
        client.resolve_exception(by_payment["P2"].exception_id, on_account=True)
    assert (caught.value.reason, [v.field for v in caught.value.field_violations]) == (
        "CUSTOMER_NOT_IDENTIFIED",
        ["on_account"],
    )
    resolved = client.resolve_exception(by_payment["P1"].exception_id, on_account=True)
    assert resolved.state == pb.MATCH_EXCEPTION_STATE_RESOLVED
    payment = client.get_payment("P1")
    assert (payment.state, payment.unapplied_amount.amount_minor) == (pb.PAYMENT_STATE_ON_ACCOUNT, 1000)
    latest = next(iter(client.list_decisions(payment_id="P1")))
    assert latest.reason == "PUT_ON_ACCOUNT"
    # On account is final for matching: a new invoice does not pull the payment back.
    client.create_invoice("INV-1", customer_id="C1", amount=money("10.00", "EUR"), issue_date="2026-11-01")
    assert [d.payment_id for d in client.auto_apply(all_payments=True).decisions] == []
    assert [x.payment_id for x in client.list_exceptions()] == ["P2"]


def test_a_manual_application_re_decides_the_customers_other_payments_only(client: Client) -> None:
    from cashapp_client import Allocation

    client.create_customer("C1", display_name="ACME GmbH", payer_accounts=["ACCT-1"])
    client.create_invoice("INV-1", customer_id="C1", amount=money("100.00", "EUR"), issue_date="2026-11-01")
    client.create_payment("P1", amount=money("60.00", "EUR"), value_date="2026-11-20", payer_account="ACCT-1")
    (first,) = client.auto_apply(all_payments=True).decisions
    client.create_payment("P2", amount=money("100.00", "EUR"), value_date="2026-11-20", customer_id="C1")
    client.apply_payment("P2", [Allocation(invoice_id="INV-1", amount=money("100.00", "EUR"))])
    # P2 is settled (never decided by matching); P1 lost its candidate invoice.
    (second,) = client.auto_apply(all_payments=True).decisions
    assert (second.payment_id, second.reason) == ("P1", "NO_OPEN_INVOICES_IN_CURRENCY")
    assert first.reason != second.reason
    assert client.auto_apply(all_payments=True).decisions == []


def test_returning_a_queued_payment_closes_its_exception(client: Client) -> None:
    client.create_payment("P1", amount=money("10.00", "EUR"), value_date="2026-11-20")
    client.auto_apply(all_payments=True)
    assert len(list(client.list_exceptions())) == 1
    client.return_payment("R1", payment_id="P1", reason_code="R01")
    assert list(client.list_exceptions()) == []


def test_settings_have_defaults_and_update_by_mask(client: Client) -> None:
    settings = client.get_settings()
    assert (settings.write_off_tolerance_minor, settings.matching_tolerance_minor) == (0, 0)
    client.update_settings(write_off_tolerance_minor=150)
    settings = client.update_settings(matching_tolerance_minor=7)
    assert (settings.write_off_tolerance_minor, settings.matching_tolerance_minor) == (150, 7)
    assert client.get_settings() == settings


def test_the_matching_tolerance_override_is_stored_apart_from_the_write_off_tolerance(client: Client) -> None:
    created = client.create_customer(
        "C1", display_name="ACME", tolerance_minor=100, matching_tolerance_minor=5
    )
    assert (created.tolerance_minor, created.matching_tolerance_minor) == (100, 5)
    updated = client.update_customer("C1", matching_tolerance_minor=9)
    assert (updated.tolerance_minor, updated.matching_tolerance_minor) == (100, 9)
    cleared = client.update_customer("C1", clear_matching_tolerance=True)
    assert not cleared.HasField("matching_tolerance_minor") and cleared.tolerance_minor == 100
    assert client.create_customer("C1", display_name="ACME", tolerance_minor=100).customer_id == "C1"


def test_batch_create_customers_creates_all_and_is_idempotent(client: Client) -> None:
    customers = [pb.Customer(customer_id=f"C{n}", display_name=f"Customer {n}") for n in range(3)]
    created = client.batch_create_customers(customers)
    assert [c.customer_id for c in created] == ["C0", "C1", "C2"]
    again = client.batch_create_customers(customers)
    assert [c.create_time for c in again] == [c.create_time for c in created]
    with pytest.raises(ValueError):
        client.batch_create_customers([])  # refused by the client before any call


# The payment is identified by its payer account (reachable by marking) or only by name (not
# stored as the customer's until the commit: caught by the customer's version).
@pytest.mark.parametrize(
    "payer", [{"payer_account": "ACCT-1"}, {"payer_name": "ACME GmbH"}], ids=["account", "name"]
)
def test_an_invoice_created_between_plan_and_commit_keeps_the_payment_marked(
    app: CashApp, payer: dict[str, str]
) -> None:
    from engine.customers import create_customer
    from engine.model import Customer
    from engine.payments import PaymentDraft, create_payment

    def setup(s: Store) -> None:
        create_customer(s, Customer("C1", "ACME GmbH", payer_accounts=("ACCT-1",)))
        create_payment(s, PaymentDraft("P1", Money(1000, "EUR"), "2026-11-20", **payer))

    app.db.transact(lambda conn: setup(Store(conn, "t")))
    planned = app.read("t", lambda s: reconciliation.plan(s, reconciliation.Scope()))
    assert [(p.payment_id, p.customer_id) for p in planned.proposals] == [("P1", "C1")]
    # Between the snapshot and the commit, the customer gets an invoice the plan never saw.
    draft = InvoiceDraft("INV-1", "C1", Money(1000, "EUR"), "2026-11-01")
    app.db.transact(lambda conn: create_invoices(Store(conn, "t"), [draft]))
    app.db.transact(lambda conn: reconciliation.commit(Store(conn, "t"), planned))
    needing = app.read("t", lambda s: s.payments_needing_decision(limit=10))
    assert needing == ["P1"], "the change that raced the plan was lost"
    replanned = app.read("t", lambda s: reconciliation.plan(s, reconciliation.Scope()))
    committed = app.db.transact(lambda conn: reconciliation.commit(Store(conn, "t"), replanned))
    assert [d.outcome.value for d in committed.decisions] == ["AUTO_APPLIED"]
    assert app.read("t", lambda s: s.payments_needing_decision(limit=10)) == []


def test_a_customers_waiting_payments_are_taken_together_oldest_customer_first(app: CashApp) -> None:
    from engine.customers import create_customer
    from engine.model import Customer
    from engine.payments import PaymentDraft, create_payment

    def setup(s: Store) -> None:
        create_customer(s, Customer("C-A", "Alpha Trading", payer_accounts=("ACCT-A",)))
        create_customer(s, Customer("C-B", "Beta Logistics", payer_accounts=("ACCT-B",)))
        for pid, date, account in [
            ("A1", "2026-11-01", "ACCT-A"),
            ("B1", "2026-11-02", "ACCT-B"),
            ("A2", "2026-11-10", "ACCT-A"),
            ("U1", "2026-11-03", "ACCT-NOBODY"),
            ("A3", "2026-11-20", "ACCT-A"),
        ]:
            create_payment(s, PaymentDraft(pid, Money(1000, "EUR"), date, payer_account=account))

    app.db.transact(lambda conn: setup(Store(conn, "t")))

    def needing(limit: int) -> list[str]:
        return app.read("t", lambda s: s.payments_needing_decision(limit=limit))

    # Alpha's payments ride with its oldest one; Beta and the unknown payer follow in age order.
    assert needing(10) == ["A1", "A2", "A3", "B1", "U1"]
    assert needing(4) == ["A1", "A2", "A3", "B1"]
    # A customer is not split to fill a call, unless it alone exceeds one call.
    assert needing(3) == ["A1", "A2", "A3"]
    assert needing(2) == ["A1", "A2"]
    # Scoped calls take exactly their scope.
    assert app.read("t", lambda s: s.payments_needing_decision(payment_ids=["B1", "A3"], limit=10)) == [
        "B1",
        "A3",
    ]
