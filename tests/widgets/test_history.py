"""The history widget and its controller, fed real local runs."""

from __future__ import annotations

import pytest

from pipeflow_nb import NodeRegistry, Pipeline
from pipeflow_nb.history import RunHistory
from pipeflow_nb.models.execution import Execution, ExecutionStatus
from pipeflow_nb.nodes.builtin import builtin_definitions
from pipeflow_nb.widgets.comparison import (
    HistoryEntry,
    comparison_html,
    history_row,
    history_table_html,
    param_diffs,
)
from pipeflow_nb.widgets.history import HistoryView


def greeting() -> Pipeline:
    p = Pipeline("greeting", registry=NodeRegistry(builtin_definitions()))
    name = p.add("input:text", id="name", text="Ada")
    p.add("text:template", id="greet", text=name, template="Hello, {text}!")
    return p


@pytest.fixture
def history() -> RunHistory:
    p = greeting()
    h = RunHistory(p)
    h.run()
    h.run(overrides={"name": {"text": "Grace"}})
    p.set_params("greet", template="Hi {text} from {place}")  # fails: no 'place'
    h.run()
    return h


def test_rows_show_status_time_duration_credits_and_failing_node(history: RunHistory) -> None:
    newest, middle, oldest = (history_row(e.execution) for e in history.entries)
    assert (oldest.status, middle.status, newest.status) == ("completed", "completed", "failed")
    assert newest.failed_node == "greet" and oldest.failed_node == ""
    assert oldest.duration.endswith(" ms") and oldest.credits == 0
    assert len(oldest.started) == len("2026-01-01 00:00:00")
    html = history_table_html([newest, middle, oldest], selected=1)
    assert html.count("<tr data-execution") == 3
    assert 'class="pf-selected"' in html and "<code>greet</code>" in html


def test_param_diffs_between_runs(history: RunHistory) -> None:
    failed, grace, ada = history.entries
    diffs = param_diffs(ada, grace)
    assert [(d.node_id, d.param, d.left, d.right) for d in diffs] == [
        ("name", "text", "Ada", "Grace")
    ]
    both = {(d.node_id, d.param) for d in param_diffs(ada, failed)}
    assert both == {("greet", "template")}
    assert param_diffs(ada, ada) == []
    assert "same params" in comparison_html(ada, ada)


def test_params_unknown_for_runs_without_workflow() -> None:
    e = Execution(id="exec_remote", status=ExecutionStatus.COMPLETED)
    assert "params unknown" in comparison_html(HistoryEntry(e), HistoryEntry(e))


def test_selecting_a_run_colours_the_graph_by_its_statuses(history: RunHistory) -> None:
    view = history.view()
    assert isinstance(view, HistoryView)
    assert repr(view) == "HistoryView(3 runs; nothing selected)"
    view.select(0)  # the failed run
    assert view.picker.value == 0  # a selection from code shows in the dropdown
    assert view.graph is not None
    assert view.graph.statuses == {"name": "cached", "greet": "failed"}
    assert repr(view) == "HistoryView(3 runs; selected 0)"
    view.select(2)  # the first run: both completed, outputs in the inspector strip
    assert view.graph.statuses == {"name": "completed", "greet": "completed"}
    assert view.graph.state.node("greet").outputs == {"text": "Hello, Ada!"}
    # the dropdown drives the same selection
    view.picker.value = 1
    assert view.selected == 1
    assert view.graph.state.node("greet").outputs == {"text": "Hello, Grace!"}
    with pytest.raises(IndexError, match="no run 7"):
        view.select(7)


def test_comparing_two_runs_side_by_side(history: RunHistory) -> None:
    view = history.view()
    view.picker.value = 2
    view.other.value = 1
    view.compare_button.click()
    assert view.compared == (2, 1)
    diff, sides = view.detail.children
    assert "<code>name.text</code>" in diff.value
    assert "&#x27;Ada&#x27;" in diff.value and "&#x27;Grace&#x27;" in diff.value
    left, right = sides.children
    texts = [
        [getattr(c, "value", "") for card in col.children[1:] for c in card.children]
        for col in (left, right)
    ]
    assert any("Hello, Ada!" in t for t in texts[0])
    assert any("Hello, Grace!" in t for t in texts[1])
    assert repr(view) == "HistoryView(3 runs; comparing (2, 1))"


def test_views_follow_new_runs_and_service_history(history: RunHistory) -> None:
    view = history.view()
    history.run(overrides={"name": {"text": "Linus"}})
    assert len(view.entries) == 4
    remote = [Execution(id=f"exec_r{i}", status=ExecutionStatus.COMPLETED) for i in range(2)]
    history.extend(remote)
    assert [e.execution.id for e in view.entries[:2]] == ["exec_r0", "exec_r1"]
    view.select(0)  # a service run without its workflow: drawn from its node runs
    assert view.graph is not None


def test_history_without_pipeline_cannot_run() -> None:
    with pytest.raises(ValueError, match="no pipeline"):
        RunHistory().run()
