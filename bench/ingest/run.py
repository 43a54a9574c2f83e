"""Entries per second each bank-file reader parses on a generated file, and the ImportStatement RPC
on the same file through a real server, side by side in one run; writes its section of
bench/RESULTS.md (and bench/results/ingest.json).

    python -m bench.ingest.run --entries 100000 --database sqlite --database postgres --out bench/RESULTS.md
    python -m bench.ingest.run --entries 20000 --format csv --out /tmp/ingest.md   # one format

Each format's file comes from its generator (bench/ingest/generate_<format>.py, seeded): credit
entries with names, references and structured remittance on part of them. Parsing is timed in
this process (best of --rounds, wall and CPU seconds: the machine is shared, CPU seconds vary
less); camt files are parsed by each reader (the Rust twin and lxml, CASHAPP_CAMT_READER). The
import is timed once per format and --database (SQLite, the embedded default, and PostgreSQL from
`make postgres`) on a fresh database, from the first byte sent to the answer, and its answer is
checked: every entry created, none failed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.markdown import replace_section
from bench.quality.server import fresh_database, running_server
from engine.ingest import camt_native, formats

GENERATORS = {
    "camt.053": "bench.ingest.generate_camt053",
    "bai2": "bench.ingest.generate_bai2",
    "mt940": "bench.ingest.generate_mt940",
    "nacha": "bench.ingest.generate_nacha",
    "edi820": "bench.ingest.generate_edi820",
    "csv": "bench.ingest.generate_csv",
}
HEADER = "## Bank-file ingest (readers and the ImportStatement RPC)"
IMPORT_TIMEOUT_SECONDS = 3600.0


@dataclass
class Measured:
    format: str
    reader: str  # "rust" | "lxml" for camt, "python" for the other formats
    entries: int
    megabytes: float
    parse_seconds: float
    parse_cpu_seconds: float
    imports: dict[str, tuple[float, int]]  # database -> (seconds, created)

    @property
    def parse_rate(self) -> float:
        return self.entries / self.parse_seconds

    def import_rate(self, database: str) -> float | None:
        seconds = self.imports.get(database, (0.0, 0))[0]
        return self.entries / seconds if seconds else None


def _generator(format_name: str) -> Callable[[int, int], bytes] | None:
    try:
        module = importlib.import_module(GENERATORS[format_name])
    except ModuleNotFoundError:
        return None
    generate: Callable[[int, int], bytes] = module.generate
    return generate


def _best_parse(data: bytes, format_name: str, rounds: int) -> tuple[float, float, int]:
    best, best_cpu = float("inf"), float("inf")
    count = 0
    for _ in range(rounds):
        start, cpu = time.perf_counter(), time.process_time()
        parsed = formats.parse(data, format_name)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        count = len(parsed.entries)
        del parsed
    return best, best_cpu, count


def _readers(format_name: str) -> list[str]:
    """The camt readers to time: the Rust twin when installed, and lxml."""
    if not format_name.startswith("camt"):
        return ["python"]
    return (["rust"] if camt_native.available() else []) + ["lxml"]


def _timed_import(data: bytes, format_name: str, database: str) -> tuple[float, int]:
    from cashapp_client import Client

    with (
        tempfile.TemporaryDirectory(prefix="cashapp-ingest-bench-") as tmp,
        fresh_database(database, Path(tmp)) as url,
        running_server(url) as (target, _output),
        Client(target, timeout_seconds=IMPORT_TIMEOUT_SECONDS) as client,
    ):
        start = time.perf_counter()
        answer = client.import_statement(data, format=format_name)
        seconds = time.perf_counter() - start
    return seconds, int(answer.counts.created)


def measure(
    entries: int, seed: int, rounds: int, databases: list[str], only: list[str], imported: list[str]
) -> list[Measured]:
    out: list[Measured] = []
    for format_name in only or list(GENERATORS):
        generate = _generator(format_name)
        if generate is None:
            print(f"{format_name}: no generator, skipped", file=sys.stderr)
            continue
        data = generate(entries, seed)
        for number, reader in enumerate(_readers(format_name)):
            if reader != "python":
                os.environ[camt_native.ENV_VAR] = "rust" if reader == "rust" else "python"
            parse_seconds, parse_cpu, parsed = _best_parse(data, format_name, rounds)
            # The import runs once per format, in a server with the default (fastest) reader.
            os.environ.pop(camt_native.ENV_VAR, None)
            wanted = number == 0 and (not imported or format_name in imported)
            imports = {db: _timed_import(data, format_name, db) for db in databases} if wanted else {}
            row = Measured(format_name, reader, parsed, len(data) / 1e6, parse_seconds, parse_cpu, imports)
            print(f"{format_name} ({reader}): {parsed:,} entries, parse {row.parse_rate:,.0f}/s", end="")
            print("".join(f", import {db} {row.import_rate(db):,.0f}/s" for db in imports), flush=True)
            out.append(row)
    return out


def section(rows: list[Measured], command: str) -> str:
    lines = [
        HEADER,
        "",
        f"`{command}`: each format's generated file (bench/ingest/generate_<format>.py) parsed in "
        "process (best round) and imported once through `ImportStatement` into a fresh SQLite "
        "database by a real `cashapp serve` (from the first byte sent to the answer: upload, parse, "
        "payments with their journal entries, one transaction). Target: >= 100,000 camt.053 entries/s "
        "parsed; the import within 2x of parsing. Parse rates are per wall second and per CPU second "
        "of this process (the 2-core machine is shared with other work while this runs; CPU seconds "
        "vary less). camt files are parsed by both readers: `rust` (matcher_rs/camt) and `lxml` "
        "(engine/ingest/camt_reader.py); the import's server uses the Rust one.",
        "",
        "| format | reader | entries | MB | parse entries/s (wall) | parse entries/s (CPU) | "
        "import entries/s SQLite | import entries/s PostgreSQL | import / parse time |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        rates = [f"{r.import_rate(db):,.0f}" if r.import_rate(db) else "-" for db in ("sqlite", "postgres")]
        slowest = max((s for s, _ in r.imports.values()), default=0.0)
        ratio = f"{slowest / r.parse_seconds:.0f}x" if slowest else "-"
        lines.append(
            f"| {r.format} | {r.reader} | {r.entries:,} | {r.megabytes:.1f} | {r.parse_rate:,.0f} | "
            f"{r.entries / r.parse_cpu_seconds:,.0f} | {rates[0]} | {rates[1]} | {ratio} |"
        )
    return "\n".join([*lines, ""])


def write(rows: list[Measured], command: str, out: Path, results: Path) -> None:
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps([asdict(r) for r in rows], indent=1) + "\n")
    replace_section(out, HEADER, section(rows, command))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-import", action="store_true", help="time the readers only")
    parser.add_argument(
        "--database", action="append", choices=["sqlite", "postgres"], help="import into (default: sqlite)"
    )
    parser.add_argument("--format", action="append", choices=list(GENERATORS), help="only these formats")
    parser.add_argument(
        "--import-format", action="append", choices=list(GENERATORS), help="import only these (default: all)"
    )
    parser.add_argument("--out", type=Path, default=Path("bench/RESULTS.md"))
    parser.add_argument("--results", type=Path, default=Path("bench/results/ingest/ingest.json"))
    args = parser.parse_args(argv)
    command = "python -m bench.ingest.run " + " ".join(argv if argv is not None else sys.argv[1:])
    databases = [] if args.no_import else (args.database or ["sqlite"])
    rows = measure(
        args.entries, args.seed, args.rounds, databases, args.format or [], args.import_format or []
    )
    write(rows, command, args.out, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
