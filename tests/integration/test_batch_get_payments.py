"""BatchGetPayments (AIP-231) on SQLite and PostgreSQL: payments in the order asked, in one call;
a missing id is NOT_FOUND naming its place, a bad batch INVALID_ARGUMENT naming the field."""

from __future__ import annotations

import pytest

from cashapp_client import Client, InvalidArgumentError, NotFoundError, Payment, money


def _three(client: Client) -> None:
    client.import_payments(
        [
            Payment(payment_id=f"P{n}", amount=money(f"{n}.00", "EUR"), value_date="2026-11-02")
            for n in (1, 2, 3)
        ]
    )


def test_payments_come_back_in_the_order_asked_with_repeats(client: Client) -> None:
    _three(client)
    got = client.get_payments(["P3", "P1", "P3"])
    assert [p.payment_id for p in got] == ["P3", "P1", "P3"]
    assert [p.amount.amount_minor for p in got] == [300, 100, 300]
    assert got[1] == client.get_payment("P1")


@pytest.mark.parametrize(
    ("ids", "error", "field"),
    [
        ([], InvalidArgumentError, "payment_ids"),
        (["P1"] * 1001, InvalidArgumentError, "payment_ids"),
        (["P1", ""], InvalidArgumentError, "payment_ids[1]"),
        (["P1", "P9", "P8"], NotFoundError, "payment_ids[1]"),
    ],
)
def test_bad_batches_name_their_field(
    client: Client, ids: list[str], error: type[Exception], field: str
) -> None:
    _three(client)
    with pytest.raises(error) as refused:
        client.get_payments(ids)
    violations = getattr(refused.value, "field_violations", ())
    if violations:
        assert violations[0].field == field
    else:
        assert field in str(refused.value)
