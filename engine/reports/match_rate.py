"""Cash-application rates of a date range, counted from the stored decisions, applications
and exceptions (the days are UTC days of the rows' create times).

- Envelope (payment level): payments whose decision in the range was AUTO_APPLIED, over the
  payments with any decision in the range.
- Line item (invoice level): invoices settled by automatic applications made in the range,
  over invoices settled by any application made in it.
- Straight-through: auto-applied payments no person touched afterwards (no manual or
  exception-resolution application, no reversal), over the payments decided.
- Suggestion acceptance: exceptions a person resolved in the range whose applications settled
  exactly the invoices of one suggestion, over the exceptions a person resolved (by
  applications or by putting the cash on account; those a later AutoApply closed are not a
  person's resolution).
- Reversal of auto-applied payments: payments with an automatic application made in the range
  that was reversed since, over payments auto-applied in the range.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass

from engine.reports.as_of import cutoff_us, decimal_text
from engine.storage import report_queries as q
from engine.storage.store import Store

# Payment ids per IN list when tracing how exceptions were resolved.
RESOLUTION_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def percent(self) -> str:
        return decimal_text(self.numerator, self.denominator, 100)


@dataclass(frozen=True, slots=True)
class MatchRateReport:
    payments_decided: int
    envelope: Rate
    line_item: Rate
    straight_through: Rate
    suggestion_acceptance: Rate
    auto_applied_reversal: Rate


def match_rate_report(store: Store, start: dt.date, end: dt.date) -> MatchRateReport:
    start_us, end_us = cutoff_us(start - dt.timedelta(days=1)), cutoff_us(end)
    decided, auto = q.decided_payments(store, start_us, end_us)
    straight = q.straight_through_payments(store, start_us, end_us)
    auto_invoices, invoices = q.settled_invoices(store, start_us, end_us)
    reversed_count, auto_payments = q.reversed_auto_payments(store, start_us, end_us)
    accepted, resolved = _suggestion_acceptance(store, start_us, end_us)
    return MatchRateReport(
        decided,
        Rate(auto, decided),
        Rate(auto_invoices, invoices),
        Rate(straight, decided),
        Rate(accepted, resolved),
        Rate(reversed_count, auto_payments),
    )


def _suggestion_acceptance(store: Store, start_us: int, end_us: int) -> tuple[int, int]:
    """(accepted, resolved by a person) over the exceptions resolved in the range. What a
    person did is what happened to the payment while the exception was open: applications
    made by exception resolution, or a PUT_ON_ACCOUNT decision."""
    exceptions = q.resolved_exceptions(store, start_us, end_us)
    accepted = resolved = 0
    for i in range(0, len(exceptions), RESOLUTION_CHUNK):
        chunk = exceptions[i : i + RESOLUTION_CHUNK]
        apps, on_account = q.resolution_traces(store, sorted({x.payment_id for x in chunk}))
        invoices_at: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for a in apps:
            invoices_at[a.payment_id].append((a.create_us, a.invoice_id))
        put_at: dict[str, list[int]] = defaultdict(list)
        for d in on_account:
            put_at[d.payment_id].append(d.create_us)
        for x in chunk:
            settled = {inv for t, inv in invoices_at[x.payment_id] if x.create_us <= t <= x.resolve_us}
            put = any(x.create_us <= t <= x.resolve_us for t in put_at[x.payment_id])
            if not settled and not put:
                continue  # closed by a later AutoApply, not by a person
            resolved += 1
            suggested = [set(s["invoice_ids"]) for s in json.loads(x.suggestions)]
            accepted += bool(settled) and settled in suggested
    return accepted, resolved
