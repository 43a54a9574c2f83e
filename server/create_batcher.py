"""Coalesces concurrent CreatePayment calls into one transaction (group commit).

Alone, every CreatePayment took the write lock, wrote and fsynced its own commit, so the calls
queued behind each other. Here a call waits at most `wait_seconds` (or until `max_batch` calls are
waiting) for neighbours; the batch goes to the worker pool as one transaction
(engine/create_together.py) and each call is answered with its own response or its own error. While
`max_in_flight` batches run, new calls gather for the next one, so under load the batches grow by
themselves and an idle server adds at most `wait_seconds` to a call.

If the database refuses a whole batch (anything but a domain error), each of its calls runs alone
through CashApp.mutate, so a call is never answered with a neighbour's failure.

A batch is one transaction for many RPCs, so its SQL spans cannot be children of each RPC's span:
they are children of one batch span that links to the span of every call it answers (OpenTelemetry
span links, the convention for batch work).
"""

from __future__ import annotations

import asyncio
import contextvars
from concurrent.futures import ThreadPoolExecutor

from opentelemetry import trace
from opentelemetry.trace import Link, SpanContext
from sqlalchemy import Connection

from engine import model as m
from engine import payments
from engine.actor import current_actor
from engine.app import CashApp
from engine.create_together import CreateCall, Outcome, create_together
from engine.storage.store import Store

tracer = trace.get_tracer("cashapp.server")
Waiting = tuple[CreateCall, "asyncio.Future[Outcome]", SpanContext]

MAX_BATCH = 128
WAIT_SECONDS = 0.001
MAX_IN_FLIGHT = 2  # one batch writing while the next one reads and builds


class CreateBatcher:
    def __init__(
        self,
        app: CashApp,
        executor: ThreadPoolExecutor,
        *,
        max_batch: int = MAX_BATCH,
        wait_seconds: float = WAIT_SECONDS,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.app = app
        self.executor = executor
        self.max_batch = max_batch
        self.wait_seconds = wait_seconds
        self.max_in_flight = max_in_flight
        self._pending: list[Waiting] = []
        self._in_flight = 0
        self._timer: asyncio.TimerHandle | None = None

    async def create(self, call: CreateCall) -> bytes:
        """The call's encoded response; its domain error is raised."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        # The caller's span, for the batch span's links (INVALID when tracing is off: no link).
        self._pending.append((call, future, trace.get_current_span().get_span_context()))
        if len(self._pending) >= self.max_batch:
            self._start()
        elif self._timer is None:
            self._timer = loop.call_later(self.wait_seconds, self._start)
        outcome = await future
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _start(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._pending and self._in_flight < self.max_in_flight:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            self._in_flight += 1
            asyncio.get_running_loop().create_task(self._run(batch))

    async def _run(self, batch: list[Waiting]) -> None:
        loop = asyncio.get_running_loop()
        calls = [call for call, _, _ in batch]
        links = [Link(span) for _, _, span in batch if span.is_valid]
        try:
            try:
                # Each batch in a context of its own: the actor each call sets (engine/actor.py)
                # must not stay behind in the worker thread for work that comes after.
                outcomes = await loop.run_in_executor(
                    self.executor, contextvars.Context().run, self._together, calls, links
                )
            except Exception:
                outcomes = await loop.run_in_executor(
                    self.executor, contextvars.Context().run, self._alone, calls
                )
            for (_, future, _), outcome in zip(batch, outcomes, strict=True):
                if not future.done():  # the caller may have gone (cancelled)
                    future.set_result(outcome)
        except BaseException as exc:
            for _, future, _ in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            self._in_flight -= 1
            if self._pending:
                self._start()  # these calls waited while the batch ran: no further wait

    def _together(self, calls: list[CreateCall], links: list[Link]) -> list[Outcome]:
        with tracer.start_as_current_span("CreatePayment batch", links=links) as span:
            span.set_attribute("cashapp.batch_size", len(calls))
            return create_together(self.app.db, calls)

    def _alone(self, calls: list[CreateCall]) -> list[Outcome]:
        return [self._one(call) for call in calls]

    def _one(self, call: CreateCall) -> Outcome:
        def tenant(conn: Connection) -> str:
            who = call.who(conn)
            if isinstance(who, Exception):
                raise who
            current_actor.set(who[1])
            return who[0]

        def work(store: Store) -> m.Payment:
            return payments.create_payment(store, call.build())

        try:
            return self.app.mutate(tenant, call.request_id, call.method, call.fingerprint, work, call.encode)
        except Exception as error:  # answered to this call only
            return error
