"""The events of an execution, built from values the engine produced itself.

Each constructor skips validation (see :mod:`pipeflow_nb.engine._fast`): the scheduler
calls them for every node, and only when someone can see the events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeflow_nb.engine._fast import build
from pipeflow_nb.engine.runstate import RunOptions
from pipeflow_nb.models.base import utcnow
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
from pipeflow_nb.models.execution import Execution, NodeOutput

__all__ = [
    "execution_finished",
    "execution_started",
    "node_ended",
    "node_failed",
    "node_progress",
    "node_skipped",
    "node_started",
]


def execution_started(options: RunOptions, at: datetime, node_ids: list[str]) -> ExecutionStarted:
    """The first event of an execution."""
    return build(
        ExecutionStarted,
        execution_id=options.execution_id,
        at=at,
        workflow_id=options.workflow_id,
        node_ids=node_ids,
        batch_id=options.batch_id,
        input_index=options.input_index,
    )


def execution_finished(execution: Execution) -> ExecutionFinished:
    """The last event of an execution, summing up the finished ``execution``."""
    return build(
        ExecutionFinished,
        execution_id=execution.id,
        at=execution.end_time,
        status=execution.status,
        error=execution.error,
        failed_node_id=execution.failed_node_id,
        duration_ms=execution.duration_ms or 0,
        credits_used=execution.credits_used,
    )


def node_started(execution_id: str, at: datetime, node_id: str) -> NodeStarted:
    """A node began running."""
    return build(NodeStarted, execution_id=execution_id, at=at, node_id=node_id)


def node_ended(
    execution_id: str,
    at: datetime,
    node_id: str,
    outputs: dict[str, Any],
    output: NodeOutput | None,
    *,
    cached: bool,
    duration_ms: int,
    credits: int,
    rerun_reason: str | None,
) -> NodeCompleted | NodeCached:
    """A node produced outputs: it ran (``node_completed``) or came from the cache."""
    if cached:
        return build(
            NodeCached,
            execution_id=execution_id,
            at=at,
            node_id=node_id,
            outputs=outputs,
            output=output,
        )
    return build(
        NodeCompleted,
        execution_id=execution_id,
        at=at,
        node_id=node_id,
        outputs=outputs,
        output=output,
        duration_ms=duration_ms,
        credits=credits,
        rerun_reason=rerun_reason,
    )


def node_failed(
    execution_id: str, at: datetime, node_id: str, error: str, trace: str | None
) -> NodeFailed:
    """A node raised."""
    return build(
        NodeFailed,
        execution_id=execution_id,
        at=at,
        node_id=node_id,
        error=error,
        traceback=trace,
    )


def node_skipped(
    execution_id: str, node_id: str, reason: str, *, cancelled: bool | None = None
) -> NodeSkipped:
    """A node will not run (``cancelled`` when the execution was stopped)."""
    if cancelled is None:
        return build(
            NodeSkipped, execution_id=execution_id, at=utcnow(), node_id=node_id, reason=reason
        )
    return build(
        NodeSkipped,
        execution_id=execution_id,
        at=utcnow(),
        node_id=node_id,
        reason=reason,
        cancelled=cancelled,
    )


def node_progress(
    execution_id: str, node_id: str, value: float, maximum: float, message: str | None
) -> NodeProgress:
    """A node reported how far along it is (``value`` of ``maximum``)."""
    return build(
        NodeProgress,
        execution_id=execution_id,
        at=utcnow(),
        node_id=node_id,
        value=value,
        max=maximum,
        message=message,
    )
