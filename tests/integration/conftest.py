"""An embedded real server per test, on SQLite and on PostgreSQL, reached through the Python
client; after every scenario the five ledger invariants must hold."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cashapp_client import Client
from server.app import Running, run_in_thread
from server.config import Settings


@pytest.fixture
def server(database_url: str) -> Iterator[Running]:
    with run_in_thread(Settings(database_url=database_url, listen="127.0.0.1:0")) as running:
        yield running


@pytest.fixture
def target(server: Running) -> str:
    return f"127.0.0.1:{server.port}"


@pytest.fixture
def client(target: str) -> Iterator[Client]:
    with Client(target, timeout_seconds=30) as c:
        yield c
        report = c.get_reconciliation_report()
        failed = {check.name: list(check.violations) for check in report.invariants if not check.passed}
        assert report.all_passed, f"ledger invariants broken after the scenario: {failed}"


# The bad-input tests share one booked server per backend for the session.
from tests.integration.bad_input_books import books  # noqa: E402, F401
