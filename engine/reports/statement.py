"""A customer's statement of account: the net balance owed the day before the range, every
movement in the range with a running balance, and the invoices open at its end.

The balance is the customer's net receivable (AR less unapplied cash and credits), so a
payment lowers it when it arrives and its application moves nothing; discounts, write-offs
and deductions granted when applying lower it, and a reversal raises it again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from engine.customers import get_customer
from engine.errors import InvalidArgument
from engine.reports.as_of import effective_date
from engine.storage import report_queries as q
from engine.storage.store import Store

# A statement covers at most this many days (a year, leap day included).
MAX_STATEMENT_DAYS = 366

_KINDS = {
    "INVOICE_ISSUED": "INVOICE",
    "PAYMENT_RECEIVED": "PAYMENT",
    "APPLICATION_REVERSAL": "APPLICATION_REVERSED",
    "CREDIT_MEMO": "CREDIT_MEMO",
    "INVOICE_VOIDED": "VOID",
    "PAYMENT_RETURNED": "PAYMENT_RETURNED",
}
_ADJUSTMENTS = {"DISCOUNTS": "DISCOUNT", "WRITE_OFFS": "WRITE_OFF", "DEDUCTIONS": "DEDUCTION"}


@dataclass(frozen=True, slots=True)
class StatementLine:
    date: dt.date
    kind: str
    reference: str
    amount_minor: int
    balance_minor: int
    description: str


@dataclass(frozen=True, slots=True)
class OpenItem:
    invoice_id: str
    issue_date: dt.date
    due_date: dt.date
    amount_minor: int
    open_minor: int
    days_past_due: int


@dataclass(slots=True)
class CurrencyStatement:
    currency: str
    opening_balance_minor: int = 0
    lines: list[StatementLine] = field(default_factory=list)
    open_items: list[OpenItem] = field(default_factory=list)
    unapplied_credit_minor: int = 0

    @property
    def closing_balance_minor(self) -> int:
        return self.lines[-1].balance_minor if self.lines else self.opening_balance_minor


@dataclass(frozen=True, slots=True)
class Statement:
    customer_id: str
    display_name: str
    start: dt.date
    end: dt.date
    currencies: list[CurrencyStatement]


def customer_statement(store: Store, customer_id: str, start: dt.date, end: dt.date) -> Statement:
    customer = get_customer(store, customer_id)
    if end < start:
        raise InvalidArgument("INVERTED_DATE_RANGE", "end_date must not be before start_date", "end_date")
    if (end - start).days >= MAX_STATEMENT_DAYS:
        raise InvalidArgument(
            "DATE_RANGE_TOO_LONG", f"a statement covers at most {MAX_STATEMENT_DAYS} days", "end_date"
        )
    rows = q.customer_lines(store, customer_id, end)
    by_currency: dict[str, list[tuple[dt.date, Any]]] = defaultdict(list)
    for r in rows:
        day = effective_date(r.kind, r.create_us, r.issue_date, r.value_date)
        by_currency[r.currency].append((day, r))
    currencies = [_currency(c, by_currency[c], start, end) for c in sorted(by_currency)]
    return Statement(customer_id, customer.display_name, start, end, currencies)


def _currency(
    currency: str, rows: list[tuple[dt.date, Any]], start: dt.date, end: dt.date
) -> CurrencyStatement:
    out = CurrencyStatement(currency)
    net = [(day, r) for day, r in rows if r.account in q.NET_RECEIVABLE_ACCOUNTS]
    out.opening_balance_minor = sum(r.amount_minor for day, r in net if day < start)
    balance = out.opening_balance_minor
    for day, kind, reference, amount, description in _movements(rows, start):
        balance += amount
        out.lines.append(StatementLine(day, kind, reference, amount, balance, description))
    # The movements are derived from the lines by entry; they must add up to the ledger's balance.
    assert balance == sum(r.amount_minor for _, r in net), "statement movements do not add up"
    out.open_items = _open_items(net, end)
    out.unapplied_credit_minor = -sum(r.amount_minor for _, r in net if r.account != "AR")
    return out


def _movements(rows: list[tuple[dt.date, Any]], start: dt.date) -> list[tuple[dt.date, str, str, int, str]]:
    """One movement per (entry, document) in the range: an application's short pay as one line
    per discount, write-off or deduction (its cash part moves nothing the customer owes); any
    other entry as its net effect on the customer's balance. Zero movements are left out."""
    groups: dict[tuple[str, str, str], list[tuple[dt.date, Any]]] = defaultdict(list)
    for day, r in rows:
        if day >= start:
            groups[(r.entry_id, r.invoice_id or "", r.payment_id or "")].append((day, r))
    out = []
    for (_, invoice_id, payment_id), members in groups.items():
        day, first = max(d for d, _ in members), members[0][1]
        reference = invoice_id or payment_id
        amount = sum(r.amount_minor for _, r in members if r.account in q.NET_RECEIVABLE_ACCOUNTS)
        if first.kind == "APPLICATION":
            for _, r in members:
                if r.account in _ADJUSTMENTS and r.amount_minor:
                    label = _ADJUSTMENTS[r.account]
                    text = f"{label.replace('_', '-').lower()} on {invoice_id} (payment {payment_id})"
                    out.append((day, label, invoice_id, -r.amount_minor, text))
                    amount += r.amount_minor
            # What is left moved between this customer and another one (a payment of one
            # customer applied to another's invoice): shown, so the balance stays exact.
            if amount:
                text = f"payment {payment_id} applied to invoice {invoice_id} across customers"
                out.append((day, "APPLICATION", reference, amount, text))
            continue
        if amount:
            kind = _KINDS.get(first.kind, first.kind)
            out.append((day, kind, reference, amount, _describe(kind, invoice_id, payment_id)))
    return sorted(out, key=lambda m: (m[0], m[1] != "INVOICE", m[2]))


def _describe(kind: str, invoice_id: str, payment_id: str) -> str:
    what = {
        "INVOICE": f"invoice {invoice_id}",
        "PAYMENT": f"payment {payment_id} received",
        "APPLICATION_REVERSED": f"application of payment {payment_id} to {invoice_id} reversed",
        "CREDIT_MEMO": f"credit memo on {invoice_id}",
        "VOID": f"invoice {invoice_id} voided",
        "PAYMENT_RETURNED": f"payment {payment_id} returned by the bank",
    }
    return what.get(kind, f"{kind.lower()} {invoice_id or payment_id}")


def _open_items(net: list[tuple[dt.date, Any]], end: dt.date) -> list[OpenItem]:
    open_by_invoice: dict[str, int] = defaultdict(int)
    first: dict[str, Any] = {}
    for _, r in net:
        if r.account == "AR" and r.invoice_id:
            open_by_invoice[r.invoice_id] += r.amount_minor
            first.setdefault(r.invoice_id, r)
    items = []
    for invoice_id, open_minor in open_by_invoice.items():
        if open_minor <= 0:
            continue
        r = first[invoice_id]
        due = dt.date.fromisoformat(r.due_date)
        items.append(
            OpenItem(
                invoice_id,
                dt.date.fromisoformat(r.issue_date),
                due,
                int(r.invoice_amount_minor),
                open_minor,
                max((end - due).days, 0),
            )
        )
    return sorted(items, key=lambda i: (i.due_date, i.invoice_id))
