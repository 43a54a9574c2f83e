"""A private, throwaway PostgreSQL cluster that a test may stop, kill and start again.

The shared server of `make postgres` must never go down under other tests, so outage tests get a
cluster of their own: initdb in a temporary directory, a free loopback port, trust authentication
(loopback only), and no fsync (nothing in it outlives the test). initdb refuses to run as root, so
as root every server binary runs as the `postgres` OS user, which owns the directory.

Without the Debian server binaries the tests skip, except under CASHAPP_REQUIRE_POSTGRES=1 (CI),
where their absence fails like a missing PostgreSQL does in tests/databases.py.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.databases import REQUIRE_POSTGRES

BIN_DIR_GLOB = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"
# The cluster's superuser; the server under test connects as a plain role made by create_role.
ADMIN_ROLE = "cluster_admin"
PG_CTL_TIMEOUT_SECONDS = 30
COMMAND_TIMEOUT_SECONDS = 60
# Settings of the throwaway cluster: small and fast. fsync is off (only the OS crashing could
# lose data then), but synchronous_commit stays on: `pg_ctl stop -m immediate` kills the server,
# and a commit acknowledged before its WAL was written would be lost -- the test would see a
# created payment vanish, which real durable settings never allow.
CLUSTER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "60",
    "shared_buffers": "'16MB'",
    "fsync": "off",
    "full_page_writes": "off",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL server's bin directory, if any."""
    candidates = [Path(p) for p in glob.glob(BIN_DIR_GLOB) if (Path(p) / "initdb").exists()]
    if not candidates:
        return None
    return max(candidates, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def _unavailable(reason: str) -> None:
    if REQUIRE_POSTGRES:
        pytest.fail(f"CASHAPP_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


@dataclass
class PrivateCluster:
    bin_dir: Path
    root: Path
    port: int
    as_user: list[str]

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, role: str = ADMIN_ROLE, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{role}@127.0.0.1:{self.port}/{database}"

    def libpq_url(self, role: str = ADMIN_ROLE, database: str = "postgres") -> str:
        return f"postgresql://{role}@127.0.0.1:{self.port}/{database}"

    def run(self, binary: str, *args: str) -> None:
        command = [*self.as_user, str(self.bin_dir / binary), *args]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{binary} {' '.join(args)} failed:\n{result.stdout}{result.stderr}")

    def start(self) -> None:
        self.run(
            "pg_ctl",
            *("-D", str(self.data_dir), "-l", str(self.root / "server.log")),
            *("-w", "-t", str(PG_CTL_TIMEOUT_SECONDS), "start"),
        )

    def stop(self, mode: str = "fast") -> None:
        """`pg_ctl stop -m fast` (clients disconnected with AdminShutdown) or `-m immediate` (the
        postmaster kills its backends without a word, as a crash would)."""
        self.run(
            "pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", str(PG_CTL_TIMEOUT_SECONDS), "stop"
        )

    def ensure_running(self) -> None:
        """Starts the cluster again if a test left it stopped (pg_ctl status exits 3 then)."""
        status = subprocess.run(
            [*self.as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "status"],
            capture_output=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
        if status.returncode == 3:
            self.start()

    def sql(self, statement: str) -> None:
        """Runs one statement as the cluster's superuser (CREATE ROLE, CREATE DATABASE, ...)."""
        self.run("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.libpq_url(), "-c", statement)

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A running private cluster; stopped and deleted afterwards."""
    binaries = bin_dir()
    if binaries is None:
        _unavailable(f"no PostgreSQL server binaries under {BIN_DIR_GLOB} (apt-get install postgresql)")
        raise AssertionError("unreachable")  # _unavailable raises
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="cashapp-pg-"))
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam(SERVER_USER)
        except KeyError:
            shutil.rmtree(root)
            _unavailable(f"running as root and there is no `{SERVER_USER}` OS user to run initdb as")
            raise AssertionError("unreachable") from None
        os.chown(root, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", SERVER_USER, "--"]
    cluster = PrivateCluster(binaries, root, free_port(), as_user)
    try:
        cluster.run("initdb", "-D", str(cluster.data_dir), "-U", ADMIN_ROLE, "-A", "trust", "--no-sync")
        settings = {**CLUSTER_SETTINGS, "port": str(cluster.port), "unix_socket_directories": f"'{root}'"}
        with (cluster.data_dir / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            cluster.stop("immediate")  # fails when it never started or already stopped
        shutil.rmtree(root, ignore_errors=True)
