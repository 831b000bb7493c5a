from __future__ import annotations

from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.widgets.elements import (
    CATEGORY_STYLES,
    LAYOUT,
    STATUS_COLORS,
    legend_html,
    stylesheet,
    workflow_elements,
)
from pipeflow_nb.widgets.state import STATUSES, NodeView
from tests.widgets.samples import demo_pipeline


def _by_id(elements: list[dict]) -> dict[str, dict]:
    return {e["data"]["id"]: e for e in elements}


def test_nodes_are_labelled_and_typed_by_category(registry: NodeRegistry) -> None:
    wf = demo_pipeline(registry).to_workflow()
    els = _by_id(workflow_elements(wf, registry.spec))
    img = els["img"]
    assert img["group"] == "nodes"
    assert img["data"]["label"] == "Paint"
    assert img["data"]["display"].splitlines() == ["Paint", "image:paint"]
    assert img["data"]["category"] == "image"
    assert img["data"]["status"] == "idle"
    assert img["classes"] == "status-idle cat-image"
    assert els["brief"]["classes"] == "status-idle cat-input"


def test_edges_carry_their_ports_as_labels(registry: NodeRegistry) -> None:
    p = demo_pipeline(registry)
    els = _by_id(workflow_elements(p.to_workflow(), registry.spec))
    edge = els["img.image->clip.image"]
    assert edge["group"] == "edges"
    assert (edge["data"]["source"], edge["data"]["target"]) == ("img", "clip")
    assert edge["data"]["label"] == "image"
    assert els["brief.text->img.text"]["data"]["label"] == "text"


def test_edge_without_handles_takes_the_single_port_names(registry: NodeRegistry) -> None:
    wf = demo_pipeline(registry).to_workflow()
    bare = [e.model_copy(update={"source_handle": None, "target_handle": None}) for e in wf.edges]
    els = _by_id(workflow_elements(Workflow(nodes=wf.nodes, edges=bare), registry.spec))
    assert els["img.image->stats.image"]["data"]["label"] == "image"
    # Without specs the ports are unknown and say so.
    plain = _by_id(workflow_elements(Workflow(nodes=wf.nodes, edges=bare)))
    assert plain["img.image->stats.image"]["data"]["label"] == "? → ?"


def test_status_views_change_data_and_classes(registry: NodeRegistry) -> None:
    wf = demo_pipeline(registry).to_workflow()
    views = {
        "img": NodeView(status="running", progress=40.0),
        "shout": NodeView(status="failed", error="RuntimeError: refusing to shout at all"),
        "clip": NodeView(status="completed", duration_ms=12),
        "tone": "cached",
    }
    els = _by_id(workflow_elements(wf, registry.spec, views))
    assert els["img"]["classes"] == "status-running cat-image"
    assert els["img"]["data"]["display"].endswith("\n40%")
    shout = els["shout"]["data"]
    assert shout["status"] == "failed"
    assert shout["error"] == "RuntimeError: refusing to shout at all"
    assert shout["display"].endswith("⚠ refusing to shout at…")
    assert "error: RuntimeError: refusing to shout at all" in shout["tooltip"]
    assert els["clip"]["data"]["display"].endswith("✓ 12 ms")
    assert els["tone"]["data"]["status"] == "cached"


def test_tooltip_is_escaped_because_the_view_sets_inner_html(registry: NodeRegistry) -> None:
    wf = demo_pipeline(registry).to_workflow()
    els = _by_id(workflow_elements(wf, None, {"shout": NodeView(status="failed", error="<b>x")}))
    assert "<b>" not in els["shout"]["data"]["tooltip"]
    assert "&lt;b&gt;x" in els["shout"]["data"]["tooltip"]


def test_every_status_has_its_own_colour_and_rule() -> None:
    fills = [STATUS_COLORS[s][0] for s in STATUSES]
    assert len(set(fills)) == len(STATUSES)
    rules = {r["selector"]: r["style"] for r in stylesheet()}
    for status in STATUSES:
        assert rules[f'node[status = "{status}"]']["background-color"] == STATUS_COLORS[status][0]
    for category, (shape, _border) in CATEGORY_STYLES.items():
        assert rules[f'node[category = "{category}"]']["shape"] == shape
    assert rules["edge"]["label"] == "data(label)"
    assert rules["node"]["label"] == "data(display)"


def test_layout_is_left_to_right_dagre() -> None:
    assert LAYOUT["name"] == "dagre"
    assert LAYOUT["rankDir"] == "LR"


def test_legend_lists_every_status_with_counts() -> None:
    html = legend_html({"completed": 3, "failed": 1})
    for status in STATUSES:
        assert f'data-status="{status}"' in html
    assert "completed 3" in html
    assert "failed 1" in html
    assert "pending 0" not in html


def test_edges_between_differently_named_ports_show_both(registry: NodeRegistry) -> None:
    from pipeflow_nb.models import WireEdge
    from pipeflow_nb.widgets.elements import edge_element

    edge = WireEdge(
        id="e", source="a", target="b", source_handle="out-text", target_handle="in-script"
    )
    assert edge_element(edge)["data"]["label"] == "text → script"
