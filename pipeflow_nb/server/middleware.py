"""One ASGI middleware for what every response needs: request id, identity, rate limit, body cap.

It reads the ``Authorization`` header once, counts the request against the caller's
per-minute limit (the key's plan, or the client address when there is no valid key),
answers 429 or 413 itself, and adds ``X-Request-Id`` and ``X-RateLimit-*`` to every
response, including error responses. Routes read the identity from ``request.state``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pipeflow_nb.server.auth import Identity
from pipeflow_nb.server.context import API_PREFIX, ServerContext
from pipeflow_nb.server.limits import Decision, limits_for
from pipeflow_nb.server.problems import ApiProblem

__all__ = ["ApiMiddleware", "BodyTooLarge"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_UPLOAD_PATH = f"{API_PREFIX}/media/upload"
_MULTIPART_SLACK = 64 * 1024


class BodyTooLarge(ApiProblem):
    """413: the body passed the cap while it was read."""

    def __init__(self, limit: int):
        super().__init__(413, f"Request body too large (limit {limit} bytes)")


class ApiMiddleware:
    """See the module docstring."""

    def __init__(self, app: ASGIApp, ctx: ServerContext):
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        identity = self.ctx.resolver.identify(headers.get("authorization"))
        decision = self._count(identity, scope)
        state = scope.setdefault("state", {})
        state["identity"] = identity
        state["ratelimit"] = decision
        state["request_id"] = request_id

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                present = {k.lower() for k, _ in raw}
                extra = {"x-request-id": request_id}
                limit = state.get("ratelimit")
                if isinstance(limit, Decision):
                    extra.update({k.lower(): v for k, v in limit.headers().items()})
                for name, value in extra.items():
                    if name.encode() not in present:
                        raw.append((name.encode(), value.encode()))
                message["headers"] = raw
            await send(message)

        if not decision.allowed:
            now = self.ctx.now()
            problem = ApiProblem(
                429,
                f"Rate limit exceeded: {decision.limit} requests per minute",
                extras={"retryAfter": int(decision.reset + 0.999)},
                headers={"Retry-After": str(decision.retry_after(now))},
            )
            await _answer(problem, send_with_headers)
            return
        limit = self._body_limit(scope)
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _answer(BodyTooLarge(limit), send_with_headers)
            return
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, capped_receive, send_with_headers)

    def _count(self, identity: Identity, scope: Scope) -> Decision:
        now = self.ctx.now()
        if identity.key is not None:
            limit = limits_for(identity.key).requests_per_min
            return self.ctx.limiter.hit(f"req:{identity.key.id}", limit, now)
        client = scope.get("client")
        host = client[0] if client else "unknown"
        return self.ctx.limiter.hit(f"ip:{host}", self.ctx.settings.anonymous_requests_per_min, now)

    def _body_limit(self, scope: Scope) -> int:
        if scope.get("path") == _UPLOAD_PATH:
            return self.ctx.settings.max_upload_bytes + _MULTIPART_SLACK
        return self.ctx.settings.max_body_bytes


async def _answer(problem: ApiProblem, send: Send) -> None:
    body = json.dumps(problem.body()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (problem.headers or {}).items()]
    await send({"type": "http.response.start", "status": problem.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
