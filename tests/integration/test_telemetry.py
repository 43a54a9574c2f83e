"""Ops teams read traces: every RPC is one trace whose engine and SQL spans hang under the RPC's
server span, spans name the payments, invoices and decisions they touch, a failed call carries
its gRPC code, and every call leaves one access log line with the trace and span ids.

The spans come from the real embedded server through the SDK's in-memory exporter, on SQLite
and on PostgreSQL."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from cashapp_client import Client, NotFoundError, money
from server import rpc_telemetry
from server.app import run_in_thread
from server.config import Settings
from server.errors import status_for
from tests.small_book import book_one_payment
from tests.span_capture import fresh_exporter

RPC_PREFIX = "/cashapp.v1."
SPAN_WAIT_SECONDS = 10.0
ENGINE_SPANS = (
    "match.plan",
    "match.identify",
    "match.references",
    "match.decide",
    "match.solve",
    "match.persist",
)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The in-memory exporter on the process's SDK provider (tests/span_capture.py)."""
    yield fresh_exporter()


def _finished(spans: InMemorySpanExporter, rpc_count: int) -> tuple[ReadableSpan, ...]:
    """The finished spans once `rpc_count` RPC spans ended: an aborted call sends its status to
    the client before its server span ends, so the test may see the error first."""
    deadline = time.monotonic() + SPAN_WAIT_SECONDS
    while True:
        finished = spans.get_finished_spans()
        if sum(s.name.startswith(RPC_PREFIX) for s in finished) >= rpc_count or time.monotonic() > deadline:
            return finished
        time.sleep(0.01)


def _rpc_span(finished: tuple[ReadableSpan, ...], method: str) -> ReadableSpan:
    (span,) = [s for s in finished if s.name == f"{RPC_PREFIX}{method}"]
    return span


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


def test_auto_apply_span_tree_hangs_under_its_rpc_span(spans: InMemorySpanExporter, client: Client) -> None:
    book_one_payment(client)
    spans.clear()
    response = client.auto_apply(all_payments=True)
    finished = _finished(spans, 1)
    root = _rpc_span(finished, "ReconciliationService/AutoApply")
    assert root.parent is None or root.parent.is_remote
    assert root.context is not None
    tree = [s for s in finished if s.context is not None and s.context.trace_id == root.context.trace_id]
    assert len(tree) == len(finished), "every span of the call belongs to the call's trace"
    by_id = {s.context.span_id: s for s in tree if s.context is not None}
    names = {s.name for s in tree}
    for name in ENGINE_SPANS:
        assert name in names, f"missing span {name}: {sorted(names)}"
    for span in tree:
        if span is not root:
            assert _ancestors(span, by_id)[-1] == root.name, f"{span.name} is not under the RPC span"
    by_name = {s.name: s for s in tree}
    assert _ancestors(by_name["match.solve"], by_id)[:3] == ["match.decide", "match.plan", root.name]
    assert _ancestors(by_name["match.references"], by_id)[:2] == ["match.identify", "match.plan"]
    sql = [s for s in tree if s.kind is trace.SpanKind.CLIENT and "db.system" in (s.attributes or {})]
    assert sql, "the SQL statements are traced inside the call"
    assert {_ancestors(s, by_id)[-1] for s in sql} == {root.name}
    solve = by_name["match.solve"].attributes or {}
    assert solve["cashapp.solver.outcome"] == "MATCHED"
    assert solve["cashapp.candidate_invoices"] == 1
    (decision,) = response.decisions
    assert (by_name["match.plan"].attributes or {})["cashapp.payment_ids"] == ("P1",)
    persist = by_name["match.persist"].attributes or {}
    assert persist["cashapp.decision_ids"] == (decision.decision_id,)
    assert persist["cashapp.payment_ids"] == ("P1",)
    assert persist["cashapp.invoice_ids"] == ("I1",)
    assert (root.attributes or {})["rpc.grpc.status_code"] == grpc.StatusCode.OK.value[0]
    assert (root.attributes or {})["cashapp.tenant"] == "default"


