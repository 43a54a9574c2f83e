"""Arbitrary requests to every RPC never reach INTERNAL or UNKNOWN, and the books still reconcile.

A real in-process server on SQLite and on PostgreSQL, booked with a few customers, invoices,
payments, an application and an exception, receives requests that hypothesis builds from the
message descriptors (tests/property/rpc_strategies.py) for every method of the services,
client-streaming ImportPayments included, and random raw bytes; some calls carry no or a wrong
token. Whatever the answer, it is never INTERNAL, UNKNOWN or a deadline, and after the run
GetReconciliationReport passes every invariant.

CI sends CASHAPP_FUZZ_EXAMPLES requests per database (default 1000, well under a minute on each);
set it higher to fuzz longer locally, e.g. CASHAPP_FUZZ_EXAMPLES=20000. The count sent and the
histogram of status codes are printed at the end of each run (and appended as JSON lines to the
file CASHAPP_FUZZ_REPORT names, when set).
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashapp_client import Allocation, Client, PaymentTerms, money
from cashapp_client._proto.cashapp.v1 import (
    alert_service_pb2,
    case_service_pb2,
    customer_service_pb2,
    dunning_service_pb2,
    invoice_service_pb2,
    payment_service_pb2,
    reconciliation_service_pb2,
    report_service_pb2,
    return_service_pb2,
)
from server.app import Running, run_in_thread
from server.config import Settings
from tests.property.rpc_strategies import IBAN, Pools, messages

FUZZ_EXAMPLES = int(os.environ.get("CASHAPP_FUZZ_EXAMPLES", "1000"))
CALL_TIMEOUT_SECONDS = 60.0
TOKEN = "fuzz-token"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
# Most calls authenticate (to get past it); some carry no token or a wrong one.
METADATA = [AUTH] * 6 + [(), (("authorization", "Bearer wrong"),)]
# RESOURCE_EXHAUSTED too: every request here is far below the maximum message size, so it could
# only mean an answer too large to deliver (an error quoting a huge value in its trailers).
NEVER = {
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
METHODS = [
    method
    for module, name in (
        (customer_service_pb2, "CustomerService"),
        (invoice_service_pb2, "InvoiceService"),
        (payment_service_pb2, "PaymentService"),
        (return_service_pb2, "ReturnService"),
        (reconciliation_service_pb2, "ReconciliationService"),
        (alert_service_pb2, "AlertService"),
        (report_service_pb2, "ReportService"),
        (dunning_service_pb2, "DunningService"),
        (case_service_pb2, "CaseService"),
    )
    for method in module.DESCRIPTOR.services_by_name[name].methods
]
histograms: dict[str, Counter[str]] = {}


def _book(c: Client) -> Pools:
    """A small world whose ids the strategies reuse, so requests reach the engine."""
    c.create_customer("C1", display_name="ACME GmbH", payer_accounts=[IBAN])
    c.create_customer("C2", display_name="Beta Ltd")
    for iid, amount, cid in (("INV-1", "100.00", "C1"), ("INV-2", "50.00", "C1"), ("INV-3", "73.00", "C2")):
        c.create_invoice(iid, customer_id=cid, amount=money(amount, "EUR"), issue_date="2026-11-01")
    c.create_invoice("INV-4", customer_id="C1", amount=money("73.00", "EUR"), issue_date="2026-11-01")
    c.create_invoice("INV-J", customer_id="C1", amount=money("1000", "JPY"), issue_date="2026-11-01")
    for pid, amount in (("P-1", "120.00"), ("P-2", "73.00"), ("P-3", "10.00")):
        c.create_payment(pid, amount=money(amount, "EUR"), value_date="2026-11-20", payer_name="Acme GmbH")
    paid = c.apply_payment("P-1", [Allocation(invoice_id="INV-2", amount=money("30.00", "EUR"))])
    c.auto_apply(payment_ids=["P-2"])
    c.return_payment("R-1", payment_id="P-3", reason_code="R01")
    c.update_customer("C1", payment_terms=PaymentTerms(net_days=60))  # an alert: terms on open invoices
    c.open_dispute("DSP-1", invoice_id="INV-1", amount=money("5.00", "EUR"), note="fuzz")
    return Pools(
        {
            "customer_id": ["C1", "C2", "NOPE"],
            "invoice_id": ["INV-1", "INV-2", "INV-3", "INV-4", "INV-J", "NOPE"],
            "payment_id": ["P-1", "P-2", "P-3", "NOPE"],
            "application_id": [a.application_id for a in paid.applications],
            "exception_id": [x.exception_id for x in c.list_exceptions()] or ["NOPE"],
            "return_id": ["R-1", "NOPE"],
            "alert_id": [a.alert_id for a in c.list_alerts()] or ["NOPE"],
            "case_id": ["DSP-1", "NOPE"],
        }
    )


@pytest.fixture
def server(database_url: str) -> Iterator[Running]:
    settings_ = Settings(database_url=database_url, listen="127.0.0.1:0", tokens=((TOKEN, "t1"),))
    with run_in_thread(settings_) as running:
        yield running


def _send(channel: grpc.Channel, method: Any, payloads: list[bytes], metadata: Any) -> grpc.StatusCode:
    path = f"/{method.containing_service.full_name}/{method.name}"
    try:
        if method.client_streaming:
            channel.stream_unary(path)(iter(payloads), metadata=metadata, timeout=CALL_TIMEOUT_SECONDS)
        elif method.server_streaming:
            list(channel.unary_stream(path)(payloads[0], metadata=metadata, timeout=CALL_TIMEOUT_SECONDS))
        else:
            channel.unary_unary(path)(payloads[0], metadata=metadata, timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        return error.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


def _requests(pools: Pools) -> st.SearchStrategy[tuple[Any, list[bytes]]]:
    """(method, serialized messages): a drawn request, or raw bytes that may be anything."""

    def drawn(method: Any) -> st.SearchStrategy[tuple[Any, list[bytes]]]:
        one = messages(method.input_type, pools).map(lambda m: m.SerializeToString())
        many = st.lists(one, max_size=3) if method.client_streaming else one.map(lambda b: [b])
        return many.map(lambda payloads: (method, payloads))

    raw = st.tuples(st.sampled_from(METHODS), st.lists(st.binary(max_size=48), min_size=1, max_size=2))
    return st.one_of(*[drawn(m) for m in METHODS], raw)


def test_arbitrary_requests_never_reach_internal_or_unknown(
    server: Running, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    backend = database_url.split(":", 1)[0].split("+", 1)[0]
    target = f"127.0.0.1:{server.port}"
    histogram = histograms.setdefault(backend, Counter())
    with Client(target, token=TOKEN, timeout_seconds=30) as client, grpc.insecure_channel(target) as channel:
        pools = _book(client)

        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,  # the server's state differs between runs: replaying a stored case misleads
            suppress_health_check=list(HealthCheck),
        )
        @given(call=_requests(pools), metadata=st.sampled_from(METADATA))
        def one_request(call: tuple[Any, list[bytes]], metadata: Any) -> None:
            method, payloads = call
            code = _send(channel, method, payloads, metadata)
            histogram[code.name] += 1
            histogram["sent"] += 1
            assert code not in NEVER, f"{method.full_name} answered {code.name} ({len(payloads)} message(s))"

        one_request()
        report = client.get_reconciliation_report()
        failed = [i.name for i in report.invariants if not i.passed]
        assert report.all_passed, f"ledger invariants broken after fuzzing: {failed}"
    _report(capsys, backend, histogram)


def _report(capsys: pytest.CaptureFixture[str], backend: str, histogram: Counter[str]) -> None:
    line = f"rpc fuzz [{backend}]: {histogram['sent']} requests sent; status codes: " + ", ".join(
        f"{code}={n}" for code, n in histogram.most_common() if code != "sent"
    )
    with capsys.disabled():  # shown in every run, captured or not
        print(f"\n{line}")
    path = os.environ.get("CASHAPP_FUZZ_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"backend": backend, "run": str(uuid.uuid4()), **histogram}) + "\n")
