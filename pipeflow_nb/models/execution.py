"""Executions, node runs, poll bodies, execute requests and iterator configs.

The engine, the reference server, the client and the widgets all speak these types.
Statuses are read tolerantly: lowercase is accepted and an unknown value becomes
``UNKNOWN`` (never terminal) instead of failing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from pipeflow_nb.models.base import Timestamp, WireModel
from pipeflow_nb.models.workflow import WireEdge, WireNode

__all__ = [
    "Batch",
    "ExecuteRequest",
    "ExecuteResponse",
    "Execution",
    "ExecutionStatus",
    "IteratorConfig",
    "MediaRef",
    "NodeOutput",
    "NodeRun",
    "NodeState",
    "NodeStatus",
    "PollResponse",
    "Progress",
    "RunAccepted",
]


class _TolerantStatus(StrEnum):
    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            upper = value.upper()
            for member in cls:
                if member.value == upper:
                    return member
        return cls["UNKNOWN"]


class ExecutionStatus(_TolerantStatus):
    """Where an execution is: ``QUEUED → RUNNING → COMPLETED | FAILED | CANCELLED``."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"

    @property
    def is_terminal(self) -> bool:
        """Whether the execution can no longer change."""
        return self in (
            ExecutionStatus.COMPLETED,
            ExecutionStatus.FAILED,
            ExecutionStatus.CANCELLED,
        )


class NodeStatus(_TolerantStatus):
    """Where one node of an execution is."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CACHED = "CACHED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"

    @property
    def is_terminal(self) -> bool:
        """Whether the node can no longer change in this execution."""
        return self not in (NodeStatus.PENDING, NodeStatus.RUNNING, NodeStatus.UNKNOWN)

    @property
    def succeeded(self) -> bool:
        """Whether the node has outputs (ran or came from the cache)."""
        return self in (NodeStatus.COMPLETED, NodeStatus.CACHED)


class MediaRef(WireModel):
    """A media output as the service reports it: a URL plus what is known about it."""

    url: str
    """Where the bytes are (``/api/v1/files/<key>`` on the reference server)."""
    content_type: str | None = None
    """MIME type."""
    width: int | None = None
    """Pixels, for images and videos."""
    height: int | None = None
    """Pixels, for images and videos."""
    duration_ms: int | None = None
    """Length, for videos and audio."""
    port: str | None = None
    """The output port that produced it."""


class NodeOutput(WireModel):
    """A node's outputs normalised per media kind, as in poll and detail bodies."""

    images: list[MediaRef] = Field(default_factory=list)
    """Image outputs."""
    videos: list[MediaRef] = Field(default_factory=list)
    """Video outputs."""
    audio: list[MediaRef] = Field(default_factory=list)
    """Audio outputs."""
    text: str | None = None
    """Text output (several text ports are joined by blank lines)."""
    json_: Any = Field(default=None, alias="json")
    """JSON, number or boolean outputs (a dict by port when there are several)."""

    @property
    def media(self) -> list[MediaRef]:
        """Every media reference: images, then videos, then audio."""
        return [*self.images, *self.videos, *self.audio]


class NodeRun(WireModel):
    """One node's part in one execution."""

    node_id: str
    """The node."""
    label: str | None = None
    """Its label at run time."""
    node_type: str | None = None
    """Its node type."""
    status: NodeStatus = NodeStatus.PENDING
    """Where it is."""
    start_time: Timestamp | None = None
    """When it started running."""
    end_time: Timestamp | None = None
    """When it finished."""
    duration_ms: int | None = None
    """Run time in milliseconds."""
    credits: int = 0
    """Credits charged for it (0 when cached or failed)."""
    cached: bool = False
    """Its outputs came from the cache."""
    error: str | None = None
    """Failure message."""
    traceback: str | None = None
    """Python traceback of the failure, when it ran locally."""
    output: NodeOutput | None = None
    """Its outputs, normalised per media kind."""
    rerun_reason: str | None = None
    """Why it ran instead of coming from the cache: ``not cached``, ``param changed``,
    ``input changed``, ``code changed``, ``forced``, ``non-deterministic``."""
    progress: float | None = None
    """Percent done, 0..100, when the node reports progress."""


class Progress(WireModel):
    """How many of an execution's nodes are finished."""

    completed: int = 0
    """Nodes in a terminal state."""
    total: int = 0
    """Nodes in the run."""


