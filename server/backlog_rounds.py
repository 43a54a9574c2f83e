"""AutoApplyBacklog's rounds: one round, and the decide processes that run several at once.

A round claims a batch of customers' waiting payments, plans their decisions from a snapshot,
commits them and releases its claims (engine/reconciliation.py); claims keep rounds running at
once, in this server or in replicas sharing the database, on different customers, and the
commit re-checks what the plan read.

A round is Python work for nearly its whole length, so the server's threads run one round at a
time whatever their number (the GIL: two threads deciding at once were slower than one,
bench/RESULTS.md). With `--decide-processes N` the rounds of an AutoApplyBacklog call run in N
worker processes instead, N at a time: their plans run in parallel, and their commits take the
database's write lock in turn (SQLite) or row locks (PostgreSQL). Each worker is a fresh
interpreter ("spawn": never a fork of a process with threads and grpc channels) holding its own
engine on the server's database; it joins the call's trace (the W3C trace context is passed
with each round) and writes the call's actor on what it decides, as a round on a thread does.
A worker's failure reaches the caller as the status it would have had on a thread; a worker
that dies makes the call UNAVAILABLE, and the next call starts fresh workers.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Generic, TypeVar

import grpc
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

from cashapp_client._proto.cashapp.v1 import reconciliation_service_pb2 as rs
from engine import model as m
from engine import reconciliation
from engine.actor import current_actor
from engine.app import CashApp, Tenant
from engine.errors import Aborted
from engine.storage.db import Database
from engine.storage.store import Store
from engine.storage.store_base import ConcurrentChange
from server import convert, telemetry
from server.errors import ForwardedStatus, status_for, unavailable

log = logging.getLogger(__name__)
tracer = trace.get_tracer("cashapp.server.backlog_rounds")

# A committed decision's outcome and reason, as the decision metrics count them.
Outcome = tuple[m.DecisionOutcome, str]
T = TypeVar("T")


def new_holder(request_id: str) -> str:
    """The claim holder of one AutoApply round: its request_id's, so that copies of one request
    racing each other claim the same batch (and the idempotency record lets one of them decide
    it); a fresh one without a request_id."""
    if not request_id:
        return uuid.uuid4().hex
    return "req:" + hashlib.sha256(request_id.encode()).hexdigest()[:40]


def release(app: CashApp, tenant: Tenant, holder: str) -> None:
    try:
        app.write(tenant, lambda s: s.release_claims(holder))
    except Exception:  # the lease lapses on its own (engine.storage.claim_store.CLAIM_LEASE_US)
        log.warning("could not release the AutoApply claims of %s", holder, exc_info=True)


def counts(committed: reconciliation.Committed) -> rs.AutoApplyResponse:
    """A round's counts by outcome, without its decisions."""
    made = committed.decisions
    return rs.AutoApplyResponse(
        auto_applied_count=sum(d.outcome is m.DecisionOutcome.AUTO_APPLIED for d in made),
        suggested_count=sum(d.outcome is m.DecisionOutcome.SUGGESTED for d in made),
        unmatched_count=sum(d.outcome is m.DecisionOutcome.UNMATCHED for d in made),
        unchanged_count=len(committed.unchanged_payment_ids),
    )


def currencies_of(s: Store, payment_ids: list[str]) -> dict[str, str]:
    return {p.payment_id: p.currency for p in s.get_payments(payment_ids, with_applications=False).values()}


def backlog_round(
    app: CashApp, tenant: str, with_decisions: bool
) -> tuple[rs.AutoApplyResponse, list[Outcome]]:
    """One round over every payment (claim, plan, commit, release), on the calling thread; the
    response carries the decisions only `with_decisions` (their currencies are read for them)."""
    # After a bulk load PostgreSQL may not have analyzed the tables yet (never fails).
    app.db.statistics.refresh_if_stale()
    holder = new_holder("")
    claimed = app.write(tenant, lambda s: reconciliation.claim_batch(s, holder))
    try:
        planned = app.read(tenant, lambda s: reconciliation.plan(s, reconciliation.Scope(), claimed))
        ids = [p.payment_id for p in planned.proposals]
        try:
            committed, currency = app.write(
                tenant,
                lambda s: (
                    reconciliation.commit(s, planned, holder),
                    currencies_of(s, ids) if with_decisions else {},
                ),
            )
        except ConcurrentChange as exc:  # as CashApp.mutate answers it; locks make it unreachable
            raise Aborted("CONCURRENT_MODIFICATION", str(exc)) from exc
    finally:
        if claimed:  # released with the commit; this covers a round that failed before it
            release(app, tenant, holder)
    response = counts(committed)
    if with_decisions:
        response.decisions.extend(
            convert.decision_out(d, currency[d.payment_id]) for d in committed.decisions
        )
    return response, [(d.outcome, d.reason) for d in committed.decisions]


