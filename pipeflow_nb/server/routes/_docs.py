"""OpenAPI descriptions of the error bodies every route may answer with."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ERRORS", "ErrorBody", "GraphErrorBody", "errors"]


class ErrorBody(BaseModel):
    """``{"error": "<message>", …extras}``."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="What went wrong.")


class GraphErrorBody(ErrorBody):
    """422: every broken graph rule."""

    violations: list[dict[str, Any]] = Field(description="{rule, message, nodeId?, edgeId?}")


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing, malformed, unknown or expired API key",
    402: "Insufficient credits (with a breakdown)",
    403: "The key lacks the scope",
    404: "Not found",
    409: "Idempotency-Key reused with a different body",
    413: "Request body too large",
    422: "The graph breaks one or more rules",
    429: "Rate limited (Retry-After)",
    500: "Server error",
}

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": GraphErrorBody if code == 422 else ErrorBody, "description": text}
    for code, text in _DESCRIPTIONS.items()
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error responses a route documents (401, 413, 429 and 500 always)."""
    wanted = {400, 401, 413, 429, 500, *codes}
    return {c: ERRORS[c] for c in sorted(wanted)}
