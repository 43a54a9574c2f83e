"""The tenant comes from authentication, never from the request.

CASHAPP_TOKENS="token1=tenantA,token2=tenantB" enables bearer-token auth (metadata
`authorization: Bearer <token>`). Without it the server is a single-tenant local service and every
caller is tenant "default"; it then refuses to listen beyond loopback. server.config parses and
checks CASHAPP_TOKENS.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from server.errors import Unauthenticated

DEFAULT_TENANT = "default"


class Authenticator:
    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens

    def tenant(self, metadata: Sequence[tuple[str, str | bytes]] | None) -> str:
        if not self.tokens:
            return DEFAULT_TENANT
        for key, value in metadata or ():
            if key == "authorization" and isinstance(value, str) and value.startswith("Bearer "):
                presented = value.removeprefix("Bearer ").strip()
                for token, tenant in self.tokens.items():
                    if hmac.compare_digest(token.encode(), presented.encode()):
                        return tenant
        raise Unauthenticated("a valid 'authorization: Bearer <token>' is required")
