"""Alerts: stored once per finding, listed for a person, acknowledged with who and why."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from engine import model as m
from engine.alerts.model import Alert, AlertKind
from engine.storage import tables as t
from engine.storage.store_base import StoreBase


class AlertStore(StoreBase):
    """The tenant's alerts, and the payment history the amount check compares with."""

    def insert_alerts(self, alerts: Sequence[Alert]) -> int:
        """Stores new findings; one already stored (the same id) is left as it is. Returns how
        many were new."""
        if not alerts:
            return 0
        unique = {a.alert_id: a for a in alerts}
        rows: list[dict[str, Any]] = [
            {
                "tenant_id": self.tenant_id,
                "alert_id": a.alert_id,
                "kind": a.kind.value,
                "subject_type": a.subject_type,
                "subject_id": a.subject_id,
                "customer_id": a.customer_id,
                "summary": a.summary,
                "evidence": json.dumps(a.evidence, sort_keys=True),
                "create_us": a.create_us,
                "acknowledged_us": None,
                "acknowledged_by": "",
                "note": "",
            }
            for a in unique.values()
        ]
        before = self._existing_alerts(list(unique))
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        self.conn.execute(dialect.insert(t.alerts).on_conflict_do_nothing(), rows)
        return len(rows) - len(before)

    def _existing_alerts(self, ids: list[str]) -> set[str]:
        c = t.alerts.c
        rows = self.conn.execute(select(c.alert_id).where(self._tenant(t.alerts), c.alert_id.in_(ids)))
        return {r.alert_id for r in rows}

    def get_alert(self, alert_id: str, *, lock: bool = False) -> Alert | None:
        query = select(t.alerts).where(self._tenant(t.alerts), t.alerts.c.alert_id == alert_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return None if row is None else _alert(row)

    def list_alerts(
        self, page_size: int, page_token: str, *, open_only: bool, kind: AlertKind | None, customer_id: str
    ) -> m.Page[Alert]:
        c = t.alerts.c
        where: list[ColumnElement[bool]] = []
        if open_only:
            where.append(c.acknowledged_us.is_(None))
        if kind is not None:
            where.append(c.kind == kind.value)
        if customer_id:
            where.append(c.customer_id == customer_id)
        filters = {"open": open_only, "kind": kind.value if kind else "", "customer": customer_id}
        rows, token = self._page(t.alerts, c.alert_id, where, page_size, page_token, filters)
        return m.Page([_alert(r) for r in rows], token)

    def acknowledge_alert(self, alert_id: str, actor: str, note: str, now: int) -> None:
        c = t.alerts.c
        self.conn.execute(
            update(t.alerts)
            .where(and_(self._tenant(t.alerts), c.alert_id == alert_id, c.acknowledged_us.is_(None)))
            .values(acknowledged_us=now, acknowledged_by=actor, note=note)
        )

    def recent_payment_amounts(
        self, customer_ids: Iterable[str], since: dt.date, per_customer: int
    ) -> dict[str, list[tuple[str, str, int]]]:
        """(payment_id, currency, amount) of each customer's latest payments valued on or after
        `since`, newest first, at most `per_customer` each (a window per customer, so a customer
        with years of payments costs no more than one with a few)."""
        ids = sorted(set(customer_ids))
        if not ids:
            return {}
        c = t.payments.c
        rank = (
            func.row_number()
            .over(partition_by=c.customer_id, order_by=(c.value_date.desc(), c.payment_id.desc()))
            .label("rank")
        )
        latest = (
            select(c.customer_id, c.payment_id, c.currency, c.amount_minor, rank)
            .where(self._tenant(t.payments), c.customer_id.in_(ids), c.value_date >= since.isoformat())
            .subquery()
        )
        rows = self.conn.execute(select(latest).where(latest.c.rank <= per_customer).order_by(latest.c.rank))
        out: dict[str, list[tuple[str, str, int]]] = {}
        for r in rows:
            out.setdefault(r.customer_id, []).append((r.payment_id, r.currency, r.amount_minor))
        return out


def _alert(row: Row[Any]) -> Alert:
    return Alert(
        alert_id=row.alert_id,
        kind=AlertKind(row.kind),
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        customer_id=row.customer_id,
        summary=row.summary,
        evidence=json.loads(row.evidence),
        create_us=row.create_us,
        acknowledged_us=row.acknowledged_us,
        acknowledged_by=row.acknowledged_by,
        note=row.note,
    )
