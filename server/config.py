"""Configuration: environment variables, with CLI flags over them."""

from __future__ import annotations

import os
from dataclasses import dataclass

from server.auth import parse_tokens

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

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": os.environ.get("CASHAPP_DATABASE_URL", DEFAULT_DATABASE_URL),
            "listen": os.environ.get("CASHAPP_LISTEN", DEFAULT_LISTEN),
            "workers": int(os.environ.get("CASHAPP_WORKERS", DEFAULT_WORKERS)),
            "tokens": tuple(parse_tokens(os.environ.get("CASHAPP_TOKENS", "")).items()),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        host = self.listen.rsplit(":", 1)[0].strip("[]")
        loopback = host in ("localhost", "::1") or host.startswith("127.")
        if not self.tokens and not loopback:
            raise ValueError(
                f"refusing to listen on {self.listen} without authentication: set CASHAPP_TOKENS "
                "or listen on a loopback address"
            )
        if self.workers < 1:
            raise ValueError("workers must be >= 1")
