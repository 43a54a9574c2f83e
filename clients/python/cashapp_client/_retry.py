"""The retry policy shared by Client and AsyncClient.

Only UNAVAILABLE is retried: it means the request did not reach a server that could act on it
(connection refused, server shutting down, database unreachable). Every call may be retried
because every call is idempotent: reads change nothing, and every mutating request -- each chunk
of a streaming import too -- carries its request_id, filled in before the first attempt and
re-sent unchanged, so a retry whose first attempt did take effect after all is answered with the
stored response instead of taking effect twice. Other codes are the server's answer and are
returned to the caller at once.

When the server says how long to wait (google.rpc.RetryInfo, sent with database outages), that
delay is the floor of the backoff: retrying sooner would only meet the same outage again.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import grpc

# Upper bound of one backoff sleep, whatever the attempt number.
MAX_BACKOFF_SECONDS = 5.0
# Below this much time left before the call's deadline another attempt is pointless.
MIN_ATTEMPT_SECONDS = 0.001
# Clients told the same RetryInfo delay wait up to this fraction longer, so they do not all
# come back at the same instant.
SERVER_DELAY_JITTER = 0.2


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    initial_backoff_seconds: float

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if self.initial_backoff_seconds < 0:
            raise ValueError("initial_backoff_seconds must be >= 0")

    def backoff_seconds(self, failed_attempts: int) -> float:
        """Exponential backoff with jitter in [50%, 100%] so clients do not retry in lockstep."""
        growth = 2.0 ** (failed_attempts - 1)
        ceiling = min(self.initial_backoff_seconds * growth, MAX_BACKOFF_SECONDS)
        return ceiling * (0.5 + random.random() / 2)

    def next_sleep(
        self,
        code: grpc.StatusCode | None,
        failed_attempts: int,
        deadline: float,
        server_delay_seconds: float | None = None,
    ) -> float | None:
        """How long to sleep before the next attempt, or None to give up and raise.

        `server_delay_seconds` is the server's RetryInfo delay: the sleep is never shorter.
        """
        if code != grpc.StatusCode.UNAVAILABLE or failed_attempts >= self.max_attempts:
            return None
        sleep = self.backoff_seconds(failed_attempts)
        if server_delay_seconds is not None:
            floor = server_delay_seconds * (1 + SERVER_DELAY_JITTER * random.random())
            sleep = max(sleep, floor)
        if time.monotonic() + sleep + MIN_ATTEMPT_SECONDS >= deadline:
            return None
        return sleep


def remaining_seconds(deadline: float) -> float:
    return max(deadline - time.monotonic(), MIN_ATTEMPT_SECONDS)
