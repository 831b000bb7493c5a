"""Concurrency, limits, cancellation, timeouts and fail-fast, shown with barriers and events."""

from __future__ import annotations

import asyncio
import threading

import pytest

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.engine import Engine
from pipeflow_nb.models.events import NodeStarted
from pipeflow_nb.models.execution import ExecutionStatus, NodeStatus
from pipeflow_nb.nodes.registry import NodeRegistry, define_node
from pipeflow_nb.pipeline import Pipeline


def fan(registry: NodeRegistry, node_type: str, width: int) -> Pipeline:
    p = Pipeline("fan", registry=registry)
    src = p.add("t:source", id="src")
    for i in range(width):
        p.add(node_type, id=f"n{i}", x=src)
    return p


async def test_independent_sync_branches_run_at_the_same_time(
    registry: NodeRegistry, store: ArtifactStore
) -> None:
    barrier = threading.Barrier(3, timeout=10)

    def meet(x: int) -> int:
        # Returns only once all three branches are inside their node at the same time.
        barrier.wait()
        return x

    registry.register(define_node(meet, node_type="t:meet"))
    with Engine(registry, artifacts=store, cache=False) as engine:
        execution = await engine.execute(fan(registry, "t:meet", 3).to_workflow())
    assert execution.status == ExecutionStatus.COMPLETED, execution.error
    assert not barrier.broken


async def test_independent_async_branches_run_at_the_same_time(
    registry: NodeRegistry, store: ArtifactStore
) -> None:
    arrived: list[str] = []
    everyone = asyncio.Event()

    async def gather_all(x: int) -> int:
        arrived.append("x")
        if len(arrived) == 3:
            everyone.set()
        await asyncio.wait_for(everyone.wait(), 10)
        return x

    registry.register(define_node(gather_all, node_type="t:gather"))
    with Engine(registry, artifacts=store, cache=False) as engine:
        execution = await engine.execute(fan(registry, "t:gather", 3).to_workflow())
    assert execution.status == ExecutionStatus.COMPLETED, execution.error


async def test_type_limit_and_global_limit_bound_running_nodes(
    registry: NodeRegistry, store: ArtifactStore
) -> None:
    lock = threading.Lock()
    active = [0]
    peak = [0]

    def tracked(x: int) -> int:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            # Give the others every chance to overlap: wait (bounded) for a partner.
            partner.wait(timeout=0.05)
            return x
        finally:
            with lock:
                active[0] -= 1

    partner = threading.Event()
    registry.register(define_node(tracked, node_type="t:tracked"))
    workflow = fan(registry, "t:tracked", 6).to_workflow()
    with Engine(registry, artifacts=store, cache=False, type_limits={"t:tracked": 2}) as engine:
        execution = await engine.execute(workflow)
    assert execution.status == ExecutionStatus.COMPLETED
    assert peak[0] <= 2
    peak[0] = 0
    with Engine(registry, artifacts=store, cache=False, max_concurrency=1) as engine:
        execution = await engine.execute(workflow)
    assert execution.status == ExecutionStatus.COMPLETED
    assert peak[0] == 1


async def test_cancel_stops_running_and_pending_nodes(
    registry: NodeRegistry, store: ArtifactStore
) -> None:
    async def forever(x: int) -> int:
        await asyncio.Event().wait()
        return x

    registry.register(define_node(forever, node_type="t:forever"))
    p = Pipeline("cancel", registry=registry)
    src = p.add("t:source", id="src")
    hang = p.add("t:forever", id="hang", x=src)
    p.add("t:double", id="after", x=hang)
    with Engine(registry, artifacts=store, cache=False) as engine:
        handle = engine.start(p.to_workflow())
        async for event in handle.events():
            if isinstance(event, NodeStarted) and event.node_id == "hang":
                handle.cancel()
        execution = await handle.result()
    assert execution.status == ExecutionStatus.CANCELLED
    assert execution.node_run("src").status == NodeStatus.COMPLETED
    assert execution.node_run("hang").status == NodeStatus.CANCELLED
    assert execution.node_run("after").status == NodeStatus.CANCELLED


async def test_cancel_event_argument(registry: NodeRegistry, store: ArtifactStore) -> None:
    started = asyncio.Event()
    stop = asyncio.Event()

    async def wait_forever(x: int) -> int:
        started.set()
        await asyncio.Event().wait()
        return x

    registry.register(define_node(wait_forever, node_type="t:wait"))
    p = Pipeline("cancel2", registry=registry)
    p.add("t:wait", id="w", x=p.add("t:source", id="src"))
    with Engine(registry, artifacts=store, cache=False) as engine:
        running = asyncio.ensure_future(engine.execute(p.to_workflow(), cancel=stop))
        await started.wait()
        stop.set()
        execution = await running
    assert execution.status == ExecutionStatus.CANCELLED


