"""Errors of the cashapp API as Python exceptions, mapped from gRPC in exactly one function.

The server puts a `google.rpc.Status` in the `grpc-status-details-bin` trailer with an ErrorInfo
(domain "cashapp", an UPPER_SNAKE reason, metadata) and, for bad input, a BadRequest whose field
violations name the offending field ("invoice.amount.currency_code"). Every exception carries them.
An UNAVAILABLE for a database outage also carries a RetryInfo: how long to wait before retrying.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import grpc

# googleapis-common-protos ships .pyi stubs but no py.typed marker, so mypy sees these as Any;
# the values read from them are typed where this module hands them out.
from google.rpc import error_details_pb2, status_pb2  # type: ignore[import-untyped, unused-ignore]

# The trailer key gRPC uses for a serialized google.rpc.Status (see grpc_status._common).
STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class FieldViolation:
    """One google.rpc.BadRequest field violation: which field is wrong, and why."""

    field: str
    description: str


class CashappError(Exception):
    """A failed call: the gRPC status code plus the structured details the server attached."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        *,
        reason: str = "",
        domain: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: Iterable[FieldViolation] = (),
        status: Any = None,
        retry_delay_seconds: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.metadata: Mapping[str, str] = MappingProxyType(dict(metadata or {}))
        self.field_violations: tuple[FieldViolation, ...] = tuple(field_violations)
        # The decoded google.rpc.Status (or None), for details this class does not unpack.
        self.status: Any = status
        # The server's google.rpc.RetryInfo delay, when it sent one (the client waits at least
        # this long between its own retries).
        self.retry_delay_seconds = retry_delay_seconds

    def __str__(self) -> str:
        parts = [f"{self.code.name}: {self.message}"]
        if self.reason:
            parts.append(f"reason={self.reason}")
        parts.extend(f"{v.field}: {v.description}" for v in self.field_violations)
        return " | ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code.name}, message={self.message!r}, "
            f"reason={self.reason!r}, field_violations={list(self.field_violations)!r})"
        )


class InvalidArgumentError(CashappError):
    """INVALID_ARGUMENT: the request is malformed; `field_violations` says where."""


class NotFoundError(CashappError):
    """NOT_FOUND: the named resource does not exist (for this tenant)."""


class AlreadyExistsError(CashappError):
    """ALREADY_EXISTS: the id is taken by a resource with different content."""


class FailedPreconditionError(CashappError):
    """FAILED_PRECONDITION: the resource is in a state that refuses the operation."""


class AbortedError(CashappError):
    """ABORTED: a concurrency conflict; retrying the whole operation may succeed."""


class UnavailableError(CashappError):
    """UNAVAILABLE: the server could not be reached (after the client's retries)."""


class UnauthenticatedError(CashappError):
    """UNAUTHENTICATED: missing or unknown token."""


class PermissionDeniedError(CashappError):
    """PERMISSION_DENIED: the caller may not do this."""


class DeadlineExceededError(CashappError):
    """DEADLINE_EXCEEDED: the call did not finish within its timeout."""


class InternalError(CashappError):
    """INTERNAL: a bug on the server side."""


_ERROR_CLASSES: Mapping[grpc.StatusCode, type[CashappError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.ABORTED: AbortedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.INTERNAL: InternalError,
}


def error_from_grpc(error: grpc.RpcError) -> CashappError:
    """Maps a failed call (sync `grpc.RpcError` or `grpc.aio.AioRpcError`) to a CashappError.

    This is the only place gRPC errors are translated. The caller raises the result ``from``
    the original error so the gRPC debug string stays in the traceback.
    """
    code = status_code(error)
    message = _call_details(error)
    status = _rich_status(error)
    reason = domain = ""
    metadata: dict[str, str] = {}
    violations: list[FieldViolation] = []
    if status is not None:
        message = str(status.message) or message
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, domain = str(info.reason), str(info.domain)
                metadata.update((str(k), str(v)) for k, v in info.metadata.items())
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                violations.extend(
                    FieldViolation(str(v.field), str(v.description)) for v in bad_request.field_violations
                )
    error_class = _ERROR_CLASSES.get(code, CashappError)
    return error_class(
        code,
        message,
        reason=reason,
        domain=domain,
        metadata=metadata,
        field_violations=violations,
        status=status,
        retry_delay_seconds=_retry_delay(status),
    )


def retry_delay_seconds(error: grpc.RpcError) -> float | None:
    """The delay of the google.rpc.RetryInfo the server attached to a failed call, if any."""
    return _retry_delay(_rich_status(error))


def _retry_delay(status: Any) -> float | None:
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            delay = info.retry_delay
            return max(float(delay.seconds) + float(delay.nanos) / 1e9, 0.0)
    return None


def status_code(error: grpc.RpcError) -> grpc.StatusCode:
    code = getattr(error, "code", None)
    result = code() if callable(code) else None
    return result if isinstance(result, grpc.StatusCode) else grpc.StatusCode.UNKNOWN


def _call_details(error: grpc.RpcError) -> str:
    details = getattr(error, "details", None)
    result = details() if callable(details) else None
    return result if isinstance(result, str) else str(error)


def _rich_status(error: grpc.RpcError) -> Any:
    """The google.rpc.Status in the trailers, as grpc_status.rpc_status.from_call decodes it.

    Written out here because from_call exists in a sync and an async flavour while both kinds of
    error object answer trailing_metadata() synchronously, and because a malformed trailer must
    not hide the original error behind a decoding exception.
    """
    trailing = getattr(error, "trailing_metadata", None)
    pairs: Any = trailing() if callable(trailing) else None
    for key, value in pairs or ():
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            try:
                return status_pb2.Status.FromString(value)
            except Exception:  # a corrupt trailer leaves the plain status code and message
                return None
    return None
