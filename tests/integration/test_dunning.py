"""Dunning through the real server on SQLite and PostgreSQL, sending to real receivers on
loopback: an SMTP server and an HTTP provider that count what they get, and a print folder.
A run twice sends nothing twice; a disputed invoice is skipped with its reason; a failing SMTP
server that recovers gets the notice exactly once; levels advance one per run."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from cashapp_client import AsyncClient, Client, PaymentTerms, dunning_level, money
from cashapp_client._proto.cashapp.v1 import dunning_service_pb2 as dn
from engine.app import CashApp
from engine.dunning import outbox
from engine.dunning.channels import ChannelSettings
from engine.storage.db import Database
from server.app import Running, run_in_thread
from server.cli import main
from server.config import Settings
from tests.dunning_servers import HttpInbox, SmtpInbox, http_provider, smtp_server
from tests.integration.conftest import assert_aging_equals_net_receivable

EMAIL, SMS, LETTER, WEBHOOK = (
    dn.DUNNING_CHANNEL_EMAIL,
    dn.DUNNING_CHANNEL_SMS,
    dn.DUNNING_CHANNEL_LETTER,
    dn.DUNNING_CHANNEL_WEBHOOK,
)
NET30 = PaymentTerms(net_days=30)


@dataclass
class World:
    client: Client
    smtp: SmtpInbox
    http: HttpInbox
    print_folder: Path
    settings: Settings
    running: Running


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    with smtp_server() as (smtp, smtp_port), http_provider() as (http, url):
        settings = Settings(
            database_url=database_url,
            listen="127.0.0.1:0",
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            dunning_http_url=url,
            print_folder=str(tmp_path / "print"),
        )
        with run_in_thread(settings) as running, Client(f"127.0.0.1:{running.port}", timeout_seconds=30) as c:
            yield World(c, smtp, http, tmp_path / "print", settings, running)
            report = c.get_reconciliation_report()
            assert report.all_passed, [i.name for i in report.invariants if not i.passed]
            assert_aging_equals_net_receivable(c, report)


def _book(c: Client) -> None:
    """Two customers with overdue EUR invoices (due 2026-10-01 and 2026-10-11), one contact each."""
    for cid, name in (("C1", "Acme GmbH"), ("C2", "Beta Ltd")):
        c.create_customer(cid, display_name=name, payment_terms=NET30)
        c.set_dunning_contact(
            cid, email=f"ap@{cid.lower()}.example", phone="+4930123456", postal_address=f"{name}\nMain St 1"
        )
    c.create_invoice("INV-1", customer_id="C1", amount=money("100.00", "EUR"), issue_date="2026-09-01")
    c.create_invoice("INV-2", customer_id="C1", amount=money("50.00", "EUR"), issue_date="2026-09-11")
    c.create_invoice("INV-3", customer_id="C2", amount=money("70.00", "EUR"), issue_date="2026-09-01")
    c.create_dunning_policy(
        "STD",
        display_name="Standard",
        currency_code="EUR",
        levels=[
            dunning_level(-3, [EMAIL], currency_code="EUR"),
            dunning_level(7, [EMAIL, SMS, WEBHOOK], currency_code="EUR", min_amount="10.00"),
            dunning_level(30, [LETTER], currency_code="EUR", fee="5.00", interest_basis_points=800),
        ],
    )


def test_a_dunning_run_twice_sends_nothing_twice(world: World) -> None:
    c = world.client
    _book(c)
    first = c.run_dunning("STD", as_of_date="2026-10-20")
    assert [(n.customer_id, n.level, [i.invoice_id for i in n.items]) for n in first.notices] == [
        ("C1", 1, ["INV-1", "INV-2"]),  # one notice listing every overdue item
        ("C2", 1, ["INV-3"]),
    ]
    assert (first.notices[0].total.currency_code, first.notices[0].total.amount_minor) == ("EUR", 15000)
    assert c.deliver_dunning_outbox().sent == 2
    again = c.run_dunning("STD", as_of_date="2026-10-20")  # the same run again, a new request
    assert not again.notices
    assert {s.reason for s in again.skips} == {dn.DUNNING_SKIP_REASON_ALREADY_AT_LEVEL}
    assert c.deliver_dunning_outbox().sent == 0
    assert len(world.smtp.messages) == 2 and not world.http.requests
    assert sorted(m["To"] for m in world.smtp.messages) == ["ap@c1.example", "ap@c2.example"]
    assert "INV-2" in world.smtp.messages[0].get_payload() or "INV-2" in world.smtp.messages[1].get_payload()
    assert len(list(c.list_dunning_notices())) == 2


def test_levels_advance_one_per_run_through_every_channel(world: World) -> None:
    c = world.client
    _book(c)
    c.run_dunning("STD", as_of_date="2026-10-20")  # level 1 for both
    # 60 days past due qualifies for level 3, but a run advances one level: 2 now, 3 next time.
    second = c.run_dunning("STD", as_of_date="2026-11-30")
    assert {n.level for n in second.notices} == {2}
    c.deliver_dunning_outbox()
    assert len(world.smtp.messages) == 4
    channels = sorted((body["channel"], body["customer_id"]) for body, _ in world.http.requests)
    assert channels == [("SMS", "C1"), ("SMS", "C2"), ("WEBHOOK", "C1"), ("WEBHOOK", "C2")]
    keys = {headers["Idempotency-Key"] for _, headers in world.http.requests}
    assert len(keys) == 4  # one key per notice and channel
    third = c.run_dunning("STD", as_of_date="2026-12-01")
    assert {n.level for n in third.notices} == {3}
    c1 = next(n for n in third.notices if n.customer_id == "C1")
    assert c1.fee.amount_minor == 500
    # 100.00 for 61 days and 50.00 for 51 days at 8% a year: 133.70 + 55.89 cents -> 1.34 + 0.56.
    assert c1.interest.amount_minor == 190
    assert c.deliver_dunning_outbox().sent == 2
    letters = sorted(world.print_folder.glob("*.pdf"))
    assert len(letters) == 2
    text = "".join(page.extract_text() for page in PdfReader(letters[0]).pages)
    assert "Main St 1" in text and "level 3" in text


def test_a_disputed_invoice_is_skipped_with_its_reason(world: World) -> None:
    c = world.client
    _book(c)
    c.open_dispute("DSP-1", invoice_id="INV-1", amount=money("20.00", "EUR"), note="damaged goods")
    result = c.run_dunning("STD", as_of_date="2026-10-20", dry_run=True)
    c1 = next(n for n in result.notices if n.customer_id == "C1")
    assert [i.invoice_id for i in c1.items] == ["INV-2"]
    (skip,) = [s for s in result.skips if s.invoice_id == "INV-1"]
    assert skip.reason == dn.DUNNING_SKIP_REASON_DISPUTED and "DSP-1" in skip.detail
    # A dry run stores and sends nothing.
    assert not list(c.list_dunning_notices())
    assert c.deliver_dunning_outbox().sent == 0 and not world.smtp.messages


def test_promises_exclusions_and_unapplied_cash_skip_the_customer(world: World) -> None:
    c = world.client
    _book(c)
    c.promise_to_pay("C1", promised_date="2026-10-25", note="pays on the 25th", currency_code="EUR")
    c.exclude_customer("C2", note="key account, handled by phone")
    result = c.run_dunning("STD", as_of_date="2026-10-20", dry_run=True)
    assert not result.notices
    assert {(s.customer_id, s.reason) for s in result.skips} == {
        ("C1", dn.DUNNING_SKIP_REASON_PROMISE_TO_PAY),
        ("C2", dn.DUNNING_SKIP_REASON_EXCLUDED_CUSTOMER),
    }
    # After the promised date the customer is dunned again, unless the money is already here.
    after = c.run_dunning("STD", as_of_date="2026-10-26", dry_run=True)
    assert [n.customer_id for n in after.notices] == ["C1"]
    c.create_payment("P-1", amount=money("150.00", "EUR"), value_date="2026-10-26", customer_id="C1")
    covered = c.run_dunning("STD", as_of_date="2026-10-26", dry_run=True)
    assert [(s.customer_id, s.reason) for s in covered.skips if s.customer_id == "C1"] == [
        ("C1", dn.DUNNING_SKIP_REASON_COVERED_BY_UNAPPLIED_CASH)
    ]


def test_a_failing_smtp_server_that_recovers_gets_the_notice_exactly_once(world: World) -> None:
    c = world.client
    _book(c)
    world.smtp.refusing = True
    c.run_dunning("STD", as_of_date="2026-10-20")
    report = c.deliver_dunning_outbox()
    assert (report.sent, report.retrying) == (0, 2)
    pending = list(c.list_dunning_deliveries(state=dn.DUNNING_DELIVERY_STATE_PENDING))
    assert {(d.attempts, "451" in d.last_error) for d in pending} == {(1, True)}
    # Not due yet (backoff): asking again sends nothing and counts no attempt.
    assert c.deliver_dunning_outbox().retrying == 0 and world.smtp.refused == 2
    world.smtp.refusing = False
    # The backoff has passed (the engine's clock is moved, not the test's).
    db = Database(world.settings.database_url)
    try:
        app = CashApp(db)
        later = max(d.next_attempt_time.ToMicroseconds() for d in pending)
        senders = ChannelSettings(
            "127.0.0.1", world.settings.smtp_port, "cashapp@localhost", world.settings.dunning_http_url,
            world.settings.print_folder,
        ).senders()  # fmt: skip
        assert outbox.deliver_due(app, "default", senders, now=later).sent == 2
        assert outbox.deliver_due(app, "default", senders, now=later + 10**9).sent == 0
    finally:
        db.dispose()
    assert len(world.smtp.messages) == 2
    sent = list(c.list_dunning_deliveries(state=dn.DUNNING_DELIVERY_STATE_SENT))
    assert {(d.attempts, d.last_error) for d in sent} == {(2, "")}
    assert sorted(d.recipient for d in sent) == ["ap@c1.example", "ap@c2.example"]


def test_a_delivery_that_cannot_succeed_is_listed_as_failed_and_can_be_retried(world: World) -> None:
    c = world.client
    _book(c)
    c.set_dunning_contact("C2", email="")  # C2 can no longer be reached by e-mail
    c.run_dunning("STD", as_of_date="2026-10-20")
    assert c.deliver_dunning_outbox().failed == 1
    (failed,) = c.list_dunning_deliveries(state=dn.DUNNING_DELIVERY_STATE_FAILED)
    assert failed.customer_id == "C2" and "no e-mail address" in failed.last_error
    c.set_dunning_contact("C2", email="ap@c2.example")
    c.retry_dunning_delivery(failed.notice_id, channel=EMAIL)
    assert c.deliver_dunning_outbox().sent == 1
    assert len(world.smtp.messages) == 2


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_dry_run_prints_notices_and_skips_and_sends_nothing(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    c = world.client
    _book(c)
    c.open_dispute("DSP-1", invoice_id="INV-3", amount=money("20.00", "EUR"), note="damaged goods")
    target = f"127.0.0.1:{world.running.port}"
    code, out, _ = _cli(capsys, "dunning", "run", "--dry-run", "--as-of", "2026-10-20", "--server", target)
    assert code == 0
    assert "dry run" in out
    notice = next(line for line in out.splitlines() if "C1" in line and "INV-1" in line)
    assert "INV-2" in notice and "150.00" in notice and "email" in notice
    skip = next(line for line in out.splitlines() if "INV-3" in line)
    assert "DISPUTED" in skip and "DSP-1" in skip
    assert not list(c.list_dunning_notices()) and not world.smtp.messages
    # A real run stores and sends; the outbox listing shows it sent.
    code, out, _ = _cli(capsys, "dunning", "run", "--as-of", "2026-10-20", "--server", target, "--json")
    assert code == 0 and json.loads(out)["notices"][0]["customer_id"] == "C1"
    assert len(world.smtp.messages) == 1
    code, out, _ = _cli(capsys, "dunning", "deliveries", "--server", target)
    assert code == 0 and "SENT" in out and "ap@c1.example" in out, out
    code, _, err = _cli(capsys, "dunning", "run", "--policy", "NOPE", "--server", target)
    assert code == 2 and "does not exist" in err


def test_cli_lists_alerts_and_acknowledges_one(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    c = world.client
    c.create_customer("C1", display_name="Acme GmbH", payment_terms=NET30)
    c.create_invoice("INV-1", customer_id="C1", amount=money("100.00", "EUR"), issue_date="2026-09-01")
    c.update_customer("C1", payment_terms=PaymentTerms(net_days=60))  # terms changed after invoicing
    target = f"127.0.0.1:{world.running.port}"
    code, out, _ = _cli(capsys, "alerts", "--server", target)
    assert code == 0 and "TERMS_CHANGED_AFTER_INVOICING" in out
    (alert,) = c.list_alerts()
    code, out, _ = _cli(
        capsys, "alerts", "--ack", alert.alert_id, "--note", "agreed new terms", "--actor", "ann",
        "--server", target, "--json",
    )  # fmt: skip
    (acked,) = json.loads(out)["alerts"]
    assert code == 0 and (acked["acknowledged_by"], acked["note"]) == ("ann", "agreed new terms")
    code, out, _ = _cli(capsys, "alerts", "--server", target)
    assert code == 0 and "0 alerts" in out
    code, _, err = _cli(capsys, "alerts", "--ack", "NOPE", "--note", "n", "--server", target)
    assert code == 2 and err


def test_two_runs_at_once_notice_each_customer_once(world: World) -> None:
    c = world.client
    _book(c)
    target = f"127.0.0.1:{world.running.port}"
    results: list[dn.RunDunningResponse] = []

    def run() -> None:
        with Client(target, timeout_seconds=30) as other:
            results.append(other.run_dunning("STD", as_of_date="2026-10-20"))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert sorted(n.customer_id for r in results for n in r.notices) == ["C1", "C2"]
    assert len(list(c.list_dunning_deliveries())) == 2
    assert c.deliver_dunning_outbox().sent == 2 and len(world.smtp.messages) == 2


def test_the_server_sends_the_outbox_by_itself_when_given_an_interval(database_url: str) -> None:
    with smtp_server() as (smtp, port):
        settings = Settings(
            database_url=database_url,
            listen="127.0.0.1:0",
            smtp_host="127.0.0.1",
            smtp_port=port,
            dunning_delivery_interval_seconds=0.1,
        )
        with run_in_thread(settings) as running, Client(f"127.0.0.1:{running.port}", timeout_seconds=30) as c:
            _book(c)
            c.run_dunning("STD", as_of_date="2026-10-20")  # nobody calls DeliverDunningOutbox
            deadline = time.monotonic() + 60
            while len(smtp.messages) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(smtp.messages) == 2
            time.sleep(0.5)  # more rounds pass: nothing is sent again
            assert len(smtp.messages) == 2
            sent = list(c.list_dunning_deliveries(state=dn.DUNNING_DELIVERY_STATE_SENT))
            assert len(sent) == 2


def test_the_async_client_runs_dunning_and_reads_the_outbox(world: World) -> None:
    _book(world.client)
    target = f"127.0.0.1:{world.running.port}"

    async def scenario() -> tuple[list[str], int, list[int]]:
        async with AsyncClient(target, timeout_seconds=30) as a:
            await a.promise_to_pay("C2", promised_date="2026-10-31", note="next week")
            run = await a.run_dunning("STD", as_of_date="2026-10-20")
            sent = (await a.deliver_dunning_outbox()).sent
            states = [x.state async for x in a.list_dunning_deliveries()]
            return [n.customer_id for n in run.notices], sent, states

    customers, sent, states = asyncio.run(scenario())
    assert (customers, sent, states) == (["C1"], 1, [dn.DUNNING_DELIVERY_STATE_SENT])
    assert [m["To"] for m in world.smtp.messages] == ["ap@c1.example"]


def test_a_pre_due_reminder_and_a_level_below_its_minimum(world: World) -> None:
    c = world.client
    _book(c)
    c.create_customer("C3", display_name="Gamma AG", payment_terms=NET30)
    c.create_invoice("INV-9", customer_id="C3", amount=money("5.00", "EUR"), issue_date="2026-09-10")
    # Due 2026-10-10; three days before, level 1 (day offset -3) reminds C3 of what falls due.
    early = c.run_dunning("STD", as_of_date="2026-10-07", dry_run=True)
    reminder = next(n for n in early.notices if n.customer_id == "C3")
    assert [(i.invoice_id, i.days_past_due) for i in reminder.items] == [("INV-9", -3)]
    c.run_dunning("STD", as_of_date="2026-10-20")
    # Level 2 asks for at least 10.00: C3's 5.00 is skipped, the others advance.
    later = c.run_dunning("STD", as_of_date="2026-11-30", dry_run=True)
    assert sorted(n.customer_id for n in later.notices) == ["C1", "C2"]
    (skip,) = [s for s in later.skips if s.customer_id == "C3"]
    assert skip.reason == dn.DUNNING_SKIP_REASON_BELOW_MINIMUM_AMOUNT and "1000" in skip.detail


def test_a_customer_who_paid_starts_again_at_the_first_level(world: World) -> None:
    c = world.client
    _book(c)
    c.run_dunning("STD", as_of_date="2026-10-20")
    c.run_dunning("STD", as_of_date="2026-11-30")  # level 2
    c.create_payment("P-1", amount=money("150.00", "EUR"), value_date="2026-12-01", customer_id="C1")
    c.auto_apply(all_payments=True)
    c.run_dunning("STD", as_of_date="2026-12-02")  # nothing of C1 overdue: its level is forgotten
    c.create_invoice("INV-5", customer_id="C1", amount=money("80.00", "EUR"), issue_date="2026-11-01")
    fresh = c.run_dunning("STD", as_of_date="2026-12-20", dry_run=True)
    assert [(n.customer_id, n.level) for n in fresh.notices if n.customer_id == "C1"] == [("C1", 1)]
