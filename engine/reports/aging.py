"""Receivables aging as of a date, per customer and in total, from the ledger.

Each line's columns add up to its net receivable: the AR balance aged into buckets (by days
past due, or by days since the invoice date), less unapplied cash, cash left on account and
open credits (credit memos beyond their invoice, the ON_ACCOUNT account). Summed over every
line, that is the AR + UNAPPLIED_CASH + ON_ACCOUNT balance of the journal as of the date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from engine.customers import get_customer
from engine.reports.as_of import BUCKET_COUNT
from engine.storage import report_queries as q
from engine.storage.pagination import decode_token, encode_token, page_size_or_default
from engine.storage.store import Store


@dataclass(slots=True)
class AgingLine:
    customer_id: str
    currency: str
    buckets: list[int] = field(default_factory=lambda: [0] * BUCKET_COUNT)
    unapplied_cash_minor: int = 0  # cash held, >= 0
    on_account_cash_minor: int = 0
    open_credits_minor: int = 0

    @property
    def receivables_minor(self) -> int:
        return sum(self.buckets)

    @property
    def net_receivable_minor(self) -> int:
        return (
            self.receivables_minor
            - self.unapplied_cash_minor
            - self.on_account_cash_minor
            - self.open_credits_minor
        )


@dataclass(frozen=True, slots=True)
class AgingReport:
    as_of: dt.date
    by_issue_date: bool
    lines: list[AgingLine]
    totals: list[AgingLine]
    next_page_token: str = ""


def aging_report(
    store: Store,
    as_of: dt.date,
    *,
    by_issue_date: bool = False,
    customer_id: str | None = None,
    page_size: int = 0,
    page_token: str = "",
) -> AgingReport:
    if customer_id is not None:
        get_customer(store, customer_id)
    size = page_size_or_default(page_size)
    filters = {"report": "aging", "as_of": as_of.isoformat(), "issue": by_issue_date, "customer": customer_id}
    after = decode_token(page_token, filters)
    cells = q.aging_cells(store, as_of, by_issue_date, customer_id)
    customers = q.aging_customer_page(store, cells, after, size + 1)
    more = len(customers) > size
    customers = customers[:size]
    lines = _lines(q.aging_rows(store, cells, customers)) if customers else []
    totals = _lines(q.aging_rows(store, cells, None))
    token = encode_token(customers[-1], filters) if more else ""
    return AgingReport(as_of, by_issue_date, lines, totals, token)


def _lines(rows: list[Any]) -> list[AgingLine]:
    """Folds (customer, currency, cell, amount) rows into lines, in customer and currency order."""
    lines: dict[tuple[str, str], AgingLine] = {}
    for customer_id, currency, cell, amount in rows:
        line = lines.setdefault((customer_id, currency), AgingLine(customer_id, currency))
        _add(line, str(cell), int(amount))
    return [lines[key] for key in sorted(lines)]


def _add(line: AgingLine, cell: str, amount: int) -> None:
    # Receivables are debits (positive); cash and credits are credits, shown as amounts held.
    if cell.isdigit():
        line.buckets[int(cell)] += amount
    elif cell == "UNAPPLIED":
        line.unapplied_cash_minor -= amount
    elif cell == "ON_ACCOUNT_CASH":
        line.on_account_cash_minor -= amount
    elif cell == "OPEN_CREDITS":
        line.open_credits_minor -= amount
    else:
        raise AssertionError(f"unknown aging cell {cell!r}")


def net_receivable_by_currency(totals: list[AgingLine]) -> dict[str, int]:
    """The net receivable of each currency (for the reconciliation with the ledger)."""
    out: dict[str, int] = defaultdict(int)
    for line in totals:
        out[line.currency] += line.net_receivable_minor
    return dict(out)
