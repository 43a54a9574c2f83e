"""Configuration: environment variables, with CLI flags over them."""

from __future__ import annotations

import os
from dataclasses import dataclass

from server.auth import parse_tokens
from server.tls import check_transport, tls_from_env

DEFAULT_DATABASE_URL = "sqlite:///cashapp.db"
DEFAULT_LISTEN = "127.0.0.1:50051"
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
MAX_CONCURRENT_RPCS = 256
DEFAULT_WORKERS = 8
SHUTDOWN_GRACE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    listen: str = DEFAULT_LISTEN
    workers: int = DEFAULT_WORKERS
    tokens: tuple[tuple[str, str], ...] = ()
    shutdown_grace_seconds: float = SHUTDOWN_GRACE_SECONDS
    # Transport security (server/tls.py): PEM paths, "" = unset.
    tls_cert: str = ""
    tls_key: str = ""
    tls_client_ca: str = ""
    allow_insecure: bool = False

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": os.environ.get("CASHAPP_DATABASE_URL", DEFAULT_DATABASE_URL),
            "listen": os.environ.get("CASHAPP_LISTEN", DEFAULT_LISTEN),
            "workers": int(os.environ.get("CASHAPP_WORKERS", DEFAULT_WORKERS)),
            "tokens": tuple(parse_tokens(os.environ.get("CASHAPP_TOKENS", "")).items()),
            **tls_from_env(),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        # Beyond loopback: TLS unless allowed without, and authentication, which server.app
        # checks at start because tokens may live in the database.
        check_transport(self.listen, self.tls_cert, self.tls_key, self.tls_client_ca, self.allow_insecure)
        if self.workers < 1:
            raise ValueError("workers must be >= 1")
