"""The ReportService over a real server, on SQLite and PostgreSQL, on one booked scenario: the
aging adds up to the net receivable of the ledger, each report's figures follow from the book,
and bad input is refused with the field named and changes nothing.

The book's business dates lie in the first half of 2026, before any run of these tests: entries
posted by the tests themselves (credit memos, reversals) are dated by their posting day, so an
as-of date in mid-2026 sees only the dated entries, and a far as-of date sees everything.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from pypdf import PdfReader

from cashapp_client import Allocation, Client, InvalidArgumentError, NotFoundError, Payment, money
from cashapp_client._proto.cashapp.v1 import report_service_pb2 as rp
from server.app import run_in_thread
from server.cli import main
from server.config import Settings
from tests.databases import BACKENDS, database

EUR = "EUR"
GBP = "GBP"
FAR = "2999-12-31"  # every entry counts, whatever day the tests run
MID = "2026-06-30"


def _book(c: Client) -> None:
    """C1: I1 paid by P1 (auto), I2 part paid by P5 then over-credited by a return (10.00 open
    credit), I3 open.
    C2: I4 half paid by P3 (manual), P4's application reversed. Unidentified P2 stays unapplied."""
    c.create_customer("C1", display_name="ACME <Trading> & Co", payer_accounts=["ACCT00001"])
    c.create_customer("C2", display_name="Globex")
    c.create_customer("C3", display_name="Initech")
    for invoice_id, customer, amount, issued in (
        ("I1", "C1", "100.00", "2026-01-05"),
        ("I2", "C1", "50.00", "2026-03-01"),
        ("I3", "C1", "200.00", "2026-05-20"),
        ("I4", "C2", "80.00", "2026-02-01"),
    ):
        c.create_invoice(invoice_id, customer_id=customer, amount=money(amount, EUR), issue_date=issued)
    c.import_payments(
        [
            Payment(
                payment_id="P1",
                amount=money("100.00", EUR),
                value_date="2026-02-10",
                payer_account="ACCT00001",
            ),
            Payment(
                payment_id="P2",
                amount=money("30.00", EUR),
                value_date="2026-04-01",
                payer_name="Nobody Known",
            ),
            Payment(payment_id="P3", amount=money("40.00", EUR), value_date="2026-03-15", customer_id="C2"),
            Payment(payment_id="P4", amount=money("5.00", EUR), value_date="2026-03-20", customer_id="C2"),
            Payment(payment_id="P5", amount=money("20.00", EUR), value_date="2026-03-10", customer_id="C1"),
        ]
    )
    c.auto_apply(all_payments=True)
    c.apply_payment("P3", [Allocation(invoice_id="I4", amount=money("40.00", EUR))])
    c.apply_payment("P4", [Allocation(invoice_id="I4", amount=money("5.00", EUR))])
    c.unapply_payment("P4")
    c.apply_payment("P5", [Allocation(invoice_id="I2", amount=money("20.00", EUR))])
    c.return_goods("R1", invoice_id="I2", amount=money("40.00", EUR), reason_code="DAMAGED")
    _book_gbp(c)


def _book_gbp(c: Client) -> None:
    """C3 in GBP, for the match rates: PG1 pays G1 exactly (auto-applied, then unapplied by a
    person); PG2 fits G2 and G3 alike (a suggestion, which a person accepts); PG3 fits G4 and G5
    alike, and a person applies it to G3 instead (a resolution that is no acceptance)."""
    c.create_customer("C3-GB", display_name="Umbrella", payer_accounts=["ACCT00003"])
    for invoice_id, amount in (
        ("G1", "10.00"),
        ("G2", "25.00"),
        ("G3", "25.00"),
        ("G4", "7.00"),
        ("G5", "7.00"),
    ):
        c.create_invoice(invoice_id, customer_id="C3-GB", amount=money(amount, GBP), issue_date="2026-02-01")
    c.create_payment("PG1", amount=money("10.00", GBP), value_date="2026-02-15", payer_account="ACCT00003")
    c.auto_apply(payment_ids=["PG1"])
    c.create_payment("PG2", amount=money("25.00", GBP), value_date="2026-02-16", payer_account="ACCT00003")
    c.auto_apply(payment_ids=["PG2"])
    (doubt,) = [x for x in c.list_exceptions() if x.payment_id == "PG2"]
    c.resolve_exception(doubt.exception_id, rank=1)
    c.create_payment("PG3", amount=money("7.00", GBP), value_date="2026-02-17", payer_account="ACCT00003")
    c.auto_apply(payment_ids=["PG3"])
    (doubt,) = [x for x in c.list_exceptions() if x.payment_id == "PG3"]
    assert {tuple(s.invoice_ids) for s in doubt.suggestions} == {("G4",), ("G5",)}
    c.resolve_exception(
        doubt.exception_id, allocations=[Allocation(invoice_id="G3", amount=money("7.00", GBP))]
    )
    c.unapply_payment("PG1")


