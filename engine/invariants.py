"""The ledger invariants of DESIGN.md section 5 and the journal's hash chain, computed from the
database and reported with the offending rows (at most MAX_VIOLATIONS each). The journal is read
once: the pass that recomputes the hash chain also folds the line totals (engine.journal_totals)
that the balance, entry and replay checks compare; the rest are set-based queries."""

from __future__ import annotations

from sqlalchemy import case, func, select

from engine import journal_chain
from engine import model as m
from engine.journal_effects import RepeatedEffects
from engine.journal_totals import JournalTotals
from engine.storage import tables as t
from engine.storage.store import Store, now_us

MAX_VIOLATIONS = 100


def reconciliation_report(store: Store) -> m.ReconciliationReport:
    totals, effects = JournalTotals(MAX_VIOLATIONS), RepeatedEffects()
    chain_check, verdict = _journal_chain_intact(store, totals, effects)
    balances = totals.account_balances()
    checks = (
        _entries_balance(totals),
        _ar_equals_open_invoices(store, balances),
        _payments_add_up(store),
        _replay_matches_balances(store, totals),
        _effects_once(store, effects),
        chain_check,
        _deductions_equal_open_cases(store, balances),
        _dunning_outbox_complete(store),
    )
    return m.ReconciliationReport(balances, checks, now_us(), verdict.head_digest, verdict.entry_count)


def _journal_chain_intact(
    store: Store, totals: JournalTotals, effects: RepeatedEffects
) -> tuple[m.InvariantCheck, journal_chain.Verdict]:
    """Recomputes the tenant's hash chain from the stored entries and lines (streamed, in
    sequence order) and checks it against the recorded head, folding every entry into `totals`
    and `effects` on the way; lines without an entry are outside the chain, so they are looked
    for separately (and folded into the totals too)."""
    entries = totals.observe(effects.observe(store.journal_chain()))
    verdict = journal_chain.verify(store.tenant_id, entries, store.journal_head(), MAX_VIOLATIONS)
    orphan_lines = store.orphan_journal_lines()
    totals.add_lines(orphan_lines)
    orphans = [
        f"line {line.line_no} of entry {entry_id}: its entry does not exist"
        for entry_id, line in orphan_lines[:MAX_VIOLATIONS]
    ]
    check = m.InvariantCheck(
        "JOURNAL_CHAIN_INTACT",
        "Every journal entry and line is as written, in order: the hash chain recomputes to the head.",
        (*verdict.violations, *orphans)[:MAX_VIOLATIONS],
    )
    return check, verdict


def _entries_balance(totals: JournalTotals) -> m.InvariantCheck:
    return m.InvariantCheck(
        "ENTRIES_BALANCE",
        "Each journal entry balances: debits equal credits per currency.",
        tuple(f"entry {e} {c}: debits - credits = {s}" for e, c, s in totals.unbalanced_entries()),
    )


def _ar_equals_open_invoices(store: Store, balances: tuple[m.AccountBalance, ...]) -> m.InvariantCheck:
    inv = t.invoices.c
    violations = [
        f"invoice {i}: open {o} outside [0, {a}]"
        for i, o, a in store.conn.execute(
            select(inv.invoice_id, inv.open_minor, inv.amount_minor)
            .where(
                inv.tenant_id == store.tenant_id, (inv.open_minor < 0) | (inv.open_minor > inv.amount_minor)
            )
            .limit(MAX_VIOLATIONS)
        )
    ]
    open_by_currency: dict[str, int] = {
        currency: int(total)
        for currency, total in store.conn.execute(
            select(inv.currency, func.sum(inv.open_minor))
            .where(inv.tenant_id == store.tenant_id)
            .group_by(inv.currency)
        )
    }
    ar = {b.currency: b.balance_minor for b in balances if b.account == m.Account.AR.value}
    for currency in sorted(set(open_by_currency) | set(ar)):
        ledger_ar, open_sum = ar.get(currency, 0), int(open_by_currency.get(currency, 0))
        if ledger_ar != open_sum:
            violations.append(f"{currency}: AR balance {ledger_ar} != open invoices {open_sum}")
    return m.InvariantCheck(
        "AR_EQUALS_OPEN_INVOICES",
        "The AR balance equals the open amounts of all invoices; no open amount < 0 or > the invoice.",
        tuple(violations[:MAX_VIOLATIONS]),
    )


def _applied_by_payment(store: Store) -> dict[str, int]:
    ap = t.applications.c
    signed = case((ap.reverses_application_id.is_(None), ap.amount_minor), else_=-ap.amount_minor)
    rows = store.conn.execute(
        select(ap.payment_id, func.sum(signed)).where(ap.tenant_id == store.tenant_id).group_by(ap.payment_id)
    )
    return {p: int(s) for p, s in rows}


