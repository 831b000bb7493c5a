"""Handles on a pipeline's nodes and ports, and the change notes its observers receive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pipeflow_nb.models.nodespec import NodeTypeSpec

if TYPE_CHECKING:
    from pipeflow_nb.pipeline import Pipeline

__all__ = ["Change", "InputRef", "NodeHandle", "OutputRef", "Source", "Target", "node_id_of"]


@dataclass(frozen=True)
class OutputRef:
    """An output port of a node: the source end of an edge."""

    node_id: str
    port: str | None = None


@dataclass(frozen=True)
class InputRef:
    """An input port of a node: the target end of an edge."""

    node_id: str
    port: str | None = None


@dataclass(frozen=True)
class Change:
    """What an edit did, for observers such as the live graph widget."""

    kind: Literal[
        "node_added", "node_removed", "node_updated", "edge_added", "edge_removed", "replaced"
    ]
    node_id: str | None = None
    edge_id: str | None = None


class NodeHandle:
    """A node in a :class:`Pipeline`; pass it as a value to connect its output."""

    def __init__(self, pipeline: Pipeline, node_id: str):
        self._pipeline = pipeline
        self.id = node_id

    def __repr__(self) -> str:
        node = self._pipeline._node(self.id)
        return f"<{node.node_type} node {self.id!r}>"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, NodeHandle)
            and other.id == self.id
            and other._pipeline is self._pipeline
        )

    def __hash__(self) -> int:
        return hash(self.id)

    def out(self, port: str | None = None) -> OutputRef:
        """One of the node's output ports (the only one when ``port`` is left out)."""
        return OutputRef(self.id, port)

    def in_(self, port: str | None = None) -> InputRef:
        """One of the node's input ports (the only one when ``port`` is left out)."""
        return InputRef(self.id, port)

    @property
    def node_type(self) -> str:
        """The node's type."""
        return self._pipeline._node(self.id).node_type

    @property
    def params(self) -> dict[str, Any]:
        """A copy of the node's params."""
        return dict(self._pipeline._node(self.id).params)

    @property
    def spec(self) -> NodeTypeSpec:
        """The node type's spec."""
        return self._pipeline.registry.get(self.node_type).spec

    def set(self, **params: Any) -> NodeHandle:
        """Change params (validated); returns the handle for chaining."""
        self._pipeline.set_params(self.id, **params)
        return self


Source = NodeHandle | OutputRef
Target = NodeHandle | InputRef


def node_id_of(node: str | NodeHandle) -> str:
    """The id of a node given by id or handle."""
    return node.id if isinstance(node, NodeHandle) else node
