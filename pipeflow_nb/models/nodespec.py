"""What a node type is, as served by ``GET /nodes``: ports, params schema, cost."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pipeflow_nb.models.base import WireModel
from pipeflow_nb.models.ports import Port

__all__ = ["NodeTypeSpec"]


class NodeTypeSpec(WireModel):
    """The description of a node type, independent of the code that runs it."""

    node_type: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*(:[A-Za-z0-9_.\-/]+)+$")
    """Registry name, ``<category>:<name>``, e.g. ``image:resize``."""
    category: str
    """Palette group: ``input``, ``text``, ``image``, ``video``, ``audio``, ``model``, ..."""
    label: str
    """Human name."""
    description: str = ""
    """What it does, one or two sentences."""
    inputs: list[Port] = Field(default_factory=list)
    """Input ports."""
    outputs: list[Port] = Field(default_factory=list)
    """Output ports."""
    params_schema: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )
    """JSON schema of the parameters (drives generated forms)."""
    primary_param: str | None = None
    """The param an input value or an iterator config sets when none is named."""
    credits: int = 0
    """Credits charged per successful run (0 for local utilities)."""
    deterministic: bool = True
    """Same inputs and params always give the same outputs, so results may be cached."""
    version: str = "1"
    """Bumped when the implementation changes what it outputs; part of the cache key."""

    def input(self, name: str) -> Port | None:
        """The input port of that name, if any."""
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> Port | None:
        """The output port of that name, if any."""
        return next((p for p in self.outputs if p.name == name), None)

    @property
    def param_names(self) -> set[str]:
        """Names of the declared parameters."""
        return set(self.params_schema.get("properties", {}))
