"""The notebook controller: feeds engine events and media to the widgets.

Widgets only render; this module does the rest. It loads media bytes (from memory, the
artifact store or lazily-read files) before a widget sees them, keeps weak references to
the live graphs each pipeline has on screen so ``p.run()`` can pass them to the engine as
observers, and builds the rich displays of pipelines, executions and batches. Outside a
kernel, or without ipywidgets, every display falls back to static HTML.

>>> p.show()                     # the live graph; p.run() now animates it
>>> p.run()                      # an Execution: summary plus outputs
>>> p.show_batch(p.run_batch(...))   # the grid, failed runs re-runnable one by one
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.media import Media
from pipeflow_nb.models.events import ExecutionEvent, NodeCached, NodeCompleted
from pipeflow_nb.models.execution import Batch, Execution, NodeOutput
from pipeflow_nb.sources import ARTIFACT_SCHEME

if TYPE_CHECKING:
    from pipeflow_nb.pipeline import Pipeline
    from pipeflow_nb.widgets.graph import PipelineGraph
    from pipeflow_nb.widgets.runs import BatchGrid, ExecutionView

__all__ = [
    "GraphFeed",
    "batch_bundle",
    "batch_grid",
    "execution_bundle",
    "execution_view",
    "in_kernel",
    "live_graph",
    "load_outputs",
    "observers_for",
    "pipeline_bundle",
    "remember_batch",
    "rerun_overrides",
    "show_batch",
    "show_pipeline",
    "widgets_available",
]

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_MAX_FED = 4

# Pipelines → the live graphs showing them. Weak on both sides: a graph closed or
# garbage-collected stops being fed, and a forgotten pipeline takes its graphs with it.
_LIVE: weakref.WeakKeyDictionary[Pipeline, weakref.WeakSet[PipelineGraph]] = (
    weakref.WeakKeyDictionary()
)
# Batch id → the pipeline that ran it, so a displayed batch can re-run its failed runs.
_BATCH_ORIGINS: weakref.WeakValueDictionary[str, Pipeline] = weakref.WeakValueDictionary()


def in_kernel() -> bool:
    """Whether code runs inside a Jupyter kernel (IPython already imported, with a kernel)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def widgets_available() -> bool:
    """Whether ipywidgets and ipycytoscape can be imported."""
    return all(importlib.util.find_spec(m) is not None for m in ("ipywidgets", "ipycytoscape"))


def _rich() -> bool:
    return in_kernel() and widgets_available()


# --- media --------------------------------------------------------------------------------
def _load(value: Any) -> Any:
    if isinstance(value, Media):
        _ = value.data  # read lazy bytes here, so widgets never touch a file
    elif isinstance(value, list | tuple):
        for item in value:
            _load(item)
    return value


def _resolve_refs(output: NodeOutput, store: ArtifactStore) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for i, ref in enumerate(output.media):
        if not ref.url.startswith(ARTIFACT_SCHEME):
            return {}
        key = ref.url[len(ARTIFACT_SCHEME) :]
        try:
            values[ref.port or f"media_{i}"] = _load(store.media(key))
        except (KeyError, ValueError):
            return {}  # not in this store: the previews fall back to links
    if output.text is not None:
        values["text"] = output.text
    if output.json_ is not None:
        values["json"] = output.json_
    return values


def load_outputs(
    outputs: Mapping[str, Any], output: NodeOutput | None = None, store: ArtifactStore | None = None
) -> dict[str, Any]:
    """Output values ready for previews: bytes in memory, ``artifact:`` refs resolved."""
    if outputs:
        return {port: _load(value) for port, value in outputs.items()}
    if output is not None and output.media:
        return _resolve_refs(output, store or ArtifactStore())
    return {}


class GraphFeed:
    """An engine observer that loads media and hands each event to a graph (held weakly)."""

    def __init__(self, graph: PipelineGraph, store: ArtifactStore | None = None):
        self._graph = weakref.ref(graph)
        self._store = store

    def __repr__(self) -> str:
        graph = self._graph()
        return f"GraphFeed({'closed' if graph is None else repr(graph)})"

    @property
    def graph(self) -> PipelineGraph | None:
        """The graph being fed, while it lives."""
        return self._graph()

    def __call__(self, event: ExecutionEvent) -> None:
        graph = self._graph()
        if graph is None:
            return
        if isinstance(event, NodeCompleted | NodeCached):
            values = load_outputs(event.outputs, event.output, self._store)
            if values is not event.outputs:
                event = event.model_copy(update={"outputs": values})
        graph.apply(event)


# --- pipelines ----------------------------------------------------------------------------
def live_graph(pipeline: Pipeline, *, interval_s: float = 0.1) -> PipelineGraph:
    """A new live graph of ``pipeline``; runs of the pipeline animate it while it exists."""
    from pipeflow_nb.widgets.graph import PipelineGraph

    graph = PipelineGraph(pipeline, live=True, interval_s=interval_s)
    _LIVE.setdefault(pipeline, weakref.WeakSet()).add(graph)
    return graph