@pytest.fixture(scope="module", params=BACKENDS)
def booked_target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One booked server per backend for the module; its address."""
    directory: Path = tmp_path_factory.mktemp(f"reports-{request.param}")
    for url in database(request.param, directory):
        with (
            run_in_thread(Settings(database_url=url, listen="127.0.0.1:0")) as running,
            Client(f"127.0.0.1:{running.port}", timeout_seconds=30) as c,
        ):
            _book(c)
            yield f"127.0.0.1:{running.port}"
            assert c.get_reconciliation_report().all_passed


@pytest.fixture
def booked(booked_target: str) -> Iterator[Client]:
    with Client(booked_target, timeout_seconds=30) as c:
        yield c


def _ledger_net(c: Client, currency: str = EUR) -> int:
    balances = c.get_reconciliation_report().balances
    return sum(
        b.balance_minor
        for b in balances
        if b.account in ("AR", "UNAPPLIED_CASH", "ON_ACCOUNT") and b.currency_code == currency
    )


def test_aging_total_equals_the_net_receivable_of_the_ledger(booked: Client) -> None:
    report = booked.get_aging_report(FAR)
    assert [t.currency_code for t in report.totals] == [EUR, GBP]
    total = report.totals[0]
    b = total.receivables
    buckets = (b.current_minor, b.days_1_30_minor, b.days_31_60_minor, b.days_61_90_minor,
               b.days_91_120_minor, b.days_over_120_minor)  # fmt: skip
    assert sum(buckets) == total.receivables_minor
    assert total.net_receivable_minor == (
        total.receivables_minor
        - total.unapplied_cash_minor
        - total.on_account_cash_minor
        - total.open_credits_minor
    )
    assert total.net_receivable_minor == _ledger_net(booked)
    # AR: I3 200.00 + I4 80.00 - 40.00; unapplied: P2 30.00 + P4 5.00; open credit 10.00.
    assert (total.receivables_minor, total.unapplied_cash_minor, total.open_credits_minor) == (
        24000,
        3500,
        1000,
    )
    # The customer lines add up to the total.
    eur = [line for line in report.lines if line.currency_code == EUR]
    assert sum(line.net_receivable_minor for line in eur) == total.net_receivable_minor
    by_customer = {line.customer_id: line for line in eur}
    assert set(by_customer) == {"", "C1", "C2"}  # C3 owes nothing; "" is unidentified cash
    # GBP: G1 (reopened by the unapply), G3 (25.00 - 7.00), G4 and G5 open; PG1's 10.00
    # unapplied again.
    gbp = report.totals[1]
    assert (gbp.receivables_minor, gbp.unapplied_cash_minor, gbp.net_receivable_minor) == (4200, 1000, 3200)
    assert gbp.net_receivable_minor == _ledger_net(booked, GBP)
    assert by_customer[""].unapplied_cash_minor == 3000
    assert by_customer["C1"].open_credits_minor == 1000


def test_aging_as_of_a_past_date_buckets_by_days_past_due(booked: Client) -> None:
    report = booked.get_aging_report(MID)
    lines = {line.customer_id: line for line in report.lines}
    # As of 2026-06-30 the return (posted later) does not count yet: I2 (due 03-31, 91 days
    # past due) has 30.00 open, I3 (due 06-19) is 11 days past due. P4's reversal does not
    # count either, so I4 (due 03-03, 119 days) has 80.00 - 45.00 open.
    c1 = lines["C1"].receivables
    assert (c1.days_1_30_minor, c1.days_91_120_minor) == (20000, 3000)
    assert lines["C1"].open_credits_minor == 0
    assert lines["C2"].receivables.days_91_120_minor == 3500
    assert lines["C2"].unapplied_cash_minor == 0
    by_issue = {line.customer_id: line for line in booked.get_aging_report(MID, by_invoice_date=True).lines}
    # By invoice date: I3 (05-20) is 41 days old, I2 (03-01) 121 days.
    assert by_issue["C1"].receivables.days_31_60_minor == 20000
    assert by_issue["C1"].receivables.days_over_120_minor == 3000


def test_aging_pages_customers_and_repeats_the_totals(booked: Client) -> None:
    first = booked.get_aging_report(FAR, page_size=2)
    second = booked.get_aging_report(FAR, page_size=2, page_token=first.next_page_token)
    assert [line.customer_id for line in first.lines] == ["", "C1"]
    assert [line.customer_id for line in second.lines] == ["C2", "C3-GB"]
    assert second.next_page_token == ""
    assert first.totals == second.totals
    only = booked.get_aging_report(FAR, customer_id="C2")
    assert [line.customer_id for line in only.lines] == ["C2"]
    assert only.totals[0].net_receivable_minor == only.lines[0].net_receivable_minor


def test_unapplied_cash_is_aged_by_value_date(booked: Client) -> None:
    report = booked.get_unapplied_cash_aging(MID)
    items = {i.payment_id: i for i in report.items}
    # As of 06-30 P4's reversal is not yet posted: only P2 (value date 04-01, 90 days) is held.
    assert list(items) == ["P2"]
    assert (items["P2"].unapplied_minor, items["P2"].age_days) == (3000, 90)
    assert report.totals[0].buckets.days_61_90_minor == 3000
    later = booked.get_unapplied_cash_aging(FAR)
    assert {i.payment_id: i.unapplied_minor for i in later.items} == {"P2": 3000, "P4": 500, "PG1": 1000}
    assert later.totals[0].unapplied_minor == 3500
    assert later.totals[0].payment_count == 2
    assert (later.totals[1].currency_code, later.totals[1].unapplied_minor) == (GBP, 1000)
    c2 = booked.get_unapplied_cash_aging(FAR, customer_id="C2")
    assert [i.payment_id for i in c2.items] == ["P4"]


def test_dso_report_follows_from_the_book(booked: Client) -> None:
    report = booked.get_dso_report(MID, currency_code=EUR, period_count=6, day_count="thirty")
    # Jan..Jun 2026: sales 100 + 80 (Jan, Feb), 50 (Mar), 200 (May); AR at 06-30 = 200 + 30 + 35.
    assert [p.credit_sales_minor for p in report.periods] == [0, 20000, 0, 5000, 8000, 10000]
    assert report.credit_sales_minor == 43000
    assert report.ending_receivables_minor == 26500
    assert report.beginning_receivables_minor == 0
    assert report.days == 180
    assert report.simple_dso_days == "110.93"  # 265 / 430 x 180
    # Count back: June 0 (30 days), May 200 (30), April 0 (30), March 50 (30), Feb 15/80 x 30:
    # 125.625, rounded half-even.
    assert report.count_back_dso_days == "125.62"
    assert report.ending_current_receivables_minor == 0
    assert report.best_possible_dso_days == "0.00"
    assert report.average_days_delinquent == "110.93"
    assert "Credit Research Foundation" in report.convention


def test_match_rates_count_the_stored_decisions(booked: Client) -> None:
    today = dt.datetime.now(dt.UTC).date()
    r = booked.get_match_rate_report(today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    # Eight payments decided; P1 and PG1 auto-applied; PG1 was unapplied by a person since.
    assert r.payments_decided == 8
    assert (r.envelope.numerator, r.envelope.denominator, r.envelope.percent) == (2, 8, "25.00")
    assert (r.straight_through.numerator, r.straight_through.percent) == (1, "12.50")
    assert (r.auto_applied_reversal.numerator, r.auto_applied_reversal.denominator) == (1, 2)
    # Invoices settled: I1 and G1 automatically; I2, I4 (twice, counted once), G2 and G3 by people.
    assert (r.line_item.numerator, r.line_item.denominator, r.line_item.percent) == (2, 6, "33.33")
    # PG2's doubt was resolved by accepting its first suggestion, PG3's by other allocations.
    assert (r.suggestion_acceptance.numerator, r.suggestion_acceptance.denominator) == (1, 2)
    assert r.suggestion_acceptance.percent == "50.00"
    empty = booked.get_match_rate_report("2000-01-01", "2000-01-31")
    assert (empty.payments_decided, empty.envelope.percent, empty.line_item.denominator) == (0, "", 0)


def test_cash_receipts_sum_the_payments_per_currency_and_value_date(booked: Client) -> None:
    days = booked.get_cash_receipts_report("2026-02-10", "2026-03-15").days
    got = [(d.currency_code, d.value_date, d.payment_count, d.received_minor, d.returned_minor) for d in days]
    # P4 (03-20) and P2 (04-01) fall outside the range; applied or not, every payment counts.
    assert got == [
        (EUR, "2026-02-10", 1, 10000, 0),
        (EUR, "2026-03-10", 1, 2000, 0),
        (EUR, "2026-03-15", 1, 4000, 0),
        (GBP, "2026-02-15", 1, 1000, 0),
        (GBP, "2026-02-16", 1, 2500, 0),
        (GBP, "2026-02-17", 1, 700, 0),
    ]
    assert list(booked.get_cash_receipts_report("2000-01-01", "2000-12-31").days) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_cash_receipts_count_a_returned_payment_on_its_value_date(backend: str, tmp_path: Path) -> None:
    for url in database(backend, tmp_path):
        with (
            run_in_thread(Settings(database_url=url, listen="127.0.0.1:0")) as running,
            Client(f"127.0.0.1:{running.port}", timeout_seconds=30) as c,
        ):
            c.create_customer("C1", display_name="Acme")
            c.create_payment("P1", amount=money("12.34", EUR), value_date="2026-05-02", customer_id="C1")
            c.create_payment("P2", amount=money("1.00", EUR), value_date="2026-05-02", customer_id="C1")
            c.return_payment("RET1", payment_id="P1", reason_code="NSF")
            (day,) = c.get_cash_receipts_report("2026-05-01", "2026-05-31").days
            assert (day.value_date, day.payment_count, day.received_minor, day.returned_minor) == (
                "2026-05-02",
                2,
                1334,
                1234,
            )
            assert c.get_reconciliation_report().all_passed


def test_statement_runs_a_balance_and_lists_open_items(booked: Client) -> None:
    s = booked.get_customer_statement("C1", start_date="2026-01-01", end_date=MID)
    (eur,) = s.currencies
    assert eur.opening_balance_minor == 0
    assert [(ln.kind, ln.reference, ln.amount_minor) for ln in eur.lines] == [
        ("INVOICE", "I1", 10000),
        ("PAYMENT", "P1", -10000),
        ("INVOICE", "I2", 5000),
        ("PAYMENT", "P5", -2000),
        ("INVOICE", "I3", 20000),
    ]
    assert [ln.balance_minor for ln in eur.lines] == [10000, 0, 5000, 3000, 23000]
    assert eur.closing_balance_minor == 23000
    assert [(i.invoice_id, i.open_minor, i.days_past_due) for i in eur.open_items] == [
        ("I2", 3000, 91),
        ("I3", 20000, 11),
    ]
    assert s.pdf == b""


def test_statement_pdf_reads_back_with_its_numbers(booked: Client) -> None:
    today = dt.datetime.now(dt.UTC).date()
    s = booked.get_customer_statement(
        "C1", start_date=today - dt.timedelta(days=365), end_date=today, include_pdf=True
    )
    (eur,) = s.currencies
    # The credit memo (posted today) credits I2's open 30.00 and leaves 10.00 on account.
    assert (eur.lines[-1].kind, eur.lines[-1].amount_minor) == ("CREDIT_MEMO", -4000)
    assert eur.closing_balance_minor == 19000
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(s.pdf)).pages)
    assert "ACME <Trading> & Co" in text
    assert "Closing balance: 190.00 EUR" in text
    assert "Unapplied cash and credits: 10.00 EUR" in text
    for number in ("100.00", "-100.00", "200.00", "-40.00", "-20.00"):
        assert number in text


@pytest.mark.parametrize(
    ("call", "error", "field"),
    [
        (lambda c: c.get_aging_report("2026-13-01"), InvalidArgumentError, "as_of_date"),
        (lambda c: c.get_aging_report(""), InvalidArgumentError, "as_of_date"),
        (lambda c: c.get_aging_report(MID, customer_id="NOPE"), NotFoundError, "customer_id"),
        (lambda c: c.get_aging_report(MID, page_token="garbage"), InvalidArgumentError, "page_token"),
        (lambda c: c.get_unapplied_cash_aging("20260630"), InvalidArgumentError, "as_of_date"),
        (lambda c: c.get_unapplied_cash_aging(MID, customer_id="NOPE"), NotFoundError, "customer_id"),
        (lambda c: c.get_dso_report(MID, currency_code="XXY"), InvalidArgumentError, "currency_code"),
        (lambda c: c.get_dso_report(MID, currency_code=""), InvalidArgumentError, "currency_code"),
        (
            lambda c: c.get_dso_report(MID, currency_code=EUR, period_count=37),
            InvalidArgumentError,
            "period_count",
        ),
        (lambda c: c.get_dso_report("1-1-1", currency_code=EUR), InvalidArgumentError, "as_of_date"),
        (lambda c: c.get_match_rate_report("2026-02-01", "2026-01-01"), InvalidArgumentError, "end_date"),
        (lambda c: c.get_match_rate_report("2026-02-30", "2026-03-01"), InvalidArgumentError, "start_date"),
        (lambda c: c.get_cash_receipts_report("2026-02-01", "2026-01-01"), InvalidArgumentError, "end_date"),
        (lambda c: c.get_cash_receipts_report("", "2026-01-01"), InvalidArgumentError, "start_date"),
        (
            lambda c: c.get_customer_statement("NOPE", start_date=MID, end_date=MID),
            NotFoundError,
            "customer_id",
        ),
        (
            lambda c: c.get_customer_statement("", start_date=MID, end_date=MID),
            InvalidArgumentError,
            "customer_id",
        ),
        (
            lambda c: c.get_customer_statement("C1", start_date="2026-06-30", end_date="2026-01-01"),
            InvalidArgumentError,
            "end_date",
        ),
        (
            lambda c: c.get_customer_statement("C1", start_date="2024-01-01", end_date="2026-01-01"),
            InvalidArgumentError,
            "end_date",
        ),
    ],
)
def test_bad_report_input_is_refused_with_the_field_named(booked: Client, call, error, field) -> None:  # type: ignore[no-untyped-def]
    before = booked.get_reconciliation_report()
    with pytest.raises(error) as raised:
        call(booked)
    assert [v.field for v in raised.value.field_violations] == [field]
    after = booked.get_reconciliation_report()
    assert list(before.balances) == list(after.balances)


@pytest.mark.parametrize(
    ("method", "request_", "field"),
    [
        ("GetAgingReport", rp.GetAgingReportRequest(as_of_date=MID, basis=9), "basis"),  # type: ignore[arg-type]
        ("GetAgingReport", rp.GetAgingReportRequest(as_of_date=MID, page_size=-1), "page_size"),
        ("GetUnappliedCashAging", rp.GetUnappliedCashAgingRequest(as_of_date=MID, page_size=-5), "page_size"),
        (
            "GetUnappliedCashAging",
            rp.GetUnappliedCashAgingRequest(as_of_date=MID, customer_id=" x"),
            "customer_id",
        ),
        ("GetDsoReport", rp.GetDsoReportRequest(as_of_date=MID, currency_code=EUR, period=7), "period"),  # type: ignore[arg-type]
        ("GetDsoReport", rp.GetDsoReportRequest(as_of_date=MID, currency_code=EUR, day_count=7), "day_count"),  # type: ignore[arg-type]
        (
            "GetDsoReport",
            rp.GetDsoReportRequest(as_of_date=MID, currency_code=EUR, period_count=-1),
            "period_count",
        ),
        (
            "GetMatchRateReport",
            rp.GetMatchRateReportRequest(start_date="1990-01-01", end_date="2026-01-01"),
            "end_date",
        ),
        (
            "GetCashReceiptsReport",
            rp.GetCashReceiptsReportRequest(start_date="1990-01-01", end_date="2026-01-01"),
            "end_date",
        ),
    ],
)
def test_raw_requests_out_of_range_are_refused(
    booked: Client, method: str, request_: Any, field: str
) -> None:
    """What the typed client cannot send (unknown enum numbers, negative sizes) the server
    still refuses with the field named."""
    with pytest.raises(InvalidArgumentError) as raised:
        booked._unary(getattr(booked.report_service, method), request_, None)
    assert [v.field for v in raised.value.field_violations] == [field]


def test_health_and_reflection_list_the_report_service(booked: Client) -> None:
    stub = health_pb2_grpc.HealthStub(booked.channel)
    request = health_pb2.HealthCheckRequest(service="cashapp.v1.ReportService")
    assert stub.Check(request, timeout=10).status == health_pb2.HealthCheckResponse.SERVING
    assert "cashapp.v1.ReportService" in ProtoReflectionDescriptorDatabase(booked.channel).get_services()


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["report", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prints_the_aging_table(booked_target: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "aging", "--as-of", FAR, "--server", booked_target)
    assert code == 0
    total = next(line for line in out.splitlines() if "TOTAL" in line and "EUR" in line)
    assert "240.00" in total and "35.00" in total and "195.00" in total
    assert "(unidentified)" in out


def test_cli_prints_the_cash_receipts_table(booked_target: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(
        capsys, "cash-receipts", "--from", "2026-02-10", "--to", "2026-02-28", "--server", booked_target
    )
    assert code == 0
    rows = [line for line in out.splitlines() if "2026-02-" in line]
    assert len(rows) == 4
    assert "EUR" in rows[0] and "100.00" in rows[0]
    assert "GBP" in rows[3] and "7.00" in rows[3]


def test_cli_prints_dso_as_json_and_writes_the_statement_pdf(
    booked_target: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = _cli(
        capsys, "dso", "--as-of", MID, "--currency", EUR, "--periods", "6", "--day-count", "thirty",
        "--json", "--server", booked_target,
    )  # fmt: skip
    assert code == 0
    assert json.loads(out)["count_back_dso_days"] == "125.62"
    pdf = tmp_path / "statement.pdf"
    code, out, _ = _cli(
        capsys,
        "statement",
        "C1",
        "--from",
        "2026-01-01",
        "--to",
        MID,
        "--pdf",
        str(pdf),
        "--server",
        booked_target,
    )
    assert code == 0
    assert "Closing balance 230.00 EUR" in out
    assert "Closing balance: 230.00 EUR" in PdfReader(pdf).pages[0].extract_text()
    code, out, _ = _cli(
        capsys, "match-rate", "--from", "2000-01-01", "--to", "2000-01-02", "--server", booked_target
    )
    assert code == 0 and "Envelope" in out


def test_cli_refuses_bad_input_with_exit_code_2(
    booked_target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _cli(capsys, "aging", "--as-of", "2026-13-01", "--server", booked_target)
    assert code == 2
    assert "as_of_date" in err
    code, _, err = _cli(capsys, "statement", "NOPE", "--from", MID, "--to", MID, "--server", booked_target)
    assert (code, "customer" in err) == (2, True)
