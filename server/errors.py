"""Domain errors -> gRPC status, in exactly one function.

Every error carries google.rpc.Status details: ErrorInfo (domain "cashapp", UPPER_SNAKE reason)
and, when fields are at fault, BadRequest field violations. Unexpected exceptions become INTERNAL
with no internals in the message; bad input never reaches that branch.
"""

from __future__ import annotations

import logging

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from engine import errors

log = logging.getLogger(__name__)
DOMAIN = "cashapp"

_CODES: list[tuple[type[errors.DomainError], grpc.StatusCode, int]] = [
    (errors.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT, code_pb2.INVALID_ARGUMENT),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND, code_pb2.NOT_FOUND),
    (errors.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS, code_pb2.ALREADY_EXISTS),
    (errors.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION, code_pb2.FAILED_PRECONDITION),
    (errors.Aborted, grpc.StatusCode.ABORTED, code_pb2.ABORTED),
]


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def status_for(exc: BaseException) -> grpc.Status:
    """The one mapping from an exception to the gRPC status sent to the caller."""
    for error_type, _grpc_code, code in _CODES:
        if isinstance(exc, error_type):
            assert isinstance(exc, errors.DomainError)
            return _status(code, exc.message, exc.reason, exc.violations)
    if isinstance(exc, Unauthenticated):
        return _status(code_pb2.UNAUTHENTICATED, str(exc), "UNAUTHENTICATED", [])
    log.exception("unexpected error", exc_info=exc)
    return _status(code_pb2.INTERNAL, "internal error", "INTERNAL", [])


def _status(code: int, message: str, reason: str, violations: list[errors.FieldViolation]) -> grpc.Status:
    details = [_pack(error_details_pb2.ErrorInfo(reason=reason, domain=DOMAIN))]
    if violations:
        details.append(
            _pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                        for v in violations
                    ]
                )
            )
        )
    return rpc_status.to_status(status_pb2.Status(code=code, message=message, details=details))


class Unauthenticated(Exception):
    """The caller presented no valid token."""
