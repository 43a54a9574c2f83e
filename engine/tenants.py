"""What a tenant name may be, wherever it comes from (a token, a client certificate's subject).

A tenant name leads every key in the database (String(64)) and appears in logs and listings, so
it is 1-64 characters with no control or format characters and no space at either end.
"""

from __future__ import annotations

import unicodedata

from engine.errors import InvalidArgument

MAX_TENANT_LENGTH = 64


def require_tenant(value: str, field: str = "tenant") -> str:
    if not value:
        raise InvalidArgument("MISSING_TENANT", f"{field} is required", field)
    if len(value) > MAX_TENANT_LENGTH:
        raise InvalidArgument(
            "INVALID_TENANT", f"{field} is longer than {MAX_TENANT_LENGTH} characters", field
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in value):
        raise InvalidArgument("INVALID_TENANT", f"{field} must not contain control characters", field)
    if value != value.strip():
        raise InvalidArgument("INVALID_TENANT", f"{field} must not start or end with a space", field)
    return value
