"""Append-only money rows: applications (and their reversals) and returns."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, func, insert, select

from engine import model as m
from engine.storage import tables as t
from engine.storage.invoice_store import InvoiceStore


class ApplicationStore(InvoiceStore):
    """Append-only money rows: applications (and their reversals) and returns."""

    def applications_of_payments(self, payment_ids: Iterable[str]) -> dict[str, list[m.Application]]:
        return self._applications(t.applications.c.payment_id, payment_ids, key="payment_id")

    def applications_of_invoices(self, invoice_ids: Iterable[str]) -> dict[str, list[m.Application]]:
        return self._applications(t.applications.c.invoice_id, invoice_ids, key="invoice_id")

    def _applications(self, column: Any, ids: Iterable[str], *, key: str) -> dict[str, list[m.Application]]:
        ids = list(set(ids))
        if not ids:
            return {}
        rows = self.conn.execute(
            select(t.applications)
            .where(self._tenant(t.applications), column.in_(ids))
            .order_by(t.applications.c.create_us, t.applications.c.application_id)
        ).all()
        reversed_by = {r.reverses_application_id: r.application_id for r in rows if r.reverses_application_id}
        result: dict[str, list[m.Application]] = {}
        for row in rows:
            r = row._mapping  # by key, from one mapping: a Row's attributes cost ~1 us each
            result.setdefault(r[key], []).append(
                m.Application(
                    application_id=r["application_id"],
                    payment_id=r["payment_id"],
                    invoice_id=r["invoice_id"],
                    currency=r["currency"],
                    amount_minor=r["amount_minor"],
                    discount_minor=r["discount_minor"],
                    write_off_minor=r["write_off_minor"],
                    source=m.ApplicationSource(r["source"]),
                    deduction_minor=r["deduction_minor"],
                    reverses_application_id=r["reverses_application_id"],
                    reversed_by_application_id=reversed_by.get(r["application_id"]),
                    create_us=r["create_us"],
                    actor=r["actor"] or "",
                )
            )
        return result

    def insert_applications(self, apps: Sequence[tuple[m.Application, str]]) -> None:
        """Inserts (application, journal entry id) pairs."""
        self._insert_many(
            t.applications,
            ("application_id", "payment_id", "invoice_id", "currency", "amount_minor", "discount_minor",
             "write_off_minor", "deduction_minor", "source", "reverses_application_id", "entry_id",
             "create_us", "actor"),
            [
                (a.application_id, a.payment_id, a.invoice_id, a.currency, a.amount_minor, a.discount_minor,
                 a.write_off_minor, a.deduction_minor, a.source.value, a.reverses_application_id, entry_id,
                 a.create_us, a.actor or None)
                for a, entry_id in apps
            ],
        )  # fmt: skip

    # --- returns, decisions, exceptions ------------------------------------------------------

    @staticmethod
    def _return(r: Row[Any]) -> m.Return:
        return m.Return(
            return_id=r.return_id,
            kind=m.ReturnKind(r.kind),
            currency=r.currency,
            amount_minor=r.amount_minor,
            reason_code=r.reason_code,
            invoice_id=r.invoice_id,
            payment_id=r.payment_id,
            credited_minor=r.credited_minor,
            on_account_minor=r.on_account_minor,
            reopened_invoice_ids=tuple(json.loads(r.reopened_invoice_ids)),
            create_us=r.create_us,
            actor=r.actor or "",
        )

    def get_return(self, return_id: str) -> m.Return | None:
        row = self.conn.execute(
            select(t.returns).where(self._tenant(t.returns), t.returns.c.return_id == return_id)
        ).first()
        return self._return(row) if row else None

    def credit_memo_total(self, invoice_id: str) -> int:
        c = t.returns.c
        total = self.conn.execute(
            select(func.coalesce(func.sum(c.amount_minor), 0)).where(
                self._tenant(t.returns), c.invoice_id == invoice_id, c.kind == m.ReturnKind.GOODS.value
            )
        ).scalar_one()
        return int(total)

    def insert_return(self, ret: m.Return) -> None:
        self.conn.execute(
            insert(t.returns).values(
                tenant_id=self.tenant_id,
                return_id=ret.return_id,
                kind=ret.kind.value,
                currency=ret.currency,
                amount_minor=ret.amount_minor,
                reason_code=ret.reason_code,
                invoice_id=ret.invoice_id,
                payment_id=ret.payment_id,
                credited_minor=ret.credited_minor,
                on_account_minor=ret.on_account_minor,
                reopened_invoice_ids=json.dumps(list(ret.reopened_invoice_ids)),
                create_us=ret.create_us,
                actor=ret.actor or None,
            )
        )

    def list_returns(self, page_size: int, page_token: str, kind: m.ReturnKind | None) -> m.Page[m.Return]:
        where = [t.returns.c.kind == kind.value] if kind else []
        rows, token = self._page(
            t.returns, t.returns.c.return_id, where, page_size, page_token, {"k": kind.value if kind else ""}
        )
        return m.Page([self._return(r) for r in rows], token)
