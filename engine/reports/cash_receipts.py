"""Cash received per value date: per currency and day, the payments that carry that value date
(whatever became of them) and their total, with what of it the bank returned since. Grouped in
the database, so a range over a large book costs one scan of the tenant's payments, not a page
walk through ListPayments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.storage import report_queries as q
from engine.storage.store import Store


@dataclass(frozen=True, slots=True)
class CashReceiptsDay:
    currency: str
    value_date: str
    payment_count: int
    received_minor: int
    returned_minor: int


def cash_receipts_report(store: Store, start: dt.date, end: dt.date) -> list[CashReceiptsDay]:
    return [
        CashReceiptsDay(currency, value_date, int(count), int(received), int(returned))
        for currency, value_date, count, received, returned in q.cash_receipts(store, start, end)
    ]
