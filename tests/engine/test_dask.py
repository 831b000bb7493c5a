"""The Dask path gives the same results, events and errors as the local path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.engine import Engine
from pipeflow_nb.models.execution import Batch, Execution
from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.pipeline import Pipeline

distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    import tests.engine.nodes

    # Workers need not import the test package: its node functions travel by value.
    cloudpickle.register_pickle_by_value(tests.engine.nodes)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with distributed.Client(cluster, set_as_default=False) as dask_client:
        yield dask_client
    cluster.close()
    cloudpickle.unregister_pickle_by_value(tests.engine.nodes)


def workflow(registry: NodeRegistry) -> Pipeline:
    p = Pipeline("dask", registry=registry)
    src = p.add("t:source", id="src")
    img = p.add("t:image", id="img", x=src)
    p.add("t:double", id="d", x=src)
    p.add("t:boom", id="bad", x=p.add("t:source", id="fails", value=0))
    assert img.id == "img"
    return p


def summary(execution: Execution) -> dict[str, Any]:
    return {
        "status": execution.status,
        "failed": execution.failed_node_id,
        "error": execution.error,
        "input_index": execution.input_index,
        "credits": execution.credits_used,
        "nodes": [(r.node_id, r.status, r.error, r.output) for r in execution.node_runs],
        "outputs": execution.outputs,
    }


def batch_summary(batch: Batch) -> list[dict[str, Any]]:
    return [summary(r) for r in batch.runs]


def event_kinds(events: list[Any]) -> list[tuple[Any, ...]]:
    """Per run: first and last event, then each node's own event sequence.

    Independent branches interleave differently from run to run (locally too), so the
    order across nodes is not compared; each node's order and the run's bounds are.
    """
    by_run: dict[str, list[Any]] = {}
    for event in events:
        by_run.setdefault(event.execution_id, []).append(event)
    shapes = []
    for run in by_run.values():
        per_node: dict[str, list[str]] = {}
        for event in run[1:-1]:
            per_node.setdefault(event.node_id, []).append(event.type)
        shapes.append((run[0].type, run[-1].type, run[-1].status, sorted(per_node.items())))
    return sorted(shapes, key=repr)


async def test_dask_batch_matches_the_local_batch(
    client: Any, registry: NodeRegistry, tmp_path: Any
) -> None:
    from pipeflow_nb.engine.dask import DaskRunner

    wf = workflow(registry).to_workflow()
    configs = [{"nodeId": "src", "values": [1, 2, 3, 4]}]
    local_events: list[Any] = []
    remote_events: list[Any] = []
    with Engine(registry, artifacts=ArtifactStore(tmp_path / "local"), cache=False) as local:
        local_batch = await local.execute_batch(wf, configs, observers=[local_events.append])
    remote_engine = Engine(registry, artifacts=ArtifactStore(tmp_path / "remote"), cache=False)
    with DaskRunner(remote_engine, client) as runner:
        remote_batch = await runner.execute_batch(wf, configs, observers=[remote_events.append])
    assert batch_summary(remote_batch) == batch_summary(local_batch)
    assert remote_batch.combinations == local_batch.combinations
    assert remote_batch.runs[0].failed_node_id == "bad"
    assert remote_batch.runs[0].error == "ValueError: cannot handle 0"
    assert event_kinds(remote_events) == event_kinds(local_events)
    assert len(remote_events) == len(local_events)
    pids = client.run(lambda: __import__("os").getpid())
    assert len(set(pids.values())) == 2


async def test_dask_single_run_and_offloaded_node(
    client: Any, registry: NodeRegistry, tmp_path: Any
) -> None:
    from pipeflow_nb.engine.dask import DaskRunner

    p = Pipeline("one", registry=registry)
    src = p.add("t:source", id="src", value=5)
    p.add("t:where", id="where", x=src)
    p.add("t:double", id="d", x=src)
    store = ArtifactStore(tmp_path)
    with Engine(registry, artifacts=store, cache=False) as engine:
        runner = DaskRunner(engine, client)
        remote = await runner.execute(p.to_workflow(), overrides={"src": {"value": 6}})
        assert remote.outputs["d"] == {"number": 12}
        via_pipeline = await p.run_batch_async({"src": [7, 8]}, engine=runner)
        assert [r.outputs["d"] for r in via_pipeline.runs] == [{"number": 14}, {"number": 16}]
        runner.offload("t:where")
        offloaded = await engine.execute(p.to_workflow())
    # The offloaded node ran in a Dask worker thread, not in one of the engine's threads.
    assert not offloaded.outputs["where"]["text"].startswith("pipeflow-node")
    assert offloaded.outputs["d"] == {"number": 10}
