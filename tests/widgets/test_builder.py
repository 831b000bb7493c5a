"""The builder: every widget action is a Pipeline edit, and code edits show in the widget."""

from __future__ import annotations

import random

import pytest

from pipeflow_nb import NodeRegistry, Pipeline
from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.nodes.builtin import builtin_definitions
from pipeflow_nb.nodes.registry import node
from pipeflow_nb.widgets.builder import Builder
from pipeflow_nb.widgets.palette import compatible_inputs, layered_positions, palette_groups

CORE_TYPES = {"input:text", "input:number", "input:image", "text:template", "text:concat"}


@pytest.fixture
def pipeline() -> Pipeline:
    # A fixed set of built-in types, so palette assertions do not move as node families grow.
    kept = [d for d in builtin_definitions() if d.node_type in CORE_TYPES | {"utility:json"}]
    return Pipeline("studio", registry=NodeRegistry(kept))


def test_palette_groups_by_category_and_searches(pipeline: Pipeline) -> None:
    groups = palette_groups(pipeline.registry.specs())
    assert list(groups) == ["input", "text", "utility"]
    assert [s.node_type for s in groups["text"]] == ["text:concat", "text:template"]
    found = palette_groups(pipeline.registry.specs(), "templ")
    assert {c: [s.node_type for s in v] for c, v in found.items()} == {"text": ["text:template"]}


def test_a_palette_click_adds_a_node_and_selects_it(pipeline: Pipeline) -> None:
    b = Builder(pipeline)
    b.palette_buttons["input:text"].click()
    assert pipeline.node_ids == ["text"]
    assert b.selected == "text"
    assert set(b.graph.node_widgets) == {"text"}
    assert b.graph.node_widgets["text"].grabbable
    assert b.form is not None and set(b.form.controls) == {"text"}


def test_search_filters_the_palette(pipeline: Pipeline) -> None:
    b = Builder(pipeline)
    b.search.value = "json"
    assert list(b.palette_buttons) == ["utility:json"]
    b.search.value = "no such thing"
    assert b.palette_buttons == {}


def test_user_node_types_join_the_palette(pipeline: Pipeline) -> None:
    b = Builder(pipeline)

    @node(registry=pipeline.registry, category="text")
    def shout(text: str) -> str:
        return text.upper()

    assert "text:shout" in b.palette_buttons


def test_connect_offers_only_compatible_free_ports(pipeline: Pipeline) -> None:
    b = Builder(pipeline)
    brief = b.add_node("input:text")
    number = b.add_node("input:number")
    tpl = b.add_node("text:template")
    b.node_picker.value = brief  # the panel's node list selects too
    assert b.selected == brief
    assert b.out_port.value == "text"  # the only output is preselected
    labels = [label for label, _ in b.target.options]
    # TEXT feeds text and (converted) JSON inputs; never its own node
    assert labels == ["template.text (TEXT)", "template.values (JSON)"]
    b.target.value = (tpl, "text")
    b.connect_button.click()
    assert [e.id for e in pipeline.edges] == ["text.text->template.text"]
    assert set(b.graph.edge_widgets) == {"text.text->template.text"}
    # the taken port is no longer offered; the number converts into the JSON values port
    b.select(number)
    b.out_port.value = "number"
    assert [label for label, _ in b.target.options] == ["template.values (JSON)"]
    # no cycles: the template cannot feed its own upstream
    spec_of = {t: s for t in pipeline.registry.node_types() if (s := pipeline.registry.spec(t))}
    assert compatible_inputs(pipeline.to_workflow(), spec_of, tpl, "text") == []


def test_refused_edits_show_a_message_and_change_nothing(pipeline: Pipeline) -> None:
    b = Builder(pipeline)
    img = b.add_node("input:image")
    tpl = b.add_node("text:template")
    assert b.connect(img, "image", tpl, "text") == ""
    assert pipeline.edges == []
    assert "cannot feed" in b.message.value


