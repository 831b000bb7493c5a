"""Writes each engine event of one run into the store, so polls see live per-node state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipeflow_nb.models.events import (
    ExecutionFinished,
    ExecutionStarted,
    NodeCached,
    NodeCompleted,
    NodeFailed,
    NodeProgress,
    NodeSkipped,
    NodeStarted,
)
from pipeflow_nb.models.execution import NodeOutput
from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.server.credits import node_cost
from pipeflow_nb.server.store import ExecutionRepo

__all__ = ["EventRecorder"]


class EventRecorder:
    """An engine observer bound to one execution.

    Credits are charged here, from the registry's cost of the node type, when a node
    completes; a cached node is free. Progress writes are thinned to whole-percent steps.
    """

    def __init__(
        self,
        executions: ExecutionRepo,
        execution_id: str,
        registry: NodeRegistry,
        node_types: dict[str, str],
        output_of: Callable[[Any], NodeOutput | None],
    ):
        self._repo = executions
        self._id = execution_id
        self._registry = registry
        self._node_types = node_types
        self._output_of = output_of
        self._progress: dict[str, int] = {}
        self.finished = False
        self.detached = False
        """Set at shutdown: later events (the cancellation) are not recorded."""

    def __repr__(self) -> str:
        return f"EventRecorder({self._id!r})"

    def __call__(self, event: Any) -> None:
        if self.detached:
            return
        repo, eid = self._repo, self._id
        if isinstance(event, ExecutionStarted):
            repo.mark_started(eid, event.at)
        elif isinstance(event, NodeStarted):
            repo.node_started(eid, event.node_id, event.at)
        elif isinstance(event, NodeProgress):
            step = int(event.percent)
            if self._progress.get(event.node_id) != step:
                self._progress[event.node_id] = step
                repo.node_progress(eid, event.node_id, event.percent)
        elif isinstance(event, NodeCompleted | NodeCached):
            cached = isinstance(event, NodeCached)
            node_type = self._node_types.get(event.node_id, "")
            repo.node_succeeded(
                eid,
                event.node_id,
                at=event.at,
                output=self._output_of(event),
                cached=cached,
                duration_ms=None if cached else event.duration_ms,  # type: ignore[union-attr]
                credits=0 if cached else node_cost(self._registry, node_type),
                rerun_reason=None if cached else event.rerun_reason,  # type: ignore[union-attr]
            )
        elif isinstance(event, NodeFailed):
            repo.node_failed(
                eid, event.node_id, at=event.at, error=event.error, traceback=event.traceback
            )
        elif isinstance(event, NodeSkipped):
            repo.node_skipped(eid, event.node_id, reason=event.reason, cancelled=event.cancelled)
        elif isinstance(event, ExecutionFinished):
            repo.finish(
                eid,
                event.status,
                error=event.error,
                failed_node_id=event.failed_node_id,
                at=event.at,
                duration_ms=event.duration_ms,
            )
            self.finished = True
