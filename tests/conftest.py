"""Fixtures shared by every test directory. Each test gets a database of its own, on SQLite and
on PostgreSQL (see tests/databases.py for how PostgreSQL is found)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import BACKENDS, database


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each backend."""
    yield from database(request.param, tmp_path)
