"""Payments: recording, the unapplied balance, the customer they are identified as, and the
payments near a batch that matching pairs with."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, and_, bindparam, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from engine import model as m
from engine.storage import tables as t
from engine.storage.application_store import ApplicationStore
from engine.storage.remittance_json import json_strings, lines_from_json, lines_to_json
from engine.storage.store_base import (
    ConcurrentChange,
    payer_account_key_of,
    reference_keys_of,
)

# Keys looked up per IN (...) query: well below SQLite's bound-parameter limit.
LOOKUP_CHUNK = 500
# Distinct payer accounts and remittances remembered: a bank file repeats its payers (and a
# lockbox its remittance texts), and normalizing an IBAN or tokenizing a text is the costliest
# part of storing a payment. Both functions are pure, so a cache cannot change what is stored.
CACHED_VALUES = 65_536
_PAYMENT_COLUMNS = (
    "tenant_id", "payment_id", "currency", "amount_minor", "unapplied_minor", "returned_minor",
    "value_date", "customer_id", "payer_account", "payer_name", "remittance_info", "references",
    "on_account", "create_us", "given_customer_id", "payer_account_key", "remittance_lines",
    "bank_reference", "end_to_end_id",
)  # fmt: skip
_MARK_COLUMNS = ("tenant_id", "payment_id", "value_date", "input_version", "needs_decision")
_KEY_COLUMNS = ("tenant_id", "key", "payment_id")

_reference_keys = functools.lru_cache(maxsize=CACHED_VALUES)(reference_keys_of)


class PaymentStore(ApplicationStore):
    """Payments, their unapplied balance and their identified customer."""

    @staticmethod
    def _payment(row: Row[Any], applications: tuple[m.Application, ...] = ()) -> m.Payment:
        r = row._mapping  # by key, from one mapping: a Row's attributes cost ~1 us each
        return m.Payment(
            payment_id=r["payment_id"],
            currency=r["currency"],
            amount_minor=r["amount_minor"],
            unapplied_minor=r["unapplied_minor"],
            returned_minor=r["returned_minor"],
            value_date=dt.date.fromisoformat(r["value_date"]),
            customer_id=r["customer_id"],
            payer_account=r["payer_account"],
            payer_name=r["payer_name"],
            remittance_info=r["remittance_info"],
            references=json_strings(r["references"]),
            on_account=r["on_account"],
            applications=applications,
            create_us=r["create_us"],
            given_customer_id=r["given_customer_id"],
            remittance_lines=lines_from_json(r["remittance_lines"]),
            bank_reference=r["bank_reference"],
            end_to_end_id=r["end_to_end_id"],
        )

    def get_payments(
        self, ids: Iterable[str], *, lock: bool = False, with_applications: bool = True
    ) -> dict[str, m.Payment]:
        ids = sorted(set(ids))
        if not ids:
            return {}
        query = (
            select(t.payments)
            .where(self._tenant(t.payments), t.payments.c.payment_id.in_(ids))
            .order_by(t.payments.c.payment_id)
        )
        if lock:
            query = query.with_for_update()
        rows = self.conn.execute(query).all()
        apps = self.applications_of_payments(ids) if with_applications else {}
        return {r.payment_id: self._payment(r, tuple(apps.get(r.payment_id, ()))) for r in rows}

    def get_payment(self, payment_id: str, *, lock: bool = False) -> m.Payment | None:
        return self.get_payments([payment_id], lock=lock).get(payment_id)

    def nearby_payments(
        self,
        customer_ids: Iterable[str],
        invoice_keys: Iterable[str],
        first: dt.date,
        last: dt.date,
        *,
        amounts: Iterable[int] | None = None,
        limit: int,
    ) -> list[m.Payment]:
        """Payments with value dates in [first, last] that are the customers' (identified, or
        from one of their payer accounts) or whose remittance holds one of the invoice keys,
        without applications, at most `limit`. With `amounts`: only payments of those amounts
        that carry applications (what a duplicate may repeat); without: only live ones
        (unapplied cash, not on account, not returned: what a split transfer may pair with; of
        the customers' own only those already decided). Three indexed look-ups."""
        ids, keys = sorted(set(customer_ids)), sorted(set(invoice_keys))
        c, a, r = t.payments.c, t.payer_accounts.c, t.payment_reference_keys.c
        where = [
            self._tenant(t.payments),
            c.value_date >= first.isoformat(),
            c.value_date <= last.isoformat(),
        ]
        if amounts is None:
            where += [unapplied(), c.on_account.is_(False), c.returned_minor == 0]
        else:
            where += [
                c.amount_minor.in_(sorted(set(amounts))),
                c.unapplied_minor + c.returned_minor < c.amount_minor,
            ]
        accounts = select(a.account_key).where(self._tenant(t.payer_accounts), a.customer_id.in_(ids))
        naming = select(r.payment_id).where(self._tenant(t.payment_reference_keys), r.key.in_(keys))
        d = t.decision_marks.c
        # Live payments of the customers that still wait for their own decision are not needed:
        # when their turn comes, this batch's live payments are theirs. Those naming the batch's
        # invoices are, since a split transfer alone would be decided short.
        waiting = (
            select(d.payment_id)
            .where(d.tenant_id == c.tenant_id, d.payment_id == c.payment_id, d.needs_decision.is_(True))
            .exists()
        )
        decided = [~waiting] if amounts is None else []
        found: dict[str, Row[Any]] = {}
        for condition in (
            and_(c.customer_id.in_(ids), *decided) if ids else None,
            and_(c.payer_account_key.in_(accounts), *decided) if ids else None,
            c.payment_id.in_(naming) if keys else None,
        ):
            if condition is not None and len(found) < limit:
                for row in self.conn.execute(select(t.payments).where(*where, condition).limit(limit)):
                    found.setdefault(row.payment_id, row)
        rows = sorted(found.values(), key=lambda row: (row.value_date, row.payment_id))
        return [self._payment(row) for row in rows[:limit]]

    def insert_payments(self, payments: Sequence[m.Payment]) -> None:
        """The payments, their first decision marks and their reference keys: one DBAPI
        executemany per table, of positional rows. A bank file imports tens of thousands at once,
        and SQLAlchemy's per-row parameter processing cost as much as the database's own work."""
        if not payments:
            return
        tenant = self.tenant_id
        self._insert_rows(
            t.payments,
            _PAYMENT_COLUMNS,
            [
                (
                    tenant,
                    p.payment_id,
                    p.currency,
                    p.amount_minor,
                    p.unapplied_minor,
                    p.returned_minor,
                    p.value_date.isoformat(),
                    p.customer_id,
                    p.payer_account,
                    p.payer_name,
                    p.remittance_info,
                    json.dumps(list(p.references)),
                    p.on_account,
                    p.create_us,
                    p.given_customer_id,
                    payer_account_key_of(p.payer_account),
                    lines_to_json(p.remittance_lines),
                    p.bank_reference,
                    p.end_to_end_id,
                )
                for p in payments
            ],
        )
        # A new payment needs its first decision.
        self._insert_rows(
            t.decision_marks,
            _MARK_COLUMNS,
            [(tenant, p.payment_id, p.value_date.isoformat(), 1, True) for p in payments],
        )
        self._insert_rows(
            t.payment_reference_keys,
            _KEY_COLUMNS,
            [
                (tenant, key, p.payment_id)
                for p in payments
                for key in _reference_keys(p.references, p.remittance_info)
            ],
        )

    def payments_by_link(self, column: str, values: Iterable[str]) -> dict[str, list[str]]:
        """The payment ids carrying each of `values` in `column` ("bank_reference" or
        "end_to_end_id"), on their tenant-led indexes; a value no payment carries is absent."""
        wanted = sorted(set(values) - {""})
        found: dict[str, list[str]] = {}
        key = t.payments.c[column]
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            query = select(key, t.payments.c.payment_id).where(self._tenant(t.payments), key.in_(chunk))
            for value, payment_id in self.conn.execute(query.order_by(t.payments.c.payment_id)):
                found.setdefault(value, []).append(payment_id)
        return found

    def add_payment_remittance(
        self, payment_id: str, lines: tuple[m.RemittanceLine, ...], references: tuple[str, ...], text: str
    ) -> None:
        """Replaces a payment's remittance with a richer rendition (what a later statement or an
        advice adds) and stores the reference keys it gains, so new invoices find it too."""
        c = t.payments.c
        self.conn.execute(
            update(t.payments)
            .where(self._tenant(t.payments), c.payment_id == payment_id)
            .values(
                remittance_lines=lines_to_json(lines),
                references=json.dumps(list(references)),
                remittance_info=text,
            )
        )
        k = t.payment_reference_keys.c
        have = set(
            self.conn.execute(
                select(k.key).where(self._tenant(t.payment_reference_keys), k.payment_id == payment_id)
            ).scalars()
        )
        fresh = [key for key in reference_keys_of(references, text) if key not in have]
        if fresh:
            self.conn.execute(
                insert(t.payment_reference_keys),
                [{"tenant_id": self.tenant_id, "key": key, "payment_id": payment_id} for key in fresh],
            )

    def list_payments(
        self,
        page_size: int,
        page_token: str,
        *,
        customer_id: str = "",
        state: m.PaymentState | None = None,
        value_date: dt.date | None = None,
    ) -> m.Page[m.Payment]:
        c = t.payments.c
        where: list[ColumnElement[bool]] = []
        if customer_id:
            where.append(c.customer_id == customer_id)
        if state is not None:
            where.append(_payment_state_filter(state))
        day = value_date.isoformat() if value_date else ""
        if day:
            where.append(c.value_date == day)
        filters = {"c": customer_id, "s": state.value if state else "", "v": day}
        rows, token = self._page(t.payments, c.payment_id, where, page_size, page_token, filters)
        apps = self.applications_of_payments([r.payment_id for r in rows])
        return m.Page([self._payment(r, tuple(apps.get(r.payment_id, ()))) for r in rows], token)

    def change_payments_unapplied(self, deltas: dict[str, int]) -> None:
        """unapplied_minor += delta for each live payment in one executemany, guarded to stay
        within [0, amount]; the summed row count is checked."""
        if not deltas:
            return
        c = t.payments.c
        statement = (
            update(t.payments)
            .where(
                self._tenant(t.payments),
                c.payment_id == bindparam("key"),
                c.returned_minor == 0,
                c.unapplied_minor + bindparam("delta") >= 0,
                c.unapplied_minor + bindparam("delta") <= c.amount_minor,
            )
            .values(unapplied_minor=c.unapplied_minor + bindparam("delta"))
        )
        rows = [{"key": key, "delta": delta} for key, delta in sorted(deltas.items())]
        if self._update_many(statement, rows) != len(rows):
            raise ConcurrentChange(f"an unapplied amount of payments {sorted(deltas)} changed concurrently")

    def set_payments_customer(self, rows: Sequence[tuple[str, str, bool]]) -> None:
        """(payment_id, customer_id, on_account) for each payment, in one executemany."""
        if not rows:
            return
        c = t.payments.c
        statement = (
            update(t.payments)
            .where(self._tenant(t.payments), c.payment_id == bindparam("key"))
            .values(customer_id=bindparam("customer"), on_account=bindparam("on_account"))
        )
        self._update_many(statement, [{"key": p, "customer": cust, "on_account": oa} for p, cust, oa in rows])

    def set_payment_customer(self, payment_id: str, customer_id: str, *, on_account: bool) -> None:
        self.set_payments_customer([(payment_id, customer_id, on_account)])

    def mark_payment_returned(self, payment_id: str, unapplied_minor: int) -> None:
        c = t.payments.c
        result = self.conn.execute(
            update(t.payments)
            .where(
                self._tenant(t.payments),
                c.payment_id == payment_id,
                c.returned_minor == 0,
                c.unapplied_minor == unapplied_minor,
            )
            .values(returned_minor=c.amount_minor, unapplied_minor=0, on_account=False)
        )
        if result.rowcount != 1:
            raise ConcurrentChange(f"payment {payment_id} changed concurrently")


def _payment_state_filter(state: m.PaymentState) -> ColumnElement[bool]:
    c = t.payments.c
    if state is m.PaymentState.RETURNED:
        return c.returned_minor > 0
    live = c.returned_minor == 0
    if state is m.PaymentState.APPLIED:
        return and_(live, c.unapplied_minor == 0)
    if state is m.PaymentState.ON_ACCOUNT:
        return and_(live, c.unapplied_minor > 0, c.on_account.is_(True))
    if state is m.PaymentState.UNAPPLIED:
        return and_(live, c.on_account.is_(False), c.unapplied_minor == c.amount_minor)
    return and_(live, c.on_account.is_(False), c.unapplied_minor > 0, c.unapplied_minor < c.amount_minor)


def unapplied() -> ColumnElement[bool]:
    """Payments with unapplied cash, as a predicate no index serves: unapplied_minor is never
    negative, so "!= 0" means "> 0", but SQLite would range-scan ix_payments_unapplied for
    "> 0" (most payments of a book) instead of the selective customer, account or mark
    indexes the other conditions offer, which makes matching cost grow with the book."""
    return t.payments.c.unapplied_minor != 0
