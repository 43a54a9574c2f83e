"""Fixtures shared by every test directory: database backends and an embedded real server.

Backends: `sqlite` always; `postgres` when CASHAPP_TEST_POSTGRES_URL points at a server where the
user may create databases (CI sets it and forbids skipping with CASHAPP_REQUIRE_POSTGRES=1).
Each test gets a database of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

_URL_FILE = Path(__file__).resolve().parents[1] / ".postgres-test-url"  # written by `make postgres`
POSTGRES_URL = os.environ.get("CASHAPP_TEST_POSTGRES_URL") or (
    _URL_FILE.read_text().strip() if _URL_FILE.exists() else ""
)
REQUIRE_POSTGRES = os.environ.get("CASHAPP_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgres"]


def _postgres_database() -> Iterator[str]:
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


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cashapp.db'}"
    else:
        yield from _postgres_database()
