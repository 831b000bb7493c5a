"""``RunHistory``: the controller behind the history widget.

It keeps executions (newest first) with the workflow each one ran, from local runs
(:meth:`RunHistory.run` or :meth:`RunHistory.record`) or from a service's history
(:meth:`RunHistory.extend` with the ``Execution`` models a client returned), and feeds
them to any :class:`~pipeflow_nb.widgets.history.HistoryView` it made, loading media
bytes first so the widget never touches a file.

>>> history = RunHistory(p)               # follows every run of p from now on
>>> p.run()                              # remembered with its graph
>>> history.run()                        # the same, failures kept rather than raised
>>> history.run(overrides={"brief": {"text": "a fox"}})
>>> history.view().compare(0, 1)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pipeflow_nb.models.execution import Execution
from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.widgets.comparison import HistoryEntry

if TYPE_CHECKING:
    from pipeflow_nb.pipeline import Pipeline
    from pipeflow_nb.widgets.history import HistoryView

__all__ = ["RunHistory"]


class RunHistory:
    """Executions of a pipeline, newest first, with the workflow each one ran."""

    def __init__(self, pipeline: Pipeline | None = None, *, limit: int = 200, follow: bool = True):
        """``follow``: record every run of ``pipeline``, wherever it was started."""
        self.pipeline = pipeline
        self.limit = limit
        self._entries: list[HistoryEntry] = []
        self._views: weakref.WeakSet[HistoryView] = weakref.WeakSet()
        self.unsubscribe: Callable[[], None] = lambda: None
        """Stop following the pipeline's runs."""
        if pipeline is not None and follow:
            self.unsubscribe = pipeline.on_run(self._on_run)

    def __repr__(self) -> str:
        name = self.pipeline.name if self.pipeline is not None else "-"
        return f"RunHistory({name!r}: {len(self._entries)} runs)"

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> list[HistoryEntry]:
        """The runs, newest first."""
        return list(self._entries)

    def record(
        self,
        execution: Execution,
        workflow: Workflow | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> HistoryEntry:
        """Remember a run (replacing an entry with the same execution id)."""
        entry = HistoryEntry(execution, workflow, dict(overrides or {}))
        self._entries = [e for e in self._entries if e.execution.id != execution.id]
        self._entries.insert(0, entry)
        del self._entries[self.limit :]
        self._feed()
        return entry

    def _on_run(
        self, execution: Execution, workflow: Workflow, overrides: dict[str, dict[str, Any]]
    ) -> None:
        self.record(execution, workflow, overrides)

    def extend(self, executions: Iterable[Execution], workflow: Workflow | None = None) -> None:
        """Add runs from elsewhere (a service's history), newest first as given.

        ``workflow`` (e.g. ``client.get_workflow(wf)``) draws them on their graph.
        """
        for execution in reversed(list(executions)):
            self.record(execution, workflow)

    def run(self, **options: Any) -> Execution:
        """Run the pipeline (``Pipeline.run`` options; failures are kept, not raised).

        The record keeps the overrides given, so comparisons show what changed.
        """
        if self.pipeline is None:
            raise ValueError("this history has no pipeline to run; record executions instead")
        from pipeflow_nb.running import run_pipeline

        options.pop("raise_on_failure", None)
        workflow = self.pipeline.to_workflow()
        execution = run_pipeline(self.pipeline, options.pop("target", None), **options)
        self.record(execution, workflow, options.get("overrides"))  # kept once: same id
        return execution

    def view(self) -> HistoryView:
        """A new history widget, kept up to date as runs are recorded."""
        from pipeflow_nb.widgets.history import HistoryView

        specs = self.pipeline.registry.spec if self.pipeline is not None else None
        view = HistoryView(self._loaded(), specs=specs)
        self._views.add(view)
        return view

    def _loaded(self) -> list[HistoryEntry]:
        from pipeflow_nb.display import load_outputs

        loaded = []
        for entry in self._entries:
            execution = entry.execution
            outputs = {nid: load_outputs(ports) for nid, ports in execution.outputs.items()}
            shown = execution.model_copy(update={"outputs": outputs})
            loaded.append(HistoryEntry(shown, entry.workflow, entry.overrides))
        return loaded

    def _feed(self) -> None:
        views = list(self._views)
        if views:
            entries = self._loaded()
            for view in views:
                view.set_entries(entries)
