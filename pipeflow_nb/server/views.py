"""Response bodies from stored models: poll, detail, history rows, workflow summaries.

Pure mapping, so it is tested without a server.
"""

from __future__ import annotations

from typing import Any

from pipeflow_nb.models.execution import Execution, NodeRun, NodeState, PollResponse
from pipeflow_nb.models.workflow import Workflow, WorkflowSummary

__all__ = ["detail_body", "node_state", "poll_body", "summary_body", "workflow_body"]


_TIME_KEYS = ("startTime", "endTime", "createdAt", "updatedAt")


def _millis(body: dict[str, Any]) -> dict[str, Any]:
    # The API writes timestamps with milliseconds; pydantic writes microseconds.
    for name in _TIME_KEYS:
        value = body.get(name)
        if isinstance(value, str) and len(value) == 27 and value[19] == "." and value[-1] == "Z":
            body[name] = value[:23] + "Z"
    return body


def _execution_times(body: dict[str, Any]) -> dict[str, Any]:
    _millis(body)
    for run in body.get("nodeRuns", ()):
        _millis(run)
    for run in body.get("nodeResults", {}).get("nodeRuns", ()):
        _millis(run)
    return body


def node_state(run: NodeRun) -> NodeState:
    """The poll's one-line summary of a node."""
    urls = [m.url for m in run.output.media] if run.output is not None else []
    return NodeState(
        node_id=run.node_id,
        label=run.label,
        status=run.status,
        error=run.error,
        output_url=urls[0] if urls else None,
        output_urls=urls,
        text=run.output.text if run.output is not None else None,
        progress=run.progress,
    )


def poll_body(execution: Execution) -> dict[str, Any]:
    """The light body of ``/poll``: status, progress, node runs with outputs, node states."""
    runs = [r.model_copy(update={"traceback": None}) for r in execution.node_runs]
    poll = PollResponse(
        id=execution.id,
        status=execution.status,
        error=execution.error,
        failed_node_id=execution.failed_node_id,
        progress=execution.progress,
        node_results={"node_runs": runs},
        node_states=[node_state(r) for r in execution.node_runs],
        final_output=execution.final_output,
    )
    body = _execution_times(poll.to_wire())
    for state in body["nodeStates"]:
        for name in ("error", "outputUrl", "text", "progress"):
            state.setdefault(name, None)
    # Null fields the contract shows explicitly stay in the body as null.
    for name in ("error", "failedNodeId", "finalOutput"):
        body.setdefault(name, None)
    return body


def detail_body(execution: Execution) -> dict[str, Any]:
    """The full execution: timings, credits, node runs, outputs."""
    body = _execution_times(execution.to_wire())
    for name in ("error", "failedNodeId", "endTime", "finalOutput"):
        body.setdefault(name, None)
    return body


def workflow_body(workflow: Workflow) -> dict[str, Any]:
    """A stored workflow as the API returns it."""
    return _millis(workflow.to_wire())


def summary_body(workflow: Workflow) -> dict[str, Any]:
    """One row of ``GET /workflows``."""
    assert workflow.id is not None
    body = WorkflowSummary(
        id=workflow.id,
        name=workflow.name,
        description=workflow.description,
        webhook_id=workflow.webhook_id,
        is_active=workflow.is_active,
        node_count=len(workflow.nodes),
        version=workflow.version,
        updated_at=workflow.updated_at,
    ).to_wire()
    return _millis(body)
