"""Every client operation, written once as a generator of steps (see :mod:`._base`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from pipeflow_nb.client._base import Call, ClientCore, Emit, Op, Reply, Sleep
from pipeflow_nb.client._outputs import artifact_key, decode_data_url, local_values, with_outputs
from pipeflow_nb.client._polling import Deadline, PollDiff, PollPolicy
from pipeflow_nb.client.history import Page
from pipeflow_nb.client.progress import NodeProgressBar
from pipeflow_nb.client.results import Estimate, LintReport, Usage, WebhookInfo
from pipeflow_nb.errors import (
    APIError,
    ExecutionCancelled,
    ExecutionFailed,
    NotFoundError,
    PipelineValidationError,
    PollTimeout,
    RateLimitError,
)
from pipeflow_nb.media import Media
from pipeflow_nb.models.events import NodeCached, NodeCompleted
from pipeflow_nb.models.execution import (
    ExecuteRequest,
    ExecuteResponse,
    Execution,
    ExecutionStatus,
    IteratorConfig,
    MediaRef,
    PollResponse,
    RunAccepted,
)
from pipeflow_nb.models.nodespec import NodeTypeSpec
from pipeflow_nb.models.workflow import Rule, Violation, Workflow, WorkflowSummary

__all__ = ["Mode", "Operations", "execution_id_of", "webhook_id_of", "workflow_id_of"]

Mode = Literal["zip", "product"]
M = TypeVar("M", bound=BaseModel)


def _unwrap(body: Any, *markers: str) -> Any:
    """The payload of a ``{data: ...}`` envelope, unless the body already looks like it."""
    for _ in range(2):
        if (
            isinstance(body, dict)
            and "data" in body
            and not any(m in body for m in markers)
            and isinstance(body["data"], dict | list)
        ):
            body = body["data"]
    return body


def _parse(model: type[M], body: Any, what: str, status_code: int = 200) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise APIError(
            f"unexpected {what} from the service: {exc.errors()[0]['msg']} "
            f"at {'.'.join(str(p) for p in exc.errors()[0]['loc']) or 'top level'}",
            status_code=status_code,
            body=body,
        ) from None


def _to_workflow(source: Any) -> Workflow:
    if isinstance(source, Workflow):
        return source
    to_workflow = getattr(source, "to_workflow", None)
    if callable(to_workflow):
        workflow = to_workflow()
        if isinstance(workflow, Workflow):
            return workflow
    raise TypeError(f"expected a Pipeline or a Workflow, not {type(source).__name__}")


def _graph_body(workflow: Workflow) -> dict[str, Any]:
    body = workflow.to_wire()
    for key in ("id", "webhookId", "version", "createdAt", "updatedAt", "webhookUrl"):
        body.pop(key, None)
    return body


def workflow_id_of(ref: Any) -> str:
    """The service id of an id, a published Workflow or a published Pipeline."""
    if isinstance(ref, str):
        return ref
    workflow_id = getattr(ref, "workflow_id", None) or (
        ref.id if isinstance(ref, Workflow) else None
    )
    if not workflow_id:
        raise ValueError(f"{ref!r} has not been published yet (publish it first)")
    return str(workflow_id)


def execution_id_of(ref: Any) -> str:
    """The execution id of an id, an Execution, a poll body or an execute/run answer."""
    if isinstance(ref, str):
        return ref
    if isinstance(ref, ExecuteResponse):
        if not ref.execution_runs:
            raise ValueError("the execute response lists no execution runs")
        return ref.execution_runs[0].id
    if isinstance(ref, RunAccepted):
        return ref.execution_id
    if isinstance(ref, Execution | PollResponse):
        return ref.id
    raise TypeError(f"expected an execution id or execution, not {type(ref).__name__}")


def webhook_id_of(ref: Any) -> str:
    """The webhook id of an id or a published workflow."""
    if isinstance(ref, str):
        return ref
    webhook_id = getattr(ref, "webhook_id", None)
    if not webhook_id:
        raise ValueError(f"{ref!r} has no webhook id (publish it first)")
    return str(webhook_id)


def _new_key() -> str:
    return str(uuid.uuid4())


class Operations(ClientCore):
    """The service's endpoints as operations; :class:`Client`/:class:`AsyncClient` run them."""

    # --- workflows --------------------------------------------------------------------------
    def _op_list_workflows(self) -> Op[list[WorkflowSummary]]:
        reply: Reply = yield Call("GET", "/workflows")
        rows = _unwrap(reply.data)
        if isinstance(rows, dict):
            rows = rows.get("workflows", rows.get("items", []))
        if not isinstance(rows, list):
            raise APIError("the workflow list is not a list", status_code=200, body=reply.data)
        return [_parse(WorkflowSummary, r, "workflow summary") for r in rows]

    def _op_get_workflow(self, workflow_id: str) -> Op[Workflow]:
        reply: Reply = yield Call("GET", f"/workflows/{workflow_id}")
        return self._workflow_from(reply)

    def _workflow_from(self, reply: Reply) -> Workflow:
        workflow: Workflow = _parse(Workflow, _unwrap(reply.data, "id", "nodes"), "workflow")
        if workflow.webhook_id and not (workflow.model_extra or {}).get("webhook_url"):
            workflow = workflow.model_copy(
                update={"webhook_url": self.webhook_url(workflow.webhook_id)}
            )
        return workflow

    def webhook_url(self, webhook_id: str) -> str:
        """The public URL that triggers a workflow's webhook."""
        return self._url(f"/workflow/{webhook_id}/trigger")

    def _op_create_workflow(self, source: Any, name: str | None = None) -> Op[Workflow]:
        body = _graph_body(_to_workflow(source))
        if name is not None:
            body["name"] = name
        reply: Reply = yield Call("POST", "/workflows", json=body)
        return self._workflow_from(reply)

    def _op_update_workflow(
        self, workflow_id: str, source: Any = None, fields: Mapping[str, Any] | None = None
    ) -> Op[Workflow]:
        body = _graph_body(_to_workflow(source)) if source is not None else {}
        body.update(fields or {})
        reply: Reply = yield Call("PUT", f"/workflows/{workflow_id}", json=body)
        return self._workflow_from(reply)

    def _op_delete_workflow(self, workflow_id: str) -> Op[None]:
        yield Call("DELETE", f"/workflows/{workflow_id}")

    def _op_publish(self, pipeline: Any) -> Op[Workflow]:
        workflow = _to_workflow(pipeline)
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
        reply: Reply = yield Call("POST", "/workflows/lint", json=_graph_body(_to_workflow(source)))
        return _parse(LintReport, _unwrap(reply.data, "ok", "violations"), "lint report")

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
        workflow = _to_workflow(graph) if graph is not None else None
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
        return _parse(Estimate, _unwrap(reply.data, "requiredCredits"), "estimate")

    def _op_execute(
        self, workflow_id: str, body: dict[str, Any], idempotency_key: str | None
    ) -> Op[ExecuteResponse]:
        reply: Reply = yield Call(
            "POST",
            f"/workflows/{workflow_id}/execute",
            json=body,
            idempotency_key=idempotency_key or _new_key(),
        )
        data = _unwrap(reply.data, "executionRuns", "batchId")
        return _parse(ExecuteResponse, data, "execute response", reply.status_code)

    def _op_run(
        self, workflow_id: str, inputs: Mapping[str, Any] | None, idempotency_key: str | None
    ) -> Op[RunAccepted]:
        reply: Reply = yield Call(
            "POST",
            f"/workflows/{workflow_id}/run",
            json={"inputs": dict(inputs or {})},
            idempotency_key=idempotency_key or _new_key(),
        )
        return _parse(RunAccepted, _unwrap(reply.data, "executionId"), "run response")

    def _op_run_schema(self, workflow_id: str) -> Op[dict[str, Any]]:
        reply: Reply = yield Call("GET", f"/workflows/{workflow_id}/run")
        data = _unwrap(reply.data)
        return dict(data) if isinstance(data, dict) else {"schema": data}

    def _op_trigger_webhook(
        self, webhook_id: str, data: Any, idempotency_key: str | None
    ) -> Op[RunAccepted]:
        reply: Reply = yield Call(
            "POST",
            f"/workflow/{webhook_id}/trigger",
            json=data if data is not None else {},
            idempotency_key=idempotency_key or _new_key(),
            auth=False,
        )
        return _parse(RunAccepted, _unwrap(reply.data, "executionId"), "trigger response")

    def _op_webhook(self, webhook_id: str) -> Op[WebhookInfo]:
        reply: Reply = yield Call("GET", f"/workflow/{webhook_id}/trigger", auth=False)
        return _parse(WebhookInfo, _unwrap(reply.data, "workflowId"), "webhook info")

    def _op_cancel(self, execution_id: str) -> Op[RunAccepted]:
        reply: Reply = yield Call("POST", f"/workflows/executions/{execution_id}/cancel")
        return _parse(RunAccepted, _unwrap(reply.data, "executionId"), "cancel response")

    # --- observing --------------------------------------------------------------------------
    def _op_poll(self, execution_id: str) -> Op[PollResponse]:
        reply: Reply = yield Call("GET", f"/workflows/executions/{execution_id}/poll")
        return _parse(PollResponse, _unwrap(reply.data, "id", "status"), "poll body")

    def _op_get_execution(self, execution_id: str) -> Op[Execution]:
        reply: Reply = yield Call("GET", f"/workflows/executions/{execution_id}")
        return _parse(Execution, _unwrap(reply.data, "id", "status"), "execution")

    def _op_executions_page(
        self, workflow_id: str, cursor: str | None, limit: int, status: str | None
    ) -> Op[Page]:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        if status:
            params["status"] = status.upper()
        reply: Reply = yield Call("GET", f"/workflows/{workflow_id}/executions", params=params)
        data = _unwrap(reply.data, "executions")
        rows = data.get("executions", []) if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise APIError("the execution history is not a list", status_code=200, body=data)
        cursor_out = data.get("nextCursor") if isinstance(data, dict) else None
        return Page(
            [_parse(Execution, r, "execution") for r in rows],
            str(cursor_out) if cursor_out else None,
        )

    def _op_track(
        self, execution_id: str, policy: PollPolicy, *, progress: bool, emit: bool
    ) -> Op[Execution]:
        """Poll until terminal, downloading outputs as they appear; the full execution."""
        deadline = Deadline(policy.timeout)
        pauses = policy.intervals()
        diff = PollDiff(execution_id)
        keys: dict[str, str] = {}
        bar = NodeProgressBar(execution_id) if progress else None
        last: ExecutionStatus | None = None
        try:
            while True:
                try:
                    poll = yield from self._op_poll(execution_id)
                except RateLimitError as exc:
                    pause = exc.retry_after if exc.retry_after is not None else next(pauses)
                    remaining = deadline.remaining
                    if remaining is not None and pause > remaining:
                        raise PollTimeout(
                            execution_id, last.value if last else None, policy.timeout or 0
                        ) from exc
                    yield Sleep(pause)
                    continue
                last = poll.status
                yield from self._op_fetch_all(poll.node_results.node_runs, keys)
                events = diff.events(poll)
                if emit:
                    for event in events:
                        if isinstance(event, NodeCompleted | NodeCached) and event.output:
                            values = local_values(event.output, keys, self.artifacts)
                            event = event.model_copy(update={"outputs": values})
                        yield Emit(event)
                if bar is not None:
                    done = poll.progress.completed if poll.progress else diff.settled_nodes
                    total = poll.progress.total if poll.progress else len(poll.node_states)
                    bar.update(done, total, poll.status.value)
                if poll.status.is_terminal:
                    break
                if deadline.expired:
                    raise PollTimeout(execution_id, poll.status.value, policy.timeout or 0)
                yield Sleep(deadline.clip(next(pauses)))
        finally:
            if bar is not None:
                bar.close()
        execution = yield from self._op_get_execution(execution_id)
        yield from self._op_fetch_all(execution.node_runs, keys)
        return with_outputs(execution, keys, self.artifacts)

    def _op_wait(self, execution_id: str, policy: PollPolicy, progress: bool) -> Op[Execution]:
        execution = yield from self._op_track(execution_id, policy, progress=progress, emit=False)
        if execution.status == ExecutionStatus.FAILED:
            raise ExecutionFailed(execution)
        if execution.status == ExecutionStatus.CANCELLED:
            raise ExecutionCancelled(execution)
        return execution

    def _policy(self, poll: PollPolicy | None, timeout: float | None) -> PollPolicy:
        policy = poll or self.poll_policy
        if timeout is not None:
            policy = PollPolicy(policy.initial, policy.factor, policy.max_interval, timeout)
        return policy

    # --- files ------------------------------------------------------------------------------
    def _op_fetch(self, url: str) -> Op[str]:
        """Bring the bytes behind ``url`` into the artifact store; their key."""
        key = artifact_key(url)
        if key is not None and self.artifacts.exists(key):
            return key
        decoded = decode_data_url(url)
        if decoded is not None:
            return self.artifacts.put(*decoded)
        if url.startswith("artifact:"):
            raise NotFoundError(
                f"artifact {url!r} is not in {self.artifacts.root}", status_code=404
            )
        reply: Reply = yield Call("GET", url, raw=True)
        return self.artifacts.put(reply.data, reply.content_type)

    def _op_fetch_all(self, runs: Sequence[Any], keys: dict[str, str]) -> Op[None]:
        for run in runs:
            if run.output is None:
                continue
            for ref in run.output.media:
                if ref.url not in keys:
                    keys[ref.url] = yield from self._op_fetch(ref.url)

    def _op_download(self, output: Any, dest: str | Path | None) -> Op[Any]:
        if isinstance(output, Media):
            media = output
        else:
            url = output.url if isinstance(output, MediaRef) else output
            if not isinstance(url, str):
                raise TypeError(
                    f"cannot download a {type(output).__name__}; pass a MediaRef or URL"
                )
            key = yield from self._op_fetch(url)
            media = self.artifacts.media(key)
        if dest is None:
            return media
        target = Path(dest)
        if target.is_dir():
            target = target / f"{media.sha256[:16]}{media.extension}"
        return media.save(target)

    def _op_upload(self, source: Any, filename: str | None) -> Op[str]:
        if isinstance(source, Media):
            data, content_type = source.data, source.content_type
            name = filename or f"upload{source.extension}"
        elif isinstance(source, bytes):
            media = Media.from_bytes(source)
            data, content_type = source, media.content_type
            name = filename or f"upload{media.extension}"
        else:
            path = Path(source)
            media = Media.from_file(path)
            data, content_type, name = media.data, media.content_type, filename or path.name
        reply: Reply = yield Call(
            "POST", "/media/upload", files={"file": (name, data, content_type)}
        )
        body = _unwrap(reply.data, "url")
        if not isinstance(body, dict) or not isinstance(body.get("url"), str):
            raise APIError("the upload answer has no url", status_code=reply.status_code, body=body)
        return str(body["url"])

    # --- catalog and account ----------------------------------------------------------------
    def _op_nodes(self) -> Op[list[NodeTypeSpec]]:
        reply: Reply = yield Call("GET", "/nodes")
        data = _unwrap(reply.data, "nodes")
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
        return _parse(Usage, _unwrap(reply.data, "credits", "plan"), "usage")


def _loose_spec(row: dict[str, Any]) -> NodeTypeSpec:
    return NodeTypeSpec.model_construct(
        node_type=row["nodeType"],
        category=str(row.get("category", "")),
        label=str(row.get("label", row["nodeType"])),
        credits=row.get("credits", 0) if isinstance(row.get("credits"), int) else 0,
    )
