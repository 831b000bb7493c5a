"""The controller against the real engine: events and media reach the widgets."""

from __future__ import annotations

import pytest

from pipeflow_nb import Pipeline
from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.display import (
    GraphFeed,
    batch_bundle,
    batch_grid,
    execution_bundle,
    in_kernel,
    live_graph,
    load_outputs,
    observers_for,
    rerun_overrides,
)
from pipeflow_nb.engine import Engine
from pipeflow_nb.media import Image
from pipeflow_nb.models.execution import ExecutionStatus, MediaRef, NodeOutput
from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.widgets.graph import PipelineGraph
from tests.widgets.samples import demo_pipeline, gradient_image


def test_a_real_run_drives_the_graph_to_completed_and_failed(
    registry: NodeRegistry, engine: Engine
) -> None:
    p = demo_pipeline(registry)
    graph = PipelineGraph(p)
    execution = p.run(engine=engine, observers=[GraphFeed(graph)], raise_on_failure=False)
    assert execution.status == ExecutionStatus.FAILED
    assert graph.statuses == {
        "brief": "completed",
        "img": "completed",
        "clip": "completed",
        "stats": "completed",
        "tone": "completed",
        "shout": "failed",
    }
    assert "refusing to shout" in graph.node_widgets["shout"].data["error"]
    assert graph.strip.node_ids == ["brief", "img", "clip", "stats", "tone"]
    graph.select("clip")
    assert graph.inspector.preview_reprs == ["VideoPreview('video': mp4)"]
    assert "5 (type costs 5)" in graph.inspector.details.value


def test_displayed_graph_animates_p_run_without_being_passed(
    registry: NodeRegistry, engine: Engine
) -> None:
    p = demo_pipeline(registry)
    graph = live_graph(p, interval_s=0.0)  # every event repaints: the full sequence is seen
    assert [type(o).__name__ for o in observers_for(p)] == ["GraphFeed"]
    seen: list[str] = []
    graph.node_widgets["img"].observe(lambda c: seen.append(c["new"]["status"]), "data")
    p.run(engine=engine, raise_on_failure=False)
    assert seen == ["pending", "running", "completed"]
    assert graph.statuses["shout"] == "failed"
    graph.close()
    assert observers_for(p) == []


def test_a_cached_rerun_shows_cached(registry: NodeRegistry, engine: Engine) -> None:
    p = demo_pipeline(registry, failing=False)
    p.run(engine=engine)
    graph = PipelineGraph(p)
    p.run(engine=engine, observers=[graph])
    assert set(graph.statuses.values()) == {"cached"}
    assert graph.inspector.node_id is not None


def test_lazy_media_from_a_batch_are_loaded_by_the_controller(
    registry: NodeRegistry, engine: Engine
) -> None:
    p = demo_pipeline(registry, failing=False)
    graph = PipelineGraph(p)
    batch = p.run_batch({"brief.text": ["one", "two"]}, engine=engine, observers=[GraphFeed(graph)])
    assert batch.status_counts == {"COMPLETED": 2}
    graph.select("img")
    assert graph.inspector.preview_reprs == ["ImagePreview('image': png 64×48, thumbnail)"]


def test_failed_batch_runs_rerun_alone_through_the_pipeline(
    registry: NodeRegistry, engine: Engine
) -> None:
    p = Pipeline("picky", registry=registry)
    brief = p.add("input:prompt", id="brief", text="x")
    p.add("text:picky", id="picky", text=brief)
    batch = p.run_batch({"brief.text": ["good", "bad", "fine"]}, engine=engine)
    assert [r.status.value for r in batch.runs] == ["COMPLETED", "FAILED", "COMPLETED"]
    grid = batch_grid(batch, p, engine=engine)
    assert list(grid.buttons) == [1]
    p.set_params("picky", allow_bad=True)  # the user fixes the cause, then re-runs
    grid.buttons[1].click()
    assert grid.batch.runs[1].status == ExecutionStatus.COMPLETED
    assert grid.batch.runs[1].input_index == 1
    assert grid.buttons == {}


def test_batch_display_knows_its_pipeline_after_run_batch(
    registry: NodeRegistry, engine: Engine
) -> None:
    p = Pipeline("picky", registry=registry)
    brief = p.add("input:prompt", id="brief", text="x")
    p.add("text:picky", id="picky", text=brief)
    batch = p.run_batch({"brief.text": ["bad"]}, engine=engine)
    assert batch_grid(batch).on_rerun is not None


def test_outside_a_kernel_everything_falls_back_to_html(
    registry: NodeRegistry, engine: Engine
) -> None:
    assert not in_kernel()
    p = demo_pipeline(registry)
    bundle = p._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    execution = p.run(engine=engine, raise_on_failure=False)
    eb = execution._repr_mimebundle_()
    assert set(eb) == {"text/plain", "text/html"} and "refusing to shout" in eb["text/html"]
    batch = p.run_batch({"brief.text": ["a"]}, engine=engine)
    assert "pf-batch-grid" in batch_bundle(batch)["text/html"]
    assert execution_bundle(execution) == eb


def test_load_outputs_reads_lazy_media_and_resolves_artifact_refs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = ArtifactStore(tmp_path)
    img = gradient_image()
    key = store.put_media(img)
    lazy = store.media(key)
    loaded = load_outputs({"image": lazy})
    assert loaded["image"]._data == img.data  # bytes now in memory
    out = NodeOutput(images=[MediaRef(url="artifact:" + key, port="image")], text="t")
    resolved = load_outputs({}, out, store)
    assert isinstance(resolved["image"], Image) and resolved["text"] == "t"
    hosted = NodeOutput(images=[MediaRef(url="https://cdn.example/a.png")])
    assert load_outputs({}, hosted, store) == {}


def test_rerun_overrides_split_node_and_param() -> None:
    assert rerun_overrides({"brief.text": "a", "img.width": 3, "n.x.y": 1}) == {
        "brief": {"text": "a"},
        "img": {"width": 3},
        "n.x": {"y": 1},
    }
    with pytest.raises(ValueError, match="'oops'"):
        rerun_overrides({"oops": 1})


def test_show_outside_a_kernel_prints_the_static_table(
    registry: NodeRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_pipeline(registry).show()
    assert "IPython.core.display.HTML" in capsys.readouterr().out


def test_controller_and_pure_widget_modules_import_no_widget_stack() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pipeflow_nb, pipeflow_nb.display, pipeflow_nb.widgets.summary, "
        "pipeflow_nb.widgets.elements, pipeflow_nb.widgets.state\n"
        "print([m for m in ('ipywidgets', 'ipycytoscape') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
