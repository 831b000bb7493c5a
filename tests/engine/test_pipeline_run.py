"""Pipeline.run / run_async / run_batch: the notebook entry points."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.engine import Engine
from pipeflow_nb.errors import ExecutionFailed
from pipeflow_nb.models.execution import ExecutionStatus
from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.pipeline import Pipeline


def test_run_returns_the_execution(registry: NodeRegistry, engine: Engine) -> None:
    p = Pipeline("run", registry=registry)
    src = p.add("t:source", value=4)
    doubled = p.add("t:double", x=src)
    execution = p.run(engine=engine, inputs={src: 5})
    assert execution.status == ExecutionStatus.COMPLETED
    assert execution.output(doubled.id) == 10
    assert [r.node_id for r in p.run(engine=engine, target=src).node_runs] == [src.id]
    assert [r.node_id for r in p.run(engine=engine, target_node_id=src.id).node_runs] == [src.id]


def test_run_raises_execution_failed_carrying_the_execution(
    registry: NodeRegistry, engine: Engine
) -> None:
    p = Pipeline("fail", registry=registry)
    p.add("t:boom", id="bad", x=p.add("t:source"))
    with pytest.raises(ExecutionFailed) as info:
        p.run(engine=engine)
    assert info.value.failed_node_id == "bad"
    assert info.value.execution.status == ExecutionStatus.FAILED
    execution = p.run(engine=engine, raise_on_failure=False)
    assert execution.failed_node_id == "bad"


async def test_run_async_and_batch_forms(registry: NodeRegistry, engine: Engine) -> None:
    p = Pipeline("async", registry=registry)
    src = p.add("t:source", id="src")
    p.add("t:double", id="d", x=src)
    execution = await p.run_async(engine=engine, overrides={"src": {"value": 21}})
    assert execution.output("d") == 42
    batch = await p.run_batch_async({"src.value": [1, 2]}, engine=engine)
    assert [r.output("d") for r in batch.runs] == [2, 4]


def test_run_batch_sync_form(registry: NodeRegistry, engine: Engine) -> None:
    p = Pipeline("batch", registry=registry)
    src = p.add("t:source", id="src")
    p.add("t:double", id="d", x=src)
    batch = p.run_batch({src: [3, 4]}, engine=engine)
    assert [r.output("d") for r in batch.runs] == [6, 8]


def test_sync_run_works_inside_a_running_loop(tmp_path: Path) -> None:
    # The situation of a Jupyter cell: a loop is already running in the calling thread.
    script = textwrap.dedent(
        """
        import asyncio, sys
        from pipeflow_nb.artifacts import ArtifactStore
        from pipeflow_nb.engine import Engine
        from pipeflow_nb.pipeline import Pipeline
        from tests.engine.nodes import make_registry

        async def cell():
            p = Pipeline("kernel", registry=make_registry())
            p.add("t:double", id="d", x=p.add("t:source", value=8))
            engine = Engine(p.registry, artifacts=ArtifactStore(sys.argv[1]))
            print(p.run(engine=engine).output("d"))
            print("nest_asyncio" in sys.modules)

        import pipeflow_nb.pipeline
        print("nest_asyncio" in sys.modules)
        asyncio.run(cell())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.stdout.split() == ["False", "16", "True"]


def test_default_engine_is_shared_per_registry(registry: NodeRegistry, tmp_path: Path) -> None:
    from pipeflow_nb.engine.executor import shared_engine

    assert shared_engine(registry) is shared_engine(registry)
    assert isinstance(shared_engine(registry).artifacts, ArtifactStore)
