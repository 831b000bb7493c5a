"""Typed events an execution emits while it runs.

The engine emits them, the reference server stores them, the client re-creates them by
diffing polls, and widgets render them. ``outputs`` carries Python values (media objects,
text, numbers) in-process; across the wire they are described by :class:`NodeOutput`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from pipeflow_nb.models.base import Timestamp, WireModel, utcnow
from pipeflow_nb.models.execution import ExecutionStatus, NodeOutput

__all__ = [
    "EVENT_ADAPTER",
    "ExecutionEvent",
    "ExecutionFinished",
    "ExecutionStarted",
    "NodeCached",
    "NodeCompleted",
    "NodeFailed",
    "NodeProgress",
    "NodeSkipped",
    "NodeStarted",
]


class _Event(WireModel):
    execution_id: str
    """The execution the event belongs to."""
    at: Timestamp = Field(default_factory=utcnow)
    """When it happened (UTC)."""


class ExecutionStarted(_Event):
    """The execution began; ``node_ids`` are the nodes it will try to run."""

    type: Literal["execution_started"] = "execution_started"
    workflow_id: str | None = None
    """The workflow being run."""
    node_ids: list[str] = Field(default_factory=list)
    """Nodes in the run (after ``target_node_id`` pruning), in topological order."""
    batch_id: str | None = None
    """The batch, for batch runs."""
    input_index: int | None = None
    """The iterator combination, for batch runs."""


class NodeStarted(_Event):
    """A node began running."""

    type: Literal["node_started"] = "node_started"
    node_id: str
    """The node."""


class NodeProgress(_Event):
    """A node reported how far along it is (``value`` of ``max``)."""

    type: Literal["node_progress"] = "node_progress"
    node_id: str
    """The node."""
    value: float
    """Work done."""
    max: float = 1.0
    """Total work."""
    message: str | None = None
    """Optional status line."""

    @property
    def percent(self) -> float:
        """``value / max`` as a percentage clamped to 0..100."""
        return 0.0 if self.max <= 0 else max(0.0, min(100.0, 100.0 * self.value / self.max))


class NodeCompleted(_Event):
    """A node finished and produced outputs."""

    type: Literal["node_completed"] = "node_completed"
    node_id: str
    """The node."""
    outputs: dict[str, Any] = Field(default_factory=dict, exclude=True, repr=False)
    """In-process output values by port (not serialised)."""
    output: NodeOutput | None = None
    """The outputs as the wire describes them, when stored."""
    duration_ms: int = 0
    """Run time."""
    credits: int = 0
    """Credits charged."""
    rerun_reason: str | None = None
    """Why it ran rather than coming from the cache."""


class NodeCached(_Event):
    """A node's outputs came from the cache; it did not run."""

    type: Literal["node_cached"] = "node_cached"
    node_id: str
    """The node."""
    outputs: dict[str, Any] = Field(default_factory=dict, exclude=True, repr=False)
    """In-process output values by port (not serialised)."""
    output: NodeOutput | None = None
    """The outputs as the wire describes them, when stored."""


class NodeFailed(_Event):
    """A node raised; its descendants will be skipped."""

    type: Literal["node_failed"] = "node_failed"
    node_id: str
    """The node."""
    error: str
    """The message."""
    traceback: str | None = None
    """The Python traceback, when it ran locally."""


class NodeSkipped(_Event):
    """A node will not run because an ancestor failed or the run was cancelled."""

    type: Literal["node_skipped"] = "node_skipped"
    node_id: str
    """The node."""
    reason: str = ""
    """Why, e.g. ``upstream 'img' failed``."""
    cancelled: bool = False
    """True when skipped by a cancellation (status ``CANCELLED`` rather than ``SKIPPED``)."""


class ExecutionFinished(_Event):
    """The execution reached a terminal status."""

    type: Literal["execution_finished"] = "execution_finished"
    status: ExecutionStatus
    """``COMPLETED``, ``FAILED`` or ``CANCELLED``."""
    error: str | None = None
    """Failure message."""
    failed_node_id: str | None = None
    """The failing node."""
    duration_ms: int = 0
    """Wall time."""
    credits_used: int = 0
    """Credits charged."""


ExecutionEvent = Annotated[
    ExecutionStarted
    | NodeStarted
    | NodeProgress
    | NodeCompleted
    | NodeCached
    | NodeFailed
    | NodeSkipped
    | ExecutionFinished,
    Field(discriminator="type"),
]
"""Any execution event; parse one with ``EVENT_ADAPTER.validate_python(obj)``."""

EVENT_ADAPTER: TypeAdapter[ExecutionEvent] = TypeAdapter(ExecutionEvent)
