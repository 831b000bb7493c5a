"""``/workflow/{webhookId}/trigger``: run a workflow without a key; the body is the trigger data.

Body keys that name an input node (by id, then by label, case-insensitively) set that
node's value; the whole body is also passed as ``triggerData``. The run is counted and
charged against the key that created the workflow.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from pipeflow_nb.models.execution import ExecuteRequest, RunAccepted
from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.server.context import API_PREFIX, ServerContext
from pipeflow_nb.server.deps import context
from pipeflow_nb.server.idempotent import Idempotency, idempotency
from pipeflow_nb.server.launch import launch
from pipeflow_nb.server.problems import ApiProblem, not_found
from pipeflow_nb.server.routes._docs import errors

__all__ = ["map_trigger_inputs", "router"]

router = APIRouter(tags=["webhooks"])
Ctx = Annotated[ServerContext, Depends(context)]
Idem = Annotated[Idempotency, Depends(idempotency)]


def _input_nodes(ctx: ServerContext, workflow: Workflow) -> list[tuple[str, str]]:
    found = []
    for node in workflow.nodes:
        spec = ctx.registry.spec(node.node_type)
        if spec is not None and spec.category == "input":
            found.append((node.id, node.label))
    return found


def map_trigger_inputs(body: dict[str, Any], input_nodes: list[tuple[str, str]]) -> dict[str, Any]:
    """``{node id: value}`` for body keys naming an input node by id or label."""
    by_id = {node_id: node_id for node_id, _ in input_nodes}
    by_label = {label.casefold(): node_id for node_id, label in input_nodes}
    inputs: dict[str, Any] = {}
    for name, value in body.items():
        node_id = by_id.get(name) or by_label.get(name.casefold())
        if node_id is not None and node_id not in inputs:
            inputs[node_id] = value
    return inputs


def _load(ctx: ServerContext, webhook_id: str) -> Workflow:
    workflow = ctx.store.workflows.by_webhook(webhook_id)
    if workflow is None:
        raise not_found("Webhook", webhook_id)
    return workflow


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(400, "Webhook body must be JSON") from None
    if not isinstance(body, dict):
        raise ApiProblem(400, f"Webhook body must be a JSON object, got {type(body).__name__}")
    return body


TriggerBody = Annotated[dict[str, Any], Depends(_json_object)]


@router.post(
    "/workflow/{webhook_id}/trigger",
    status_code=202,
    summary="Run a workflow from a webhook (no key)",
    responses={202: {"model": RunAccepted}, **errors(402, 404, 409, 422)},
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def trigger_webhook(webhook_id: str, ctx: Ctx, idem: Idem, body: TriggerBody) -> JSONResponse:
    workflow = _load(ctx, webhook_id)
    owner_id = ctx.store.workflows.owner(workflow.id or "")
    owner = ctx.store.keys.get(owner_id) if owner_id else None
    if owner is None or not owner.is_active:
        raise ApiProblem(403, "Forbidden: the API key that owns this workflow is not active")

    def produce() -> JSONResponse:
        request = ExecuteRequest(
            inputs=map_trigger_inputs(body, _input_nodes(ctx, workflow)), trigger_data=body
        )
        launched = launch(ctx, owner, workflow, request, single=True)
        return JSONResponse(
            {
                "executionId": launched.first_id,
                "status": "queued",
                "message": f"Workflow {workflow.name!r} queued",
            },
            status_code=202,
            headers={"Location": f"{API_PREFIX}/workflows/executions/{launched.first_id}"},
        )

    return idem.run(ctx, f"webhook:{webhook_id}", produce)


@router.get(
    "/workflow/{webhook_id}/trigger",
    summary="Describe a webhook",
    responses={200: {"description": "{workflowId, name, isActive, message}"}, **errors(404)},
)
def describe_webhook(webhook_id: str, ctx: Ctx) -> JSONResponse:
    workflow = _load(ctx, webhook_id)
    names = [f"{node_id} ({label})" for node_id, label in _input_nodes(ctx, workflow)]
    listed = ", ".join(names) if names else "none"
    return JSONResponse(
        {
            "workflowId": workflow.id,
            "name": workflow.name,
            "isActive": workflow.is_active,
            "inputs": [node_id for node_id, _ in _input_nodes(ctx, workflow)],
            "message": "POST a JSON object to this URL to run the workflow. Keys naming an "
            f"input node by id or label set its value; input nodes: {listed}.",
        }
    )
