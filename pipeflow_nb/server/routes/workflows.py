"""``/workflows``: create, list, read, update (new version), delete and lint."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse

from pipeflow_nb import graph
from pipeflow_nb.models.validation import validate_workflow
from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.server.context import API_PREFIX, ServerContext
from pipeflow_nb.server.deps import context, scoped
from pipeflow_nb.server.planning import violations_problem
from pipeflow_nb.server.problems import not_found
from pipeflow_nb.server.routes._docs import errors
from pipeflow_nb.server.store import ApiKey
from pipeflow_nb.server.views import summary_body, workflow_body

__all__ = ["load_workflow", "router"]

router = APIRouter(tags=["workflows"])
Ctx = Annotated[ServerContext, Depends(context)]
Reader = Annotated[ApiKey, Depends(scoped("workflows:read"))]
Writer = Annotated[ApiKey, Depends(scoped("workflows:write"))]
_GRAPH_FIELDS = {"nodes", "edges"}


def _check_graph(ctx: ServerContext, workflow: Workflow) -> None:
    violations = validate_workflow(workflow, ctx.registry)
    if violations:
        raise violations_problem(violations)


def load_workflow(ctx: ServerContext, wf_id: str) -> Workflow:
    """The stored workflow, or 404."""
    found = ctx.store.workflows.get(wf_id)
    if found is None:
        raise not_found("Workflow", wf_id)
    return found


@router.get(
    "/workflows",
    summary="List workflows",
    responses={200: {"description": "Bare array of workflow summaries"}, **errors(403)},
)
def list_workflows(ctx: Ctx, key: Reader) -> JSONResponse:
    return JSONResponse([summary_body(w) for w in ctx.store.workflows.all()])


@router.post(
    "/workflows",
    status_code=201,
    summary="Create a workflow",
    responses={201: {"model": Workflow}, **errors(403, 422)},
)
def create_workflow(body: Workflow, ctx: Ctx, key: Writer) -> JSONResponse:
    _check_graph(ctx, body)
    created = ctx.store.workflows.create(body, key.id)
    return JSONResponse(
        workflow_body(created),
        status_code=201,
        headers={"Location": f"{API_PREFIX}/workflows/{created.id}"},
    )


@router.post(
    "/workflows/lint",
    summary="Check a graph without saving it",
    responses={200: {"description": "{ok, violations, warnings}"}, **errors(403)},
)
def lint_workflow(body: Workflow, ctx: Ctx, key: Reader) -> JSONResponse:
    violations = validate_workflow(body, ctx.registry)
    warnings: list[dict[str, Any]] = []
    if len(body.nodes) > 1:
        linked = {end for pair in body.edge_pairs for end in pair}
        for node in body.nodes:
            if node.id not in linked:
                warnings.append(
                    {
                        "rule": "isolated_node",
                        "nodeId": node.id,
                        "message": f"node {node.id!r} is not connected to any other node",
                    }
                )
    return JSONResponse(
        {
            "ok": not violations,
            "violations": [v.to_wire() for v in violations],
            "warnings": warnings,
        }
    )


@router.get(
    "/workflows/{workflow_id}",
    summary="Read a workflow",
    responses={200: {"model": Workflow}, **errors(403, 404)},
)
def read_workflow(workflow_id: str, ctx: Ctx, key: Reader) -> JSONResponse:
    return JSONResponse(workflow_body(load_workflow(ctx, workflow_id)))


@router.put(
    "/workflows/{workflow_id}",
    summary="Update a workflow (a new version)",
    responses={200: {"model": Workflow}, **errors(403, 404, 422)},
)
def update_workflow(workflow_id: str, body: Workflow, ctx: Ctx, key: Writer) -> JSONResponse:
    current = load_workflow(ctx, workflow_id)
    fields = set(body.model_fields_set) & {"name", "description", "nodes", "edges", "is_active"}
    if fields & _GRAPH_FIELDS:
        candidate = current.model_copy(update={f: getattr(body, f) for f in fields & _GRAPH_FIELDS})
        _check_graph(ctx, candidate)
    updated = ctx.store.workflows.update(workflow_id, body, fields)
    if updated is None:
        raise not_found("Workflow", workflow_id)
    return JSONResponse(workflow_body(updated))


@router.delete(
    "/workflows/{workflow_id}",
    status_code=204,
    summary="Delete a workflow",
    responses={204: {"description": "Deleted"}, **errors(403, 404)},
)
def delete_workflow(workflow_id: str, ctx: Ctx, key: Writer) -> Response:
    if not ctx.store.workflows.delete(workflow_id):
        raise not_found("Workflow", workflow_id)
    return Response(status_code=204)


@router.get(
    "/workflows/{workflow_id}/run",
    summary="Describe how to run a workflow",
    responses={200: {"description": "{data: RunSchema}"}, **errors(403, 404)},
)
def run_schema(workflow_id: str, ctx: Ctx, key: Reader) -> JSONResponse:
    workflow = load_workflow(ctx, workflow_id)
    inputs, outputs = [], []
    sources = {s for s, _ in workflow.edge_pairs}
    order = graph.toposort(workflow.node_ids, workflow.edge_pairs)
    by_id = {n.id: n for n in workflow.nodes}
    credits = 0
    for node_id in order:
        node = by_id[node_id]
        spec = ctx.registry.spec(node.node_type)
        if spec is None:
            continue
        credits += spec.credits
        if spec.category == "input":
            param = spec.primary_param
            inputs.append(
                {
                    "nodeId": node.id,
                    "label": node.label,
                    "nodeType": node.node_type,
                    "param": param,
                    "type": spec.outputs[0].type.value if spec.outputs else None,
                    "default": node.data.params.get(param) if param else None,
                }
            )
        if node.id not in sources:
            outputs.append(
                {
                    "nodeId": node.id,
                    "label": node.label,
                    "nodeType": node.node_type,
                    "ports": [{"name": p.name, "type": p.type.value} for p in spec.outputs],
                }
            )
    return JSONResponse(
        {
            "data": {
                "workflowId": workflow.id,
                "name": workflow.name,
                "isActive": workflow.is_active,
                "webhookId": workflow.webhook_id,
                "inputs": inputs,
                "outputs": outputs,
                "estimatedCredits": credits,
            }
        }
    )
