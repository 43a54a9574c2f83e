"""Fresh databases for tests: a SQLite file, or a PostgreSQL database created for the test.

PostgreSQL is found through CASHAPP_TEST_POSTGRES_URL or the file `make postgres` writes; with
CASHAPP_REQUIRE_POSTGRES=1 (CI) its absence fails instead of skipping.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

_URL_FILE = Path(__file__).resolve().parents[1] / ".postgres-test-url"
POSTGRES_URL = os.environ.get("CASHAPP_TEST_POSTGRES_URL") or (
    _URL_FILE.read_text().strip() if _URL_FILE.exists() else ""
)
REQUIRE_POSTGRES = os.environ.get("CASHAPP_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgres"]
DROP_ATTEMPTS = 20
DROP_RETRY_SECONDS = 0.5


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
        _drop(admin, name)
        admin.dispose()


def _drop(admin: Engine, name: str) -> None:
    """DROP DATABASE ... WITH (FORCE), retried: it fails with InsufficientPrivilege while an
    autovacuum worker (a superuser process, which our role may not terminate) is on the
    database, and that worker leaves within moments."""
    for attempt in range(DROP_ATTEMPTS):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except ProgrammingError:
            if attempt == DROP_ATTEMPTS - 1:
                raise
            time.sleep(DROP_RETRY_SECONDS)


def database(backend: str, directory: Path) -> Iterator[str]:
    """A fresh database URL on `backend` ("sqlite" or "postgres")."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'cashapp.db'}"
    else:
        yield from postgres_database()
