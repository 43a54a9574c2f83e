"""Bad settings, matching tolerances, customer batches, AutoApply scopes and on-account
resolutions are refused naming the field and change nothing; through the real server on
SQLite and PostgreSQL (tests.integration.bad_input_books).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cashapp_client import (
    CashappError,
)
from cashapp_client._proto.cashapp.v1 import reconciliation_service_pb2 as rs
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from tests.integration.bad_input_books import (
    AE,
    BAD_IBAN,
    FP,
    IA,
    IBAN,
    NF,
    SETUP_REQUEST_ID,
    Books,
    _batch_customers,
    _cust,
    _raw,
    _refused,
    _update_settings,
)

# Settings, the matching tolerance, customer batches, scope and on-account resolution.
DECIDE_ONCE_CASES = [
    pytest.param(
        lambda b: _raw(
            b.client.reconciliation_service.AutoApply, rs.AutoApplyRequest(customer_id="", request_id="x4")
        ),
        IA,
        "MISSING_ID",
        "customer_id",
        id="auto-apply-empty-customer-id",
    ),
    pytest.param(
        lambda b: b.client.update_settings(write_off_tolerance_minor=-1),
        IA,
        "INVALID_TOLERANCE",
        "settings.write_off_tolerance_minor",
        id="settings-negative-write-off-tolerance",
    ),
    pytest.param(
        lambda b: b.client.update_settings(matching_tolerance_minor=10**15 + 1),
        IA,
        "INVALID_TOLERANCE",
        "settings.matching_tolerance_minor",
        id="settings-matching-tolerance-out-of-range",
    ),
    pytest.param(
        _update_settings(pb.Settings(matching_tolerance_minor=-3)),
        IA,
        "INVALID_TOLERANCE",
        "settings.matching_tolerance_minor",
        id="settings-empty-mask-negative",
    ),
    pytest.param(
        _update_settings(pb.Settings(), "update_time"),
        IA,
        "INVALID_UPDATE_MASK",
        "update_mask.paths",
        id="settings-mask-unknown-path",
    ),
    pytest.param(
        lambda b: b.client.update_settings(write_off_tolerance_minor=5, request_id=SETUP_REQUEST_ID),
        IA,
        "REQUEST_ID_REUSED_WITH_DIFFERENT_REQUEST",
        "request_id",
        id="settings-request-id-reused",
    ),
    pytest.param(
        lambda b: b.client.create_customer("N", display_name="N", matching_tolerance_minor=-1),
        IA,
        "INVALID_TOLERANCE",
        "customer.matching_tolerance_minor",
        id="customer-negative-matching-tolerance",
    ),
    pytest.param(
        lambda b: b.client.update_customer("C1", matching_tolerance_minor=-5),
        IA,
        "INVALID_TOLERANCE",
        "customer.matching_tolerance_minor",
        id="update-customer-negative-matching-tolerance",
    ),
    pytest.param(
        lambda b: b.client.update_customer("NOPE", matching_tolerance_minor=5),
        NF,
        "CUSTOMER_NOT_FOUND",
        "customer.customer_id",
        id="update-unknown-customer-matching-tolerance",
    ),
    pytest.param(_batch_customers(), IA, "INVALID_BATCH_SIZE", "requests", id="batch-of-0-customers"),
    pytest.param(
        _batch_customers(*[_cust(f"B{i}") for i in range(1001)]),
        IA,
        "INVALID_BATCH_SIZE",
        "requests",
        id="batch-of-1001-customers",
    ),
    pytest.param(
        _batch_customers(_cust("B1"), _cust("B1")),
        IA,
        "DUPLICATE_ID",
        "requests[1].customer.customer_id",
        id="batch-repeating-a-customer-id",
    ),
    pytest.param(
        _batch_customers(_cust("B1"), _cust("")),
        IA,
        "MISSING_ID",
        "requests[1].customer.customer_id",
        id="batch-customer-without-id",
    ),
    pytest.param(
        _batch_customers(_cust("B1"), _cust("B2", BAD_IBAN)),
        IA,
        "INVALID_IBAN",
        "requests[1].customer.payer_accounts[0]",
        id="batch-with-one-bad-customer-creates-none",
    ),
    pytest.param(
        _batch_customers(_cust("B1"), _cust("C1")),
        AE,
        "CUSTOMER_ALREADY_EXISTS",
        "requests[1].customer.customer_id",
        id="batch-with-existing-customer-other-content",
    ),
    pytest.param(
        _batch_customers(_cust("B1", IBAN)),
        FP,
        "PAYER_ACCOUNT_BELONGS_TO_ANOTHER_CUSTOMER",
        "requests[0].customer.payer_accounts[0]",
        id="batch-claiming-a-registered-account",
    ),
    pytest.param(
        _batch_customers(_cust("B1", "ACCT-777"), _cust("B2", "acct 777")),
        FP,
        "PAYER_ACCOUNT_BELONGS_TO_ANOTHER_CUSTOMER",
        "requests[1].customer.payer_accounts[0]",
        id="batch-two-customers-one-account",
    ),
    pytest.param(
        lambda b: _raw(
            b.client.reconciliation_service.ResolveException,
            rs.ResolveExceptionRequest(exception_id=b.exception_id, on_account=False, request_id="x5"),
        ),
        IA,
        "INVALID_ON_ACCOUNT",
        "on_account",
        id="resolve-on-account-false",
    ),
    pytest.param(
        lambda b: b.client.resolve_exception("NOPE", on_account=True),
        NF,
        "EXCEPTION_NOT_FOUND",
        "exception_id",
        id="resolve-unknown-exception-on-account",
    ),
]


@pytest.mark.parametrize(("call", "error", "reason", "field"), DECIDE_ONCE_CASES)
def test_bad_settings_batches_and_resolutions_are_refused_and_change_nothing(
    books: Books, call: Callable[[Books], object], error: type[CashappError], reason: str, field: str
) -> None:
    _refused(books, call, error, reason, field)