def _payments_add_up(store: Store) -> m.InvariantCheck:
    applied = _applied_by_payment(store)
    pay = t.payments.c
    violations = []
    for pid, amount, unapplied, returned in store.conn.execute(
        select(pay.payment_id, pay.amount_minor, pay.unapplied_minor, pay.returned_minor).where(
            pay.tenant_id == store.tenant_id
        )
    ):
        a = applied.get(pid, 0)
        if a + unapplied + returned != amount or a < 0 or unapplied < 0 or a > amount:
            violations.append(
                f"payment {pid}: applied {a} + unapplied {unapplied} + returned {returned} != {amount}"
            )
            if len(violations) >= MAX_VIOLATIONS:
                break
    return m.InvariantCheck(
        "PAYMENT_AMOUNTS_ADD_UP",
        "For each payment: applied + unapplied + returned = amount, never applied beyond its amount.",
        tuple(violations),
    )


def _replay_matches_balances(store: Store, totals: JournalTotals) -> m.InvariantCheck:
    """Every invoice's open amount and every payment's unapplied and cash against the journal's
    lines replayed from zero (folded in the chain's pass)."""
    ar, unapplied, cash = totals.ar_by_invoice, totals.unapplied_by_payment, totals.cash_by_payment
    violations = []
    inv, pay = t.invoices.c, t.payments.c
    for invoice_id, open_minor in store.conn.execute(
        select(inv.invoice_id, inv.open_minor).where(inv.tenant_id == store.tenant_id)
    ):
        if ar.get(invoice_id, 0) != open_minor:
            violations.append(
                f"invoice {invoice_id}: replayed AR {ar.get(invoice_id, 0)} != open {open_minor}"
            )
    for pid, amount, unapplied_minor, returned in store.conn.execute(
        select(pay.payment_id, pay.amount_minor, pay.unapplied_minor, pay.returned_minor).where(
            pay.tenant_id == store.tenant_id
        )
    ):
        if unapplied.get(pid, 0) != unapplied_minor:
            violations.append(
                f"payment {pid}: replayed unapplied {unapplied.get(pid, 0)} != {unapplied_minor}"
            )
        if cash.get(pid, 0) != amount - returned:
            violations.append(f"payment {pid}: replayed cash {cash.get(pid, 0)} != {amount - returned}")
    return m.InvariantCheck(
        "JOURNAL_REPLAY_MATCHES_BALANCES",
        "Replaying the journal from zero reproduces every invoice and payment balance.",
        tuple(violations[:MAX_VIOLATIONS]),
    )


def _effects_once(store: Store, effects: RepeatedEffects) -> m.InvariantCheck:
    """Nothing took effect twice: one issue entry per invoice, one receipt per payment, at most
    one return per payment (found in the chain's pass), each application reversed at most once."""
    ap = t.applications.c
    violations = [
        f"{kind} posted {n} times for {resource}" for kind, resource, n in effects.repeated(MAX_VIOLATIONS)
    ]
    n_rev = func.count()
    for original, n in store.conn.execute(
        select(ap.reverses_application_id, n_rev)
        .where(ap.tenant_id == store.tenant_id, ap.reverses_application_id.is_not(None))
        .group_by(ap.reverses_application_id)
        .having(n_rev > 1)
    ):
        violations.append(f"application {original} reversed {n} times")
    return m.InvariantCheck(
        "EFFECTS_TAKE_EFFECT_ONCE",
        "No request or resource took effect twice (issues, receipts, returns, reversals).",
        tuple(violations[:MAX_VIOLATIONS]),
    )


def _deductions_equal_open_cases(store: Store, balances: tuple[m.AccountBalance, ...]) -> m.InvariantCheck:
    """Money in DEDUCTIONS is exactly what open deduction cases hold, and every case's amounts
    (open, credited, written off, re-billed, collected, cancelled) add up to its original."""
    deductions = {b.currency: b.balance_minor for b in balances if b.account == m.Account.DEDUCTIONS.value}
    cases = store.open_deductions_by_currency()
    violations = [
        f"{currency}: DEDUCTIONS balance {deductions.get(currency, 0)} != open deduction cases "
        f"{cases.get(currency, 0)}"
        for currency in sorted(set(deductions) | set(cases))
        if deductions.get(currency, 0) != cases.get(currency, 0)
    ]
    violations += [
        f"case {k.case_id}: open {k.open_minor} + settled {k.settled_minor} != original {k.original_minor} "
        "(or a part is negative)"
        for k in store.cases_not_adding_up(MAX_VIOLATIONS)
    ]
    return m.InvariantCheck(
        "DEDUCTIONS_EQUAL_OPEN_CASES",
        "The DEDUCTIONS balance equals the open amounts of deduction cases; each case's amounts add up.",
        tuple(violations[:MAX_VIOLATIONS]),
    )


def _dunning_outbox_complete(store: Store) -> m.InvariantCheck:
    """Invariant 5 for dunning: each notice is sent once per channel, so the outbox holds exactly
    one delivery per notice and channel, and a sent one says when."""
    return m.InvariantCheck(
        "DUNNING_OUTBOX_COMPLETE",
        "Every dunning notice has exactly one outbox delivery per channel it names; a sent one records when.",
        tuple(store.dunning_outbox_violations(MAX_VIOLATIONS)),
    )
