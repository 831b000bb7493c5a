from __future__ import annotations

import threading
from typing import Any

import pytest

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.engine import Engine
from pipeflow_nb.errors import PipelineValidationError
from pipeflow_nb.models.execution import Execution, ExecutionStatus, NodeStatus
from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.pipeline import Pipeline


def diamond(registry: NodeRegistry) -> Pipeline:
    p = Pipeline("diamond", registry=registry)
    src = p.add("t:source", id="src", value=3)
    left = p.add("t:double", id="left", x=src)
    right = p.add("t:async-add", id="right", a=src, b=src)
    p.add("t:add", id="join", a=left, b=right)
    return p


async def test_runs_a_graph_and_reports_outputs(engine: Engine, registry: NodeRegistry) -> None:
    execution = await engine.execute(diamond(registry).to_workflow())
    assert execution.status == ExecutionStatus.COMPLETED
    assert execution.outputs["join"] == {"number": 12}
    assert execution.node_run("join").output is not None
    assert execution.node_run("join").output.json_ == 12
    assert [r.status for r in execution.node_runs] == [NodeStatus.COMPLETED] * 4
    assert execution.progress is not None and execution.progress.completed == 4


async def test_event_sequence_of_a_chain(engine: Engine, registry: NodeRegistry) -> None:
    p = Pipeline("chain", registry=registry)
    src = p.add("t:source", id="src", value=1)
    p.add("t:double", id="d", x=src)
    seen: list[tuple[str, str | None]] = []
    execution = await engine.execute(
        p.to_workflow(), observers=[lambda e: seen.append((e.type, getattr(e, "node_id", None)))]
    )
    assert seen == [
        ("execution_started", None),
        ("node_started", "src"),
        ("node_completed", "src"),
        ("node_started", "d"),
        ("node_completed", "d"),
        ("execution_finished", None),
    ]
    assert execution.status == ExecutionStatus.COMPLETED


async def test_failure_skips_descendants_and_names_the_node(
    engine: Engine, registry: NodeRegistry
) -> None:
    p = Pipeline("fails", registry=registry)
    src = p.add("t:source", id="src", value=7)
    bad = p.add("t:boom", id="bad", x=src)
    after = p.add("t:double", id="after", x=bad)
    p.add("t:double", id="later", x=after)
    p.add("t:double", id="independent", x=src)
    execution = await engine.execute(p.to_workflow())
    assert execution.status == ExecutionStatus.FAILED
    assert execution.failed_node_id == "bad"
    assert execution.error == "ValueError: cannot handle 7"
    assert execution.node_run("after").status == NodeStatus.SKIPPED
    assert execution.node_run("later").status == NodeStatus.SKIPPED
    assert execution.node_run("independent").status == NodeStatus.COMPLETED
    assert "ValueError" in (execution.node_run("bad").traceback or "")


async def test_sync_nodes_run_off_the_loop_thread(engine: Engine, registry: NodeRegistry) -> None:
    p = Pipeline("where", registry=registry)
    p.add("t:where", id="w", x=p.add("t:source", id="src"))
    execution = await engine.execute(p.to_workflow())
    assert execution.outputs["w"]["text"] != threading.current_thread().name
    assert execution.outputs["w"]["text"].startswith("pipeflow-node")


async def test_unknown_input_node_is_a_clear_error(engine: Engine, registry: NodeRegistry) -> None:
    with pytest.raises(PipelineValidationError, match="nope"):
        await engine.execute(diamond(registry).to_workflow(), inputs={"nope": 1})


async def test_an_unwatched_run_reports_what_a_watched_run_does(
    registry: NodeRegistry, store: ArtifactStore
) -> None:
    # Without observers no events are built and plain outputs are described at the end;
    # the report must not tell the difference.
    p = Pipeline("same", registry=registry)
    src = p.add("t:source", id="src", value=3)
    p.add("t:image", id="img", x=src)
    p.add("t:add", id="sum", a=p.add("t:double", id="dbl", x=src), b=src)
    workflow = p.to_workflow()
    events: list[Any] = []
    with Engine(registry, artifacts=store, cache=False) as engine:
        unwatched = await engine.execute(workflow)
        watched = await engine.execute(workflow, observers=[events.append])

    def report(execution: Execution) -> list[tuple[Any, ...]]:
        return [
            (r.node_id, r.status, r.output, r.credits, r.cached, r.rerun_reason, r.progress)
            for r in execution.node_runs
        ]

    assert unwatched.status == ExecutionStatus.COMPLETED, unwatched.error
    assert report(unwatched) == report(watched)
    assert unwatched.final_output == watched.final_output
    assert unwatched.credits_used == watched.credits_used == 2
    assert list(unwatched.outputs["sum"].values()) == [9]
    image = unwatched.node_run("img").output
    assert image is not None and image.images[0].url.startswith("artifact:")
    assert [e.type for e in events].count("node_completed") == 4
