"""The engine's own spans and metrics, on the OpenTelemetry API only (no-ops until the server
installs an SDK provider). Span names: payments.import, match.plan, match.identify,
match.references, match.decide, match.solve, match.solve_many, match.persist.

Spans name the resources they touch (cashapp.payment_ids, cashapp.decision_ids ...), so that "the
trace of payment X" can be found by attribute."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import metrics, trace

tracer = trace.get_tracer("cashapp.engine")
_meter = metrics.get_meter("cashapp.engine")

# A span lists at most this many ids per attribute (an AutoApply call or an import chunk holds
# at most 1000 payments, so in practice every id is listed).
MAX_SPAN_IDS = 1000

decisions_total = _meter.create_counter(
    "cashapp.autoapply.decisions",
    unit="{decision}",
    description="Committed AutoApply decisions by outcome and reason",
)
alerts_total = _meter.create_counter(
    "cashapp.alerts",
    unit="{alert}",
    description="Alerts raised (fraud and billing-inconsistency findings) by kind",
)
solve_duration = _meter.create_histogram(
    "cashapp.solve.duration", unit="ms", description="Subset solver latency per payment"
)


def span_ids(ids: Iterable[str]) -> list[str]:
    """Ids for a span attribute: in order, without repeats, at most MAX_SPAN_IDS."""
    out: list[str] = []
    for i in dict.fromkeys(ids):
        if len(out) == MAX_SPAN_IDS:
            break
        out.append(i)
    return out


def current_trace_id() -> str:
    """The current trace's id as 32 hex digits (W3C trace-context form), "" outside a trace: what
    a stored decision keeps so a person can open the trace that decided it."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""
