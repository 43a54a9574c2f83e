"""Validation of caller input, each failure an InvalidArgument naming the field."""

from __future__ import annotations

import datetime as dt
import re

from stdnum import iban as stdnum_iban

from engine.errors import InvalidArgument
from engine.model import PaymentTerms

MAX_ID_LENGTH = 128
MAX_TEXT_LENGTH = 4096
MAX_NAME_LENGTH = 512
MAX_LIST_LENGTH = 100
MAX_TERMS_DAYS = 3650
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
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument("INVALID_DATE", f"{field} must be an ISO 8601 date YYYY-MM-DD", field) from None


def text(value: str, field: str, limit: int = MAX_TEXT_LENGTH) -> str:
    if len(value) > limit:
        raise InvalidArgument("TEXT_TOO_LONG", f"{field} is longer than {limit} characters", field)
    return value


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
    key = re.sub(r"[\s\-./]", "", value).upper()
    if not _ACCOUNT_PATTERN.match(key):
        raise InvalidArgument(
            "INVALID_PAYER_ACCOUNT", "payer account must be an IBAN or 4-34 letters/digits", field
        )
    if re.match(r"^[A-Z]{2}\d{2}", key) and len(key) >= 15 and not stdnum_iban.is_valid(key):
        raise InvalidArgument("INVALID_IBAN", f"{value!r} is not a valid IBAN (checksum)", field)
    return key


def list_length(items: list[object] | tuple[object, ...], field: str, limit: int = MAX_LIST_LENGTH) -> None:
    if len(items) > limit:
        raise InvalidArgument("TOO_MANY_ITEMS", f"{field} holds more than {limit} items", field)
