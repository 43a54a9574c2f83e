"""Opaque keyset page tokens: base64 of the last key and a hash of the filters it belongs to."""

from __future__ import annotations

import base64
import hashlib
import json

from engine.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# A page key is an id, or a decision's "create_us:decision_id": printable ASCII of this length
# at most. Tokens carry no secret, so a forged one must be refused like any other bad input.
MAX_KEY_LENGTH = 256
MAX_TOKEN_LENGTH = 1024  # a genuine token is far shorter; a long one is not decoded at all


def page_size_or_default(page_size: int) -> int:
    """AIP-158: 0 means the default, above the maximum is capped, negative is refused."""
    if page_size < 0:
        raise InvalidArgument("INVALID_PAGE_SIZE", "page_size must not be negative", "page_size")
    return min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _filters_hash(filters: object) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True).encode()).hexdigest()[:16]


def encode_token(last_key: str, filters: object) -> str:
    raw = json.dumps({"k": last_key, "f": _filters_hash(filters)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_token(token: str, filters: object) -> str | None:
    """The key after which the page starts; None for the first page."""
    if not token:
        return None
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidArgument("INVALID_PAGE_TOKEN", "page_token is malformed", "page_token")
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        key, fingerprint = data["k"], data["f"]
    except (ValueError, KeyError, TypeError):
        raise InvalidArgument("INVALID_PAGE_TOKEN", "page_token is malformed", "page_token") from None
    if fingerprint != _filters_hash(filters) or not isinstance(key, str):
        raise InvalidArgument(
            "INVALID_PAGE_TOKEN", "page_token belongs to a list with other filters", "page_token"
        )
    if len(key) > MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        raise InvalidArgument("INVALID_PAGE_TOKEN", "page_token is malformed", "page_token")
    return key
