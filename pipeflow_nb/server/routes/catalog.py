"""``/nodes``: the node types this server can run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from pipeflow_nb.server.context import ServerContext
from pipeflow_nb.server.deps import context, scoped
from pipeflow_nb.server.routes._docs import errors
from pipeflow_nb.server.store import ApiKey

__all__ = ["router"]

router = APIRouter(tags=["nodes"])
Ctx = Annotated[ServerContext, Depends(context)]
Reader = Annotated[ApiKey, Depends(scoped("workflows:read"))]


@router.get(
    "/nodes",
    summary="Node type specs",
    responses={200: {"description": "{nodes: [NodeTypeSpec]}"}, **errors(403)},
)
async def list_nodes(
    ctx: Ctx, key: Reader, q: str = "", category: str | None = None
) -> JSONResponse:
    specs = ctx.registry.search(q, category=category)
    return JSONResponse({"nodes": [s.to_wire() for s in specs]})
