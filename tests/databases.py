"""Fresh databases for tests: a SQLite file, or a PostgreSQL database created for the test.

PostgreSQL is found through CASHAPP_TEST_POSTGRES_URL or the file `make postgres` writes; with
CASHAPP_REQUIRE_POSTGRES=1 (CI) its absence fails instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

_URL_FILE = Path(__file__).resolve().parents[1] / ".postgres-test-url"
POSTGRES_URL = os.environ.get("CASHAPP_TEST_POSTGRES_URL") or (
    _URL_FILE.read_text().strip() if _URL_FILE.exists() else ""
)
REQUIRE_POSTGRES = os.environ.get("CASHAPP_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgres"]


def postgres_database() -> Iterator[str]:
    """Creates a database, yields its URL, drops it; skips (or fails in CI) without a server."""
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("CASHAPP_REQUIRE_POSTGRES=1 but no PostgreSQL URL: run `make postgres`")
        pytest.skip("PostgreSQL tests need `make postgres` or CASHAPP_TEST_POSTGRES_URL")
    name = f"cashapp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def database(backend: str, directory: Path) -> Iterator[str]:
    """A fresh database URL on `backend` ("sqlite" or "postgres")."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'cashapp.db'}"
    else:
        yield from postgres_database()
