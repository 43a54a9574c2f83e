"""`cashapp serve` exports traces, metrics and logs over OTLP/gRPC, configured by nothing but the
standard OTEL_* variables, to a real OTLP receiver: a gRPC server on loopback implementing the
collector's trace, metrics and logs services (opentelemetry-proto), storing what it receives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span

if TYPE_CHECKING:  # handed out by the fixtures of tests/e2e/conftest.py
    from conftest import RunningServer

from cashapp_client import Client, NotFoundError, Payment, money
from tests.small_book import book_one_payment

EXPORT_WAIT_SECONDS = 30.0
REPO_ROOT = Path(__file__).resolve().parents[2]
# Configures telemetry in a fresh process (the SDK is configured once per process) and prints the
# exporter classes it installed per signal (read from SDK internals: there is no public accessor).
EXPORTERS_SCRIPT = """
import json
from opentelemetry import _logs, metrics, trace
from sqlalchemy import create_engine
from server import telemetry

telemetry.configure(create_engine("sqlite://"))
name = lambda o: type(o).__module__ + "." + type(o).__name__
spans = trace.get_tracer_provider()._active_span_processor._span_processors
readers = metrics.get_meter_provider()._all_metric_readers
logs = _logs.get_logger_provider()._multi_log_record_processor._log_record_processors
print(json.dumps({
    "traces": [name(p.span_exporter) for p in spans],
    "metrics": [name(r._exporter) for r in readers],
    "logs": [name(p._batch_processor._exporter) for p in logs],
    "recording": trace.get_tracer("t").start_span("s").is_recording(),
}))
"""
OPERATOR_METRICS = {
    "rpc.server.duration",
    "cashapp.autoapply.decisions",
    "cashapp.import.payments",
    "cashapp.payments.undecided",
    "cashapp.db.pool.size",
    "cashapp.db.pool.checked_out",
    "cashapp.db.pool.overflow",
}


@dataclass
class Received:
    """What the receiver was sent, signal by signal."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    traces: list[trace_service_pb2.ExportTraceServiceRequest] = field(default_factory=list)
    metrics: list[metrics_service_pb2.ExportMetricsServiceRequest] = field(default_factory=list)
    logs: list[logs_service_pb2.ExportLogsServiceRequest] = field(default_factory=list)

    def spans(self) -> list[Span]:
        with self.lock:
            return [
                s for r in self.traces for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans
            ]

    def metric_names(self) -> set[str]:
        with self.lock:
            return {
                m.name
                for r in self.metrics
                for rm in r.resource_metrics
                for sm in rm.scope_metrics
                for m in sm.metrics
            }

    def log_records(self) -> list[LogRecord]:
        with self.lock:
            return [
                lr
                for r in self.logs
                for rl in r.resource_logs
                for sl in rl.scope_logs
                for lr in sl.log_records
            ]


class _Traces(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, received: Received) -> None:
        self.received = received

    def Export(self, request: Any, context: Any) -> trace_service_pb2.ExportTraceServiceResponse:
        with self.received.lock:
            self.received.traces.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


class _Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, received: Received) -> None:
        self.received = received

    def Export(self, request: Any, context: Any) -> metrics_service_pb2.ExportMetricsServiceResponse:
        with self.received.lock:
            self.received.metrics.append(request)
        return metrics_service_pb2.ExportMetricsServiceResponse()


class _Logs(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self, received: Received) -> None:
        self.received = received

    def Export(self, request: Any, context: Any) -> logs_service_pb2.ExportLogsServiceResponse:
        with self.received.lock:
            self.received.logs.append(request)
        return logs_service_pb2.ExportLogsServiceResponse()


