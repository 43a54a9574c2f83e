"""Bad case requests get the right code with the field named and change nothing (books, cases,
their histories); one booked server per backend for the module, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cashapp_client import Allocation as Alloc
from cashapp_client import (
    AlreadyExistsError,
    CashappError,
    Client,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    money,
)
from cashapp_client._proto.cashapp.v1 import case_service_pb2 as cs
from server.app import run_in_thread
from server.config import Settings
from tests.databases import database

IA, NF, FP, AE = InvalidArgumentError, NotFoundError, FailedPreconditionError, AlreadyExistsError
R = cs.CASE_RESOLUTION_CREDIT_MEMO


def _book(c: Client) -> str:
    """A deduction case in research (DED), a fresh dispute (DSP-OPEN); returns DED's id."""
    c.create_customer("C1", display_name="ACME GmbH")
    for iid in ("INV-1", "INV-2"):
        c.create_invoice(iid, customer_id="C1", amount=money("100.00", "EUR"), issue_date="2026-11-01")
    c.update_case_settings(approval_limit_minor=None, write_off_limit_minor=100)
    c.create_payment("P1", amount=money("90.00", "EUR"), value_date="2026-11-20", customer_id="C1")
    c.apply_payment(
        "P1", [Alloc(invoice_id="INV-1", amount=money("90.00", "EUR"), deduction=money("10.00", "EUR"))]
    )
    (ded,) = c.list_cases()
    c.transition_case(ded.case_id, target_state=cs.CASE_STATE_IN_RESEARCH, note="n", actor="ann")
    c.open_dispute("DSP-OPEN", invoice_id="INV-2", amount=money("60.00", "EUR"), note="n", actor="ann")
    return ded.case_id


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def booked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Client, str]]:
    urls = database(request.param, tmp_path_factory.mktemp("bad_cases"))
    url = next(urls)
    try:
        with (
            run_in_thread(Settings(database_url=url, listen="127.0.0.1:0")) as running,
            Client(f"127.0.0.1:{running.port}", timeout_seconds=30) as c,
        ):
            yield c, _book(c)
    finally:
        urls.close()


def _snapshot(c: Client) -> dict[str, Any]:
    report = c.get_reconciliation_report()
    assert report.all_passed, [(i.name, list(i.violations)) for i in report.invariants if not i.passed]
    return {
        "balances": sorted((b.account, b.currency_code, b.balance_minor) for b in report.balances),
        "invoices": [i.SerializeToString(deterministic=True) for i in c.list_invoices()],
        "cases": [k.SerializeToString(deterministic=True) for k in c.list_cases()],
        "settings": c.get_case_settings().SerializeToString(deterministic=True),
    }


