"""Unary latency of CreatePayment and GetInvoice at a fixed concurrency, measured with ghz against
a real `cashapp serve` on the embedded default (SQLite); writes its section of bench/RESULTS.md.

    go install github.com/bojand/ghz/cmd/ghz@latest   # once; found on PATH or in $(go env GOPATH)/bin
    python -m bench.unary.run --requests 20000 --concurrency 32 --out bench/RESULTS.md
    python -m bench.unary.run --processes 1 --processes 2 --backend sqlite --backend postgres

`--processes N` (repeatable) runs the server as `cashapp serve --processes N` (server/processes.py).
ghz spreads its concurrency over `--connections` connections (default here 8; ghz's own default is
one, which would put every call on one server process: a connection stays with the process that
accepted it). With 8 the chance that all of them land on one of two processes is 1 in 128; the
section shows how the server's CPU split over its processes, so a run where they did is visible.

ghz gets the API as a protoset (a FileDescriptorSet of proto/cashapp/v1 with its imports, built
here with grpcio-tools). CreatePayment requests carry ghz's request number in the payment id and
the request_id, so every request creates a new payment (no idempotent replays); GetInvoice reads
invoices of a booked world at random. Reported: requests/s, p50, p90, p99, the error count, the
server's CPU per call (user + system time of its processes, /proc/<pid>/stat, over the ghz run) and
the 1-minute load average when the run ended (the machine is shared: CPU per call varies less).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bench.markdown import replace_section
from bench.process_usage import cpu_seconds
from bench.quality.server import REPO_ROOT, fresh_database, running_server
from cashapp_client import Client, Invoice, Money

HEADER = "## Unary latency (ghz)"
BOOKED_INVOICES = 1000
DEFAULT_CONNECTIONS = 8


@dataclass
class Measured:
    method: str
    backend: str
    concurrency: int
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int
    server_cpu_ms: float  # the server's CPU time per call (all its processes)
    load: float  # the 1-minute load average at the end of the run
    processes: int = 1
    connections: int = 1
    cpu_split: tuple[float, ...] = ()  # each worker process's share of the CPU (--processes > 1)


def ghz_binary() -> str:
    found = shutil.which("ghz")
    if found:
        return found
    gopath = subprocess.run(["go", "env", "GOPATH"], capture_output=True, text=True).stdout.strip()
    candidate = Path(gopath or Path.home() / "go") / "bin" / "ghz"
    if candidate.exists():
        return str(candidate)
    raise SystemExit("ghz not found: go install github.com/bojand/ghz/cmd/ghz@latest")


def _workers(parent: int) -> list[int]:
    """The server processes `cashapp serve --processes N` spawned (not multiprocessing's tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):  # a process may end between listing and reading
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if ppid == parent and b"spawn_main" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return sorted(found)


@contextlib.contextmanager
def _processes_setting(processes: int) -> Iterator[None]:
    """CASHAPP_PROCESSES for the server bench.quality.server starts (it passes our environment)."""
    before = os.environ.get("CASHAPP_PROCESSES")
    os.environ["CASHAPP_PROCESSES"] = str(processes)
    try:
        yield
    finally:
        if before is None:
            del os.environ["CASHAPP_PROCESSES"]
        else:
            os.environ["CASHAPP_PROCESSES"] = before


def protoset(directory: Path) -> Path:
    """proto/cashapp/v1 and everything it imports, as one descriptor set file."""
    out = directory / "cashapp.protoset"
    well_known = resources.files("grpc_tools") / "_proto"
    protos = sorted(str(p) for p in (REPO_ROOT / "proto/cashapp/v1").glob("*.proto"))
    command = [sys.executable, "-m", "grpc_tools.protoc", f"-I{REPO_ROOT / 'proto'}", f"-I{well_known}",
               "--include_imports", f"--descriptor_set_out={out}", *protos]  # fmt: skip
    subprocess.run(command, check=True)
    return out


def _book(target: str) -> None:
    with Client(target, timeout_seconds=120) as client:
        client.create_customer("C-LOAD", display_name="Load Test GmbH")
        invoices = [
            Invoice(
                invoice_id=f"INV-{n:06d}",
                customer_id="C-LOAD",
                amount=Money(currency_code="EUR", amount_minor=10_000 + n),
                issue_date="2026-11-01",
            )
            for n in range(BOOKED_INVOICES)
        ]
        client.batch_create_invoices(invoices)


def _ghz(
    pids: list[int],
    binary: str,
    descriptors: Path,
    target: str,
    method: str,
    data: str,
    requests: int,
    concurrency: int,
    backend: str,
    connections: int,
) -> Measured:
    command = [
        binary,
        "--insecure",
        f"--protoset={descriptors}",
        f"--call={method}",
        f"--data={data}",
        f"--total={requests}",
        f"--concurrency={concurrency}",
        f"--connections={connections}",
        "--format=json",
        "--timeout=30s",
        target,
    ]
    before = [cpu_seconds(pid) for pid in pids]
    done = subprocess.run(command, capture_output=True, text=True)
    spent = [cpu_seconds(pid) - start for pid, start in zip(pids, before, strict=True)]
    cpu = sum(spent)
    workers = spent[1:]  # with --processes N the parent only waits: the workers serve
    if done.returncode != 0:
        raise RuntimeError(f"ghz failed on {method}: {done.stderr or done.stdout}")
    report = json.loads(done.stdout)
    latency = {d["percentage"]: d["latency"] / 1e6 for d in report.get("latencyDistribution") or []}
    errors = sum(int(n) for code, n in (report.get("statusCodeDistribution") or {}).items() if code != "OK")
    return Measured(
        method.rsplit(".", 1)[-1],
        backend,
        concurrency,
        requests,
        float(report["rps"]),
        latency.get(50, 0.0),
        latency.get(90, 0.0),
        latency.get(99, 0.0),
        errors,
        cpu * 1000 / requests,
        os.getloadavg()[0],
        max(1, len(workers)),
        connections,
        tuple(w / sum(workers) for w in workers) if len(workers) > 1 and sum(workers) > 0 else (),
    )


def measure(
    requests: int,
    concurrency: int,
    backend: str = "sqlite",
    processes: int = 1,
    connections: int = DEFAULT_CONNECTIONS,
) -> list[Measured]:
    binary = ghz_binary()
    create = json.dumps(
        {
            "payment_id": "LOAD-{{.RequestNumber}}",
            "request_id": "load-{{.RequestNumber}}",
            "payment": {
                "amount": {"currency_code": "EUR", "amount_minor": 12345},
                "value_date": "2026-11-20",
            },
        }
    )
    # ghz's template: a random booked invoice number, zero-padded like the booked ids.
    pick = "{{randomInt 0 " + str(BOOKED_INVOICES) + " | printf `%06d`}}"  # a raw string: no JSON escaping
    get = json.dumps({"invoice_id": f"INV-{pick}"})
    with tempfile.TemporaryDirectory(prefix="cashapp-unary-") as tmp:
        descriptors = protoset(Path(tmp))
        pids: list[int] = []
        with (
            _processes_setting(processes),
            fresh_database(backend, Path(tmp)) as url,
            running_server(url, pids) as (target, _output),
        ):
            if processes > 1:
                pids.extend(_workers(pids[0]))
                assert len(pids) == 1 + processes, f"expected {processes} server processes, found {pids[1:]}"
            _book(target)
            return [
                _ghz(
                    pids,
                    binary,
                    descriptors,
                    target,
                    "cashapp.v1.PaymentService.CreatePayment",
                    create,
                    requests,
                    concurrency,
                    backend,
                    connections,
                ),
                _ghz(
                    pids,
                    binary,
                    descriptors,
                    target,
                    "cashapp.v1.InvoiceService.GetInvoice",
                    get,
                    requests,
                    concurrency,
                    backend,
                    connections,
                ),
            ]


def section(rows: list[Measured], command: str) -> str:
    lines = [
        HEADER,
        "",
        f"`{command}`: ghz against a real `cashapp serve` on SQLite (the embedded default) and on "
        f"PostgreSQL (`--backend postgres`, the server `make postgres` runs), on this "
        f"{os.cpu_count()}-core machine (ghz, the server and the database share it). Each CreatePayment "
        "creates a new payment (CASH against UNAPPLIED_CASH, its journal entry and decision mark, its "
        "idempotency record); GetInvoice reads one of 1,000 booked invoices. Target: CreatePayment "
        ">= 2,000 RPC/s with p99 < 25 ms at concurrency 32. Concurrent CreatePayment calls are "
        "coalesced into one transaction (server/create_batcher.py: up to 1 ms or 128 calls); every call "
        "resolves its caller (the token table) in its own work's transaction (server/auth.py). The server "
        "logs one access line per call (the default level, info). `processes` is `cashapp serve "
        "--processes` (server/processes.py: N servers on one port, SO_REUSEPORT); ghz spreads its "
        "concurrency over `connections` connections, and each connection stays with the process that "
        "accepted it, so the CPU split column shows how the calls spread over the processes. Server CPU "
        "is per call over the ghz run, all its processes together; the load average is the machine's "
        "at the end of it.",
        "",
        "| method | database | processes | connections | concurrency | requests | RPC/s | p50 ms | p90 ms "
        "| p99 ms | errors | server CPU ms/call | CPU split | load avg |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
        *[
            f"| {r.method} | {r.backend} | {r.processes} | {r.connections} | {r.concurrency} "
            f"| {r.requests:,} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p90_ms:.1f} | {r.p99_ms:.1f} "
            f"| {r.errors} "
            f"| {r.server_cpu_ms:.2f} | {'/'.join(f'{share:.0%}' for share in r.cpu_split) or '-'} "
            f"| {r.load:.1f} |"
            for r in rows
        ],
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--backend", choices=["sqlite", "postgres"], action="append", help="repeatable; default: sqlite"
    )
    parser.add_argument(
        "--processes", type=int, action="append", help="cashapp serve --processes; repeatable; default: 1"
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=DEFAULT_CONNECTIONS,
        help=f"ghz --connections (default {DEFAULT_CONNECTIONS}: spread over the server's processes)",
    )
    args = parser.parse_args(argv)
    command = "python -m bench.unary.run " + " ".join(argv if argv is not None else sys.argv[1:])
    rows = [
        row
        for backend in args.backend or ["sqlite"]
        for processes in args.processes or [1]
        for row in measure(args.requests, args.concurrency, backend, processes, args.connections)
    ]
    text = section(rows, command)
    print(text)
    if args.out is not None:
        replace_section(args.out, HEADER, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
