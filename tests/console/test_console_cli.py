"""`cashapp console` as a process: it serves the console for the clerks of its file, and refuses
a missing or malformed clerks file with exit code 2 before listening."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx2
import pytest

from console.users import hash_password, verify_password
from tests.cli_process import cashapp_command, child_environment
from tests.e2e.conftest import free_port

START_TIMEOUT_SECONDS = 60.0
RUN_TIMEOUT_SECONDS = 60


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cashapp_command("console", *args), input=stdin, capture_output=True, text=True,
        env=child_environment({}), timeout=RUN_TIMEOUT_SECONDS, check=False,
    )  # fmt: skip


def test_hash_password_prints_a_hash_of_the_password_read_from_stdin() -> None:
    done = _run("--hash-password", stdin="s3cret\n")
    assert done.returncode == 0, done.stderr
    assert verify_password("s3cret", done.stdout.strip())
    assert _run("--hash-password", stdin="\n").returncode == 2


@pytest.mark.parametrize("content", [None, "not json", '{"clerks": []}'])
def test_a_missing_or_bad_clerks_file_exits_2(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "clerks.json"
    if content is not None:
        path.write_text(content)
    done = _run("--clerks", str(path), "--listen", f"127.0.0.1:{free_port()}")
    assert done.returncode == 2
    assert done.stderr.startswith("cashapp: ")


def test_console_serves_its_sign_in_page(tmp_path: Path) -> None:
    path = tmp_path / "clerks.json"
    clerk = {"name": "alice", "password_hash": hash_password("pw", iterations=1000), "token": "t"}
    path.write_text(json.dumps({"clerks": [clerk]}))
    port = free_port()
    args = ("--clerks", str(path), "--listen", f"127.0.0.1:{port}", "--server", "127.0.0.1:1")
    process = subprocess.Popen(
        cashapp_command("console", *args),
        env=child_environment({}), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                answer = httpx2.get(f"http://127.0.0.1:{port}/login", timeout=5)
                break
            except httpx2.TransportError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the console did not start"
                time.sleep(0.2)
        assert answer.status_code == 200
        assert 'name="csrf_token"' in answer.text
        assert "cashapp_console" in answer.headers["set-cookie"]
        assert "samesite=strict" in answer.headers["set-cookie"].lower()
    finally:
        process.terminate()
        process.wait(timeout=15)
