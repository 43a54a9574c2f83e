"""The exception queue as the page shows it: each open exception beside its payment, filtered.

The filters narrow what the API returned (reason, age, amount, customer, free text; the assignee
is the API's own filter); they decide nothing. The queue is read whole up to MAX_QUEUE_ROWS, which
is what one clerk can work through in a sitting; the count of the rest is shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import grpc

from cashapp_client import Client, Decision, MatchException, NotFoundError, Payment
from console.display import age_days, to_minor

MAX_QUEUE_ROWS = 200


@dataclass(frozen=True, slots=True)
class Filters:
    reason: str = ""
    customer: str = ""
    min_age_days: int | None = None
    min_amount: str = ""
    max_amount: str = ""
    search: str = ""
    assignee: str = ""  # asked of the API (ListExceptions' filter), not narrowed here

    @classmethod
    def of(cls, params: dict[str, str]) -> Filters:
        age = params.get("min_age_days", "").strip()
        return cls(
            reason=params.get("reason", "").strip(),
            customer=params.get("customer", "").strip(),
            min_age_days=int(age) if age.isdigit() else None,
            min_amount=params.get("min_amount", "").strip(),
            max_amount=params.get("max_amount", "").strip(),
            search=params.get("q", "").strip().lower(),
            assignee=params.get("assignee", "").strip(),
        )

    def as_query(self) -> dict[str, str]:
        return {
            "reason": self.reason,
            "customer": self.customer,
            "min_age_days": "" if self.min_age_days is None else str(self.min_age_days),
            "min_amount": self.min_amount,
            "max_amount": self.max_amount,
            "q": self.search,
            "assignee": self.assignee,
        }


@dataclass(frozen=True, slots=True)
class Row:
    exception: MatchException
    payment: Payment
    age_days: int

    @property
    def exception_id(self) -> str:
        return self.exception.exception_id


@dataclass
class Queue:
    rows: list[Row] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    total_open: int = 0
    truncated: bool = False


def _amount_ok(filters: Filters, payment: Payment) -> bool:
    """Within the clerk's bounds, read in the payment's currency; a bound the currency cannot
    hold (too many decimals, not a number) matches nothing rather than everything."""
    ccy = payment.amount.currency_code
    amount = payment.amount.amount_minor
    try:
        if filters.min_amount and amount < to_minor(filters.min_amount, ccy):
            return False
        if filters.max_amount and amount > to_minor(filters.max_amount, ccy):
            return False
    except ValueError:
        return False
    return True


def _matches(filters: Filters, row: Row) -> bool:
    e, p = row.exception, row.payment
    if filters.reason and e.reason != filters.reason:
        return False
    if filters.customer and filters.customer.lower() not in (e.customer_id or p.customer_id).lower():
        return False
    if filters.min_age_days is not None and row.age_days < filters.min_age_days:
        return False
    if not _amount_ok(filters, p):
        return False
    if filters.search:
        haystack = " ".join(
            [p.payment_id, p.payer_name, p.payer_account, p.remittance_info, e.customer_id, *p.references]
        ).lower()
        if filters.search not in haystack:
            return False
    return True


def load_queue(client: Client, filters: Filters, today: dt.date) -> Queue:
    queue = Queue()
    reasons: set[str] = set()
    pending: list[MatchException] = []
    for exception in client.list_exceptions(assignee=filters.assignee):
        queue.total_open += 1
        reasons.add(exception.reason)
        if len(queue.rows) >= MAX_QUEUE_ROWS:
            queue.truncated = True
            continue
        pending.append(exception)
        if len(pending) == MAX_QUEUE_ROWS:
            _add_rows(queue, client, pending, filters, today)
            pending = []
    _add_rows(queue, client, pending, filters, today)
    queue.reasons = sorted(reasons)
    return queue


def _add_rows(
    queue: Queue, client: Client, exceptions: list[MatchException], filters: Filters, today: dt.date
) -> None:
    """The exceptions that pass the filters, up to MAX_QUEUE_ROWS in all; their payments are read
    in one call (BatchGetPayments), not one call per row."""
    if not exceptions:
        return
    for exception, payment in zip(
        exceptions, client.get_payments([e.payment_id for e in exceptions]), strict=True
    ):
        if len(queue.rows) >= MAX_QUEUE_ROWS:
            queue.truncated = True
            return
        row = Row(exception, payment, age_days(exception.create_time, today))
        if _matches(filters, row):
            queue.rows.append(row)


def open_exception(client: Client, exception_id: str) -> MatchException:
    for exception in client.list_exceptions():
        if exception.exception_id == exception_id:
            return exception
    raise NotFoundError(
        grpc.StatusCode.NOT_FOUND, f"exception {exception_id} is not open (resolved or superseded)"
    )


def decision_of(client: Client, exception: MatchException) -> Decision | None:
    for decision in client.list_decisions(payment_id=exception.payment_id):
        if decision.decision_id == exception.decision_id:
            return decision
    return None
