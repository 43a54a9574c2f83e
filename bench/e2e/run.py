"""Streams a generated book through the gRPC API with the Python client, works through the whole
backlog with AutoApplyBacklog, fetches the reconciliation report, and prints each phase with
items/s, the CPU seconds of server and client, and their peak memory.

    python -m bench.e2e.run --payments 10000 100000 1000000 --database sqlite postgres --out bench/RESULTS.md

Phases: load customers (BatchCreateCustomers, 1,000 a call), load invoices (BatchCreateInvoices,
1,000 a call), ingest payments (ImportPayments, one stream of 1,000-payment chunks), decide and
persist (AutoApplyBacklog: each round plans, then commits), reconcile (GetReconciliationReport:
every ledger invariant must pass). The server is a real `cashapp serve` on a fresh database. With
--check (the CI smoke test) the run fails unless every payment was decided exactly once and every
invariant passed; no timing is ever asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bench.e2e.book import Book, generate
from bench.markdown import replace_section
from bench.process_usage import own_cpu_seconds, tree_cpu_seconds, tree_peak_rss_mib
from bench.quality.server import fresh_database, running_server
from bench.quality.world import Customer as BookCustomer
from cashapp_client import Client, Invoice, Money, Payment, PaymentTerms
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb

HEADER = "## End-to-end volume (bench/e2e)"
CHUNK = 1000
CALL_TIMEOUT_SECONDS = 3600.0
_T = TypeVar("_T")


@dataclass
class Phase:
    name: str
    items: int
    seconds: float
    server_cpu: float
    client_cpu: float

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


@dataclass
class Result:
    payments: int
    database: str
    phases: list[Phase] = field(default_factory=list)
    server_peak_mib: float = 0.0
    client_peak_mib: float = 0.0
    decided: int = 0
    auto_applied: int = 0
    invariants_failed: list[str] = field(default_factory=list)


def _chunks(items: list[_T]) -> Iterator[list[_T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _customer(c: BookCustomer) -> pb.Customer:
    message = pb.Customer(
        customer_id=c.customer_id,
        display_name=c.display_name,
        name_aliases=list(c.name_aliases),
        payer_accounts=list(c.payer_accounts),
        payment_terms=PaymentTerms(
            net_days=c.terms.net_days,
            discount_days=c.terms.discount_days,
            discount_basis_points=c.terms.discount_basis_points,
        ),
    )
    if c.tolerance_minor is not None:  # unset: the tenant's default
        message.tolerance_minor = c.tolerance_minor
    return message


class Driver:
    def __init__(self, client: Client, pid: int, result: Result) -> None:
        self.client = client
        self.pid = pid
        self.result = result

    def phase(self, name: str, items: int, work: Callable[[], _T]) -> _T:
        server, client, start = tree_cpu_seconds(self.pid), own_cpu_seconds(), time.perf_counter()
        value = work()
        seconds = time.perf_counter() - start
        phase = Phase(name, items, seconds, tree_cpu_seconds(self.pid) - server, own_cpu_seconds() - client)
        self.result.phases.append(phase)
        print(
            f"  {name:<18} {items:>10,} items {seconds:>8.1f} s {phase.rate:>10,.0f}/s "
            f"server {phase.server_cpu:>7.1f} s CPU, client {phase.client_cpu:>6.1f} s CPU",
            flush=True,
        )
        return value

    def load(self, book: Book) -> None:
        customers = [_customer(c) for c in book.customers]
        self.phase("load customers", len(customers), lambda: self._customers(customers))
        invoices = [
            Invoice(
                invoice_id=i.invoice_id,
                customer_id=i.customer_id,
                amount=Money(currency_code=i.currency, amount_minor=i.amount_minor),
                issue_date=i.issue_date,
                due_date=i.due_date,
            )
            for i in book.invoices
        ]
        self.phase("load invoices", len(invoices), lambda: self._invoices(invoices))
        payments = [
            Payment(
                payment_id=p.payment_id,
                amount=Money(currency_code=p.currency, amount_minor=p.amount_minor),
                value_date=p.value_date,
                payer_account=p.payer_account,
                payer_name=p.payer_name,
                remittance_info=p.remittance_info,
                references=list(p.references),
            )
            for p in book.payments
        ]
        failed = self.phase("ingest payments", len(payments), lambda: self._payments(payments))
        if failed:
            raise RuntimeError(f"{failed} payments refused at import")

    def _customers(self, customers: list[pb.Customer]) -> None:
        for n, chunk in enumerate(_chunks(customers)):
            self.client.batch_create_customers(chunk, request_id=f"e2e-customers-{n}")

    def _invoices(self, invoices: list[pb.Invoice]) -> None:
        for n, chunk in enumerate(_chunks(invoices)):
            self.client.batch_create_invoices(chunk, request_id=f"e2e-invoices-{n}")

    def _payments(self, payments: list[pb.Payment]) -> int:
        response = self.client.import_payments(payments, chunk_size=CHUNK, request_id="e2e-payments")
        return int(response.failed_count)

    def decide(self, payments: int) -> None:
        def work() -> None:
            for progress in self.client.auto_apply_backlog(timeout_seconds=CALL_TIMEOUT_SECONDS):
                self.result.decided = (
                    progress.auto_applied_count + progress.suggested_count + progress.unmatched_count
                )
                self.result.auto_applied = progress.auto_applied_count

        self.phase("decide + persist", payments, work)

    def reconcile(self) -> None:
        report = self.phase("reconcile", 1, lambda: self.client.get_reconciliation_report())
        self.result.invariants_failed = [i.name for i in report.invariants if not i.passed]


def run(payments: int, database: str, seed: int, decide_processes: int = 0) -> Result:
    started = time.perf_counter()
    book = generate(seed, payments)
    print(
        f"{payments:,} payments on {database}: {len(book.customers):,} customers, {len(book.invoices):,} "
        f"invoices (generated in {time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    result = Result(payments, database)
    pids: list[int] = []
    with (
        tempfile.TemporaryDirectory(prefix="cashapp-e2e-") as tmp,
        fresh_database(database, Path(tmp)) as url,
        running_server(url, pids, _server_options(decide_processes)) as (target, _output),
        Client(target, timeout_seconds=CALL_TIMEOUT_SECONDS) as client,
    ):
        driver = Driver(client, pids[0], result)
        driver.load(book)
        driver.decide(payments)
        driver.reconcile()
        result.server_peak_mib = tree_peak_rss_mib(pids[0])
    result.client_peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _server_options(decide_processes: int) -> tuple[str, ...]:
    return ("--decide-processes", str(decide_processes)) if decide_processes else ()


def section(results: list[Result], command: str) -> str:
    rows = []
    for r in results:
        total = sum(p.seconds for p in r.phases)
        for p in r.phases:
            rows.append(
                f"| {r.payments:,} | {r.database} | {p.name} | {p.items:,} | {p.seconds:.1f} "
                f"| {p.rate:,.0f} | {p.server_cpu:.1f} | {p.client_cpu:.1f} |"
            )
        rows.append(
            f"| {r.payments:,} | {r.database} | **all phases** | | **{total:.1f}** | | "
            f"peak {r.server_peak_mib:,.0f} MiB | peak {r.client_peak_mib:,.0f} MiB |"
        )
    outcome = "; ".join(
        f"{r.payments:,} on {r.database}: {r.decided:,} decided ({r.auto_applied:,} auto-applied), "
        "invariants "
        + ("all pass" if not r.invariants_failed else "FAILED " + ", ".join(r.invariants_failed))
        for r in results
    )
    return "\n".join(
        [
            HEADER,
            "",
            f"`{command}`: bench/e2e/book.py's seeded book (customers = payments / 10, one open invoice "
            "per payment, the quality world's main payment kinds) streamed through a real `cashapp serve` "
            "with the Python client; the whole backlog decided by one AutoApplyBacklog call. CPU seconds "
            "are those of the server process (with its decide processes, if any) and of the client "
            "during the phase; peak memory is each process's resident high-water mark (the server's "
            "with its decide processes' added).",
            "",
            "| payments | database | phase | items | seconds | items/s | server CPU s | client CPU s |",
            "|---:|---|---|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"Outcome: {outcome}.",
            "",
        ]
    )


def check(result: Result) -> list[str]:
    """What makes the smoke test fail: a payment not decided, a failing invariant."""
    problems = []
    if result.decided != result.payments:
        problems.append(f"{result.decided:,} of {result.payments:,} payments decided")
    if result.invariants_failed:
        problems.append("invariants failed: " + ", ".join(result.invariants_failed))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--payments", type=int, nargs="+", default=[10_000])
    parser.add_argument("--database", choices=("sqlite", "postgres"), nargs="+", default=["sqlite"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="write the section into this Markdown file")
    parser.add_argument("--check", action="store_true", help="exit 1 unless every payment was decided")
    parser.add_argument(
        "--decide-processes", type=int, default=0, help="the server's --decide-processes (default 0)"
    )
    args = parser.parse_args(argv)
    command = "python -m bench.e2e.run " + " ".join(argv if argv is not None else sys.argv[1:])
    runs = [(n, database) for database in args.database for n in args.payments]
    results = [run(n, database, args.seed, args.decide_processes) for n, database in runs]
    text = section(results, command)
    print(text)
    if args.out is not None:
        replace_section(args.out, HEADER, text)
    problems = [p for r in results for p in check(r)] if args.check else []
    for problem in problems:
        print(f"e2e check failed: {problem}", file=sys.stderr)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
