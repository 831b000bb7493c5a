"""A scripted pipeline service behind ``httpx.MockTransport``, for edge cases."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from pipeflow_nb.client import PollPolicy, RetryPolicy

BASE = "https://svc.test/api/v1"
FAST_POLL = PollPolicy(initial=0.0, factor=1.5, max_interval=0.0, timeout=5.0)
FAST_RETRY = RetryPolicy(max_retries=3, backoff=0.0, max_backoff=0.0)

Handler = Callable[[httpx.Request], httpx.Response]


def json_response(status: int, body: Any, **headers: str) -> httpx.Response:
    """A JSON response with the request id header every service answer carries."""
    return httpx.Response(status, json=body, headers={"X-Request-Id": "req_test", **headers})


class Script:
    """Routes ``METHOD path`` to a queue of responses (the last one repeats); logs requests."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Handler | httpx.Response]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *responses: Handler | httpx.Response) -> Script:
        self.routes[f"{method} {path}"] = list(responses)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        path = request.url.path.removeprefix("/api/v1")
        queue = self.routes.get(f"{request.method} {path}")
        if not queue:
            return json_response(404, {"error": f"no route {request.method} {path}"})
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        return item(request) if callable(item) else item

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [
            r
            for r in self.requests
            if r.method == method and r.url.path.removeprefix("/api/v1") == path
        ]

    @staticmethod
    def body(request: httpx.Request) -> Any:
        return json.loads(request.content)


def closed_port_url() -> str:
    """A loopback base URL on a port nothing listens on (connections are refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"
