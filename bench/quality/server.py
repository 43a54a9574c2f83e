"""A real `cashapp serve` process on a free loopback port, over SQLite or a fresh PostgreSQL
database (the same approach as tests/e2e/conftest.py, without pytest)."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 30.0
LISTENING_MARKER = "cashapp listening on"
POSTGRES_URL_FILE = REPO_ROOT / ".postgres-test-url"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _pump(stream: IO[str], sink: list[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        sink.append(line)
        lines.put(line)


def _wait_serving(target: str, deadline: float) -> None:
    with grpc.insecure_channel(target) as channel:
        health: Any = health_pb2_grpc.HealthStub(channel)  # the stub's stubs lack Check
        while time.monotonic() < deadline:
            try:
                if health.Check(health_pb2.HealthCheckRequest(), timeout=1.0).status == 1:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.05)
    raise RuntimeError(f"server at {target} never reported SERVING")


@contextlib.contextmanager
def running_server(
    database_url: str, pids: list[int] | None = None, options: tuple[str, ...] = ()
) -> Iterator[tuple[str, list[str]]]:
    """Yields (target, output lines) of a server on `database_url`, started with `options` too;
    stops it with SIGTERM. The process id is appended to `pids` when given (for measuring its CPU
    time)."""
    target = f"127.0.0.1:{_free_port()}"
    command = [sys.executable, "-c", "import sys; from server.cli import main; sys.exit(main())", "serve",
               "--listen", target, "--database-url", database_url, *options]  # fmt: skip
    env = {**os.environ, "OTEL_SDK_DISABLED": "true"}
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if pids is not None:
        pids.append(process.pid)
    output: list[str] = []
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=_pump, args=(process.stdout, output, lines), daemon=True).start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("cashapp serve did not start:\n" + "".join(output))
            try:
                if LISTENING_MARKER in lines.get(timeout=0.5):
                    break
            except queue.Empty:
                continue
        _wait_serving(target, deadline)
        yield target, output
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def fresh_database(backend: str, directory: Path, keep: str = "") -> Iterator[str]:
    """A new, empty database URL: a SQLite file in `directory`, or a PostgreSQL database created
    on the server `make postgres` started (dropped afterwards). With `keep` the database outlives
    the run: the SQLite file `keep`, or the PostgreSQL database named `keep` (each replaced when
    it exists)."""
    if backend == "sqlite":
        path = Path(keep).resolve() if keep else directory / "quality.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = os.environ.get("CASHAPP_TEST_POSTGRES_URL") or (
        POSTGRES_URL_FILE.read_text().strip() if POSTGRES_URL_FILE.exists() else ""
    )
    if not admin_url:
        raise RuntimeError("no PostgreSQL: run `make postgres` (or set CASHAPP_TEST_POSTGRES_URL)")
    name = keep or f"cashapp_quality_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
