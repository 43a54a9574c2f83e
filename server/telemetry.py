"""OpenTelemetry setup from the standard OTEL_* environment variables, by the SDK's own
auto-configuration (the machinery opentelemetry-distro uses), so every variable an operator knows
works as documented: OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER (otlp,
console, none, comma lists), OTEL_EXPORTER_OTLP_PROTOCOL (grpc, http/protobuf) and its per-signal
variants, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SDK_DISABLED, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*,
OTEL_METRIC_EXPORT_INTERVAL, sampling ...

One default differs from the specification's "otlp": a signal whose exporter variable is unset is
exported over OTLP only when an OTLP endpoint is configured, so `cashapp serve` on a laptop does not
retry a collector that is not there. gRPC server spans and SQLAlchemy spans come from the official
instrumentations, log records get the trace and span ids (otelTraceID, otelSpanID) and go to the
logs exporter; the engine adds its own spans (engine.telemetry), server.rpc_telemetry the per-call
access log and latency, server.metrics the operator gauges.
"""

from __future__ import annotations

import os
from importlib import metadata

from opentelemetry import metrics, trace
from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorServer
from opentelemetry.instrumentation.logging import LoggingInstrumentor
from opentelemetry.instrumentation.sqlalchemy import engine as sqlalchemy_tracing
from opentelemetry.instrumentation.sqlalchemy.version import __version__ as sqlalchemy_tracing_version
from opentelemetry.sdk._configuration import _OTelSDKConfigurator
from sqlalchemy import Engine

SERVICE_NAME = "cashapp"
_SIGNALS = ("TRACES", "METRICS", "LOGS")
_configured = False
_instrumented_engines: set[int] = set()


def service_version() -> str:
    """The installed cashapp distribution's version (service.version on every signal)."""
    try:
        return metadata.version("cashapp")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _default_exporters() -> None:
    """An OTLP endpoint without exporter variables means: send every signal there (what a
    deployment next to a collector expects). Set as environment defaults, like
    opentelemetry-distro does, so explicit variables (including "none") always win."""
    general = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    for signal in _SIGNALS:
        if general or os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"):
            os.environ.setdefault(f"OTEL_{signal}_EXPORTER", "otlp")
    if "OTEL_SERVICE_NAME" not in os.environ and "service.name=" not in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    ):
        os.environ["OTEL_SERVICE_NAME"] = SERVICE_NAME


def sdk_disabled() -> bool:
    """OTEL_SDK_DISABLED=true, the specification's switch for every signal."""
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def configure(engine: Engine) -> None:
    """Installs the providers and instrumentations once per process, and traces `engine`'s SQL
    (each embedded server of a test process brings its own engine). With the SDK disabled the
    instrumentations are left out: they would only make non-recording spans, at a tenth of a
    unary call's CPU (py-spy, CreatePayment under ghz)."""
    global _configured
    if not _configured:
        _configured = True
        _default_exporters()
        configurator = _OTelSDKConfigurator()  # type: ignore[no-untyped-call]
        configurator.configure(resource_attributes={"service.version": service_version()})  # type: ignore[no-untyped-call]
        if sdk_disabled():
            return
        # Trace and span ids go into every record's attributes, whatever formatter prints them;
        # the handler forwards records to the logs exporter (a no-op when there is none).
        LoggingInstrumentor().instrument(inject_trace_context=True)
        GrpcAioInstrumentorServer().instrument()  # type: ignore[no-untyped-call]
    if not sdk_disabled() and id(engine) not in _instrumented_engines:
        _instrumented_engines.add(id(engine))
        _trace_sql(engine)


def _trace_sql(engine: Engine) -> None:
    """SQL spans for one engine. SQLAlchemyInstrumentor().instrument(engine=...) works only once
    per process (a second call is ignored), so an embedded server started after another (tests,
    the demo) would lose its SQL spans; the instrumentation's EngineTracer has no such limit."""
    name = "opentelemetry.instrumentation.sqlalchemy"
    tracer = trace.get_tracer(name, sqlalchemy_tracing_version)
    usage = metrics.get_meter(name, sqlalchemy_tracing_version).create_up_down_counter(
        "db.client.connections.usage",
        unit="connections",
        description="The number of connections that are currently in state described by the state attribute.",
    )
    sqlalchemy_tracing.EngineTracer(tracer, engine, usage)  # type: ignore[no-untyped-call]
