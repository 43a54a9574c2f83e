"""sqlite_page_cache: a larger page cache on SQLite for one block of a transaction (a bank file's
import), put back as it was after the block whether it ended well or not; nothing on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from engine.storage.db import Database, sqlite_page_cache
from tests.databases import postgres_database

IMPORT_KIB = 4096


def _cache_size(conn: Connection) -> int:
    return int(conn.execute(text("PRAGMA cache_size")).scalar_one())


def test_the_cache_is_larger_inside_the_block_and_as_before_after_it_even_after_a_failure(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path}/cache.db")
    try:
        with db.engine.begin() as conn:
            before = _cache_size(conn)
            with sqlite_page_cache(conn, IMPORT_KIB):
                assert _cache_size(conn) == -IMPORT_KIB
            assert _cache_size(conn) == before
            with pytest.raises(ValueError, match="refused"), sqlite_page_cache(conn, IMPORT_KIB):
                raise ValueError("refused")
            assert _cache_size(conn) == before
            # The pooled connection's next user gets the cache SQLite gave it, too.
        with db.engine.begin() as conn:
            assert _cache_size(conn) == before
    finally:
        db.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_database()


def test_on_postgresql_nothing_is_set(postgres_url: str) -> None:
    db = Database(postgres_url)
    try:
        with db.engine.begin() as conn, sqlite_page_cache(conn, IMPORT_KIB):
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        db.dispose()
