"""What every part of the repository shares: the transaction, the tenant scope, paging, and
the normalizations the stored keys are made with."""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from functools import cache
from typing import Any

from opentelemetry import trace
from sqlalchemy import Connection, Dialect, Row, Table, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import ColumnElement

from engine import validate as v
from engine.errors import InvalidArgument
from engine.matching.references import remittance_keys
from engine.storage import tables as t
from engine.storage.pagination import decode_token, encode_token, page_size_or_default
from engine.telemetry import tracer


def now_us() -> int:
    return time.time_ns() // 1000


# Payer accounts whose key is kept: the same accounts pay file after file and round after round,
# and each key is an IBAN checksum (python-stdnum): storing, matching and the alert detector all
# ask for it, so one cache serves them.
ACCOUNT_KEY_CACHE_SIZE = 1 << 16


@functools.lru_cache(maxsize=ACCOUNT_KEY_CACHE_SIZE)
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
    return sorted(k for k in remittance_keys(references, remittance_info) if len(k) <= t.ID)


_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
# Rows from which an insert on PostgreSQL streams through COPY instead of executemany. COPY
# carries every row in one protocol exchange (no statement per row, no per-row parse and bind
# on the server), which pays from a few dozen rows on; below this an executemany of a handful
# of rows costs no more, and keeps the small writes on the path every statement takes.
COPY_MIN_ROWS = 64


def _column_names(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> str:
    """The columns quoted by the dialect ("references" is a reserved word). Every column must be
    written: a column added later and forgotten here fails at once rather than being left to its
    default."""
    if set(columns) != set(table.c.keys()):
        raise AssertionError(
            f"{table.name}: every column is written ({sorted(set(table.c.keys()) ^ set(columns))})"
        )
    return ", ".join(dialect.identifier_preparer.quote(c) for c in columns)


@cache
def _insert_sql(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> str:
    """INSERT INTO table (columns) VALUES (?, ...) in the driver's own paramstyle, built once per
    dialect, table and columns."""
    mark = _PLACEHOLDERS[dialect.paramstyle]
    names = _column_names(dialect, table, columns)
    quoted = dialect.identifier_preparer.quote(table.name)
    return f"INSERT INTO {quoted} ({names}) VALUES ({', '.join([mark] * len(columns))})"


@cache
def _copy_sql(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> str:
    """COPY table (columns) FROM STDIN (PostgreSQL's text format), built once per table and columns."""
    quoted = dialect.identifier_preparer.quote(table.name)
    return f"COPY {quoted} ({_column_names(dialect, table, columns)}) FROM STDIN"


def _copy_span(conn: Connection, statement: str, rows: int) -> AbstractContextManager[trace.Span]:
    """A COPY goes past SQLAlchemy's cursor events, so the SQL instrumentation never sees it: its
    span is made here, named and attributed as that instrumentation names a statement's
    ("COPY <database>", db.system, db.name, db.statement), so a trace of an import shows where
    its rows went; a failed COPY is recorded on it (start_as_current_span records the error)."""
    database = conn.engine.url.database or ""
    attributes = {"db.system": "postgresql", "db.name": database, "db.statement": statement}
    return tracer.start_as_current_span(
        f"COPY {database}".strip(),
        kind=trace.SpanKind.CLIENT,
        attributes={**attributes, "cashapp.rows": rows},
    )


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
        """Positional rows straight to the driver, on the transaction's own connection: one
        executemany (sqlite3, or psycopg's pipelined executemany for a few rows on PostgreSQL),
        or one COPY for COPY_MIN_ROWS rows or more on PostgreSQL."""
        if not rows:
            return
        dialect = self.conn.dialect
        if dialect.name == "postgresql" and len(rows) >= COPY_MIN_ROWS:
            self._copy_rows(_copy_sql(dialect, table, columns), rows)
        else:
            self.conn.exec_driver_sql(_insert_sql(dialect, table, columns), list(rows))

    def _update_many(self, statement: UpdateBase, rows: Sequence[Mapping[str, Any]]) -> int:
        """An UPDATE (or DELETE) run once per row in one executemany straight through the driver,
        and the rows it changed in all. SQLAlchemy compiles the statement once and builds no
        parameters per row (its per-row parameter processing cost about as much as the driver's
        statement itself); each row's values join the statement's own (the tenant). Only for
        values the driver takes as they are (str, int, bool, None)."""
        if not rows:
            return 0
        compiled = statement.compile(dialect=self.conn.dialect)
        own = compiled.construct_params(rows[0])  # the statement's own values, and the first row's
        if compiled.positiontup is not None:  # qmark (sqlite3): a tuple per row, in bind order
            order = compiled.positiontup
            params: list[Any] = [tuple(row[n] if n in row else own[n] for n in order) for row in rows]
        else:  # pyformat (psycopg): a dict per row
            params = [{**own, **row} for row in rows]
        result = self.conn.exec_driver_sql(str(compiled), params)
        return int(result.rowcount)

    def _copy_rows(self, statement: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """COPY ... FROM STDIN through psycopg's Copy.write_row, on the driver connection under
        this transaction (so a refusal later in it still rolls the rows back). Values are adapted
        as for a query (str, int, bool, None). A driver error is wrapped as SQLAlchemy wraps those
        of any statement, so a duplicate key is still an IntegrityError that Database.transact
        re-runs and an outage is still recognised as one."""
        driver = self.conn.connection.driver_connection
        assert driver is not None  # a connection inside a transaction is checked out
        try:
            span = _copy_span(self.conn, statement, len(rows))
            with span, driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except self.conn.dialect.loaded_dbapi.Error as exc:
            # A lost connection is dropped from the pool, as SQLAlchemy does for its statements.
            lost = bool(self.conn.dialect.is_disconnect(exc, driver, None))
            if lost:
                self.conn.invalidate(exc)
            raise DBAPIError.instance(
                statement,
                None,
                exc,
                self.conn.dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=self.conn.dialect,
            ) from exc

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
