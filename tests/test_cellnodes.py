"""The cell-node controller without a kernel, and the publish check for local node types."""

from __future__ import annotations

from typing import Any

import pytest

from pipeflow_nb import NodeRegistry, Pipeline, PipelineValidationError
from pipeflow_nb.cellnodes import CellNodes, cell_node_type
from pipeflow_nb.nodes.builtin import builtin_definitions


def fresh() -> tuple[CellNodes, dict[str, Any]]:
    ns: dict[str, Any] = {}
    pipeline = Pipeline("lab book", registry=NodeRegistry(builtin_definitions()))
    return CellNodes(pipeline, ns), ns


def test_node_type_names_are_valid_and_scoped_by_pipeline() -> None:
    assert cell_node_type("lab book", "load") == "cell:lab-book/load"
    assert cell_node_type("", "x") == "cell:cells/x"


def test_namespace_fallback_and_output_push() -> None:
    cells, ns = fresh()
    ns["factor"] = 10  # not produced by any cell: read from the namespace
    cells.submit("a", "xs = [1, 2]")
    cells.submit("b", "scaled = [x * factor for x in xs]")
    assert ns["scaled"] == [10, 20]
    assert [e.id for e in cells.pipeline.edges] == ["a.xs->b.xs"]


def test_the_most_downstream_producer_wins() -> None:
    cells, ns = fresh()
    cells.submit("a", "x = 1")
    cells.submit("b", "x = x + 1")  # reads a's x, outputs its own
    cells.submit("c", "y = x * 10")
    assert ns["y"] == 20
    assert cells.cells["c"].producers == {"x": "b"}


def test_unrelated_producers_of_one_name_are_refused() -> None:
    cells, _ = fresh()
    cells.submit("a", "x = 1")
    cells.submit("b", "x = 2")
    with pytest.raises(PipelineValidationError, match=r"several unrelated cells output \(a, b\)"):
        cells.define("c", "y = x")


def test_stale_listeners_hear_edits_and_runs() -> None:
    cells, _ = fresh()
    heard: list[dict[str, str]] = []
    cells.on_stale(lambda marks: heard.append(dict(marks)))
    cells.submit("a", "x = 1")
    cells.submit("b", "y = x + 1")
    cells.submit("a", "x = 2")
    # marked when the edit was defined, then a cleared by its own run
    assert {"a": "code changed", "b": "input changed (upstream 'a': code changed)"} in heard
    assert heard[-1] == {"b": "input changed (upstream 'a': code changed)"}
    assert cells.stale() == {"b": "input changed (upstream 'a': code changed)"}
    cells.run()
    assert heard[-1] == {}
    assert cells.stale() == {}


def test_a_cell_that_misses_a_declared_output_fails_naming_it() -> None:
    cells, _ = fresh()
    with pytest.raises(Exception, match="did not assign its output"):
        cells.submit("a", "x = 1", outputs=["x", "y"])


def test_a_node_id_taken_by_another_node_type_is_refused() -> None:
    cells, _ = fresh()
    cells.pipeline.add("input:text", id="brief", text="hi")
    with pytest.raises(ValueError, match="already has a input:text node 'brief'"):
        cells.define("brief", "x = 1")


async def test_cells_run_from_inside_a_running_loop_as_in_a_kernel() -> None:
    # A kernel runs cells with its event loop already running in the thread.
    cells, ns = fresh()
    cells.submit("a", "xs = [1, 2, 3]")
    execution = cells.submit("b", "total = sum(xs)")
    assert ns["total"] == 6
    assert execution.node_run("a").status.value == "CACHED"


def test_array_outputs_are_cached_so_only_stale_cells_rerun() -> None:
    import numpy as np

    cells, ns = fresh()
    calls: list[str] = []
    ns.update(np=np, calls=calls)
    cells.submit("grid", "calls.append('grid')\ngrid = np.arange(12).reshape(3, 4)")
    cells.submit("col", "calls.append('col')\ncol = grid.sum(axis=0)")
    cells.submit("total", "calls.append('total')\ntotal = int(col.sum())")
    cells.submit("col", "calls.append('col')\ncol = grid.sum(axis=0) * 2")
    calls.clear()
    execution = cells.run()
    assert calls == ["total"]  # the array inputs hashed: grid and col came from the cache
    assert ns["total"] == 132
    # the wire description of an array output is plain JSON; the array stays in outputs
    col_output = execution.node_run("col").output
    assert col_output is not None and col_output.json_ == [24, 30, 36, 42]
    assert isinstance(execution.outputs["col"]["col"], np.ndarray)
