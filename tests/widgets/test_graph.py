from __future__ import annotations

from typing import Any

import pytest

from pipeflow_nb.models.events import (
    ExecutionFinished,
    ExecutionStarted,
    NodeCached,
    NodeCompleted,
    NodeFailed,
    NodeProgress,
    NodeSkipped,
    NodeStarted,
)
from pipeflow_nb.models.execution import Execution, ExecutionStatus, NodeRun, NodeStatus
from pipeflow_nb.models.workflow import NodeData, WireEdge, WireNode, Workflow
from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.widgets.graph import PipelineGraph
from tests.widgets.samples import demo_pipeline, gradient_image

E = "exec_1"


def _data_changes(graph: PipelineGraph) -> list[str]:
    seen: list[str] = []
    for nid, node in graph.node_widgets.items():
        node.observe(lambda _c, nid=nid: seen.append(nid), "data")
    return seen


@pytest.fixture
def graph(registry: NodeRegistry) -> PipelineGraph:
    return PipelineGraph(demo_pipeline(registry))


def test_draws_every_node_and_edge_of_the_pipeline(graph: PipelineGraph) -> None:
    assert sorted(graph.node_widgets) == ["brief", "clip", "img", "shout", "stats", "tone"]
    assert len(graph.edge_widgets) == 5
    assert graph.node_widgets["img"].data["label"] == "Paint"
    assert graph.edge_widgets["img.image->clip.image"].data["label"] == "image"
    assert graph.cytoscape.cytoscape_layout["rankDir"] == "LR"
    assert repr(graph) == "PipelineGraph('demo': 6 nodes, 5 edges; idle=6)"


@pytest.mark.parametrize(
    ("event", "status"),
    [
        (NodeStarted(execution_id=E, node_id="img"), "running"),
        (NodeProgress(execution_id=E, node_id="img", value=1, max=2), "running"),
        (NodeCompleted(execution_id=E, node_id="img", duration_ms=4), "completed"),
        (NodeCached(execution_id=E, node_id="img"), "cached"),
        (NodeFailed(execution_id=E, node_id="img", error="bad"), "failed"),
        (NodeSkipped(execution_id=E, node_id="img", reason="upstream"), "skipped"),
        (NodeSkipped(execution_id=E, node_id="img", cancelled=True), "cancelled"),
    ],
)
def test_each_event_type_sets_class_and_status_of_that_node_only(
    graph: PipelineGraph, event: Any, status: str
) -> None:
    changes = _data_changes(graph)
    graph.apply(event)
    assert changes == []  # manual mode: nothing sent before flush
    graph.flush()
    assert changes == ["img"]
    node = graph.node_widgets["img"]
    assert node.data["status"] == status
    assert node.classes == f"status-{status} cat-image"
    assert graph.statuses["brief"] == "idle"


def test_execution_started_marks_pending_and_finished_repaints_at_once(
    graph: PipelineGraph,
) -> None:
    graph.apply(ExecutionStarted(execution_id=E, node_ids=["brief", "img"]))
    graph.flush()
    assert graph.statuses == {
        "brief": "pending",
        "img": "pending",
        "clip": "idle",
        "stats": "idle",
        "tone": "idle",
        "shout": "idle",
    }
    graph.apply(NodeStarted(execution_id=E, node_id="brief"))
    graph.apply(ExecutionFinished(execution_id=E, status=ExecutionStatus.CANCELLED))
    # The last event of a run is never left waiting for a timer.
    assert graph.statuses["brief"] == "cancelled"
    assert 'data-status="cancelled"' in graph.title.value


def test_burst_is_coalesced_into_one_update_per_node(graph: PipelineGraph) -> None:
    changes = _data_changes(graph)
    for i in range(1000):
        run = f"exec_{i}"
        graph.apply(NodeStarted(execution_id=run, node_id="img"))
        graph.apply(NodeProgress(execution_id=run, node_id="img", value=0.5))
        graph.apply(NodeCompleted(execution_id=run, node_id="img", duration_ms=i % 7))
        graph.apply(NodeStarted(execution_id=run, node_id="clip"))
    graph.flush()
    assert sorted(changes) == ["clip", "img"]
    assert graph.updates == 2
    assert graph.coalescer.flushes == 1


def test_live_graph_with_injected_clock_and_scheduler(registry: NodeRegistry) -> None:
    now = [0.0]
    scheduled: list[Any] = []
    graph = PipelineGraph(
        demo_pipeline(registry),
        live=True,
        interval_s=0.1,
        clock=lambda: now[0],
        schedule=lambda delay, cb: scheduled.append(cb),
    )
    graph.apply(NodeStarted(execution_id=E, node_id="img"))
    assert graph.statuses["img"] == "running"  # first change after quiet: sent at once
    now[0] = 0.01
    graph.apply(NodeCompleted(execution_id=E, node_id="img"))
    graph.apply(NodeStarted(execution_id=E, node_id="clip"))
    assert graph.statuses["img"] == "running" and len(scheduled) == 1
    now[0] = 0.1
    scheduled.pop()()
    assert graph.statuses["img"] == "completed" and graph.statuses["clip"] == "running"


