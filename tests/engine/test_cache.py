"""Caching: only what changed re-runs, with the reason; persistence across processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.engine import Cache, Engine
from pipeflow_nb.models.execution import Execution, NodeStatus
from pipeflow_nb.nodes.registry import NodeRegistry, define_node
from pipeflow_nb.pipeline import Pipeline


def chain(registry: NodeRegistry) -> Pipeline:
    p = Pipeline("cached", registry=registry)
    a = p.add("t:source", id="a", value=1)
    b = p.add("t:source", id="b", value=10)
    da = p.add("t:double", id="da", x=a)
    db = p.add("t:double", id="db", x=b)
    p.add("t:add", id="sum", a=da, b=db)
    return p


def statuses(execution: Execution) -> dict[str, str]:
    return {r.node_id: r.status.value for r in execution.node_runs}


def reasons(execution: Execution) -> dict[str, str | None]:
    return {r.node_id: r.rerun_reason for r in execution.node_runs}


async def test_changing_one_param_reruns_only_it_and_its_descendants(
    engine: Engine, registry: NodeRegistry
) -> None:
    p = chain(registry)
    first = await engine.execute(p.to_workflow())
    assert set(reasons(first).values()) == {"not cached"}
    again = await engine.execute(p.to_workflow())
    assert set(statuses(again).values()) == {"CACHED"}
    assert again.cached_node_ids == ["a", "b", "da", "db", "sum"]
    assert again.credits_used == 0

    p["a"].set(value=2)
    changed = await engine.execute(p.to_workflow())
    assert statuses(changed) == {
        "a": "COMPLETED",
        "b": "CACHED",
        "da": "COMPLETED",
        "db": "CACHED",
        "sum": "COMPLETED",
    }
    assert reasons(changed) == {
        "a": "param changed",
        "b": None,
        "da": "input changed",
        "db": None,
        "sum": "input changed",
    }
    assert changed.outputs["sum"] == {"number": 24}


async def test_force_code_change_and_overrides(engine: Engine, registry: NodeRegistry) -> None:
    p = chain(registry)
    await engine.execute(p.to_workflow())
    forced = await engine.execute(p.to_workflow(), force=True)
    assert set(reasons(forced).values()) == {"forced"}

    def double_v2(x: int) -> int:
        return x * 2

    registry.register(define_node(double_v2, node_type="t:double", version="2"), replace=True)
    recoded = await engine.execute(p.to_workflow())
    assert reasons(recoded)["da"] == "code changed"
    assert statuses(recoded)["a"] == "CACHED"
    assert reasons(recoded)["sum"] is None  # same inputs as before: served from the cache
    assert statuses(recoded)["sum"] == "CACHED"

    overridden = await engine.execute(p.to_workflow(), overrides={"b": {"value": 11}})
    assert reasons(overridden)["b"] == "param changed"
    assert overridden.outputs["sum"] == {"number": 24}


async def test_non_deterministic_nodes_rerun_unless_pinned(
    registry: NodeRegistry, store: ArtifactStore
) -> None:
    calls: list[int] = []

    def sample(x: int) -> int:
        calls.append(x)
        return x + len(calls)

    registry.register(define_node(sample, node_type="t:sample", deterministic=False))
    p = Pipeline("nd", registry=registry)
    p.add("t:sample", id="s", x=p.add("t:source", id="src"))
    with Engine(registry, artifacts=store) as engine:
        await engine.execute(p.to_workflow())
        again = await engine.execute(p.to_workflow())
        assert again.node_run("s").rerun_reason == "non-deterministic"
        assert len(calls) == 2
        pinned = await engine.execute(p.to_workflow(), pinned=["s"])
    assert pinned.node_run("s").status == NodeStatus.CACHED
    assert len(calls) == 2


async def test_media_outputs_are_stored_and_cached(engine: Engine, registry: NodeRegistry) -> None:
    p = Pipeline("img", registry=registry)
    p.add("t:image", id="img", x=p.add("t:source", id="src", value=200))
    first = await engine.execute(p.to_workflow())
    ref = first.node_run("img").output.images[0]  # type: ignore[union-attr]
    assert ref.url.startswith("artifact:")
    assert (ref.width, ref.height, ref.content_type) == (4, 4, "image/png")
    key = ref.url.removeprefix("artifact:")
    assert engine.artifacts.get(key) == first.outputs["img"]["image"].data
    assert first.credits_used == 2
    again = await engine.execute(p.to_workflow())
    assert again.node_run("img").status == NodeStatus.CACHED
    assert again.outputs["img"]["image"] == first.outputs["img"]["image"]
    # The cached copy is read from the artifact store, not kept as bytes in memory.
    assert again.outputs["img"]["image"].path == engine.artifacts.path(key)
    assert again.credits_used == 0


_CHILD = textwrap.dedent(
    """
    import asyncio, json, sys
    from pipeflow_nb.artifacts import ArtifactStore
    from pipeflow_nb.engine import Cache, Engine
    from pipeflow_nb.models.workflow import Workflow
    from tests.engine.nodes import make_registry

    store = ArtifactStore(sys.argv[1])
    workflow = Workflow.model_validate_json(sys.argv[2])
    engine = Engine(make_registry(), artifacts=store, cache=Cache.for_store(store, persist_min_s=0))
    execution = asyncio.run(engine.execute(workflow))
    print(json.dumps({r.node_id: [r.status.value, r.rerun_reason] for r in execution.node_runs}))
    print(json.dumps(execution.outputs["img"]["image"].sha256))
    """
)


def _run_child(store: Path, workflow_json: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(store), workflow_json],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    return done.stdout.strip().splitlines()


def test_the_disk_cache_is_reused_by_a_new_process(registry: NodeRegistry, tmp_path: Path) -> None:
    p = Pipeline("persist", registry=registry)
    src = p.add("t:source", id="src", value=9)
    p.add("t:image", id="img", x=src)
    p.add("t:double", id="d", x=src)
    workflow_json = p.to_workflow().to_json()
    first = _run_child(tmp_path, workflow_json)
    assert first[0] == (
        '{"src": ["COMPLETED", "not cached"], "img": ["COMPLETED", "not cached"], '
        '"d": ["COMPLETED", "not cached"]}'
    )
    second = _run_child(tmp_path, workflow_json)
    assert second[0] == (
        '{"src": ["CACHED", null], "img": ["CACHED", null], "d": ["CACHED", null]}'
    )
    assert second[1] == first[1]
    p["src"].set(value=10)
    third = _run_child(tmp_path, p.to_workflow().to_json())
    assert third[0] == (
        '{"src": ["COMPLETED", "param changed"], "img": ["COMPLETED", "input changed"], '
        '"d": ["COMPLETED", "input changed"]}'
    )


def test_cache_memory_is_bounded(tmp_path: Path) -> None:
    cache = Cache(None, artifacts=ArtifactStore(tmp_path), max_entries=3)
    for i in range(5):
        cache.put(f"k{i}", {"n": i})
    assert len(cache) == 3
    assert cache.get("k0") is None
    assert cache.get("k4") == {"n": 4}
