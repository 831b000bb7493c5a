"""A tiny real HTTP server on 127.0.0.1 standing in for a hosted provider in tests.

Routes map ``(method, path)`` to a handler ``(request) -> (status, headers, body)``; a
body that is a dict or list is sent as JSON. Every request is recorded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Reply = tuple[int, dict[str, str], Any]
Handler = Callable[[Request], Reply]


@dataclass
class FakeProvider:
    url: str = ""
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def route(self, method: str, path: str) -> Callable[[Handler], Handler]:
        def add(handler: Handler) -> Handler:
            self.routes[(method, path)] = handler
            return handler

        return add

    def sequence(self, method: str, path: str, replies: list[Reply]) -> None:
        """Answer ``replies`` in turn, repeating the last one."""
        remaining = list(replies)

        def next_reply(_: Request) -> Reply:
            return remaining.pop(0) if len(remaining) > 1 else remaining[0]

        self.routes[(method, path)] = next_reply

    def calls(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path == path]


def _handler_for(fake: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            request = Request(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
            )
            fake.requests.append(request)
            handler = fake.routes.get((self.command, self.path.split("?")[0]))
            status, headers, body = (
                handler(request) if handler else (404, {}, {"detail": "no route"})
            )
            if isinstance(body, dict | list):
                payload = json.dumps(body).encode()
                headers = {"content-type": "application/json", **headers}
            else:
                payload = body if isinstance(body, bytes) else str(body).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return _Handler


def serve() -> Iterator[FakeProvider]:
    """Run a fake provider on a free port for the duration of a test."""
    fake = FakeProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
