"""The ``%%node`` cell magic, driven through a real in-process IPython shell."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from pipeflow_nb import NodeRegistry, Pipeline
from pipeflow_nb.media import Image
from pipeflow_nb.models.execution import NodeStatus
from pipeflow_nb.nodes.builtin import builtin_definitions


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    ip = InteractiveShell.instance()
    ip.reset(new_session=True)
    ip.run_line_magic("load_ext", "pipeflow_nb")
    # A pipeline on its own registry, so cell node types stay out of the process-wide one.
    ip.user_ns["demo"] = Pipeline("demo", registry=NodeRegistry(builtin_definitions()))
    ip.user_ns["calls"] = []
    yield ip
    ip.reset(new_session=True)


def run(shell: InteractiveShell, line: str, cell: str) -> Any:
    with capture_output() as captured:
        result = shell.run_cell(f"%%node {line}\n{cell}")
    if result.error_in_exec is not None:
        raise result.error_in_exec
    if result.error_before_exec is not None:
        raise result.error_before_exec
    return captured


def statuses(execution: Any) -> dict[str, NodeStatus]:
    return {r.node_id: r.status for r in execution.node_runs}


A = 'calls.append("a")\nxs = [1, 2, 3]'
B = 'calls.append("b")\ntotal = sum(xs)'
C = 'calls.append("c")\ndouble = total * 2'
D = 'calls.append("d")\ncount = len(xs)'


def build(shell: InteractiveShell) -> Pipeline:
    for name, source in (("a", A), ("b", B), ("c", C), ("d", D)):
        run(shell, f"{name} --pipeline demo", source)
    pipeline: Pipeline = shell.user_ns["demo"]
    return pipeline


def test_cells_become_wired_nodes_and_outputs_reach_the_namespace(shell: InteractiveShell) -> None:
    p = build(shell)
    assert p.node_ids == ["a", "b", "c", "d"]
    assert sorted(e.id for e in p.edges) == ["a.xs->b.xs", "a.xs->d.xs", "b.total->c.total"]
    assert p["b"].node_type == "cell:demo/b"
    assert p["b"].spec.category == "cell"
    assert [x.name for x in p["b"].spec.inputs] == ["xs"]
    assert [x.name for x in p["b"].spec.outputs] == ["total"]
    ns = shell.user_ns
    assert (ns["xs"], ns["total"], ns["double"], ns["count"]) == ([1, 2, 3], 6, 12, 3)
    # each cell ran once; upstream came from the cache
    assert ns["calls"] == ["a", "b", "c", "d"]


def test_editing_a_cell_marks_descendants_stale_and_rerun_touches_only_them(
    shell: InteractiveShell,
) -> None:
    p = build(shell)
    calls: list[str] = shell.user_ns["calls"]
    calls.clear()
    magics = shell.magics_manager.registry["PipeflowMagics"]
    cells = magics.controller("demo")
    assert cells.stale() == {}

    run(shell, "b --pipeline demo", 'calls.append("b")\ntotal = sum(xs) + 100')
    assert calls == ["b"]  # a came from the cache
    run_b = cells.executions[-1]
    assert statuses(run_b) == {"a": NodeStatus.CACHED, "b": NodeStatus.COMPLETED}
    assert run_b.node_run("b").rerun_reason == "code changed"
    assert p["b"].spec.version != cells.cells["a"].version
    assert cells.stale() == {"c": "input changed (upstream 'b': code changed)"}
    assert shell.run_line_magic("pipeflow_stale", "demo") == cells.stale()

    calls.clear()
    execution = p.run()
    assert calls == ["c"]  # only the stale node re-ran
    assert statuses(execution) == {
        "a": NodeStatus.CACHED,
        "b": NodeStatus.CACHED,
        "c": NodeStatus.COMPLETED,
        "d": NodeStatus.CACHED,
    }
    assert execution.node_run("c").rerun_reason == "input changed"
    assert execution.outputs["c"]["double"] == 212
    assert cells.stale() == {}  # a run outside the controller refreshed it


def test_rerunning_an_unchanged_cell_runs_nothing(shell: InteractiveShell) -> None:
    build(shell)
    calls: list[str] = shell.user_ns["calls"]
    calls.clear()
    run(shell, "c --pipeline demo", C)
    assert calls == []


def test_changing_outputs_rewires_and_drops_vanished_edges(shell: InteractiveShell) -> None:
    p = build(shell)
    run(shell, "b --pipeline demo", "grand = sum(xs)")
    assert "b.total->c.total" not in [e.id for e in p.edges]
    assert [x.name for x in p["b"].spec.outputs] == ["grand"]
    run(shell, "c --pipeline demo", "double = grand * 2")
    assert "b.grand->c.grand" in [e.id for e in p.edges]
    assert shell.user_ns["double"] == 12


def test_declared_inputs_and_outputs(shell: InteractiveShell) -> None:
    p = build(shell)
    run(shell, "e --pipeline demo --inputs total --outputs label", "label = f'{total}'\nextra = 1")
    assert [x.name for x in p["e"].spec.inputs] == ["total"]
    assert [x.name for x in p["e"].spec.outputs] == ["label"]
    assert shell.user_ns["label"] == "6"
    assert "extra" not in shell.user_ns


def test_declared_input_nobody_produces_is_a_clear_error(shell: InteractiveShell) -> None:
    build(shell)
    with pytest.raises(ValueError, match="declares input 'nope'"):
        run(shell, "e --pipeline demo --inputs nope", "y = 1")


def test_a_failing_cell_names_itself(shell: InteractiveShell) -> None:
    build(shell)
    with pytest.raises(Exception, match="'boom'"):
        run(shell, "boom --pipeline demo", "r = total / 0")


def test_bad_magic_line_is_a_usage_error(shell: InteractiveShell) -> None:
    with capture_output():
        result = shell.run_cell("%%node --pipeline\nx = 1")
    assert type(result.error_in_exec).__name__ == "UsageError"


def test_default_pipeline_is_created_and_bound(shell: InteractiveShell) -> None:
    run(shell, "first", "v = 41 + 1")
    assert isinstance(shell.user_ns["cells"], Pipeline)
    assert shell.user_ns["cells"].node_ids == ["first"]
    assert shell.user_ns["v"] == 42


def test_media_outputs_are_previewed_under_the_cell(shell: InteractiveShell) -> None:
    shell.user_ns["Image"] = Image
    captured = run(
        shell,
        "pic --pipeline demo",
        "from PIL import Image as PILImage\n"
        "picture = Image.from_pil(PILImage.new('RGB', (8, 6), 'red'))\nnote = 'hi'",
    )
    kinds = [set(o.data) for o in captured.outputs]
    assert any("image/png" in k for k in kinds)
    html = " ".join(o.data.get("text/html", "") for o in captured.outputs)
    assert 'data-node="pic"' in html and "<code>picture</code>" in html
    assert isinstance(shell.user_ns["picture"], Image)


def test_stale_nodes_are_marked_on_the_live_graph(shell: InteractiveShell) -> None:
    from pipeflow_nb.display import live_graph

    p = build(shell)
    graph = live_graph(p)
    run(shell, "b --pipeline demo", 'calls.append("b")\ntotal = sum(xs) + 1')
    graph.flush()
    assert graph.marks == {"c": ("stale", "input changed (upstream 'b': code changed)")}
    assert graph.node_widgets["c"].data["mark"] == "stale"
    assert "input changed" in graph.node_widgets["c"].data["tooltip"]
    p.run()  # the displayed graph is fed; c runs and is up to date again
    graph.flush()
    assert graph.marks == {}
    assert graph.statuses["c"] == "completed"


def test_no_cache_cells_rerun_every_time(shell: InteractiveShell) -> None:
    build(shell)
    calls: list[str] = shell.user_ns["calls"]
    run(shell, "roll --pipeline demo --no-cache", 'calls.append("roll")\nface = len(xs)')
    run(shell, "show --pipeline demo", 'calls.append("show")\nshown = face')
    calls.clear()
    execution = shell.user_ns["demo"].run()
    assert sorted(calls) == ["roll"]  # its output is the same, so `show` stays cached
    assert execution.node_run("roll").rerun_reason == "non-deterministic"