async def test_node_timeout_fails_the_node(registry: NodeRegistry, store: ArtifactStore) -> None:
    async def stuck(x: int) -> int:
        await asyncio.Event().wait()
        return x

    registry.register(define_node(stuck, node_type="t:stuck"))
    p = Pipeline("timeout", registry=registry)
    stuck_node = p.add("t:stuck", id="stuck", x=p.add("t:source", id="src"))
    p.add("t:double", id="after", x=stuck_node)
    with Engine(registry, artifacts=store, cache=False) as engine:
        execution = await engine.execute(p.to_workflow(), node_timeout_s=0.05)
    assert execution.status == ExecutionStatus.FAILED
    assert execution.failed_node_id == "stuck"
    assert "timed out after 0.05 s" in (execution.error or "")
    assert execution.node_run("after").status == NodeStatus.SKIPPED


async def test_fail_fast_stops_independent_branches(
    registry: NodeRegistry, store: ArtifactStore
) -> None:
    release = threading.Event()
    slow_started = threading.Event()

    def slow(x: int) -> int:
        slow_started.set()
        release.wait(timeout=10)
        return x

    def fail_once_slow_runs(x: int) -> int:
        slow_started.wait(timeout=10)
        raise RuntimeError("broken")

    registry.register(define_node(slow, node_type="t:slow"))
    registry.register(define_node(fail_once_slow_runs, node_type="t:fail-later"))
    p = Pipeline("ff", registry=registry)
    src = p.add("t:source", id="src")
    p.add("t:fail-later", id="bad", x=src)
    other = p.add("t:slow", id="slow", x=src)
    p.add("t:double", id="after_slow", x=other)
    with Engine(registry, artifacts=store, cache=False) as engine:
        execution = await engine.execute(p.to_workflow(), fail_fast=True)
        release.set()
    assert execution.status == ExecutionStatus.FAILED
    assert execution.failed_node_id == "bad"
    assert execution.node_run("after_slow").status == NodeStatus.SKIPPED
    assert execution.node_run("slow").status == NodeStatus.CANCELLED


async def test_events_async_iterator_sees_everything(
    engine: Engine, registry: NodeRegistry
) -> None:
    p = Pipeline("it", registry=registry)
    src = p.add("t:source", id="src")
    p.add("t:trigger", id="trig", x=src)
    handle = engine.start(p.to_workflow(), trigger_data={"who": "webhook"})
    types = [e.type async for e in handle.events()]
    execution = await handle.result()
    assert types == [
        "execution_started",
        "node_started",
        "node_completed",
        "node_started",
        "node_progress",
        "node_progress",
        "node_completed",
        "execution_finished",
    ]
    assert execution.outputs["trig"]["text"] == "webhook"
    late = [e.type async for e in handle.events()]
    assert late == types


async def test_cancelling_the_awaiting_task_cancels_the_run(
    registry: NodeRegistry, store: ArtifactStore
) -> None:
    started = asyncio.Event()
    cleaned_up = asyncio.Event()

    async def hang(x: int) -> int:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cleaned_up.set()
        return x

    registry.register(define_node(hang, node_type="t:hang"))
    p = Pipeline("outer", registry=registry)
    p.add("t:hang", id="h", x=p.add("t:source", id="src"))
    seen: list[str] = []
    with Engine(registry, artifacts=store, cache=False) as engine:
        running = asyncio.ensure_future(
            engine.execute(p.to_workflow(), observers=[lambda e: seen.append(e.type)])
        )
        await started.wait()
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        await asyncio.wait_for(cleaned_up.wait(), 10)
    assert seen[-2:] == ["node_skipped", "execution_finished"]


async def test_limits_hold_across_concurrent_executions(
    registry: NodeRegistry, store: ArtifactStore
) -> None:
    lock = threading.Lock()
    active = [0]
    peak = [0]
    overlap = threading.Event()

    def provider_call(x: int) -> int:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
            if active[0] > 1:
                overlap.set()
        try:
            overlap.wait(timeout=0.05)  # would let a second call in, were it allowed
            return x
        finally:
            with lock:
                active[0] -= 1

    registry.register(define_node(provider_call, node_type="t:provider", concurrency=1))
    workflow = fan(registry, "t:provider", 3).to_workflow()
    with Engine(registry, artifacts=store, cache=False) as engine:
        runs = await asyncio.gather(*(engine.execute(workflow) for _ in range(3)))
        batch = await engine.execute_batch(
            workflow, [{"nodeId": "src", "values": [1, 2, 3, 4]}], max_parallel=4
        )
    assert all(r.status == ExecutionStatus.COMPLETED for r in [*runs, *batch.runs])
    assert peak[0] == 1
    assert engine.slots.running == 0
