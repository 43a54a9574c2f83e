"""An embedded real server per test, on SQLite and on PostgreSQL, reached through the Python
client; after every scenario the ledger invariants must hold and the aging must add up to the
ledger's net receivable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cashapp_client import Client, ReconciliationReport
from engine.app import CashApp
from engine.storage.db import Database
from server.app import Running, run_in_thread
from server.config import Settings


@pytest.fixture
def app(database_url: str) -> Iterator[CashApp]:
    """The engine in process on a migrated database of each backend (database_url's)."""
    db = Database(database_url)
    db.migrate()
    try:
        yield CashApp(db)
    finally:
        db.dispose()


@pytest.fixture
def server(database_url: str) -> Iterator[Running]:
    with run_in_thread(Settings(database_url=database_url, listen="127.0.0.1:0")) as running:
        yield running


@pytest.fixture
def target(server: Running) -> str:
    return f"127.0.0.1:{server.port}"


# Marks a test that stores rows dated beyond the dates the API accepts (after LATEST_DATE): no
# aging can be asked as of a date that includes them.
BEYOND_API_DATES = "rows_beyond_api_dates"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{BEYOND_API_DATES}: the test stores rows dated after 2999-12-31")


@pytest.fixture
def client(target: str, request: pytest.FixtureRequest) -> Iterator[Client]:
    with Client(target, timeout_seconds=30) as c:
        yield c
        report = c.get_reconciliation_report()
        failed = {check.name: list(check.violations) for check in report.invariants if not check.passed}
        assert report.all_passed, f"ledger invariants broken after the scenario: {failed}"
        if request.node.get_closest_marker(BEYOND_API_DATES) is None:
            assert_aging_equals_net_receivable(c, report)


# An as-of date after every entry a test can post (entries are dated up to their posting day).
LATEST_DATE = "2999-12-31"


def assert_aging_equals_net_receivable(c: Client, report: ReconciliationReport) -> None:
    """The aging's total of each currency is the journal's AR + UNAPPLIED_CASH + ON_ACCOUNT."""
    ledger: dict[str, int] = {}
    for b in report.balances:
        if b.account in ("AR", "UNAPPLIED_CASH", "ON_ACCOUNT"):
            ledger[b.currency_code] = ledger.get(b.currency_code, 0) + b.balance_minor
    aging = c.get_aging_report(LATEST_DATE, page_size=1)
    totals = {t.currency_code: t.net_receivable_minor for t in aging.totals if t.net_receivable_minor}
    assert totals == {k: v for k, v in ledger.items() if v}, "the aging does not add up to the ledger"


# The bad-input tests share one booked server per backend for the session.
from tests.integration.bad_input_books import books  # noqa: E402, F401
