"""The public surface of cashapp_client is pinned: changing it must be a deliberate edit here."""

from __future__ import annotations

import inspect
from pathlib import Path

import cashapp_client
from cashapp_client import AsyncClient, Client

PUBLIC_NAMES = [
    "AbortedError",
    "AccountBalance",
    "Allocation",
    "AlreadyExistsError",
    "Application",
    "ApplicationSource",
    "AsyncClient",
    "AutoApplyResponse",
    "Case",
    "CaseEvent",
    "CaseKind",
    "CaseResolution",
    "CaseSettings",
    "CaseState",
    "CashappError",
    "Client",
    "Customer",
    "DeadlineExceededError",
    "Decision",
    "DecisionOutcome",
    "Explanation",
    "FailedPreconditionError",
    "FieldViolation",
    "ImportPaymentResult",
    "ImportPaymentsResponse",
    "ImportStatementResponse",
    "InternalError",
    "InvalidArgumentError",
    "InvariantCheck",
    "Invoice",
    "InvoiceState",
    "MatchCandidate",
    "MatchException",
    "MatchExceptionState",
    "Money",
    "NotFoundError",
    "Payment",
    "PaymentState",
    "PaymentTerms",
    "PermissionDeniedError",
    "ReconciliationReport",
    "RemittanceAdjustment",
    "RemittanceLine",
    "RemittanceLineKind",
    "Return",
    "ReturnKind",
    "Settings",
    "UnauthenticatedError",
    "UnavailableError",
    "__version__",
    "dunning_level",
    "error_from_grpc",
    "money",
]

CLIENT_METHODS = [
    "acknowledge_alert",
    "apply_payment",
    "approve_case",
    "assign_exception",
    "auto_apply",
    "auto_apply_backlog",
    "batch_create_customers",
    "batch_create_invoices",
    "close",
    "create_customer",
    "create_dunning_policy",
    "create_invoice",
    "create_payment",
    "deliver_dunning_outbox",
    "exclude_customer",
    "get_aging_report",
    "get_alert",
    "get_case",
    "get_case_settings",
    "get_cash_receipts_report",
    "get_customer",
    "get_customer_statement",
    "get_dso_report",
    "get_dunning_policy",
    "get_invoice",
    "get_match_rate_report",
    "get_payment",
    "get_payments",
    "get_reconciliation_report",
    "get_return",
    "get_settings",
    "get_unapplied_cash_aging",
    "import_payments",
    "import_statement",
    "list_alerts",
    "list_cases",
    "list_customers",
    "list_decisions",
    "list_dunning_deliveries",
    "list_dunning_notices",
    "list_dunning_policies",
    "list_exceptions",
    "list_invoices",
    "list_payments",
    "list_returns",
    "open_dispute",
    "promise_to_pay",
    "reject_case",
    "resolve_case",
    "resolve_exception",
    "retry_dunning_delivery",
    "return_goods",
    "return_payment",
    "run_dunning",
    "set_dunning_contact",
    "transition_case",
    "unapply_payment",
    "update_case_settings",
    "update_customer",
    "update_settings",
    "void_invoice",
]

ERROR_CLASSES = [
    "AbortedError",
    "AlreadyExistsError",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "UnauthenticatedError",
    "UnavailableError",
]


def _public_methods(cls: type) -> list[str]:
    return sorted(name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_"))


def test_all_equals_the_pinned_list() -> None:
    assert cashapp_client.__all__ == PUBLIC_NAMES


def test_every_public_name_resolves() -> None:
    for name in PUBLIC_NAMES:
        assert getattr(cashapp_client, name) is not None, name


def test_client_methods_are_pinned() -> None:
    assert _public_methods(Client) == CLIENT_METHODS


def test_async_client_has_the_same_methods_with_the_same_parameters() -> None:
    assert _public_methods(AsyncClient) == CLIENT_METHODS
    for name in CLIENT_METHODS:
        sync_parameters = inspect.signature(getattr(Client, name)).parameters
        async_parameters = inspect.signature(getattr(AsyncClient, name)).parameters
        assert list(sync_parameters) == list(async_parameters), name
        for parameter in sync_parameters.values():
            other = async_parameters[parameter.name]
            assert (parameter.kind, parameter.default) == (other.kind, other.default), name


# Methods of the async client that are async iterators (a list's items, a stream's messages).
ASYNC_ITERATORS = ("list_", "auto_apply_backlog")


def test_async_methods_are_coroutines_except_the_iterators() -> None:
    for name in CLIENT_METHODS:
        method = getattr(AsyncClient, name)
        iterates = name.startswith(ASYNC_ITERATORS)
        assert inspect.iscoroutinefunction(method) == (not iterates), name


def test_constructors_take_the_documented_keywords() -> None:
    expected = [
        "target",
        "token",
        "timeout_seconds",
        "max_attempts",
        "initial_backoff_seconds",
        "channel",
        "credentials",
    ]
    for cls in (Client, AsyncClient):
        parameters = list(inspect.signature(cls).parameters.values())
        assert [p.name for p in parameters] == expected
        assert parameters[0].default == "127.0.0.1:50051"
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[1:])


def test_mutating_methods_accept_an_explicit_request_id() -> None:
    readonly = {"close", "get_reconciliation_report"}
    # Safe to call again without a key: each round commits on its own and a new call continues.
    resumable = {"auto_apply_backlog"}
    # The outbox sends each notice once per channel however often it is asked to deliver.
    resumable |= {"deliver_dunning_outbox"}
    # A bank file is its own idempotency key: the server recognizes it by its SHA-256.
    keyed_by_content = {"import_statement"}
    for name in CLIENT_METHODS:
        if name.startswith(("get_", "list_")) or name in readonly | resumable | keyed_by_content:
            continue
        assert "request_id" in inspect.signature(getattr(Client, name)).parameters, name


def test_every_error_class_derives_from_cashapp_error() -> None:
    for name in ERROR_CLASSES:
        assert issubclass(getattr(cashapp_client, name), cashapp_client.CashappError)


def test_package_is_marked_typed() -> None:
    assert (Path(cashapp_client.__file__).parent / "py.typed").is_file()
