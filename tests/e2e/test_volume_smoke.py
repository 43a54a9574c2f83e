"""The CI smoke test of the volume benchmark: bench/e2e at 10,000 payments through a real server,
its rounds on the server's threads and in two decide processes.

It asserts what must hold at any size (every payment decided exactly once by one AutoApplyBacklog
call, every ledger invariant passing) and prints the numbers; it never asserts a timing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAYMENTS = 10_000
TIMEOUT_SECONDS = 900


@pytest.mark.parametrize("decide_processes", [0, 2], ids=["threads", "decide-processes"])
def test_ten_thousand_payments_are_loaded_decided_and_reconciled(decide_processes: int) -> None:
    command = [sys.executable, "-m", "bench.e2e.run", "--payments", str(PAYMENTS), "--check"]
    command += ["--decide-processes", str(decide_processes)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    print(done.stdout)
    assert done.returncode == 0, done.stderr or done.stdout
    assert f"{PAYMENTS:,} decided" in done.stdout and "invariants all pass" in done.stdout
