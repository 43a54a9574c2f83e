"""Dunning: policies, contacts, holds, the level each customer reached, notices and the outbox."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from engine import model as m
from engine.cases.case import FINAL_STATES, State
from engine.dunning import model as d
from engine.storage import tables as t
from engine.storage.invoice_store import InvoiceStore
from engine.storage.pagination import decode_token, encode_token, page_size_or_default
from engine.storage.store_base import StoreBase

_OPEN_CASE_STATES = [s.value for s in State if s not in FINAL_STATES]


def _levels_json(levels: Sequence[d.Level]) -> str:
    return json.dumps(
        [{**dataclasses.asdict(lv), "channels": [c.value for c in lv.channels]} for lv in levels],
        sort_keys=True,
    )


def _levels_of(text: str) -> tuple[d.Level, ...]:
    return tuple(
        d.Level(**{**raw, "channels": tuple(d.Channel(c) for c in raw["channels"])})
        for raw in json.loads(text)
    )


def _policy(r: Row[Any]) -> d.Policy:
    return d.Policy(r.policy_id, r.display_name, r.currency, _levels_of(r.levels), r.create_us)


def _notice(r: Row[Any]) -> d.Notice:
    items = tuple(
        d.NoticeItem(
            i["invoice_id"], dt.date.fromisoformat(i["due_date"]), i["open_minor"], i["days_past_due"]
        )
        for i in json.loads(r.items)
    )
    return d.Notice(
        r.notice_id,
        r.policy_id,
        r.customer_id,
        r.currency,
        r.level,
        dt.date.fromisoformat(r.as_of),
        items,
        r.total_minor,
        r.fee_minor,
        r.interest_minor,
        tuple(d.Channel(c) for c in json.loads(r.channels)),
        r.create_us,
    )


def _delivery(r: Row[Any]) -> d.Delivery:
    return d.Delivery(
        r.notice_id,
        d.Channel(r.channel),
        r.customer_id,
        r.recipient,
        d.DeliveryState(r.state),
        r.attempts,
        r.next_attempt_us,
        r.last_error,
        r.sent_us,
        r.create_us,
    )


class DunningStore(StoreBase):
    """The tenant's dunning data, read and written in the caller's transaction."""

    def _insert_ignore(self, table: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
            self.conn.execute(dialect.insert(table).on_conflict_do_nothing(), rows)

    # Policies -------------------------------------------------------------------------------

    def insert_dunning_policy(self, policy: d.Policy) -> None:
        self.conn.execute(
            t.dunning_policies.insert().values(
                tenant_id=self.tenant_id,
                policy_id=policy.policy_id,
                display_name=policy.display_name,
                currency=policy.currency,
                levels=_levels_json(policy.levels),
                create_us=policy.create_us,
            )
        )

    def get_dunning_policy(self, policy_id: str, *, lock: bool = False) -> d.Policy | None:
        c = t.dunning_policies.c
        query = select(t.dunning_policies).where(self._tenant(t.dunning_policies), c.policy_id == policy_id)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return None if row is None else _policy(row)

    def list_dunning_policies(self, page_size: int, page_token: str) -> m.Page[d.Policy]:
        table = t.dunning_policies
        rows, token = self._page(table, table.c.policy_id, [], page_size, page_token, {"list": "policies"})
        return m.Page([_policy(r) for r in rows], token)

    # Contacts and holds ---------------------------------------------------------------------

    def save_dunning_contact(self, contact: d.Contact) -> None:
        c = t.dunning_contacts.c
        self.conn.execute(
            delete(t.dunning_contacts).where(
                self._tenant(t.dunning_contacts), c.customer_id == contact.customer_id
            )
        )
        self.conn.execute(
            t.dunning_contacts.insert().values(tenant_id=self.tenant_id, **dataclasses.asdict(contact))
        )

    def dunning_contacts(self, customer_ids: Iterable[str]) -> dict[str, d.Contact]:
        ids = sorted(set(customer_ids))
        if not ids:
            return {}
        c = t.dunning_contacts.c
        rows = self.conn.execute(
            select(t.dunning_contacts).where(self._tenant(t.dunning_contacts), c.customer_id.in_(ids))
        )
        return {
            r.customer_id: d.Contact(r.customer_id, r.email, r.phone, r.postal_address, r.update_us)
            for r in rows
        }

    def save_dunning_hold(self, hold: d.Hold) -> None:
        """Replaces the customer's hold of that kind and currency (a new promise supersedes the
        old one)."""
        c = t.dunning_holds.c
        self.conn.execute(
            delete(t.dunning_holds).where(
                self._tenant(t.dunning_holds),
                c.customer_id == hold.customer_id,
                c.kind == hold.kind,
                c.currency == hold.currency,
            )
        )
        self.conn.execute(
            t.dunning_holds.insert().values(
                tenant_id=self.tenant_id,
                customer_id=hold.customer_id,
                kind=hold.kind,
                currency=hold.currency,
                until_date=hold.until.isoformat() if hold.until else None,
                note=hold.note,
                actor=hold.actor,
                create_us=hold.create_us,
            )
        )

    def dunning_holds_in_force(self, as_of: dt.date) -> list[d.Hold]:
        """Every hold that has not ended by `as_of` (a promise until a date holds on that date)."""
        c = t.dunning_holds.c
        rows = self.conn.execute(
            select(t.dunning_holds).where(
                self._tenant(t.dunning_holds), or_(c.until_date.is_(None), c.until_date >= as_of.isoformat())
            )
        )
        return [
            d.Hold(
                r.customer_id,
                r.kind,
                r.currency,
                dt.date.fromisoformat(r.until_date) if r.until_date else None,
                r.note,
                r.actor,
                r.create_us,
            )
            for r in rows
        ]

    # What a run reads -----------------------------------------------------------------------

    def invoices_due_by(self, currency: str, cutoff: dt.date) -> list[m.Invoice]:
        """Every open, live invoice in `currency` due on or before `cutoff`, in one query."""
        c = t.invoices.c
        rows = self.conn.execute(
            select(t.invoices).where(
                self._tenant(t.invoices),
                c.currency == currency,
                c.due_date <= cutoff.isoformat(),
                c.open_minor > 0,
                c.voided.is_(False),
            )
        )
        invoices = [InvoiceStore._invoice(r) for r in rows]
        return sorted(invoices, key=lambda inv: (inv.customer_id, inv.currency, inv.due_date, inv.invoice_id))

    def invoices_with_open_cases(self, invoice_ids: Iterable[str]) -> dict[str, str]:
        """invoice id -> one open case on it (dispute or deduction), for the skip's detail."""
        ids = sorted(set(invoice_ids))
        out: dict[str, str] = {}
        k = t.cases.c
        # In chunks: an IN list of a whole book's overdue invoices would exceed driver limits.
        for start in range(0, len(ids), 1000):
            rows = self.conn.execute(
                select(k.invoice_id, func.min(k.case_id).label("case_id"))
                .where(
                    self._tenant(t.cases),
                    k.state.in_(_OPEN_CASE_STATES),
                    k.invoice_id.in_(ids[start : start + 1000]),
                )
                .group_by(k.invoice_id)
            )
            out.update({r.invoice_id: r.case_id for r in rows})
        return out

    def unapplied_cash_by_customer(self) -> dict[tuple[str, str], int]:
        """(customer, currency) -> unapplied and on-account cash of live payments."""
        c = t.payments.c
        rows = self.conn.execute(
            select(c.customer_id, c.currency, func.sum(c.unapplied_minor).label("total"))
            .where(
                self._tenant(t.payments),
                c.customer_id.is_not(None),
                c.returned_minor == 0,
                c.unapplied_minor != 0,
            )
            .group_by(c.customer_id, c.currency)
        )
        return {(r.customer_id, r.currency): int(r.total) for r in rows}

    def dunning_levels(self, policy_id: str) -> dict[tuple[str, str], tuple[int, dt.date]]:
        c = t.dunning_levels.c
        rows = self.conn.execute(
            select(t.dunning_levels).where(self._tenant(t.dunning_levels), c.policy_id == policy_id)
        )
        return {(r.customer_id, r.currency): (r.level, dt.date.fromisoformat(r.as_of)) for r in rows}

    def set_dunning_levels(
        self,
        policy_id: str,
        reached: Sequence[tuple[str, str, int, dt.date]],
        cleared: Sequence[tuple[str, str]],
        now: int,
    ) -> None:
        """Records the levels reached by a run, and forgets those whose items are all settled."""
        c = t.dunning_levels.c
        for customer_id, currency in [*cleared, *[(r[0], r[1]) for r in reached]]:
            self.conn.execute(
                delete(t.dunning_levels).where(
                    self._tenant(t.dunning_levels),
                    c.policy_id == policy_id,
                    c.customer_id == customer_id,
                    c.currency == currency,
                )
            )
        if reached:
            self.conn.execute(
                t.dunning_levels.insert(),
                [
                    {
                        "tenant_id": self.tenant_id,
                        "policy_id": policy_id,
                        "customer_id": customer,
                        "currency": currency,
                        "level": level,
                        "as_of": as_of.isoformat(),
                        "update_us": now,
                    }
                    for customer, currency, level, as_of in reached
                ],
            )

    # Notices and the outbox -----------------------------------------------------------------

    def insert_dunning_notices(self, notices: Sequence[d.Notice], deliveries: Sequence[d.Delivery]) -> None:
        """Stores notices and their outbox rows; one already stored (same id, same notice and
        channel) is left as it is, which is what keeps a repeated run from sending twice."""
        self._insert_ignore(
            t.dunning_notices,
            [
                {
                    "tenant_id": self.tenant_id,
                    "notice_id": n.notice_id,
                    "policy_id": n.policy_id,
                    "customer_id": n.customer_id,
                    "currency": n.currency,
                    "level": n.level,
                    "as_of": n.as_of.isoformat(),
                    "items": json.dumps(
                        [{**dataclasses.asdict(i), "due_date": i.due_date.isoformat()} for i in n.items]
                    ),
                    "total_minor": n.total_minor,
                    "fee_minor": n.fee_minor,
                    "interest_minor": n.interest_minor,
                    "channels": json.dumps([ch.value for ch in n.channels]),
                    "create_us": n.create_us,
                }
                for n in notices
            ],
        )
        self._insert_ignore(
            t.dunning_deliveries,
            [
                {
                    "tenant_id": self.tenant_id,
                    "notice_id": x.notice_id,
                    "channel": x.channel.value,
                    "customer_id": x.customer_id,
                    "recipient": x.recipient,
                    "state": x.state.value,
                    "attempts": x.attempts,
                    "next_attempt_us": x.next_attempt_us,
                    "lease_until_us": 0,
                    "last_error": x.last_error,
                    "sent_us": x.sent_us,
                    "create_us": x.create_us,
                }
                for x in deliveries
            ],
        )

    def get_dunning_notices(self, notice_ids: Iterable[str]) -> dict[str, d.Notice]:
        ids = sorted(set(notice_ids))
        if not ids:
            return {}
        c = t.dunning_notices.c
        rows = self.conn.execute(
            select(t.dunning_notices).where(self._tenant(t.dunning_notices), c.notice_id.in_(ids))
        )
        return {r.notice_id: _notice(r) for r in rows}

    def list_dunning_notices(self, page_size: int, page_token: str, customer_id: str) -> m.Page[d.Notice]:
        c = t.dunning_notices.c
        where = [c.customer_id == customer_id] if customer_id else []
        rows, token = self._page(
            t.dunning_notices, c.notice_id, where, page_size, page_token, {"customer": customer_id}
        )
        return m.Page([_notice(r) for r in rows], token)

    def list_dunning_deliveries(
        self, page_size: int, page_token: str, state: d.DeliveryState | None
    ) -> m.Page[d.Delivery]:
        """Deliveries in (notice_id, channel) order; the page key is both, joined by a space
        (ids hold no space at their ends, and a channel never does)."""
        c = t.dunning_deliveries.c
        size = page_size_or_default(page_size)
        filters = {"state": state.value if state else ""}
        after = decode_token(page_token, filters)
        query = select(t.dunning_deliveries).where(self._tenant(t.dunning_deliveries))
        if state is not None:
            query = query.where(c.state == state.value)
        if after is not None:
            notice_id, _, channel = after.rpartition(" ")
            query = query.where(
                or_(c.notice_id > notice_id, and_(c.notice_id == notice_id, c.channel > channel))
            )
        rows = self.conn.execute(query.order_by(c.notice_id, c.channel).limit(size + 1)).all()
        token = ""
        if len(rows) > size:
            rows = rows[:size]
            token = encode_token(f"{rows[-1].notice_id} {rows[-1].channel}", filters)
        return m.Page([_delivery(r) for r in rows], token)

    def due_dunning_deliveries(self, now: int, limit: int) -> list[d.Delivery]:
        c = t.dunning_deliveries.c
        rows = self.conn.execute(
            select(t.dunning_deliveries)
            .where(
                self._tenant(t.dunning_deliveries),
                c.state == d.DeliveryState.PENDING.value,
                c.next_attempt_us <= now,
                c.lease_until_us <= now,
            )
            .order_by(c.next_attempt_us, c.notice_id, c.channel)
            .limit(limit)
        )
        return [_delivery(r) for r in rows]

    def _delivery_key(self, notice_id: str, channel: d.Channel) -> ColumnElement[bool]:
        c = t.dunning_deliveries.c
        return and_(self._tenant(t.dunning_deliveries), c.notice_id == notice_id, c.channel == channel.value)

    def claim_dunning_delivery(self, notice_id: str, channel: d.Channel, now: int, lease_until: int) -> bool:
        """Takes the delivery for one attempt until `lease_until`; False when another sender has
        it or it is no longer pending (a guarded update: works alike on SQLite and PostgreSQL)."""
        c = t.dunning_deliveries.c
        result = self.conn.execute(
            update(t.dunning_deliveries)
            .where(
                self._delivery_key(notice_id, channel),
                c.state == d.DeliveryState.PENDING.value,
                c.next_attempt_us <= now,
                c.lease_until_us <= now,
            )
            .values(lease_until_us=lease_until, attempts=c.attempts + 1)
        )
        return bool(result.rowcount == 1)

    def finish_dunning_delivery(
        self,
        notice_id: str,
        channel: d.Channel,
        state: d.DeliveryState,
        *,
        recipient: str,
        error: str,
        next_attempt_us: int,
        sent_us: int | None,
    ) -> None:
        c = t.dunning_deliveries.c
        self.conn.execute(
            update(t.dunning_deliveries)
            .where(self._delivery_key(notice_id, channel), c.state == d.DeliveryState.PENDING.value)
            .values(
                state=state.value,
                recipient=recipient,
                last_error=error,
                next_attempt_us=next_attempt_us,
                sent_us=sent_us,
                lease_until_us=0,
            )
        )

    def get_dunning_delivery(self, notice_id: str, channel: d.Channel) -> d.Delivery | None:
        row = self.conn.execute(
            select(t.dunning_deliveries).where(self._delivery_key(notice_id, channel))
        ).first()
        return None if row is None else _delivery(row)

    def requeue_dunning_delivery(self, notice_id: str, channel: d.Channel, now: int) -> None:
        """A FAILED delivery becomes PENDING and due now, with a fresh count of attempts."""
        c = t.dunning_deliveries.c
        self.conn.execute(
            update(t.dunning_deliveries)
            .where(self._delivery_key(notice_id, channel), c.state == d.DeliveryState.FAILED.value)
            .values(state=d.DeliveryState.PENDING.value, attempts=0, next_attempt_us=now, lease_until_us=0)
        )

    def dunning_outbox_violations(self, limit: int) -> list[str]:
        """What breaks "one delivery per notice and channel, ever": a notice missing a delivery
        of a channel it names, a delivery of a channel it does not name or of no notice, a SENT
        delivery without its send time. Read whole (like the journal replay), reported capped."""
        n, x = t.dunning_notices.c, t.dunning_deliveries.c
        named = {
            (r.notice_id, channel)
            for r in self.conn.execute(select(n.notice_id, n.channels).where(self._tenant(t.dunning_notices)))
            for channel in json.loads(r.channels)
        }
        rows = self.conn.execute(
            select(x.notice_id, x.channel, x.state, x.sent_us).where(self._tenant(t.dunning_deliveries))
        ).all()
        stored = {(r.notice_id, r.channel) for r in rows}
        out = [f"notice {nid}: no {ch} delivery in the outbox" for nid, ch in sorted(named - stored)]
        out += [f"delivery {nid}/{ch}: its notice does not name it" for nid, ch in sorted(stored - named)]
        out += [
            f"delivery {r.notice_id}/{r.channel}: SENT without a send time"
            for r in rows
            if r.state == d.DeliveryState.SENT.value and r.sent_us is None
        ]
        return out[:limit]


def tenants_with_due_deliveries(conn: Connection, now: int, limit: int) -> list[str]:
    """Which tenants have deliveries due at `now` (the server's delivery loop serves every
    tenant, so this one query is not scoped to one)."""
    c = t.dunning_deliveries.c
    rows = conn.execute(
        select(c.tenant_id)
        .where(c.state == d.DeliveryState.PENDING.value, c.next_attempt_us <= now, c.lease_until_us <= now)
        .group_by(c.tenant_id)
        .order_by(c.tenant_id)
        .limit(limit)
    )
    return [r.tenant_id for r in rows]
