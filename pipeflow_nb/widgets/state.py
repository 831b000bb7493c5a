"""Pure run state for the live views: what each node of a run looks like right now.

:class:`RunState` folds :mod:`pipeflow_nb.models.events` (or a finished
:class:`~pipeflow_nb.models.execution.Execution`) into one :class:`NodeView` per node and
reports which nodes each event changed, so a widget can repaint only those. Nothing here
imports ipywidgets; the widgets and their tests build on it.

>>> state = RunState()
>>> state.apply(NodeStarted(execution_id="exec_1", node_id="img"))
{'img'}
>>> state.node("img").status
'running'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pipeflow_nb.models.events import (
    ExecutionEvent,
    ExecutionFinished,
    ExecutionStarted,
    NodeCached,
    NodeCompleted,
    NodeFailed,
    NodeProgress,
    NodeSkipped,
    NodeStarted,
)
from pipeflow_nb.models.execution import Execution, ExecutionStatus, NodeOutput, NodeRun

__all__ = ["IDLE", "STATUSES", "NodeView", "RunState", "RunSummary"]

IDLE = "idle"
"""Status of a node that is not part of any run yet."""

STATUSES = (IDLE, "pending", "running", "completed", "cached", "failed", "skipped", "cancelled")
"""Every status a node can show, in legend order."""


@dataclass(frozen=True)
class NodeView:
    """What the live views show about one node."""

    status: str = IDLE
    """One of :data:`STATUSES`."""
    error: str | None = None
    """Failure message, for a failed node."""
    traceback: str | None = None
    """Python traceback of the failure, when it ran locally."""
    reason: str | None = None
    """Why it was skipped or cancelled."""
    duration_ms: int | None = None
    """Run time."""
    started_at: datetime | None = None
    """When it started running."""
    credits: int = 0
    """Credits charged for it."""
    rerun_reason: str | None = None
    """Why it ran instead of coming from the cache."""
    progress: float | None = None
    """Percent done while running."""
    message: str | None = None
    """The last progress message."""
    outputs: Mapping[str, Any] = field(default_factory=dict)
    """Latest Python output values by port (kept until the node produces new ones)."""
    output: NodeOutput | None = None
    """Latest outputs as the wire describes them (URLs), when no Python values exist."""
    outputs_version: int = 0
    """Bumped whenever ``outputs``/``output`` change, so views rebuild previews only then."""

    @property
    def cache_status(self) -> str:
        """``cached``, ``ran (<reason>)``, or ``-`` when the node has not finished."""
        if self.status == "cached":
            return "cached"
        if self.status == "completed":
            return f"ran ({self.rerun_reason})" if self.rerun_reason else "ran"
        return "-"


@dataclass(frozen=True)
class RunSummary:
    """The execution-level line: which run, where it is, what it cost."""

    execution_id: str | None = None
    """The run being shown."""
    status: str = "idle"
    """Lowercase execution status (``idle`` before any run)."""
    duration_ms: int | None = None
    """Wall time, once finished."""
    credits_used: int = 0
    """Credits charged, once finished."""
    error: str | None = None
    """Failure message."""
    failed_node_id: str | None = None
    """The failing node."""


_RUN_KEY = "*run*"


class RunState:
    """Per-node views of the latest run, updated one event at a time."""

    RUN_KEY = _RUN_KEY
    """The key :meth:`apply` reports when the execution summary changed."""

    def __init__(self, node_ids: Iterable[str] = ()):
        self._nodes: dict[str, NodeView] = {nid: NodeView() for nid in node_ids}
        self.summary = RunSummary()

    def __repr__(self) -> str:
        counts = self.status_counts()
        shown = ", ".join(f"{k}={v}" for k, v in counts.items())
        return f"RunState({len(self._nodes)} nodes: {shown or 'empty'})"

    @property
    def node_ids(self) -> list[str]:
        """Known nodes, in the order they were first seen."""
        return list(self._nodes)

    def node(self, node_id: str) -> NodeView:
        """The view of a node (an idle view for a node never seen)."""
        return self._nodes.get(node_id, NodeView())

    def statuses(self) -> dict[str, str]:
        """``{node_id: status}`` for every known node."""
        return {nid: view.status for nid, view in self._nodes.items()}

    def status_counts(self) -> dict[str, int]:
        """How many nodes are in each status, in legend order."""
        counts = {s: 0 for s in STATUSES}
        for view in self._nodes.values():
            counts[view.status] = counts.get(view.status, 0) + 1
        return {k: v for k, v in counts.items() if v}

    def sync_nodes(self, node_ids: Iterable[str]) -> None:
        """Follow a graph edit: keep views of remaining nodes, add idle ones, drop the rest."""
        wanted = list(node_ids)
        self._nodes = {nid: self._nodes.get(nid, NodeView()) for nid in wanted}

    def _set(self, node_id: str, **changes: Any) -> set[str]:
        old = self.node(node_id)
        if "outputs" in changes or "output" in changes:
            changes["outputs_version"] = old.outputs_version + 1
        new = replace(old, **changes)
        if new == old and node_id in self._nodes:
            return set()
        self._nodes[node_id] = new
        return {node_id}

    def apply(self, event: ExecutionEvent) -> set[str]:
        """Fold one event in; returns the ids it changed (``RUN_KEY`` for the summary)."""
        if isinstance(event, ExecutionStarted):
            return self._start(event)
        if isinstance(event, ExecutionFinished):
            return self._finish(event)
        if isinstance(event, NodeStarted):
            return self._set(
                event.node_id,
                status="running",
                started_at=event.at,
                error=None,
                traceback=None,
                reason=None,
                progress=None,
                message=None,
            )
        if isinstance(event, NodeProgress):
            return self._set(
                event.node_id, status="running", progress=event.percent, message=event.message
            )
        if isinstance(event, NodeCompleted):
            return self._set(
                event.node_id,
                status="completed",
                duration_ms=event.duration_ms,
                credits=event.credits,
                rerun_reason=event.rerun_reason,
                progress=100.0,
                outputs=dict(event.outputs),
                output=event.output,
            )
        if isinstance(event, NodeCached):
            return self._set(
                event.node_id,
                status="cached",
                credits=0,
                duration_ms=0,
                rerun_reason=None,
                progress=None,
                outputs=dict(event.outputs),
                output=event.output,
            )
        if isinstance(event, NodeFailed):
            return self._set(
                event.node_id,
                status="failed",
                error=event.error,
                traceback=event.traceback,
                credits=0,
                progress=None,
            )
        if isinstance(event, NodeSkipped):
            status = "cancelled" if event.cancelled else "skipped"
            return self._set(event.node_id, status=status, reason=event.reason or None)
        return set()  # pragma: no cover - the union is exhaustive

    def _start(self, event: ExecutionStarted) -> set[str]:
        changed = {_RUN_KEY}
        self.summary = RunSummary(execution_id=event.execution_id, status="running")
        ids = event.node_ids or list(self._nodes)
        for nid in ids:
            changed |= self._set(
                nid,
                status="pending",
                error=None,
                traceback=None,
                reason=None,
                duration_ms=None,
                started_at=None,
                credits=0,
                rerun_reason=None,
                progress=None,
                message=None,
            )
        return changed

    def _finish(self, event: ExecutionFinished) -> set[str]:
        changed = {_RUN_KEY}
        self.summary = RunSummary(
            execution_id=event.execution_id,
            status=event.status.value.lower(),
            duration_ms=event.duration_ms,
            credits_used=event.credits_used,
            error=event.error,
            failed_node_id=event.failed_node_id,
        )
        if event.status == ExecutionStatus.CANCELLED:
            # Nodes the engine never reached end cancelled, not stuck in pending/running.
            for nid, view in list(self._nodes.items()):
                if view.status in ("pending", "running"):
                    changed |= self._set(nid, status="cancelled", reason="execution cancelled")
        return changed

    def load_execution(self, execution: Execution) -> set[str]:
        """Show a whole (finished or polled) execution at once; returns every changed id."""
        changed = {_RUN_KEY}
        self.summary = RunSummary(
            execution_id=execution.id,
            status=execution.status.value.lower(),
            duration_ms=execution.duration_ms,
            credits_used=execution.credits_used,
            error=execution.error,
            failed_node_id=execution.failed_node_id,
        )
        for run in execution.node_runs:
            changed |= self._set(
                run.node_id, **_view_fields(run, execution.outputs.get(run.node_id, {}))
            )
        return changed


def _view_fields(run: NodeRun, outputs: Mapping[str, Any]) -> dict[str, Any]:
    status = run.status.value.lower()
    if status == "unknown":
        status = "pending"
    return {
        "status": status,
        "error": run.error,
        "traceback": run.traceback,
        "duration_ms": run.duration_ms,
        "started_at": run.start_time,
        "credits": run.credits,
        "rerun_reason": run.rerun_reason,
        "progress": run.progress,
        "outputs": dict(outputs),
        "output": run.output,
    }
