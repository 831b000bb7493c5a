"""``/developer/usage``: the caller's credits, plan, runs today and limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from pipeflow_nb.server.context import ServerContext
from pipeflow_nb.server.deps import context, scoped
from pipeflow_nb.server.limits import limits_for
from pipeflow_nb.server.routes._docs import errors
from pipeflow_nb.server.store import ApiKey

__all__ = ["router"]

router = APIRouter(tags=["usage"])
Ctx = Annotated[ServerContext, Depends(context)]
UsageReader = Annotated[ApiKey, Depends(scoped("usage:read"))]


@router.get(
    "/developer/usage",
    summary="Credits, plan, runs today and limits of the calling key",
    responses={200: {"description": "{credits, plan, executionsToday, limits}"}, **errors(403)},
)
def read_usage(ctx: Ctx, key: UsageReader) -> JSONResponse:
    fresh = ctx.store.keys.get(key.id) or key
    limits = limits_for(fresh)
    today = ctx.today()
    return JSONResponse(
        {
            "credits": fresh.credits,
            "plan": fresh.plan,
            "executionsToday": ctx.store.usage.executions(fresh.id, today),
            "creditsUsedToday": ctx.store.usage.credits(fresh.id, today),
            "limits": {
                "requestsPerMinute": limits.requests_per_min,
                "executionsPerMinute": limits.executions_per_min,
                "executionsPerDay": limits.executions_per_day,
            },
            "key": {
                "id": fresh.id,
                "prefix": fresh.prefix,
                "name": fresh.name,
                "scopes": sorted(fresh.scopes),
            },
        }
    )
