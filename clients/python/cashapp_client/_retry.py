"""The retry policy shared by Client and AsyncClient.

Only UNAVAILABLE is retried: it means the request did not reach a server that could act on it
(connection refused, server shutting down). Every mutating request already carries its request_id
before the first attempt, so a retry that does reach the server after all is answered with the
stored response instead of taking effect twice. Other codes are the server's answer and are
returned to the caller at once.
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

    def next_sleep(self, code: grpc.StatusCode | None, failed_attempts: int, deadline: float) -> float | None:
        """How long to sleep before the next attempt, or None to give up and raise."""
        if code != grpc.StatusCode.UNAVAILABLE or failed_attempts >= self.max_attempts:
            return None
        sleep = self.backoff_seconds(failed_attempts)
        if time.monotonic() + sleep + MIN_ATTEMPT_SECONDS >= deadline:
            return None
        return sleep


def remaining_seconds(deadline: float) -> float:
    return max(deadline - time.monotonic(), MIN_ATTEMPT_SECONDS)
