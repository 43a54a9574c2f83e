"""ListPayments filtered by value date, on SQLite and PostgreSQL: the server keeps only that
day's payments across pages, combines the filter with the others, and refuses a malformed date
or a page token asked with another date (naming the field, changing nothing)."""

from __future__ import annotations

import grpc
import pytest

from cashapp_client import Client, InvalidArgumentError, Payment, money
from cashapp_client._proto.cashapp.v1 import payment_service_pb2 as ps
from cashapp_client._proto.cashapp.v1.resources_pb2 import PAYMENT_STATE_UNAPPLIED


def _payments(c: Client) -> None:
    c.create_customer("C1", display_name="Acme")
    c.import_payments(
        [
            Payment(
                payment_id=f"P{i:02d}",
                amount=money(f"{i + 1}.00", "EUR"),
                value_date="2026-11-08" if i % 3 == 0 else "2026-11-09",
                customer_id="C1" if i % 2 == 0 else "",
            )
            for i in range(12)
        ]
    )


def test_only_that_days_payments_across_pages(client: Client) -> None:
    _payments(client)
    listed = [p.payment_id for p in client.list_payments(value_date="2026-11-08", page_size=2)]
    assert listed == ["P00", "P03", "P06", "P09"]
    assert all(p.value_date == "2026-11-09" for p in client.list_payments(value_date="2026-11-09"))
    assert sum(1 for _ in client.list_payments(value_date="2026-11-09")) == 8
    assert list(client.list_payments(value_date="2026-11-10")) == []
    both = client.list_payments(value_date="2026-11-08", customer_id="C1", state=PAYMENT_STATE_UNAPPLIED)
    assert [p.payment_id for p in both] == ["P00", "P06"]


@pytest.mark.parametrize("bad", ["2026-13-01", "08.11.2026", "2026-11-8", "tomorrow"])
def test_a_malformed_date_is_refused_naming_the_field(client: Client, bad: str) -> None:
    _payments(client)
    with pytest.raises(InvalidArgumentError) as raised:
        list(client.list_payments(value_date=bad))
    assert [v.field for v in raised.value.field_violations] == ["value_date"]
    assert sum(1 for _ in client.list_payments()) == 12


def test_a_page_token_asked_with_another_date_is_refused(client: Client) -> None:
    _payments(client)
    stub = client.payment_service
    first = stub.ListPayments(ps.ListPaymentsRequest(page_size=2, value_date="2026-11-08"))
    assert first.next_page_token
    with pytest.raises(grpc.RpcError) as raised:
        stub.ListPayments(
            ps.ListPaymentsRequest(page_size=2, value_date="2026-11-09", page_token=first.next_page_token)
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
