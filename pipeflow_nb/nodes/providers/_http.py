"""What every hosted-model node shares: keys from the environment, error mapping, polling
with back-off and a deadline, and downloading outputs into media values."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from pipeflow_nb.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    MissingDependencyError,
    NotFoundError,
    PermissionDeniedError,
    PollTimeout,
    RateLimitError,
    ServerError,
)
from pipeflow_nb.media import Audio, Image, Media, Video, sniff_content_type
from pipeflow_nb.sources import load_media

__all__ = [
    "MissingAPIKeyError",
    "api_key",
    "check",
    "download",
    "poll",
    "summarise",
]

T = TypeVar("T")
MEDIA_KINDS: dict[str, type[Media]] = {"image": Image, "video": Video, "audio": Audio}


class MissingAPIKeyError(MissingDependencyError):
    """A hosted-model node needs an API key that is not in the environment."""

    def __init__(self, variable: str, service: str):
        self.variable = variable
        self.service = service
        super().__init__(
            f"the environment variable {variable}",
            f"set {variable} to your {service} API key "
            f"(in a notebook: os.environ[{variable!r}] = '...')",
        )

    def __str__(self) -> str:
        return f"{self.what} is not set: {self.install_hint}"


def api_key(variable: str, service: str) -> str:
    """The key in ``$variable`` (:class:`MissingAPIKeyError` naming it when unset or empty)."""
    value = os.environ.get(variable, "").strip()
    if not value:
        raise MissingAPIKeyError(variable, service)
    return value


def summarise(response: httpx.Response) -> str:
    """A short description of an error body (``detail`` / ``error`` / text)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("detail", "error", "message"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message", value)
            if value:
                return str(value)[:300]
    return str(body)[:300]


def check(response: httpx.Response, service: str) -> httpx.Response:
    """Raise the :class:`APIError` subclass matching an error status, naming ``service``."""
    if response.is_success:
        return response
    status = response.status_code
    message = f"{service} {response.request.method} {response.request.url.path}: " + summarise(
        response
    )
    kwargs: dict[str, Any] = {
        "status_code": status,
        "body": response.text[:2000],
        "request_id": response.headers.get("x-request-id"),
    }
    if status == 429:
        retry = response.headers.get("retry-after")
        raise RateLimitError(message, retry_after=float(retry) if retry else None, **kwargs)
    if status == 402:
        raise InsufficientCreditsError(message, required=0, available=0, **kwargs)
    error_type: type[APIError] = {
        400: BadRequestError,
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        422: BadRequestError,
    }.get(status, ServerError if status >= 500 else APIError)
    raise error_type(message, **kwargs)


async def poll(
    fetch: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    what: str,
    status_of: Callable[[T], str | None],
    timeout_s: float,
    first_delay_s: float = 0.25,
    max_delay_s: float = 5.0,
) -> T:
    """Call ``fetch`` until ``done`` says so: back-off ×1.5 up to ``max_delay_s``, and
    :class:`PollTimeout` naming ``what`` and its last status after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    delay = first_delay_s
    while True:
        try:
            result = await fetch()
        except RateLimitError as exc:
            if time.monotonic() + (exc.retry_after or delay) > deadline:
                raise
            await asyncio.sleep(exc.retry_after or delay)
            continue
        if done(result):
            return result
        if time.monotonic() + delay > deadline:
            raise PollTimeout(what, status_of(result), timeout_s)
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, max_delay_s)


async def download(
    client: httpx.AsyncClient,
    url: str,
    kind: type[Media],
    *,
    headers: dict[str, str] | None = None,
) -> Media:
    """Fetch ``url`` (http(s) or ``data:``) into a ``kind`` value, right away: hosted
    output URLs expire."""
    if url.startswith("data:"):
        return load_media(url, kind)
    response = check(await client.get(url, headers=headers, follow_redirects=True), "download")
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    if not content_type.startswith(f"{kind.kind}/"):
        content_type = sniff_content_type(response.content, url.split("?")[0])
    return kind(response.content, content_type=content_type)
