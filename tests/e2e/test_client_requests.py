"""Request building: idempotency keys, update masks, scopes, chunking. No server needed."""

from __future__ import annotations

import datetime
import uuid

import pytest

from cashapp_client import Allocation, Payment, PaymentTerms, money
from cashapp_client import _requests as build


def _payments(count: int) -> list[Payment]:
    return [
        Payment(payment_id=f"P{i}", amount=money(100 + i, "EUR"), value_date="2026-01-01")
        for i in range(count)
    ]


def test_missing_request_id_becomes_a_fresh_uuid4() -> None:
    first = build.request_id_or_new(None)
    assert uuid.UUID(first).version == 4
    assert build.request_id_or_new(None) != first


def test_explicit_request_id_is_kept() -> None:
    request = build.create_customer(
        "C1",
        display_name="ACME",
        name_aliases=(),
        payer_accounts=(),
        payment_terms=None,
        tolerance_minor=None,
        request_id="my-key",
    )
    assert request.request_id == "my-key"
    assert request.customer.customer_id == "C1"
    assert not request.customer.HasField("tolerance_minor")


def test_update_mask_names_exactly_the_fields_given() -> None:
    request = build.update_customer(
        "C1",
        display_name="New",
        name_aliases=None,
        payer_accounts=[],
        payment_terms=PaymentTerms(net_days=30),
        tolerance_minor=0,
        request_id=None,
    )
    assert list(request.update_mask.paths) == [
        "display_name",
        "payer_accounts",
        "payment_terms",
        "tolerance_minor",
    ]
    assert request.customer.HasField("tolerance_minor")


def test_clearing_the_tolerance_names_it_in_the_mask_without_a_value() -> None:
    fields = dict(display_name=None, name_aliases=None, payer_accounts=None, payment_terms=None)
    request = build.update_customer(
        "C1", **fields, tolerance_minor=None, request_id=None, clear_tolerance=True
    )
    assert list(request.update_mask.paths) == ["tolerance_minor"]
    assert not request.customer.HasField("tolerance_minor")
    with pytest.raises(ValueError, match="not both"):
        build.update_customer("C1", **fields, tolerance_minor=5, request_id=None, clear_tolerance=True)


def test_update_with_nothing_to_change_is_refused_before_it_means_everything() -> None:
    with pytest.raises(ValueError, match="at least one field"):
        build.update_customer(
            "C1",
            display_name=None,
            name_aliases=None,
            payer_accounts=None,
            payment_terms=None,
            tolerance_minor=None,
            request_id=None,
        )


def test_dates_accept_date_objects_and_iso_text() -> None:
    assert build.date_text(datetime.date(2026, 1, 31)) == "2026-01-31"
    assert build.date_text("2026-01-31") == "2026-01-31"
    assert build.date_text(None) == ""
    with pytest.raises(TypeError):
        build.date_text(datetime.datetime(2026, 1, 31, 12, 0))


@pytest.mark.parametrize("page_size", [0, -1, 1001])
def test_page_size_outside_the_api_limits_is_refused(page_size: int) -> None:
    with pytest.raises(ValueError, match="page_size"):
        build.check_page_size(page_size)


def test_batch_create_refuses_more_than_one_atomic_batch() -> None:
    invoice = build.invoice(
        "I1",
        customer_id="C1",
        amount=money("1.00", "EUR"),
        issue_date="2026-01-01",
        due_date=None,
        payment_terms=None,
    )
    with pytest.raises(ValueError, match=r"1\.\.1000"):
        build.batch_create_invoices([invoice] * 1001, request_id=None)
    with pytest.raises(ValueError, match=r"1\.\.1000"):
        build.batch_create_invoices([], request_id=None)
    request = build.batch_create_invoices([invoice] * 2, request_id="k")
    assert [r.invoice_id for r in request.requests] == ["I1", "I1"]


def test_import_chunks_hold_at_most_chunk_size_payments() -> None:
    streams = list(build.import_streams(_payments(2501), chunk_size=1000, request_id=None))
    assert len(streams) == 1
    assert [len(chunk.payments) for chunk in streams[0]] == [1000, 1000, 501]


def test_import_streams_bound_the_chunks_kept_for_retries() -> None:
    streams = list(build.import_streams(_payments(25), chunk_size=2, request_id=None))
    assert [len(stream) for stream in streams] == [build.IMPORT_CHUNKS_PER_STREAM, 3]
    payment_ids = [p.payment_id for s in streams for chunk in s for p in chunk.payments]
    assert payment_ids == [f"P{i}" for i in range(25)]


def test_import_chunk_request_ids_are_distinct_and_reproducible() -> None:
    def ids(request_id: str) -> list[str]:
        streams = build.import_streams(_payments(7), chunk_size=2, request_id=request_id)
        return [chunk.request_id for stream in streams for chunk in stream]

    key = str(uuid.uuid4())
    assert ids(key) == ids(key)
    assert len(set(ids(key))) == 4
    assert ids(key) != ids(str(uuid.uuid4()))
    assert all(uuid.UUID(i) for i in ids("not-a-uuid"))


def test_import_of_nothing_sends_nothing() -> None:
    assert list(build.import_streams([], chunk_size=1000, request_id=None)) == []


@pytest.mark.parametrize("chunk_size", [0, 1001])
def test_import_chunk_size_is_bounded_by_the_api(chunk_size: int) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        list(build.import_streams(_payments(1), chunk_size=chunk_size, request_id=None))


def test_auto_apply_takes_exactly_one_scope() -> None:
    assert build.auto_apply(
        all_payments=True, customer_id=None, payment_ids=None, request_id=None
    ).all_payments
    assert (
        build.auto_apply(all_payments=False, customer_id="C1", payment_ids=None, request_id=None).WhichOneof(
            "scope"
        )
        == "customer_id"
    )
    request = build.auto_apply(
        all_payments=False, customer_id=None, payment_ids=["P1", "P2"], request_id=None
    )
    assert list(request.payments.payment_ids) == ["P1", "P2"]
    for scopes in [
        {"all_payments": False, "customer_id": None, "payment_ids": None},
        {"all_payments": True, "customer_id": "C1", "payment_ids": None},
    ]:
        with pytest.raises(ValueError, match="exactly one"):
            build.auto_apply(request_id=None, **scopes)  # type: ignore[arg-type]


def test_resolve_exception_takes_a_rank_or_allocations() -> None:
    by_rank = build.resolve_exception("E1", rank=2, allocations=None, request_id=None)
    assert by_rank.accept_suggestion_rank == 2
    allocation = Allocation(invoice_id="I1", amount=money("5.00", "EUR"))
    explicit = build.resolve_exception("E1", rank=None, allocations=[allocation], request_id=None)
    assert explicit.WhichOneof("resolution") == "allocations"
    assert list(explicit.allocations.allocations) == [allocation]
    with pytest.raises(ValueError, match="exactly one"):
        build.resolve_exception("E1", rank=1, allocations=[allocation], request_id=None)
    with pytest.raises(ValueError, match="exactly one"):
        build.resolve_exception("E1", rank=None, allocations=None, request_id=None)
    with pytest.raises(ValueError, match="1-based"):
        build.resolve_exception("E1", rank=0, allocations=None, request_id=None)


def test_paging_stops_after_the_last_page_and_refuses_a_repeated_token() -> None:
    assert build.next_page("", "t1") == "t1"
    assert build.next_page("t1", "") is None
    with pytest.raises(RuntimeError, match="same page_token twice"):
        build.next_page("t1", "t1")
