"""Ops teams read traces: a matching run yields gRPC server spans and the engine's own spans with
their attributes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from cashapp_client import Client, Payment, money
from server.app import run_in_thread
from server.config import Settings

_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    _EXPORTER.clear()
    yield _EXPORTER


def test_auto_apply_emits_server_and_matching_spans(spans: InMemorySpanExporter, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", listen="127.0.0.1:0")
    with run_in_thread(settings) as running, Client(f"127.0.0.1:{running.port}") as client:
        client.create_customer("C1", display_name="ACME", payer_accounts=["ACCT00001"])
        client.create_invoice("I1", customer_id="C1", amount=money("10.00", "EUR"), issue_date="2026-11-01")
        client.import_payments(
            [
                Payment(
                    payment_id="P1",
                    amount=money("10.00", "EUR"),
                    value_date="2026-11-02",
                    payer_account="ACCT00001",
                )
            ]
        )
        client.auto_apply(all_payments=True)
    by_name = {s.name: s for s in spans.get_finished_spans()}
    assert "/cashapp.v1.ReconciliationService/AutoApply" in by_name
    for name in ("match.plan", "match.identify", "match.solve", "match.decide", "match.persist"):
        assert name in by_name, f"missing span {name}: {sorted(by_name)}"
    solve = by_name["match.solve"].attributes or {}
    assert solve["cashapp.solver.outcome"] == "MATCHED"
    assert solve["cashapp.candidate_invoices"] == 1
