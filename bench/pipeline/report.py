"""Appends the end-to-end throughput section to bench/RESULTS.md from bench/results/pipeline.json.

Usage: python -m bench.pipeline.report bench/results/pipeline.json bench/RESULTS.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.markdown import replace_section

HEADER = "## End-to-end throughput (gRPC server + Python client)"


def section(data: dict[str, Any]) -> str:
    rows = []
    for b in sorted(data["benchmarks"], key=lambda b: str(b["name"])):
        info, stats = b["extra_info"], b["stats"]
        operation = (
            "AutoApply (one call)" if "auto_apply" in b["name"] else "ImportPayments (chunks of 1,000)"
        )
        backend = b["params"]["backend"]
        decided = (
            f"{info['auto_applied']} auto-applied, {info['suggested']} suggested"
            if "auto_applied" in info
            else "created"
        )
        rows.append(
            f"| {operation} | {backend} | {info['payments']:,} | {stats['median'] * 1000:,.0f} ms | "
            f"{info['payments'] / stats['median']:,.0f} | {decided} |"
        )
    return "\n".join(
        [
            HEADER,
            "",
            "`bench/pipeline/test_bench_throughput.py`: a real embedded server per round on a fresh "
            "database, a seeded book of 200 customers x 20 open invoices, payments identified by payer "
            "account and explained by 1-3 invoices each (no references, so every one goes through the "
            "exact subset search). Only the measured call is timed (median of 3 rounds, each on a fresh "
            "book); answers are checked (every payment decided, the ledger invariants hold).",
            "",
            "| operation | database | payments | median | payments/s | outcome |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def main(source: str, target: str) -> None:
    data = json.loads(Path(source).read_text())
    # Replaced in place: the sections after this one belong to other benchmarks.
    replace_section(Path(target), HEADER, section(data))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
