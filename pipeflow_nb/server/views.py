"""Response bodies from stored models: poll, detail, history rows, workflow summaries.

Pure mapping, so it is tested without a server.
"""

from __future__ import annotations

from typing import Any

from pipeflow_nb.models.execution import Execution, NodeRun, NodeState, PollResponse
from pipeflow_nb.models.workflow import Workflow, WorkflowSummary

__all__ = [
    "detail_body",
    "node_state",
    "poll_body",
    "summary_body",
    "workflow_body",
]


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
    body = poll.to_wire()
    for state in body["nodeStates"]:
        for name in ("error", "outputUrl", "text", "progress"):
            state.setdefault(name, None)
    # Null fields the contract shows explicitly stay in the body as null.
    for name in ("error", "failedNodeId", "finalOutput"):
        body.setdefault(name, None)
    return body


def detail_body(execution: Execution) -> dict[str, Any]:
    """The full execution: timings, credits, node runs, outputs."""
    body = execution.to_wire()
    for name in ("error", "failedNodeId", "endTime", "finalOutput"):
        body.setdefault(name, None)
    return body


def workflow_body(workflow: Workflow) -> dict[str, Any]:
    """A stored workflow as the API returns it."""
    return workflow.to_wire()


def summary_body(workflow: Workflow) -> dict[str, Any]:
    """One row of ``GET /workflows``."""
    assert workflow.id is not None
    return WorkflowSummary(
        id=workflow.id,
        name=workflow.name,
        description=workflow.description,
        webhook_id=workflow.webhook_id,
        is_active=workflow.is_active,
        node_count=len(workflow.nodes),
        version=workflow.version,
        updated_at=workflow.updated_at,
    ).to_wire()
