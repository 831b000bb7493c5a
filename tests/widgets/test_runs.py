from __future__ import annotations

from pipeflow_nb.models.execution import Batch, Execution, ExecutionStatus, NodeRun, NodeStatus
from pipeflow_nb.widgets.runs import BatchGrid, ExecutionView
from pipeflow_nb.widgets.summary import batch_table_html, execution_summary_html
from tests.widgets.samples import gradient_image


def _run(i: int, status: ExecutionStatus, error: str | None = None) -> Execution:
    failed = status == ExecutionStatus.FAILED
    return Execution(
        id=f"exec_{i}",
        batch_id="b1",
        input_index=i,
        status=status,
        error=error,
        duration_ms=10 + i,
        node_runs=[
            NodeRun(node_id="brief", status=NodeStatus.COMPLETED),
            NodeRun(
                node_id="img",
                status=NodeStatus.FAILED if failed else NodeStatus.COMPLETED,
                error=error,
            ),
        ],
    )


def _batch() -> Batch:
    return Batch(
        id="b1",
        runs=[
            _run(0, ExecutionStatus.COMPLETED),
            _run(1, ExecutionStatus.FAILED, "bad <prompt>"),
            _run(2, ExecutionStatus.COMPLETED),
        ],
        combinations=[{"brief.text": "a"}, {"brief.text": "b"}, {"brief.text": "c"}],
    )


def test_execution_view_has_summary_and_outputs() -> None:
    execution = Execution(
        id="exec_1",
        status=ExecutionStatus.COMPLETED,
        duration_ms=55,
        credits_used=3,
        node_runs=[
            NodeRun(node_id="img", label="Paint", status=NodeStatus.COMPLETED, credits=3),
            NodeRun(node_id="brief", status=NodeStatus.CACHED),
        ],
        outputs={"img": {"image": gradient_image()}},
    )
    view = ExecutionView(execution)
    assert repr(view) == "ExecutionView('exec_1', COMPLETED, 1 outputs)"
    html = view.summary.value
    assert "exec_1" in html and "55 ms" in html and "3 credits" in html and "1 cached" in html
    card = view.outputs.children[0]
    assert repr(card.children[1]) == "ImagePreview('image': png 64×48, thumbnail)"
    assert html == execution_summary_html(execution)


def test_failed_execution_summary_names_node_and_error() -> None:
    execution = _run(4, ExecutionStatus.FAILED, "bad <prompt>").model_copy(
        update={"failed_node_id": "img"}
    )
    html = execution_summary_html(execution)
    assert "failed in <code>img</code>: bad &lt;prompt&gt;" in html


def test_batch_grid_row_per_run_status_per_node_and_rerun_buttons() -> None:
    grid = BatchGrid(_batch())
    html = grid.table.value
    assert html.count('class="pf-batch-row"') == 3
    assert html.count('data-status="failed"') >= 2  # the run and its failed node
    assert "brief.text=b" in html
    assert repr(grid) == "BatchGrid('b1': 3 runs, COMPLETED=2, FAILED=1)"
    assert list(grid.buttons) == [1]
    assert grid.buttons[1].disabled  # no controller: nothing to re-run with
    assert grid.rerun(1) is None and "needs the pipeline" in grid.message.value


def test_rerun_button_calls_the_controller_and_replaces_the_row() -> None:
    calls: list[int] = []

    def rerun(position: int) -> Execution:
        calls.append(position)
        return _run(9, ExecutionStatus.COMPLETED).model_copy(update={"id": "exec_new"})

    grid = BatchGrid(_batch(), on_rerun=rerun)
    assert not grid.buttons[1].disabled
    grid.buttons[1].click()
    assert calls == [1]
    row = grid.batch.runs[1]
    assert (row.id, row.status, row.input_index, row.batch_id) == (
        "exec_new",
        ExecutionStatus.COMPLETED,
        1,
        "b1",
    )
    assert grid.buttons == {}
    assert "re-run #1: completed" in grid.message.value
    assert 'data-status="failed"' not in grid.table.value


def test_rerun_errors_are_shown_not_raised() -> None:
    def rerun(position: int) -> Execution:
        raise RuntimeError("engine gone")

    grid = BatchGrid(_batch(), on_rerun=rerun)
    assert grid.rerun(1) is None
    assert "engine gone" in grid.message.value
    assert list(grid.buttons) == [1]


def test_batch_html_is_deterministic() -> None:
    assert batch_table_html(_batch()) == batch_table_html(_batch())
