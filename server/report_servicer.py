"""ReportService: the collections reports. Translation only: proto in (dates, enums checked
here and named in errors), the engine's report modules, proto out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import grpc

from cashapp_client._proto.cashapp.v1 import report_service_pb2 as rp
from cashapp_client._proto.cashapp.v1 import report_service_pb2_grpc as rp_grpc
from engine import validate as v
from engine.errors import InvalidArgument
from engine.money import currency_exponent
from engine.reports import aging, cash_receipts, dso, match_rate, statement, statement_pdf, unapplied
from engine.reports.as_of import BUCKET_COUNT
from engine.storage.store import Store
from server.rpc import Rpc

Context = grpc.aio.ServicerContext[Any, Any]
# A match-rate or cash-receipts range covers at most this many days (ten years).
MAX_MATCH_RATE_DAYS = 3660


def _enum(value: int, allowed: Mapping[Any, Any], field: str) -> Any:
    if value not in allowed:
        raise InvalidArgument("INVALID_ENUM_VALUE", f"unknown {field} value {value}", field)
    return allowed[value]


def _range(start_text: str, end_text: str) -> tuple[dt.date, dt.date]:
    start = v.require_date(start_text, "start_date")
    end = v.require_date(end_text, "end_date")
    if end < start:
        raise InvalidArgument("INVERTED_DATE_RANGE", "end_date must not be before start_date", "end_date")
    return start, end


def _bounded_range(start_text: str, end_text: str) -> tuple[dt.date, dt.date]:
    """A range of at most MAX_MATCH_RATE_DAYS days (match rates, cash receipts)."""
    start, end = _range(start_text, end_text)
    if (end - start).days >= MAX_MATCH_RATE_DAYS:
        raise InvalidArgument(
            "DATE_RANGE_TOO_LONG", f"the range covers at most {MAX_MATCH_RATE_DAYS} days", "end_date"
        )
    return start, end


def _buckets(values: list[int]) -> rp.AgingBuckets:
    assert len(values) == BUCKET_COUNT
    return rp.AgingBuckets(
        current_minor=values[0],
        days_1_30_minor=values[1],
        days_31_60_minor=values[2],
        days_61_90_minor=values[3],
        days_91_120_minor=values[4],
        days_over_120_minor=values[5],
    )


def _aging_line(line: aging.AgingLine) -> rp.AgingLine:
    return rp.AgingLine(
        customer_id=line.customer_id,
        currency_code=line.currency,
        receivables=_buckets(line.buckets),
        receivables_minor=line.receivables_minor,
        unapplied_cash_minor=line.unapplied_cash_minor,
        on_account_cash_minor=line.on_account_cash_minor,
        open_credits_minor=line.open_credits_minor,
        net_receivable_minor=line.net_receivable_minor,
    )


def _rate(rate: match_rate.Rate) -> rp.Rate:
    return rp.Rate(numerator=rate.numerator, denominator=rate.denominator, percent=rate.percent)


def _dso_out(r: dso.DsoReport) -> rp.GetDsoReportResponse:
    return rp.GetDsoReportResponse(
        periods=[
            rp.DsoPeriodFigures(
                start_date=p.start.isoformat(),
                end_date=p.end.isoformat(),
                days=p.days,
                credit_sales_minor=p.credit_sales_minor,
            )
            for p in r.periods
        ],
        ending_receivables_minor=r.ending_receivables_minor,
        ending_current_receivables_minor=r.ending_current_receivables_minor,
        beginning_receivables_minor=r.beginning_receivables_minor,
        credit_sales_minor=r.credit_sales_minor,
        days=r.days,
        simple_dso_days=r.simple_dso_days,
        count_back_dso_days=r.count_back_dso_days,
        count_back_exhausted=r.count_back_exhausted,
        best_possible_dso_days=r.best_possible_dso_days,
        average_days_delinquent=r.average_days_delinquent,
        cei_percent=r.cei_percent,
        convention=r.convention,
    )


def _statement_out(s: statement.Statement, pdf: bytes) -> rp.GetCustomerStatementResponse:
    return rp.GetCustomerStatementResponse(
        customer_id=s.customer_id,
        display_name=s.display_name,
        start_date=s.start.isoformat(),
        end_date=s.end.isoformat(),
        currencies=[
            rp.CurrencyStatement(
                currency_code=c.currency,
                opening_balance_minor=c.opening_balance_minor,
                lines=[
                    rp.StatementLine(
                        date=ln.date.isoformat(),
                        kind=ln.kind,
                        reference=ln.reference,
                        amount_minor=ln.amount_minor,
                        balance_minor=ln.balance_minor,
                        description=ln.description,
                    )
                    for ln in c.lines
                ],
                closing_balance_minor=c.closing_balance_minor,
                open_items=[
                    rp.StatementOpenItem(
                        invoice_id=i.invoice_id,
                        issue_date=i.issue_date.isoformat(),
                        due_date=i.due_date.isoformat(),
                        amount_minor=i.amount_minor,
                        open_minor=i.open_minor,
                        days_past_due=i.days_past_due,
                    )
                    for i in c.open_items
                ],
                unapplied_credit_minor=c.unapplied_credit_minor,
            )
            for c in s.currencies
        ],
        pdf=pdf,
    )


_BASES = {
    rp.AGING_BASIS_UNSPECIFIED: False,
    rp.AGING_BASIS_DUE_DATE: False,
    rp.AGING_BASIS_INVOICE_DATE: True,
}
_PERIODS = {rp.DSO_PERIOD_UNSPECIFIED: 1, rp.DSO_PERIOD_MONTH: 1, rp.DSO_PERIOD_QUARTER: 3}
_DAY_COUNTS = {rp.DAY_COUNT_UNSPECIFIED: False, rp.DAY_COUNT_ACTUAL: False, rp.DAY_COUNT_THIRTY: True}


class ReportService(rp_grpc.ReportServiceServicer):
    def __init__(self, rpc: Rpc) -> None:
        self.rpc = rpc

    async def GetAgingReport(
        self, request: rp.GetAgingReportRequest, context: Context
    ) -> rp.GetAgingReportResponse:
        def work(s: Store) -> aging.AgingReport:
            as_of = v.require_date(request.as_of_date, "as_of_date")
            by_issue_date = _enum(request.basis, _BASES, "basis")
            return aging.aging_report(
                s,
                as_of,
                by_issue_date=by_issue_date,
                customer_id=v.optional_id(request.customer_id, "customer_id"),
                page_size=request.page_size,
                page_token=request.page_token,
            )

        report = await self.rpc.read(context, work)
        return rp.GetAgingReportResponse(
            lines=[_aging_line(line) for line in report.lines],
            totals=[_aging_line(line) for line in report.totals],
            next_page_token=report.next_page_token,
            as_of_date=report.as_of.isoformat(),
            basis=rp.AGING_BASIS_INVOICE_DATE if report.by_issue_date else rp.AGING_BASIS_DUE_DATE,
        )

    async def GetDsoReport(
        self, request: rp.GetDsoReportRequest, context: Context
    ) -> rp.GetDsoReportResponse:
        def work(s: Store) -> dso.DsoReport:
            as_of = v.require_date(request.as_of_date, "as_of_date")
            months = _enum(request.period, _PERIODS, "period")
            thirty = _enum(request.day_count, _DAY_COUNTS, "day_count")
            if not request.currency_code:
                raise InvalidArgument("MISSING_CURRENCY", "currency_code is required", "currency_code")
            currency_exponent(request.currency_code, "currency_code")
            count = request.period_count or dso.DEFAULT_PERIOD_COUNT
            return dso.dso_report(
                s, as_of, request.currency_code, months_per_period=months, count=count, thirty=thirty
            )

        return _dso_out(await self.rpc.read(context, work))

    async def GetMatchRateReport(
        self, request: rp.GetMatchRateReportRequest, context: Context
    ) -> rp.GetMatchRateReportResponse:
        def work(s: Store) -> match_rate.MatchRateReport:
            start, end = _bounded_range(request.start_date, request.end_date)
            return match_rate.match_rate_report(s, start, end)

        r = await self.rpc.read(context, work)
        return rp.GetMatchRateReportResponse(
            payments_decided=r.payments_decided,
            envelope=_rate(r.envelope),
            line_item=_rate(r.line_item),
            straight_through=_rate(r.straight_through),
            suggestion_acceptance=_rate(r.suggestion_acceptance),
            auto_applied_reversal=_rate(r.auto_applied_reversal),
        )

    async def GetCashReceiptsReport(
        self, request: rp.GetCashReceiptsReportRequest, context: Context
    ) -> rp.GetCashReceiptsReportResponse:
        def work(s: Store) -> list[cash_receipts.CashReceiptsDay]:
            start, end = _bounded_range(request.start_date, request.end_date)
            return cash_receipts.cash_receipts_report(s, start, end)

        days = await self.rpc.read(context, work)
        return rp.GetCashReceiptsReportResponse(
            days=[
                rp.CashReceiptsDay(
                    currency_code=d.currency,
                    value_date=d.value_date,
                    payment_count=d.payment_count,
                    received_minor=d.received_minor,
                    returned_minor=d.returned_minor,
                )
                for d in days
            ]
        )

    async def GetUnappliedCashAging(
        self, request: rp.GetUnappliedCashAgingRequest, context: Context
    ) -> rp.GetUnappliedCashAgingResponse:
        def work(s: Store) -> unapplied.UnappliedAging:
            as_of = v.require_date(request.as_of_date, "as_of_date")
            return unapplied.unapplied_cash_aging(
                s,
                as_of,
                customer_id=v.optional_id(request.customer_id, "customer_id"),
                page_size=request.page_size,
                page_token=request.page_token,
            )

        r = await self.rpc.read(context, work)
        return rp.GetUnappliedCashAgingResponse(
            items=[
                rp.UnappliedCashItem(
                    payment_id=i.payment_id,
                    customer_id=i.customer_id,
                    currency_code=i.currency,
                    value_date=i.value_date.isoformat(),
                    age_days=i.age_days,
                    unapplied_minor=i.unapplied_minor,
                    on_account=i.on_account,
                )
                for i in r.items
            ],
            totals=[
                rp.UnappliedCashTotal(
                    currency_code=t.currency,
                    buckets=_buckets(t.buckets),
                    unapplied_minor=t.unapplied_minor,
                    payment_count=t.payment_count,
                )
                for t in r.totals
            ],
            next_page_token=r.next_page_token,
        )

    async def GetCustomerStatement(
        self, request: rp.GetCustomerStatementRequest, context: Context
    ) -> rp.GetCustomerStatementResponse:
        def work(s: Store) -> statement.Statement:
            customer_id = v.require_id(request.customer_id, "customer_id")
            start, end = _range(request.start_date, request.end_date)
            return statement.customer_statement(s, customer_id, start, end)

        found = await self.rpc.read(context, work)
        # Rendering is CPU work: off the event loop, outside the read transaction.
        pdf = (
            await self.rpc.offload(lambda: statement_pdf.statement_pdf(found)) if request.include_pdf else b""
        )
        return _statement_out(found, pdf)
