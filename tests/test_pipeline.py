from __future__ import annotations

import json

import numpy as np
import pytest

from pipeflow_nb import Image, Pipeline, PipelineValidationError
from pipeflow_nb.models import Workflow
from pipeflow_nb.pipeline import Change


def _poster() -> Pipeline:
    p = Pipeline("poster")
    brief = p.add("input:text", id="brief", text="a lighthouse")
    style = p.add("input:text", id="style", text="oil")
    p.add("text:template", id="prompt", text=brief, template="{text}, {style}")
    p.add("text:concat", id="all", texts=[brief, style], separator=" | ")
    return p


def test_building_wires_handles_as_edges() -> None:
    p = _poster()
    assert p.node_ids == ["brief", "style", "prompt", "all"]
    assert [(e.source, e.source_handle, e.target, e.target_handle) for e in p.edges] == [
        ("brief", "out-text", "prompt", "in-text"),
        ("brief", "out-text", "all", "in-texts"),
        ("style", "out-text", "all", "in-texts"),
    ]
    p.validate()


def test_json_round_trip_is_lossless() -> None:
    p = _poster()
    text = p.to_json()
    again = Pipeline.from_json(text)
    assert again.to_json() == text
    assert Pipeline.from_json(json.dumps({"data": json.loads(text)})).node_ids == p.node_ids


def test_loose_and_config_params_are_read_as_params() -> None:
    wf = Workflow.model_validate(
        {
            "name": "x",
            "nodes": [
                {"id": "n", "data": {"nodeType": "input:number", "value": 4, "colour": "red"}},
                {
                    "id": "t",
                    "data": {"nodeType": "text:template", "config": {"template": "{text}"}},
                },
            ],
            "edges": [],
        }
    )
    p = Pipeline.from_workflow(wf)
    assert p["n"].params == {"value": 4} and p["t"].params == {"template": "{text}"}
    data = p.to_workflow().node("n").data
    assert data.params == {"value": 4} and data.model_extra == {"colour": "red"}


def test_bad_wiring_fails_at_add_time_and_changes_nothing() -> None:
    p = _poster()
    before = p.to_json()
    with pytest.raises(PipelineValidationError) as err:
        p.add("text:template", id="bad", text="not a node", temp="x")
    assert err.value.rules == ["bad_param", "bad_param"]
    assert "'text' is an input port" in str(err.value)
    with pytest.raises(PipelineValidationError, match="duplicate_id"):
        p.add("input:text", id="brief")
    with pytest.raises(PipelineValidationError, match="unknown_port"):
        p.connect(p["brief"].out("nope"), p["prompt"].in_("values"))
    with pytest.raises(PipelineValidationError, match="already has an edge"):
        p.connect(p["style"], p["prompt"].in_("text"))
    assert p.to_json() == before


def test_type_mismatch_and_cycles_are_refused() -> None:
    p = Pipeline("t")
    img = p.add("input:image", source="x.png")
    with pytest.raises(PipelineValidationError, match=r"image.image \(IMAGE\) cannot feed"):
        p.add("text:concat", texts=[img])
    assert p.node_ids == ["image"]
    a = p.add("text:template", id="a", template="x")
    b = p.add("text:template", id="b", text=a, template="{text}")
    with pytest.raises(PipelineValidationError, match="cycle through a → b"):
        p.connect(b, a.in_("text"))


def test_remove_disconnect_set_params_and_observers() -> None:
    p = _poster()
    seen: list[Change] = []
    stop = p.on_change(seen.append)
    p.set_params("prompt", template="{text}!")
    with pytest.raises(PipelineValidationError, match=r"param 'template'"):
        p.set_params("prompt", template=5)
    assert p["prompt"].params == {"template": "{text}!"}
    p.remove("brief")
    assert p.node_ids == ["style", "prompt", "all"] and len(p.edges) == 1
    assert [c.kind for c in seen] == [
        "node_updated",
        "edge_removed",
        "edge_removed",
        "node_removed",
    ]
    stop()
    p.disconnect(p.edges[0])
    assert len(seen) == 4
    with pytest.raises(KeyError, match="has no node 'ghost'"):
        p.remove("ghost")


def test_validate_reports_missing_inputs_of_a_loaded_graph() -> None:
    p = Pipeline.from_workflow(
        Workflow.model_validate(
            {
                "nodes": [
                    {"id": "j", "data": {"nodeType": "text:concat"}},
                    {"id": "u", "data": {"nodeType": "image:nope"}},
                ]
            }
        )
    )
    with pytest.raises(PipelineValidationError) as err:
        p.validate()
    assert err.value.rules == ["unknown_node_type"]


def test_media_params_are_stored_as_artifacts() -> None:
    img = Image.from_array(np.zeros((4, 4, 3), np.uint8))
    p = Pipeline("m")
    node = p.add("input:image", source=img)
    assert node.params["source"] == f"artifact:{img.sha256}.png"


def test_reprs_are_deterministic() -> None:
    p = _poster()
    assert repr(p) == "Pipeline('poster': 4 nodes, 3 edges)"
    assert repr(p["brief"]) == "<input:text node 'brief'>"


def test_on_run_hears_every_run_with_its_graph_and_overrides() -> None:
    from pipeflow_nb.nodes.builtin import builtin_definitions
    from pipeflow_nb.nodes.registry import NodeRegistry as Registry

    p = Pipeline("heard", registry=Registry(builtin_definitions()))
    name = p.add("input:text", id="name", text="Ada")
    heard: list[tuple[str, list[str], dict[str, dict[str, object]]]] = []
    stop = p.on_run(lambda e, wf, ov: heard.append((e.status.value, wf.node_ids, ov)))
    p.run()
    p.run(overrides={name: {"text": "Grace"}})
    assert heard == [
        ("COMPLETED", ["name"], {}),
        ("COMPLETED", ["name"], {"name": {"text": "Grace"}}),
    ]
    stop()
    p.run()
    assert len(heard) == 2
