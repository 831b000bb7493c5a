from __future__ import annotations

import asyncio
import threading
from typing import Any

from pipeflow_nb.engine.events import EventHub
from pipeflow_nb.models.events import ExecutionFinished, NodeStarted


def started(node_id: str) -> NodeStarted:
    return NodeStarted(execution_id="exec_1", node_id=node_id)


async def test_events_from_threads_arrive_on_the_loop_in_order() -> None:
    loop = asyncio.get_running_loop()
    seen: list[tuple[str, bool]] = []
    hub = EventHub(loop, [lambda e: seen.append((e.node_id, threading.current_thread() is me))])
    me = threading.current_thread()

    def produce() -> None:
        for i in range(5):
            hub.emit(started(f"n{i}"))
        hub.wake()

    await asyncio.to_thread(produce)
    await asyncio.sleep(0)
    hub.flush()
    assert seen == [(f"n{i}", True) for i in range(5)]


async def test_a_failing_observer_does_not_stop_delivery(caplog: Any) -> None:
    got: list[str] = []

    def broken(_event: Any) -> None:
        raise RuntimeError("observer bug")

    hub = EventHub(asyncio.get_running_loop(), [broken, lambda e: got.append(e.type)])
    hub.emit_now(started("a"))
    assert got == ["node_started"]
    assert "observer bug" in caplog.text


async def test_stream_replays_history_and_ends_at_finish() -> None:
    hub = EventHub(asyncio.get_running_loop())
    hub.emit_now(started("a"))
    stream = hub.stream()
    first = await anext(stream)
    hub.emit_now(ExecutionFinished(execution_id="exec_1", status="COMPLETED"))
    rest = [e.type async for e in stream]
    assert first.type == "node_started"
    assert rest == ["execution_finished"]
