"""Validation of caller input, each failure an InvalidArgument naming the field."""

from __future__ import annotations

import datetime as dt
import functools
import re

from engine.errors import InvalidArgument
from engine.iban_check import is_valid_iban
from engine.model import PaymentTerms, RemittanceLine
from engine.money import check_amount

MAX_ID_LENGTH = 128
MAX_TEXT_LENGTH = 4096
MAX_NAME_LENGTH = 512
MAX_LIST_LENGTH = 100
MAX_TERMS_DAYS = 3650
# The dates a caller may give (issue, due and value dates, list filters). Wide enough for any
# business record, and far enough inside the calendar that payment terms (MAX_TERMS_DAYS) and
# the matching windows computed from a date never leave it.
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)
# Exactly YYYY-MM-DD in ASCII digits: date.fromisoformat alone also accepts 20261101 and
# 2026-W45-1 (Python 3.11), which no caller means.
_DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ID_PATTERN = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")  # printable ASCII, no edge spaces
_ACCOUNT_PATTERN = re.compile(r"^[A-Z0-9]{4,34}$")


def require_id(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument("MISSING_ID", f"{field} is required", field)
    if len(value) > MAX_ID_LENGTH or not _ID_PATTERN.match(value):
        raise InvalidArgument(
            "INVALID_ID", f"{field} must be 1-{MAX_ID_LENGTH} printable ASCII characters", field
        )
    return value


def optional_id(value: str, field: str) -> str | None:
    return require_id(value, field) if value else None


def require_date(value: str, field: str) -> dt.date:
    if not value:
        raise InvalidArgument("MISSING_DATE", f"{field} is required (YYYY-MM-DD)", field)
    try:
        if not _DATE_PATTERN.fullmatch(value):
            raise ValueError(value)
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument("INVALID_DATE", f"{field} must be a date YYYY-MM-DD", field) from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise InvalidArgument(
            "DATE_OUT_OF_RANGE", f"{field} must lie within {MIN_DATE}..{MAX_DATE} (YYYY-MM-DD)", field
        )
    return day


def text(value: str, field: str, limit: int = MAX_TEXT_LENGTH) -> str:
    if len(value) > limit:
        raise InvalidArgument("TEXT_TOO_LONG", f"{field} is longer than {limit} characters", field)
    no_nul(value, field)
    return value


def no_nul(value: str, field: str) -> None:
    """Text holds no NUL (U+0000): PostgreSQL cannot store it, and SQLite would, so it is
    refused alike on both, before any lookup. The server applies this to every string of every
    request at the edge; the engine checks again where it stores text."""
    if "\x00" in value:
        raise InvalidArgument("NUL_CHARACTER", f"{field} must not contain NUL (U+0000)", field)


def terms(value: PaymentTerms, field: str) -> PaymentTerms:
    if not 0 <= value.net_days <= MAX_TERMS_DAYS:
        raise InvalidArgument("INVALID_TERMS", f"net_days must be 0..{MAX_TERMS_DAYS}", f"{field}.net_days")
    if not 0 <= value.discount_days <= value.net_days:
        raise InvalidArgument("INVALID_TERMS", "discount_days must be 0..net_days", f"{field}.discount_days")
    if not 0 <= value.discount_basis_points < 10_000:
        raise InvalidArgument(
            "INVALID_TERMS", "discount_basis_points must be 0..9999", f"{field}.discount_basis_points"
        )
    return value


def account_key(value: str, field: str) -> str:
    """Normalizes a payer IBAN or account number; a malformed IBAN is refused."""
    # Longer texts cannot be an account once normalized (34 at most) but could fill the cache.
    key, refusal = _account_key(value) if len(value) <= 128 else _account_key.__wrapped__(value)
    if refusal == "INVALID_PAYER_ACCOUNT":
        raise InvalidArgument(
            "INVALID_PAYER_ACCOUNT", "payer account must be an IBAN or 4-34 letters/digits", field
        )
    if refusal == "INVALID_IBAN":
        raise InvalidArgument("INVALID_IBAN", f"{value!r} is not a valid IBAN (checksum)", field)
    return key


# Kept per distinct text: a bank file or a batch names the same payer accounts again and again.
@functools.lru_cache(maxsize=65_536)
def _account_key(value: str) -> tuple[str, str | None]:
    """(the normalized key, the refusal's reason or None)."""
    key = re.sub(r"[\s\-./]", "", value).upper()
    if not _ACCOUNT_PATTERN.match(key):
        return key, "INVALID_PAYER_ACCOUNT"
    if re.match(r"^[A-Z]{2}\d{2}", key) and len(key) >= 15 and not is_valid_iban(key):
        return key, "INVALID_IBAN"
    return key, None


def list_length(items: list[object] | tuple[object, ...], field: str, limit: int = MAX_LIST_LENGTH) -> None:
    if len(items) > limit:
        raise InvalidArgument("TOO_MANY_ITEMS", f"{field} holds more than {limit} items", field)


# A payment's structured remittance holds at most this many documents (an EDI 820 of a large
# remitter names a few thousand invoices; more belongs in several payments).
MAX_REMITTANCE_LINES = 5000
MAX_ADJUSTMENTS_PER_LINE = 20
REMITTANCE_KINDS = ("INVOICE", "CREDIT_NOTE", "CREDITOR_REFERENCE")


def remittance_lines(lines: tuple[RemittanceLine, ...], field: str) -> tuple[RemittanceLine, ...]:
    """Structured remittance as stored: a reference per line, amounts in range (paid and
    invoiced not negative), a known kind, bounded counts; errors name the line's field."""
    if len(lines) > MAX_REMITTANCE_LINES:
        raise InvalidArgument("TOO_MANY_ITEMS", f"{field} holds at most {MAX_REMITTANCE_LINES} lines", field)
    for i, line in enumerate(lines):
        at = f"{field}[{i}]"
        if not line.reference.strip():
            raise InvalidArgument("MISSING_REFERENCE", f"{at}.reference is required", f"{at}.reference")
        text(line.reference, f"{at}.reference", MAX_ID_LENGTH)
        for name in ("paid_minor", "invoiced_minor", "discount_minor"):
            amount = getattr(line, name)
            if amount is not None:
                check_amount(amount, f"{at}.{name}", positive=False)
        if line.kind not in REMITTANCE_KINDS:
            raise InvalidArgument(
                "INVALID_KIND", f"{at}.kind must be one of {', '.join(REMITTANCE_KINDS)}", f"{at}.kind"
            )
        if len(line.adjustments) > MAX_ADJUSTMENTS_PER_LINE:
            raise InvalidArgument(
                "TOO_MANY_ITEMS",
                f"{at}.adjustments holds at most {MAX_ADJUSTMENTS_PER_LINE}",
                f"{at}.adjustments",
            )
        for j, adjustment in enumerate(line.adjustments):
            # Negative when the payer paid more than the document (a late fee).
            check_amount(abs(adjustment.amount_minor), f"{at}.adjustments[{j}].amount_minor", positive=False)
            text(adjustment.reason_code, f"{at}.adjustments[{j}].reason_code", 64)
            text(adjustment.text, f"{at}.adjustments[{j}].text", MAX_NAME_LENGTH)
    return lines
