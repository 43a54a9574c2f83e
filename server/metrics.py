"""The metrics an operator alerts on, on the OpenTelemetry metrics API (exported only when a
metrics exporter is configured; see server.telemetry):

- rpc.server.duration (ms): every call by rpc.service, rpc.method and rpc.grpc.status_code (the
  gRPC instrumentation records no metrics; its count by code is the error rate);
- cashapp.autoapply.decisions: committed AutoApply decisions by outcome and reason (engine.telemetry);
- cashapp.payments.undecided: per tenant, the payments AutoApply would still take (its backlog);
- cashapp.import.payments: ImportPayments results by result (CREATED, ALREADY_EXISTED, FAILED);
- cashapp.db.pool.size / .checked_out / .overflow: the SQLAlchemy connection pool.

The gauges are observed at each collection: one GROUP BY over the decision marks' index per
database and a few pool counters, no work at all when no metrics exporter collects.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Iterator

import grpc
from opentelemetry import metrics
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.metrics import CallbackOptions, Observation
from sqlalchemy import and_, func, select
from sqlalchemy.pool import QueuePool

from engine.storage import tables as t
from engine.storage.db import Database

log = logging.getLogger(__name__)
_meter = metrics.get_meter("cashapp.server")

rpc_duration = _meter.create_histogram(
    "rpc.server.duration", unit="ms", description="Duration of inbound RPCs by method and gRPC code"
)
import_payments = _meter.create_counter(
    "cashapp.import.payments", unit="{payment}", description="ImportPayments results by result"
)

# The databases of the servers running in this process (tests embed several); a stopped server
# leaves, so a collection never reconnects to a database that is gone.
_databases: weakref.WeakSet[Database] = weakref.WeakSet()


def record_rpc(method: str, code: grpc.StatusCode, duration_ms: float) -> None:
    service, _, name = method.lstrip("/").partition("/")
    rpc_duration.record(
        duration_ms,
        {
            "rpc.system": "grpc",
            "rpc.service": service,
            "rpc.method": name,
            "rpc.grpc.status_code": code.value[0],
        },
    )


def record_import(results: Iterable[str]) -> None:
    """Counts one committed ImportPayments chunk's results (CREATED, ALREADY_EXISTED, FAILED)."""
    counts: dict[str, int] = {}
    for result in results:
        counts[result] = counts.get(result, 0) + 1
    for result, n in counts.items():
        import_payments.add(n, {"result": result})


def watch(db: Database) -> None:
    _databases.add(db)


def unwatch(db: Database) -> None:
    _databases.discard(db)


def _undecided(_options: CallbackOptions) -> Iterator[Observation]:
    """Per tenant, the payments AutoApply would take: marked and still decidable (the same
    condition as DecisionStore.payments_needing_decision, across tenants)."""
    d, p = t.decision_marks.c, t.payments.c
    query = (
        select(d.tenant_id, func.count())
        .select_from(
            t.decision_marks.join(t.payments, and_(p.tenant_id == d.tenant_id, p.payment_id == d.payment_id))
        )
        .where(
            d.needs_decision.is_(True), p.unapplied_minor > 0, p.returned_minor == 0, p.on_account.is_(False)
        )
        .group_by(d.tenant_id)
    )
    for db in list(_databases):
        try:
            # Untraced: a collection is no call, and its SQL span would be a trace of its own.
            with suppress_instrumentation(), db.reading() as conn:
                rows = conn.execute(query).all()
        except Exception:  # an outage must not break the export of every other metric
            log.warning("cashapp.payments.undecided: the database did not answer", exc_info=True)
            continue
        for tenant, count in rows:
            yield Observation(count, {"tenant": tenant})


def _pool(measure: str) -> metrics.CallbackT:
    def observe(_options: CallbackOptions) -> Iterator[Observation]:
        for db in list(_databases):
            pool = db.engine.pool
            if isinstance(pool, QueuePool):
                value = {"size": pool.size(), "checked_out": pool.checkedout(), "overflow": pool.overflow()}
                yield Observation(max(value[measure], 0), {"pool.name": db.engine.url.render_as_string()})

    return observe


_meter.create_observable_gauge(
    "cashapp.payments.undecided",
    callbacks=[_undecided],
    unit="{payment}",
    description="Payments waiting for an AutoApply decision, per tenant",
)
_meter.create_observable_gauge(
    "cashapp.db.pool.size", callbacks=[_pool("size")], unit="{connection}", description="Pool size"
)
_meter.create_observable_gauge(
    "cashapp.db.pool.checked_out",
    callbacks=[_pool("checked_out")],
    unit="{connection}",
    description="Connections in use",
)
_meter.create_observable_gauge(
    "cashapp.db.pool.overflow",
    callbacks=[_pool("overflow")],
    unit="{connection}",
    description="Connections open beyond the pool size",
)
