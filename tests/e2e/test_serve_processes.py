"""`cashapp serve --processes 2` as real processes on loopback: connections from several clients
spread over both workers, every payment is created once whichever worker took the call, the books
reconcile, SIGTERM stops everything with exit code 0; a worker that cannot bind, or dies, takes
the whole server down with a message naming it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from pathlib import Path

import grpc
import pytest

from cashapp_client import AlreadyExistsError, Client, Money
from cashapp_client._channel import CHANNEL_OPTIONS
from tests.cli_process import REPO_ROOT, STOP_TIMEOUT_SECONDS, cashapp_command, child_environment, start_serve

PROCESSES = 2
# Each new connection lands on a worker the kernel picks by a hash of its addresses: with this many
# the chance that none reached one of two workers is 2**-31, so the bound never decides a run.
MAX_CLIENTS = 32
CLIENTS = 6
PAYMENTS_PER_CLIENT = 20
TCP_ESTABLISHED = "01"


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _workers(parent: int) -> list[int]:
    """The spawned server processes of `parent` (not multiprocessing's resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except OSError:  # ended between listing and reading
            continue
        if ppid == parent and b"spawn_main" in command:
            found.append(int(entry.name))
    return sorted(found)


def _alive(pid: int) -> bool:
    """Running, not ended: an orphan that ended stays a zombie where PID 1 does not reap."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _accepted_connections(pid: int, port: int) -> int:
    """Established TCP connections on local `port` whose socket `pid` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    count = 0
    for table in ("tcp", "tcp6"):  # grpc listens on an IPv6 socket that takes IPv4 too
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            cells = line.split()
            local_port = int(cells[1].rsplit(":", 1)[1], 16)
            if local_port == port and cells[3] == TCP_ESTABLISHED and cells[9] in inodes:
                count += 1
    return count


@pytest.fixture
def served_twice(database_url: str) -> Iterator[tuple[str, list[int], int]]:
    port = _free_port()
    served = start_serve(
        {"CASHAPP_DATABASE_URL": database_url}, "--processes", str(PROCESSES), "--listen", f"127.0.0.1:{port}"
    )
    try:
        workers = _workers(served.process.pid)
        assert len(workers) == PROCESSES, workers
        yield served.target, workers, port
    finally:
        code = served.stop()
    output = "".join(served.stdout + served.stderr)
    assert code == 0, output
    assert "Traceback" not in output, output
    assert not any(_alive(pid) for pid in workers), "a worker outlived serve"


def test_two_processes_share_the_clients_and_create_every_payment_once(
    served_twice: tuple[str, list[int], int],
) -> None:
    target, workers, port = served_twice
    with ExitStack() as stack:
        clients: list[Client] = []
        # One channel (one connection) per client, opened one by one until both workers hold some.
        while len(clients) < CLIENTS or min(_accepted_connections(pid, port) for pid in workers) == 0:
            assert len(clients) < MAX_CLIENTS, "every connection went to the same worker"
            # Channels of one process share their connections unless each has its own pool.
            options = [*CHANNEL_OPTIONS, ("grpc.use_local_subchannel_pool", 1)]
            channel = stack.enter_context(grpc.insecure_channel(target, options=options))
            client = stack.enter_context(Client(target, timeout_seconds=60, channel=channel))
            list(client.list_customers())  # connects (the listing is lazy)
            clients.append(client)
        assert all(_accepted_connections(pid, port) > 0 for pid in workers)
        clients[0].create_customer("C-PROC", display_name="Two Processes GmbH")

        def create(number: int) -> list[str]:
            ids = [f"P-{number}-{n:03d}" for n in range(PAYMENTS_PER_CLIENT)]
            for index, payment_id in enumerate(ids):
                clients[number].create_payment(
                    payment_id,
                    amount=Money(currency_code="EUR", amount_minor=1_000 + index),
                    value_date="2026-11-20",
                    customer_id="C-PROC",
                    request_id=f"req-{payment_id}",
                )
            return ids

        with ThreadPoolExecutor(len(clients)) as pool:
            created = [pid for ids in pool.map(create, range(len(clients))) for pid in ids]
        # The same payments again through other connections: a replay of a request answers the
        # payment it made, a new request for a taken id is refused, whichever worker answers.
        for number, payment_id in enumerate(created):
            other = clients[(number + 1) % len(clients)]
            index = int(payment_id.rsplit("-", 1)[1])
            replayed = other.create_payment(
                payment_id,
                amount=Money(currency_code="EUR", amount_minor=1_000 + index),
                value_date="2026-11-20",
                customer_id="C-PROC",
                request_id=f"req-{payment_id}",
            )
            assert replayed.payment_id == payment_id
            with pytest.raises(AlreadyExistsError):
                other.create_payment(
                    payment_id,
                    amount=Money(currency_code="EUR", amount_minor=1),
                    value_date="2026-11-20",
                    request_id=f"again-{payment_id}",
                )
            assert other.get_payment(payment_id).amount.amount_minor == 1_000 + index
        listed = [p.payment_id for p in clients[-1].list_payments(customer_id="C-PROC", page_size=500)]
        assert sorted(listed) == sorted(created)
        assert len(created) == len(clients) * PAYMENTS_PER_CLIENT
        report = clients[1].get_reconciliation_report()
        assert report.invariants and report.all_passed, [i for i in report.invariants if not i.passed]


def _serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cashapp_command("serve", *args),
        cwd=REPO_ROOT,
        env=child_environment(env or {}),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_taken_port_fails_serve_before_any_worker_starts(tmp_path: Path) -> None:
    # A socket without SO_REUSEPORT on the port: serve's probe (server/processes.port_in_use)
    # finds it taken before a worker is spawned (a worker that loses a race for it still fails
    # serve, naming itself).
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _serve(
            "--processes",
            "2",
            "--listen",
            f"127.0.0.1:{port}",
            "--database-url",
            f"sqlite:///{tmp_path / 'a.db'}",
        )
    assert done.returncode == 1, done.stderr
    assert f"cashapp: serve failed: cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "cashapp listening" not in done.stdout


def test_an_unreachable_database_fails_serve_before_any_worker_starts() -> None:
    done = _serve(
        "--processes", "2", "--listen", f"127.0.0.1:{_free_port()}",
        "--database-url", "postgresql+psycopg://cashapp:secret@127.0.0.1:1/nowhere",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "cashapp: serve failed" in done.stderr and "secret" not in done.stderr
    assert "cashapp listening" not in done.stdout


def test_a_worker_that_dies_stops_the_others_and_serve_exits_non_zero(tmp_path: Path) -> None:
    served = start_serve(
        {"CASHAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"},
        "--processes", "2", "--listen", f"127.0.0.1:{_free_port()}",
    )  # fmt: skip
    try:
        workers = _workers(served.process.pid)
        assert len(workers) == 2, workers
        os.kill(workers[0], signal.SIGKILL)
        served.process.wait(timeout=STOP_TIMEOUT_SECONDS + 30)
    finally:
        code = served.stop()
    stderr = "".join(served.stderr)
    assert code == 1, stderr
    assert f"worker 0 (pid {workers[0]}) was killed by SIGKILL; stopping the others" in stderr
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while _alive(workers[1]) and time.monotonic() < deadline:
        time.sleep(0.1)  # reaped by serve before it exited; /proc may lag a moment
    assert not _alive(workers[1])


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--processes", "0"], {}, "--processes='0': 0 is out of range; expected an integer 1..64"),
        (["--processes", "-2"], {}, "--processes='-2'"),
        (["--processes", "two"], {}, "--processes='two': not an integer"),
        ([], {"CASHAPP_PROCESSES": "65"}, "CASHAPP_PROCESSES='65': 65 is out of range"),
        (
            ["--processes", "2", "--listen", "127.0.0.1:0"],
            {},
            "--processes (CASHAPP_PROCESSES)=2 with --listen",
        ),
        ([], {"CASHAPP_PROCESSES": "3", "CASHAPP_LISTEN": "127.0.0.1:0"}, "port 0 would give each process"),
    ],
)
def test_bad_process_counts_are_refused_naming_the_setting(
    args: list[str], env: dict[str, str], named: str, tmp_path: Path
) -> None:
    database = tmp_path / "untouched.db"
    done = _serve(*args, "--database-url", f"sqlite:///{database}", env=env)
    assert done.returncode == 2, done.stderr
    assert named in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not database.exists()


