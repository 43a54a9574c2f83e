"""What "as of a date" means for every report, the age buckets, and how ratios are written.

A journal line counts as of day D when its effective date is D or earlier. The effective date
is the latest of the dates the line depends on: the issue date of the invoice it names, the
value date of the payment it names, and, for entries that have no business date of their own
(application reversals, voids, credit memos, payment returns), the UTC day the entry was
posted. So an invoice counts from its issue date, a payment from its value date, and an
application from the later of the two (the default application date of the common ERPs); a
reversal can never count before what it reverses.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

# Entries dated by the documents they name; every other kind is also dated by its posting day.
DATED_KINDS = ("INVOICE_ISSUED", "PAYMENT_RECEIVED", "APPLICATION")
# Upper bounds (inclusive, in days of age) of the aging buckets; the last bucket is open ended.
BUCKET_UPPER_DAYS = (0, 30, 60, 90, 120)
BUCKET_COUNT = len(BUCKET_UPPER_DAYS) + 1
# Day counts and percentages are written with this many decimals, rounded half-even.
DECIMAL_PLACES = 2
_MICROS_PER_DAY = 86_400_000_000


def cutoff_us(day: dt.date) -> int:
    """Microseconds since the epoch at the end of `day` (UTC): posted before it counts."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
    return int(midnight.timestamp()) * 1_000_000


def posting_day(create_us: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=create_us // _MICROS_PER_DAY)


def effective_date(kind: str, create_us: int, *dates: str | None) -> dt.date:
    """The effective date of a line (see the module docstring); `dates` are ISO dates or None."""
    known = [dt.date.fromisoformat(d) for d in dates if d]
    if kind not in DATED_KINDS:
        known.append(posting_day(create_us))
    return max(known) if known else posting_day(create_us)


def bucket_floors(as_of: dt.date) -> list[str]:
    """The earliest date (ISO) of each bucket but the last: a date on or after floors[i] and
    before floors[i-1] has an age within bucket i."""
    return [(as_of - dt.timedelta(days=days)).isoformat() for days in BUCKET_UPPER_DAYS]


def bucket_of(age_days: int) -> int:
    for index, upper in enumerate(BUCKET_UPPER_DAYS):
        if age_days <= upper:
            return index
    return BUCKET_COUNT - 1


def decimal_text(numerator: int | Decimal, denominator: int | Decimal, scale: int = 1) -> str:
    """numerator / denominator x scale with DECIMAL_PLACES decimals, half-even; "" for a zero
    denominator (the figure is undefined, not zero)."""
    if not denominator:
        return ""
    value = Decimal(numerator) * scale / Decimal(denominator)
    return str(value.quantize(Decimal(1).scaleb(-DECIMAL_PLACES), rounding=ROUND_HALF_EVEN))
