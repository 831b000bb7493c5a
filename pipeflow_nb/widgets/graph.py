"""``PipelineGraph``: the live pipeline graph, its inspector, legend and outputs strip.

It draws a pipeline (anything with ``to_workflow()``, ``on_change()`` and a ``registry``),
a :class:`Workflow` or an :class:`Execution` as a left-to-right DAG. It is itself an
observer: ``graph(event)`` (or ``graph.apply(event)``) folds an engine event into its
state and marks the touched nodes dirty; a :class:`Coalescer` then repaints only those
nodes, at most once per interval, by reassigning each one's ``data`` (ipycytoscape does
not see in-place edits). In manual mode (the default outside :meth:`live`) nothing is
sent until :meth:`flush`, which is how the tests drive it without clocks or sleeps.

>>> g = PipelineGraph(workflow)
>>> g.apply(NodeStarted(execution_id="exec_1", node_id="img")); g.flush()
>>> g.statuses["img"]
'running'
"""

from __future__ import annotations

import itertools
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from html import escape
from typing import Any, Protocol

import ipycytoscape
import ipywidgets as w

from pipeflow_nb.models.events import ExecutionEvent, ExecutionFinished, NodeCached, NodeCompleted
from pipeflow_nb.models.execution import Execution
from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.workflow import NodeData, WireNode, Workflow
from pipeflow_nb.widgets.coalesce import Coalescer, Scheduler, default_scheduler, timer_scheduler
from pipeflow_nb.widgets.elements import (
    LAYOUT,
    MIN_ZOOM,
    edge_element,
    legend_html,
    node_classes,
    node_data,
    stylesheet,
)
from pipeflow_nb.widgets.inspector import Inspector
from pipeflow_nb.widgets.outputs import OutputsStrip
from pipeflow_nb.widgets.state import RunState

__all__ = ["GraphSource", "PipelineGraph", "SpecLookup"]

SpecLookup = Callable[[str], NodeTypeSpec | None]
"""``node_type → spec`` (``registry.spec``), or ``None`` when unknown."""

_STRUCTURE = "*structure*"
_SERIALS = itertools.count(1)
FIT_DELAYS_S = (0.5, 1.5, 3.0)
"""When a displayed live graph lays itself out again (seconds after display)."""


class _Registry(Protocol):
    def spec(self, node_type: str) -> NodeTypeSpec | None: ...


class GraphSource(Protocol):
    """What the graph needs from a pipeline (``pipeflow_nb.Pipeline`` fits)."""

    name: str

    @property
    def registry(self) -> _Registry: ...

    def to_workflow(self) -> Workflow: ...

    def on_change(self, callback: Callable[[Any], None]) -> Callable[[], None]: ...


def _execution_workflow(execution: Execution) -> Workflow:
    nodes = [
        WireNode(
            id=run.node_id,
            data=NodeData(label=run.label or run.node_id, node_type=run.node_type or "node:?"),
        )
        for run in execution.node_runs
    ]
    return Workflow(
        id=execution.workflow_id, name=execution.workflow_id or execution.id, nodes=nodes
    )


class _WeakListener:
    """A pipeline listener that does not keep the graph alive (and drops itself once gone)."""

    def __init__(self, graph: PipelineGraph):
        self._ref = weakref.ref(graph)
        self.unsubscribe: Callable[[], None] | None = None

    def __call__(self, change: Any) -> None:
        graph = self._ref()
        if graph is None:
            if self.unsubscribe is not None:
                self.unsubscribe()
            return
        graph._on_source_change(change)


