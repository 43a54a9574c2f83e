"""The shutdown's safety nets: a gRPC server whose own shutdown never confirms cannot keep a
stopped process alive, and a server that does not stop (embedded, or a serving process past its
grace) says where it is stuck."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any, cast

import pytest

from server import app
from server.app import Running

OUTER_BOUND_SECONDS = 30.0


class NeverConfirmingServer:
    """Stands in for grpc.aio.Server at the one point under test: a stop that never returns."""

    def __init__(self) -> None:
        self.graces: list[float | None] = []

    async def stop(self, grace: float | None) -> None:
        self.graces.append(grace)
        await asyncio.Event().wait()


def test_a_grpc_stop_that_never_confirms_is_given_up_after_the_margin(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(app, "GRPC_STOP_MARGIN_SECONDS", 0.2)
    server = NeverConfirmingServer()
    unused = cast(Any, None)  # the parts of a server this step does not touch
    running = Running(cast(Any, server), 0, unused, unused, unused, 0.1, unused, unused)
    with caplog.at_level(logging.ERROR, logger="server.app"):
        # The outer bound only turns a missing inner one into a failure instead of a hung test.
        asyncio.run(asyncio.wait_for(running._stop_grpc(), OUTER_BOUND_SECONDS))
    assert server.graces == [0.1], "grpc was asked to stop with the configured grace"
    assert "had not confirmed its shutdown 0.3 s after the stop" in caplog.text


def test_the_report_of_a_stuck_loop_names_its_threads_and_tasks() -> None:
    loop = asyncio.new_event_loop()
    release = threading.Event()

    async def stuck_step() -> None:
        while not release.is_set():
            await asyncio.sleep(0.01)

    async def main() -> None:
        await loop.create_task(stuck_step(), name="stuck-step")

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), name="server-loop")
    thread.start()
    try:
        time.sleep(0.2)
        report = app._where(loop)
    finally:
        release.set()
        thread.join(5)
        loop.close()
    assert "thread server-loop:" in report and "thread MainThread:" in report
    assert "name='stuck-step'" in report and "in stuck_step" in report


def test_a_serving_process_still_stopping_past_its_grace_logs_where_it_stands(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(app, "SLOW_STOP_REPORT_SECONDS", 0.05)

    async def slow_stop() -> None:
        app.report_a_slow_stop(0.05)
        await asyncio.sleep(0.5)  # a step of the stop that outlasts grace + report delay

    async def main() -> None:
        await asyncio.wait_for(asyncio.create_task(slow_stop(), name="slow-stop"), OUTER_BOUND_SECONDS)

    with caplog.at_level(logging.WARNING, logger="server.app"):
        asyncio.run(main())
    assert "still stopping 0.1 s after the stop began" in caplog.text
    assert "name='slow-stop'" in caplog.text and "in slow_stop" in caplog.text
