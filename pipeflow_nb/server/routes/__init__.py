"""Route modules, one per resource; :data:`ROUTERS` lists them in the order they mount."""

from __future__ import annotations

from fastapi import APIRouter

from pipeflow_nb.server.routes import catalog, executions, files, usage, webhooks, workflows

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    executions.router,
    workflows.router,
    webhooks.router,
    catalog.router,
    files.router,
    usage.router,
)
