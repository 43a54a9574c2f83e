"""The tenant comes from authentication, never from the request.

Three ways to authenticate, checked in this order for every call:

- mTLS (`--tls-client-ca`): the TLS layer only lets in clients whose certificate chains to the
  client CA; the certificate's subject common name (CN) is the tenant.
- A bearer token (metadata `authorization: Bearer <token>`): one of CASHAPP_TOKENS
  ("token1=tenantA,token2=tenantB", for quick starts) or one issued by `cashapp tokens create`
  (stored hashed, looked up on every call, so a revoked token fails on its next call).
- With both, the token's tenant must be the certificate's; a mismatch is UNAUTHENTICATED.

With no token anywhere (neither CASHAPP_TOKENS nor an unrevoked stored token) and no mTLS, the
server is a single-tenant local service and every caller is tenant "default"; that only happens
on a loopback listener (server.config and server.app refuse the rest); server.config parses
CASHAPP_TOKENS.

Resolving needs no I/O for a CASHAPP_TOKENS token, a certificate, or a refusal; the edge does that
on the event loop. A stored token, and "is any token issued" on an open loopback server, are read
from the token table: then the edge leaves the call's `CallAuth` pending and the call's work
resolves it first thing in its own transaction, on its own connection and worker thread (one
thread hop per call, one connection). Reading in the work's transaction keeps revocation exact:
a token issued or revoked before a call starts takes effect on that call.

The call's actor (engine/actor.py), written on what it changes, is the token: a stored token as
"<description> (token <token_id>)", a CASHAPP_TOKENS token by its position, a certificate alone
by its CN; with authentication off it is empty.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import Connection

from engine.errors import InvalidArgument
from engine.storage.token_store import ApiToken, TokenStore
from engine.tenants import require_tenant
from server.config import is_loopback
from server.errors import Unauthenticated

DEFAULT_TENANT = "default"
BEARER = "Bearer "


@dataclass(frozen=True, slots=True)
class Presented:
    """What one call presents, read from the call on the event loop (no I/O)."""

    bearer: str | None  # the bearer token, None without an authorization header
    certificate_cn: str | None  # the verified client certificate's subject CN (mTLS)
    has_certificate: bool


def presented(
    metadata: Sequence[tuple[str, str | bytes]] | None,
    auth_context: Mapping[str, Sequence[bytes]] | None = None,
) -> Presented:
    bearer: str | None = None
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str):
            # A malformed header is a wrong token, not an absent one: it must never fall back
            # to the certificate's or the default tenant.
            bearer = value.removeprefix(BEARER).strip() if value.startswith(BEARER) else ""
    context = auth_context or {}
    names = context.get("x509_common_name") or []
    has_certificate = bool(context.get("x509_pem_cert"))
    cn = names[0].decode("utf-8", "replace") if len(names) == 1 else None
    return Presented(bearer, cn, has_certificate)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a call is: its tenant and its actor ("" with authentication off)."""

    tenant: str
    actor: str


class _StoreNeeded(Exception):
    """Resolving would read the token table (raised only when that is not allowed)."""


class CallAuth:
    """One call's authentication: what it presented and, once resolved, its principal. Resolved
    at most once: on the event loop when that needs no I/O (the edge), else by the call's work
    on the worker thread and connection it runs on (`resolve(conn)`)."""

    __slots__ = ("auth", "call", "principal")

    def __init__(self, auth: Authenticator, call: Presented, principal: Principal | None = None) -> None:
        self.auth = auth
        self.call = call
        self.principal = principal

    @property
    def pending(self) -> bool:
        return self.principal is None

    def resolve(self, conn: Connection | None = None) -> Principal:
        """The principal; a refusal raises Unauthenticated (every time it is asked)."""
        if self.principal is None:
            self.principal = self.auth.principal_of(self.call, conn)
        return self.principal

    def who(self, conn: Connection) -> tuple[str, str] | Exception:
        """(tenant, actor), or the refusal, as a batch of creates asks (engine/create_together.py)."""
        try:
            principal = self.resolve(conn)
        except Unauthenticated as refused:
            return refused
        return principal.tenant, principal.actor

    def adopt(self, who: tuple[str, str] | Exception) -> None:
        """Takes the answer a call with the same credentials got in the same transaction."""
        if self.principal is None and not isinstance(who, Exception):
            self.principal = Principal(*who)


