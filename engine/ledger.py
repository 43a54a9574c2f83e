"""Double-entry postings. Every state change posts one balanced journal entry; nothing is ever
updated or deleted: an unapply, return or void is a new entry linked to what it compensates.

Sign convention: a line's amount is positive for a debit and negative for a credit, so an entry
balances when its lines sum to zero in each currency.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from dataclasses import dataclass

from engine import model as m
from engine.model import Account


@dataclass(frozen=True, slots=True)
class Line:
    account: Account
    currency: str
    amount_minor: int  # debit > 0, credit < 0
    customer_id: str | None = None
    invoice_id: str | None = None
    payment_id: str | None = None


@dataclass(frozen=True, slots=True)
class JournalEntry:
    entry_id: str
    kind: str
    memo: str
    lines: tuple[Line, ...]
    create_us: int
    reverses_entry_id: str | None = None


class UnbalancedEntry(AssertionError):
    """A bug: the engine built an entry whose debits and credits differ."""


def new_id() -> str:
    """A time-ordered (version 7, RFC 9562) UUID as 32 hex digits: 48 bits of Unix milliseconds,
    then 74 random bits. The ids made in one round sort together, so the primary-key B-trees of
    the journal, applications and decisions take each round's rows on a few adjacent pages
    instead of one random page per row (at a million rows most of those pages are not cached).
    Built from bytes, not through uuid.UUID (AutoApply makes four ids per payment)."""
    raw = bytearray((time.time_ns() // 1_000_000).to_bytes(6, "big") + os.urandom(10))
    raw[6] = raw[6] & 0x0F | 0x70  # version 7
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    return raw.hex()


def entry(
    kind: str, memo: str, lines: list[Line], create_us: int, reverses: str | None = None
) -> JournalEntry:
    """Builds an entry and asserts it balances per currency (invariant 1, at the source)."""
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        totals[line.currency] += line.amount_minor
    unbalanced = {currency: total for currency, total in totals.items() if total}
    if unbalanced or not lines:
        raise UnbalancedEntry(f"{kind} entry does not balance: {unbalanced}")
    return JournalEntry(new_id(), kind, memo, tuple(lines), create_us, reverses)


def _transfer(
    kind: str, memo: str, debit: Account, credit: Account, amount: int, now: int, **tags: str | None
) -> JournalEntry:
    """A two-line entry moving `amount` from `credit` to `debit`, both lines tagged alike."""
    currency = tags.pop("currency")
    assert currency is not None
    return entry(
        kind, memo, [Line(debit, currency, amount, **tags), Line(credit, currency, -amount, **tags)], now
    )


def invoice_issued(inv: m.Invoice, now: int) -> JournalEntry:
    return _transfer(
        "INVOICE_ISSUED", f"invoice {inv.invoice_id}", Account.AR, Account.REVENUE, inv.amount_minor, now,
        currency=inv.currency, customer_id=inv.customer_id, invoice_id=inv.invoice_id,
    )  # fmt: skip


def invoice_voided(inv: m.Invoice, now: int) -> JournalEntry:
    """Reverses what is still open of the invoice (credit memos already reduced the rest)."""
    return _transfer(
        "INVOICE_VOIDED", f"void invoice {inv.invoice_id}", Account.REVENUE, Account.AR, inv.open_minor, now,
        currency=inv.currency, customer_id=inv.customer_id, invoice_id=inv.invoice_id,
    )  # fmt: skip


def payment_received(pay: m.Payment, now: int) -> JournalEntry:
    return _transfer(
        "PAYMENT_RECEIVED", f"payment {pay.payment_id}", Account.CASH, Account.UNAPPLIED_CASH,
        pay.amount_minor, now, currency=pay.currency, customer_id=pay.customer_id, payment_id=pay.payment_id,
    )  # fmt: skip


def application_lines(app: m.Application, customer_id: str | None, sign: int) -> list[Line]:
    """Unapplied cash, discount and write-off against AR; sign -1 builds the reversal."""
    tags = {"customer_id": customer_id, "invoice_id": app.invoice_id, "payment_id": app.payment_id}
    lines = []
    for account, amount in (
        (Account.UNAPPLIED_CASH, app.amount_minor),
        (Account.DISCOUNTS, app.discount_minor),
        (Account.WRITE_OFFS, app.write_off_minor),
        (Account.DEDUCTIONS, app.deduction_minor),
    ):
        if amount:
            lines.append(Line(account, app.currency, sign * amount, **tags))
    lines.append(Line(Account.AR, app.currency, -sign * app.settles_minor, **tags))
    return lines


def credit_memo(inv: m.Invoice, ret: m.Return, now: int) -> JournalEntry:
    """Goods returned: the credited part lowers AR, the rest becomes the customer's on-account credit."""
    lines = [Line(Account.CREDIT_MEMOS, ret.currency, ret.amount_minor, inv.customer_id, inv.invoice_id)]
    if ret.credited_minor:
        lines.append(Line(Account.AR, ret.currency, -ret.credited_minor, inv.customer_id, inv.invoice_id))
    if ret.on_account_minor:
        lines.append(
            Line(Account.ON_ACCOUNT, ret.currency, -ret.on_account_minor, inv.customer_id, inv.invoice_id)
        )
    return entry("CREDIT_MEMO", f"goods return {ret.return_id}", lines, now)


def payment_returned(pay: m.Payment, now: int) -> JournalEntry:
    """The bank took the money back: unapplied cash (all of it, after reversals) leaves CASH."""
    return _transfer(
        "PAYMENT_RETURNED", f"payment return {pay.payment_id}", Account.UNAPPLIED_CASH, Account.CASH,
        pay.amount_minor, now, currency=pay.currency, customer_id=pay.customer_id, payment_id=pay.payment_id,
    )  # fmt: skip
