"""API tokens kept in the database, hashed: issue, list, revoke, and resolve a token to its tenant.

A token is `cashapp_` followed by 43 URL-safe characters (256 random bits). Only its SHA-256 is
stored: for a secret that cannot be guessed, a fast unsalted hash is as strong as a slow salted
one, and it lets a call find its token by an index lookup (the scheme GitHub uses). The stored
prefix (`cashapp_` + 8 characters) only helps operators tell tokens apart in `cashapp tokens list`.
Every lookup reads the database (in the transaction of the call's work, see server/auth.py), so a
revoked token stops working on the next call.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, Row, insert, select, update

from engine.errors import InvalidArgument, NotFound
from engine.storage import tables as t
from engine.storage.db import Database
from engine.storage.store_base import now_us
from engine.tenants import require_tenant

TOKEN_SCHEME = "cashapp_"
TOKEN_RANDOM_BYTES = 32  # 256 bits
PREFIX_RANDOM_CHARS = 8  # shown in listings: 48 of the 256 bits, useless for guessing the rest
TOKEN_ID_BYTES = 6  # 12 hex characters: the public handle for `cashapp tokens revoke`
MAX_DESCRIPTION_LENGTH = 256
# A presented token longer than this cannot be one of ours; it is refused before hashing.
MAX_PRESENTED_TOKEN_LENGTH = 256


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A stored token as operators see it: never the token itself."""

    token_id: str
    tenant_id: str
    prefix: str
    description: str
    create_us: int
    revoke_us: int | None

    @property
    def revoked(self) -> bool:
        return self.revoke_us is not None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly created token: `secret` exists only here, to be shown once."""

    token: ApiToken
    secret: str


def token_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _description(value: str) -> str:
    if len(value) > MAX_DESCRIPTION_LENGTH:
        raise InvalidArgument(
            "TEXT_TOO_LONG", f"description is longer than {MAX_DESCRIPTION_LENGTH} characters", "description"
        )
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise InvalidArgument(
            "INVALID_TEXT", "description must not contain control characters", "description"
        )
    return value


def _api_token(row: Row[tuple[object, ...]]) -> ApiToken:
    return ApiToken(
        token_id=row.token_id,
        tenant_id=row.tenant_id,
        prefix=row.prefix,
        description=row.description,
        create_us=row.create_us,
        revoke_us=row.revoke_us,
    )


class TokenStore:
    """The api_tokens table. Not tenant-scoped: it is what tells the tenant of a call."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, tenant_id: str, description: str = "") -> IssuedToken:
        require_tenant(tenant_id, "tenant")
        _description(description)

        def work(conn: Connection) -> IssuedToken:
            # Drawn inside the transaction: a retry after an (astronomically unlikely) id or hash
            # collision draws afresh.
            secret = TOKEN_SCHEME + secrets.token_urlsafe(TOKEN_RANDOM_BYTES)
            token = ApiToken(
                token_id=secrets.token_hex(TOKEN_ID_BYTES),
                tenant_id=tenant_id,
                prefix=secret[: len(TOKEN_SCHEME) + PREFIX_RANDOM_CHARS],
                description=description,
                create_us=now_us(),
                revoke_us=None,
            )
            conn.execute(
                insert(t.api_tokens).values(
                    token_id=token.token_id,
                    tenant_id=token.tenant_id,
                    token_sha256=token_sha256(secret),
                    prefix=token.prefix,
                    description=token.description,
                    create_us=token.create_us,
                    revoke_us=None,
                )
            )
            return IssuedToken(token, secret)

        return self.db.transact(work)

    def tokens(self, tenant_id: str | None = None) -> list[ApiToken]:
        """Every token (or one tenant's), oldest first, revoked ones included."""
        query = select(t.api_tokens).order_by(t.api_tokens.c.create_us, t.api_tokens.c.token_id)
        if tenant_id is not None:
            query = query.where(t.api_tokens.c.tenant_id == require_tenant(tenant_id, "tenant"))
        with self.db.reading() as conn:
            return [_api_token(row) for row in conn.execute(query)]

    def revoke(self, token_id: str) -> tuple[ApiToken, bool]:
        """Revokes a token; returns it and whether this call revoked it (False: it already was).
        The first revocation time is kept."""
        if not token_id:
            raise InvalidArgument("MISSING_ID", "token_id is required", "token_id")

        def work(conn: Connection) -> tuple[ApiToken, bool]:
            revoked = conn.execute(
                update(t.api_tokens)
                .where(t.api_tokens.c.token_id == token_id, t.api_tokens.c.revoke_us.is_(None))
                .values(revoke_us=now_us())
            ).rowcount
            row = conn.execute(select(t.api_tokens).where(t.api_tokens.c.token_id == token_id)).first()
            if row is None:
                raise NotFound("TOKEN_NOT_FOUND", f"no token with id {token_id!r}", "token_id")
            return _api_token(row), revoked == 1

        return self.db.transact(work)

    def tenant_for(self, secret: str) -> str | None:
        """The tenant of a valid (issued, not revoked) token, else None."""
        token = self.token_for(secret)
        return None if token is None else token.tenant_id

    @staticmethod
    def could_be_issued(secret: str) -> bool:
        """Whether a presented secret has the form of an issued token (only then is it looked up)."""
        return secret.startswith(TOKEN_SCHEME) and len(secret) <= MAX_PRESENTED_TOKEN_LENGTH

    def token_for(self, secret: str, conn: Connection | None = None) -> ApiToken | None:
        """The valid (issued, not revoked) token of a secret, else None. Read on `conn` when
        given (the server reads it in the transaction of the call's work), else in a read of
        its own."""
        if not self.could_be_issued(secret):
            return None
        query = select(t.api_tokens).where(
            t.api_tokens.c.token_sha256 == token_sha256(secret), t.api_tokens.c.revoke_us.is_(None)
        )
        if conn is not None:
            row = conn.execute(query).first()
            return None if row is None else _api_token(row)
        with self.db.reading() as own:
            row = own.execute(query).first()
            return None if row is None else _api_token(row)

    def any_active(self, conn: Connection | None = None) -> bool:
        """Whether any token is in force: then every call must authenticate. Read on `conn`
        when given, else in a read of its own."""
        if conn is not None:
            return conn.execute(_ANY_ACTIVE).first() is not None
        with self.db.reading() as own:
            return own.execute(_ANY_ACTIVE).first() is not None


# Built once: the statement every call of an open (tokenless, loopback) server runs.
_ANY_ACTIVE = select(t.api_tokens.c.token_id).where(t.api_tokens.c.revoke_us.is_(None)).limit(1)
