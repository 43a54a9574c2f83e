"""Python client for the cashapp gRPC API.

Two layers: the raw generated stubs (``cashapp_client._proto``, also reachable as the
``*_service`` attributes of a client), and the typed API here::

    from cashapp_client import Client, money

    with Client("127.0.0.1:50051") as client:
        client.create_customer("C-1", display_name="ACME GmbH")
        client.create_invoice("INV-1", customer_id="C-1", amount=money("100.00", "EUR"),
                              issue_date="2026-01-15")

``AsyncClient`` has the same methods for asyncio. Resource messages and enums are re-exported so
callers can build payments and allocations without importing generated modules.
"""

from cashapp_client._async_client import AsyncClient
from cashapp_client._channel import VERSION as __version__
from cashapp_client._client import Client
from cashapp_client._dunning_methods import dunning_level
from cashapp_client._errors import (
    AbortedError,
    AlreadyExistsError,
    CashappError,
    DeadlineExceededError,
    FailedPreconditionError,
    FieldViolation,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    UnauthenticatedError,
    UnavailableError,
    error_from_grpc,
)
from cashapp_client._money import money
from cashapp_client._proto.cashapp.v1.case_service_pb2 import (
    Case,
    CaseEvent,
    CaseKind,
    CaseResolution,
    CaseSettings,
    CaseState,
)
from cashapp_client._proto.cashapp.v1.payment_service_pb2 import (
    ImportPaymentResult,
    ImportPaymentsResponse,
    ImportStatementResponse,
)
from cashapp_client._proto.cashapp.v1.reconciliation_service_pb2 import AutoApplyResponse
from cashapp_client._proto.cashapp.v1.resources_pb2 import (
    AccountBalance,
    Allocation,
    Application,
    ApplicationSource,
    Customer,
    Decision,
    DecisionOutcome,
    Explanation,
    InvariantCheck,
    Invoice,
    InvoiceState,
    MatchCandidate,
    MatchException,
    MatchExceptionState,
    Money,
    Payment,
    PaymentState,
    PaymentTerms,
    ReconciliationReport,
    RemittanceAdjustment,
    RemittanceLine,
    RemittanceLineKind,
    Return,
    ReturnKind,
    Settings,
)

__all__ = [
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