# The call's authentication as the edge left it (server/edge.py), set in the call's own task: the
# servicer resolves it (if the edge could not without I/O) instead of reading the credentials a
# second time. None outside an RPC.
authenticated: ContextVar[CallAuth | None] = ContextVar("cashapp_authenticated", default=None)


def token_actor(token: ApiToken) -> str:
    """A stored token as the actor of its calls: the description a person reads (a clerk's
    name) and the id that tells two tokens with one description apart."""
    if token.description:
        return f"{token.description} (token {token.token_id})"
    return f"token {token.token_id}"


class Authenticator:
    """Resolves what a call presents to its tenant. May read the token table: call `tenant_of`
    and `principal_of` off the event loop (`without_io` is safe on it)."""

    def __init__(
        self,
        tokens: dict[str, str],
        store: TokenStore | None = None,
        *,
        mtls: bool = False,
        loopback: bool = True,
    ) -> None:
        self.tokens = tokens
        self.store = store
        self.mtls = mtls
        self.loopback = loopback

    def tenant_of(self, call: Presented) -> str:
        return self.principal_of(call).tenant

    def without_io(self, call: Presented) -> Principal | None:
        """The principal when it is known without reading the token table, else None (a refusal
        known without I/O raises Unauthenticated)."""
        try:
            return self._principal(call, None, read_store=False)
        except _StoreNeeded:
            return None

    def principal_of(self, call: Presented, conn: Connection | None = None) -> Principal:
        """May read the token table: on `conn` when given (the call's own transaction), else on
        a connection of its own. Call it off the event loop."""
        return self._principal(call, conn, read_store=True)

    def _principal(self, call: Presented, conn: Connection | None, *, read_store: bool) -> Principal:
        from_certificate = self._certificate_tenant(call) if self.mtls else None
        if call.bearer is not None:
            from_token = self._token_principal(call.bearer, conn, read_store)
            if from_certificate is not None and from_token.tenant != from_certificate:
                raise Unauthenticated(
                    "the bearer token belongs to another tenant than the client certificate"
                )
            return from_token
        if from_certificate is not None:
            return Principal(from_certificate, f"certificate {from_certificate}")
        if self._open(conn, read_store):
            return Principal(DEFAULT_TENANT, "")
        raise Unauthenticated("a valid 'authorization: Bearer <token>' is required")

    def _certificate_tenant(self, call: Presented) -> str:
        # The TLS layer has verified the chain already (require_client_auth); what is left is
        # whether its subject names a tenant.
        if not call.has_certificate or call.certificate_cn is None:
            raise Unauthenticated("a client certificate with one subject CN (the tenant) is required")
        try:
            return require_tenant(call.certificate_cn, "client certificate CN")
        except InvalidArgument as exc:
            raise Unauthenticated(exc.message) from None

    def _token_principal(self, presented_token: str, conn: Connection | None, read_store: bool) -> Principal:
        for position, (token, tenant) in enumerate(self.tokens.items(), start=1):
            if hmac.compare_digest(token.encode(), presented_token.encode()):
                # Never the secret itself: its position in CASHAPP_TOKENS tells it apart.
                return Principal(tenant, f"CASHAPP_TOKENS #{position}")
        if self.store is not None and presented_token and self.store.could_be_issued(presented_token):
            if not read_store:
                raise _StoreNeeded
            stored = self.store.token_for(presented_token, conn)
            if stored is not None:
                return Principal(stored.tenant_id, token_actor(stored))
        raise Unauthenticated("the bearer token is not valid (unknown or revoked)")

    def _open(self, conn: Connection | None, read_store: bool) -> bool:
        """No authentication configured anywhere: the single-tenant local service. Never on a
        public listener, even once every stored token is revoked."""
        if self.tokens or self.mtls or not self.loopback:
            return False
        if self.store is None:
            return True
        if not read_store:
            raise _StoreNeeded
        return not self.store.any_active(conn)


def require_authentication_beyond_loopback(listen: str, auth: Authenticator) -> None:
    """A non-loopback listener must authenticate every call: by CASHAPP_TOKENS, mTLS, or a
    stored token (checked here, at start, because tokens may live in the database)."""
    if is_loopback(listen) or auth.tokens or auth.mtls:
        return
    if auth.store is not None and auth.store.any_active():
        return
    raise ValueError(
        f"refusing to listen on {listen} without authentication: set CASHAPP_TOKENS, issue a token "
        "with `cashapp tokens create`, or require client certificates with --tls-client-ca"
    )
