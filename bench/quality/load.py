"""Loading a world through the Python client, letting the engine auto-apply, and reading back
what it did. The observations are plain data for the (pure) scorer."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from bench.quality import renditions
from bench.quality.world import World
from cashapp_client import Client, Invoice, Money, Payment, PaymentTerms

INVOICE_CHUNK = 1000
PAYMENT_CHUNK = 1000
PAGE_SIZE = 1000
CUSTOMER_THREADS = 4
AUTO_APPLY_TIMEOUT_SECONDS = 1800.0
CALL_TIMEOUT_SECONDS = 120.0

_T = TypeVar("_T")


@dataclass(frozen=True)
class Observed:
    """One payment as the server reports it after auto-apply."""

    payment_id: str
    amount_minor: int
    applied_minor: int
    unapplied_minor: int
    returned_minor: int
    cash: dict[str, int]
    queued: bool


@dataclass
class RunResult:
    observed: dict[str, Observed]
    failed_invariants: list[str]
    decisions_stored: int
    auto_apply_calls: int
    timings_seconds: dict[str, float] = field(default_factory=dict)
    import_failures: int = 0


def _timed(timings: dict[str, float], phase: str, work: Callable[[], _T]) -> _T:
    start = time.perf_counter()
    result = work()
    timings[phase] = time.perf_counter() - start
    return result


def _chunks(items: list[_T], size: int) -> Iterator[list[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def load_customers(client: Client, world: World) -> None:
    def create(index: int) -> None:
        c = world.customers[index]
        client.create_customer(
            c.customer_id,
            display_name=c.display_name,
            name_aliases=c.name_aliases,
            payer_accounts=c.payer_accounts,
            payment_terms=PaymentTerms(
                net_days=c.terms.net_days,
                discount_days=c.terms.discount_days,
                discount_basis_points=c.terms.discount_basis_points,
            ),
            tolerance_minor=c.tolerance_minor,
            request_id=f"quality-customer-{c.customer_id}",
            timeout_seconds=CALL_TIMEOUT_SECONDS,
        )

    # The client has no batch create for customers: a few threads share the channel.
    with ThreadPoolExecutor(CUSTOMER_THREADS) as pool:
        list(pool.map(create, range(len(world.customers))))


def load_invoices(client: Client, world: World) -> None:
    messages = [
        Invoice(
            invoice_id=i.invoice_id,
            customer_id=i.customer_id,
            amount=Money(currency_code=i.currency, amount_minor=i.amount_minor),
            issue_date=i.issue_date,
            due_date=i.due_date,
        )
        for i in world.invoices
    ]
    for n, chunk in enumerate(_chunks(messages, INVOICE_CHUNK)):
        client.batch_create_invoices(
            chunk, request_id=f"quality-invoices-{n}", timeout_seconds=CALL_TIMEOUT_SECONDS
        )
    for memo in world.credit_memos:
        client.return_goods(
            memo.return_id,
            invoice_id=memo.invoice_id,
            amount=Money(currency_code=memo.currency, amount_minor=memo.amount_minor),
            reason_code=memo.reason_code,
            request_id=f"quality-memo-{memo.return_id}",
            timeout_seconds=CALL_TIMEOUT_SECONDS,
        )


def load_payments(client: Client, world: World) -> int:
    """Imports the bank file; returns how many payments the server refused."""
    messages = (
        Payment(
            payment_id=p.payment_id,
            amount=Money(currency_code=p.currency, amount_minor=p.amount_minor),
            value_date=p.value_date,
            payer_account=p.payer_account,
            payer_name=p.payer_name,
            remittance_info=p.remittance_info,
            references=list(p.references),
        )
        for p in world.payments
    )
    response = client.import_payments(
        messages, chunk_size=PAYMENT_CHUNK, request_id="quality-import", timeout_seconds=CALL_TIMEOUT_SECONDS
    )
    return int(response.failed_count)


# The ways a world's bank file reaches the server: its JSON records through ImportPayments, or a
# bank format's rendition of it through `cashapp import` (ImportStatement).
RENDITIONS = {"camt053": renditions.camt053, "bai2": renditions.bai2}
VIA = ("json", *RENDITIONS)
IMPORT_TIMEOUT_SECONDS = 1800.0


def import_rendition(target: str, world: World, via: str) -> None:
    """Writes the world's bank file as `via` and imports it with `cashapp import`, as an AR team
    would."""
    with tempfile.TemporaryDirectory(prefix="cashapp-rendition-") as tmp:
        path = f"{tmp}/statement.{via}"
        with open(path, "wb") as out:
            out.write(RENDITIONS[via](world))
        command = [sys.executable, "-m", "server", "import", path, "--server", target]
        done = subprocess.run(command, capture_output=True, text=True, timeout=IMPORT_TIMEOUT_SECONDS)
    if done.returncode not in (0, 4):  # 4: imported, with exceptions listed (README)
        raise RuntimeError(f"cashapp import failed ({done.returncode}): {done.stderr or done.stdout}")


def auto_apply_until_quiet(client: Client, payments: int) -> int:
    """AutoApply over everything until a call decides nothing (bounded); returns the calls made."""
    limit = math.ceil(payments / 1000) * 3 + 10
    for call in range(1, limit + 1):
        response = client.auto_apply(
            all_payments=True,
            request_id=f"quality-auto-apply-{call}",
            timeout_seconds=AUTO_APPLY_TIMEOUT_SECONDS,
        )
        if not response.decisions:
            return call
    return limit


def read_back(client: Client) -> tuple[dict[str, Observed], list[str], int]:
    queued = {
        e.payment_id
        for e in client.list_exceptions(page_size=PAGE_SIZE, timeout_seconds=CALL_TIMEOUT_SECONDS)
        if e.state == 1  # MATCH_EXCEPTION_STATE_OPEN
    }
    observed: dict[str, Observed] = {}
    for p in client.list_payments(page_size=PAGE_SIZE, timeout_seconds=CALL_TIMEOUT_SECONDS):
        cash: dict[str, int] = {}
        for a in p.applications:
            # Only live applications carry money: reversed ones and their reversals cancel out.
            if a.reversed_by_application_id or a.reverses_application_id:
                continue
            cash[a.invoice_id] = cash.get(a.invoice_id, 0) + a.amount.amount_minor
        observed[p.payment_id] = Observed(
            payment_id=p.payment_id,
            amount_minor=p.amount.amount_minor,
            applied_minor=p.applied_amount.amount_minor,
            unapplied_minor=p.unapplied_amount.amount_minor,
            returned_minor=p.returned_amount.amount_minor,
            cash={k: v for k, v in cash.items() if v},
            queued=p.payment_id in queued,
        )
    decisions = sum(
        1 for _ in client.list_decisions(page_size=PAGE_SIZE, timeout_seconds=CALL_TIMEOUT_SECONDS)
    )
    report = client.get_reconciliation_report(timeout_seconds=CALL_TIMEOUT_SECONDS)
    failed = [f"{i.name}: {'; '.join(i.violations[:3])}" for i in report.invariants if not i.passed]
    if not report.all_passed and not failed:
        failed = ["ALL_PASSED is false"]
    return observed, failed, decisions


def run_world(target: str, world: World, via: str = "json") -> RunResult:
    timings: dict[str, float] = {}
    with Client(target, timeout_seconds=CALL_TIMEOUT_SECONDS) as client:
        _timed(timings, "load customers", lambda: load_customers(client, world))
        _timed(timings, "load invoices", lambda: load_invoices(client, world))
        if via == "json":
            failures = _timed(timings, "load payments", lambda: load_payments(client, world))
        else:
            _timed(timings, f"import {via}", lambda: import_rendition(target, world, via))
        calls = _timed(timings, "auto-apply", lambda: auto_apply_until_quiet(client, len(world.payments)))
        observed, failed, decisions = _timed(timings, "read back", lambda: read_back(client))
    if via != "json":
        # An imported payment's id is the reader's identity of the entry: account/reference.
        observed = {
            renditions.payment_id_of(pid): dataclasses.replace(o, payment_id=renditions.payment_id_of(pid))
            for pid, o in observed.items()
        }
        failures = len(world.payments) - len(observed)  # entries the import made no payment of
    return RunResult(observed, failed, decisions, calls, timings, failures)
