"""End-to-end throughput benchmarks: a real embedded server, the Python client, a seeded book."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

URL_FILE = Path(__file__).resolve().parents[2] / ".postgres-test-url"


def postgres_admin_url() -> str:
    """The PostgreSQL server `make postgres` prepared, if any (the benchmark then runs on it too)."""
    return os.environ.get("CASHAPP_TEST_POSTGRES_URL") or (
        URL_FILE.read_text().strip() if URL_FILE.exists() else ""
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["sqlite", "postgres"] if postgres_admin_url() else ["sqlite"])
