"""Storing what the detectors found, and counting it."""

from __future__ import annotations

from collections.abc import Sequence

from engine.alerts.model import Alert
from engine.storage.store import Store
from engine.telemetry import alerts_total


def record(store: Store, alerts: Sequence[Alert]) -> None:
    """Stores the new findings in the caller's transaction. Counted here: a transaction the
    database retries may count its new alerts again, which the metric tolerates (it shows a rate)."""
    if not alerts:
        return
    store.insert_alerts(alerts)
    for alert in alerts:
        alerts_total.add(1, {"kind": alert.kind.value})
