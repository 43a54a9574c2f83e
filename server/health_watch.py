"""Health follows the database: NOT_SERVING while it cannot be reached, SERVING once it can.

A background task pings the database every PING_INTERVAL_SECONDS. The ping runs on a thread of
its own: on the request workers it would queue behind slow calls (and report a busy server as
down), on the event loop it would block every call. A ping that has not answered within
PING_TIMEOUT_SECONDS counts as a failure, and no second ping starts while one still hangs, so a
black-holed database costs one thread, not one per second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from grpc_health.v1 import health, health_pb2
from opentelemetry.instrumentation.utils import suppress_instrumentation

from engine.storage.db import Database

log = logging.getLogger(__name__)

PING_INTERVAL_SECONDS = 1.0
PING_TIMEOUT_SECONDS = 2.0


class DatabaseHealth:
    """Sets the overall ("") and each service's health from the database's reachability."""

    def __init__(self, db: Database, servicer: health.aio.HealthServicer, services: Sequence[str]) -> None:
        self._db = db
        self._servicer = servicer
        self._services = ["", *services]
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cashapp-ping")
        self._ping_in_flight: asyncio.Future[None] | None = None
        self._reachable = True
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch(), name="cashapp-db-health")

    async def stop(self) -> None:
        """Stops watching; called before the graceful shutdown takes health over."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(PING_INTERVAL_SECONDS)
            error = await self._ping()
            if (error is None) != self._reachable:
                await self._turn(error)

    def _untraced_ping(self) -> None:
        # A ping a second would otherwise be a trace a second, burying the traces of calls.
        with suppress_instrumentation():
            self._db.ping()

    async def _ping(self) -> BaseException | None:
        """None when the database answered, else why not."""
        if self._ping_in_flight is None:
            loop = asyncio.get_running_loop()
            self._ping_in_flight = loop.run_in_executor(self._executor, self._untraced_ping)
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 a wait_for cancelled as its future
            # completes returns the result and drops the cancellation, and stop() then waited
            # for a watch that went on pinging forever.
            async with asyncio.timeout(PING_TIMEOUT_SECONDS):
                await asyncio.shield(self._ping_in_flight)
        except TimeoutError as exc:
            return exc  # still hanging: the next round waits for the same ping
        except Exception as exc:  # any failure means "cannot serve"
            self._ping_in_flight = None
            return exc
        self._ping_in_flight = None
        return None

    async def _turn(self, error: BaseException | None) -> None:
        self._reachable = error is None
        if error is None:
            log.warning("database reachable again: health SERVING")
        else:
            log.warning("database unreachable: health NOT_SERVING (%s)", _summary(error))
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if error is None
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in self._services:
            await self._servicer.set(name, status)


def _summary(error: BaseException) -> str:
    """The first line of the error (driver messages run on with SQL and links)."""
    lines = str(error).splitlines()
    return lines[0] if lines else type(error).__name__