@dataclass(frozen=True, slots=True)
class _Done:
    response: bytes  # the round's AutoApplyResponse, serialized
    outcomes: list[Outcome]


@dataclass(frozen=True, slots=True)
class _Failed(grpc.Status):
    """The status the round's exception maps to, made in the worker (where the exception is):
    engine and driver exceptions do not all survive pickling, a status does."""

    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, str | bytes], ...]


_worker_app: CashApp | None = None


def _start_worker(database_url: str) -> None:
    """A decide process's start: its engine on the server's database, traced like the server's
    (the parent brought the schema up to date)."""
    global _worker_app
    db = Database(database_url)
    telemetry.configure(db.engine)
    _worker_app = CashApp(db)


def _round_in_worker(
    tenant: str, actor: str, carrier: dict[str, str], with_decisions: bool
) -> _Done | _Failed:
    assert _worker_app is not None, "the decide process did not start"
    token = otel_context.attach(propagate.extract(carrier))
    current_actor.set(actor)
    try:
        with tracer.start_as_current_span("cashapp.autoapply.round"):
            response, outcomes = backlog_round(_worker_app, tenant, with_decisions)
        return _Done(response.SerializeToString(), outcomes)
    except Exception as exc:
        status = status_for(exc)
        return _Failed(status.code, status.details, tuple(status.trailing_metadata or ()))
    finally:
        otel_context.detach(token)


class DecideProcesses:
    """`size` worker processes for AutoApplyBacklog's rounds, started with the first call and kept
    (each keeps its payer-name index between rounds, as the server does)."""

    def __init__(self, database_url: str, size: int) -> None:
        self.database_url = database_url
        self.size = size
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.size,
                mp_context=get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.database_url,),
            )
        return self._executor

    async def run_round(
        self, tenant: str, with_decisions: bool
    ) -> tuple[rs.AutoApplyResponse, list[Outcome]]:
        """One backlog round in a worker, in the caller's trace and with its actor."""
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        pool = self._pool()
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                pool, _round_in_worker, tenant, current_actor.get(), carrier, with_decisions
            )
        except BrokenProcessPool as exc:
            log.error("a decide process stopped: %s", exc)
            if self._executor is pool:
                self._executor = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise ForwardedStatus(
                unavailable("a decide process stopped; retry", "DECIDE_PROCESS_LOST")
            ) from exc
        if isinstance(result, _Failed):
            raise ForwardedStatus(result)
        return rs.AutoApplyResponse.FromString(result.response), result.outcomes

    def close(self) -> None:
        """Stops the workers once the rounds they are running have committed."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


class InFlight(Generic[T]):
    """Rounds started ahead of the one being read, at most `width` at once, answered in the order
    they started. A round already running when the call ends (or is cancelled) still runs to its
    commit; its failure is then only logged."""

    def __init__(self, start: Callable[[], Awaitable[T]], width: int) -> None:
        self._start = start
        self.width = width
        self._rounds: deque[asyncio.Future[T]] = deque()

    def __len__(self) -> int:
        return len(self._rounds)

    def fill(self, limit: int) -> None:
        """Starts rounds until `width` run, or `limit` if fewer may."""
        while len(self._rounds) < min(self.width, limit):
            future = asyncio.ensure_future(self._start())
            future.add_done_callback(_log_unread_failure)
            self._rounds.append(future)

    async def next(self) -> T:
        """The oldest round's answer (one is started first when none runs)."""
        if not self._rounds:
            self.fill(1)
        return await self._rounds.popleft()


def _log_unread_failure(future: asyncio.Future[T]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.debug("an AutoApplyBacklog round failed: %s", future.exception())
