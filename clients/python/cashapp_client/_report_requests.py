"""Request building for the ReportService methods, shared by Client and AsyncClient."""

from __future__ import annotations

from cashapp_client._proto.cashapp.v1 import report_service_pb2 as report_pb2
from cashapp_client._requests import DateLike, check_page_size, date_text

PERIODS = {"month": report_pb2.DSO_PERIOD_MONTH, "quarter": report_pb2.DSO_PERIOD_QUARTER}
DAY_COUNTS = {"actual": report_pb2.DAY_COUNT_ACTUAL, "thirty": report_pb2.DAY_COUNT_THIRTY}


def _choice(value: str, choices: dict[str, int], name: str) -> int:
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return choices[value]


def aging(
    as_of_date: DateLike, *, by_invoice_date: bool, customer_id: str | None, page_size: int, page_token: str
) -> report_pb2.GetAgingReportRequest:
    basis = report_pb2.AGING_BASIS_INVOICE_DATE if by_invoice_date else report_pb2.AGING_BASIS_DUE_DATE
    return report_pb2.GetAgingReportRequest(
        as_of_date=date_text(as_of_date),
        basis=basis,
        customer_id=customer_id or "",
        page_size=check_page_size(page_size),
        page_token=page_token,
    )


def dso(
    as_of_date: DateLike, *, currency_code: str, period: str, period_count: int, day_count: str
) -> report_pb2.GetDsoReportRequest:
    return report_pb2.GetDsoReportRequest(
        as_of_date=date_text(as_of_date),
        currency_code=currency_code,
        period=_choice(period, PERIODS, "period"),  # type: ignore[arg-type]
        period_count=period_count,
        day_count=_choice(day_count, DAY_COUNTS, "day_count"),  # type: ignore[arg-type]
    )


def match_rate(start_date: DateLike, end_date: DateLike) -> report_pb2.GetMatchRateReportRequest:
    return report_pb2.GetMatchRateReportRequest(
        start_date=date_text(start_date), end_date=date_text(end_date)
    )


def cash_receipts(start_date: DateLike, end_date: DateLike) -> report_pb2.GetCashReceiptsReportRequest:
    return report_pb2.GetCashReceiptsReportRequest(
        start_date=date_text(start_date), end_date=date_text(end_date)
    )


def unapplied(
    as_of_date: DateLike, *, customer_id: str | None, page_size: int, page_token: str
) -> report_pb2.GetUnappliedCashAgingRequest:
    return report_pb2.GetUnappliedCashAgingRequest(
        as_of_date=date_text(as_of_date),
        customer_id=customer_id or "",
        page_size=check_page_size(page_size),
        page_token=page_token,
    )


def statement(
    customer_id: str, *, start_date: DateLike, end_date: DateLike, include_pdf: bool
) -> report_pb2.GetCustomerStatementRequest:
    return report_pb2.GetCustomerStatementRequest(
        customer_id=customer_id,
        start_date=date_text(start_date),
        end_date=date_text(end_date),
        include_pdf=include_pdf,
    )
