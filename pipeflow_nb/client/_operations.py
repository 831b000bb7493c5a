"""Every client operation, written once as a generator of steps (see :mod:`._base`).

Files and run-following operations live in :mod:`._files` and :mod:`._observing`; this
module adds workflows, runs, the node catalog and the account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import ValidationError

from pipeflow_nb.client._base import Call, Op, Reply
from pipeflow_nb.client._observing import ObservingOperations
from pipeflow_nb.client._parsing import (
    execution_id_of,
    graph_body,
    new_idempotency_key,
    parse,
    to_workflow,
    unwrap,
    webhook_id_of,
    workflow_id_of,
)
from pipeflow_nb.client.results import Estimate, LintReport, Usage, WebhookInfo
from pipeflow_nb.errors import APIError, NotFoundError, PipelineValidationError
from pipeflow_nb.models.execution import (
    ExecuteRequest,
    ExecuteResponse,
    IteratorConfig,
    RunAccepted,
)
from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.workflow import Rule, Violation, Workflow, WorkflowSummary

__all__ = ["Mode", "Operations", "execution_id_of", "webhook_id_of", "workflow_id_of"]

Mode = Literal["zip", "product"]


class Operations(ObservingOperations):
    """The service's endpoints as operations; :class:`Client`/:class:`AsyncClient` run them."""

    # --- workflows --------------------------------------------------------------------------
    def _op_list_workflows(self) -> Op[list[WorkflowSummary]]:
        reply: Reply = yield Call("GET", "/workflows")
        rows = unwrap(reply.data)
        if isinstance(rows, dict):
            rows = rows.get("workflows", rows.get("items", []))
        if not isinstance(rows, list):
            raise APIError("the workflow list is not a list", status_code=200, body=reply.data)
        return [parse(WorkflowSummary, r, "workflow summary") for r in rows]

    def _op_get_workflow(self, workflow_id: str) -> Op[Workflow]:
        reply: Reply = yield Call("GET", f"/workflows/{workflow_id}")
        return self._workflow_from(reply)

    def _workflow_from(self, reply: Reply) -> Workflow:
        workflow: Workflow = parse(Workflow, unwrap(reply.data, "id", "nodes"), "workflow")
        if workflow.webhook_id and not workflow.webhook_url:
            workflow = workflow.model_copy(
                update={"webhook_url": self.webhook_url(workflow.webhook_id)}
            )
        return workflow

    def webhook_url(self, webhook: str | Workflow) -> str:
        """The public URL that triggers a workflow's webhook (by webhook id or workflow)."""
        return self._url(f"/workflow/{webhook_id_of(webhook)}/trigger")

    def _op_create_workflow(self, source: Any, name: str | None = None) -> Op[Workflow]:
        body = graph_body(to_workflow(source))
        if name is not None:
            body["name"] = name
        reply: Reply = yield Call("POST", "/workflows", json=body)
        return self._workflow_from(reply)

    def _op_update_workflow(
        self, workflow_id: str, source: Any = None, fields: Mapping[str, Any] | None = None
    ) -> Op[Workflow]:
        body = graph_body(to_workflow(source)) if source is not None else {}
        body.update(fields or {})
        reply: Reply = yield Call("PUT", f"/workflows/{workflow_id}", json=body)
        return self._workflow_from(reply)

    def _op_delete_workflow(self, workflow_id: str) -> Op[None]:
        yield Call("DELETE", f"/workflows/{workflow_id}")

    def _op_publish(self, pipeline: Any) -> Op[Workflow]:
        workflow = to_workflow(pipeline)
        specs = yield from self._op_nodes()
        offered = {s.node_type for s in specs}
        missing = [n for n in workflow.nodes if n.node_type not in offered]
        if missing:
            raise PipelineValidationError(
                [
                    Violation(
                        rule=Rule.UNKNOWN_NODE_TYPE,
                        node_id=n.id,
                        message=f"node type {n.node_type!r} is not offered by the service "
                        f"at {self.base_url}",
                    )
                    for n in missing
                ]
            )
        published: Workflow | None = None
        if workflow.id:
            try:
                published = yield from self._op_update_workflow(workflow.id, workflow)
            except NotFoundError:
                published = None
        if published is None:
            published = yield from self._op_create_workflow(workflow)
        if hasattr(pipeline, "workflow_id") and not isinstance(pipeline, Workflow):
            pipeline.workflow_id = published.id
        return published

    def _op_lint(self, source: Any) -> Op[LintReport]:
        reply: Reply = yield Call("POST", "/workflows/lint", json=graph_body(to_workflow(source)))
        return parse(LintReport, unwrap(reply.data, "ok", "violations"), "lint report")

    # --- running ----------------------------------------------------------------------------
    @staticmethod
    def _execute_body(
        inputs: Mapping[str, Any] | None,
        overrides: Mapping[str, Mapping[str, Any]] | None,
        target_node_id: str | None,
        iterator_configs: Sequence[IteratorConfig | Mapping[str, Any]] | None,
        mode: Mode,
        force: bool,
        trigger_data: Mapping[str, Any] | None,
        graph: Any,
    ) -> dict[str, Any]:
        configs = [
            c if isinstance(c, IteratorConfig) else IteratorConfig.model_validate(c)
            for c in iterator_configs or ()
        ]
        workflow = to_workflow(graph) if graph is not None else None
        request = ExecuteRequest(
            nodes=workflow.nodes if workflow else None,
            edges=workflow.edges if workflow else None,
            inputs=dict(inputs or {}),
            overrides={k: dict(v) for k, v in (overrides or {}).items()},
            target_node_id=target_node_id,
            trigger_data=dict(trigger_data) if trigger_data is not None else None,
            iterator_configs=configs,
            mode=mode,
            force=force,
        )
        return request.to_wire()

    def _op_estimate(self, workflow_id: str, body: dict[str, Any]) -> Op[Estimate]:
        reply: Reply = yield Call("POST", f"/workflows/{workflow_id}/estimate", json=body)
        return parse(Estimate, unwrap(reply.data, "requiredCredits"), "estimate")

    def _op_execute(
        self, workflow_id: str, body: dict[str, Any], idempotency_key: str | None
    ) -> Op[ExecuteResponse]:
        reply: Reply = yield Call(
            "POST",
            f"/workflows/{workflow_id}/execute",
            json=body,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        data = unwrap(reply.data, "executionRuns", "batchId")
        return parse(ExecuteResponse, data, "execute response", reply.status_code)

    def _op_run(
        self, workflow_id: str, inputs: Mapping[str, Any] | None, idempotency_key: str | None
    ) -> Op[RunAccepted]:
        reply: Reply = yield Call(
            "POST",
            f"/workflows/{workflow_id}/run",
            json={"inputs": dict(inputs or {})},
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return parse(RunAccepted, unwrap(reply.data, "executionId"), "run response")

    def _op_run_schema(self, workflow_id: str) -> Op[dict[str, Any]]:
        reply: Reply = yield Call("GET", f"/workflows/{workflow_id}/run")
        data = unwrap(reply.data)
        return dict(data) if isinstance(data, dict) else {"schema": data}

    def _op_trigger_webhook(
        self, webhook_id: str, data: Any, idempotency_key: str | None
    ) -> Op[RunAccepted]:
        reply: Reply = yield Call(
            "POST",
            f"/workflow/{webhook_id}/trigger",
            json=data if data is not None else {},
            idempotency_key=idempotency_key or new_idempotency_key(),
            auth=False,
        )
        return parse(RunAccepted, unwrap(reply.data, "executionId"), "trigger response")

    def _op_webhook(self, webhook_id: str) -> Op[WebhookInfo]:
        reply: Reply = yield Call("GET", f"/workflow/{webhook_id}/trigger", auth=False)
        return parse(WebhookInfo, unwrap(reply.data, "workflowId"), "webhook info")

    def _op_cancel(self, execution_id: str) -> Op[RunAccepted]:
        reply: Reply = yield Call("POST", f"/workflows/executions/{execution_id}/cancel")
        return parse(RunAccepted, unwrap(reply.data, "executionId"), "cancel response")

    # --- catalog and account ----------------------------------------------------------------
    def _op_nodes(self) -> Op[list[NodeTypeSpec]]:
        reply: Reply = yield Call("GET", "/nodes")
        data = unwrap(reply.data, "nodes")
        rows = data.get("nodes", []) if isinstance(data, dict) else data
        specs: list[NodeTypeSpec] = []
        for row in rows if isinstance(rows, list) else []:
            try:
                specs.append(NodeTypeSpec.model_validate(row))
            except ValidationError:
                # A hosted service may name types outside our pattern; keep what it said.
                if isinstance(row, dict) and isinstance(row.get("nodeType"), str):
                    specs.append(_loose_spec(row))
        return specs

    def _op_usage(self) -> Op[Usage]:
        reply: Reply = yield Call("GET", "/developer/usage")
        return parse(Usage, unwrap(reply.data, "credits", "plan"), "usage")


def _loose_spec(row: dict[str, Any]) -> NodeTypeSpec:
    return NodeTypeSpec.model_construct(
        node_type=row["nodeType"],
        category=str(row.get("category", "")),
        label=str(row.get("label", row["nodeType"])),
        credits=row.get("credits", 0) if isinstance(row.get("credits"), int) else 0,
    )
