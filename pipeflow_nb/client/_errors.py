"""Pure mapping of an error response (status, headers, body) onto the exception tree.

Both error shapes the service may send are read: the flat ``{"error": "msg", ...extras}``
and the nested ``{"error": {"type", "message", "code"}}``; FastAPI's ``{"detail": ...}``
and plain-text bodies give a readable message too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from pipeflow_nb.client._polling import parse_retry_after
from pipeflow_nb.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InsufficientCreditsError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PipeflowError,
    PipelineValidationError,
    RateLimitError,
    ServerError,
)
from pipeflow_nb.models.workflow import Violation

__all__ = ["error_from_response", "error_message"]

_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
}
_CREDITS = re.compile(r"Required:\s*(\d+)\D+Available:\s*(-?\d+)", re.IGNORECASE)


def _details(body: Any) -> dict[str, Any]:
    """The error's fields, flattening the nested form onto the top level."""
    if not isinstance(body, dict):
        return {}
    fields = dict(body)
    nested = body.get("error")
    if isinstance(nested, dict):
        fields.update({k: v for k, v in nested.items() if k not in fields or k == "message"})
    data = body.get("data")
    if isinstance(data, dict) and "error" in data and "error" not in body:
        fields.update(_details(data))
    return fields


def error_message(status_code: int, body: Any) -> str:
    """The human message of an error body, whatever its shape."""
    if isinstance(body, str):
        text = body.strip()
        return text[:500] if text else _reason(status_code)
    fields = _details(body)
    for key in ("error", "message", "detail"):
        value = fields.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict) and isinstance(value.get("message"), str):
            return str(value["message"])
    detail = fields.get("detail")
    if isinstance(detail, list) and detail:
        return "; ".join(_detail_line(d) for d in detail)
    return _reason(status_code)


def _detail_line(item: Any) -> str:
    if isinstance(item, dict):
        loc = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
        return f"{loc}: {item.get('msg', item)}" if loc else str(item.get("msg", item))
    return str(item)


def _reason(status_code: int) -> str:
    reasons = {
        400: "bad request",
        401: "authentication failed",
        402: "insufficient credits",
        403: "forbidden",
        404: "not found",
        409: "conflict",
        413: "request body too large",
        422: "the pipeline is invalid",
        429: "rate limited",
    }
    return reasons.get(status_code, "server error" if status_code >= 500 else "request failed")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _violations(fields: Mapping[str, Any], message: str) -> list[Violation]:
    raw = fields.get("violations")
    found: list[Violation] = []
    if isinstance(raw, list):
        for item in raw:
            try:
                found.append(Violation.model_validate(item))
            except ValidationError:
                found.append(Violation(rule="invalid", message=str(item)))
    if not found:
        detail = fields.get("detail")
        if isinstance(detail, list) and detail:
            found = [Violation(rule="bad_request", message=_detail_line(d)) for d in detail]
        else:
            found = [Violation(rule="invalid", message=message)]
    return found


def error_from_response(
    status_code: int,
    headers: Mapping[str, str],
    body: Any,
    *,
    api_key_configured: bool = True,
) -> PipeflowError:
    """The exception for an error response (any status ≥ 400)."""
    message = error_message(status_code, body)
    request_id = headers.get("x-request-id")
    fields = _details(body)
    common: dict[str, Any] = {"status_code": status_code, "body": body, "request_id": request_id}
    if status_code == 422:
        return PipelineValidationError(_violations(fields, message), status_code=422)
    if status_code == 402:
        required = _int(fields.get("requiredCredits", fields.get("required")))
        available = _int(fields.get("availableCredits", fields.get("available")))
        match = _CREDITS.search(message)
        if match:
            required = required if required is not None else int(match.group(1))
            available = available if available is not None else int(match.group(2))
        breakdown = fields.get("breakdown")
        return InsufficientCreditsError(
            message,
            required=required or 0,
            available=available or 0,
            breakdown=[b for b in breakdown if isinstance(b, dict)]
            if isinstance(breakdown, list)
            else (),
            **common,
        )
    if status_code == 429:
        return RateLimitError(message, retry_after=parse_retry_after(headers, fields), **common)
    if status_code == 401 and not api_key_configured:
        message += " (no API key configured: pass api_key= or set PIPEFLOW_API_KEY)"
    cls = _BY_STATUS.get(status_code) or (ServerError if status_code >= 500 else APIError)
    return cls(message, **common)