def test_failed_node_shows_its_error_in_label_tooltip_hover_and_click(
    graph: PipelineGraph,
) -> None:
    graph.apply(NodeFailed(execution_id=E, node_id="shout", error="RuntimeError: no <way>"))
    graph.flush()
    data = graph.node_widgets["shout"].data
    assert data["display"].endswith("⚠ no <way>")
    assert graph.cytoscape.tooltip_source == "tooltip"
    assert "error: RuntimeError: no &lt;way&gt;" in data["tooltip"]
    graph._on_node_hover({"data": {"id": "shout"}})
    assert "RuntimeError: no &lt;way&gt;" in graph.hover.value
    graph._on_node_click({"data": {"id": "shout"}})
    assert graph.inspector.node_id == "shout"
    assert "RuntimeError: no &lt;way&gt;" in graph.inspector.details.value


def test_click_opens_inspector_and_outputs_appear_when_the_node_completes(
    graph: PipelineGraph,
) -> None:
    graph._on_node_click({"data": {"id": "img"}, "position": {"x": 1, "y": 2}})
    assert graph.inspector.node_id == "img"
    assert graph.inspector.outputs.children == ()
    graph.apply(NodeCompleted(execution_id=E, node_id="img", outputs={"image": gradient_image()}))
    graph.flush()
    assert graph.inspector.preview_reprs == ["ImagePreview('image': png 64×48, thumbnail)"]
    assert graph.strip.node_ids == ["img"]
    # A click pins the inspector: another node completing does not steal it.
    graph.apply(NodeCompleted(execution_id=E, node_id="stats", outputs={"json": {"w": 1}}))
    graph.flush()
    assert graph.inspector.node_id == "img"
    assert graph.strip.node_ids == ["img", "stats"]


def test_unclicked_inspector_follows_the_latest_finished_node(graph: PipelineGraph) -> None:
    graph.apply(NodeCompleted(execution_id=E, node_id="brief", outputs={"text": "hi"}))
    graph.flush()
    assert graph.inspector.node_id == "brief"
    graph.apply(NodeFailed(execution_id=E, node_id="img", error="bad"))
    graph.flush()
    assert graph.inspector.node_id == "img"


def test_unknown_click_payload_is_ignored(graph: PipelineGraph) -> None:
    graph._on_node_click({"data": {"id": "nope"}})
    graph._on_node_click({})
    assert graph.inspector.node_id is None


def test_pipeline_edits_appear_in_the_graph(registry: NodeRegistry) -> None:
    p = demo_pipeline(registry, failing=False)
    graph = PipelineGraph(p)
    p.add("utility:explode", id="shout", text=p["brief"])
    p.set_label("img", "Painter")
    graph.flush()
    assert "shout" in graph.node_widgets
    assert "brief.text->shout.text" in graph.edge_widgets
    assert graph.node_widgets["img"].data["label"] == "Painter"
    p.remove("clip")
    graph.flush()
    assert "clip" not in graph.node_widgets
    assert "img.image->clip.image" not in graph.edge_widgets
    assert len(graph.cytoscape.graph.nodes) == len(p)


def test_closing_the_graph_stops_following_the_pipeline(registry: NodeRegistry) -> None:
    p = demo_pipeline(registry)
    graph = PipelineGraph(p)
    assert len(p._listeners) == 1
    graph.close()
    assert p._listeners == []
    p.set_label("img", "x")  # no error, nothing listening


def test_draws_a_workflow_and_an_execution() -> None:
    wf = Workflow(
        name="wf",
        nodes=[
            WireNode(id="a", data=NodeData(node_type="x:a", category="input")),
            WireNode(id="b", data=NodeData(node_type="x:b")),
        ],
        edges=[WireEdge(id="e", source="a", target="b")],
    )
    assert PipelineGraph(wf).statuses == {"a": "idle", "b": "idle"}
    execution = Execution(
        id=E,
        status=ExecutionStatus.FAILED,
        node_runs=[
            NodeRun(node_id="a", status=NodeStatus.COMPLETED, node_type="x:a"),
            NodeRun(node_id="b", status=NodeStatus.FAILED, error="bad"),
        ],
    )
    alone = PipelineGraph(execution)
    assert alone.statuses == {"a": "completed", "b": "failed"}
    assert alone.edge_widgets == {}
    with_wf = PipelineGraph(execution, workflow=wf)
    assert with_wf.statuses == {"a": "completed", "b": "failed"}
    assert list(with_wf.edge_widgets) == ["e"]


def test_hundred_nodes_and_five_hundred_edges(registry: NodeRegistry) -> None:
    nodes = [WireNode(id=f"n{i}", data=NodeData(node_type="x:n")) for i in range(100)]
    edges = []
    for i in range(100):
        for j in range(i + 1, min(100, i + 8)):
            edges.append(WireEdge(id=f"e{i}-{j}", source=f"n{i}", target=f"n{j}"))
    wf = Workflow(name="big", nodes=nodes, edges=edges[:500])
    graph = PipelineGraph(wf)
    assert len(graph.cytoscape.graph.nodes) == 100
    assert len(graph.cytoscape.graph.edges) == 500
    changes = _data_changes(graph)
    graph.apply(NodeStarted(execution_id=E, node_id="n50"))
    graph.flush()
    assert changes == ["n50"]


def test_displayed_live_graph_fits_again_once_its_views_exist(registry: NodeRegistry) -> None:
    from pipeflow_nb.widgets.graph import FIT_DELAYS_S

    scheduled: list[tuple[float, Any]] = []
    graph = PipelineGraph(
        demo_pipeline(registry), live=True, schedule=lambda d, cb: scheduled.append((d, cb))
    )
    bundle = graph._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert [d for d, _ in scheduled] == list(FIT_DELAYS_S)
    for _d, callback in scheduled:
        callback()
    assert graph.fits == len(FIT_DELAYS_S)
