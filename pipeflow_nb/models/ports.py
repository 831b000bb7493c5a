"""Port types, ports, and the one table of which port types connect (and how values convert)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["CONVERSIONS", "Port", "PortType", "can_connect", "conversion"]


class PortType(StrEnum):
    """The type of value a port carries; uppercase on the wire."""

    TEXT = "TEXT"
    NUMBER = "NUMBER"
    BOOLEAN = "BOOLEAN"
    JSON = "JSON"
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    AUDIO = "AUDIO"
    ANY = "ANY"

    @classmethod
    def parse(cls, value: str) -> PortType:
        """Read a port type case-insensitively (``"image"`` → ``IMAGE``)."""
        try:
            return cls(value.upper())
        except ValueError:
            raise ValueError(
                f"unknown port type {value!r}; expected one of {', '.join(cls)}"
            ) from None


#: ``(source, target) → conversion name`` for every pair that connects without being equal.
#: ``ANY`` connects both ways without a conversion. The engine looks the name up in
#: :mod:`pipeflow_nb.conversions` to change the value as it crosses the edge.
CONVERSIONS: dict[tuple[PortType, PortType], str] = {
    (PortType.NUMBER, PortType.TEXT): "number_to_text",
    (PortType.BOOLEAN, PortType.TEXT): "boolean_to_text",
    (PortType.JSON, PortType.TEXT): "json_to_text",
    (PortType.BOOLEAN, PortType.NUMBER): "boolean_to_number",
    (PortType.TEXT, PortType.JSON): "text_to_json",
    (PortType.NUMBER, PortType.JSON): "identity",
    (PortType.BOOLEAN, PortType.JSON): "identity",
    (PortType.IMAGE, PortType.VIDEO): "image_to_still_video",
    (PortType.VIDEO, PortType.IMAGE): "video_first_frame",
}


def conversion(source: PortType, target: PortType) -> str | None:
    """The conversion a value needs from ``source`` to ``target``.

    Returns ``"identity"`` when none is needed and ``None`` when the types do not connect.
    """
    if source == target or PortType.ANY in (source, target):
        return "identity"
    return CONVERSIONS.get((source, target))


def can_connect(source: PortType, target: PortType) -> bool:
    """Whether an output of type ``source`` may feed an input of type ``target``."""
    return conversion(source, target) is not None


class Port(BaseModel):
    """A typed input or output of a node type."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """Port name; the wire handle is ``in-<name>`` or ``out-<name>``."""
    type: PortType
    """What the port carries."""
    required: bool = True
    """Inputs only: a run needs an edge (or an input value) on this port."""
    many: bool = False
    """Inputs only: accepts several edges; the node receives a list in edge order."""
    description: str = ""
    """One line for palettes and inspectors."""

    @field_validator("type", mode="before")
    @classmethod
    def _parse_type(cls, value: Any) -> Any:
        return PortType.parse(value) if isinstance(value, str) else value

    @property
    def handle_in(self) -> str:
        """The React Flow target handle of this port."""
        return f"in-{self.name}"

    @property
    def handle_out(self) -> str:
        """The React Flow source handle of this port."""
        return f"out-{self.name}"
