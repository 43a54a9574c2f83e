"""Bad dunning requests get the right code with the field named and change nothing (policies,
notices, the outbox, the books); one booked server per backend for the module, on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cashapp_client import (
    AlreadyExistsError,
    CashappError,
    Client,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    PaymentTerms,
    dunning_level,
    money,
)
from cashapp_client._proto.cashapp.v1 import dunning_service_pb2 as dn
from server.app import run_in_thread
from server.config import Settings
from tests.databases import database

IA, NF, FP, AE = InvalidArgumentError, NotFoundError, FailedPreconditionError, AlreadyExistsError
EMAIL = dn.DUNNING_CHANNEL_EMAIL
ONE = [dunning_level(7, [EMAIL], currency_code="EUR")]


def _book(c: Client) -> str:
    """A customer with an overdue invoice, a policy, a run whose e-mail is waiting (no SMTP
    server is configured); returns the waiting notice's id."""
    c.create_customer("C1", display_name="ACME GmbH", payment_terms=PaymentTerms(net_days=30))
    c.create_invoice("INV-1", customer_id="C1", amount=money("100.00", "EUR"), issue_date="2026-09-01")
    c.set_dunning_contact("C1", email="ap@acme.example")
    c.create_dunning_policy("STD", display_name="Standard", currency_code="EUR", levels=ONE)
    (notice,) = c.run_dunning("STD", as_of_date="2026-10-20").notices
    return notice.notice_id


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def booked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Client, str]]:
    urls = database(request.param, tmp_path_factory.mktemp("bad_dunning"))
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
        "policies": [p.SerializeToString(deterministic=True) for p in c.list_dunning_policies()],
        "notices": [n.SerializeToString(deterministic=True) for n in c.list_dunning_notices()],
        "deliveries": [x.SerializeToString(deterministic=True) for x in c.list_dunning_deliveries()],
        "run": c.run_dunning("STD", as_of_date="2026-10-21", dry_run=True).SerializeToString(
            deterministic=True
        ),
    }


def _policy(c: Client, levels: list[dn.DunningLevel], currency: str = "EUR", pid: str = "NEW") -> object:
    return c.create_dunning_policy(pid, display_name="x", currency_code=currency, levels=levels)


