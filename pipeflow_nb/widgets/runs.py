"""Widgets for finished runs: an execution summary with its outputs, and the batch grid.

The batch grid offers a button per failed run; clicking it calls ``on_rerun(position)``
(supplied by the controller, which owns the pipeline and the engine) and puts the
returned execution in that row.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import ipywidgets as w

from pipeflow_nb.models.execution import Batch, Execution, ExecutionStatus
from pipeflow_nb.widgets.previews import close_tree, output_previews
from pipeflow_nb.widgets.summary import (
    batch_node_ids,
    batch_table_html,
    combination_text,
    execution_summary_html,
)

__all__ = ["BatchGrid", "ExecutionView", "Rerun"]

Rerun = Callable[[int], Execution]
"""``rerun(position)`` → the new execution of the batch run at that position."""


class ExecutionView(w.VBox):  # type: ignore[misc]
    """A compact summary of one execution with the outputs of its nodes inline."""

    def __init__(self, execution: Execution):
        self.execution = execution
        self.summary = w.HTML(execution_summary_html(execution))
        self.outputs = w.HBox([], layout=w.Layout(flex_flow="row wrap"))
        self.outputs.add_class("pf-outputs")
        super().__init__([self.summary, self.outputs])
        self.add_class("pf-execution-view")
        self._render_outputs()

    def _render_outputs(self) -> None:
        cards = []
        for run in self.execution.node_runs:
            previews = output_previews(self.execution.outputs.get(run.node_id, {}), run.output)
            if previews:
                head = w.HTML(f"<b>{escape(run.label or run.node_id)}</b>")
                card = w.VBox(
                    [head, *previews],
                    layout=w.Layout(border="1px solid #cfd8dc", padding="4px", margin="4px"),
                )
                card.add_class("pf-output-card")
                cards.append(card)
        self.outputs.children = tuple(cards)

    def __repr__(self) -> str:
        e = self.execution
        return f"ExecutionView({e.id!r}, {e.status.value}, {len(self.outputs.children)} outputs)"


class BatchGrid(w.VBox):  # type: ignore[misc]
    """One row per run with a status per node; failed runs get a re-run button."""

    def __init__(self, batch: Batch, *, on_rerun: Rerun | None = None):
        self.batch = batch
        self.on_rerun = on_rerun
        self.node_ids = batch_node_ids(batch.runs)
        self.table = w.HTML()
        self.actions = w.VBox([])
        self.actions.add_class("pf-batch-actions")
        self.message = w.HTML()
        self.buttons: dict[int, w.Button] = {}
        super().__init__([self.table, self.actions, self.message])
        self.add_class("pf-batch-view")
        self._render()

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(self.batch.status_counts.items()))
        return f"BatchGrid({self.batch.id!r}: {len(self.batch.runs)} runs, {counts})"

    @property
    def failed_positions(self) -> list[int]:
        """Positions (row numbers) of the runs that failed."""
        return [i for i, r in enumerate(self.batch.runs) if r.status == ExecutionStatus.FAILED]

    def _render(self) -> None:
        self.table.value = batch_table_html(self.batch, self.node_ids)
        for button in self.buttons.values():
            button.close()
        self.buttons = {}
        rows = []
        for pos in self.failed_positions:
            run = self.batch.runs[pos]
            combo = self.batch.combinations[pos] if pos < len(self.batch.combinations) else {}
            button = w.Button(
                description=f"re-run #{pos}",
                icon="redo",
                button_style="warning",
                disabled=self.on_rerun is None,
                tooltip="run this combination again, alone",
                layout=w.Layout(width="120px"),
            )
            button.add_class("pf-rerun")
            button.on_click(lambda _b, p=pos: self.rerun(p))
            self.buttons[pos] = button
            note = w.HTML(
                f'<span style="font-size:12px">{escape(combination_text(combo))}: '
                f'<span style="color:#b71c1c">{escape(run.error or "failed")}</span></span>'
            )
            rows.append(w.HBox([button, note]))
        for old in self.actions.children:
            close_tree(old)
        self.actions.children = tuple(rows)

    def rerun(self, position: int) -> Execution | None:
        """Run the batch run at ``position`` again through the controller; update its row."""
        if self.on_rerun is None:
            self.message.value = "re-running needs the pipeline; use pipeline.show_batch(batch)"
            return None
        try:
            execution = self.on_rerun(position)
        except Exception as exc:  # shown to the user; the grid stays usable
            self.message.value = (
                f'<span style="color:#b71c1c">re-run #{position}: {escape(str(exc))}</span>'
            )
            return None
        self.replace_run(position, execution)
        self.message.value = f"re-run #{position}: {execution.status.value.lower()}"
        return execution

    def replace_run(self, position: int, execution: Execution) -> None:
        """Put ``execution`` in row ``position`` (keeping the row's batch coordinates)."""
        old = self.batch.runs[position]
        fixed = execution.model_copy(
            update={
                "batch_id": old.batch_id,
                "input_index": old.input_index,
                "run_index_in_batch": old.run_index_in_batch,
            }
        )
        runs = list(self.batch.runs)
        runs[position] = fixed
        self.batch = self.batch.model_copy(update={"runs": runs})
        for nid in batch_node_ids([fixed]):
            if nid not in self.node_ids:
                self.node_ids.append(nid)
        self._render()
