"""The engine's own spans and metrics, on the OpenTelemetry API only (no-ops until the server
installs an SDK provider). Span names: match.plan, match.identify, match.solve, match.decide,
match.persist, payments.import."""

from __future__ import annotations

from opentelemetry import metrics, trace

tracer = trace.get_tracer("cashapp.engine")
_meter = metrics.get_meter("cashapp.engine")

decisions_total = _meter.create_counter(
    "cashapp.decisions", unit="{decision}", description="Matching decisions by outcome and reason"
)
solve_duration = _meter.create_histogram(
    "cashapp.solve.duration", unit="ms", description="Subset solver latency per payment"
)
