"""``/files/{key}`` serves artifacts; ``/media/upload`` stores one (25 MB cap)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeflow_nb.media import sniff_content_type
from pipeflow_nb.server.context import ServerContext, file_url
from pipeflow_nb.server.deps import context, scoped
from pipeflow_nb.server.problems import ApiProblem
from pipeflow_nb.server.routes._docs import errors
from pipeflow_nb.server.store import ApiKey

__all__ = ["router"]

router = APIRouter(tags=["files"])
Ctx = Annotated[ServerContext, Depends(context)]
Writer = Annotated[ApiKey, Depends(scoped("workflows:write"))]
ExecReader = Annotated[ApiKey, Depends(scoped("executions:read"))]


@router.get(
    "/files/{key}",
    summary="An artifact's bytes",
    response_class=Response,
    responses={
        200: {"description": "The bytes", "content": {"*/*": {}}},
        304: {"description": "Not modified"},
        **errors(403, 404),
    },
)
def read_file(key: str, request: Request, ctx: Ctx, reader: ExecReader) -> Response:
    try:
        path = ctx.artifacts.path(key)  # rejects anything that is not <sha256>.<ext>
    except ValueError:
        raise ApiProblem(404, f"File not found: {key}") from None
    if not path.is_file():
        raise ApiProblem(404, f"File not found: {key}")
    etag = f'"{key.split(".")[0]}"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=31536000, immutable"}
    if request.headers.get("if-none-match") in (etag, "*"):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=ctx.artifacts.content_type(key), headers=headers)


@router.post(
    "/media/upload",
    status_code=201,
    summary="Upload a media file (multipart field 'file', 25 MB cap)",
    responses={201: {"description": "{url, key, contentType, size}"}, **errors(403)},
)
async def upload_media(file: UploadFile, ctx: Ctx, key: Writer) -> JSONResponse:
    cap = ctx.settings.max_upload_bytes
    data = await file.read(cap + 1)
    if len(data) > cap:
        raise ApiProblem(413, f"File too large: the limit is {cap // (1024 * 1024)} MB")
    if not data:
        raise ApiProblem(400, "The uploaded file is empty")
    declared = (file.content_type or "").split(";")[0].strip().lower()
    content_type = sniff_content_type(data, file.filename)
    if content_type == "application/octet-stream" and declared:
        content_type = declared
    stored = await _store(ctx, data, content_type)
    return JSONResponse(
        {"url": file_url(stored), "key": stored, "contentType": content_type, "size": len(data)},
        status_code=201,
    )


async def _store(ctx: ServerContext, data: bytes, content_type: str) -> str:
    return await run_in_threadpool(ctx.artifacts.put, data, content_type)
