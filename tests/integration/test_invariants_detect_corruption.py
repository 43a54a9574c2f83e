"""The reconciliation report is not a rubber stamp: each invariant fails, naming the offending
rows, when the stored books are corrupted behind the engine's back."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import customers, invoices, payments
from engine import model as m
from engine.app import CashApp
from engine.applying import ApplyRequest, apply_allocations
from engine.invariants import reconciliation_report
from engine.invoices import InvoiceDraft
from engine.money import Money
from engine.payments import PaymentDraft
from tests.tamper import tamper

TENANT = "t"


@pytest.fixture
def app(app: CashApp) -> CashApp:
    # conftest's app, booked: one invoice part-settled by a manual application.
    def book(store):  # type: ignore[no-untyped-def]
        customers.create_customer(store, m.Customer("C1", "ACME"))
        invoices.create_invoices(store, [InvoiceDraft("I1", "C1", Money(1000, "EUR"), "2026-11-01")])
        payments.create_payment(store, PaymentDraft("P1", Money(600, "EUR"), "2026-11-02", customer_id="C1"))
        return apply_allocations(
            store, ApplyRequest("P1", (m.Allocation("I1", 600),), m.ApplicationSource.MANUAL)
        )

    app.mutate(TENANT, "", "setup", "", book, lambda _: b"")
    return app


def _failed(app: CashApp) -> dict[str, tuple[str, ...]]:
    report = app.read(TENANT, reconciliation_report)
    return {c.name: c.violations for c in report.invariants if not c.passed}


def _corrupt(app: CashApp, sql: str) -> None:
    tamper(app.db.engine, sql)  # as the owner: the append-only triggers lifted


def test_a_clean_book_passes_every_invariant(app: CashApp) -> None:
    assert _failed(app) == {}


def test_an_open_amount_changed_outside_the_ledger_is_caught(app: CashApp) -> None:
    _corrupt(app, "UPDATE invoices SET open_minor = 300 WHERE invoice_id = 'I1'")
    failed = _failed(app)
    assert set(failed) == {"AR_EQUALS_OPEN_INVOICES", "JOURNAL_REPLAY_MATCHES_BALANCES"}
    assert any("I1" in row for row in failed["JOURNAL_REPLAY_MATCHES_BALANCES"])


def test_an_unbalanced_journal_line_is_caught(app: CashApp) -> None:
    _corrupt(app, "UPDATE journal_lines SET amount_minor = amount_minor + 1 WHERE account = 'CASH'")
    assert {"ENTRIES_BALANCE", "JOURNAL_CHAIN_INTACT"} <= set(_failed(app))


def test_a_payment_whose_parts_do_not_add_up_is_caught(app: CashApp) -> None:
    _corrupt(app, "UPDATE payments SET unapplied_minor = 100 WHERE payment_id = 'P1'")
    failed = _failed(app)
    assert "PAYMENT_AMOUNTS_ADD_UP" in failed
    assert any("P1" in row for row in failed["PAYMENT_AMOUNTS_ADD_UP"])


def test_a_receipt_posted_twice_is_caught(app: CashApp) -> None:
    _corrupt(
        app,
        "INSERT INTO journal_entries (tenant_id, entry_id, kind, reverses_entry_id, memo, create_us, "
        "seq, prev_hash, entry_hash) VALUES ('t', 'dup', 'PAYMENT_RECEIVED', NULL, 'dup', 0, 99, '', '')",
    )
    _corrupt(
        app,
        "INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, currency, amount_minor, "
        "customer_id, invoice_id, payment_id) VALUES "
        "('t', 'dup', 0, 'CASH', 'EUR', 600, 'C1', NULL, 'P1'), "
        "('t', 'dup', 1, 'UNAPPLIED_CASH', 'EUR', -600, 'C1', NULL, 'P1')",
    )
    failed = _failed(app)
    assert "EFFECTS_TAKE_EFFECT_ONCE" in failed
    assert "JOURNAL_REPLAY_MATCHES_BALANCES" in failed


def test_a_line_whose_entry_does_not_exist_is_in_every_total(app: CashApp) -> None:
    """A line outside the chain (no entry) is named by the chain check, and the line totals that
    the chain's pass folds cover it too: the entry does not balance, the replay and the balances
    see its cash."""
    before = app.read(TENANT, reconciliation_report)
    _corrupt(
        app,
        "INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, currency, amount_minor, "
        "customer_id, invoice_id, payment_id) VALUES ('t', 'ghost', 0, 'CASH', 'EUR', 5, 'C1', NULL, 'P1')",
    )
    report = app.read(TENANT, reconciliation_report)
    failed = {c.name: c.violations for c in report.invariants if not c.passed}
    assert failed["ENTRIES_BALANCE"] == ("entry ghost EUR: debits - credits = 5",)
    assert failed["JOURNAL_CHAIN_INTACT"] == ("line 0 of entry ghost: its entry does not exist",)
    assert failed["JOURNAL_REPLAY_MATCHES_BALANCES"] == ("payment P1: replayed cash 605 != 600",)

    def cash(r: m.ReconciliationReport) -> int:
        return next(b.debit_minor for b in r.balances if b.account == "CASH")

    assert cash(report) == cash(before) + 5


def _post_again(app: CashApp, entry_id: str, kind: str, lines: str, seq: int) -> None:
    _corrupt(
        app,
        "INSERT INTO journal_entries (tenant_id, entry_id, kind, reverses_entry_id, memo, create_us, "
        f"seq, prev_hash, entry_hash) VALUES ('t', '{entry_id}', '{kind}', NULL, 'dup', 0, {seq}, '', '')",
    )
    _corrupt(
        app,
        "INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, currency, amount_minor, "
        f"customer_id, invoice_id, payment_id) VALUES {lines}",
    )


def test_each_kind_posted_twice_is_named_with_its_resource(app: CashApp) -> None:
    """An issue, a receipt and a return each posted twice: the one check names all three, in
    that order, each with the invoice or payment it posted for."""
    _post_again(
        app,
        "dup-issue",
        "INVOICE_ISSUED",
        "('t', 'dup-issue', 0, 'AR', 'EUR', 1000, 'C1', 'I1', NULL), "
        "('t', 'dup-issue', 1, 'REVENUE', 'EUR', -1000, 'C1', 'I1', NULL)",
        97,
    )
    _post_again(
        app,
        "dup-receipt",
        "PAYMENT_RECEIVED",
        "('t', 'dup-receipt', 0, 'CASH', 'EUR', 600, 'C1', NULL, 'P1'), "
        "('t', 'dup-receipt', 1, 'UNAPPLIED_CASH', 'EUR', -600, 'C1', NULL, 'P1')",
        98,
    )
    for n in (1, 2):  # a payment returned twice (the first return is itself fine)
        _post_again(
            app,
            f"ret-{n}",
            "PAYMENT_RETURNED",
            f"('t', 'ret-{n}', 0, 'UNAPPLIED_CASH', 'EUR', 1, 'C1', NULL, 'P1'), "
            f"('t', 'ret-{n}', 1, 'CASH', 'EUR', -1, 'C1', NULL, 'P1')",
            98 + n,
        )
    assert _failed(app)["EFFECTS_TAKE_EFFECT_ONCE"] == (
        "INVOICE_ISSUED posted 2 times for I1",
        "PAYMENT_RECEIVED posted 2 times for P1",
        "PAYMENT_RETURNED posted 2 times for P1",
    )


def _dunned(app: CashApp) -> str:
    """A dunning run that stored a notice with an e-mail and an SMS delivery; its notice id."""
    from engine.dunning import policies, run
    from engine.dunning.model import Channel, Level

    def work(store):  # type: ignore[no-untyped-def]
        policies.create_policy(store, "STD", "Standard", "EUR", (Level(1, 0, (Channel.EMAIL, Channel.SMS)),))
        return run.run(store, "STD", dt.date(2026, 12, 31), dry_run=False)

    result = app.write(TENANT, work)
    (notice,) = result.notices
    return notice.notice_id


def test_a_dunning_delivery_removed_or_marked_sent_behind_the_outbox_is_caught(app: CashApp) -> None:
    notice_id = _dunned(app)
    assert _failed(app) == {}
    _corrupt(app, f"DELETE FROM dunning_deliveries WHERE notice_id = '{notice_id}' AND channel = 'SMS'")
    _corrupt(app, f"UPDATE dunning_deliveries SET state = 'SENT' WHERE notice_id = '{notice_id}'")
    (violations,) = _failed(app).values()
    assert violations == (
        f"notice {notice_id}: no SMS delivery in the outbox",
        f"delivery {notice_id}/EMAIL: SENT without a send time",
    )