class PipelineGraph(w.VBox):  # type: ignore[misc]
    """The live graph of a pipeline with a node inspector, a legend and an outputs strip."""

    def __init__(
        self,
        source: GraphSource | Workflow | Execution | None = None,
        *,
        workflow: Workflow | None = None,
        specs: Mapping[str, NodeTypeSpec] | SpecLookup | None = None,
        live: bool = False,
        interval_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        schedule: Scheduler | None = None,
    ):
        self._source: GraphSource | None = None
        self._unsubscribe: Callable[[], None] | None = None
        execution: Execution | None = None
        if isinstance(source, Execution):
            execution = source
            workflow = workflow or _execution_workflow(source)
        elif isinstance(source, Workflow):
            workflow = source
        elif source is not None:
            self._source = source
            workflow = source.to_workflow()
            specs = specs or source.registry.spec
        self.workflow = workflow or Workflow()
        self._spec_lookup: SpecLookup = specs if callable(specs) else (specs or {}).get
        self.state = RunState(self.workflow.node_ids)
        # Fits run on a timer thread by default: the next cell (often ``p.run()``) may
        # keep the kernel's loop busy for the whole run.
        self._fit_schedule: Scheduler = schedule or timer_scheduler
        if live and schedule is None:
            schedule = default_scheduler
        self.coalescer = Coalescer(
            self._flush, interval_s=interval_s, clock=clock, schedule=schedule
        )
        self.updates = 0
        """How many node repaints were sent (one ``data`` reassignment each)."""
        self.fits = 0
        """How many times the graph was laid out again after display."""
        self._follow = True
        self._nodes: dict[str, ipycytoscape.Node] = {}
        self._marks: dict[str, tuple[str, str]] = {}
        self._edges: dict[str, ipycytoscape.Edge] = {}
        self._drawn = False
        self.serial = next(_SERIALS)
        """Creation order among graphs (newer graphs have larger serials)."""

        self.cytoscape = ipycytoscape.CytoscapeWidget(
            # A width that does not depend on the inspector: the view may fit the graph
            # before its siblings are attached, and cytoscape does not re-fit on resize.
            layout=w.Layout(width="calc(100% - 312px)", min_width="360px", height="420px"),
            # Fitting a long chain would shrink labels past reading; past this zoom the
            # graph overflows instead and the user pans (drag the background) or zooms.
            min_zoom=MIN_ZOOM,
            max_zoom=2.5,
        )
        self.cytoscape.add_class("pf-graph-canvas")
        self.cytoscape.set_style(stylesheet())
        self.cytoscape.set_layout(**LAYOUT)
        self.cytoscape.on("node", "click", self._on_node_click)
        self.cytoscape.on("node", "mouseover", self._on_node_hover)
        self.inspector = Inspector()
        self.title = w.HTML()
        self.hover = w.HTML()
        self.hover.add_class("pf-hover")
        self.legend = w.HTML(legend_html())
        self.strip = OutputsStrip()
        self._sync_structure(self.workflow)
        self._drawn = True
        self._render_header()
        super().__init__(
            [
                self.title,
                w.HBox([self.cytoscape, self.inspector], layout=w.Layout(width="100%")),
                self.hover,
                self.legend,
                self.strip,
            ],
            layout=w.Layout(width="100%"),
        )
        self.add_class("pf-pipeline-graph")
        if self._source is not None:
            listener = _WeakListener(self)
            listener.unsubscribe = self._source.on_change(listener)
            self._unsubscribe = listener.unsubscribe
        if execution is not None:
            self.load_execution(execution)

    # --- public API ----------------------------------------------------------------------------
    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.state.status_counts().items())
        return (
            f"PipelineGraph({self.workflow.name!r}: {len(self.workflow.nodes)} nodes, "
            f"{len(self.workflow.edges)} edges; {counts or 'empty'})"
        )

    def __call__(self, event: ExecutionEvent) -> None:
        """Observer form of :meth:`apply`, for ``engine.execute(..., observers=[graph])``."""
        self.apply(event)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # The front end creates node views asynchronously and lays out whatever exists at
        # that moment, so the first fit may see part of the graph. Lay out again once the
        # views are surely there.
        for delay in FIT_DELAYS_S:
            self._fit_schedule(delay, self.fit)
        return super()._repr_mimebundle_(**kwargs)

    def fit(self) -> None:
        """Lay the graph out again and fit it to the view."""
        self.cytoscape.relayout()
        self.fits += 1

    def apply(self, event: ExecutionEvent) -> None:
        """Fold an event in; the repaint is coalesced (immediate for a run's last event)."""
        changed = self.state.apply(event)
        if isinstance(event, NodeCompleted | NodeCached):
            mark = self._marks.get(event.node_id)
            if mark is not None and mark[0] == "stale":
                del self._marks[event.node_id]  # it ran: up to date again
        self.coalescer.mark(changed, urgent=isinstance(event, ExecutionFinished))

    def apply_all(self, events: Iterable[ExecutionEvent]) -> None:
        """Fold several events in (one coalesced repaint)."""
        for event in events:
            self.apply(event)

    def load_execution(self, execution: Execution) -> None:
        """Show a whole execution (statuses, timings, outputs) at once."""
        self.coalescer.mark(self.state.load_execution(execution), urgent=True)

    def flush(self) -> None:
        """Send every pending change to the view now."""
        self.coalescer.flush()

    def live(self, *, interval_s: float | None = None) -> PipelineGraph:
        """Switch to live mode: repaint on the running loop (or a timer) without flush()."""
        self.coalescer.schedule = default_scheduler
        if interval_s is not None:
            self.coalescer.interval_s = interval_s
        return self

    @property
    def statuses(self) -> dict[str, str]:
        """The status each drawn node shows (what the browser sees after a flush)."""
        return {nid: node.data.get("status", "idle") for nid, node in self._nodes.items()}

    @property
    def node_widgets(self) -> dict[str, ipycytoscape.Node]:
        """The cytoscape node widgets by id."""
        return dict(self._nodes)

    @property
    def edge_widgets(self) -> dict[str, ipycytoscape.Edge]:
        """The cytoscape edge widgets by id."""
        return dict(self._edges)

    def select(self, node_id: str) -> None:
        """Open ``node_id`` in the inspector (as a click on it does) and keep it there."""
        node = self.workflow.node(node_id)
        self._follow = False
        self.inspector.show(node, self.state.node(node_id), self._spec_lookup(node.node_type))

    @property
    def marks(self) -> dict[str, tuple[str, str]]:
        """Flags shown on nodes: ``{node_id: (kind, note)}``."""
        return dict(self._marks)

    def set_marks(self, marks: Mapping[str, tuple[str, str]]) -> None:
        """Flag nodes on the canvas, replacing earlier flags: ``{"c": ("stale", "why")}``.

        ``kind`` is ``stale`` or ``invalid`` (styled by ``MARK_STYLES``); the note joins
        the node's tooltip. Only the nodes whose flag changed are repainted.
        """
        new = dict(marks)
        changed = {n for n in set(self._marks) | set(new) if self._marks.get(n) != new.get(n)}
        self._marks = new
        for node_id in changed:
            self._push_node(node_id)

    def set_workflow(self, workflow: Workflow) -> None:
        """Redraw for a new graph: added and removed nodes and edges, changed labels."""
        self.workflow = workflow
        self.state.sync_nodes(workflow.node_ids)
        self._sync_structure(workflow)
        self._render_header()

    def close(self) -> None:
        """Stop following the pipeline and close the widgets."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        super().close()

    # --- drawing -------------------------------------------------------------------------------
    def _node_payload(self, node: WireNode) -> tuple[dict[str, Any], str]:
        data = node_data(node, self.state.node(node.id), self._spec_lookup(node.node_type))
        if node.id in self._marks:
            kind, note = self._marks[node.id]
            data = {
                **data,
                "mark": kind,
                "display": f"{data['display']}\n◆ {kind}",
                "tooltip": data["tooltip"] + escape(f"\n{kind}: {note}"),
            }
        return data, node_classes(data["status"], data["category"])

    def _sync_structure(self, workflow: Workflow) -> None:
        graph = self.cytoscape.graph
        wanted_nodes = {n.id: n for n in workflow.nodes}
        wanted_edges = {e.id: e for e in workflow.edges}
        structural = False
        for eid in [e for e in self._edges if e not in wanted_edges]:
            graph.remove_edge(self._edges.pop(eid))
            structural = True
        for nid in [n for n in self._nodes if n not in wanted_nodes]:
            graph.remove_node(self._nodes.pop(nid))
            structural = True
        new_nodes = []
        for nid, node in wanted_nodes.items():
            if nid in self._nodes:
                self._push_node(nid)
                continue
            data, classes = self._node_payload(node)
            self._nodes[nid] = ipycytoscape.Node(data=data, classes=classes)
            new_nodes.append(self._nodes[nid])
        if new_nodes:
            graph.add_nodes(new_nodes)
            structural = True
        types = {n.id: n.node_type for n in workflow.nodes}
        specs = {t: s for t in set(types.values()) if (s := self._spec_lookup(t)) is not None}
        new_edges = []
        for eid, edge in wanted_edges.items():
            if eid in self._edges:
                continue
            el = edge_element(edge, specs, types)
            self._edges[eid] = ipycytoscape.Edge(data=el["data"], classes=el["classes"])
            new_edges.append(self._edges[eid])
        if new_edges:
            graph.add_edges(new_edges, directed=True, multiple_edges=True)
            structural = True
        if structural and self._drawn:
            self.cytoscape.relayout()

    def _push_node(self, node_id: str) -> None:
        widget = self._nodes.get(node_id)
        if widget is None:
            return
        data, classes = self._node_payload(self.workflow.node(node_id))
        if data == widget.data and classes == widget.classes:
            return
        with widget.hold_sync():
            # Reassign, never mutate: ipycytoscape syncs only a new dict.
            widget.data = data
            widget.classes = classes
        self.updates += 1

    def _flush(self, keys: set[str]) -> None:
        if _STRUCTURE in keys and self._source is not None:
            self.set_workflow(self._source.to_workflow())
        for nid in keys:
            if nid in self._nodes:
                self._push_node(nid)
        touched = [k for k in keys if k in self._nodes]
        self.legend.value = legend_html(self.state.status_counts())
        if RunState.RUN_KEY in keys:
            self._render_header()
        self.strip.update(self.workflow, self.state, touched)
        self._refresh_inspector(touched)

    def _refresh_inspector(self, touched: list[str]) -> None:
        target = self.inspector.node_id
        if self._follow:
            finished = [
                n for n in touched if self.state.node(n).status in ("completed", "cached", "failed")
            ]
            order = {nid: i for i, nid in enumerate(self.workflow.node_ids)}
            if finished:
                target = max(finished, key=lambda n: order.get(n, -1))
        if target is not None and (target in touched or target != self.inspector.node_id):
            node = self.workflow.node(target)
            self.inspector.show(node, self.state.node(target), self._spec_lookup(node.node_type))

    def _render_header(self) -> None:
        s = self.state.summary
        bits = [f"<b>{escape(self.workflow.name)}</b>"]
        if s.execution_id:
            bits.append(f"<code>{escape(s.execution_id)}</code>")
            bits.append(f'<span class="pf-run-status" data-status="{s.status}">{s.status}</span>')
        if s.duration_ms is not None and s.status != "running":
            bits.append(f"{s.duration_ms} ms")
        if s.credits_used:
            bits.append(f"{s.credits_used} credits")
        if s.error:
            where = f" in <code>{escape(s.failed_node_id)}</code>" if s.failed_node_id else ""
            bits.append(f'<span style="color:#b71c1c">failed{where}: {escape(s.error)}</span>')
        self.title.value = '<div class="pf-graph-title">' + " · ".join(bits) + "</div>"

    # --- interaction ---------------------------------------------------------------------------
    def _on_node_click(self, payload: Mapping[str, Any]) -> None:
        node_id = (payload.get("data") or {}).get("id")
        if isinstance(node_id, str) and node_id in self._nodes:
            self.select(node_id)

    def _on_node_hover(self, payload: Mapping[str, Any]) -> None:
        node_id = (payload.get("data") or {}).get("id")
        if not isinstance(node_id, str) or node_id not in self._nodes:
            return
        view = self.state.node(node_id)
        label = self.workflow.node(node_id).label
        text = f"<b>{escape(label)}</b>: {view.status}"
        if view.error:
            text += f' — <span style="color:#b71c1c">{escape(view.error)}</span>'
        self.hover.value = f'<div class="pf-hover-text" style="font-size:12px">{text}</div>'

    def _on_source_change(self, _change: Any) -> None:
        self.coalescer.mark({_STRUCTURE})
