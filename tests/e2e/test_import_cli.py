"""`cashapp import` against a real `cashapp serve` process: the summary table, and each exit code
a script can act on (0 imported, 1 server unreachable, 2 unreadable file, 3 refused file,
4 imported with exceptions), the worst over several files."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cashapp_client import Client
from tests.cli_process import REPO_ROOT, ServeProcess, cashapp_command, child_environment, start_serve
from tests.integration.statement_files import csv_file, row

RUN_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    database = tmp_path_factory.mktemp("import-cli") / "cashapp.db"
    process = start_serve({"CASHAPP_DATABASE_URL": f"sqlite:///{database}"})
    try:
        yield process
    finally:
        process.stop()


def _import(*args: str, server: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cashapp_command("import", "--server", server, *args),
        cwd=REPO_ROOT,
        env=child_environment({}),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
    )


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_a_good_file_exits_0_with_a_summary_and_again_as_imported_before(
    served: ServeProcess, tmp_path: Path
) -> None:
    good = _write(tmp_path / "good.csv", csv_file([row("100.00", "CLI-1"), row("20.00", "CLI-2")]))
    first = _import(good, server=served.target)
    assert first.returncode == 0, first.stdout + first.stderr
    header, line = first.stdout.splitlines()[:2]
    assert header.split()[:4] == ["FILE", "FORMAT", "ENTRIES", "CREATED"]
    assert line.split()[:4] == [good, "csv", "2", "2"] and line.rstrip().endswith("IMPORTED")
    again = _import(good, server=served.target)
    assert again.returncode == 0
    assert "IMPORTED BEFORE" in again.stdout
    with Client(served.target) as client:
        ids = {p.payment_id for p in client.list_payments()}
    assert {"-/CLI-1", "-/CLI-2"} <= ids


def test_a_refused_file_exits_3_and_the_other_files_are_still_imported(
    served: ServeProcess, tmp_path: Path
) -> None:
    bad = _write(tmp_path / "bad.csv", csv_file([row("1.2.3", "CLI-BAD")]))
    good = _write(tmp_path / "more.csv", csv_file([row("5.00", "CLI-3")]))
    result = _import("--format", "csv", bad, good, server=served.target)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "line 2, column amount" in result.stdout
    assert "FAILED (3)" in result.stdout
    with Client(served.target) as client:
        client.get_payment("-/CLI-3")


def test_held_advice_exits_4_and_lists_the_exception(served: ServeProcess, tmp_path: Path) -> None:
    advice = _write(
        tmp_path / "advice.csv", csv_file([row("9.00", "CLI-LATER", kind="ADVICE", references="X-1")])
    )
    result = _import(advice, server=served.target)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "WITH EXCEPTIONS" in result.stdout
    assert "ADVICE_HELD -/CLI-LATER" in result.stdout


def test_an_unreadable_file_exits_2(served: ServeProcess, tmp_path: Path) -> None:
    result = _import(str(tmp_path / "missing.csv"), server=served.target)
    assert result.returncode == 2
    assert "cannot read the file" in result.stdout


def test_an_unreachable_server_exits_1(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    good = _write(tmp_path / "good.csv", csv_file([row("1.00", "CLI-X")]))
    result = _import("--timeout-seconds", "2", good, server=f"127.0.0.1:{port}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "UNAVAILABLE" in result.stdout
