"""End to end in a real browser: Debian's Chromium, driven by Playwright, against a seeded real
server and the console served by uvicorn. Resolves ten exceptions by keyboard and checks the
ledger, uploads a camt.053, reads the overview's charts back against the reports, and runs
axe-core on the two main pages.

Skipped without /usr/bin/chromium, unless CASHAPP_REQUIRE_BROWSER=1 (CI), where that fails.
Screenshots go to CASHAPP_SCREENSHOT_DIR (CI keeps that folder), else to the test's tmp dir."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from cashapp_client import Client, PaymentTerms, money
from console.app import create_app
from console.display import amount_text
from console.overview import BUCKETS
from console.web import ConsoleConfig
from server.app import run_in_thread
from server.config import Settings
from tests.console.conftest import clerks
from tests.console.helpers import PASSWORDS, TODAY, TOKENS
from tests.e2e.conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("CASHAPP_REQUIRE_BROWSER") == "1"
HERE = Path(__file__).resolve().parent
AXE = HERE / "vendor" / "axe.min.js"
CAMT053 = HERE.parents[0] / "fixtures" / "ingest" / "camt" / "camt053_v04_batch_whole.xml"
KEYBOARD_EXCEPTIONS = 10
START_TIMEOUT_SECONDS = 30.0
STEP_TIMEOUT_MS = 20_000
# The detail pane shows the selected row's exception, settled (htmx has bound its buttons).
DETAIL_IS_THE_SELECTED_ROW = """() => {
  const row = document.querySelector('tr.qrow.selected');
  const detail = document.getElementById('detail');
  return row !== null && detail.dataset.ready === row.dataset.exceptionId;
}"""

if not CHROMIUM.exists():
    if REQUIRE_BROWSER:
        pytest.fail(f"CASHAPP_REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install -y chromium)")
    pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def seed_ambiguous_book(api: Client, count: int) -> None:
    """count customers, each with two equal invoices and one payment of that amount from the
    customer's account without a reference: each payment is ambiguous, one exception each."""
    for i in range(count):
        customer = f"C-K{i:02d}"
        account = f"77000{i:04d}"  # a plain account number (no IBAN checksum)
        api.create_customer(customer, display_name=f"Keyboard Customer {i}", payer_accounts=[account],
                            payment_terms=PaymentTerms(net_days=30))  # fmt: skip
        amount = money(f"{100 + i}.00", "EUR")
        for suffix in ("A", "B"):
            api.create_invoice(
                f"INV-K{i:02d}{suffix}", customer_id=customer, amount=amount, issue_date="2026-11-01"
            )
        api.create_payment(f"PAY-K{i:02d}", amount=amount, value_date="2026-11-10", payer_account=account)
    api.auto_apply(all_payments=True)


@dataclass
class Live:
    url: str
    api: Client
    shots: Path


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'browser.db'}", listen="127.0.0.1:0", tokens=TOKENS
    )
    with run_in_thread(settings) as running:
        target = f"127.0.0.1:{running.port}"
        config = ConsoleConfig(target=target, clerks=clerks(), secret_key="b" * 40)
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not server.started:
            assert time.monotonic() < deadline, "the console did not start"
            time.sleep(0.05)
        shots = Path(os.environ.get("CASHAPP_SCREENSHOT_DIR") or tmp_path / "screenshots")
        shots.mkdir(parents=True, exist_ok=True)
        try:
            with Client(target, token=TOKENS[0][0]) as api:
                yield Live(f"http://127.0.0.1:{port}", api, shots)
        finally:
            server.should_exit = True
            thread.join(START_TIMEOUT_SECONDS)


@pytest.fixture
def page(live: Live) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 900})
            tab.set_default_timeout(STEP_TIMEOUT_MS)
            tab.goto(f"{live.url}/login")
            tab.fill("#username", "alice")
            tab.fill("#password", PASSWORDS["alice"])
            tab.click("button[type=submit]")
            tab.wait_for_url(f"{live.url}/queue")
            yield tab
        finally:
            browser.close()


