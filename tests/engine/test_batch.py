"""Batches: zip and product combinations, the run limit, shared upstream work."""

from __future__ import annotations

import threading

import pytest

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.engine import Engine
from pipeflow_nb.engine.batch import MAX_BATCH_RUNS, BatchTooLargeError
from pipeflow_nb.models.execution import ExecutionStatus, IteratorConfig, NodeStatus
from pipeflow_nb.nodes.registry import NodeRegistry, define_node
from pipeflow_nb.pipeline import Pipeline


def grid(registry: NodeRegistry) -> Pipeline:
    p = Pipeline("grid", registry=registry)
    a = p.add("t:source", id="a", value=0)
    b = p.add("t:source", id="b", value=0)
    p.add("t:add", id="sum", a=a, b=b)
    return p


async def test_zip_batch_runs_one_execution_per_value(
    engine: Engine, registry: NodeRegistry
) -> None:
    batch = await engine.execute_batch(
        grid(registry).to_workflow(),
        [
            {"nodeId": "a", "values": [1, 2, 3]},
            IteratorConfig(node_id="b", param="value", values=[10, 20, 30]),
        ],
    )
    assert [r.outputs["sum"]["number"] for r in batch.runs] == [11, 22, 33]
    assert [r.input_index for r in batch.runs] == [0, 1, 2]
    assert sorted(r.run_index_in_batch or 0 for r in batch.runs) == [0, 1, 2]
    assert {r.batch_id for r in batch.runs} == {batch.id}
    assert batch.combinations[1] == {"a.value": 2, "b.value": 20}
    assert batch.status_counts == {"COMPLETED": 3}


async def test_product_batch_covers_every_combination(
    engine: Engine, registry: NodeRegistry
) -> None:
    batch = await engine.execute_batch(
        grid(registry).to_workflow(),
        [{"nodeId": "a", "values": [1, 2]}, {"nodeId": "b", "values": [10, 20, 30]}],
        mode="product",
        max_parallel=2,
    )
    assert [r.outputs["sum"]["number"] for r in batch.runs] == [11, 21, 31, 12, 22, 32]
    assert len(batch.runs) == 6


async def test_batch_limits_and_mismatched_zip_are_refused_before_running(
    registry: NodeRegistry, store: ArtifactStore
) -> None:
    calls: list[int] = []

    def counted(x: int) -> int:
        calls.append(x)
        return x

    registry.register(define_node(counted, node_type="t:counted"))
    p = grid(registry)
    p.add("t:counted", id="c", x=p["a"])
    with Engine(registry, artifacts=store) as engine:
        with pytest.raises(BatchTooLargeError, match="1200 runs"):
            await engine.execute_batch(
                p.to_workflow(),
                [{"nodeId": "a", "values": list(range(40))}, {"nodeId": "b", "values": [0] * 30}],
                mode="product",
            )
        with pytest.raises(ValueError, match=r"equal length \(a.value: 2, b.value: 3\)"):
            await engine.execute_batch(
                p.to_workflow(),
                [{"nodeId": "a", "values": [1, 2]}, {"nodeId": "b", "values": [1, 2, 3]}],
            )
        with pytest.raises(ValueError, match="'a'"):
            await engine.execute_batch(
                p.to_workflow(), [{"nodeId": "a", "values": [1, "not a number"]}]
            )
        exactly = await engine.execute_batch(
            p.to_workflow(), [{"nodeId": "b", "values": list(range(MAX_BATCH_RUNS))}]
        )
    assert calls == [0]  # only the last batch ran, and its `c` does not depend on `b`
    assert len(exactly.runs) == MAX_BATCH_RUNS


async def test_upstream_work_independent_of_the_iterated_value_runs_once(
    registry: NodeRegistry, store: ArtifactStore
) -> None:
    calls: list[int] = []
    lock = threading.Lock()

    def expensive(x: int) -> int:
        with lock:
            calls.append(x)
        return x * 100

    registry.register(define_node(expensive, node_type="t:expensive"))
    p = Pipeline("shared", registry=registry)
    base = p.add("t:expensive", id="base", x=p.add("t:source", id="fixed", value=3))
    p.add("t:add", id="sum", a=base, b=p.add("t:source", id="varied"))
    with Engine(registry, artifacts=store) as engine:
        batch = await engine.execute_batch(
            p.to_workflow(), [{"nodeId": "varied", "values": list(range(8))}], max_parallel=4
        )
    assert calls == [3]
    assert [r.outputs["sum"]["number"] for r in batch.runs] == [300 + i for i in range(8)]
    base_statuses = [r.node_run("base").status for r in batch.runs]
    assert base_statuses.count(NodeStatus.COMPLETED) == 1
    assert base_statuses.count(NodeStatus.CACHED) == 7


async def test_batch_media_outputs_live_in_the_artifact_store(
    engine: Engine, registry: NodeRegistry
) -> None:
    p = Pipeline("media", registry=registry)
    p.add("t:image", id="img", x=p.add("t:source", id="src"))
    batch = await engine.execute_batch(p.to_workflow(), [{"nodeId": "src", "values": [1, 2]}])
    for run in batch.runs:
        assert run.status == ExecutionStatus.COMPLETED
        image = run.outputs["img"]["image"]
        assert image.path is not None
        assert image.path.parent.parent == engine.artifacts.root
    assert batch.runs[0].outputs["img"]["image"] != batch.runs[1].outputs["img"]["image"]


async def test_failed_runs_are_listed(engine: Engine, registry: NodeRegistry) -> None:
    p = Pipeline("partial", registry=registry)
    p.add("t:boom", id="bad", x=p.add("t:source", id="src"))
    batch = await engine.execute_batch(p.to_workflow(), [{"nodeId": "src", "values": [1, 2]}])
    assert [r.failed_node_id for r in batch.failed] == ["bad", "bad"]