def observers_for(pipeline: Pipeline) -> list[Callable[[ExecutionEvent], None]]:
    """Observers for a run of ``pipeline``: one feed per live graph still open."""
    graphs = _LIVE.get(pipeline)
    if not graphs:
        return []
    # Re-running a cell leaves older graphs alive in ipywidgets' registry; feed the newest.
    open_graphs = sorted((g for g in graphs if g.comm is not None), key=lambda g: g.serial)
    return [GraphFeed(g) for g in open_graphs[-_MAX_FED:]]


def show_pipeline(pipeline: Pipeline) -> None:
    """Display the live graph of ``pipeline`` (static HTML outside a kernel).

    Returns nothing, so ``p.show()`` as a cell's last line shows one graph, not two;
    :func:`live_graph` gives the widget itself.
    """
    if not _rich():
        _display_html(pipeline._static_mimebundle_()["text/html"])
        return
    _display(live_graph(pipeline))


def _display(obj: Any) -> None:
    ipd: Any = importlib.import_module("IPython.display")
    ipd.display(obj)


def _display_html(html: str) -> None:
    ipd: Any = importlib.import_module("IPython.display")
    ipd.display(ipd.HTML(html))


def _widget_bundle(widget: Any, static: Mapping[str, Any]) -> dict[str, Any]:
    bundle = dict(static)
    bundle.update(widget._repr_mimebundle_())
    return bundle


def pipeline_bundle(pipeline: Pipeline, static: Mapping[str, Any]) -> dict[str, Any]:
    """The display of a pipeline as a cell's last expression: the live graph when possible."""
    if not _rich():
        return dict(static)
    return _widget_bundle(live_graph(pipeline), static)


# --- executions and batches ---------------------------------------------------------------
def execution_view(execution: Execution, store: ArtifactStore | None = None) -> ExecutionView:
    """The summary widget of an execution, its media loaded."""
    from pipeflow_nb.widgets.runs import ExecutionView

    loaded = {nid: load_outputs(ports, None, store) for nid, ports in execution.outputs.items()}
    for run in execution.node_runs:
        if run.node_id not in loaded and run.output is not None:
            values = load_outputs({}, run.output, store)
            if values:
                loaded[run.node_id] = values
    shown = execution.model_copy(update={"outputs": loaded})
    return ExecutionView(shown)


def execution_bundle(execution: Execution) -> dict[str, Any]:
    """An execution as a cell's last expression: widget in a kernel, else HTML."""
    from pipeflow_nb.widgets.summary import execution_summary_html

    static = {"text/plain": repr(execution), "text/html": execution_summary_html(execution)}
    if not _rich():
        return static
    return _widget_bundle(execution_view(execution), static)


def rerun_overrides(combination: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"node.param": v}`` of a batch combination → ``{"node": {"param": v}}`` overrides."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in combination.items():
        node_id, dot, param = key.rpartition(".")
        if not dot or not node_id or not param:
            raise ValueError(f"batch combination key {key!r} is not '<node>.<param>'")
        out.setdefault(node_id, {})[param] = value
    return out


def remember_batch(batch: Batch, pipeline: Pipeline) -> None:
    """Note which pipeline ran ``batch``, so its display can re-run failed runs."""
    _BATCH_ORIGINS[batch.id] = pipeline


def batch_grid(batch: Batch, pipeline: Pipeline | None = None, **run_options: Any) -> BatchGrid:
    """The batch grid; with a pipeline, failed runs are re-runnable one at a time.

    ``run_options`` (e.g. ``engine=``) go to ``pipeline.run`` for each re-run.
    """
    from pipeflow_nb.widgets.runs import BatchGrid

    origin = pipeline if pipeline is not None else _BATCH_ORIGINS.get(batch.id)
    if origin is None:
        return BatchGrid(batch)
    source = origin

    def rerun(position: int) -> Execution:
        combo = batch.combinations[position] if position < len(batch.combinations) else {}
        options = {"raise_on_failure": False, **run_options}
        return source.run(overrides=rerun_overrides(combo), **options)

    return BatchGrid(batch, on_rerun=rerun)


def batch_bundle(batch: Batch) -> dict[str, Any]:
    """A batch as a cell's last expression: the grid in a kernel, else an HTML table."""
    from pipeflow_nb.widgets.summary import batch_table_html

    static = {"text/plain": repr(batch), "text/html": batch_table_html(batch)}
    if not _rich():
        return static
    return _widget_bundle(batch_grid(batch), static)


def show_batch(batch: Batch, pipeline: Pipeline | None = None, **run_options: Any) -> None:
    """Display the batch grid (re-runnable failures when the pipeline is known).

    Returns nothing (see :func:`show_pipeline`); :func:`batch_grid` gives the widget.
    """
    if not _rich():
        from pipeflow_nb.widgets.summary import batch_table_html

        _display_html(batch_table_html(batch))
        return
    _display(batch_grid(batch, pipeline, **run_options))
