"""The `cashapp` process: --version, one-line configuration errors with exit code 2, a runtime
failure with exit code 1, --check-config from a URL file with secrets masked, and JSON logs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cashapp_client import Client
from tests.cli_process import REPO_ROOT, cashapp_command, child_environment, start_serve

SECRET_PASSWORD = "hunter2-secret"
RUN_TIMEOUT_SECONDS = 60


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cashapp_command(*args),
        cwd=REPO_ROOT,
        env=child_environment(env or {}),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
    )


def test_version_prints_the_version_and_exits_0() -> None:
    from importlib.metadata import version

    result = _run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"cashapp {version('cashapp')}\n"


def test_a_bad_workers_variable_names_it_on_one_line_and_exits_2() -> None:
    result = _run("serve", env={"CASHAPP_WORKERS": "abc"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "cashapp: CASHAPP_WORKERS='abc': not an integer; expected an integer 1..64\n"


def test_a_tenant_too_long_for_the_database_is_refused_at_start() -> None:
    result = _run("serve", env={"CASHAPP_TOKENS": f"{SECRET_PASSWORD}={'t' * 65}"})
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert "of entry 1 has 65 characters" in result.stderr
    assert SECRET_PASSWORD not in result.stderr


def test_check_config_reads_the_url_file_and_masks_secrets(tmp_path: Path) -> None:
    url_file = tmp_path / "database-url"
    url_file.write_text(f"postgresql+psycopg://app:{SECRET_PASSWORD}@db.internal/books\n")
    env = {"CASHAPP_DATABASE_URL_FILE": str(url_file), "CASHAPP_TOKENS": "token-abc=tenant-a"}
    result = _run("serve", "--check-config", "--listen", "0.0.0.0:50051", "--allow-insecure", env=env)
    assert result.returncode == 0, result.stderr
    assert SECRET_PASSWORD not in result.stdout and "token-abc" not in result.stdout
    assert (
        f"postgresql+psycopg://app:***@db.internal/books  (CASHAPP_DATABASE_URL_FILE={url_file})"
        in result.stdout
    )
    assert "***=tenant-a  (CASHAPP_TOKENS)" in result.stdout


def test_an_unreachable_database_is_a_runtime_failure_exit_1() -> None:
    url = f"postgresql+psycopg://app:{SECRET_PASSWORD}@127.0.0.1:1/books"  # nothing listens on 1
    result = _run("serve", "--database-url", url)
    assert result.returncode == 1
    last = result.stderr.splitlines()[-1]
    assert last.startswith("cashapp: serve failed: OperationalError: ")
    assert SECRET_PASSWORD not in result.stderr


def test_json_logs_are_one_object_per_line(tmp_path: Path) -> None:
    env = {"CASHAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'books.db'}"}
    served = start_serve(env, "--log-format", "json", "--log-level", "info")
    with Client(served.target, timeout_seconds=30) as client:
        client.create_customer("C-LOG", display_name="Logged")
    assert served.stop() == 0, "".join(served.stderr)
    records = [json.loads(line) for line in served.stderr]
    assert records, "an info-level server logs its start and its shutdown"
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record)
        assert record["time"].endswith("+00:00")
    messages = [(r["level"], r["logger"], r["message"]) for r in records]
    assert any(level == "INFO" and m.startswith("cashapp ") and "starting" in m for level, _, m in messages)
    assert ("INFO", "server.app", "shutting down") in messages


def test_log_level_warning_silences_info(tmp_path: Path) -> None:
    env = {"CASHAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'books.db'}", "CASHAPP_LOG_LEVEL": "warning"}
    served = start_serve(env, "--log-format", "text")
    assert served.stop() == 0
    assert served.stderr == []