Call = Callable[[Client, str], object]
CASES: list[Any] = [
    pytest.param(
        lambda c, n: c.get_dunning_policy("NOPE"),
        NF,
        "DUNNING_POLICY_NOT_FOUND",
        "policy_id",
        id="get-unknown",
    ),
    pytest.param(
        lambda c, n: c.run_dunning("NOPE", as_of_date="2026-10-20"),
        NF,
        "DUNNING_POLICY_NOT_FOUND",
        "policy_id",
        id="run-unknown-policy",
    ),
    pytest.param(
        lambda c, n: c.run_dunning("STD", as_of_date="2026-13-01"),
        IA,
        "INVALID_DATE",
        "as_of_date",
        id="run-bad-date",
    ),
    pytest.param(
        lambda c, n: c.run_dunning("STD", as_of_date="", dry_run=True),
        IA,
        "MISSING_DATE",
        "as_of_date",
        id="dry-run-without-date",
    ),
    pytest.param(lambda c, n: _policy(c, []), IA, "MISSING_LEVELS", "policy.levels", id="no-levels"),
    pytest.param(
        lambda c, n: _policy(c, ONE, "XXX"), IA, "UNKNOWN_CURRENCY", "policy.currency_code", id="bad-currency"
    ),
    pytest.param(
        lambda c, n: _policy(c, ONE, ""), IA, "MISSING_CURRENCY", "policy.currency_code", id="no-currency"
    ),
    pytest.param(
        lambda c, n: _policy(
            c,
            [dunning_level(7, [EMAIL], currency_code="EUR"), dunning_level(7, [EMAIL], currency_code="EUR")],
        ),
        IA,
        "LEVELS_OUT_OF_ORDER",
        "policy.levels[1].day_offset",
        id="levels-out-of-order",
    ),
    pytest.param(
        lambda c, n: _policy(c, [dunning_level(7, [], currency_code="EUR")]),
        IA,
        "MISSING_CHANNELS",
        "policy.levels[0].channels",
        id="level-without-channel",
    ),
    pytest.param(
        lambda c, n: _policy(c, [dunning_level(7, [EMAIL, EMAIL], currency_code="EUR")]),
        IA,
        "DUPLICATE_CHANNEL",
        "policy.levels[0].channels",
        id="channel-twice",
    ),
    pytest.param(
        lambda c, n: _policy(c, [dn.DunningLevel(day_offset=7, channels=[99])]),
        IA,
        "INVALID_ENUM",
        "policy.levels[0].channels",
        id="unknown-channel",
    ),
    pytest.param(
        lambda c, n: _policy(c, [dunning_level(-91, [EMAIL], currency_code="EUR")]),
        IA,
        "DAY_OFFSET_OUT_OF_RANGE",
        "policy.levels[0].day_offset",
        id="offset-too-early",
    ),
    pytest.param(
        lambda c, n: _policy(c, [dunning_level(7, [EMAIL], currency_code="USD", fee="5.00")]),
        IA,
        "CURRENCY_MISMATCH",
        "policy.levels[0].fee.currency_code",
        id="fee-other-currency",
    ),
    pytest.param(
        lambda c, n: _policy(c, [dunning_level(7, [EMAIL], currency_code="EUR", fee="-5.00")]),
        IA,
        "AMOUNT_MUST_NOT_BE_NEGATIVE",
        "policy.levels[0].fee.amount_minor",
        id="negative-fee",
    ),
    pytest.param(
        lambda c, n: _policy(
            c, [dunning_level(7, [EMAIL], currency_code="EUR", interest_basis_points=10_001)]
        ),
        IA,
        "INTEREST_OUT_OF_RANGE",
        "policy.levels[0].interest_basis_points",
        id="interest-too-high",
    ),
    pytest.param(
        lambda c, n: _policy(c, [dunning_level(8, [EMAIL], currency_code="EUR")], pid="STD"),
        AE,
        "DUNNING_POLICY_ALREADY_EXISTS",
        "policy_id",
        id="policy-id-taken",
    ),
    pytest.param(lambda c, n: _policy(c, ONE, pid=""), IA, "MISSING_ID", "policy_id", id="policy-without-id"),
    pytest.param(
        lambda c, n: c.set_dunning_contact("NOPE", email="a@b.example"),
        NF,
        "CUSTOMER_NOT_FOUND",
        "customer_id",
        id="contact-unknown-customer",
    ),
    pytest.param(
        lambda c, n: c.set_dunning_contact("C1", email="not-an-address"),
        IA,
        "INVALID_EMAIL",
        "email",
        id="bad-email",
    ),
    pytest.param(
        lambda c, n: c.set_dunning_contact("C1", phone="030 123"),
        IA,
        "INVALID_PHONE",
        "phone",
        id="bad-phone",
    ),
    pytest.param(
        lambda c, n: c.promise_to_pay("C1", promised_date="soon", note="n"),
        IA,
        "INVALID_DATE",
        "promised_date",
        id="promise-bad-date",
    ),
    pytest.param(
        lambda c, n: c.promise_to_pay("C1", promised_date="2026-11-01", note=""),
        IA,
        "MISSING_NOTE",
        "note",
        id="promise-without-note",
    ),
    pytest.param(
        lambda c, n: c.promise_to_pay("C1", promised_date="2026-11-01", note="n", currency_code="EURO"),
        IA,
        "UNKNOWN_CURRENCY",
        "currency_code",
        id="promise-bad-currency",
    ),
    pytest.param(
        lambda c, n: c.promise_to_pay("NOPE", promised_date="2026-11-01", note="n"),
        NF,
        "CUSTOMER_NOT_FOUND",
        "customer_id",
        id="promise-unknown-customer",
    ),
    pytest.param(
        lambda c, n: c.exclude_customer("NOPE", note="n"),
        NF,
        "CUSTOMER_NOT_FOUND",
        "customer_id",
        id="exclude-unknown-customer",
    ),
    pytest.param(
        lambda c, n: c.exclude_customer("C1", note="n", until_date="2026-02-30"),
        IA,
        "INVALID_DATE",
        "until_date",
        id="exclude-bad-date",
    ),
    pytest.param(
        lambda c, n: c.retry_dunning_delivery(n, channel=EMAIL),
        FP,
        "DELIVERY_NOT_FAILED",
        "notice_id",
        id="retry-pending",
    ),
    pytest.param(
        lambda c, n: c.retry_dunning_delivery(n, channel=dn.DUNNING_CHANNEL_SMS),
        NF,
        "DELIVERY_NOT_FOUND",
        "notice_id",
        id="retry-other-channel",
    ),
    pytest.param(
        lambda c, n: c.retry_dunning_delivery(n, channel=dn.DUNNING_CHANNEL_UNSPECIFIED),
        IA,
        "MISSING_CHANNEL",
        "channel",
        id="retry-without-channel",
    ),
    pytest.param(
        lambda c, n: list(c.list_dunning_deliveries(state=9)),
        IA,
        "INVALID_ENUM",
        "state",
        id="list-bad-state",
    ),
    pytest.param(
        lambda c, n: c.deliver_dunning_outbox(max_deliveries=-1),
        IA,
        "INVALID_MAX_DELIVERIES",
        "max_deliveries",
        id="deliver-negative",
    ),
]


@pytest.mark.parametrize(("call", "error", "reason", "field"), CASES)
def test_a_bad_dunning_request_names_its_field_and_changes_nothing(
    booked: tuple[Client, str], call: Call, error: type[CashappError], reason: str, field: str
) -> None:
    c, notice_id = booked
    before = _snapshot(c)
    with pytest.raises(error) as caught:
        call(c, notice_id)
    assert (caught.value.domain, caught.value.reason) == ("cashapp", reason), caught.value
    assert [v.field for v in caught.value.field_violations] == [field], caught.value
    assert _snapshot(c) == before, "a refused request changed something"


def test_creating_the_same_policy_again_answers_the_stored_one(booked: tuple[Client, str]) -> None:
    c, _ = booked
    again = c.create_dunning_policy("STD", display_name="Standard", currency_code="EUR", levels=ONE)
    assert again == c.get_dunning_policy("STD")
