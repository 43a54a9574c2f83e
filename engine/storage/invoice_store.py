"""Invoices: open amounts guarded against concurrent change, look-ups by reference and customer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, and_, bindparam, insert, select, union, update
from sqlalchemy.sql.elements import ColumnElement

from engine import model as m
from engine.matching.references import reference_key
from engine.storage import tables as t
from engine.storage.customer_store import CustomerStore
from engine.storage.store_base import (
    ConcurrentChange,
)

REFERENCE_CHUNK = 500  # tokens per IN list: well under every supported bound-parameter limit


class InvoiceStore(CustomerStore):
    """Invoices: open amounts guarded against concurrent change, look-ups by reference and customer."""

    @staticmethod
    def _invoice(row: Row[Any]) -> m.Invoice:
        r = row._mapping  # by key, from one mapping: a Row's attributes cost ~1 us each
        return m.Invoice(
            invoice_id=r["invoice_id"],
            customer_id=r["customer_id"],
            currency=r["currency"],
            amount_minor=r["amount_minor"],
            open_minor=r["open_minor"],
            issue_date=dt.date.fromisoformat(r["issue_date"]),
            due_date=dt.date.fromisoformat(r["due_date"]),
            payment_terms=m.PaymentTerms(r["net_days"], r["discount_days"], r["discount_basis_points"]),
            voided=r["voided"],
            create_us=r["create_us"],
        )

    def get_invoices(self, ids: Iterable[str], *, lock: bool = False) -> dict[str, m.Invoice]:
        """The named invoices that exist; with `lock`, row-locked in id order (PostgreSQL)."""
        ids = sorted(set(ids))
        if not ids:
            return {}
        query = (
            select(t.invoices)
            .where(self._tenant(t.invoices), t.invoices.c.invoice_id.in_(ids))
            .order_by(t.invoices.c.invoice_id)
        )
        if lock:
            query = query.with_for_update()
        return {r.invoice_id: self._invoice(r) for r in self.conn.execute(query)}

    def get_invoice(self, invoice_id: str, *, lock: bool = False) -> m.Invoice | None:
        # One key by `=`, not an IN list of one: an IN list is expanded into the SQL on every
        # execution, `=` is compiled once (SQLAlchemy's statement cache) and bound.
        query = select(t.invoices).where(self._tenant(t.invoices), t.invoices.c.invoice_id == invoice_id)
        if lock:
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return None if row is None else self._invoice(row)

    def insert_invoices(self, invoices: Sequence[m.Invoice]) -> None:
        self.conn.execute(
            insert(t.invoices),
            [
                {
                    "tenant_id": self.tenant_id,
                    "invoice_id": i.invoice_id,
                    "invoice_key": reference_key(i.invoice_id),
                    "customer_id": i.customer_id,
                    "currency": i.currency,
                    "amount_minor": i.amount_minor,
                    "open_minor": i.open_minor,
                    "issue_date": i.issue_date.isoformat(),
                    "due_date": i.due_date.isoformat(),
                    "net_days": i.payment_terms.net_days,
                    "discount_days": i.payment_terms.discount_days,
                    "discount_basis_points": i.payment_terms.discount_basis_points,
                    "voided": i.voided,
                    "create_us": i.create_us,
                }
                for i in invoices
            ],
        )

    def list_invoices(
        self,
        page_size: int,
        page_token: str,
        *,
        customer_id: str = "",
        state: m.InvoiceState | None = None,
        due_before: dt.date | None = None,
    ) -> m.Page[m.Invoice]:
        c = t.invoices.c
        where: list[ColumnElement[bool]] = []
        if customer_id:
            where.append(c.customer_id == customer_id)
        if due_before is not None:
            where.append(c.due_date < due_before.isoformat())
        if state is not None:
            where.append(_invoice_state_filter(state))
        filters = {"c": customer_id, "s": state.value if state else "", "d": str(due_before or "")}
        rows, token = self._page(t.invoices, c.invoice_id, where, page_size, page_token, filters)
        return m.Page([self._invoice(r) for r in rows], token)

    def invoices_by_reference(self, raw_ids: Iterable[str], keys: Iterable[str]) -> list[m.Invoice]:
        """Invoices whose id equals a raw token or whose normalized key equals a key, in one query
        per REFERENCE_CHUNK of each (a round's remittance may hold thousands of tokens: one IN
        list of them all could pass the databases' limit on bound parameters)."""
        raw_ids, keys = sorted(set(raw_ids)), sorted(set(keys))
        c = t.invoices.c
        found: dict[str, m.Invoice] = {}
        for start in range(0, max(len(raw_ids), len(keys)), REFERENCE_CHUNK):
            raw_chunk = raw_ids[start : start + REFERENCE_CHUNK]
            key_chunk = keys[start : start + REFERENCE_CHUNK]
            # A UNION, not an OR: SQLite answers "id IN (...) OR key IN (...)" by walking every
            # invoice of the tenant, and each half alone by its index.
            rows = self.conn.execute(
                union(
                    select(t.invoices).where(self._tenant(t.invoices), c.invoice_id.in_(raw_chunk)),
                    select(t.invoices).where(self._tenant(t.invoices), c.invoice_key.in_(key_chunk)),
                )
            )
            for r in rows:
                invoice = self._invoice(r)
                found[invoice.invoice_id] = invoice
        return list(found.values())

    def open_invoices_of(self, customer_ids: Iterable[str]) -> list[m.Invoice]:
        """Every open, non-voided invoice of the given customers, in one query."""
        ids = sorted(set(customer_ids))
        if not ids:
            return []
        c = t.invoices.c
        rows = self.conn.execute(
            select(t.invoices).where(
                self._tenant(t.invoices), c.customer_id.in_(ids), c.open_minor > 0, c.voided.is_(False)
            )
        )
        # Sorted here, not in SQL: an ORDER BY due_date makes SQLite walk ix_invoices_due over
        # every invoice of the tenant instead of looking up the customers' invoices.
        invoices = [self._invoice(r) for r in rows]
        return sorted(invoices, key=lambda inv: (inv.due_date, inv.invoice_id))

    def change_invoices_open(self, deltas: dict[str, int]) -> None:
        """open_minor += delta for each invoice in one executemany, guarded so every open amount
        stays within [0, amount] on a live invoice; the summed row count is checked."""
        if not deltas:
            return
        c = t.invoices.c
        statement = (
            update(t.invoices)
            .where(
                self._tenant(t.invoices),
                c.invoice_id == bindparam("key"),
                c.voided.is_(False),
                c.open_minor + bindparam("delta") >= 0,
                c.open_minor + bindparam("delta") <= c.amount_minor,
            )
            .values(open_minor=c.open_minor + bindparam("delta"))
        )
        rows = [{"key": key, "delta": delta} for key, delta in sorted(deltas.items())]
        if self._update_many(statement, rows) != len(rows):
            raise ConcurrentChange(f"an open amount of invoices {sorted(deltas)} changed concurrently")

    def void_invoice(self, invoice_id: str, open_minor: int) -> None:
        c = t.invoices.c
        result = self.conn.execute(
            update(t.invoices)
            .where(
                self._tenant(t.invoices),
                c.invoice_id == invoice_id,
                c.voided.is_(False),
                c.open_minor == open_minor,
            )
            .values(voided=True, open_minor=0)
        )
        if result.rowcount != 1:
            raise ConcurrentChange(f"invoice {invoice_id} changed concurrently")


def _invoice_state_filter(state: m.InvoiceState) -> ColumnElement[bool]:
    c = t.invoices.c
    if state is m.InvoiceState.VOIDED:
        return c.voided.is_(True)
    live = c.voided.is_(False)
    if state is m.InvoiceState.PAID:
        return and_(live, c.open_minor == 0)
    if state is m.InvoiceState.OPEN:
        return and_(live, c.open_minor == c.amount_minor)
    return and_(live, c.open_minor > 0, c.open_minor < c.amount_minor)
