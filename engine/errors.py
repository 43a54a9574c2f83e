"""Typed domain errors. The server maps them to gRPC status codes in exactly one function.

Each carries an UPPER_SNAKE `reason` (ErrorInfo.reason on the wire) and, when one field of the
request is at fault, its path (`field`), e.g. "invoice.amount.currency_code".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str


# A message quotes what the caller sent at most this far: it travels in the response trailers,
# which grpc limits to 16 KiB, and a message quoting 70,000 characters of a bad currency code
# would turn the caller's INVALID_ARGUMENT into a broken stream (RESOURCE_EXHAUSTED).
MAX_MESSAGE_CHARS = 512


class DomainError(Exception):
    """Base of every error the engine raises on purpose."""

    def __init__(self, reason: str, message: str, field: str | None = None) -> None:
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[: MAX_MESSAGE_CHARS - 1] + "\u2026"
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.violations: list[FieldViolation] = [FieldViolation(field, message)] if field is not None else []


class InvalidArgument(DomainError):
    """The request itself is malformed (whatever the state)."""


class NotFound(DomainError):
    """A named resource does not exist for this tenant."""


class AlreadyExists(DomainError):
    """A client-chosen id is taken by a resource with different content."""


class FailedPrecondition(DomainError):
    """The request is well-formed but the current state does not allow it."""


class Aborted(DomainError):
    """A concurrency conflict persisted through every retry; the caller may retry."""
