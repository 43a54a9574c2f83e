"""Domain errors -> gRPC status, in exactly one function.

Every error carries google.rpc.Status details: ErrorInfo (domain "cashapp", UPPER_SNAKE reason)
and, when fields are at fault, BadRequest field violations. A database outage (lost or refused
connection, shutdown, too many connections) is UNAVAILABLE with a RetryInfo, so clients retry.
Unexpected exceptions become INTERNAL with no internals in the message; bad input never reaches
that branch.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence

import grpc
import psycopg
import sqlalchemy.exc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from engine import errors

log = logging.getLogger(__name__)
DOMAIN = "cashapp"

# How long a client should wait before retrying a call that met a database outage: about one
# health-check interval (server/health_watch.py), the time the server takes to see it is back.
OUTAGE_RETRY_DELAY_SECONDS = 1
OUTAGE_REASON = "DATABASE_UNAVAILABLE"
# PostgreSQL SQLSTATEs meaning "cannot serve now, may soon": class 08 (connection exception),
# too_many_connections, admin_shutdown, crash_shutdown, cannot_connect_now (starting, stopping).
_OUTAGE_SQLSTATE_CLASSES = ("08",)
_OUTAGE_SQLSTATES = frozenset({"53300", "57P01", "57P02", "57P03"})
# SQLite's answer once its busy timeout (engine/storage/db.py) has passed without the lock.
_SQLITE_BUSY_MESSAGES = ("database is locked", "database is busy")
# psycopg's own refusal of a statement with more bound parameters than the protocol carries; it
# comes without an SQLSTATE, like a broken connection, but retrying it cannot help.
_PARAMETER_LIMIT = "number of parameters must be between"
# Exceptions chain (SQLAlchemy error -> driver error -> ...); a few links always suffice.
_MAX_CAUSE_DEPTH = 8

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
    if isinstance(exc, ForwardedStatus):
        return exc.status
    for error_type, _grpc_code, code in _CODES:
        if isinstance(exc, error_type):
            assert isinstance(exc, errors.DomainError)
            return _status(code, exc.message, exc.reason, exc.violations)
    if isinstance(exc, Unauthenticated):
        return _status(code_pb2.UNAUTHENTICATED, str(exc), "UNAUTHENTICATED", [])
    if is_database_outage(exc):
        # Not logged per call: an outage fails every call, and the health watcher logs it once.
        log.debug("database unavailable: %s", exc)
        return unavailable("the database is unavailable; retry later", OUTAGE_REASON)
    log.exception("unexpected error", exc_info=exc)
    return _status(code_pb2.INTERNAL, "internal error", "INTERNAL", [])


def unavailable(message: str, reason: str) -> grpc.Status:
    """UNAVAILABLE with a RetryInfo: the caller may retry the same call after the delay."""
    retry = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=OUTAGE_RETRY_DELAY_SECONDS))
    return _status(code_pb2.UNAVAILABLE, message, reason, [], extra=[retry])


class ForwardedStatus(Exception):
    """A status already decided elsewhere (a decide process mapped its own exception, where the
    exception was), answered as it is."""

    def __init__(self, status: grpc.Status) -> None:
        super().__init__(status.details)
        self.status = status


def is_database_outage(exc: BaseException) -> bool:
    """True when the database could not serve the call for now, so the same call may succeed later.

    That is: a connection the pool saw break (SQLAlchemy's connection_invalidated), a PostgreSQL
    connection exception, shutdown, start-up or "too many connections", any failure to connect
    (libpq reports those without an SQLSTATE), an exhausted connection pool, and SQLite still
    busy after its busy timeout. Constraint violations, bad SQL and data errors never are: they
    are bugs or bad input, and retrying them cannot help.
    """
    for cause in _causes(exc):
        if isinstance(cause, sqlalchemy.exc.TimeoutError):  # no pooled connection came free in time
            return True
        if isinstance(cause, sqlalchemy.exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, psycopg.Error):
            return _is_postgres_outage(cause)
        if isinstance(cause, sqlite3.Error):
            message = str(cause).lower()
            return isinstance(cause, sqlite3.OperationalError) and any(
                b in message for b in _SQLITE_BUSY_MESSAGES
            )
    return False


def _is_postgres_outage(error: psycopg.Error) -> bool:
    if _PARAMETER_LIMIT in str(error):
        return False  # psycopg refused the statement itself (too many parameters): a bug, not an outage
    if error.sqlstate is None:
        # libpq's own failures (refused, reset or closed connections, a FATAL at connect time).
        return isinstance(error, psycopg.OperationalError)
    return error.sqlstate[:2] in _OUTAGE_SQLSTATE_CLASSES or error.sqlstate in _OUTAGE_SQLSTATES


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then what it wraps: a DBAPIError's driver error, __cause__, __context__."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending and len(seen) < _MAX_CAUSE_DEPTH:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [getattr(current, "orig", None), current.__cause__, current.__context__]
        pending.extend(e for e in wrapped if isinstance(e, BaseException))


def _status(
    code: int,
    message: str,
    reason: str,
    violations: list[errors.FieldViolation],
    extra: Sequence[Message] = (),
) -> grpc.Status:
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
    details.extend(_pack(detail) for detail in extra)
    return rpc_status.to_status(status_pb2.Status(code=code, message=message, details=details))


class Unauthenticated(Exception):
    """The caller presented no valid token."""
