"""Pure helpers that read service bodies and the things callers pass as references."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pipeflow_nb.errors import APIError
from pipeflow_nb.models.execution import ExecuteResponse, Execution, PollResponse, RunAccepted
from pipeflow_nb.models.workflow import Workflow

__all__ = [
    "execution_id_of",
    "graph_body",
    "new_idempotency_key",
    "parse",
    "to_workflow",
    "unwrap",
    "webhook_id_of",
    "workflow_id_of",
]

M = TypeVar("M", bound=BaseModel)


def unwrap(body: Any, *markers: str) -> Any:
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


def parse(model: type[M], body: Any, what: str, status_code: int = 200) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise APIError(
            f"unexpected {what} from the service: {exc.errors()[0]['msg']} "
            f"at {'.'.join(str(p) for p in exc.errors()[0]['loc']) or 'top level'}",
            status_code=status_code,
            body=body,
        ) from None


def to_workflow(source: Any) -> Workflow:
    if isinstance(source, Workflow):
        return source
    to_workflow = getattr(source, "to_workflow", None)
    if callable(to_workflow):
        workflow = to_workflow()
        if isinstance(workflow, Workflow):
            return workflow
    raise TypeError(f"expected a Pipeline or a Workflow, not {type(source).__name__}")


def graph_body(workflow: Workflow) -> dict[str, Any]:
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


def new_idempotency_key() -> str:
    """A fresh ``Idempotency-Key`` (one per logical request, reused by its retries)."""
    return str(uuid.uuid4())
