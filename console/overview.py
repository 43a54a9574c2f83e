"""The overview: aging by bucket, DSO and auto-match-rate trends, cash received per day, each an
SVG chart of the figures ReportService (or the payments list) returned, and the aging by
customer with links to each customer's invoices."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from cashapp_client import Client
from console.charts import BarChart, Point, bar_chart
from console.display import amount_text

BUCKETS = (
    ("current", "current_minor"),
    ("1-30", "days_1_30_minor"),
    ("31-60", "days_31_60_minor"),
    ("61-90", "days_61_90_minor"),
    ("91-120", "days_91_120_minor"),
    (">120", "days_over_120_minor"),
)
DSO_MONTHS = 6
MATCH_RATE_DAYS = 14
CASH_DAYS = 30
MAX_AGING_LINES = 1000  # one page of the aging report: the customers the overview lists


@dataclass
class Overview:
    as_of: dt.date
    aging: list[BarChart]
    dso: list[BarChart]
    match_rate: BarChart
    cash: list[BarChart]
    customers: list[object]


def _percent(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


def month_ends(as_of: dt.date, count: int) -> list[dt.date]:
    """as_of and the last days of the count-1 months before it, oldest first."""
    ends = [as_of]
    year, month = as_of.year, as_of.month
    for _ in range(count - 1):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        ends.append(dt.date(year, month, calendar.monthrange(year, month)[1]))
    return ends[::-1]


def aging_charts(client: Client, as_of: dt.date) -> tuple[list[BarChart], list[object], list[str]]:
    report = client.get_aging_report(as_of, page_size=MAX_AGING_LINES)
    charts = []
    currencies = []
    for total in report.totals:
        ccy = total.currency_code
        currencies.append(ccy)
        points: list[Point] = [
            (
                label,
                Decimal(getattr(total.receivables, name)),
                amount_text(getattr(total.receivables, name), ccy),
                "/invoices",
            )
            for label, name in BUCKETS
        ]
        charts.append(bar_chart(f"aging-{ccy}", f"Receivables by age ({ccy}, days past due)", ccy, points))
    return charts, list(report.lines), currencies


def dso_charts(client: Client, as_of: dt.date, currencies: list[str]) -> list[BarChart]:
    charts = []
    for ccy in currencies:
        points: list[Point] = []
        for end in month_ends(as_of, DSO_MONTHS):
            figures = client.get_dso_report(end, currency_code=ccy, period="month", period_count=1)
            points.append(
                (end.isoformat(), _percent(figures.simple_dso_days), figures.simple_dso_days or "0", "")
            )
        charts.append(
            bar_chart(f"dso-{ccy}", f"DSO, days ({ccy}, one month ending on each date)", "days", points)
        )
    return charts


def match_rate_chart(client: Client, as_of: dt.date) -> BarChart:
    points: list[Point] = []
    for back in range(MATCH_RATE_DAYS - 1, -1, -1):
        day = as_of - dt.timedelta(days=back)
        rate = client.get_match_rate_report(day, day).envelope
        points.append((day.isoformat(), _percent(rate.percent), rate.percent or "0", ""))
    return bar_chart(
        "match-rate", "Auto-match rate per day (%, payments auto-applied / decided)", "%", points
    )


def cash_charts(client: Client, as_of: dt.date) -> list[BarChart]:
    first = as_of - dt.timedelta(days=CASH_DAYS - 1)
    per_day: dict[str, dict[str, int]] = defaultdict(dict)
    for day in client.get_cash_receipts_report(first, as_of).days:
        per_day[day.currency_code][day.value_date] = day.received_minor
    charts = []
    for ccy in sorted(per_day):
        days = [(first + dt.timedelta(days=i)).isoformat() for i in range(CASH_DAYS)]
        points: list[Point] = [
            (
                d,
                Decimal(per_day[ccy].get(d, 0)),
                amount_text(per_day[ccy].get(d, 0), ccy),
                f"/payments?value_date={d}",
            )
            for d in days
        ]
        charts.append(bar_chart(f"cash-{ccy}", f"Cash received per value date ({ccy})", ccy, points))
    return charts


def load_overview(client: Client, as_of: dt.date) -> Overview:
    aging, lines, currencies = aging_charts(client, as_of)
    return Overview(
        as_of=as_of,
        aging=aging,
        dso=dso_charts(client, as_of, currencies),
        match_rate=match_rate_chart(client, as_of),
        cash=cash_charts(client, as_of),
        customers=lines,
    )
