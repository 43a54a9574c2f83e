"""What every part of the repository shares: the transaction, the tenant scope, paging, and
the normalizations the stored keys are made with."""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Dialect, Row, Table, select
from sqlalchemy.sql.elements import ColumnElement

from engine import validate as v
from engine.errors import InvalidArgument
from engine.matching.references import remittance_tokens
from engine.storage import tables as t
from engine.storage.pagination import decode_token, encode_token, page_size_or_default


def now_us() -> int:
    return time.time_ns() // 1000


def payer_account_key_of(raw: str) -> str:
    """The payer account normalized as payer_accounts.account_key; "" when absent or malformed
    (a malformed payer account identifies nobody)."""
    try:
        return v.account_key(raw, "payer_account") if raw else ""
    except InvalidArgument:
        return ""


def reference_keys_of(references: tuple[str, ...], remittance_info: str) -> list[str]:
    """The distinct reference keys of a payment's remittance, as matching computes them. A key
    longer than any invoice id can name no invoice and is not stored."""
    keys = {token.key for token in remittance_tokens(references, remittance_info)}
    return sorted(k for k in keys if len(k) <= t.ID)


_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@cache
def _insert_sql(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> str:
    """INSERT INTO table (columns) VALUES (?, ...) in the driver's own paramstyle, built once per
    dialect, table and columns; names quoted by the dialect ("references" is a reserved word).
    Every column must be written: a column added later and forgotten here fails at once rather
    than being left to its default."""
    if set(columns) != set(table.c.keys()):
        raise AssertionError(
            f"{table.name}: every column is written ({sorted(set(table.c.keys()) ^ set(columns))})"
        )
    quote = dialect.identifier_preparer.quote
    mark = _PLACEHOLDERS[dialect.paramstyle]
    names = ", ".join(quote(c) for c in columns)
    return f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join([mark] * len(columns))})"


class ConcurrentChange(Exception):
    """A guarded update matched no row: another transaction changed the balance first."""


class StoreBase:
    """The tenant's data as seen from one transaction: the connection and the tenant scope."""

    def __init__(self, conn: Connection, tenant_id: str) -> None:
        self.conn = conn
        self.tenant_id = tenant_id

    def _insert_many(self, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
        """Inserts plain tuples (the tenant id first, then `columns`) straight through the
        driver's executemany: the hot append paths (journal, applications, decisions) skip the
        per-row dict, SQLAlchemy's statement and parameter processing. Only for columns whose
        values the driver takes as they are (str, int, None)."""
        self._insert_rows(table, ("tenant_id", *columns), [(self.tenant_id, *row) for row in rows])

    def _insert_rows(self, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
        """One executemany of positional rows straight to the driver (sqlite3, or psycopg's
        pipelined executemany on PostgreSQL), on the transaction's own connection."""
        if rows:
            self.conn.exec_driver_sql(_insert_sql(self.conn.dialect, table, columns), list(rows))

    def _tenant(self, table: Any) -> ColumnElement[bool]:
        return table.c.tenant_id == self.tenant_id  # type: ignore[no-any-return]

    def _page(
        self,
        table: Any,
        key: Any,
        where: list[ColumnElement[bool]],
        page_size: int,
        page_token: str,
        filters: object,
    ) -> tuple[list[Row[Any]], str]:
        size = page_size_or_default(page_size)
        after = decode_token(page_token, filters)
        query = select(table).where(self._tenant(table), *where)
        if after is not None:
            query = query.where(key > after)
        rows = self.conn.execute(query.order_by(key).limit(size + 1)).all()
        if len(rows) <= size:
            return list(rows), ""
        rows = rows[:size]
        return list(rows), encode_token(getattr(rows[-1], key.name), filters)
