"""Notebook cells as pipeline nodes: define, wire, run and track staleness (no IPython here).

:class:`CellNodes` is what the ``%%node`` magic drives; it works on any namespace dict, so
it can be used and tested without a kernel::

    ns = {}
    cells = CellNodes(Pipeline("demo"), ns)
    cells.submit("load", "xs = [1, 2, 3]")
    cells.submit("stats", "total = sum(xs)")       # reads xs: an edge load.xs -> stats.xs
    ns["total"]                                     # 6, pushed into the namespace

A cell node's type is ``cell:<pipeline>/<name>``, its version the hash of its source, so
editing a cell gives the engine's ``code changed`` rerun reason and marks every node
downstream stale until a run brings it up to date. Cell node types live only in this
process: :func:`pipeflow_nb.publishing.check_publishable` names them before a publish.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict, create_model

from pipeflow_nb import graph
from pipeflow_nb.cells import CellAnalysis, analyze_cell
from pipeflow_nb.errors import ExecutionFailed, PipelineValidationError
from pipeflow_nb.history import RunHistory
from pipeflow_nb.models.execution import Execution, ExecutionStatus, NodeStatus
from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.ports import Port, PortType
from pipeflow_nb.models.workflow import Rule, Violation, Workflow
from pipeflow_nb.nodes.registry import NodeDefinition
from pipeflow_nb.pipeline import Pipeline
from pipeflow_nb.running import run_pipeline

__all__ = [
    "CELL_CATEGORY",
    "CellNode",
    "CellNodes",
    "Runner",
    "cell_node_type",
]

CELL_CATEGORY = "cell"
"""Category (and node-type prefix) of cell nodes."""

Runner = Callable[[Pipeline, str | None], Execution]
"""Runs a pipeline (up to a target node, or whole when ``None``) and returns the execution."""

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def cell_node_type(pipeline_name: str, node_id: str) -> str:
    """The node type of a cell node, e.g. ``cell:demo/load``."""
    safe = re.sub(r"[^A-Za-z0-9_.\-]+", "-", pipeline_name).strip("-") or "cells"
    return f"{CELL_CATEGORY}:{safe}/{node_id}"


@dataclass(frozen=True)
class CellNode:
    """One cell as a node: its source, what it exchanges, and where its inputs come from."""

    node_id: str
    """The node's id in the pipeline (the name on the magic line)."""
    source: str
    """The Python source the node runs."""
    inputs: tuple[str, ...]
    """Input port names (names read from other cell nodes, or declared)."""
    outputs: tuple[str, ...]
    """Output port names (names assigned at top level, or declared)."""
    producers: Mapping[str, str]
    """Input name → id of the node whose output feeds it."""
    analysis: CellAnalysis
    """What the source reads and writes."""
    deterministic: bool = True
    """``False`` for cells whose results must not be cached (random draws, clocks, I/O)."""

    @property
    def version(self) -> str:
        """Hash of the source: the node type's version (part of the engine's cache key)."""
        return hashlib.sha256(self.source.encode()).hexdigest()[:12]


def _default_runner(pipeline: Pipeline, target: str | None) -> Execution:
    return run_pipeline(pipeline, target)


