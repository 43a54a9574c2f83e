"""DatabaseHealth.stop ends the watch even when it comes just as a ping answers.

On Python 3.11, asyncio.wait_for cancelled in the moment between its future's completion and its
own wake-up returns the result and drops the cancellation: the watch went on pinging, and stop(),
awaiting it, never returned (a server that hung on SIGTERM about once in 150 stops). Here that
moment is made certain: stop() is started from a callback of the ping's own future, so it cancels
the watch after the ping answered and before the watch resumes.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, cast

import pytest
from grpc_health.v1 import health

from server import health_watch
from server.health_watch import DatabaseHealth

OUTER_BOUND_SECONDS = 5.0


class EndOfWatch(BaseException):
    """Ends a watch that outlived its stop (the failure under test), so a failing run ends too."""


class HeldPing:
    """Stands in for the Database at its one method here: a ping that answers when released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.pings = 0
        self.end = False

    def ping(self) -> None:
        if self.end:
            raise EndOfWatch
        self.pings += 1
        self.release.wait(OUTER_BOUND_SECONDS)


def test_a_stop_that_comes_as_a_ping_answers_ends_the_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health_watch, "PING_INTERVAL_SECONDS", 0.01)
    db = HeldPing()

    async def main() -> bool:
        watch = DatabaseHealth(cast(Any, db), health.aio.HealthServicer(), [])
        watch.start()
        while watch._ping_in_flight is None:  # the first ping is under way, awaited by the watch
            await asyncio.sleep(0.005)
        stopping: list[asyncio.Task[None]] = []
        loop = asyncio.get_running_loop()
        watch._ping_in_flight.add_done_callback(lambda _: stopping.append(loop.create_task(watch.stop())))
        db.release.set()
        while not stopping:
            await asyncio.sleep(0.005)
        # asyncio.wait, which does not cancel what it waits for: the stop may not be cancellable.
        stopped, _ = await asyncio.wait(stopping, timeout=OUTER_BOUND_SECONDS)
        if not stopped:
            db.end = True
            await asyncio.wait(stopping, timeout=OUTER_BOUND_SECONDS)
        return bool(stopped)

    assert asyncio.run(main()), "stop() did not end the watch"
    assert db.pings == 1, "the watch pinged again after it was told to stop"
