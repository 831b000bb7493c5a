"""Running workflows: estimate, execute (batches), run, poll, detail, cancel and history."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse

from pipeflow_nb.models.execution import (
    ExecuteRequest,
    ExecuteResponse,
    Execution,
    ExecutionStatus,
    PollResponse,
    RunAccepted,
)
from pipeflow_nb.server.context import API_PREFIX, ServerContext
from pipeflow_nb.server.deps import context, scoped
from pipeflow_nb.server.idempotent import Idempotency, idempotency
from pipeflow_nb.server.launch import estimate_request, execute_body, launch
from pipeflow_nb.server.problems import ApiProblem, not_found
from pipeflow_nb.server.routes._docs import errors
from pipeflow_nb.server.routes.workflows import load_workflow
from pipeflow_nb.server.store import ApiKey
from pipeflow_nb.server.views import detail_body, poll_body

__all__ = ["router"]

router = APIRouter(tags=["executions"])
Ctx = Annotated[ServerContext, Depends(context)]
Reader = Annotated[ApiKey, Depends(scoped("workflows:read"))]
Executor = Annotated[ApiKey, Depends(scoped("workflows:execute"))]
ExecReader = Annotated[ApiKey, Depends(scoped("executions:read"))]
Idem = Annotated[Idempotency, Depends(idempotency)]
OptionalBody = Annotated[ExecuteRequest | None, Body()]
_STATUSES = [s.value for s in ExecutionStatus if s is not ExecutionStatus.UNKNOWN]


def _load_execution(ctx: ServerContext, execution_id: str) -> Execution:
    found = ctx.store.executions.get(execution_id)
    if found is None:
        raise not_found("Execution", execution_id)
    return found


@router.post(
    "/workflows/{workflow_id}/estimate",
    summary="What a run or batch would cost",
    responses={
        200: {"description": "{requiredCredits, availableCredits, sufficient, breakdown}"},
        **errors(403, 404, 422),
    },
)
def estimate_credits(
    workflow_id: str, ctx: Ctx, key: Reader, body: OptionalBody = None
) -> JSONResponse:
    workflow = load_workflow(ctx, workflow_id)
    return JSONResponse(estimate_request(ctx, key, workflow, body or ExecuteRequest()).to_wire())


@router.post(
    "/workflows/{workflow_id}/execute",
    status_code=201,
    summary="Queue a run, or one run per iterator combination",
    responses={201: {"model": ExecuteResponse}, **errors(402, 403, 404, 409, 422)},
)
def execute_workflow(
    workflow_id: str, ctx: Ctx, key: Executor, idem: Idem, body: OptionalBody = None
) -> JSONResponse:
    def produce() -> JSONResponse:
        workflow = load_workflow(ctx, workflow_id)
        launched = launch(ctx, key, workflow, body or ExecuteRequest())
        return JSONResponse(
            execute_body(launched),
            status_code=201,
            headers={"Location": f"{API_PREFIX}/workflows/executions/{launched.first_id}"},
        )

    return idem.run(ctx, f"key:{key.id}", produce)


@router.post(
    "/workflows/{workflow_id}/run",
    status_code=202,
    summary="Queue one run",
    responses={202: {"model": RunAccepted}, **errors(402, 403, 404, 409, 422)},
)
def run_workflow(
    workflow_id: str, ctx: Ctx, key: Executor, idem: Idem, body: OptionalBody = None
) -> JSONResponse:
    def produce() -> JSONResponse:
        workflow = load_workflow(ctx, workflow_id)
        launched = launch(ctx, key, workflow, body or ExecuteRequest(), single=True)
        return JSONResponse(
            {"executionId": launched.first_id, "status": "QUEUED"},
            status_code=202,
            headers={"Location": f"{API_PREFIX}/workflows/executions/{launched.first_id}"},
        )

    return idem.run(ctx, f"key:{key.id}", produce)


@router.get(
    "/workflows/executions/{execution_id}/poll",
    summary="Status, progress and outputs of a run (light)",
    responses={200: {"model": PollResponse}, **errors(403, 404)},
)
def poll_execution(execution_id: str, ctx: Ctx, key: ExecReader) -> JSONResponse:
    return JSONResponse(poll_body(_load_execution(ctx, execution_id)))


@router.get(
    "/workflows/executions/{execution_id}",
    summary="The full run: timings, credits, node runs",
    responses={200: {"model": Execution}, **errors(403, 404)},
)
def read_execution(execution_id: str, ctx: Ctx, key: ExecReader) -> JSONResponse:
    return JSONResponse(detail_body(_load_execution(ctx, execution_id)))


@router.post(
    "/workflows/executions/{execution_id}/cancel",
    status_code=202,
    summary="Cancel a queued or running run",
    responses={202: {"model": RunAccepted}, **errors(403, 404)},
)
def cancel_execution(execution_id: str, ctx: Ctx, key: Executor) -> JSONResponse:
    status = ctx.runner.cancel(execution_id)
    if status is None:
        raise not_found("Execution", execution_id)
    return JSONResponse({"executionId": execution_id, "status": status.value}, status_code=202)


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix != "seq" or not number.isdigit():
            raise ValueError(cursor)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiProblem(400, f"Invalid cursor: {cursor!r}") from None


@router.get(
    "/workflows/{workflow_id}/executions",
    summary="Run history, newest first, cursor-paginated",
    responses={200: {"description": "{executions, nextCursor}"}, **errors(403, 404)},
)
def list_executions(
    workflow_id: str,
    ctx: Ctx,
    key: ExecReader,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
    status: str | None = None,
) -> JSONResponse:
    load_workflow(ctx, workflow_id)
    wanted = None
    if status is not None:
        wanted = status.upper()
        if wanted not in _STATUSES:
            raise ApiProblem(400, f"Unknown status {status!r}; one of {', '.join(_STATUSES)}")
    before = _decode_cursor(cursor) if cursor else None
    page, next_seq = ctx.store.executions.page(
        workflow_id, limit=limit, before_seq=before, status=wanted
    )
    return JSONResponse(
        {
            "executions": [detail_body(e) for e in page],
            "nextCursor": _encode_cursor(next_seq) if next_seq is not None else None,
        }
    )
