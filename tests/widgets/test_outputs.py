from __future__ import annotations

from pipeflow_nb.models.events import NodeCompleted, NodeStarted
from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.widgets.outputs import OutputsStrip
from pipeflow_nb.widgets.state import RunState
from tests.widgets.samples import demo_pipeline, gradient_image

E = "exec_1"


def test_cards_follow_graph_order_and_rebuild_only_on_new_outputs(
    registry: NodeRegistry,
) -> None:
    wf = demo_pipeline(registry).to_workflow()
    state = RunState(wf.node_ids)
    strip = OutputsStrip()
    state.apply(NodeCompleted(execution_id=E, node_id="stats", outputs={"json": {"w": 1}}))
    state.apply(NodeCompleted(execution_id=E, node_id="img", outputs={"image": gradient_image()}))
    strip.update(wf, state, ["stats", "img"])
    assert strip.node_ids == ["img", "stats"]  # graph order, not completion order
    assert repr(strip) == "OutputsStrip(['img', 'stats'])"
    card = strip.card("img")
    state.apply(NodeStarted(execution_id=E, node_id="img"))  # no new outputs
    strip.update(wf, state, ["img"])
    assert strip.card("img") is card
    state.apply(NodeCompleted(execution_id=E, node_id="img", outputs={"image": gradient_image(8)}))
    strip.update(wf, state, ["img"])
    assert strip.card("img") is not card
    assert card.comm is None  # the old card was closed, not leaked


def test_cards_of_removed_nodes_go_away(registry: NodeRegistry) -> None:
    wf = demo_pipeline(registry).to_workflow()
    state = RunState(wf.node_ids)
    strip = OutputsStrip()
    state.apply(NodeCompleted(execution_id=E, node_id="brief", outputs={"text": "hi"}))
    strip.update(wf, state, ["brief"])
    smaller = Workflow(name=wf.name, nodes=[n for n in wf.nodes if n.id != "brief"])
    strip.update(smaller, state, [])
    assert strip.node_ids == []


def test_a_node_without_outputs_gets_no_card(registry: NodeRegistry) -> None:
    wf = demo_pipeline(registry).to_workflow()
    state = RunState(wf.node_ids)
    strip = OutputsStrip()
    state.apply(NodeCompleted(execution_id=E, node_id="shout"))
    strip.update(wf, state, ["shout"])
    assert strip.node_ids == []