@pytest.mark.parametrize("whole_group", [False, True], ids=["parent", "process-group"])
def test_sigint_stops_every_worker_cleanly_whether_sent_to_the_parent_or_the_group(
    whole_group: bool, tmp_path: Path
) -> None:
    # Ctrl-C in a terminal signals the whole process group: each worker hears it first-hand and
    # then once more from the parent, and must still exit 0.
    port = _free_port()
    process = subprocess.Popen(
        cashapp_command("serve", "--processes", "2", "--listen", f"127.0.0.1:{port}"),
        cwd=REPO_ROOT,
        env=child_environment({"CASHAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # blocks until the line or the exit (the pipe closes)
        assert first.startswith(f"cashapp listening on 127.0.0.1:{port}"), first
        workers = _workers(process.pid)
        assert len(workers) == 2, workers
        with Client(f"127.0.0.1:{port}", timeout_seconds=30) as client:
            client.create_customer("C-SIG", display_name="Signalled")
        if whole_group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=STOP_TIMEOUT_SECONDS + 30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "cashapp:" not in stderr, stderr
    assert not any(_alive(pid) for pid in workers)


def test_workers_stop_by_themselves_when_serve_is_killed(tmp_path: Path) -> None:
    served = start_serve(
        {"CASHAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"},
        "--processes", "2", "--listen", f"127.0.0.1:{_free_port()}",
    )  # fmt: skip
    workers = _workers(served.process.pid)
    assert len(workers) == 2, workers
    served.process.kill()  # no chance to forward anything: the workers see their pipe close
    assert served.stop() == -signal.SIGKILL
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [pid for pid in workers if _alive(pid)]
    for pid in alive:  # a failed run must not leave servers behind
        os.kill(pid, signal.SIGKILL)
    assert not alive, "workers kept serving after serve was killed"


@pytest.mark.parametrize("processes", ["1", "2"])
def test_a_second_serve_on_a_served_port_fails_instead_of_sharing_it(tmp_path: Path, processes: str) -> None:
    """grpc sets SO_REUSEPORT by default on Linux: without care a second serve (one process, or
    a second `--processes` group) on a port already served would silently take part of its
    connections."""
    port = _free_port()
    first = start_serve(
        {}, "--listen", f"127.0.0.1:{port}", "--database-url", f"sqlite:///{tmp_path / 'a.db'}"
    )
    try:
        done = _serve(
            "--processes", processes, "--listen", f"127.0.0.1:{port}",
            "--database-url", f"sqlite:///{tmp_path / 'b.db'}",
        )  # fmt: skip
        assert done.returncode == 1, done.stdout + done.stderr
        assert f"127.0.0.1:{port}" in done.stderr
        assert "cashapp listening" not in done.stdout
    finally:
        assert first.stop() == 0
