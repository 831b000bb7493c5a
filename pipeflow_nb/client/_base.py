"""The part of a client that does no I/O: configuration, requests, replies, retry choices.

Every operation of :class:`~pipeflow_nb.client.Client` and
:class:`~pipeflow_nb.client.AsyncClient` is written once, as a generator of *steps*
(:class:`Call` an endpoint, :class:`Sleep`, do blocking :class:`Work`, :class:`Emit` a
value to the caller). The
sync and async clients only differ in how they carry a step out (``httpx.Client`` and
``time.sleep`` versus ``httpx.AsyncClient`` and ``asyncio.sleep``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.client._errors import error_from_response
from pipeflow_nb.client._polling import PollPolicy, RetryPolicy
from pipeflow_nb.errors import (
    APIConnectionError,
    APIError,
    ClientClosedError,
    PipeflowError,
    RateLimitError,
)

__all__ = ["Call", "ClientCore", "Emit", "Op", "Reply", "Sleep", "Work"]

T = TypeVar("T")
_VERSION = "0.1.0"


@dataclass(frozen=True)
class Call:
    """One request to the service; ``path`` is relative to the base URL or absolute."""

    method: str
    path: str
    json: Any = None
    params: Mapping[str, Any] | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    idempotency_key: str | None = None
    auth: bool = True
    raw: bool = False

    @property
    def retryable(self) -> bool:
        """Whether sending it twice cannot do something twice."""
        return self.method in ("GET", "HEAD") or self.idempotency_key is not None


@dataclass(frozen=True)
class Reply:
    """A successful response: status, headers and the decoded body (bytes when raw)."""

    status_code: int
    headers: Mapping[str, str]
    data: Any = None
    content_type: str | None = None


@dataclass(frozen=True)
class Sleep:
    """Pause for ``seconds``."""

    seconds: float


@dataclass(frozen=True)
class Work:
    """Blocking local work (disk writes); the async client runs it in a worker thread."""

    func: Callable[[], Any]


@dataclass(frozen=True)
class Emit:
    """Hand ``value`` to the caller of a streaming operation (``watch``)."""

    value: Any


Step = Call | Sleep | Work | Emit
Op = Generator[Step, Any, T]
"""An operation: yields steps, receives a :class:`Reply` for each :class:`Call`."""


@dataclass
class _Target:
    base_url: str | None
    api_key: str | None
    embedded: bool = False
    origin: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.set(self.base_url, self.api_key)

    def set(self, base_url: str | None, api_key: str | None) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.api_key = api_key
        parts = urlsplit(self.base_url or "")
        self.origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


class ClientCore:
    """Configuration and the pure request/response logic shared by both clients."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | httpx.Timeout = 30.0,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        artifacts: ArtifactStore | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        configured = base_url or os.environ.get("PIPEFLOW_BASE_URL") or None
        self._env_key = os.environ.get("PIPEFLOW_API_KEY") or None
        # An embedded server has its own dev key; an environment key is meant for the
        # configured service, so it only stands in when the server has no saved dev key.
        key = api_key or (self._env_key if configured else None)
        self._target = _Target(configured, key, embedded=configured is None)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        """When and how failed requests are retried."""
        self.poll_policy = poll or PollPolicy()
        """How ``wait()`` and ``watch()`` poll by default."""
        self.artifacts = artifacts or ArtifactStore()
        """Where downloaded outputs are kept (content-addressed)."""
        self._extra_headers = dict(headers or {})
        self._closed = False

    # --- configuration ----------------------------------------------------------------------
    @property
    def base_url(self) -> str | None:
        """The API root (ends in ``/api/v1``); ``None`` until an embedded server starts."""
        return self._target.base_url

    @property
    def api_key(self) -> str | None:
        """The API key sent as ``Authorization: Bearer``."""
        return self._target.api_key

    @property
    def embedded(self) -> bool:
        """Whether this client talks to an in-process reference server (nothing configured)."""
        return self._target.embedded

    @property
    def is_closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    def __repr__(self) -> str:
        where = self.base_url or "embedded server (not started)"
        state = " closed" if self._closed else ""
        return f"{type(self).__name__}({where!r}{state})"

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosedError(f"{type(self).__name__} was closed; create a new one")

    def _adopt(self, base_url: str, api_key: str | None) -> None:
        """Point at a freshly started embedded server (its dev key unless one was given)."""
        self._target.set(base_url, self._target.api_key or api_key or self._env_key)

    # --- requests ---------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        if "://" in path:
            return path
        base = self._target.base_url or ""
        base_path = urlsplit(base).path
        if base_path and path.startswith(base_path + "/"):
            # Server-relative links such as /api/v1/files/<key> hang off the origin.
            return self._target.origin + path
        return f"{base}/{path.lstrip('/')}"

    def _same_origin(self, url: str) -> bool:
        return url.startswith(self._target.origin + "/") if self._target.origin else False

    def _headers(self, call: Call, url: str) -> dict[str, str]:
        headers = {"User-Agent": f"pipeflow-nb/{_VERSION}", **self._extra_headers}
        if not call.raw:
            headers["Accept"] = "application/json"
        if call.auth and self._target.api_key and self._same_origin(url):
            headers["Authorization"] = f"Bearer {self._target.api_key}"
        if call.idempotency_key:
            headers["Idempotency-Key"] = call.idempotency_key
        return headers

    def _build_request(self, http: httpx.Client | httpx.AsyncClient, call: Call) -> httpx.Request:
        url = self._url(call.path)
        try:
            return http.build_request(
                call.method,
                url,
                json=call.json if call.files is None else None,
                data=call.json if call.files is not None else None,
                params=dict(call.params) if call.params else None,
                files=dict(call.files) if call.files else None,
                headers=self._headers(call, url),
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise APIConnectionError(f"invalid URL {url!r}: {exc}") from None

    # --- replies ----------------------------------------------------------------------------
    def _interpret(self, call: Call, response: httpx.Response) -> Reply | PipeflowError:
        """The reply of a response, or the exception it stands for."""
        headers = response.headers
        content_type = headers.get("content-type", "").split(";")[0].strip() or None
        if response.status_code >= 400:
            return error_from_response(
                response.status_code,
                headers,
                _lenient_body(response.content),
                api_key_configured=self._target.api_key is not None,
            )
        if call.raw:
            return Reply(response.status_code, headers, response.content, content_type)
        text = response.content.strip()
        if response.status_code == 204 or not text:
            return Reply(response.status_code, headers, None, content_type)
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            return APIError(
                f"{call.method} {call.path} answered with invalid JSON ({exc})",
                status_code=response.status_code,
                body=response.content[:500].decode("utf-8", "replace"),
                request_id=headers.get("x-request-id"),
            )
        return Reply(response.status_code, headers, data, content_type)

    def _transport_failure(self, call: Call, exc: Exception) -> tuple[APIConnectionError, bool]:
        """The error for a transport exception, and whether the request surely never left."""
        where = self._url(call.path)
        never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
        kind = type(exc).__name__
        detail = str(exc) or kind
        return APIConnectionError(f"{call.method} {where}: {detail} ({kind})"), never_sent

    def _retry_pause(
        self, call: Call, attempt: int, failure: PipeflowError, never_sent: bool = False
    ) -> float | None:
        """Seconds to wait before retrying ``call``, or ``None`` to give up."""
        if isinstance(failure, APIConnectionError):
            return self.retry.pause(attempt) if call.retryable or never_sent else None
        if isinstance(failure, APIError) and failure.status_code in self.retry.retry_statuses:
            if not call.retryable:
                return None
            retry_after = failure.retry_after if isinstance(failure, RateLimitError) else None
            return self.retry.pause(attempt, retry_after)
        return None


def _lenient_body(content: bytes) -> Any:
    """An error body as JSON when it is JSON, else as text."""
    text = content.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
