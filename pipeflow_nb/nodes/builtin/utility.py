"""General utilities."""

from __future__ import annotations

import json

from pipeflow_nb.nodes.builtin._define import builtin
from pipeflow_nb.nodes.registry import Json

__all__ = ["utility_json"]


@builtin("utility:json", label="JSON", primary_param="value")
def utility_json(text: str | None = None, *, value: Json = None) -> Json:
    """A JSON value: the ``value`` param, or the connected text parsed as JSON."""
    if text is None:
        return value
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"text is not valid JSON: {exc}") from None
