"""DSO (simple and count-back), best possible DSO, average days delinquent and CEI.

The formulas are pure functions on integers (exact fractions, rounded once when written);
`dso_report` feeds them from the ledger as of each period end: receivables are the AR
account, credit sales the REVENUE account's movement (invoices issued less voids).

Conventions (named in the response):
- Simple DSO = ending receivables / credit sales of the N periods x their days.
- Count-back DSO: the ending receivables are matched against the most recent period's sales,
  then the one before, counting each period's days in full while its sales are covered and pro
  rata for the last one. The published example this is checked against (AR 212,000; monthly
  sales 100,000 / 80,000 / 70,000, most recent first; 73.71 days) counts 30 days a month:
  Benji Pays, "Mastering DSO Calculation: The Count-Back Method Explained" (2024). DAY_COUNT
  THIRTY reproduces it; ACTUAL uses each period's calendar days.
- Best possible DSO = ending current (not past due) receivables / credit sales x days.
- Average days delinquent = simple DSO - best possible DSO.
- CEI in the Credit Research Foundation form: (B + S/N - E) / (B + S/N - C) x 100, with B the
  beginning receivables, S the credit sales of the N months, E the ending total and C the
  ending current receivables (CreditGuru's worked example: B 6,200, S 10,890, N 3, E 6,340,
  C 3,590 gives 55.93%). N counts months, so three quarters are N = 9.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from engine.errors import InvalidArgument
from engine.reports.as_of import decimal_text
from engine.storage import report_queries as q
from engine.storage.store import Store

MAX_PERIOD_COUNT = 36
DEFAULT_PERIOD_COUNT = 3
DAYS_PER_THIRTY_MONTH = 30


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date
    end: dt.date
    days: int
    credit_sales_minor: int = 0


def shift_months(day: dt.date, months: int) -> dt.date:
    """`day` moved back `months` calendar months; a month end stays a month end, another day is
    held at the shorter month's end (March 30 back one month is February 28)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    month_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return dt.date(year, month + 1, last if month_end else min(day.day, last))


def periods_ending(as_of: dt.date, months_per_period: int, count: int, thirty: bool) -> list[Period]:
    """`count` consecutive periods of `months_per_period` months, the last ending on `as_of`;
    most recent first."""
    ends = [shift_months(as_of, k * months_per_period) for k in range(count + 1)]
    out = []
    for k in range(1, count + 1):
        days = DAYS_PER_THIRTY_MONTH * months_per_period if thirty else (ends[k - 1] - ends[k]).days
        out.append(Period(ends[k] + dt.timedelta(days=1), ends[k - 1], days))
    return out


def simple_dso(receivables: int, sales: int, days: int) -> Fraction | None:
    return Fraction(receivables * days, sales) if sales else None


def count_back_dso(receivables: int, periods: list[tuple[int, int]]) -> tuple[Fraction, bool]:
    """Days of (days, sales) periods, most recent first, that `receivables` cover; True when
    the receivables exceed every period's sales (the result is then a lower bound)."""
    left, total = receivables, Fraction(0)
    for days, sales in periods:
        if left <= 0:
            return total, False
        if sales > 0 and left < sales:
            return total + Fraction(left * days, sales), False
        total += days
        left -= max(sales, 0)
    return total, left > 0


def cei(beginning: int, sales: int, months: int, ending_total: int, ending_current: int) -> Fraction | None:
    """The CRF collection effectiveness index in percent; multiplied through by N so that it
    stays exact: (N*B + S - N*E) / (N*B + S - N*C) x 100."""
    denominator = months * beginning + sales - months * ending_current
    if denominator == 0:
        return None
    return Fraction((months * beginning + sales - months * ending_total) * 100, denominator)


def text(value: Fraction | None) -> str:
    return "" if value is None else decimal_text(value.numerator, value.denominator)


@dataclass(frozen=True, slots=True)
class DsoReport:
    periods: list[Period]
    ending_receivables_minor: int
    ending_current_receivables_minor: int
    beginning_receivables_minor: int
    simple_dso_days: str
    count_back_dso_days: str
    count_back_exhausted: bool
    best_possible_dso_days: str
    average_days_delinquent: str
    cei_percent: str
    convention: str

    @property
    def credit_sales_minor(self) -> int:
        return sum(p.credit_sales_minor for p in self.periods)

    @property
    def days(self) -> int:
        return sum(p.days for p in self.periods)


def _convention(months_per_period: int, count: int, thirty: bool) -> str:
    unit = "month" if months_per_period == 1 else "quarter"
    days = f"{DAYS_PER_THIRTY_MONTH} days a month" if thirty else "actual calendar days"
    return (
        f"{count} {unit}(s), {days}; receivables = AR account, credit sales = invoices issued less "
        "voids (REVENUE); simple DSO = AR / sales x days; count-back DSO over the most recent "
        "periods first, the last one pro rata; best possible DSO = current AR / sales x days; "
        "ADD = simple - best possible; CEI (Credit Research Foundation) = (B + S/N - E) / "
        f"(B + S/N - C) x 100 with N = {count * months_per_period} months; "
        "decimals rounded half-even to 2 places"
    )


def dso_report(
    store: Store, as_of: dt.date, currency: str, *, months_per_period: int, count: int, thirty: bool
) -> DsoReport:
    if not 1 <= count <= MAX_PERIOD_COUNT:
        raise InvalidArgument(
            "INVALID_PERIOD_COUNT", f"period_count must be 1..{MAX_PERIOD_COUNT}", "period_count"
        )
    periods = periods_ending(as_of, months_per_period, count, thirty)
    revenue = {p.end: _revenue(store, p.end, currency) for p in periods}
    before_first = periods[-1].start - dt.timedelta(days=1)
    revenue[before_first] = _revenue(store, before_first, currency)
    periods = [
        Period(p.start, p.end, p.days, revenue[p.start - dt.timedelta(days=1)] - revenue[p.end])
        for p in periods
    ]
    ending = q.account_balances(store, as_of, currency, ("AR",)).get("AR", 0)
    beginning = q.account_balances(store, before_first, currency, ("AR",)).get("AR", 0)
    current = q.current_receivables(store, as_of, currency)
    sales, days = sum(p.credit_sales_minor for p in periods), sum(p.days for p in periods)
    simple, best = simple_dso(ending, sales, days), simple_dso(current, sales, days)
    back, exhausted = count_back_dso(ending, [(p.days, p.credit_sales_minor) for p in periods])
    return DsoReport(
        periods,
        ending,
        current,
        beginning,
        text(simple),
        text(back),
        exhausted,
        text(best),
        text(None if simple is None or best is None else simple - best),
        text(cei(beginning, sales, count * months_per_period, ending, current)),
        _convention(months_per_period, count, thirty),
    )


def _revenue(store: Store, day: dt.date, currency: str) -> int:
    """The REVENUE balance as of `day` (a credit: negative)."""
    return q.account_balances(store, day, currency, ("REVENUE",)).get("REVENUE", 0)
