from __future__ import annotations

from datetime import UTC, datetime

from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.widgets.inspector import Inspector, details_html
from pipeflow_nb.widgets.state import NodeView
from tests.widgets.samples import demo_pipeline, gradient_image


def test_empty_inspector_invites_a_click() -> None:
    insp = Inspector()
    assert "Click a node" in insp.details.value
    assert repr(insp) == "Inspector(empty)"


def test_details_show_type_params_timing_credits_and_cache(registry: NodeRegistry) -> None:
    wf = demo_pipeline(registry).to_workflow()
    node = wf.node("img")
    view = NodeView(
        status="completed",
        duration_ms=42,
        credits=3,
        rerun_reason="param changed",
        started_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    )
    html = details_html(node, view, registry.spec("image:paint"))
    assert "<code>image:paint</code>" in html
    assert "Paint" in html and "<code>img</code>" in html
    assert 'data-status="completed"' in html
    assert "42 ms" in html
    assert "3 (type costs 3)" in html
    assert "ran (param changed)" in html
    assert "03:04:05.678 UTC" in html
    brief = details_html(wf.node("brief"), NodeView(status="cached"), None)
    assert "<code>text</code>" in brief and "a lighthouse at dusk" in brief
    assert "cached" in brief


def test_failed_node_shows_error_and_traceback_escaped(registry: NodeRegistry) -> None:
    node = demo_pipeline(registry).to_workflow().node("shout")
    view = NodeView(status="failed", error="bad <input>", traceback="Traceback...\n<frame>")
    html = details_html(node, view)
    assert "bad &lt;input&gt;" in html and "&lt;frame&gt;" in html
    assert "<input>" not in html


def test_show_builds_previews_once_per_outputs_version(registry: NodeRegistry) -> None:
    node = demo_pipeline(registry).to_workflow().node("img")
    insp = Inspector()
    view = NodeView(status="completed", outputs={"image": gradient_image()}, outputs_version=1)
    insp.show(node, view)
    first = insp.outputs.children
    assert insp.preview_reprs == ["ImagePreview('image': png 64×48, thumbnail)"]
    insp.show(node, NodeView(status="completed", outputs=view.outputs, outputs_version=1))
    assert insp.outputs.children is first  # unchanged outputs: previews kept
    insp.show(node, NodeView(status="running", outputs={}, outputs_version=2))
    assert insp.outputs.children == ()
    assert first[0].comm is None  # the replaced preview was closed
    assert repr(insp) == "Inspector('img', 0 outputs)"
    insp.clear()
    assert insp.node_id is None
