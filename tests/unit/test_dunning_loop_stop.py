"""DeliveryLoop.stop waits for a round still sending off the event loop: the loop goes on running
(the calls in flight of a stopping server) until the round ends."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, cast

from server.dunning_loop import DeliveryLoop

ROUND_BOUND_SECONDS = 10.0


def test_a_round_in_flight_is_waited_for_without_blocking_the_event_loop() -> None:
    started, released = threading.Event(), threading.Event()
    outcome: list[bool] = []

    def slow_round() -> int:  # a round held up by a slow SMTP server
        started.set()
        outcome.append(released.wait(ROUND_BOUND_SECONDS))
        return 0

    delivery = DeliveryLoop(cast(Any, None), {}, 0.01)
    delivery.round = slow_round  # type: ignore[method-assign]

    async def main() -> None:
        delivery.start()
        while not started.is_set():
            await asyncio.sleep(0.005)
        stopping = asyncio.create_task(delivery.stop())
        await asyncio.sleep(0.05)  # runs only if the stop left the event loop free
        assert not stopping.done(), "the stop did not wait for the round in flight"
        released.set()
        await stopping

    asyncio.run(main())
    assert outcome == [True], "the round was released by the event loop while the stop waited for it"
