"""The journal entries a case's resolution posts, and what it does to invoice open amounts.

A deduction's money sits in DEDUCTIONS (the application moved it there from AR); a dispute's
stays in AR on its invoice. A resolution moves it on:

  resolution    deduction case                    dispute
  CREDIT_MEMO   Dr CREDIT_MEMOS  Cr DEDUCTIONS     Dr CREDIT_MEMOS  Cr AR (invoice)
  WRITE_OFF     Dr WRITE_OFFS    Cr DEDUCTIONS     Dr WRITE_OFFS    Cr AR (invoice)
  COLLECT       Dr AR (invoice)  Cr DEDUCTIONS     nothing moves: it is still owed in AR
  REBILL        Dr AR (new inv.) Cr DEDUCTIONS     Dr AR (new inv.) Cr AR (invoice)
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import ledger
from engine.cases.case import Case, Kind, Resolution
from engine.model import Account

_TO = {Resolution.CREDIT_MEMO: Account.CREDIT_MEMOS, Resolution.WRITE_OFF: Account.WRITE_OFFS}


@dataclass(frozen=True, slots=True)
class Effect:
    """What one resolution posts: its entry (None when no money moves) and the open-amount
    change of each invoice it touches (a re-bill's new invoice is not among them: it is
    created with its open amount)."""

    entry: ledger.JournalEntry | None
    invoice_deltas: dict[str, int]


def effect(case: Case, resolution: Resolution, amount: int, rebill_invoice_id: str, now: int) -> Effect:
    if case.kind is Kind.DISPUTE and resolution is Resolution.COLLECT:
        return Effect(None, {})
    tags = {
        "customer_id": case.customer_id,
        "invoice_id": case.invoice_id,
        "payment_id": case.payment_id or None,
    }
    if case.kind is Kind.DEDUCTION:
        source = ledger.Line(Account.DEDUCTIONS, case.currency, -amount, **tags)
        deltas = {case.invoice_id: amount} if resolution is Resolution.COLLECT else {}
    else:
        source = ledger.Line(Account.AR, case.currency, -amount, **tags)
        deltas = {case.invoice_id: -amount}
    if resolution in _TO:
        target = ledger.Line(_TO[resolution], case.currency, amount, **tags)
    elif resolution is Resolution.COLLECT:
        target = ledger.Line(Account.AR, case.currency, amount, **tags)
    else:
        target = ledger.Line(Account.AR, case.currency, amount, case.customer_id, rebill_invoice_id)
    kind = f"CASE_{resolution.value}"
    memo = f"{resolution.value.lower().replace('_', ' ')} of case {case.case_id}"
    return Effect(ledger.entry(kind, memo, [target, source], now), deltas)
