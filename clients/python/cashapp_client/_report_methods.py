"""The ReportService methods of Client (its base class): one page or one report per call."""

from __future__ import annotations

from typing import TypeVar

import grpc

from cashapp_client import _report_requests as reports
from cashapp_client._proto.cashapp.v1 import report_service_pb2 as report_pb2
from cashapp_client._proto.cashapp.v1 import report_service_pb2_grpc
from cashapp_client._requests import DEFAULT_PAGE_SIZE, DateLike

_Request = TypeVar("_Request")
_Response = TypeVar("_Response")


class ReportMethods:
    """Mixed into the client, which provides the stub and the retried unary call."""

    report_service: report_service_pb2_grpc.ReportServiceStub

    def _unary(
        self,
        method: grpc.UnaryUnaryMultiCallable[_Request, _Response],
        request: _Request,
        timeout_seconds: float | None,
    ) -> _Response:
        raise NotImplementedError  # the client's own, with deadlines and retries

    def get_aging_report(
        self,
        as_of_date: DateLike,
        *,
        by_invoice_date: bool = False,
        customer_id: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str = "",
        timeout_seconds: float | None = None,
    ) -> report_pb2.GetAgingReportResponse:
        """One page of the receivables aging as of a date (by days past due, or by invoice date),
        with the totals per currency; pass ``next_page_token`` back as ``page_token``."""
        request = reports.aging(
            as_of_date, by_invoice_date=by_invoice_date, customer_id=customer_id, page_size=page_size,
            page_token=page_token,
        )  # fmt: skip
        return self._unary(self.report_service.GetAgingReport, request, timeout_seconds)

    def get_dso_report(
        self,
        as_of_date: DateLike,
        *,
        currency_code: str,
        period: str = "month",
        period_count: int = 3,
        day_count: str = "actual",
        timeout_seconds: float | None = None,
    ) -> report_pb2.GetDsoReportResponse:
        """Simple and count-back DSO, best possible DSO, average days delinquent and CEI over
        ``period_count`` periods ("month" or "quarter") ending on ``as_of_date``; ``day_count``
        "actual" or "thirty" (30-day months)."""
        request = reports.dso(
            as_of_date,
            currency_code=currency_code,
            period=period,
            period_count=period_count,
            day_count=day_count,
        )
        return self._unary(self.report_service.GetDsoReport, request, timeout_seconds)

    def get_match_rate_report(
        self, start_date: DateLike, end_date: DateLike, *, timeout_seconds: float | None = None
    ) -> report_pb2.GetMatchRateReportResponse:
        """Envelope, line-item and straight-through rates, suggestion acceptance and reversals
        of auto-applied payments, over the UTC days start_date..end_date."""
        request = reports.match_rate(start_date, end_date)
        return self._unary(self.report_service.GetMatchRateReport, request, timeout_seconds)

    def get_cash_receipts_report(
        self, start_date: DateLike, end_date: DateLike, *, timeout_seconds: float | None = None
    ) -> report_pb2.GetCashReceiptsReportResponse:
        """Cash received per currency and value date start_date..end_date: payment count,
        total received and what of it was returned since; days without payments left out."""
        request = reports.cash_receipts(start_date, end_date)
        return self._unary(self.report_service.GetCashReceiptsReport, request, timeout_seconds)

    def get_unapplied_cash_aging(
        self,
        as_of_date: DateLike,
        *,
        customer_id: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str = "",
        timeout_seconds: float | None = None,
    ) -> report_pb2.GetUnappliedCashAgingResponse:
        """One page of the payments holding unapplied cash on a date, aged by value date, with
        the totals per currency."""
        request = reports.unapplied(
            as_of_date, customer_id=customer_id, page_size=page_size, page_token=page_token
        )
        return self._unary(self.report_service.GetUnappliedCashAging, request, timeout_seconds)

    def get_customer_statement(
        self,
        customer_id: str,
        *,
        start_date: DateLike,
        end_date: DateLike,
        include_pdf: bool = False,
        timeout_seconds: float | None = None,
    ) -> report_pb2.GetCustomerStatementResponse:
        """A customer's statement of account (opening balance, movements with a running balance,
        open items); with ``include_pdf`` the ``pdf`` field holds it as a PDF document."""
        request = reports.statement(
            customer_id, start_date=start_date, end_date=end_date, include_pdf=include_pdf
        )
        return self._unary(self.report_service.GetCustomerStatement, request, timeout_seconds)
