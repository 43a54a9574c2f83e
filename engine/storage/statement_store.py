"""What the bank-file importer keeps beside payments: the files imported (by SHA-256, with their
summary), remittance advice held until its payment arrives (or linked to it), and returns whose
payment was not found. Set-based like the rest: one query per chunk of keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update

from engine import model as m
from engine.storage import tables as t
from engine.storage.remittance_json import lines_from_json, lines_to_json
from engine.storage.store_base import StoreBase

# Keys per IN (...) query: well below SQLite's bound-parameter limit.
KEY_CHUNK = 500
HELD = "HELD"
LINKED = "LINKED"


@dataclass(frozen=True, slots=True)
class Advice:
    """One remittance advice entry and the keys it names its payment by."""

    advice_id: str
    bank_reference: str
    end_to_end_id: str
    batch_id: str
    currency: str
    amount_minor: int
    value_date: dt.date
    lines: tuple[m.RemittanceLine, ...]
    text: str
    location: str


@dataclass(frozen=True, slots=True)
class UnmatchedReturn:
    return_id: str
    currency: str
    amount_minor: int
    value_date: dt.date
    original_reference: str
    return_reason: str
    reason: str  # why it could not be applied to a payment
    location: str


@dataclass(frozen=True, slots=True)
class StatementFile:
    sha256: str
    format: str
    file_name: str
    byte_count: int
    summary_json: str
    create_us: int


class StatementStore(StoreBase):
    """Imported files, held and linked advice, unmatched returns."""

    def statement_file(self, sha256: str) -> StatementFile | None:
        c = t.statement_files.c
        row = self.conn.execute(
            select(t.statement_files).where(self._tenant(t.statement_files), c.sha256 == sha256)
        ).first()
        if row is None:
            return None
        return StatementFile(
            row.sha256, row.format, row.file_name, row.byte_count, row.summary, row.create_us
        )

    def insert_statement_file(self, file: StatementFile, *, entry_count: int, created_count: int) -> None:
        self.conn.execute(
            insert(t.statement_files).values(
                tenant_id=self.tenant_id,
                sha256=file.sha256,
                format=file.format,
                file_name=file.file_name,
                byte_count=file.byte_count,
                entry_count=entry_count,
                created_count=created_count,
                summary=file.summary_json,
                create_us=file.create_us,
            )
        )

    def _existing(self, table: Any, key: Any, ids: Iterable[str]) -> set[str]:
        wanted = sorted(set(ids))
        found: set[str] = set()
        for start in range(0, len(wanted), KEY_CHUNK):
            chunk = wanted[start : start + KEY_CHUNK]
            found.update(self.conn.execute(select(key).where(self._tenant(table), key.in_(chunk))).scalars())
        return found

    def known_advice_ids(self, ids: Iterable[str]) -> set[str]:
        return self._existing(t.remittance_advice, t.remittance_advice.c.advice_id, ids)

    def known_unmatched_return_ids(self, ids: Iterable[str]) -> set[str]:
        return self._existing(t.unmatched_returns, t.unmatched_returns.c.return_id, ids)

    def insert_advice(
        self, advice: Sequence[Advice], linked_to: Mapping[str, str], file_sha256: str, now: int
    ) -> None:
        """Each advice as LINKED to linked_to[advice_id] or, when absent there, HELD."""
        if not advice:
            return
        self.conn.execute(
            insert(t.remittance_advice),
            [
                {
                    "tenant_id": self.tenant_id,
                    "advice_id": a.advice_id,
                    "state": LINKED if a.advice_id in linked_to else HELD,
                    "payment_id": linked_to.get(a.advice_id),
                    "bank_reference": a.bank_reference,
                    "end_to_end_id": a.end_to_end_id,
                    "batch_id": a.batch_id,
                    "currency": a.currency,
                    "amount_minor": a.amount_minor,
                    "value_date": a.value_date.isoformat(),
                    "remittance_lines": lines_to_json(a.lines),
                    "remittance_text": a.text,
                    "file_sha256": file_sha256,
                    "location": a.location[:512],
                    "create_us": now,
                    "link_us": now if a.advice_id in linked_to else None,
                }
                for a in advice
            ],
        )

    def held_advice(
        self, bank_references: Iterable[str], end_to_end_ids: Iterable[str], batch_ids: Iterable[str]
    ) -> list[Advice]:
        """HELD advice naming any of the keys, oldest first (three indexed look-ups per chunk).
        A tenant with no advice held is answered by one look-up, and a bank file's keys (three
        queries per KEY_CHUNK of its payments) are not sent at all."""
        c = t.remittance_advice.c
        held = select(c.advice_id).where(self._tenant(t.remittance_advice), c.state == HELD).limit(1)
        if self.conn.execute(held).first() is None:
            return []
        found: dict[str, Row[Any]] = {}
        for column, values in (
            (c.bank_reference, bank_references),
            (c.end_to_end_id, end_to_end_ids),
            (c.batch_id, batch_ids),
        ):
            wanted = sorted(set(values) - {""})
            for start in range(0, len(wanted), KEY_CHUNK):
                chunk = wanted[start : start + KEY_CHUNK]
                query = select(t.remittance_advice).where(
                    self._tenant(t.remittance_advice), c.state == HELD, column.in_(chunk)
                )
                for row in self.conn.execute(query):
                    found.setdefault(row.advice_id, row)
        rows = sorted(found.values(), key=lambda r: (r.create_us, r.advice_id))
        return [_advice(r) for r in rows]

    def link_held_advice(self, linked_to: Mapping[str, str], now: int) -> None:
        """HELD -> LINKED for each advice_id -> payment_id, in one executemany."""
        if not linked_to:
            return
        c = t.remittance_advice.c
        self.conn.execute(
            update(t.remittance_advice)
            .where(self._tenant(t.remittance_advice), c.advice_id == bindparam("aid"), c.state == HELD)
            .values(state=LINKED, payment_id=bindparam("pid"), link_us=now),
            [{"aid": a, "pid": p} for a, p in sorted(linked_to.items())],
        )

    def advice_payment_ids(self, advice_ids: Iterable[str]) -> list[str]:
        """The payments the named advice was linked to (held advice has none)."""
        c = t.remittance_advice.c
        wanted = sorted(set(advice_ids))
        found: list[str] = []
        for start in range(0, len(wanted), KEY_CHUNK):
            query = select(c.payment_id).where(
                self._tenant(t.remittance_advice),
                c.advice_id.in_(wanted[start : start + KEY_CHUNK]),
                c.state == LINKED,
            )
            found += [pid for pid in self.conn.execute(query).scalars() if pid]
        return sorted(set(found))

    def held_advice_count(self) -> int:
        c = t.remittance_advice.c
        query = select(func.count()).where(self._tenant(t.remittance_advice), c.state == HELD)
        return int(self.conn.execute(query).scalar_one())

    def insert_unmatched_returns(
        self, returns: Sequence[UnmatchedReturn], file_sha256: str, now: int
    ) -> None:
        if not returns:
            return
        self.conn.execute(
            insert(t.unmatched_returns),
            [
                {
                    "tenant_id": self.tenant_id,
                    "return_id": r.return_id,
                    "currency": r.currency,
                    "amount_minor": r.amount_minor,
                    "value_date": r.value_date.isoformat(),
                    "original_reference": r.original_reference,
                    "return_reason": r.return_reason[:64],
                    "reason": r.reason[:512],
                    "file_sha256": file_sha256,
                    "location": r.location[:512],
                    "create_us": now,
                }
                for r in returns
            ],
        )

    def unmatched_returns(self) -> list[UnmatchedReturn]:
        rows = self.conn.execute(
            select(t.unmatched_returns)
            .where(self._tenant(t.unmatched_returns))
            .order_by(t.unmatched_returns.c.create_us, t.unmatched_returns.c.return_id)
        )
        return [
            UnmatchedReturn(
                r.return_id,
                r.currency,
                r.amount_minor,
                dt.date.fromisoformat(r.value_date),
                r.original_reference,
                r.return_reason,
                r.reason,
                r.location,
            )
            for r in rows
        ]


def _advice(r: Row[Any]) -> Advice:
    return Advice(
        advice_id=r.advice_id,
        bank_reference=r.bank_reference,
        end_to_end_id=r.end_to_end_id,
        batch_id=r.batch_id,
        currency=r.currency,
        amount_minor=r.amount_minor,
        value_date=dt.date.fromisoformat(r.value_date),
        lines=lines_from_json(r.remittance_lines),
        text=r.remittance_text,
        location=r.location,
    )
