"""Sends the dunning outbox from the server itself, every CASHAPP_DUNNING_DELIVERY_INTERVAL_SECONDS
(0: never; then `cashapp dunning deliver` from a scheduler does it). Every replica may run it:
a delivery is claimed before it is sent, so two loops never send the same one.

The work runs on a thread of its own, not on the request workers (a slow SMTP server must not
hold up calls) and not on the event loop; a round that fails (the database is away) is logged
and the next round tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor

from engine.app import CashApp
from engine.dunning import outbox
from engine.dunning.channels import Sender
from engine.dunning.model import Channel
from engine.storage.dunning_store import tenants_with_due_deliveries
from engine.storage.store import now_us

log = logging.getLogger(__name__)

# Tenants served per round; the next round takes the rest.
MAX_TENANTS_PER_ROUND = 100


class DeliveryLoop:
    def __init__(self, app: CashApp, senders: dict[Channel, Sender], interval_seconds: float) -> None:
        self._app = app
        self._senders = senders
        self._interval = interval_seconds
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cashapp-dunning")
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._interval > 0:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="cashapp-dunning")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        # A round still sending (a slow SMTP server) is waited for off the event loop, which
        # goes on serving the calls in flight meanwhile.
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._interval)
            try:
                await loop.run_in_executor(self._executor, self.round)
            except Exception:
                log.warning("dunning delivery round failed", exc_info=True)

    def round(self) -> int:
        """One pass over every tenant with due deliveries; how many were sent."""
        with self._app.db.reading() as conn:
            tenants = tenants_with_due_deliveries(conn, now_us(), MAX_TENANTS_PER_ROUND)
        return sum(outbox.deliver_due(self._app, tenant, self._senders).sent for tenant in tenants)
