"""Channel settings shared by Client and AsyncClient."""

from __future__ import annotations

from collections.abc import Sequence

VERSION = "0.1.0"

# Generous message limits: a page of 1000 payments with their applications, or an import chunk of
# 1000 payments, stays well below them.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

CHANNEL_OPTIONS: Sequence[tuple[str, str | int]] = (
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.primary_user_agent", f"cashapp-client-python/{VERSION}"),
    # gRPC's default reconnect backoff starts at 1 s, longer than the client's whole retry budget
    # with default settings; a restarted server is found again within ~100 ms instead.
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 5000),
)

DEFAULT_TARGET = "127.0.0.1:50051"
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_ATTEMPTS = 4
DEFAULT_INITIAL_BACKOFF_SECONDS = 0.05


def auth_metadata(token: str | None) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),) if token else ()
