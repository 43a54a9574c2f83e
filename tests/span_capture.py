"""The process's finished spans, for tests that look at traces: one in-memory exporter attached
once to the process's SDK provider (the first server started in a test process installs it, or
this module does when none has been started yet; OpenTelemetry allows one global provider)."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

_EXPORTER = InMemorySpanExporter()
_attached: list[TracerProvider] = []


def fresh_exporter() -> InMemorySpanExporter:
    """The exporter, emptied: it holds the spans that finish from now on."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    if provider not in _attached:
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        _attached.append(provider)
    _EXPORTER.clear()
    return _EXPORTER
