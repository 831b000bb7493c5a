"""Base classes shared by every wire model: camelCase on the wire, snake_case in Python."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

__all__ = ["AuthoredModel", "Timestamp", "WireModel", "format_timestamp", "utcnow"]


class WireModel(BaseModel):
    """A model read from or written to the service.

    Unknown fields are kept (``extra="allow"``) so a document loaded from the service and
    written back loses nothing; they never make parsing fail.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="allow",
        ser_json_timedelta="float",
    )

    def to_wire(self) -> dict[str, Any]:
        """JSON-ready dict with the service's camelCase names (``None`` fields left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The wire form as JSON text."""
        return self.model_dump_json(by_alias=True, exclude_none=True, indent=indent)


class AuthoredModel(WireModel):
    """A model we author: unknown fields are a mistake and fail loudly."""

    model_config = ConfigDict(extra="forbid")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, as the API writes timestamps."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


Timestamp = Annotated[
    datetime, PlainSerializer(format_timestamp, return_type=str, when_used="json")
]
"""A datetime written as the API writes timestamps (milliseconds, ``Z``)."""
