"""The check a publish runs first: node types a service lacks, cells named as such."""

from __future__ import annotations

from typing import Any

import pytest

from pipeflow_nb import NodeRegistry, Pipeline, PipelineValidationError
from pipeflow_nb.cellnodes import CellNodes
from pipeflow_nb.nodes.builtin import builtin_definitions
from pipeflow_nb.nodes.registry import node
from pipeflow_nb.publishing import check_publishable, local_only_node_types


def fresh() -> tuple[CellNodes, dict[str, Any]]:
    ns: dict[str, Any] = {}
    pipeline = Pipeline("lab book", registry=NodeRegistry(builtin_definitions()))
    return CellNodes(pipeline, ns), ns


def test_local_only_node_types_lists_cells_and_notebook_functions() -> None:
    cells, _ = fresh()
    registry = cells.pipeline.registry

    @node(registry=registry, category="text")
    def shout(text: str) -> str:
        return text.upper()

    cells.submit("a", "x = 'hi'")
    brief = cells.pipeline.add("input:text", id="brief", text="hi")
    cells.pipeline.add(shout, id="loud", text=brief)
    service_types = [t for t in registry.node_types() if t.startswith(("input:", "text:t"))]
    assert local_only_node_types(cells.pipeline, service_types) == {
        "cell:lab-book/a": ["a"],
        "text:shout": ["loud"],
    }
    with pytest.raises(PipelineValidationError) as info:
        check_publishable(cells.pipeline, service_types)
    message = str(info.value)
    assert "node 'a' has type 'cell:lab-book/a', defined in a notebook cell" in message
    assert "node 'loud' has type 'text:shout', defined in this kernel" in message
    assert {v.rule for v in info.value.violations} == {"unknown_node_type"}
    check_publishable(cells.pipeline, registry.node_types())  # all known: no error
