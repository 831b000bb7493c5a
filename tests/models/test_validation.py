from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pipeflow_nb.errors import PipelineValidationError
from pipeflow_nb.media import Image
from pipeflow_nb.models import Workflow, validate_workflow
from pipeflow_nb.models.validation import SpecCatalog
from pipeflow_nb.nodes.registry import NodeRegistry, define_node


def _source(*, text: str = "") -> str:
    return text


def _sink(text: str, *, times: int = 1) -> str:
    return text * times


def _picture(*, size: int = 8) -> Image:
    return Image.from_array(np.zeros((size, size, 3), np.uint8))


def _registry() -> NodeRegistry:
    return NodeRegistry(
        [
            define_node(_source, node_type="t:source", category="t"),
            define_node(_sink, node_type="t:sink", category="t"),
            define_node(_picture, node_type="t:picture", category="t"),
        ]
    )


def _node(node_id: str, node_type: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "data": {"nodeType": node_type, "params": params}}


def _edge(
    edge_id: str, src: str, dst: str, sport: str = "text", dport: str = "text"
) -> dict[str, Any]:
    return {
        "id": edge_id,
        "source": src,
        "target": dst,
        "sourceHandle": f"out-{sport}",
        "targetHandle": f"in-{dport}",
    }


def _rules(wf: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    found = validate_workflow(Workflow.model_validate(wf), _registry())
    return [(v.rule, v.node_id, v.edge_id) for v in found]


def test_valid_graph_has_no_violations() -> None:
    wf = {
        "nodes": [_node("a", "t:source"), _node("b", "t:sink", times=2)],
        "edges": [_edge("e", "a", "b")],
    }
    assert _rules(wf) == []


def test_every_violation_is_reported_at_once() -> None:
    wf = {
        "nodes": [
            _node("a", "t:source"),
            _node("b", "t:sink"),
            _node("c", "t:sink"),
            _node("p", "t:picture"),
            _node("d", "t:sink"),
            _node("x", "t:nope"),
        ],
        "edges": [
            _edge("e1", "b", "c"),
            _edge("e2", "c", "b"),  # cycle
            _edge("e3", "a", "ghost"),  # dangling
            _edge("e4", "p", "d", sport="image"),  # type mismatch
            _edge("e5", "a", "c", dport="nope"),
        ],  # unknown port
    }
    got = _rules(wf)
    assert ("unknown_node_type", "x", None) in got
    assert ("dangling_edge", None, "e3") in got
    assert ("port_type_mismatch", "d", "e4") in got
    assert ("unknown_port", "c", "e5") in got
    assert ("missing_required_input", "d", None) in got
    assert ("cycle", "b", None) in got


def test_node_and_edge_limits() -> None:
    many = {"nodes": [_node(f"n{i}", "t:source") for i in range(101)], "edges": []}
    assert _rules(many) == [("too_many_nodes", None, None)]
    nodes = [_node("a", "t:source")] + [_node(f"s{i}", "t:sink") for i in range(99)]
    edges = [_edge(f"e{i}", "a", f"s{i % 99}") for i in range(501)]
    rules = {r for r, _, _ in _rules({"nodes": nodes, "edges": edges})}
    assert "too_many_edges" in rules and "too_many_nodes" not in rules


def test_empty_duplicates_and_bad_params() -> None:
    assert _rules({"nodes": [], "edges": []}) == [("empty_graph", None, None)]
    wf = {
        "nodes": [_node("a", "t:source", text=5, colour="red"), _node("a", "t:source")],
        "edges": [],
    }
    got = _rules(wf)
    assert ("duplicate_id", "a", None) in got
    assert got.count(("bad_param", "a", None)) == 2


def test_error_message_lists_every_violation() -> None:
    wf = Workflow.model_validate({"nodes": [_node("x", "t:sorce")], "edges": []})
    err = PipelineValidationError(validate_workflow(wf, _registry()))
    assert isinstance(err, ValueError)
    assert err.rules == ["unknown_node_type"]
    assert "did you mean t:source" in str(err)
    assert str(err).startswith("pipeline is invalid (1 violation):")


@pytest.mark.parametrize(
    ("params", "ok"),
    [
        ({"times": 2}, True),
        ({"times": "2x"}, False),
        ({"times": 1.5}, False),
        ({"other": 1}, False),
    ],
)
def test_spec_catalog_checks_params_from_json_schema(params: dict[str, Any], ok: bool) -> None:
    catalog = SpecCatalog(_registry().specs())
    assert (catalog.check_params("t:sink", params) == []) is ok
