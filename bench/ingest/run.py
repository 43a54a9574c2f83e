"""Entries per second each bank-file reader parses on a generated file, and the ImportStatement RPC
on the same file through a real server, side by side in one run; writes its section of
bench/RESULTS.md (and bench/results/ingest.json).

    python -m bench.ingest.run --entries 100000 --out bench/RESULTS.md
    python -m bench.ingest.run --entries 20000 --format csv --out /tmp/ingest.md   # one format

Each format's file comes from its generator (bench/ingest/generate_<format>.py, seeded): credit
entries with names, references and structured remittance on part of them. Parsing is timed in
this process (best of --rounds); the import is timed once per format on a fresh SQLite database
(the embedded default), from the first byte sent to the answer, and its answer is checked: every
entry created, none failed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.quality.server import fresh_database, running_server
from engine.ingest import formats

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
    entries: int
    megabytes: float
    parse_seconds: float
    import_seconds: float | None
    imported: int | None

    @property
    def parse_rate(self) -> float:
        return self.entries / self.parse_seconds

    @property
    def import_rate(self) -> float | None:
        return None if not self.import_seconds else self.entries / self.import_seconds


def _generator(format_name: str) -> Callable[[int, int], bytes] | None:
    try:
        module = importlib.import_module(GENERATORS[format_name])
    except ModuleNotFoundError:
        return None
    generate: Callable[[int, int], bytes] = module.generate
    return generate


def _best_parse(data: bytes, format_name: str, rounds: int) -> tuple[float, int]:
    best = float("inf")
    count = 0
    for _ in range(rounds):
        start = time.perf_counter()
        parsed = formats.parse(data, format_name)
        best = min(best, time.perf_counter() - start)
        count = len(parsed.entries)
    return best, count


def _timed_import(data: bytes, format_name: str) -> tuple[float, int]:
    from cashapp_client import Client

    with (
        tempfile.TemporaryDirectory(prefix="cashapp-ingest-bench-") as tmp,
        fresh_database("sqlite", Path(tmp)) as url,
        running_server(url) as (target, _output),
        Client(target, timeout_seconds=IMPORT_TIMEOUT_SECONDS) as client,
    ):
        start = time.perf_counter()
        answer = client.import_statement(data, format=format_name)
        seconds = time.perf_counter() - start
    return seconds, int(answer.counts.created)


def measure(entries: int, seed: int, rounds: int, with_import: bool, only: list[str]) -> list[Measured]:
    out: list[Measured] = []
    for format_name in only or list(GENERATORS):
        generate = _generator(format_name)
        if generate is None:
            print(f"{format_name}: no generator, skipped", file=sys.stderr)
            continue
        data = generate(entries, seed)
        parse_seconds, parsed = _best_parse(data, format_name, rounds)
        import_seconds, imported = _timed_import(data, format_name) if with_import else (None, None)
        row = Measured(format_name, parsed, len(data) / 1e6, parse_seconds, import_seconds, imported)
        print(f"{format_name}: {parsed:,} entries, parse {row.parse_rate:,.0f}/s", end="")
        print(f", import {row.import_rate:,.0f}/s" if row.import_rate else "")
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
        "parsed; the import within 2x of parsing.",
        "",
        "| format | entries | MB | parse entries/s | import entries/s | import / parse time | created |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = f"{r.import_seconds / r.parse_seconds:.1f}x" if r.import_seconds else "-"
        rate = f"{r.import_rate:,.0f}" if r.import_rate else "-"
        lines.append(
            f"| {r.format} | {r.entries:,} | {r.megabytes:.1f} | {r.parse_rate:,.0f} | {rate} | {ratio} | "
            f"{r.imported if r.imported is not None else '-'} |"
        )
    return "\n".join([*lines, ""])


def write(rows: list[Measured], command: str, out: Path, results: Path) -> None:
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps([asdict(r) for r in rows], indent=1) + "\n")
    text = out.read_text() if out.exists() else ""
    before, _, after = text.partition(HEADER)
    # Keep the sections that follow this one (another report may come after it).
    rest = after.split("\n## ", 1)[1] if "\n## " in after else ""
    out.write_text(before.rstrip() + "\n\n" + section(rows, command) + (f"\n## {rest}" if rest else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-import", action="store_true", help="time the readers only")
    parser.add_argument("--format", action="append", choices=list(GENERATORS), help="only these formats")
    parser.add_argument("--out", type=Path, default=Path("bench/RESULTS.md"))
    parser.add_argument("--results", type=Path, default=Path("bench/results/ingest/ingest.json"))
    args = parser.parse_args(argv)
    command = "python -m bench.ingest.run " + " ".join(argv if argv is not None else sys.argv[1:])
    rows = measure(args.entries, args.seed, args.rounds, not args.no_import, args.format or [])
    write(rows, command, args.out, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
