"""The journal and the idempotency records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, insert, select, update

from engine.ledger import JournalEntry
from engine.storage import tables as t
from engine.storage.decision_store import DecisionStore
from engine.storage.store_base import (
    now_us,
)


class JournalStore(DecisionStore):
    """The journal and the idempotency records."""

    def insert_journal(self, entries: Sequence[JournalEntry]) -> None:
        """Inserts journal entries and their lines (two executemany calls)."""
        if not entries:
            return
        self.conn.execute(
            insert(t.journal_entries),
            [
                {
                    "tenant_id": self.tenant_id,
                    "entry_id": e.entry_id,
                    "kind": e.kind,
                    "reverses_entry_id": e.reverses_entry_id,
                    "memo": e.memo[:512],
                    "create_us": e.create_us,
                }
                for e in entries
            ],
        )
        self.conn.execute(
            insert(t.journal_lines),
            [
                {
                    "tenant_id": self.tenant_id,
                    "entry_id": e.entry_id,
                    "line_no": n,
                    "account": line.account.value,
                    "currency": line.currency,
                    "amount_minor": line.amount_minor,
                    "customer_id": line.customer_id,
                    "invoice_id": line.invoice_id,
                    "payment_id": line.payment_id,
                }
                for e in entries
                for n, line in enumerate(e.lines)
            ],
        )

    # --- idempotency -----------------------------------------------------------------------

    def idempotency_record(self, request_id: str) -> Row[Any] | None:
        return self.conn.execute(
            select(t.idempotency_keys).where(
                self._tenant(t.idempotency_keys), t.idempotency_keys.c.request_id == request_id
            )
        ).first()

    def insert_idempotency_record(
        self, request_id: str, method: str, fingerprint: str, response: bytes
    ) -> None:
        self.conn.execute(
            insert(t.idempotency_keys).values(
                tenant_id=self.tenant_id,
                request_id=request_id,
                method=method,
                fingerprint=fingerprint,
                response=response,
                create_us=now_us(),
            )
        )

    def set_idempotency_response(self, request_id: str, response: bytes) -> None:
        self.conn.execute(
            update(t.idempotency_keys)
            .where(self._tenant(t.idempotency_keys), t.idempotency_keys.c.request_id == request_id)
            .values(response=response)
        )
