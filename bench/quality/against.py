"""Scores the world against the server of another checkout, e.g. the engine before a change:

    git worktree add /tmp/before 6c82fe6 && (cd /tmp/before && make setup)
    python -m bench.quality.against /tmp/before --payments 5000 --seed 7

The world, loader and scorer are this checkout's; only `cashapp serve` comes from the other one
(its own virtualenv), on a fresh SQLite file. Prints the scored table and the phase timings.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.quality.generate import generate
from bench.quality.load import run_world
from bench.quality.score import score, table

START_SECONDS = 10.0  # how long the other server may take to listen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the other checkout's server did not listen on {port}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("checkout", type=Path, help="a checkout with its own .venv (make setup)")
    parser.add_argument("--payments", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="cashapp-against-") as tmp:
        command = [str(args.checkout / ".venv/bin/cashapp"), "serve", "--listen", f"127.0.0.1:{port}",
                   "--database-url", f"sqlite:///{Path(tmp) / 'against.db'}"]  # fmt: skip
        env = {**os.environ, "OTEL_SDK_DISABLED": "true"}
        process = subprocess.Popen(command, cwd=args.checkout, env=env, stdout=subprocess.DEVNULL)
        try:
            _wait_listening(port, process)
            world = generate(args.seed, args.payments)
            result = run_world(f"127.0.0.1:{port}", world)
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(table(score(world.truths, result.observed, result.failed_invariants)))
    print(f"decisions stored: {result.decisions_stored}; AutoApply calls: {result.auto_apply_calls}")
    for phase, seconds in result.timings_seconds.items():
        print(f"{phase}: {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