Call = Callable[[Client, str], object]
EUR10 = money("10.00", "EUR")
CASES: list[Any] = [
    pytest.param(lambda c, d: c.get_case("NOPE"), NF, "CASE_NOT_FOUND", "case_id", id="get-unknown"),
    pytest.param(
        lambda c, d: c.transition_case("NOPE", target_state=cs.CASE_STATE_IN_RESEARCH, note="n"),
        NF,
        "CASE_NOT_FOUND",
        "case_id",
        id="transition-unknown",
    ),
    pytest.param(
        lambda c, d: c.resolve_case("NOPE", resolution=R, note="n"),
        NF,
        "CASE_NOT_FOUND",
        "case_id",
        id="resolve-unknown",
    ),
    pytest.param(
        lambda c, d: c.approve_case("NOPE", note="n"), NF, "CASE_NOT_FOUND", "case_id", id="approve-unknown"
    ),
    pytest.param(
        lambda c, d: c.reject_case("NOPE", note="n"), NF, "CASE_NOT_FOUND", "case_id", id="reject-unknown"
    ),
    pytest.param(
        lambda c, d: c.reject_case(d, note="n"),
        FP,
        "NO_PENDING_APPROVAL",
        "case_id",
        id="reject-nothing-pending",
    ),
    pytest.param(
        lambda c, d: c.reject_case(d, note=""), IA, "MISSING_NOTE", "note", id="reject-without-note"
    ),
    pytest.param(
        lambda c, d: c.transition_case("DSP-OPEN", target_state=cs.CASE_STATE_AWAITING_CUSTOMER, note="n"),
        FP,
        "ILLEGAL_TRANSITION",
        "target_state",
        id="open-to-awaiting",
    ),
    pytest.param(
        lambda c, d: c.resolve_case("DSP-OPEN", resolution=R, note="n"),
        FP,
        "ILLEGAL_TRANSITION",
        "resolution",
        id="resolve-before-research",
    ),
    pytest.param(
        lambda c, d: c.transition_case(d, target_state=cs.CASE_STATE_VALIDATED, note="n"),
        IA,
        "RESOLVE_TO_SETTLE",
        "target_state",
        id="validate-by-transition",
    ),
    pytest.param(
        lambda c, d: c.transition_case(d, target_state=cs.CASE_STATE_CANCELLED, note="n"),
        FP,
        "DEDUCTION_HOLDS_MONEY",
        "target_state",
        id="cancel-deduction",
    ),
    pytest.param(
        lambda c, d: c.resolve_case(d, resolution=R, amount=money("10.01", "EUR"), note="n"),
        FP,
        "AMOUNT_OVER_OPEN",
        "amount.amount_minor",
        id="amount-over-open",
    ),
    pytest.param(
        lambda c, d: c.resolve_case(d, resolution=R, amount=money("1.00", "USD"), note="n"),
        IA,
        "CURRENCY_MUST_MATCH_CASE",
        "amount.currency_code",
        id="amount-other-currency",
    ),
    pytest.param(
        lambda c, d: c.resolve_case(
            d, resolution=cs.CASE_RESOLUTION_WRITE_OFF, amount=money("1.01", "EUR"), note="n"
        ),
        FP,
        "WRITE_OFF_OVER_LIMIT",
        "amount.amount_minor",
        id="write-off-over-limit",
    ),
    pytest.param(
        lambda c, d: c.resolve_case(d, resolution=R, note=""),
        IA,
        "MISSING_NOTE",
        "note",
        id="resolve-missing-note",
    ),
    pytest.param(
        lambda c, d: c.transition_case(d, target_state=cs.CASE_STATE_AWAITING_CUSTOMER, note="  "),
        IA,
        "MISSING_NOTE",
        "note",
        id="transition-missing-note",
    ),
    pytest.param(
        lambda c, d: c.resolve_case(d, resolution=cs.CASE_RESOLUTION_UNSPECIFIED, note="n"),
        IA,
        "MISSING_RESOLUTION",
        "resolution",
        id="missing-resolution",
    ),
    pytest.param(
        lambda c, d: c.resolve_case(d, resolution=cs.CASE_RESOLUTION_REBILL, note="n"),
        IA,
        "MISSING_ID",
        "rebill_invoice_id",
        id="rebill-without-invoice-id",
    ),
    pytest.param(
        lambda c, d: c.resolve_case(
            d, resolution=cs.CASE_RESOLUTION_REBILL, rebill_invoice_id="INV-2", note="n"
        ),
        AE,
        "INVOICE_ALREADY_EXISTS",
        "rebill_invoice_id",
        id="rebill-onto-existing-invoice",
    ),
    pytest.param(
        lambda c, d: c.approve_case(d, note="n"), FP, "NO_PENDING_APPROVAL", "case_id", id="approve-nothing"
    ),
    pytest.param(
        lambda c, d: c.open_dispute("DSP-X", invoice_id="INV-2", amount=money("40.01", "EUR"), note="n"),
        FP,
        "DISPUTE_OVER_OPEN",
        "amount.amount_minor",
        id="dispute-over-open",
    ),
    pytest.param(
        lambda c, d: c.open_dispute("DSP-X", invoice_id="NOPE", amount=EUR10, note="n"),
        NF,
        "INVOICE_NOT_FOUND",
        "invoice_id",
        id="dispute-unknown-invoice",
    ),
    pytest.param(
        lambda c, d: c.open_dispute("DSP-X", invoice_id="INV-2", amount=money("1.00", "USD"), note="n"),
        IA,
        "CURRENCY_MUST_MATCH_INVOICE",
        "amount.currency_code",
        id="dispute-other-currency",
    ),
    pytest.param(
        lambda c, d: c.open_dispute("DSP-X", invoice_id="INV-2", amount=EUR10, note=""),
        IA,
        "MISSING_NOTE",
        "note",
        id="dispute-missing-note",
    ),
    pytest.param(
        lambda c, d: c.open_dispute("DSP-X", invoice_id="INV-2", amount=EUR10, note="n", category="GREED"),
        IA,
        "UNKNOWN_CATEGORY",
        "category",
        id="dispute-unknown-category",
    ),
    pytest.param(
        lambda c, d: c.open_dispute("D-1", invoice_id="INV-2", amount=EUR10, note="n"),
        IA,
        "RESERVED_CASE_ID",
        "case_id",
        id="dispute-reserved-id",
    ),
    pytest.param(
        lambda c, d: c.open_dispute("DSP-OPEN", invoice_id="INV-2", amount=EUR10, note="n"),
        AE,
        "CASE_ALREADY_EXISTS",
        "case_id",
        id="dispute-id-taken",
    ),
    pytest.param(
        lambda c, d: c.update_case_settings(approval_limit_minor=-1),
        IA,
        "INVALID_LIMIT",
        "approval_limit_minor",
        id="negative-limit",
    ),
]


@pytest.mark.parametrize(("call", "error", "reason", "field"), CASES)
def test_a_bad_case_request_names_its_field_and_changes_nothing(
    booked: tuple[Client, str], call: Call, error: type[CashappError], reason: str, field: str
) -> None:
    c, deduction_id = booked
    before = _snapshot(c)
    with pytest.raises(error) as caught:
        call(c, deduction_id)
    assert (caught.value.domain, caught.value.reason) == ("cashapp", reason), caught.value
    assert [v.field for v in caught.value.field_violations] == [field], caught.value
    assert _snapshot(c) == before, "a refused request changed the books"
