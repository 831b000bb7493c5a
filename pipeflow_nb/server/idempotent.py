"""``Idempotency-Key`` on execute, run and trigger: replay the first answer for 24 h, 409 on a
different body, and make a concurrent duplicate wait its turn instead of running twice."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import JSONResponse

from pipeflow_nb.server.context import ServerContext
from pipeflow_nb.server.problems import ApiProblem
from pipeflow_nb.server.store import StoredResponse

__all__ = ["Idempotency", "fingerprint", "idempotency"]

_REPLAYED_HEADERS = ("location",)


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same": method, path and the body's JSON meaning."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":"))
    except (ValueError, UnicodeDecodeError):
        canonical = body.hex()
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class Idempotency:
    """The ``Idempotency-Key`` of a request (``key`` is ``None`` when it sent none)."""

    key: str | None
    fingerprint: str

    def run(
        self, ctx: ServerContext, scope: str, produce: Callable[[], JSONResponse]
    ) -> JSONResponse:
        """Answer with ``produce()``, or replay / refuse per the key's record."""
        if self.key is None:
            return produce()
        repo, ttl = ctx.store.idempotency, ctx.settings.idempotency_ttl_s
        outcome, stored = repo.reserve(scope, self.key, self.fingerprint, now=ctx.now(), ttl_s=ttl)
        if outcome == "conflict":
            raise ApiProblem(409, "Idempotency-Key was already used with a different request body")
        if outcome == "pending":
            raise ApiProblem(
                409, "A request with this Idempotency-Key is still being processed; retry shortly"
            )
        if outcome == "replay":
            assert stored is not None
            return JSONResponse(
                stored.body,
                status_code=stored.status_code,
                headers={**stored.headers, "Idempotent-Replayed": "true"},
            )
        try:
            response = produce()
        except BaseException:
            repo.release(scope, self.key)  # a refused request may be retried with the same key
            raise
        body = json.loads(bytes(response.body))
        headers = {k: v for k, v in response.headers.items() if k.lower() in _REPLAYED_HEADERS}
        repo.complete(scope, self.key, StoredResponse(response.status_code, body, headers))
        return response


async def idempotency(request: Request) -> Idempotency:
    """Read the ``Idempotency-Key`` header and fingerprint the body."""
    key = request.headers.get("idempotency-key")
    if key is not None:
        key = key.strip()
        if not key or len(key) > 255:
            raise ApiProblem(400, "Idempotency-Key must be 1 to 255 characters")
    body = await request.body() if key is not None else b""
    return Idempotency(key, fingerprint(request.method, request.url.path, body))
