"""PostgreSQL outages under traffic: a private cluster is stopped (`-m fast`, `-m immediate`) and
started again while real clients keep calling a real embedded server.

What must hold: every call is answered OK or UNAVAILABLE (never INTERNAL), health turns
NOT_SERVING while the database is down and SERVING once it is back, a client with retries rides
through, no write is applied twice, the ledger invariants hold, and the same server process serves
again without a restart. The counts of calls by code are printed (`-s`) for the issue's note.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import grpc
import psycopg
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cashapp_client import Client, UnavailableError, money
from server.app import Running, run_in_thread
from server.config import Settings
from tests.integration.outage_traffic import (
    APPLIED_AMOUNT,
    CURRENCY,
    CUSTOMER_ID,
    OK,
    Tally,
    Traffic,
)
from tests.private_postgres import PrivateCluster, private_cluster

OUTAGE_SECONDS = 4.0
WARMUP_OK_CALLS = 20
RECOVERY_OK_CALLS = 20
PHASE_TIMEOUT_SECONDS = 30.0
HEALTH_POLL_SECONDS = 0.05
# "Too many connections": the server's role may hold this many, and the test takes them all.
ROLE_CONNECTION_LIMIT = 3
MAX_GRAB_ATTEMPTS = 200
PROBE_WORKERS = 3
RIDING_WORKERS = 1
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    with private_cluster() as running:
        yield running


def fresh_database(cluster: PrivateCluster) -> tuple[str, str]:
    """A new role and a database it owns; returns (role, SQLAlchemy URL)."""
    name = f"outage_{uuid.uuid4().hex[:10]}"
    cluster.ensure_running()
    cluster.sql(f"CREATE ROLE {name} LOGIN")
    cluster.sql(f"CREATE DATABASE {name} OWNER {name}")
    return name, cluster.url(name, name)


@pytest.fixture
def server(cluster: PrivateCluster) -> Iterator[Running]:
    _role, url = fresh_database(cluster)
    with run_in_thread(Settings(database_url=url, listen="127.0.0.1:0", workers=4)) as running:
        yield running
    cluster.ensure_running()


@dataclass
class HealthLog:
    """Every overall health status seen, in order (consecutive repeats folded)."""

    statuses: list[str] = field(default_factory=list)

    def watch(self, target: str, stop: threading.Event) -> None:
        with grpc.insecure_channel(target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while not stop.wait(HEALTH_POLL_SECONDS):
                try:
                    status = health_pb2.HealthCheckResponse.ServingStatus.Name(
                        stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0).status
                    )
                except grpc.RpcError as error:
                    status = f"RPC_{error.code().name}"
                if not self.statuses or self.statuses[-1] != status:
                    self.statuses.append(status)

    def current(self) -> str:
        return self.statuses[-1] if self.statuses else ""


def wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + PHASE_TIMEOUT_SECONDS
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_database_outage_answers_unavailable_and_recovers(
    cluster: PrivateCluster, server: Running, mode: str
) -> None:
    target = f"127.0.0.1:{server.port}"
    with Client(target, timeout_seconds=30) as client:
        client.create_customer(CUSTOMER_ID, display_name="Outage Ltd")
    tally, health, stop_health = Tally(), HealthLog(), threading.Event()
    watcher = threading.Thread(target=health.watch, args=(target, stop_health), daemon=True)
    watcher.start()
    traffic = Traffic(target, tally)
    traffic.start(probes=PROBE_WORKERS, riders=RIDING_WORKERS)
    try:
        wait_until(lambda: tally.ok_calls("before") >= WARMUP_OK_CALLS, "warm-up traffic")
        tally.phase = "outage"
        cluster.stop(mode)
        time.sleep(OUTAGE_SECONDS)  # the outage itself: traffic keeps calling meanwhile
        cluster.start()
        tally.phase = "after"
        wait_until(
            lambda: tally.ok_calls("after") >= RECOVERY_OK_CALLS and health.current() == "SERVING",
            "recovery: OK calls and SERVING again",
        )
    finally:
        traffic.join(timeout_seconds=60)
        stop_health.set()
        watcher.join(10)
        cluster.ensure_running()
    report = {phase: tally.by_code(phase) for phase in ("before", "outage", "after")}
    print(f"\noutage calls by code (pg_ctl stop -m {mode}, {OUTAGE_SECONDS:.0f} s): {report}")
    print(f"health statuses seen: {health.statuses}")
    riding_codes = Counter(error.rsplit(": ", 1)[-1] for error in tally.riding_errors)
    print(f"retrying client's failed calls by code: {dict(riding_codes)}")

    assert set(report["outage"]) <= {OK, "UNAVAILABLE"}, report
    assert report["outage"].get("UNAVAILABLE", 0) > 0, f"the outage was never noticed: {report}"
    assert set(report["before"]) | set(report["after"]) <= {OK, "UNAVAILABLE"}, report
    assert "NOT_SERVING" in health.statuses and health.current() == "SERVING", health.statuses
    assert tally.riding_errors == [], "the retrying client did not ride through the outage"
    assert_no_write_doubled(target, tally.applies)


def assert_no_write_doubled(target: str, applies: dict[str, str]) -> None:
    """A payment whose ApplyPayment answered OK was applied exactly once; one whose call failed
    (the caller cannot know) at most once. The ledger invariants must hold as well."""
    with Client(target, timeout_seconds=30) as client:
        for payment_id, code in applies.items():
            payment = client.get_payment(payment_id)
            applied = len(payment.applications)
            if code == OK:
                assert applied == 1, f"{payment_id}: {applied} applications for one OK call"
                expected = money(APPLIED_AMOUNT, CURRENCY)
                assert payment.applied_amount.amount_minor == expected.amount_minor
            else:
                assert applied <= 1, f"{payment_id}: applied {applied} times after {code}"
        report = client.get_reconciliation_report()
        failed = {check.name: list(check.violations) for check in report.invariants if not check.passed}
        assert report.all_passed, f"ledger invariants broken after the outage: {failed}"


def test_too_many_connections_answers_unavailable_until_a_slot_frees(cluster: PrivateCluster) -> None:
    role, url = fresh_database(cluster)
    cluster.sql(f"ALTER ROLE {role} CONNECTION LIMIT {ROLE_CONNECTION_LIMIT}")
    settings = Settings(database_url=url, listen="127.0.0.1:0", workers=2)
    with run_in_thread(settings) as running:
        target = f"127.0.0.1:{running.port}"
        health, stop_health = HealthLog(), threading.Event()
        watcher = threading.Thread(target=health.watch, args=(target, stop_health), daemon=True)
        watcher.start()
        with Client(target, timeout_seconds=10, max_attempts=1) as probe:
            probe.create_customer(CUSTOMER_ID, display_name="Busy Ltd")
            held = take_every_connection(cluster, running, role)
            try:
                with pytest.raises(UnavailableError) as refused:
                    probe.get_customer(CUSTOMER_ID)
                # The wire contract, spelled out: reason and RetryInfo delay (server/errors.py).
                assert refused.value.reason == "DATABASE_UNAVAILABLE"
                assert refused.value.retry_delay_seconds == 1.0
                wait_until(lambda: health.current() == "NOT_SERVING", "NOT_SERVING while no slot is free")
                rider = RetryingRead(target)
                rider.thread.start()
                time.sleep(1.5)  # the rider meets "too many connections" and waits, retrying
            finally:
                for conn in held:
                    conn.close()
            rider.thread.join(PHASE_TIMEOUT_SECONDS)
            assert rider.result == "OK", rider.result
            wait_until(lambda: health.current() == "SERVING", "SERVING once slots are free")
            assert probe.get_customer(CUSTOMER_ID).customer_id == CUSTOMER_ID
        stop_health.set()
        watcher.join(10)


def take_every_connection(cluster: PrivateCluster, running: Running, role: str) -> list[psycopg.Connection]:
    """Holds all of the role's connection slots: whenever the limit refuses one, the server's
    idle pooled connections are closed (as after a database restart) and the test tries again."""
    held: list[psycopg.Connection] = []
    for _ in range(MAX_GRAB_ATTEMPTS):
        if len(held) == ROLE_CONNECTION_LIMIT:
            return held
        try:
            held.append(psycopg.connect(cluster.libpq_url(role, role)))
        except psycopg.OperationalError as error:
            assert "too many connections" in str(error), error
            running.db.engine.dispose()
            time.sleep(0.05)
    for conn in held:
        conn.close()
    raise AssertionError("could not take every connection slot of the role")


class RetryingRead:
    """One read by a client with retries, on a thread, remembering how it ended."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.result = "not finished"
        self.thread = threading.Thread(target=self._read, daemon=True)

    def _read(self) -> None:
        with Client(self.target, timeout_seconds=PHASE_TIMEOUT_SECONDS, max_attempts=30) as client:
            try:
                client.get_customer(CUSTOMER_ID)
                self.result = "OK"
            except UnavailableError as error:
                self.result = f"{error.code.name}: {error.reason}"
