"""Payments carry structured remittance, a bank reference and an end-to-end id: through
CreatePayment and back, validated with the field named (changing nothing), kept apart by tenant,
and ImportStatement behind the same authentication as every method. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from sqlalchemy import column, insert, inspect, table

from cashapp_client import (
    Client,
    InvalidArgumentError,
    Money,
    RemittanceAdjustment,
    RemittanceLine,
    RemittanceLineKind,
    UnauthenticatedError,
    error_from_grpc,
    money,
)
from cashapp_client._proto.cashapp.v1 import payment_service_pb2 as ps
from engine.storage import tables as t
from engine.storage.db import Database
from engine.storage.migrate import downgrade, upgrade
from engine.storage.store import Store
from server.app import run_in_thread
from server.config import Settings
from tests.integration.statement_files import csv_file, row


def _create(client: Client, payment_id: str, *lines: RemittanceLine, **extra: str) -> None:
    request = ps.CreatePaymentRequest(payment_id=payment_id, request_id=f"req-{payment_id}")
    request.payment.amount.CopyFrom(money("150.00", "EUR"))
    request.payment.value_date = "2026-11-20"
    request.payment.remittance_lines.extend(lines)
    for name, value in extra.items():
        setattr(request.payment, name, value)
    client.payment_service.CreatePayment(request, timeout=10)


def test_remittance_lines_and_link_keys_round_trip(client: Client) -> None:
    line = RemittanceLine(
        reference="INV-9",
        paid=money("150.00", "EUR"),
        invoiced=money("160.00", "EUR"),
        discount=money("2.00", "EUR"),
        adjustments=[RemittanceAdjustment(amount=money("8.00", "EUR"), reason_code="CM", text="damaged")],
        kind=RemittanceLineKind.REMITTANCE_LINE_KIND_INVOICE,
    )
    _create(client, "P1", line, bank_reference="TRACE-1", end_to_end_id="E2E-1")
    stored = client.get_payment("P1")
    [back] = stored.remittance_lines
    assert (back.reference, back.paid.amount_minor, back.invoiced.amount_minor) == ("INV-9", 15000, 16000)
    assert back.discount.amount_minor == 200
    assert [(a.amount.amount_minor, a.reason_code, a.text) for a in back.adjustments] == [
        (800, "CM", "damaged")
    ]
    assert (stored.bank_reference, stored.end_to_end_id) == ("TRACE-1", "E2E-1")


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (RemittanceLine(reference=""), "payment.remittance_lines[0].reference"),
        (
            RemittanceLine(reference="I-1", paid=Money(currency_code="EUR", amount_minor=-1)),
            "payment.remittance_lines[0].paid.amount_minor",
        ),
        (
            RemittanceLine(reference="I-1", paid=money("1.00", "USD")),
            "payment.remittance_lines[0].paid.currency_code",
        ),
        (
            RemittanceLine(reference="I-1", discount=Money(currency_code="EUR", amount_minor=1, scale=3)),
            "payment.remittance_lines[0].discount.amount_minor",
        ),
        (RemittanceLine(reference="I-1", kind=99), "payment.remittance_lines[0].kind"),  # type: ignore[arg-type]
        (
            RemittanceLine(reference="I-1", adjustments=[RemittanceAdjustment(reason_code="CM")]),
            "payment.remittance_lines[0].adjustments[0].amount",
        ),
        (RemittanceLine(reference="x" * 129), "payment.remittance_lines[0].reference"),
    ],
)
def test_a_bad_remittance_line_is_refused_naming_its_field(
    client: Client, line: RemittanceLine, field: str
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        _create(client, "P-BAD", line)
    error = error_from_grpc(refused.value)
    assert isinstance(error, InvalidArgumentError)
    assert [v.field for v in error.field_violations] == [field]
    assert list(client.list_payments()) == []


def test_a_bank_reference_longer_than_kept_is_refused(client: Client) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        _create(client, "P-LONG", bank_reference="B" * 257)
    error = error_from_grpc(refused.value)
    assert [v.field for v in error.field_violations] == ["payment.bank_reference"]
    assert list(client.list_payments()) == []


@pytest.fixture
def guarded(database_url: str) -> Iterator[str]:
    settings = Settings(
        database_url=database_url, listen="127.0.0.1:0", tokens=(("tok-a", "tenant-a"), ("tok-b", "tenant-b"))
    )
    with run_in_thread(settings) as running:
        yield f"127.0.0.1:{running.port}"


def test_import_statement_needs_a_token_and_keeps_tenants_apart(guarded: str) -> None:
    data = csv_file([row("10.00", "BR-1")])
    with Client(guarded, max_attempts=1) as anonymous, pytest.raises(UnauthenticatedError):
        anonymous.import_statement(data)
    with Client(guarded, token="tok-a") as a, Client(guarded, token="tok-b") as b:
        assert a.import_statement(data).counts.created == 1
        # The same file is new to another tenant: idempotency is per tenant.
        second = b.import_statement(data)
        assert (second.already_imported, second.counts.created) == (False, 1)
        assert [p.payment_id for p in a.list_payments()] == ["-/BR-1"]
        assert [p.payment_id for p in b.list_payments()] == ["-/BR-1"]


def test_0007_gives_existing_payments_empty_remittance_and_link_keys(database_url: str) -> None:
    db = Database(database_url)
    try:
        upgrade(db.engine, "0006")
        older = {c.name for c in t.payments.columns} - {"remittance_lines", "bank_reference", "end_to_end_id"}
        values = {
            "tenant_id": "A", "payment_id": "OLD-1", "currency": "EUR", "amount_minor": 500,
            "unapplied_minor": 500, "returned_minor": 0, "value_date": "2026-01-02", "customer_id": None,
            "payer_account": "", "payer_name": "", "remittance_info": "", "references": "[]",
            "on_account": False, "create_us": 1, "given_customer_id": None, "payer_account_key": "",
        }  # fmt: skip
        assert set(values) == older
        # The payments table as 0006 left it: without the three new columns.
        legacy = table("payments", *(column(name) for name in values))
        with db.engine.begin() as conn:
            conn.execute(insert(legacy).values(**values))
        db.migrate()
        with db.reading() as conn:
            payment = Store(conn, "A").get_payment("OLD-1")
        assert payment is not None
        assert (payment.remittance_lines, payment.bank_reference, payment.end_to_end_id) == ((), "", "")
    finally:
        db.dispose()


def test_0007_downgrades_to_the_0006_schema_and_upgrades_again(database_url: str) -> None:
    db = Database(database_url)
    try:
        db.migrate()
        downgrade(db.engine, "0006")
        with db.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            columns = {c["name"] for c in inspect(conn).get_columns("payments")}
        assert not tables & {"statement_files", "remittance_advice", "unmatched_returns"}
        assert not columns & {"remittance_lines", "bank_reference", "end_to_end_id"}
        db.migrate()
    finally:
        db.dispose()
