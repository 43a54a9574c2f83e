"""Clerk accounts: each clerk signs in with a password and acts with a token of the tenant.

The accounts file is JSON, written by an administrator (`cashapp console --hash-password` prints
the hash of a password read from stdin)::

    {"clerks": [{"name": "alice", "password_hash": "pbkdf2_sha256$...", "token": "ca_..."}]}

One token per clerk (issue it with `cashapp tokens create --description alice`) so the server
knows each clerk apart and a revoked token locks out exactly one person. The token stays on the
console's side: the browser only ever holds a signed session cookie naming the clerk.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

# OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
PBKDF2_ITERATIONS = 600_000
SALT_BYTES = 16
MAX_NAME_LENGTH = 64
_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
SCHEME = "pbkdf2_sha256"


@dataclass(frozen=True, slots=True)
class Clerk:
    name: str
    password_hash: str
    token: str  # "" on an open local server that asks for no token

    def __repr__(self) -> str:  # never print a token or a hash into a log
        return f"Clerk({self.name!r})"


def hash_password(password: str, *, iterations: int = PBKDF2_ITERATIONS, salt: bytes | None = None) -> str:
    if not password:
        raise ValueError("the password must not be empty")
    salt = salt or secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
        rounds = int(iterations)
        salt_bytes = bytes.fromhex(salt)
    except ValueError:
        return False
    if scheme != SCHEME or rounds < 1:
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt_bytes, rounds)
    return hmac.compare_digest(candidate.hex(), digest)


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"clerk name {name!r}: 1..{MAX_NAME_LENGTH} of letters, digits and ._@-")
    return name


def parse_clerks(text: str) -> dict[str, Clerk]:
    """The accounts of a file's text; a malformed file is a ValueError naming what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the clerks file is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("clerks"), list):
        raise ValueError('the clerks file must be {"clerks": [...]}')
    clerks: dict[str, Clerk] = {}
    for i, entry in enumerate(data["clerks"]):
        if not isinstance(entry, dict):
            raise ValueError(f"clerks[{i}] must be an object")
        name, hashed, token = entry.get("name"), entry.get("password_hash"), entry.get("token", "")
        if not isinstance(name, str) or not isinstance(hashed, str) or not isinstance(token, str):
            raise ValueError(f"clerks[{i}] needs text name, password_hash and token")
        if not hashed.startswith(SCHEME + "$"):
            raise ValueError(f"clerks[{i}].password_hash is not a {SCHEME} hash")
        if check_name(name) in clerks:
            raise ValueError(f"clerks[{i}]: clerk {name!r} appears twice")
        clerks[name] = Clerk(name, hashed, token)
    if not clerks:
        raise ValueError("the clerks file names no clerk")
    return clerks


def load_clerks(path: Path) -> dict[str, Clerk]:
    return parse_clerks(path.read_text(encoding="utf-8"))


def authenticate(clerks: dict[str, Clerk], name: str, password: str) -> Clerk | None:
    clerk = clerks.get(name)
    if clerk is None:
        # Spend the same time on an unknown name, so timing does not tell which names exist.
        verify_password(password, hash_password("x", iterations=PBKDF2_ITERATIONS, salt=b"0" * SALT_BYTES))
        return None
    return clerk if verify_password(password, clerk.password_hash) else None
