"""What the server does with input no servicer should ever see, through a real server on SQLite
and PostgreSQL: it authenticates first, answers malformed bytes INVALID_ARGUMENT (one rate-limited
log line, no traceback), reads an empty update mask as the populated fields (AIP-134), keeps the
ImportPayments response within its budget, and says what a refused chunk leaves committed."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.protobuf.descriptor import FieldDescriptor

from cashapp_client import Client, error_from_grpc, money
from cashapp_client._proto.cashapp.v1 import (
    alert_service_pb2,
    customer_service_pb2,
    dunning_service_pb2,
    invoice_service_pb2,
    payment_service_pb2,
    reconciliation_service_pb2,
    report_service_pb2,
    return_service_pb2,
)
from cashapp_client._proto.cashapp.v1 import customer_service_pb2 as cs
from cashapp_client._proto.cashapp.v1 import payment_service_pb2 as ps
from cashapp_client._proto.cashapp.v1 import reconciliation_service_pb2 as rs
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from server import servicers
from server.app import Running, run_in_thread
from server.config import Settings

TOKEN = "edge-token"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
SERVICES = [
    module.DESCRIPTOR.services_by_name[name]
    for module, name in (
        (customer_service_pb2, "CustomerService"),
        (invoice_service_pb2, "InvoiceService"),
        (payment_service_pb2, "PaymentService"),
        (return_service_pb2, "ReturnService"),
        (reconciliation_service_pb2, "ReconciliationService"),
        (alert_service_pb2, "AlertService"),
        (report_service_pb2, "ReportService"),
        (dunning_service_pb2, "DunningService"),
    )
]
METHODS = [method for service in SERVICES for method in service.methods]


@pytest.fixture
def server(database_url: str) -> Iterator[Running]:
    settings = Settings(database_url=database_url, listen="127.0.0.1:0", tokens=((TOKEN, "t1"),))
    with run_in_thread(settings) as running:
        yield running


@pytest.fixture
def channel(server: Running) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as ch:
        yield ch


@pytest.fixture
def client(server: Running) -> Iterator[Client]:
    with Client(f"127.0.0.1:{server.port}", token=TOKEN, timeout_seconds=30) as c:
        yield c
        report = c.get_reconciliation_report()
        assert report.all_passed, [i.name for i in report.invariants if not i.passed]


def _call_raw(channel: grpc.Channel, method: Any, payload: bytes, metadata: Any = AUTH) -> Any:
    """Sends `payload` unparsed (a stream of one message for client-streaming methods; every
    message of a server-streaming answer read)."""
    path = f"/{method.containing_service.full_name}/{method.name}"
    if method.client_streaming:
        return channel.stream_unary(path)(iter([payload]), metadata=metadata, timeout=30)
    if method.server_streaming:
        return list(channel.unary_stream(path)(payload, metadata=metadata, timeout=30))
    return channel.unary_unary(path)(payload, metadata=metadata, timeout=30)


def _status(call: Any) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    error = error_from_grpc(caught.value)
    return caught.value.code(), error.reason


def _string_field_1(method: Any) -> bool:
    field = method.input_type.fields_by_number.get(1)
    return field is not None and field.type == FieldDescriptor.TYPE_STRING


@pytest.mark.parametrize(
    ("payload", "methods"),
    [
        (b"\xff\xff", METHODS),
        # Field 1 as a string that is not UTF-8, on every method whose field 1 is a string.
        (b"\x0a\x02\xff\xfe", [m for m in METHODS if _string_field_1(m)]),
    ],
    ids=["junk", "invalid-utf8"],
)
def test_malformed_bytes_are_invalid_argument_on_every_method_with_one_log_line(
    channel: grpc.Channel, payload: bytes, methods: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert methods
    for method in methods:
        code, reason = _status(lambda method=method: _call_raw(channel, method, payload))
        assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "MALFORMED_REQUEST"), method.full_name
    malformed = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert len(malformed) <= 1, "the malformed-request log is rate-limited"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_authentication_comes_before_any_look_at_the_request(channel: grpc.Channel, client: Client) -> None:
    unauthenticated = (grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")
    auto_apply = channel.unary_unary(
        "/cashapp.v1.ReconciliationService/AutoApply",
        request_serializer=rs.AutoApplyRequest.SerializeToString,
        response_deserializer=rs.AutoApplyResponse.FromString,
    )
    importer = channel.stream_unary(
        "/cashapp.v1.PaymentService/ImportPayments",
        request_serializer=ps.ImportPaymentsRequest.SerializeToString,
        response_deserializer=ps.ImportPaymentsResponse.FromString,
    )
    assert _status(lambda: auto_apply(rs.AutoApplyRequest(), timeout=30)) == unauthenticated
    assert _status(lambda: importer(iter([]), timeout=30)) == unauthenticated
    for method in METHODS:
        assert _status(lambda m=method: _call_raw(channel, m, b"\xff", metadata=())) == unauthenticated
    # With the token, the same requests reach validation.
    assert _status(lambda: auto_apply(rs.AutoApplyRequest(), metadata=AUTH, timeout=30)) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "MISSING_SCOPE",
    )
    empty = importer(iter([]), metadata=AUTH, timeout=30)
    assert (empty.created_count, empty.failed_count, list(empty.results)) == (0, 0, [])


def test_an_empty_update_mask_replaces_only_the_populated_fields(client: Client) -> None:
    client.create_customer(
        "C1",
        display_name="ACME GmbH",
        name_aliases=["ACME"],
        payer_accounts=["DE89370400440532013000"],
        payment_terms=pb.PaymentTerms(net_days=30, discount_days=10, discount_basis_points=200),
        tolerance_minor=50,
    )
    before = client.get_customer("C1")
    request = cs.UpdateCustomerRequest(
        customer=pb.Customer(customer_id="C1", display_name="ACME AG"), request_id=str(uuid.uuid4())
    )
    updated = client.customer_service.UpdateCustomer(request, metadata=AUTH, timeout=30)
    assert updated.display_name == "ACME AG"
    for name in ("name_aliases", "payer_accounts", "payment_terms", "tolerance_minor"):
        assert getattr(updated, name) == getattr(before, name), name
    # The same for the settings: only the populated (non-zero) one changes.
    client.update_settings(write_off_tolerance_minor=25, matching_tolerance_minor=3)
    settings_request = rs.UpdateSettingsRequest(
        settings=pb.Settings(matching_tolerance_minor=9), request_id=str(uuid.uuid4())
    )
    settings = client.reconciliation_service.UpdateSettings(settings_request, metadata=AUTH, timeout=30)
    assert (settings.write_off_tolerance_minor, settings.matching_tolerance_minor) == (25, 9)
    # An explicit mask still clears what it names and the message leaves unset.
    request = cs.UpdateCustomerRequest(
        customer=pb.Customer(customer_id="C1"),
        update_mask=field_mask_pb2.FieldMask(paths=["tolerance_minor"]),
        request_id=str(uuid.uuid4()),
    )
    cleared = client.customer_service.UpdateCustomer(request, metadata=AUTH, timeout=30)
    assert not cleared.HasField("tolerance_minor") and cleared.display_name == "ACME AG"


def _payments(prefix: str, count: int) -> list[pb.Payment]:
    return [
        pb.Payment(payment_id=f"{prefix}-{i}", amount=money("1.00", "EUR"), value_date="2026-11-20")
        for i in range(count)
    ]


def test_one_nul_payer_name_fails_only_its_payment_in_a_full_chunk(client: Client) -> None:
    payments = _payments("N", 1000)
    payments[417].payer_name = "ACME\x00GmbH"
    payments[9].payment_id = "N-\x00"  # found by the fuzzer: looked up before it was checked
    response = client.import_payments(payments)
    assert (response.created_count, response.failed_count) == (998, 2)
    failed = [r for r in response.results if r.result == "FAILED"]
    assert [(r.payment_id, r.error_reason) for r in failed] == [
        ("N-\x00", "NUL_CHARACTER"),
        ("N-417", "NUL_CHARACTER"),
    ]
    assert failed[0].error_message.startswith("payments[9].payment_id")
    assert failed[1].error_message.startswith("payments[417].payer_name")


def test_the_import_response_stays_within_its_budget_and_counts_every_payment(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    budget = 2_000
    monkeypatch.setattr(servicers, "MAX_IMPORT_RESULTS_BYTES", budget)
    chunks = [
        ps.ImportPaymentsRequest(payments=_payments(f"B{c}", 50), request_id=f"budget-{c}") for c in range(3)
    ]
    response = client.payment_service.ImportPayments(iter(chunks), metadata=AUTH, timeout=60)
    assert response.created_count == 150
    assert 0 < len(response.results) < 150
    assert len(response.results) + response.omitted_result_count == 150
    assert response.ByteSize() <= budget
    in_stream_order = [p.payment_id for chunk in chunks for p in chunk.payments]
    assert [r.payment_id for r in response.results] == in_stream_order[: len(response.results)]
    assert sum(1 for _ in client.list_payments()) == 150  # every payment committed, listed or not


def test_a_refused_chunk_leaves_the_chunks_before_it_committed_and_a_resend_completes(
    client: Client,
) -> None:
    first = ps.ImportPaymentsRequest(payments=_payments("R0", 2), request_id="resume-0")
    empty = ps.ImportPaymentsRequest(request_id="resume-1")
    last = ps.ImportPaymentsRequest(payments=_payments("R2", 1), request_id="resume-2")
    importer = client.payment_service.ImportPayments
    assert _status(lambda: importer(iter([first, empty, last]), metadata=AUTH, timeout=30)) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_BATCH_SIZE",
    )
    assert sorted(p.payment_id for p in client.list_payments()) == ["R0-0", "R0-1"]
    fixed = ps.ImportPaymentsRequest(payments=_payments("R1", 1), request_id="resume-1b")
    again = importer(iter([first, fixed, last]), metadata=AUTH, timeout=30)
    assert (again.created_count, again.failed_count) == (4, 0)  # the first chunk's stored result
    assert sorted(p.payment_id for p in client.list_payments()) == ["R0-0", "R0-1", "R1-0", "R2-0"]


def test_a_malformed_message_mid_stream_keeps_the_chunks_before_it(
    channel: grpc.Channel, client: Client
) -> None:
    first = ps.ImportPaymentsRequest(payments=_payments("M", 2), request_id="mid-0")
    stream = channel.stream_unary("/cashapp.v1.PaymentService/ImportPayments")
    payloads = [first.SerializeToString(), b"\xff\xff"]
    assert _status(lambda: stream(iter(payloads), metadata=AUTH, timeout=30)) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "MALFORMED_REQUEST",
    )
    assert sorted(p.payment_id for p in client.list_payments()) == ["M-0", "M-1"]
