"""`cashapp serve --decide-processes N`: AutoApplyBacklog's rounds run in N worker processes, N at
once, on SQLite and PostgreSQL. Each payment is decided once and the books reconcile, as with the
rounds on the server's threads; the decisions carry the call's actor and trace; a dead worker
makes a round UNAVAILABLE (and the next one starts fresh workers); a round's refusal reaches the
caller with the status it would have had on a thread. An in-memory database is refused, and so
are decide processes beside several server processes."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from cashapp_client import Client
from engine.app import CashApp
from engine.errors import InvalidArgument
from engine.storage.db import Database
from server import backlog_rounds
from server.app import Running, run_in_thread
from server.backlog_rounds import DecideProcesses
from server.config import ConfigError, Settings, load
from server.errors import ForwardedStatus
from tests.integration.test_auto_apply_backlog import BACKLOG, _backlog, assert_each_decided_once
from tests.integration.test_telemetry import _finished, _rpc_span
from tests.span_capture import fresh_exporter

PROCESSES = 2


@pytest.fixture
def server(database_url: str) -> Iterator[Running]:
    settings = Settings(database_url=database_url, listen="127.0.0.1:0", decide_processes=PROCESSES)
    with run_in_thread(settings) as running:
        yield running


def test_the_processes_decide_each_payment_once_in_the_calls_trace(client: Client) -> None:
    spans = fresh_exporter()
    _backlog(client)
    progress = list(client.auto_apply_backlog(include_decisions=True))

    assert progress[-1].done and not any(p.done for p in progress[:-1])
    assert sum(p.round_payment_count for p in progress) == BACKLOG
    assert [p.round for p in progress] == list(range(1, len(progress) + 1))
    last = progress[-1]
    assert (last.auto_applied_count, last.unmatched_count, last.remaining_count) == (1, BACKLOG - 1, 0)
    assert_each_decided_once(client, progress)
    # Made in the workers, yet in the call's trace (the worker joins it).
    call = _rpc_span(_finished(spans, 1), "ReconciliationService/AutoApplyBacklog")
    assert call.context is not None
    traces = {d.trace_id for p in progress for d in p.decisions}
    assert traces == {format(call.context.trace_id, "032x")}


def test_the_decisions_carry_the_callers_actor(server: Running, database_url: str) -> None:
    from tests.integration.test_actor import issue

    secret, actor = issue(database_url, "acme", "anna")
    with Client(f"127.0.0.1:{server.port}", token=secret, timeout_seconds=30) as c:
        _backlog(c, 10)
        progress = list(c.auto_apply_backlog())
        assert progress[-1].done and sum(p.round_payment_count for p in progress) == 10
        assert {d.actor for d in c.list_decisions()} == {actor}
        assert c.get_reconciliation_report().all_passed


def test_a_dead_worker_makes_the_round_unavailable_and_the_next_starts_afresh(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    pool = DecideProcesses(database_url, PROCESSES)
    try:

        async def rounds() -> None:
            empty, outcomes = await pool.run_round("default", with_decisions=False)
            assert (empty.unchanged_count, outcomes) == (0, [])  # nothing waits: workers started
            executor = pool._executor
            assert executor is not None
            victim = next(iter(executor._processes.values()))  # type: ignore[attr-defined]
            os.kill(victim.pid, signal.SIGKILL)
            victim.join(10)
            with pytest.raises(ForwardedStatus) as caught:
                await pool.run_round("default", with_decisions=False)
            assert caught.value.status.code == grpc.StatusCode.UNAVAILABLE
            assert "decide process stopped" in caught.value.status.details
            again, _ = await pool.run_round("default", with_decisions=False)
            assert again.unchanged_count == 0 and pool._executor is not executor

        asyncio.run(rounds())
    finally:
        pool.close()
        db.dispose()


def test_a_rounds_refusal_is_the_status_it_has_on_a_thread(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mapped where the exception is (in the worker), so the caller sees its code, reason and
    field; run here in the test process, as a worker runs it."""
    db = Database(database_url)
    db.migrate()

    def refused(_app: CashApp, _tenant: str, _with_decisions: bool) -> None:
        raise InvalidArgument("SOME_REASON", "what was wrong", "some.field")

    monkeypatch.setattr(backlog_rounds, "_worker_app", CashApp(db))
    monkeypatch.setattr(backlog_rounds, "backlog_round", refused)
    try:
        failed = backlog_rounds._round_in_worker("default", "", {}, False)
    finally:
        db.dispose()
    assert isinstance(failed, backlog_rounds._Failed)
    assert failed.code == grpc.StatusCode.INVALID_ARGUMENT and failed.details == "what was wrong"
    details = dict(failed.trailing_metadata)["grpc-status-details-bin"]
    assert isinstance(details, bytes) and b"SOME_REASON" in details and b"some.field" in details


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:x?mode=memory&uri=true"])
def test_an_in_memory_database_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="--decide-processes"):
        load("serve", {"database_url": url, "decide_processes": "2"}, {})


def test_several_server_processes_cannot_start_decide_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cashapp.db'}"
    flags = {"database_url": url, "decide_processes": "2", "processes": "2", "listen": "127.0.0.1:50051"}
    with pytest.raises(ConfigError, match=r"--processes .*expected one of the two"):
        load("serve", flags, {})
    assert load("serve", {**flags, "processes": "1"}, {}).settings.decide_processes == 2