@pytest.fixture
def receiver() -> Iterator[tuple[str, Received]]:
    received = Received()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_Traces(received), server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(_Metrics(received), server)
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(_Logs(received), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"http://127.0.0.1:{port}", received
    server.stop(grace=None)


def _value(value: AnyValue) -> object:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return tuple(_value(v) for v in value.array_value.values)
    return getattr(value, kind) if kind else None


def _attributes(attributes: Iterator[KeyValue] | Any) -> dict[str, object]:
    return {a.key: _value(a.value) for a in attributes}


def _wait_until(arrived: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + EXPORT_WAIT_SECONDS
    while not arrived():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_traces_metrics_and_logs_arrive_at_an_otlp_receiver(
    receiver: tuple[str, Received], server_factory: Callable[..., RunningServer]
) -> None:
    endpoint, received = receiver
    server = server_factory(
        {
            "OTEL_SDK_DISABLED": "false",
            # No OTEL_*_EXPORTER: an endpoint alone sends every signal over OTLP/gRPC.
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_INSECURE": "true",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_BLRP_SCHEDULE_DELAY": "100",
            "OTEL_METRIC_EXPORT_INTERVAL": "200",
        }
    )
    with Client(server.target, max_attempts=1) as client:
        book_one_payment(client)
        client.auto_apply(all_payments=True)
        client.get_payment("P1")
        with pytest.raises(NotFoundError):
            client.get_payment("P-MISSING")
        # Left undecided, so the backlog gauge has something to report.
        client.import_payments(
            [Payment(payment_id="P2", amount=money("3.00", "EUR"), value_date="2026-11-03")]
        )

    def get_payment_span() -> Span | None:
        found = [
            s
            for s in received.spans()
            if s.name.endswith("/GetPayment") and _attributes(s.attributes).get("cashapp.payment_id") == "P1"
        ]
        return found[0] if found else None

    assert _wait_until(lambda: get_payment_span() is not None), "no GetPayment span for P1 arrived"

    def missing_span() -> list[Span]:
        return [
            s for s in received.spans() if _attributes(s.attributes).get("cashapp.payment_id") == "P-MISSING"
        ]

    assert _wait_until(lambda: any(s.name == "match.plan" for s in received.spans()))
    assert _wait_until(lambda: bool(missing_span())), "no span for the failed GetPayment arrived"
    spans = received.spans()
    (auto_apply,) = [s for s in spans if s.name.endswith("/AutoApply")]
    (plan,) = [s for s in spans if s.name == "match.plan"]
    assert plan.trace_id == auto_apply.trace_id, "the engine's span joined its RPC's trace"
    assert _attributes(plan.attributes)["cashapp.payment_ids"] == ("P1",)
    (missing,) = missing_span()
    assert _attributes(missing.attributes)["rpc.grpc.status_code"] == grpc.StatusCode.NOT_FOUND.value[0]
    with received.lock:
        resource = _attributes(received.traces[0].resource_spans[0].resource.attributes)
    assert resource["service.name"] == "cashapp"
    assert resource["service.version"] == metadata.version("cashapp")
    # The SDK's own per-process id keeps apart the streams of `--processes` servers and
    # `--decide-processes` workers, which export the same metrics under the same service.name.
    assert resource["service.instance.id"], "each process is told apart by its service.instance.id"

    assert _wait_until(lambda: received.metric_names() >= OPERATOR_METRICS), (
        f"missing metrics: {sorted(OPERATOR_METRICS - received.metric_names())}"
    )

    span = get_payment_span()
    assert span is not None

    def access_line() -> LogRecord | None:
        for record in received.log_records():
            if record.trace_id == span.trace_id and record.body.string_value.startswith(
                "/cashapp.v1.PaymentService/GetPayment OK"
            ):
                return record
        return None

    assert _wait_until(lambda: access_line() is not None), "no access log record with the call's trace id"
    line = access_line()
    assert line is not None
    assert line.span_id == span.span_id
    assert _attributes(line.attributes)["tenant"] == "default"


def _exporters(env: dict[str, str]) -> dict[str, Any]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run(
        [sys.executable, "-c", EXPORTERS_SCRIPT],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


GRPC = "opentelemetry.exporter.otlp.proto.grpc"
HTTP = "opentelemetry.exporter.otlp.proto.http"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {"traces": [], "metrics": [], "logs": []}),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317"},
            {
                "traces": [f"{GRPC}.trace_exporter.OTLPSpanExporter"],
                "metrics": [f"{GRPC}.metric_exporter.OTLPMetricExporter"],
                "logs": [f"{GRPC}._log_exporter.OTLPLogExporter"],
            },
        ),
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_METRICS_EXPORTER": "none",
                "OTEL_LOGS_EXPORTER": "console",
            },
            {
                "traces": [f"{HTTP}.trace_exporter.OTLPSpanExporter"],
                "metrics": [],
                "logs": ["opentelemetry.sdk._logs._internal.export.ConsoleLogRecordExporter"],
            },
        ),
        (
            {"OTEL_TRACES_EXPORTER": "console"},
            {"traces": ["opentelemetry.sdk.trace.export.ConsoleSpanExporter"], "metrics": [], "logs": []},
        ),
    ],
    ids=["nothing-set", "endpoint-alone", "http-protocol-and-per-signal-choice", "console"],
)
def test_exporters_follow_the_standard_otel_variables(
    env: dict[str, str], expected: dict[str, list[str]]
) -> None:
    got = _exporters(env)
    assert {k: got[k] for k in expected} == expected
    assert got["recording"] is True


def test_otel_sdk_disabled_turns_every_span_into_a_no_op() -> None:
    assert _exporters({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"})["recording"] is False
