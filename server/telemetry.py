"""OpenTelemetry setup from the standard OTEL_* environment variables.

Traces and metrics go to OTLP/gRPC when OTEL_EXPORTER_OTLP_ENDPOINT (or the per-signal variant)
is set, to the console when OTEL_TRACES_EXPORTER=console (handy locally), and nowhere otherwise.
gRPC server spans and SQLAlchemy spans come from the official instrumentations; the engine adds
its own spans (engine.telemetry).
"""

from __future__ import annotations

import os

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from sqlalchemy import Engine

_configured = False


def configure(engine: Engine) -> None:
    """Installs providers and instrumentations once per process."""
    global _configured
    if _configured:
        return
    _configured = True
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "cashapp")})
    otlp = bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )
    console = os.environ.get("OTEL_TRACES_EXPORTER", "") == "console"
    if otlp or console:
        provider = TracerProvider(resource=resource)
        if otlp:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        if console:
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        trace.set_tracer_provider(provider)
    if otlp:
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        reader = PeriodicExportingMetricReader(OTLPMetricExporter())
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))
    from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorServer
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    GrpcAioInstrumentorServer().instrument()  # type: ignore[no-untyped-call]
    SQLAlchemyInstrumentor().instrument(engine=engine)
