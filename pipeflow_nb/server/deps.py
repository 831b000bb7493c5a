"""FastAPI dependencies: the server context and scope checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from pipeflow_nb.server.auth import Identity, require_scope
from pipeflow_nb.server.context import ServerContext
from pipeflow_nb.server.store import ApiKey

__all__ = ["context", "scoped"]


async def context(request: Request) -> ServerContext:
    """The app's :class:`ServerContext`."""
    ctx: ServerContext = request.app.state.pipeflow
    return ctx


def scoped(scope: str) -> Callable[[Request], Awaitable[ApiKey]]:
    """A dependency giving the caller's key when it carries ``scope`` (401/403 otherwise)."""

    async def dependency(request: Request) -> ApiKey:
        identity: Identity = request.state.identity
        return require_scope(identity, scope)

    dependency.__name__ = f"scope_{scope.replace(':', '_')}"
    return dependency
