"""The one exception route code raises to answer with an error body.

Every error response of the API is ``{"error": "<message>", ...extras}``; handlers in
:mod:`pipeflow_nb.server.app` turn an :class:`ApiProblem` into exactly that.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException

__all__ = ["ApiProblem", "bad_request", "not_found"]


class ApiProblem(HTTPException):
    """An error answer: status, message, extra body fields and extra headers.

    It derives from Starlette's ``HTTPException`` so FastAPI lets it through untouched
    while it reads a request body (a 413 raised mid-read stays a 413).
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        extras: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(status_code, message, dict(headers) if headers else None)
        self.message = message
        self.extras: dict[str, Any] = dict(extras or {})

    def body(self) -> dict[str, Any]:
        """The flat JSON body."""
        return {"error": self.message, **self.extras}

    def __repr__(self) -> str:
        return f"ApiProblem({self.status_code}, {self.message!r})"


def not_found(what: str, ident: str) -> ApiProblem:
    """404 naming what was looked up."""
    return ApiProblem(404, f"{what} not found: {ident}")


def bad_request(message: str, **extras: Any) -> ApiProblem:
    """400 with a message."""
    return ApiProblem(400, message, extras=extras)
