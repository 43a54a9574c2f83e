"""Cases (deductions and disputes), their append-only history and the tenant's case limits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from engine.cases import case as c
from engine.storage import tables as t
from engine.storage.journal_store import JournalStore
from engine.storage.store_base import ConcurrentChange

# The amount columns a case carries; a change sets them all at once.
AMOUNTS = (
    "open_minor",
    "credited_minor",
    "written_off_minor",
    "rebilled_minor",
    "collected_minor",
    "cancelled_minor",
)
OPEN_STATES = [s.value for s in c.State if s not in c.FINAL_STATES]


def _case(r: Row[Any], events: tuple[c.Event, ...]) -> c.Case:
    pending = None
    if r.pending_resolution:
        pending = c.Pending(
            c.Resolution(r.pending_resolution),
            r.pending_amount_minor,
            r.pending_rebill_invoice_id or "",
            r.pending_requested_by or "",
            r.pending_note or "",
        )
    return c.Case(
        r.case_id,
        c.Kind(r.kind),
        c.State(r.state),
        r.category,
        r.reason_code,
        r.customer_id,
        r.invoice_id,
        r.currency,
        r.original_minor,
        r.open_minor,
        r.payment_id or "",
        r.application_id or "",
        r.credited_minor,
        r.written_off_minor,
        r.rebilled_minor,
        r.collected_minor,
        r.cancelled_minor,
        pending,
        r.create_us,
        r.update_us,
        events,
    )


def _row(case: c.Case, tenant_id: str) -> dict[str, Any]:
    p = case.pending
    return {
        "tenant_id": tenant_id,
        "case_id": case.case_id,
        "kind": case.kind.value,
        "state": case.state.value,
        "category": case.category,
        "reason_code": case.reason_code,
        "customer_id": case.customer_id,
        "invoice_id": case.invoice_id,
        "payment_id": case.payment_id or None,
        "application_id": case.application_id or None,
        "currency": case.currency,
        "original_minor": case.original_minor,
        **{name: getattr(case, name) for name in AMOUNTS},
        "pending_resolution": p.resolution.value if p else None,
        "pending_amount_minor": p.amount_minor if p else None,
        "pending_rebill_invoice_id": p.rebill_invoice_id if p else None,
        "pending_requested_by": p.requested_by if p else None,
        "pending_note": p.note if p else None,
        "create_us": case.create_us,
        "update_us": case.update_us,
    }


class CaseStore(JournalStore):
    """Cases, their history, and the tenant's case limits."""

    def insert_cases(self, cases: Sequence[c.Case]) -> None:
        """New cases with their first events, in two executemany calls."""
        if not cases:
            return
        self.conn.execute(insert(t.cases), [_row(k, self.tenant_id) for k in cases])
        self.insert_case_events([(k.case_id, e) for k in cases for e in k.events])

    def insert_case_events(self, events: Sequence[tuple[str, c.Event]]) -> None:
        if not events:
            return
        self.conn.execute(
            insert(t.case_events),
            [
                {
                    "tenant_id": self.tenant_id,
                    "case_id": case_id,
                    "seq": e.seq,
                    "action": e.action,
                    "from_state": e.from_state,
                    "to_state": e.to_state,
                    "resolution": e.resolution,
                    "amount_minor": e.amount_minor,
                    "actor": e.actor,
                    "note": e.note,
                    "entry_id": e.entry_id,
                    "create_us": e.create_us,
                }
                for case_id, e in events
            ],
        )

    def save_case(self, before: c.Case, after: c.Case, event: c.Event) -> None:
        """Moves a case from `before` to `after` (guarded: the row must still be `before`, so a
        change that raced the lock is refused, never lost) and appends its event."""
        k = t.cases.c
        values = {
            key: v for key, v in _row(after, self.tenant_id).items() if key not in ("tenant_id", "case_id")
        }
        moved = self.conn.execute(
            update(t.cases)
            .where(
                self._tenant(t.cases),
                k.case_id == before.case_id,
                k.update_us == before.update_us,
                k.open_minor == before.open_minor,
                k.state == before.state.value,
            )
            .values(**values)
        )
        if moved.rowcount != 1:
            raise ConcurrentChange(f"case {before.case_id} changed under its lock")
        self.insert_case_events([(after.case_id, event)])

    def get_case(self, case_id: str, *, lock: bool = False) -> c.Case | None:
        cases = self._cases([t.cases.c.case_id == case_id], lock=lock)
        return cases[0] if cases else None

    def cases_of_applications(self, application_ids: Iterable[str], *, lock: bool = False) -> list[c.Case]:
        ids = sorted(set(application_ids))
        return self._cases([t.cases.c.application_id.in_(ids)], lock=lock) if ids else []

    def _cases(self, where: list[ColumnElement[bool]], *, lock: bool = False) -> list[c.Case]:
        query = select(t.cases).where(self._tenant(t.cases), *where).order_by(t.cases.c.case_id)
        if lock:
            query = query.with_for_update()
        rows = self.conn.execute(query).all()
        events = self._events([r.case_id for r in rows])
        return [_case(r, events.get(r.case_id, ())) for r in rows]

    def _events(self, case_ids: list[str]) -> dict[str, tuple[c.Event, ...]]:
        if not case_ids:
            return {}
        e = t.case_events.c
        out: dict[str, list[c.Event]] = {}
        for r in self.conn.execute(
            select(t.case_events)
            .where(self._tenant(t.case_events), e.case_id.in_(case_ids))
            .order_by(e.case_id, e.seq)
        ):
            out.setdefault(r.case_id, []).append(
                c.Event(
                    r.seq,
                    r.action,
                    r.from_state,
                    r.to_state,
                    r.actor,
                    r.note,
                    r.resolution,
                    r.amount_minor,
                    r.entry_id,
                    r.create_us,
                )
            )
        return {k: tuple(v) for k, v in out.items()}

    def list_cases(
        self, where: list[ColumnElement[bool]], page_size: int, page_token: str, filters: object
    ) -> tuple[list[c.Case], str]:
        rows, token = self._page(t.cases, t.cases.c.case_id, where, page_size, page_token, filters)
        events = self._events([r.case_id for r in rows])
        return [_case(r, events.get(r.case_id, ())) for r in rows], token

    def disputed_invoice_ids(self, invoice_ids: Iterable[str]) -> set[str]:
        """Which of the invoices carry an open dispute (kept out of the amount search)."""
        ids = sorted(set(invoice_ids))
        if not ids:
            return set()
        k = t.cases.c
        rows = self.conn.execute(
            select(k.invoice_id).where(
                self._tenant(t.cases),
                k.kind == c.Kind.DISPUTE.value,
                k.state.in_(OPEN_STATES),
                k.invoice_id.in_(ids),
            )
        )
        return {r.invoice_id for r in rows}

    def open_dispute_minor(self, invoice_id: str) -> int:
        """What open disputes on the invoice contest already."""
        k = t.cases.c
        total = self.conn.execute(
            select(func.coalesce(func.sum(k.open_minor), 0)).where(
                self._tenant(t.cases),
                k.kind == c.Kind.DISPUTE.value,
                k.state.in_(OPEN_STATES),
                k.invoice_id == invoice_id,
            )
        ).scalar_one()
        return int(total)

    def open_deductions_by_currency(self) -> dict[str, int]:
        k = t.cases.c
        rows = self.conn.execute(
            select(k.currency, func.sum(k.open_minor))
            .where(self._tenant(t.cases), k.kind == c.Kind.DEDUCTION.value)
            .group_by(k.currency)
        )
        return {currency: int(total) for currency, total in rows}

    def cases_not_adding_up(self, limit: int) -> list[c.Case]:
        k = t.cases.c
        total = sum((getattr(k, name) for name in AMOUNTS[1:]), k.open_minor)
        negative = [getattr(k, name) < 0 for name in AMOUNTS]
        where = (total != k.original_minor) | negative[0]
        for n in negative[1:]:
            where = where | n
        rows = self.conn.execute(select(t.cases).where(self._tenant(t.cases), where).limit(limit)).all()
        return [_case(r, ()) for r in rows]

    def case_settings(self) -> c.CaseSettings:
        row = self.conn.execute(select(t.case_settings).where(self._tenant(t.case_settings))).first()
        if row is None:
            return c.CaseSettings()
        return c.CaseSettings(row.approval_limit_minor, row.write_off_limit_minor, row.update_us)

    def save_case_settings(self, settings: c.CaseSettings) -> None:
        values = {
            "approval_limit_minor": settings.approval_limit_minor,
            "write_off_limit_minor": settings.write_off_limit_minor,
            "update_us": settings.update_us,
        }
        changed = self.conn.execute(
            update(t.case_settings).where(self._tenant(t.case_settings)).values(**values)
        )
        if changed.rowcount == 0:
            self.conn.execute(insert(t.case_settings).values(tenant_id=self.tenant_id, **values))