class CellNodes:
    """The cell nodes of one pipeline, the namespace they read from and write to, and staleness.

    ``namespace`` is where a cell finds names no other cell produces (imports, constants)
    and where its outputs go after a run. ``runner`` runs the pipeline; the default,
    :func:`~pipeflow_nb.running.run_pipeline`, uses the engine ``pipeline.run()`` uses, so
    the two share one cache.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        namespace: MutableMapping[str, Any],
        *,
        runner: Runner | None = None,
    ):
        self.pipeline = pipeline
        self.namespace = namespace
        self._runner = runner or _default_runner
        self._cells: dict[str, CellNode] = {}
        self._stale: dict[str, str] = {}
        self._ran: set[str] = set()
        self._marked_at: dict[str, Any] = {}
        self.executions: list[Execution] = []
        """Every run of the pipeline since this controller exists, oldest first."""
        self.history = RunHistory(pipeline, follow=False)
        """The same runs with the graph each ran, for the history widget."""
        self._listeners: list[Callable[[Mapping[str, str]], None]] = []
        self._seen: set[str] = set()
        # Runs started anywhere (``pipeline.run()`` in a later cell too) update the namespace.
        self.unsubscribe = pipeline.on_run(self._on_run)
        """Stop following the pipeline's runs."""

    def __repr__(self) -> str:
        return f"CellNodes({self.pipeline.name!r}: {len(self._cells)} cells)"

    @property
    def cells(self) -> dict[str, CellNode]:
        """The cell nodes by id, in definition order."""
        return dict(self._cells)

    def on_stale(self, callback: Callable[[Mapping[str, str]], None]) -> Callable[[], None]:
        """Call ``callback(stale)`` whenever the stale set changes; returns an unsubscriber."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    # --- defining -------------------------------------------------------------------------
    def define(
        self,
        node_id: str,
        source: str,
        *,
        inputs: Sequence[str] | None = None,
        outputs: Sequence[str] | None = None,
        deterministic: bool = True,
    ) -> CellNode:
        """Register or update the cell node ``node_id`` and wire its inputs; nothing runs.

        Inputs are the names the source reads that another cell node of this pipeline
        outputs (or ``inputs``, each of which must be produced by one); outputs are the
        names it assigns at top level (or ``outputs``). ``deterministic=False`` keeps the
        cell's results out of the cache, so every run re-runs it.
        """
        if not _NAME.match(node_id):
            raise ValueError(f"cell node name {node_id!r} must be a Python identifier")
        existing = node_id in self.pipeline
        if existing and node_id not in self._cells:
            kind = self.pipeline[node_id].node_type
            raise ValueError(
                f"pipeline {self.pipeline.name!r} already has a {kind} node {node_id!r}; "
                "give the cell another name"
            )
        analysis = analyze_cell(source)
        for name in [*(inputs or ()), *(outputs or ())]:
            if not _NAME.match(name):
                raise ValueError(f"cell {node_id!r}: {name!r} is not a Python name")
        producers = self._producers(node_id, analysis, inputs)
        out_names = tuple(outputs) if outputs is not None else analysis.writes
        cell = CellNode(
            node_id=node_id,
            source=source,
            inputs=tuple(producers),
            outputs=out_names,
            producers=producers,
            analysis=analysis,
            deterministic=deterministic,
        )
        previous = self._cells.get(node_id)
        definition = self._definition(cell)
        self.pipeline.registry.register(definition, replace=True)
        self._cells[node_id] = cell
        if not existing:
            self.pipeline.add(definition.node_type, id=node_id, label=node_id)
        self._rewire(cell)
        # The node type's ports and version changed under the same name: tell observers.
        self.pipeline.set_label(node_id, node_id)
        if previous is not None and node_id in self._ran:
            self._mark_changed(cell, previous)
        return cell

    def _producers(
        self, node_id: str, analysis: CellAnalysis, declared: Sequence[str] | None
    ) -> dict[str, str]:
        downstream = self._descendants(node_id)
        offered: dict[str, list[str]] = {}
        for other in self._cells.values():
            if other.node_id == node_id or other.node_id in downstream:
                continue
            for name in other.outputs:
                offered.setdefault(name, []).append(other.node_id)
        wanted = list(declared) if declared is not None else list(analysis.reads)
        producers: dict[str, str] = {}
        problems: list[Violation] = []
        for name in wanted:
            candidates = offered.get(name, [])
            if not candidates:
                if declared is not None:
                    problems.append(
                        Violation(
                            rule=Rule.MISSING_REQUIRED_INPUT,
                            node_id=node_id,
                            message=f"cell {node_id!r} declares input {name!r}, but no cell "
                            f"node of pipeline {self.pipeline.name!r} outputs it "
                            f"(run the cell that assigns {name!r} first)",
                        )
                    )
                continue
            chosen = self._latest(candidates)
            if chosen is None:
                problems.append(
                    Violation(
                        rule=Rule.DUPLICATE_ID,
                        node_id=node_id,
                        message=f"cell {node_id!r} reads {name!r}, which several unrelated "
                        f"cells output ({', '.join(sorted(candidates))}); rename one of them",
                    )
                )
                continue
            producers[name] = chosen
        if problems:
            raise PipelineValidationError(problems)
        return producers

    def _latest(self, candidates: list[str]) -> str | None:
        """The candidate downstream of all the others (it overrides them), if there is one."""
        pairs = [(e.source, e.target) for e in self.pipeline.edges]
        ids = self.pipeline.node_ids
        last = [
            c
            for c in candidates
            if all(o == c or o in graph.ancestors(ids, pairs, [c]) for o in candidates)
        ]
        return last[0] if len(last) == 1 else None

    def _descendants(self, node_id: str) -> set[str]:
        if node_id not in self.pipeline:
            return set()
        pairs = [(e.source, e.target) for e in self.pipeline.edges]
        return graph.descendants(self.pipeline.node_ids, pairs, [node_id])

    def _definition(self, cell: CellNode) -> NodeDefinition:
        params_model = create_model("CellParams", __config__=ConfigDict(extra="forbid"))
        spec = NodeTypeSpec(
            node_type=cell_node_type(self.pipeline.name, cell.node_id),
            category=CELL_CATEGORY,
            label=cell.node_id,
            description=f"notebook cell {cell.node_id!r}",
            # Not required: an input whose producer is gone falls back to the namespace, so
            # editing one cell never makes the whole pipeline invalid.
            inputs=[Port(name=n, type=PortType.ANY, required=False) for n in cell.inputs],
            outputs=[Port(name=n, type=PortType.ANY) for n in cell.outputs],
            params_schema=params_model.model_json_schema(),
            version=cell.version,
            deterministic=cell.deterministic,
        )
        return NodeDefinition(
            spec=spec,
            func=_cell_function(cell, self.namespace),
            params_model=params_model,
            output_mode="mapping",
        )

    def _rewire(self, cell: CellNode) -> None:
        """Make the edges into the cell match its producers; drop edges from vanished outputs."""
        p = self.pipeline
        orphaned: dict[str, str] = {}
        wanted = {(src, name) for name, src in cell.producers.items()}
        for edge in p.edges:
            if edge.target == cell.node_id:
                pair = (edge.source, edge.target_port or "")
                if pair in wanted and edge.source_port == edge.target_port:
                    wanted.discard(pair)
                else:
                    p.disconnect(edge.id)
            elif edge.source == cell.node_id and edge.source_port not in cell.outputs:
                p.disconnect(edge.id)
                orphaned[edge.target] = (
                    f"input changed (upstream {cell.node_id!r} no longer outputs "
                    f"{edge.source_port!r})"
                )
        for src, name in sorted(wanted, key=lambda pair: cell.inputs.index(pair[1])):
            p.connect(p[src].out(name), p[cell.node_id].in_(name))
        if orphaned:
            for node_id in graph.descendants(
                p.node_ids, [(e.source, e.target) for e in p.edges], list(orphaned)
            ):
                orphaned.setdefault(node_id, next(iter(orphaned.values())))
            self._mark(orphaned)

    # --- staleness ------------------------------------------------------------------------
    def _mark_changed(self, cell: CellNode, previous: CellNode) -> None:
        if previous.version != cell.version:
            reason = "code changed"
        elif previous.producers != cell.producers:
            reason = "input changed"
        else:
            return
        marks = {cell.node_id: reason}
        for child in self._descendants(cell.node_id):
            marks.setdefault(child, f"input changed (upstream {cell.node_id!r}: {reason})")
        self._mark(marks)

    def _mark(self, marks: Mapping[str, str]) -> None:
        for node_id, why in marks.items():
            self._stale[node_id] = why
            self._marked_at[node_id] = self._fingerprint(node_id)
        self._notify()

    def stale(self) -> dict[str, str]:
        """Nodes whose last results predate an edit upstream, with the reason."""
        self._forget_refreshed()
        order = {nid: i for i, nid in enumerate(self.pipeline.node_ids)}
        return dict(sorted(self._stale.items(), key=lambda kv: order.get(kv[0], len(order))))

    def _forget_refreshed(self) -> None:
        # A run outside this controller (``pipeline.run()``) leaves a new fingerprint in the
        # engine's cache: the node has been brought up to date since it was marked.
        fresh = [
            nid
            for nid in self._stale
            if nid not in self.pipeline
            or self._fingerprint(nid) not in (None, self._marked_at.get(nid))
        ]
        if fresh:
            for nid in fresh:
                self._stale.pop(nid, None)
            self._notify()

    def _fingerprint(self, node_id: str) -> Any:
        try:
            from pipeflow_nb.engine.executor import shared_engine
        except ImportError:  # pragma: no cover - the engine ships with the package
            return None
        cache = shared_engine(self.pipeline.registry).cache
        if cache is None:
            return None
        identity = f"{self.pipeline.workflow_id or self.pipeline.name}/{node_id}"
        return cache.last_fingerprint(identity)

    def _notify(self) -> None:
        snapshot = dict(self._stale)
        for listener in list(self._listeners):
            listener(snapshot)

    # --- running --------------------------------------------------------------------------
    def run(self, target: str | None = None) -> Execution:
        """Run the pipeline (up to ``target``), push cell outputs into the namespace.

        Stale marks of nodes that completed or came from the cache are cleared.
        """
        workflow = self.pipeline.to_workflow()
        execution = self._runner(self.pipeline, target)
        self._take(execution, workflow, {})
        return execution

    def _on_run(
        self, execution: Execution, workflow: Workflow, overrides: dict[str, dict[str, Any]]
    ) -> None:
        self._take(execution, workflow, overrides)

    def _take(
        self, execution: Execution, workflow: Workflow, overrides: dict[str, dict[str, Any]]
    ) -> None:
        if execution.id in self._seen:
            return
        self._seen.add(execution.id)
        self.executions.append(execution)
        self.history.record(execution, workflow, overrides)
        self.record(execution)

    def record(self, execution: Execution) -> None:
        """Take note of a run: clear refreshed stale marks, push the cells' outputs."""
        done = {NodeStatus.COMPLETED, NodeStatus.CACHED}
        changed = False
        for run in execution.node_runs:
            if run.status in done:
                self._ran.add(run.node_id)
                changed |= self._stale.pop(run.node_id, None) is not None
        for node_id, values in execution.outputs.items():
            if node_id in self._cells:
                self.namespace.update(values)
        if changed:
            self._notify()

    def submit(
        self,
        node_id: str,
        source: str,
        *,
        inputs: Sequence[str] | None = None,
        outputs: Sequence[str] | None = None,
        deterministic: bool = True,
    ) -> Execution:
        """Define the cell node, then run it and whatever upstream is out of date.

        Raises :class:`ExecutionFailed` (naming the failing node) when the cell or a node
        upstream failed; the pipeline keeps the new definition either way.
        """
        self.define(node_id, source, inputs=inputs, outputs=outputs, deterministic=deterministic)
        execution = self.run(node_id)
        if execution.status == ExecutionStatus.FAILED:
            raise ExecutionFailed(execution)
        return execution

    def outputs_of(self, execution: Execution, node_id: str) -> dict[str, Any]:
        """A cell's output values in an execution (empty when it did not produce any)."""
        return dict(execution.outputs.get(node_id, {}))


def _cell_function(cell: CellNode, namespace: Mapping[str, Any]) -> Callable[..., Any]:
    """The node function of a cell: its source run with its inputs on top of the namespace.

    Async on purpose: the engine then runs it on the event loop's thread, one cell at a
    time as the kernel would, rather than in a worker thread.
    """
    code = compile(cell.source, f"<cell {cell.node_id}>", "exec")

    async def run_cell(**inputs: Any) -> dict[str, Any]:
        scope = {**namespace, **inputs}
        exec(code, scope)
        missing = [n for n in cell.outputs if n not in scope]
        if missing:
            raise NameError(
                f"cell {cell.node_id!r} did not assign its output(s) {', '.join(missing)}"
            )
        return {n: scope[n] for n in cell.outputs}

    run_cell.__qualname__ = run_cell.__name__ = f"cell_{cell.node_id}"
    return run_cell
