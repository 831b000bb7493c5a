"""The service's graph format (React Flow style) and graph-rule violations.

A :class:`Workflow` is an immutable snapshot: nodes, edges and, when it came from a
service, its id, webhook id and other metadata. :class:`pipeflow_nb.Pipeline` is the
mutable builder that produces them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from pipeflow_nb.models.base import Timestamp, WireModel

__all__ = [
    "NodeData",
    "Position",
    "Rule",
    "Violation",
    "WireEdge",
    "WireNode",
    "Workflow",
    "WorkflowSummary",
    "handle_port",
]

_DATA_FIELDS = {"label", "nodeType", "node_type", "category", "params", "config"}


class Position(WireModel):
    """Where the node sits on the canvas."""

    x: float = 0.0
    """Horizontal position in canvas pixels."""
    y: float = 0.0
    """Vertical position in canvas pixels."""


class NodeData(WireModel):
    """The ``data`` object of a node: what it is and how it is configured.

    ``config`` (an older spelling) is merged into ``params`` when read. Other keys written
    straight on ``data`` are kept as extra fields; :meth:`loose_params` picks out the ones
    that name a parameter of the node type, so they are read as params too.
    """

    label: str = ""
    """Display name."""
    node_type: str
    """The registered node type, e.g. ``image:resize``."""
    category: str = ""
    """Palette group, e.g. ``image``."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Parameter values."""

    @model_validator(mode="before")
    @classmethod
    def _merge_config(cls, value: Any) -> Any:
        if isinstance(value, dict) and "config" in value:
            value = dict(value)
            config = value.pop("config") or {}
            if not isinstance(config, dict):
                raise ValueError("data.config must be an object")
            value["params"] = {**config, **(value.get("params") or {})}
        return value

    def loose_params(self, names: set[str]) -> dict[str, Any]:
        """Extra ``data`` keys that name one of ``names`` (params written straight on data)."""
        extra = self.model_extra or {}
        return {k: v for k, v in extra.items() if k in names and k not in _DATA_FIELDS}

    def all_params(self, names: set[str]) -> dict[str, Any]:
        """``params`` plus the loose params among ``names`` (``params`` wins on a clash)."""
        return {**self.loose_params(names), **self.params}


class WireNode(WireModel):
    """A node as the service stores it."""

    id: str = Field(min_length=1)
    """Unique within the workflow."""
    type: str = "basedNode"
    """The React Flow renderer name; the service uses ``basedNode``."""
    position: Position = Field(default_factory=Position)
    """Canvas position."""
    data: NodeData
    """Node type, label and params."""

    @property
    def node_type(self) -> str:
        """Shortcut for ``data.node_type``."""
        return self.data.node_type

    @property
    def label(self) -> str:
        """The label, or the id when the label is empty."""
        return self.data.label or self.id


def handle_port(handle: str | None, prefix: str) -> str | None:
    """``"out-image"`` → ``"image"``; a handle without the prefix is taken as the port name."""
    if handle is None or handle == "":
        return None
    return handle[len(prefix) :] if handle.startswith(prefix) else handle


class WireEdge(WireModel):
    """A connection from one node's output port to another node's input port."""

    id: str = Field(min_length=1)
    """Unique within the workflow."""
    source: str
    """Id of the upstream node."""
    target: str
    """Id of the downstream node."""
    source_handle: str | None = None
    """``out-<port>``; may be omitted when the source has a single output."""
    target_handle: str | None = None
    """``in-<port>``; may be omitted when the target has a single input."""

    @property
    def source_port(self) -> str | None:
        """The output port name, from ``sourceHandle``."""
        return handle_port(self.source_handle, "out-")

    @property
    def target_port(self) -> str | None:
        """The input port name, from ``targetHandle``."""
        return handle_port(self.target_handle, "in-")


class Workflow(WireModel):
    """A graph of nodes and edges, plus service metadata when it has been published."""

    id: str | None = None
    """Service id (``wf_…``), once published."""
    name: str = "untitled"
    """Human name."""
    description: str = ""
    """What the workflow does."""
    nodes: list[WireNode] = Field(default_factory=list)
    """The nodes, in authoring order."""
    edges: list[WireEdge] = Field(default_factory=list)
    """The connections."""
    webhook_id: str | None = None
    """Unguessable id of the workflow's webhook trigger."""
    webhook_url: str | None = None
    """Full URL of the webhook trigger (set by the client when it knows the base URL)."""
    is_active: bool | None = None
    """An inactive workflow refuses executions."""
    version: int | None = None
    """Incremented by the service on every update."""
    created_at: Timestamp | None = None
    """When it was first published."""
    updated_at: Timestamp | None = None
    """When it was last changed."""

    def node(self, node_id: str) -> WireNode:
        """The node with that id (``KeyError`` naming it when absent)."""
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(f"workflow has no node {node_id!r}")

    @property
    def node_ids(self) -> list[str]:
        """Node ids in order."""
        return [n.id for n in self.nodes]

    @property
    def edge_pairs(self) -> list[tuple[str, str]]:
        """``(source, target)`` for every edge."""
        return [(e.source, e.target) for e in self.edges]

    def graph(self) -> Workflow:
        """Only the nodes and edges (what ``/execute`` accepts as an override)."""
        return Workflow(nodes=self.nodes, edges=self.edges)


class WorkflowSummary(WireModel):
    """One row of ``GET /workflows``."""

    id: str
    """Service id."""
    name: str = ""
    """Human name."""
    description: str = ""
    """What it does."""
    webhook_id: str | None = None
    """Webhook trigger id."""
    is_active: bool | None = None
    """Whether it accepts executions."""
    node_count: int | None = None
    """How many nodes."""
    version: int | None = None
    """Current version."""
    updated_at: Timestamp | None = None
    """Last change."""


class Rule(StrEnum):
    """Names of the graph rules, as the service reports them in a 422."""

    EMPTY_GRAPH = "empty_graph"
    TOO_MANY_NODES = "too_many_nodes"
    TOO_MANY_EDGES = "too_many_edges"
    DUPLICATE_ID = "duplicate_id"
    UNKNOWN_NODE_TYPE = "unknown_node_type"
    DANGLING_EDGE = "dangling_edge"
    UNKNOWN_PORT = "unknown_port"
    PORT_TYPE_MISMATCH = "port_type_mismatch"
    MISSING_REQUIRED_INPUT = "missing_required_input"
    CYCLE = "cycle"
    BAD_PARAM = "bad_param"


class Violation(WireModel):
    """One broken graph rule, naming the node or edge it concerns."""

    rule: str
    """A :class:`Rule` value (kept as text so unknown rules from a service still parse)."""
    message: str
    """Readable explanation."""
    node_id: str | None = None
    """The node concerned, if any."""
    edge_id: str | None = None
    """The edge concerned, if any."""
    param: str | None = None
    """The parameter concerned (``bad_param`` only)."""

    def describe(self) -> str:
        """One line: ``rule [node x]: message``."""
        where = []
        if self.node_id is not None:
            where.append(f"node {self.node_id!r}")
        if self.edge_id is not None:
            where.append(f"edge {self.edge_id!r}")
        if self.param is not None:
            where.append(f"param {self.param!r}")
        place = f" ({', '.join(where)})" if where else ""
        return f"{self.rule}{place}: {self.message}"
