"""Worker threads shared by executions: an execution that ends is told without delay."""

from __future__ import annotations

import threading

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.engine import Engine
from pipeflow_nb.models.execution import ExecutionStatus
from pipeflow_nb.nodes.registry import NodeRegistry, define_node
from pipeflow_nb.pipeline import Pipeline


async def test_an_execution_ends_while_its_worker_runs_another_executions_node(
    registry: NodeRegistry, store: ArtifactStore
) -> None:
    released = threading.Event()

    def quick() -> int:
        return 1

    def hold() -> bool:
        # Holds the only worker until the other execution's result has been received.
        return released.wait(timeout=10)

    registry.register(define_node(quick, node_type="t:quick"))
    registry.register(define_node(hold, node_type="t:hold"))
    first, second = Pipeline("first", registry=registry), Pipeline("second", registry=registry)
    first.add("t:quick", id="q")
    second.add("t:hold", id="h")
    with Engine(registry, artifacts=store, cache=False, max_concurrency=1) as engine:
        quick_run = engine.start(first.to_workflow())
        held_run = engine.start(second.to_workflow())
        done = await quick_run.result()
        released.set()
        held = await held_run.result()
    assert done.status == ExecutionStatus.COMPLETED, done.error
    assert held.status == ExecutionStatus.COMPLETED, held.error
    # Released in time, not after its 10 s wait: the first run ended while the second held
    # the only worker.
    assert list(held.outputs["h"].values()) == [True]