def test_each_rpc_is_exactly_one_trace(spans: InMemorySpanExporter, client: Client) -> None:
    book_one_payment(client)  # 3 calls
    client.get_payment("P1")
    client.get_invoice("I1")
    client.get_customer("C1")
    list(client.list_payments())
    list(client.list_invoices())
    list(client.list_customers())
    client.auto_apply(all_payments=True)
    client.get_payment("P1")
    list(client.list_decisions())
    client.get_reconciliation_report()
    with pytest.raises(NotFoundError):
        client.get_payment("P-MISSING")  # 14 calls
    finished = _finished(spans, 14)
    rpcs = [s for s in finished if s.name.startswith(RPC_PREFIX)]
    assert len(rpcs) == 14, "\n".join(sorted(s.name.rsplit("/", 1)[1] for s in rpcs))
    traces = {s.context.trace_id for s in finished if s.context is not None}
    assert len(traces) == 14, "engine and SQL spans must join their RPC's trace, not start their own"


def test_import_span_names_its_payments(spans: InMemorySpanExporter, client: Client) -> None:
    book_one_payment(client)
    finished = _finished(spans, 3)
    rpc = _rpc_span(finished, "PaymentService/ImportPayments")
    (span,) = [s for s in finished if s.name == "payments.import"]
    assert span.parent is not None and span.parent.span_id == rpc.context.span_id
    attributes = span.attributes or {}
    assert attributes["cashapp.payment_ids"] == ("P1",)
    assert (attributes["cashapp.import.created"], attributes["cashapp.import.failed"]) == (1, 0)


def test_a_failed_call_carries_its_code_reason_and_id_on_its_span(
    spans: InMemorySpanExporter, client: Client
) -> None:
    with pytest.raises(NotFoundError):
        client.get_payment("P-MISSING")
    span = _rpc_span(_finished(spans, 1), "PaymentService/GetPayment")
    attributes = span.attributes or {}
    assert attributes["rpc.grpc.status_code"] == grpc.StatusCode.NOT_FOUND.value[0]
    assert attributes["cashapp.error.reason"] == "PAYMENT_NOT_FOUND"
    assert attributes["cashapp.payment_id"] == "P-MISSING"
    # The caller's mistake, not the server's: semantic conventions leave the status unset.
    assert span.status.status_code is StatusCode.UNSET


def test_a_server_fault_marks_the_span_as_error(spans: InMemorySpanExporter) -> None:
    fault = RuntimeError("the disk caught fire")
    with trace.get_tracer("test").start_as_current_span("/cashapp.v1.Test/Fault"):
        rpc_telemetry.failed(status_for(fault), fault)
    (span,) = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "INTERNAL: internal error"  # the message the caller got
    assert (span.attributes or {})["rpc.grpc.status_code"] == grpc.StatusCode.INTERNAL.value[0]
    assert [e.name for e in span.events] == ["exception"]


def test_every_call_leaves_one_access_log_line_with_its_trace(
    spans: InMemorySpanExporter, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="cashapp.access"):
        client.create_customer("C1", display_name="ACME")
        with pytest.raises(NotFoundError):
            client.get_payment("P-MISSING")
        finished = _finished(spans, 2)  # the failed call's line is written as its span ends
    lines = [r for r in caplog.records if r.name == "cashapp.access"]
    assert [(r.rpc_method, r.grpc_code, r.tenant) for r in lines] == [  # type: ignore[attr-defined]
        ("/cashapp.v1.CustomerService/CreateCustomer", "OK", "default"),
        ("/cashapp.v1.PaymentService/GetPayment", "NOT_FOUND", "default"),
    ]
    for record, method in zip(
        lines, ("CustomerService/CreateCustomer", "PaymentService/GetPayment"), strict=True
    ):
        context = _rpc_span(finished, method).context
        assert context is not None
        assert record.otelTraceID == format(context.trace_id, "032x")  # type: ignore[attr-defined]
        assert record.otelSpanID == format(context.span_id, "016x")  # type: ignore[attr-defined]
        assert record.peer.startswith(("ipv4:127.0.0.1:", "ipv6:"))  # type: ignore[attr-defined]
        assert record.duration_ms >= 0  # type: ignore[attr-defined]


