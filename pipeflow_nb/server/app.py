"""The app factory: one FastAPI app per call, with its own store, runner and limits.

>>> app = create_app(tmp_path, registry=my_registry, max_workers=2)

Every error leaves as the flat ``{"error": ...}`` body of the API; every response carries
``X-Request-Id`` and ``X-RateLimit-*``; the OpenAPI document is at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeflow_nb.artifacts import default_home
from pipeflow_nb.nodes.registry import NodeRegistry, default_registry
from pipeflow_nb.server.context import API_PREFIX, ServerContext
from pipeflow_nb.server.middleware import ApiMiddleware
from pipeflow_nb.server.problems import ApiProblem
from pipeflow_nb.server.routes import ROUTERS
from pipeflow_nb.server.settings import ServerSettings

__all__ = ["create_app"]

log = logging.getLogger("pipeflow_nb.server")


def create_app(
    home: str | Path | None = None,
    *,
    registry: NodeRegistry | None = None,
    max_workers: int = 2,
    **settings: Any,
) -> FastAPI:
    """A reference server app on ``home`` (``$PIPEFLOW_HOME`` or ``~/.pipeflow`` by default).

    ``registry`` defaults to the process-wide registry, so ``@node`` functions defined in
    a notebook run on an in-process server. Extra keyword arguments set fields of
    :class:`ServerSettings` (``TypeError`` for unknown ones). On an empty home a dev key
    (plan ``enterprise``) is created and saved to ``<home>/dev-key`` with mode 0600.
    The runner starts at once (resuming runs a previous process left behind) and stops
    at shutdown, or on ``app.state.pipeflow.close()``.
    """
    resolved = Path(home).expanduser() if home is not None else default_home()
    config = ServerSettings(home=resolved).with_overrides(max_workers=max_workers, **settings)
    ctx = ServerContext.open(config, registry if registry is not None else default_registry())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        ctx.close()

    app = FastAPI(
        title="pipeflow-nb reference server",
        version="1",
        summary="The pipeline service API (v1), served from SQLite and the local engine.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.pipeflow = ctx
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    _install_handlers(app)
    app.add_middleware(ApiMiddleware, ctx=ctx)
    ctx.start()
    return app


def _install_handlers(app: FastAPI) -> None:
    async def problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"Not found: {request.method} {request.url.path}"
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)

    async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        details = [
            {"loc": [str(p) for p in e.get("loc", ())], "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = details[0] if details else {"loc": [], "message": "invalid"}
        where = ".".join(first["loc"])
        more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
        return JSONResponse(
            {"error": f"Invalid request: {where}: {first['message']}{more}", "details": details},
            status_code=400,
        )

    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        request_id = getattr(request.state, "request_id", None)
        return JSONResponse(
            {"error": "Internal server error", "requestId": request_id}, status_code=500
        )

    app.add_exception_handler(ApiProblem, problem)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, crash)
