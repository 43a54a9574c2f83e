"""`cashapp report aging|dso|match-rate|cash-receipts|statement`: the reports of a running server, as tables.

A client of the API like any other (cashapp_client over gRPC, never the database): --server
and --token say where and as whom (CASHAPP_SERVER and CASHAPP_TOKEN by default). --json prints
the response as protobuf JSON instead of tables; `statement --pdf FILE` writes the PDF.
Exit codes: 0 done, 1 the server failed or could not be reached, 2 refused input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from google.protobuf import json_format
from rich.console import Console
from rich.table import Table

from cashapp_client import CashappError, Client, InvalidArgumentError, NotFoundError
from cashapp_client._channel import DEFAULT_TARGET
from engine.reports.statement_pdf import amount_text

BUCKETS = ("current", "1-30", "31-60", "61-90", "91-120", "120+")


def add_report_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser("report", help="print a collections report of a running server")
    kinds = report.add_subparsers(dest="report_command", required=True)
    aging = kinds.add_parser("aging", help="receivables aging as of a date")
    aging.add_argument("--as-of", default=None, help="YYYY-MM-DD (default today, UTC)")
    aging.add_argument("--by-invoice-date", action="store_true", help="age by invoice date, not due date")
    aging.add_argument("--customer", default=None, help="only this customer")
    dso = kinds.add_parser("dso", help="DSO, best possible DSO, average days delinquent and CEI")
    dso.add_argument("--as-of", default=None, help="last day of the last period (default today, UTC)")
    dso.add_argument("--currency", required=True, help="ISO 4217 code")
    dso.add_argument("--period", choices=("month", "quarter"), default="month")
    dso.add_argument("--periods", type=int, default=3, help="how many periods (N)")
    dso.add_argument("--day-count", choices=("actual", "thirty"), default="actual")
    rate = kinds.add_parser("match-rate", help="cash-application rates of a date range")
    rate.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD (UTC)")
    rate.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD (UTC)")
    receipts = kinds.add_parser("cash-receipts", help="cash received per currency and value date")
    receipts.add_argument("--from", dest="start", required=True, help="first value date, YYYY-MM-DD")
    receipts.add_argument("--to", dest="end", required=True, help="last value date, YYYY-MM-DD")
    statement = kinds.add_parser("statement", help="a customer's statement of account")
    statement.add_argument("customer", help="the customer id")
    statement.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    statement.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    statement.add_argument("--pdf", type=Path, default=None, help="also write the statement as a PDF here")
    for parser in (aging, dso, rate, receipts, statement):
        parser.add_argument("--server", default=os.environ.get("CASHAPP_SERVER", DEFAULT_TARGET))
        parser.add_argument("--token", default=os.environ.get("CASHAPP_TOKEN"), help="API token")
        parser.add_argument("--json", action="store_true", help="print the response as JSON")


def run_report(args: argparse.Namespace, out: TextIO | None = None) -> int:
    console = Console(file=out or sys.stdout, width=160)
    try:
        with Client(args.server, token=args.token) as client:
            response = _call(client, args)
    except (InvalidArgumentError, NotFoundError) as exc:
        print(f"cashapp: {exc}", file=sys.stderr)
        return 2
    except (CashappError, ValueError) as exc:
        print(f"cashapp: report failed: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1
    if args.report_command == "statement" and args.pdf is not None:
        args.pdf.write_bytes(response.pdf)
    if args.json:
        if args.report_command == "statement":
            response.ClearField("pdf")  # written to --pdf, not printed
        console.print_json(json_format.MessageToJson(response, preserving_proto_field_name=True))
    else:
        _PRINTERS[args.report_command](console, response)
    return 0


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def _call(client: Client, args: argparse.Namespace) -> Any:
    kind = args.report_command
    if kind == "aging":
        return _all_aging_pages(client, args.as_of or _today(), args.by_invoice_date, args.customer)
    if kind == "dso":
        return client.get_dso_report(
            args.as_of or _today(),
            currency_code=args.currency,
            period=args.period,
            period_count=args.periods,
            day_count=args.day_count,
        )
    if kind == "match-rate":
        return client.get_match_rate_report(args.start, args.end)
    if kind == "cash-receipts":
        return client.get_cash_receipts_report(args.start, args.end)
    return client.get_customer_statement(
        args.customer, start_date=args.start, end_date=args.end, include_pdf=args.pdf is not None
    )


# Pages an aging table reads at most (of 1000 customers each); the totals cover everyone anyway.
MAX_AGING_PAGES = 100


def _all_aging_pages(client: Client, as_of: str, by_invoice_date: bool, customer: str | None) -> Any:
    first = client.get_aging_report(
        as_of, by_invoice_date=by_invoice_date, customer_id=customer, page_size=1000
    )
    token = first.next_page_token
    for _ in range(MAX_AGING_PAGES):
        if not token:
            break
        page = client.get_aging_report(
            as_of, by_invoice_date=by_invoice_date, customer_id=customer, page_size=1000, page_token=token
        )
        first.lines.extend(page.lines)
        token = page.next_page_token
    first.next_page_token = token
    return first


def _print_aging(console: Console, r: Any) -> None:
    basis = "invoice date" if r.basis == 2 else "days past due"
    table = Table(title=f"Aging as of {r.as_of_date} ({basis})")
    for column in ("Customer", "Cur", *BUCKETS, "Receivables", "Unapplied", "On account", "Credits", "Net"):
        table.add_column(column, justify="left" if column in ("Customer", "Cur") else "right")
    for line in [*r.lines, *r.totals]:
        c = line.currency_code
        b = line.receivables
        amounts = (
            b.current_minor,
            b.days_1_30_minor,
            b.days_31_60_minor,
            b.days_61_90_minor,
            b.days_91_120_minor,
            b.days_over_120_minor,
            line.receivables_minor,
            line.unapplied_cash_minor,
            line.on_account_cash_minor,
            line.open_credits_minor,
            line.net_receivable_minor,
        )
        name = line.customer_id or ("TOTAL" if line in r.totals else "(unidentified)")
        table.add_row(name, c, *[amount_text(a, c) for a in amounts])
    console.print(table)


def _print_dso(console: Console, r: Any) -> None:
    table = Table(title="DSO and CEI")
    table.add_column("Figure")
    table.add_column("Value", justify="right")
    for label, value in (
        ("Simple DSO (days)", r.simple_dso_days),
        ("Count-back DSO (days)", r.count_back_dso_days + (" (at least)" if r.count_back_exhausted else "")),
        ("Best possible DSO (days)", r.best_possible_dso_days),
        ("Average days delinquent", r.average_days_delinquent),
        ("CEI (%)", r.cei_percent),
        ("Ending receivables (minor)", str(r.ending_receivables_minor)),
        ("Credit sales (minor)", str(r.credit_sales_minor)),
    ):
        table.add_row(label, value or "-")
    console.print(table)
    console.print(r.convention)


def _print_match_rate(console: Console, r: Any) -> None:
    table = Table(title=f"Cash-application rates ({r.payments_decided} payments decided)")
    for column in ("Rate", "Count", "Of", "%"):
        table.add_column(column, justify="left" if column == "Rate" else "right")
    for label, rate in (
        ("Envelope (payment)", r.envelope),
        ("Line item (invoice)", r.line_item),
        ("Straight-through", r.straight_through),
        ("Suggestion acceptance", r.suggestion_acceptance),
        ("Auto-applied reversed", r.auto_applied_reversal),
    ):
        table.add_row(label, str(rate.numerator), str(rate.denominator), rate.percent or "-")
    console.print(table)


def _print_cash_receipts(console: Console, r: Any) -> None:
    table = Table(title="Cash received per value date")
    for column in ("Currency", "Value date", "Payments", "Received", "Returned since"):
        table.add_column(column, justify="left" if column in ("Currency", "Value date") else "right")
    for d in r.days:
        c = d.currency_code
        table.add_row(
            c,
            d.value_date,
            str(d.payment_count),
            amount_text(d.received_minor, c),
            amount_text(d.returned_minor, c),
        )
    console.print(table)


def _print_statement(console: Console, r: Any) -> None:
    console.print(f"Statement of {r.display_name} ({r.customer_id}), {r.start_date} to {r.end_date}")
    for s in r.currencies:
        c = s.currency_code
        table = Table(title=f"{c}: opening {amount_text(s.opening_balance_minor, c)}")
        for column in ("Date", "Kind", "Reference", "Amount", "Balance"):
            table.add_column(column, justify="right" if column in ("Amount", "Balance") else "left")
        for ln in s.lines:
            table.add_row(
                ln.date,
                ln.kind,
                ln.reference,
                amount_text(ln.amount_minor, c),
                amount_text(ln.balance_minor, c),
            )
        console.print(table)
        console.print(f"Closing balance {amount_text(s.closing_balance_minor, c)} {c}")
        for item in s.open_items:
            console.print(
                f"  open {item.invoice_id} due {item.due_date}: {amount_text(item.open_minor, c)} {c}"
                f" ({item.days_past_due} days past due)"
            )


_PRINTERS = {
    "aging": _print_aging,
    "dso": _print_dso,
    "match-rate": _print_match_rate,
    "cash-receipts": _print_cash_receipts,
    "statement": _print_statement,
}
