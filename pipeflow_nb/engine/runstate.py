"""The state of one execution's nodes, and the :class:`Execution` reported from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipeflow_nb.engine._fast import build_from
from pipeflow_nb.engine.plan import Step
from pipeflow_nb.models.base import utcnow
from pipeflow_nb.models.execution import (
    Execution,
    ExecutionStatus,
    NodeOutput,
    NodeRun,
    NodeStatus,
    Progress,
)

__all__ = ["RunNode", "RunOptions", "error_message", "report_execution"]

_PENDING, _COMPLETED = NodeStatus.PENDING, NodeStatus.COMPLETED
SUCCEEDED = frozenset((NodeStatus.COMPLETED, NodeStatus.CACHED))


@dataclass(slots=True)
class RunOptions:
    """Per-execution settings that do not change the graph (never changed once made).

    Not a frozen dataclass: a batch makes one per run, and frozen ones are three times
    slower to make.
    """

    execution_id: str
    workflow_id: str | None = None
    identity: str = ""
    """Names the workflow in cache fingerprints (so rerun reasons compare like with like)."""
    batch_id: str | None = None
    input_index: int | None = None
    run_index_in_batch: int | None = None
    trigger_data: dict[str, Any] | None = None
    force: bool = False
    fail_fast: bool = False
    node_timeout_s: float | None = None
    keep_media_in_memory: bool = True


class RunNode:
    """What the scheduler knows about one node of an execution."""

    __slots__ = (
        "cached",
        "claimed",
        "credits",
        "duration_ms",
        "end",
        "error",
        "outputs",
        "progress",
        "reason",
        "remaining",
        "start",
        "status",
        "step",
        "t0",
        "trace",
        "wire",
    )

    def __init__(self, step: Step, remaining: int):
        self.step = step
        self.status = _PENDING
        self.remaining = remaining
        self.start: datetime | None = None
        self.end: datetime | None = None
        self.t0 = 0.0
        self.duration_ms: int | None = None
        self.error: str | None = None
        self.trace: str | None = None
        self.outputs: dict[str, Any] | None = None
        self.wire: NodeOutput | None = None
        self.cached = False
        self.reason: str | None = None
        self.progress: float | None = None
        self.credits = 0
        self.claimed: str | None = None

    def to_node_run(self) -> NodeRun:
        """The node's line of the execution report."""
        step = self.step
        status = self.status
        return build_from(
            NodeRun,
            {
                "node_id": step.id,
                "label": step.label,
                "node_type": step.definition.spec.node_type,
                "status": status,
                "start_time": self.start,
                "end_time": self.end,
                "duration_ms": self.duration_ms,
                "credits": self.credits,
                "cached": self.cached,
                "error": self.error,
                "traceback": self.trace,
                "output": self.wire,
                "rerun_reason": self.reason if status is _COMPLETED else None,
                "progress": 100.0 if status in SUCCEEDED else self.progress,
            },
        )


def report_execution(
    options: RunOptions,
    nodes: list[RunNode],
    *,
    start_time: datetime | None,
    duration_ms: int | None,
    finished: int,
    failed_node_id: str | None,
    error: str | None,
    cancelled: bool,
    final: bool,
) -> Execution:
    """The :class:`Execution` for these nodes (``final`` once every node is terminal)."""
    o = options
    runs = []
    outputs = {}
    credits = 0
    final_output = None
    for n in nodes:
        runs.append(n.to_node_run())
        credits += n.credits
        if n.outputs is not None and n.status in SUCCEEDED:
            outputs[n.step.id] = n.outputs
    if not final:
        status = ExecutionStatus.RUNNING
    elif cancelled:
        status = ExecutionStatus.CANCELLED
    elif failed_node_id is not None:
        status = ExecutionStatus.FAILED
    else:
        status = ExecutionStatus.COMPLETED
    if final:
        for n in reversed(nodes):
            if n.wire is not None:  # what the node's run reports as its output
                final_output = wire_output(n.wire)
                break
    return build_from(
        Execution,
        {
            "id": o.execution_id,
            "workflow_id": o.workflow_id,
            "batch_id": o.batch_id,
            "status": status,
            "start_time": start_time,
            "end_time": utcnow() if final else None,
            "duration_ms": duration_ms,
            "credits_used": credits,
            "error": error,
            "failed_node_id": failed_node_id,
            "node_runs": runs,
            "run_index_in_batch": o.run_index_in_batch,
            "input_index": o.input_index,
            "progress": build_from(Progress, {"completed": finished, "total": len(nodes)}),
            "final_output": final_output,
            "outputs": outputs,
        },
    )


def error_message(exc: BaseException) -> str:
    """``Type: message`` of an exception (just the type when the message is empty)."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def wire_output(output: NodeOutput) -> dict[str, Any]:
    """``output.to_wire()`` without the serializer for the common media-free case."""
    if output.images or output.videos or output.audio:
        return output.to_wire()
    wire: dict[str, Any] = {"images": [], "videos": [], "audio": []}
    if output.text is not None:
        wire["text"] = output.text
    if output.json_ is not None:
        wire["json"] = output.json_
    return wire
