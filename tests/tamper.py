"""Tampering with a database as its owner would: the append-only guards (triggers) lifted for one
transaction, the SQL run, the guards put back before the commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

from engine.storage.append_only import create_statements, drop_statements


@contextmanager
def guards_lifted(engine: Engine) -> Iterator[Connection]:
    """A transaction in which the append-only triggers do not exist (DDL is transactional on
    SQLite and PostgreSQL, so no other transaction ever sees them missing)."""
    dialect = engine.dialect.name
    with engine.begin() as conn:
        for statement in drop_statements(dialect):
            conn.execute(text(statement))
        yield conn
        for statement in create_statements(dialect):
            conn.execute(text(statement))


def tamper(engine: Engine, *statements: str) -> None:
    with guards_lifted(engine) as conn:
        for sql in statements:
            conn.execute(text(sql))