def test_remove_edges_and_nodes(pipeline: Pipeline) -> None:
    b = Builder(pipeline)
    brief = b.add_node("input:text")
    tpl = b.add_node("text:template")
    edge = b.connect(brief, "text", tpl, "text")
    b.select(tpl)
    assert b.edges.options == ((edge, edge),)
    b.edges.value = edge
    b.disconnect_button.click()
    assert pipeline.edges == [] and b.graph.edge_widgets == {}
    b.connect(brief, "text", tpl, "text")
    b.select(brief)
    b.remove_button.click()
    assert pipeline.node_ids == ["template"] and pipeline.edges == []
    assert b.selected is None and set(b.graph.node_widgets) == {"template"}


def test_param_form_edits_the_pipeline_and_code_edits_show(pipeline: Pipeline) -> None:
    b = Builder(pipeline)
    tpl = b.add_node("text:template")
    assert b.form is not None
    b.form.controls["template"].value = "Hi {text}"
    assert pipeline[tpl].params == {"template": "Hi {text}"}
    pipeline.set_params(tpl, template="Yo {text}")  # in code
    assert b.form.controls["template"].value == "Yo {text}"
    # code edits of structure show too
    brief = pipeline.add("input:text", id="brief", text="x")
    pipeline.connect(brief, pipeline[tpl].in_("text"))
    assert set(b.graph.node_widgets) == {"template", "brief"}
    assert "brief.text->template.text" in b.graph.edge_widgets


def test_refused_param_values_show_on_the_field(pipeline: Pipeline) -> None:
    b = Builder(pipeline)
    b.add_node("utility:json")
    assert b.form is not None
    b.form.controls["value"].value = '{"a": 1}'
    assert pipeline["json"].params == {"value": {"a": 1}}
    b.form.controls["value"].value = "{broken"
    assert "not valid JSON" in b.form.errors["value"].value
    assert pipeline["json"].params == {"value": {"a": 1}}


def add_shout(pipeline: Pipeline) -> None:
    @node(registry=pipeline.registry, category="text")
    def shout(text: str) -> str:
        return text.upper()


def test_violations_are_marked_on_their_nodes(pipeline: Pipeline) -> None:
    add_shout(pipeline)
    b = Builder(pipeline)
    loud = b.add_node("text:shout")  # its text input is required
    assert b.graph.marks[loud][0] == "invalid"
    assert b.graph.node_widgets[loud].data["mark"] == "invalid"
    assert "missing_required_input" in b.node_violations.value
    brief = b.add_node("input:text")
    b.connect(brief, "text", loud, "text")
    assert b.graph.marks == {}
    assert "mark" not in b.graph.node_widgets[loud].data


def test_layout_and_drags_keep_positions_in_the_pipeline_json(pipeline: Pipeline) -> None:
    b = Builder(pipeline)
    brief = b.add_node("input:text")
    tpl = b.add_node("text:template")
    b.connect(brief, "text", tpl, "text")
    assert b.layout() == {brief: (0.0, 0.0), tpl: (220.0, 0.0)}
    assert b.graph.node_widgets[tpl].position == {"x": 220.0, "y": 0.0}
    b._on_canvas_drop({"data": {"id": tpl}, "position": {"x": 400, "y": 90}})
    saved = Workflow.model_validate_json(pipeline.to_json())
    assert saved.node(tpl).position.x == 400 and saved.node(tpl).position.y == 90
    assert layered_positions(["a", "b", "c"], [("a", "c"), ("b", "c")]) == {
        "a": (0.0, 0.0),
        "b": (0.0, 110.0),
        "c": (220.0, 0.0),
    }


def test_run_buttons_call_the_controller(pipeline: Pipeline) -> None:
    calls: list[str | None] = []
    b = Builder(pipeline, on_run=lambda target: calls.append(target) or "ran")
    assert b.publish_button.layout.display == "none"
    brief = b.add_node("input:text")
    b.run_button.click()
    b.select(brief)
    b.run_to_button.click()
    assert calls == [None, brief]
    add_shout(pipeline)
    b.add_node("text:shout")  # invalid: runs are refused with a message
    b.run_button.click()
    assert calls == [None, brief]
    assert "violation" in b.message.value


def test_repr_is_deterministic(pipeline: Pipeline) -> None:
    b = Builder(pipeline, rng=random.Random(1))
    b.add_node("input:text")
    assert repr(b) == "Builder('studio': 1 nodes, 0 edges; selected='text'; 0 violations)"