def serious_violations(tab: Any) -> list[str]:
    tab.add_script_tag(path=str(AXE))
    result = tab.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_ten_exceptions_resolved_by_keyboard_leave_a_ledger_that_holds(live: Live, page: Any) -> None:
    seed_ambiguous_book(live.api, KEYBOARD_EXCEPTIONS)
    page.goto(f"{live.url}/queue")
    assert page.locator("tr.qrow").count() == KEYBOARD_EXCEPTIONS
    page.wait_for_selector("#detail [data-key=a]")
    page.screenshot(path=str(live.shots / "console-queue.png"), full_page=True)
    for left in range(KEYBOARD_EXCEPTIONS, 0, -1):
        page.wait_for_function(DETAIL_IS_THE_SELECTED_ROW)
        page.keyboard.press("a")
        page.wait_for_function(f"document.querySelectorAll('tr.qrow').length === {left - 1}")
        page.wait_for_selector("[data-flash]")
    assert list(live.api.list_exceptions()) == []
    for i in range(KEYBOARD_EXCEPTIONS):
        assert live.api.get_payment(f"PAY-K{i:02d}").unapplied_amount.amount_minor == 0
    report = live.api.get_reconciliation_report()
    assert report.all_passed


def test_keyboard_moves_the_selection_and_slash_focuses_search(live: Live, page: Any) -> None:
    seed_ambiguous_book(live.api, 3)
    page.goto(f"{live.url}/queue")
    page.wait_for_selector("tr.qrow.selected")
    first = page.get_attribute("tr.qrow.selected", "data-exception-id")
    page.keyboard.press("j")
    page.wait_for_function(f"document.querySelector('tr.qrow.selected').dataset.exceptionId !== '{first}'")
    page.keyboard.press("k")
    page.wait_for_function(f"document.querySelector('tr.qrow.selected').dataset.exceptionId === '{first}'")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "f-q"
    page.keyboard.press("Escape")
    page.wait_for_function(DETAIL_IS_THE_SELECTED_ROW)  # a later swap would take the focus away
    page.keyboard.press("e")
    assert page.evaluate("document.activeElement.name") == "invoice_id"


def test_upload_a_camt053_from_the_browser(live: Live, page: Any) -> None:
    page.goto(f"{live.url}/imports")
    page.set_input_files("#file", str(CAMT053))
    page.select_option("#format", "camt.053")
    page.click("#upload button[type=submit]")
    created = int(page.text_content("[data-created]", timeout=STEP_TIMEOUT_MS) or "0")
    entries = int(page.text_content("[data-entries]") or "0")
    assert created > 0 and entries >= created
    assert sum(1 for _ in live.api.list_payments()) == created


def test_overview_charts_match_the_reports(live: Live, page: Any) -> None:
    seed_ambiguous_book(live.api, 3)
    page.goto(f"{live.url}/overview")
    page.screenshot(path=str(live.shots / "console-overview.png"), full_page=True)
    aging = live.api.get_aging_report(TODAY)
    for total in aging.totals:
        bars = page.eval_on_selector_all(
            f"#aging-{total.currency_code} g.bar", "gs => gs.map(g => [g.dataset.label, g.dataset.value])"
        )
        shown = {unescape(label): value for label, value in bars}
        assert shown == {
            label: amount_text(getattr(total.receivables, n), total.currency_code) for label, n in BUCKETS
        }
    rate = live.api.get_match_rate_report(TODAY, TODAY).envelope
    today_bar = page.get_attribute(f'#match-rate g.bar[data-label="{TODAY.isoformat()}"]', "data-value")
    assert today_bar == (rate.percent or "0")


def test_queue_and_overview_have_no_serious_accessibility_violations(live: Live, page: Any) -> None:
    seed_ambiguous_book(live.api, 2)
    page.goto(f"{live.url}/queue")
    page.wait_for_selector("#detail [data-key=a]")
    assert serious_violations(page) == []
    page.goto(f"{live.url}/overview")
    assert serious_violations(page) == []
