"""Times each ReportService call on the quality benchmark's world (bench/quality) after it has
been loaded and auto-applied through a real server, and checks on the way that the aging total
equals the ledger's net receivable.

    python -m bench.reports.run --payments 5000 --database sqlite --out bench/REPORTS.md [--append]

A benchmark reports numbers; it asserts nothing about them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.quality.generate import generate
from bench.quality.load import run_world
from bench.quality.population import TODAY
from bench.quality.server import fresh_database, running_server
from cashapp_client import Client

REPEATS = 3
CALL_TIMEOUT_SECONDS = 600.0


def _median_seconds(call: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _net_ledger(client: Client) -> dict[str, int]:
    out: dict[str, int] = {}
    for b in client.get_reconciliation_report().balances:
        if b.account in ("AR", "UNAPPLIED_CASH", "ON_ACCOUNT"):
            out[b.currency_code] = out.get(b.currency_code, 0) + b.balance_minor
    return out


def measure(target: str) -> list[tuple[str, float, str]]:
    today = TODAY.isoformat()
    rows: list[tuple[str, float, str]] = []
    with Client(target, timeout_seconds=CALL_TIMEOUT_SECONDS) as c:
        seconds, aging = _median_seconds(lambda: c.get_aging_report(today, page_size=1000))
        # The ledger's balances are today's, in real time: entries the load posted without a
        # business date of their own (returns, reversals) count from their posting day, so the
        # comparison is made as of a date after every entry.
        everything = c.get_aging_report("2999-12-31", page_size=1)
        totals = {t.currency_code: t.net_receivable_minor for t in everything.totals}
        check = f"total = ledger's net receivable: {totals == _net_ledger(c)}"
        rows.append(("GetAgingReport (1,000 customers + totals)", seconds, check))
        currency = aging.totals[0].currency_code if aging.totals else "EUR"
        seconds, dso = _median_seconds(
            lambda: c.get_dso_report(today, currency_code=currency, period_count=3)
        )
        rows.append(
            (
                f"GetDsoReport (3 months, {currency})",
                seconds,
                f"DSO {dso.simple_dso_days}, CEI {dso.cei_percent}",
            )
        )
        # Decisions are dated by when the server made them: today, in real time.
        now = dt.datetime.now(dt.UTC).date()
        first, last = now - dt.timedelta(days=30), now + dt.timedelta(days=1)
        seconds, rates = _median_seconds(lambda: c.get_match_rate_report(first, last))
        rows.append(("GetMatchRateReport (all decisions)", seconds, f"envelope {rates.envelope.percent}%"))
        seconds, cash = _median_seconds(lambda: c.get_unapplied_cash_aging(today, page_size=1000))
        count = sum(t.payment_count for t in cash.totals)
        rows.append(
            ("GetUnappliedCashAging (1,000 payments + totals)", seconds, f"{count} unapplied payments")
        )
        customer = next((line.customer_id for line in aging.lines if line.customer_id), "")
        start = TODAY.replace(year=TODAY.year - 1).isoformat()
        seconds, s = _median_seconds(
            lambda: c.get_customer_statement(customer, start_date=start, end_date=today, include_pdf=True)
        )
        lines = sum(len(x.lines) for x in s.currencies)
        rows.append(
            (
                "GetCustomerStatement with PDF (one customer)",
                seconds,
                f"{lines} lines, {len(s.pdf)} PDF bytes",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=5000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--append", action="store_true")
    args = parser.parse_args()
    world = generate(args.seed, args.payments)
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(args.database, Path(tmp)) as url,
        running_server(url) as (target, _output),
    ):
        run_world(target, world)
        rows = measure(target)
    section = [
        f"## {args.database}, {args.payments} payments (seed {args.seed}): median of {REPEATS} calls",
        "",
        "| call | seconds | check |",
        "|---|---:|---|",
        *[f"| {name} | {seconds:.3f} | {check} |" for name, seconds, check in rows],
        "",
    ]
    text = "\n".join(section)
    print(text)
    if args.out is not None:
        if args.append and args.out.exists():
            args.out.write_text(args.out.read_text() + "\n" + text)
        else:
            header = (
                "# Report timings\n\nReproduce with `python -m bench.reports.run` (bench/reports/run.py).\n\n"
            )
            args.out.write_text(header + text)


if __name__ == "__main__":
    main()