class Execution(WireModel):
    """One run of a workflow: status, per-node runs, timings, credits and outputs.

    ``outputs`` holds the in-process Python values (media objects, text, numbers) of an
    execution that ran locally, keyed by node id then port; it is not part of the JSON.
    """

    id: str
    """``exec_…``."""
    workflow_id: str | None = None
    """The workflow it ran."""
    batch_id: str | None = None
    """The batch it belongs to."""
    status: ExecutionStatus = ExecutionStatus.QUEUED
    """Where it is."""
    start_time: Timestamp | None = None
    """When it started."""
    end_time: Timestamp | None = None
    """When it ended."""
    duration_ms: int | None = None
    """Wall time in milliseconds."""
    credits_used: int = 0
    """Credits charged."""
    error: str | None = None
    """Failure message of the failing node."""
    failed_node_id: str | None = None
    """The node that failed."""
    node_runs: list[NodeRun] = Field(default_factory=list)
    """Per-node status, timings and outputs."""
    run_index_in_batch: int | None = None
    """Order of start within the batch."""
    input_index: int | None = None
    """Index of the iterator combination this run used."""
    progress: Progress | None = None
    """Finished nodes out of all nodes."""
    final_output: Any = None
    """The output of the last node, as the service summarises it."""
    outputs: dict[str, dict[str, Any]] = Field(default_factory=dict, exclude=True, repr=False)
    """Local runs only: Python output values by node id, then port."""

    def node_run(self, node_id: str) -> NodeRun:
        """The run of that node (``KeyError`` naming it when absent)."""
        for run in self.node_runs:
            if run.node_id == node_id:
                return run
        raise KeyError(f"execution {self.id} has no node {node_id!r}")

    def output(self, node_id: str, port: str | None = None) -> Any:
        """A local run's output value; ``port`` may be left out when the node has one output."""
        try:
            ports = self.outputs[node_id]
        except KeyError:
            raise KeyError(f"execution {self.id} has no outputs for node {node_id!r}") from None
        if port is None:
            if len(ports) != 1:
                raise KeyError(f"node {node_id!r} has outputs {sorted(ports)}; name one")
            return next(iter(ports.values()))
        return ports[port]

    @property
    def succeeded(self) -> bool:
        """Whether the execution ended ``COMPLETED``."""
        return self.status is ExecutionStatus.COMPLETED

    @property
    def cached_node_ids(self) -> list[str]:
        """Nodes whose outputs came from the cache."""
        return [r.node_id for r in self.node_runs if r.status == "CACHED"]

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        # Imported late: the display layer sits above the models.
        from pipeflow_nb.display import execution_bundle

        return execution_bundle(self)


class NodeState(WireModel):
    """Per-node line of a poll body."""

    node_id: str
    """The node."""
    label: str | None = None
    """Its label."""
    status: NodeStatus = NodeStatus.PENDING
    """Where it is."""
    error: str | None = None
    """Failure message."""
    output_url: str | None = None
    """First media URL it produced."""
    output_urls: list[str] = Field(default_factory=list)
    """Every media URL it produced."""
    text: str | None = None
    """Its text output."""
    progress: float | None = None
    """Percent done, 0..100."""


class _NodeResults(WireModel):
    node_runs: list[NodeRun] = Field(default_factory=list)


class PollResponse(WireModel):
    """The light body of ``GET /workflows/executions/{id}/poll``."""

    id: str
    """The execution."""
    status: ExecutionStatus
    """Where it is."""
    error: str | None = None
    """Failure message."""
    failed_node_id: str | None = None
    """The failing node."""
    progress: Progress | None = None
    """Finished nodes out of all nodes."""
    node_results: _NodeResults = Field(default_factory=_NodeResults)
    """Node runs with outputs."""
    node_states: list[NodeState] = Field(default_factory=list)
    """Per-node summary lines."""
    final_output: Any = None
    """Output of the last node."""


class IteratorConfig(WireModel):
    """One iterated parameter of a batch: a run per value (combined by ``zip``/``product``)."""

    node_id: str
    """The node whose param varies."""
    param: str | None = None
    """The param; the node type's primary param when left out."""
    values: list[Any] = Field(min_length=1)
    """The values, one per run."""


class ExecuteRequest(WireModel):
    """Body of ``POST /workflows/{id}/execute``; every field is optional."""

    nodes: list[WireNode] | None = None
    """A graph to run instead of the saved one."""
    edges: list[WireEdge] | None = None
    """Edges of that graph."""
    inputs: dict[str, Any] = Field(default_factory=dict)
    """Values for input nodes, by node id."""
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Param overrides, by node id."""
    target_node_id: str | None = None
    """Run only this node and its ancestors."""
    trigger_data: dict[str, Any] | None = None
    """Object readable by nodes (the webhook body)."""
    iterator_configs: list[IteratorConfig] = Field(default_factory=list)
    """Batch definition."""
    mode: Literal["zip", "product"] = "zip"
    """How several iterator configs combine."""
    force: bool = False
    """Ignore the cache."""


class ExecuteResponse(WireModel):
    """201 body of ``/execute``: the batch and its runs."""

    workflow_id: str | None = None
    """The workflow."""
    batch_id: str | None = None
    """The batch (one even for a single run)."""
    execution_runs: list[Execution] = Field(default_factory=list)
    """One run per iterator combination."""

    @property
    def execution_ids(self) -> list[str]:
        """Ids of the runs, in input order."""
        return [r.id for r in self.execution_runs]


class RunAccepted(WireModel):
    """202 body of ``/run``, ``/cancel`` and the webhook trigger."""

    execution_id: str
    """The execution started (or cancelled)."""
    status: ExecutionStatus
    """Its status when the request was answered."""
    message: str | None = None
    """Human message (webhook trigger)."""


class Batch(WireModel):
    """A finished or running batch: every run with its status and outputs."""

    id: str
    """The batch id."""
    workflow_id: str | None = None
    """The workflow."""
    mode: Literal["zip", "product"] = "zip"
    """How the iterator configs were combined."""
    runs: list[Execution] = Field(default_factory=list)
    """One execution per combination, ordered by ``input_index``."""
    combinations: list[dict[str, Any]] = Field(default_factory=list)
    """For each run, ``{"<node>.<param>": value}`` of the combination it used."""

    @property
    def failed(self) -> list[Execution]:
        """Runs that ended ``FAILED``."""
        return [r for r in self.runs if r.status == ExecutionStatus.FAILED]

    @property
    def status_counts(self) -> dict[str, int]:
        """How many runs are in each status."""
        counts: dict[str, int] = {}
        for run in self.runs:
            counts[run.status.value] = counts.get(run.status.value, 0) + 1
        return counts

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        # Imported late: the display layer sits above the models.
        from pipeflow_nb.display import batch_bundle

        return batch_bundle(self)
