"""Unapplied cash as of a date, aged by each payment's value date (the UNAPPLIED_CASH account
per payment: received, less applied, plus reversed, less returned)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from engine.customers import get_customer
from engine.reports.as_of import BUCKET_COUNT
from engine.storage import report_queries as q
from engine.storage.pagination import decode_token, encode_token, page_size_or_default
from engine.storage.store import Store


@dataclass(frozen=True, slots=True)
class UnappliedItem:
    payment_id: str
    customer_id: str
    currency: str
    value_date: dt.date
    age_days: int
    unapplied_minor: int
    on_account: bool


@dataclass(slots=True)
class UnappliedTotal:
    currency: str
    buckets: list[int] = field(default_factory=lambda: [0] * BUCKET_COUNT)
    payment_count: int = 0

    @property
    def unapplied_minor(self) -> int:
        return sum(self.buckets)


@dataclass(frozen=True, slots=True)
class UnappliedAging:
    items: list[UnappliedItem]
    totals: list[UnappliedTotal]
    next_page_token: str = ""


def unapplied_cash_aging(
    store: Store, as_of: dt.date, *, customer_id: str | None = None, page_size: int = 0, page_token: str = ""
) -> UnappliedAging:
    if customer_id is not None:
        get_customer(store, customer_id)
    size = page_size_or_default(page_size)
    filters = {"report": "unapplied", "as_of": as_of.isoformat(), "customer": customer_id}
    rows = q.unapplied_page(store, as_of, customer_id, decode_token(page_token, filters), size + 1)
    items = [
        UnappliedItem(
            r.payment_id,
            r.customer_id,
            r.currency,
            dt.date.fromisoformat(r.value_date),
            (as_of - dt.date.fromisoformat(r.value_date)).days,
            int(r.unapplied_minor),
            bool(r.on_account),
        )
        for r in rows[:size]
    ]
    token = encode_token(items[-1].payment_id, filters) if len(rows) > size else ""
    totals: dict[str, UnappliedTotal] = {}
    for currency, bucket, amount, payments in q.unapplied_totals(store, as_of, customer_id):
        total = totals.setdefault(currency, UnappliedTotal(currency))
        total.buckets[int(bucket)] += int(amount)
        total.payment_count += int(payments)
    return UnappliedAging(items, [totals[c] for c in sorted(totals)], token)