def test_sql_spans_come_from_every_embedded_server_of_the_process(
    spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    """A second server in one process (tests, the demo) still traces its SQL."""
    for n in range(2):
        settings = Settings(database_url=f"sqlite:///{tmp_path / f'db{n}.sqlite'}", listen="127.0.0.1:0")
        with run_in_thread(settings) as running, Client(f"127.0.0.1:{running.port}") as client:
            spans.clear()
            client.create_customer("C1", display_name="ACME")
            assert any("db.system" in (s.attributes or {}) for s in spans.get_finished_spans())


def test_import_statement_is_one_traced_call_with_its_parse_and_import_spans(
    spans: InMemorySpanExporter, client: Client
) -> None:
    from tests.integration.statement_files import csv_file, row

    spans.clear()
    response = client.import_statement(csv_file([row("10.00", "BR-1"), row("-1.00", "BR-2")]))
    finished = _finished(spans, 1)
    rpc = _rpc_span(finished, "PaymentService/ImportStatement")
    assert (rpc.attributes or {})["rpc.grpc.status_code"] == grpc.StatusCode.OK.value[0]
    assert (rpc.attributes or {})["cashapp.tenant"] == "default"
    by_name = {s.name: s for s in finished}
    by_id = {s.context.span_id: s for s in finished if s.context is not None}
    for name in ("ingest.parse", "ingest.import", "payments.create_new"):
        assert _ancestors(by_name[name], by_id)[-1] == rpc.name, f"{name} is not under the RPC span"
    attributes = by_name["ingest.import"].attributes or {}
    assert attributes["cashapp.statement.sha256"] == response.sha256
    assert (attributes["cashapp.statement.created"], attributes["cashapp.statement.skipped"]) == (1, 1)


def test_a_stored_decision_names_the_trace_that_made_it(spans: InMemorySpanExporter, client: Client) -> None:
    book_one_payment(client)
    spans.clear()
    response = client.auto_apply(all_payments=True)
    root = _rpc_span(_finished(spans, 1), "ReconciliationService/AutoApply")
    assert root.context is not None
    (decision,) = response.decisions
    assert decision.trace_id == format(root.context.trace_id, "032x")
    (stored,) = [d for d in client.list_decisions(payment_id="P1") if d.decision_id == decision.decision_id]
    assert stored.trace_id == decision.trace_id, "read back as it was made, not from the reading call"


def test_a_batched_create_links_its_batch_span_to_the_callers_span(
    spans: InMemorySpanExporter, client: Client
) -> None:
    """Concurrent creates share one transaction (server/create_batcher.py): its SQL spans hang
    under one batch span, and that span links to the RPC span of every call it answered."""
    client.create_payment("P-LINKED", amount=money("10.00", "EUR"), value_date="2026-11-20")
    finished = _finished(spans, 1)
    rpc = _rpc_span(finished, "PaymentService/CreatePayment")
    (batch,) = [s for s in finished if s.name == "CreatePayment batch"]
    assert rpc.context is not None and batch.context is not None
    assert [link.context.span_id for link in batch.links] == [rpc.context.span_id]
    assert (batch.attributes or {})["cashapp.batch_size"] == 1
    by_id = {s.context.span_id: s for s in finished if s.context is not None}
    sql = [s for s in finished if s.kind is trace.SpanKind.CLIENT and "db.system" in (s.attributes or {})]
    inserts = [s for s in sql if "INSERT INTO payments" in str((s.attributes or {}).get("db.statement", ""))]
    assert inserts, "the batch's SQL is traced"
    for span in inserts:
        assert _ancestors(span, by_id)[-1] == batch.name, "the batch's SQL hangs under the batch span"
