"""The journal (hash-chained per tenant, engine.journal_chain) and the idempotency records."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any

from sqlalchemy import Row, insert, select, update

from engine import journal_chain as chain
from engine.ledger import JournalEntry
from engine.storage import tables as t
from engine.storage.claim_store import ClaimStore
from engine.storage.store_base import ConcurrentChange, now_us

# Rows fetched per round trip when the chain is verified.
JOURNAL_STREAM_ROWS = 1000


def _chained(first: Any, lines: list[chain.StoredLine]) -> chain.ChainedEntry:
    """An entry of the chain from its first joined row and its lines."""
    entry = chain.StoredEntry(first[3], first[4], first[5], first[6], first[7], tuple(lines))
    return chain.ChainedEntry(first[0], first[1], first[2], entry)


class JournalStore(ClaimStore):
    """The journal and the idempotency records."""

    def insert_journal(self, entries: Sequence[JournalEntry]) -> None:
        """Appends journal entries and their lines to the tenant's hash chain: the head row is
        locked (PostgreSQL; SQLite writers are serialised by BEGIN IMMEDIATE), the entries get
        the next sequence numbers in the given order, and the head moves to the last one.
        One small read, two executemany calls straight through the driver and one update."""
        if not entries:
            return
        head = self._lock_head()
        entry_rows, line_rows, last = chain.rows(self.tenant_id, head, entries)
        self._insert_many(
            t.journal_entries,
            ("entry_id", "kind", "reverses_entry_id", "memo", "create_us", "seq", "prev_hash", "entry_hash"),
            entry_rows,
        )
        self._insert_many(
            t.journal_lines,
            (
                "entry_id",
                "line_no",
                "account",
                "currency",
                "amount_minor",
                "customer_id",
                "invoice_id",
                "payment_id",
            ),
            line_rows,
        )
        moved = self.conn.execute(
            update(t.journal_heads)
            .where(self._tenant(t.journal_heads), t.journal_heads.c.seq == head.seq)
            .values(seq=last.seq, entry_hash=last.entry_hash)
        )
        if moved.rowcount != 1:
            raise ConcurrentChange("the journal head moved under a locked append")

    def _lock_head(self) -> chain.Head:
        """The tenant's chain head, row-locked; created at the genesis for a tenant's first entry
        (two first writers conflict on its primary key, and the loser is re-run)."""
        h = t.journal_heads.c
        row = self.conn.execute(
            select(h.seq, h.entry_hash).where(self._tenant(t.journal_heads)).with_for_update()
        ).first()
        if row is not None:
            return chain.Head(row.seq, row.entry_hash)
        genesis = chain.Head(0, chain.GENESIS_HASH)
        self.conn.execute(
            insert(t.journal_heads).values(tenant_id=self.tenant_id, seq=0, entry_hash=genesis.entry_hash)
        )
        return genesis

    def journal_head(self) -> chain.Head | None:
        h = t.journal_heads.c
        row = self.conn.execute(select(h.seq, h.entry_hash).where(self._tenant(t.journal_heads))).first()
        return chain.Head(row.seq, row.entry_hash) if row else None

    def journal_chain(self) -> Iterator[chain.ChainedEntry]:
        """Every entry of the tenant with its lines, in chain order, streamed (JOURNAL_STREAM_ROWS
        rows at a time): the report verifies the chain without holding the journal in memory."""
        je, jl = t.journal_entries.c, t.journal_lines.c
        link = (je.seq, je.prev_hash, je.entry_hash)
        content = (je.entry_id, je.kind, je.reverses_entry_id, je.memo, je.create_us)
        line = (
            jl.line_no,
            jl.account,
            jl.currency,
            jl.amount_minor,
            jl.customer_id,
            jl.invoice_id,
            jl.payment_id,
        )
        query = (
            select(*link, *content, *line)
            .select_from(
                t.journal_entries.outerjoin(
                    t.journal_lines, (jl.tenant_id == je.tenant_id) & (jl.entry_id == je.entry_id)
                )
            )
            .where(je.tenant_id == self.tenant_id)
            .order_by(je.seq, je.entry_id, jl.line_no)
        )
        # A statement option: Connection.execution_options would stream every later statement too.
        rows = self.conn.execute(query, execution_options={"yield_per": JOURNAL_STREAM_ROWS}).tuples()
        # Positions, not names, and a plain loop rather than itertools.groupby with a key function:
        # the report reads every line of the journal through here (the grouping was a third of
        # the chain check's Python time).
        first: Any = None
        lines: list[chain.StoredLine] = []
        for r in rows:
            if first is None or r[0] != first[0] or r[3] != first[3]:
                if first is not None:
                    yield _chained(first, lines)
                first, lines = r, []
            if r[8] is not None:
                lines.append(chain.StoredLine(r[8], r[9], r[10], r[11], r[12], r[13], r[14]))
        if first is not None:
            yield _chained(first, lines)

    def orphan_journal_lines(self) -> list[tuple[str, chain.StoredLine]]:
        """Lines whose entry does not exist (the chain cannot see them), with their entry ids, in
        entry and line order. None in an intact journal; all of them otherwise, because the
        report's totals cover every line."""
        je, jl = t.journal_entries.c, t.journal_lines.c
        missing = (
            ~select(je.entry_id).where(je.tenant_id == jl.tenant_id, je.entry_id == jl.entry_id).exists()
        )
        rows = self.conn.execute(
            select(jl.entry_id, jl.line_no, jl.account, jl.currency, jl.amount_minor, jl.customer_id,
                   jl.invoice_id, jl.payment_id)
            .where(jl.tenant_id == self.tenant_id, missing)
            .order_by(jl.entry_id, jl.line_no)
        ).tuples()  # fmt: skip
        return [(r[0], chain.StoredLine(*r[1:])) for r in rows]

    # --- idempotency -----------------------------------------------------------------------

    def idempotency_record(self, request_id: str) -> Row[Any] | None:
        return self.conn.execute(
            select(t.idempotency_keys).where(
                self._tenant(t.idempotency_keys), t.idempotency_keys.c.request_id == request_id
            )
        ).first()

    def idempotency_records(self, request_ids: Collection[str]) -> dict[str, Row[Any]]:
        """The records of these request_ids that exist, in one read (a batch of creates)."""
        if not request_ids:
            return {}
        rows = self.conn.execute(
            select(t.idempotency_keys).where(
                self._tenant(t.idempotency_keys), t.idempotency_keys.c.request_id.in_(sorted(request_ids))
            )
        )
        return {row.request_id: row for row in rows}

    def insert_idempotency_records(self, records: Sequence[tuple[str, str, str, bytes]]) -> None:
        """(request_id, method, fingerprint, response) each, in one statement."""
        if not records:
            return
        create_us = now_us()
        self.conn.execute(
            insert(t.idempotency_keys),
            [
                {
                    "tenant_id": self.tenant_id,
                    "request_id": request_id,
                    "method": method,
                    "fingerprint": fingerprint,
                    "response": response,
                    "create_us": create_us,
                }
                for request_id, method, fingerprint, response in records
            ],
        )

    def insert_idempotency_record(
        self, request_id: str, method: str, fingerprint: str, response: bytes
    ) -> None:
        self.insert_idempotency_records([(request_id, method, fingerprint, response)])

    def set_idempotency_response(self, request_id: str, response: bytes) -> None:
        self.conn.execute(
            update(t.idempotency_keys)
            .where(self._tenant(t.idempotency_keys), t.idempotency_keys.c.request_id == request_id)
            .values(response=response)
        )
