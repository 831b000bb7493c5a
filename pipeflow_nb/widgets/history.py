"""``HistoryView``: the executions of a pipeline, one selected on its graph, two compared.

The view renders :class:`~pipeflow_nb.widgets.comparison.HistoryEntry` values a
controller gives it (:class:`pipeflow_nb.history.RunHistory` for local runs, or a
service's executions); it never fetches anything itself.

>>> view = HistoryView(entries)
>>> view.select(0)          # the graph coloured by run 0's node statuses, its outputs
>>> view.compare(0, 1)      # params that differ, outputs side by side
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

import ipywidgets as w

from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.widgets.comparison import (
    HistoryEntry,
    comparison_html,
    history_row,
    history_table_html,
)
from pipeflow_nb.widgets.graph import PipelineGraph
from pipeflow_nb.widgets.previews import close_tree, output_previews

__all__ = ["HistoryView"]


def _outputs_column(entry: HistoryEntry, title: str) -> w.VBox:
    cards: list[w.Widget] = [w.HTML(f"<b>{escape(title)}</b>")]
    execution = entry.execution
    for run in execution.node_runs:
        previews = output_previews(execution.outputs.get(run.node_id, {}), run.output)
        if previews:
            head = w.HTML(f"<code>{escape(run.node_id)}</code>")
            cards.append(w.VBox([head, *previews]))
    if len(cards) == 1:
        cards.append(w.HTML("<i>no outputs</i>"))
    column = w.VBox(cards, layout=w.Layout(flex="1 1 0", padding="4px"))
    column.add_class("pf-compare-side")
    return column


class HistoryView(w.VBox):  # type: ignore[misc]
    """A table of runs; selecting one shows its graph and outputs; two can be compared."""

    def __init__(
        self,
        entries: Sequence[HistoryEntry] = (),
        *,
        specs: Mapping[str, NodeTypeSpec] | Callable[[str], NodeTypeSpec | None] | None = None,
    ):
        self.entries: list[HistoryEntry] = []
        self.selected: int | None = None
        self.compared: tuple[int, int] | None = None
        self.graph: PipelineGraph | None = None
        self._specs = specs
        self.table = w.HTML()
        self.picker = w.Dropdown(description="run", options=[])
        self.other = w.Dropdown(description="compare", options=[])
        self.compare_button = w.Button(description="Compare", icon="columns")
        self.detail = w.VBox([])
        self.detail.add_class("pf-history-detail")
        self.picker.observe(self._on_pick, names="value")
        self.compare_button.on_click(lambda _b: self._on_compare())
        super().__init__(
            [self.table, w.HBox([self.picker, self.other, self.compare_button]), self.detail]
        )
        self.add_class("pf-history")
        self.set_entries(entries)

    def __repr__(self) -> str:
        shown = (
            f"comparing {self.compared}"
            if self.compared
            else f"selected {self.selected}"
            if self.selected is not None
            else "nothing selected"
        )
        return f"HistoryView({len(self.entries)} runs; {shown})"

    # --- feeding -------------------------------------------------------------------------
    def set_entries(self, entries: Sequence[HistoryEntry]) -> None:
        """Show these runs (the controller's order, usually newest first)."""
        self.entries = list(entries)
        options = [
            (f"{i}: {e.execution.id} ({e.execution.status.value.lower()})", i)
            for i, e in enumerate(self.entries)
        ]
        self.picker.unobserve(self._on_pick, names="value")
        self.picker.options = options
        self.other.options = options
        self.picker.value = None
        self.picker.observe(self._on_pick, names="value")
        if self.selected is not None and self.selected >= len(self.entries):
            self.selected = None
        self._render_table()

    def _render_table(self) -> None:
        rows = [history_row(e.execution) for e in self.entries]
        self.table.value = history_table_html(rows, self.selected)

    # --- selecting -----------------------------------------------------------------------
    def select(self, index: int) -> None:
        """Show run ``index``: the graph coloured by its node statuses, and its outputs."""
        entry = self._entry(index)
        self.selected, self.compared = index, None
        execution = entry.execution
        source = entry.workflow if entry.workflow is not None else execution
        specs = self._specs
        graph = PipelineGraph(source, specs=specs)
        graph.cytoscape.max_zoom = 1.2  # small graphs stay node-sized
        if entry.workflow is not None:
            graph.load_execution(execution)
        graph.flush()
        self._replace_detail([graph])
        self.graph = graph
        self._show_picked(index)
        self._render_table()

    def compare(self, left: int, right: int) -> None:
        """Show two runs side by side: the params that differ, then each run's outputs."""
        a, b = self._entry(left), self._entry(right)
        self.compared = (left, right)
        self.selected = None
        diff = w.HTML(comparison_html(a, b))
        sides = w.HBox(
            [
                _outputs_column(a, f"{left}: {a.execution.id}"),
                _outputs_column(b, f"{right}: {b.execution.id}"),
            ],
            layout=w.Layout(width="100%"),
        )
        self._replace_detail([diff, sides])
        self.graph = None
        self._render_table()

    def _show_picked(self, index: int) -> None:
        """Reflect a selection made in code in the run dropdown (without re-selecting)."""
        self.picker.unobserve(self._on_pick, names="value")
        self.picker.value = index
        self.picker.observe(self._on_pick, names="value")

    def _entry(self, index: int) -> HistoryEntry:
        if not 0 <= index < len(self.entries):
            raise IndexError(f"no run {index} in the history ({len(self.entries)} runs)")
        return self.entries[index]

    def _replace_detail(self, children: list[w.Widget]) -> None:
        for old in self.detail.children:
            close_tree(old)
        self.detail.children = tuple(children)

    def _on_pick(self, change: Mapping[str, object]) -> None:
        value = change.get("new")
        if isinstance(value, int):
            self.select(value)

    def _on_compare(self) -> None:
        left, right = self.picker.value, self.other.value
        if isinstance(left, int) and isinstance(right, int):
            self.compare(left, right)
