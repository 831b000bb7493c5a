"""``pipeline:remote``: run a workflow published on a pipeline service, as one node.

Follows the service's REST API: ``POST /workflows/{id}/execute`` with ``inputs`` (and an
``Idempotency-Key``), then ``GET /workflows/executions/{eid}/poll`` with back-off until the
run is ``COMPLETED``, ``FAILED`` or ``CANCELLED``. Outputs are downloaded at once into
media values. ``base_url`` defaults to ``$PIPEFLOW_BASE_URL``; the key comes from
``$PIPEFLOW_API_KEY``.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, TypedDict
from urllib.parse import urljoin

import httpx

from pipeflow_nb.media import Audio, Image, Video
from pipeflow_nb.nodes.builtin._define import builtin
from pipeflow_nb.nodes.context import NodeContext
from pipeflow_nb.nodes.providers._http import api_key, check, download, poll

__all__ = ["RemoteExecutionFailed", "pipeline_remote"]

_TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}
_KINDS: dict[str, type[Image] | type[Video] | type[Audio]] = {
    "images": Image,
    "videos": Video,
    "audio": Audio,
}


class RemoteExecutionFailed(RuntimeError):
    """The remote execution ended FAILED or CANCELLED; names it, the node and the message."""

    def __init__(self, execution_id: str, status: str, node_id: str | None, error: str | None):
        self.execution_id = execution_id
        self.status = status
        self.failed_node_id = node_id
        self.error = error
        where = f" at node {node_id!r}" if node_id else ""
        super().__init__(f"remote execution {execution_id} {status.lower()}{where}: {error or ''}")


class RemoteResult(TypedDict):
    value: Any
    outputs: dict[str, Any]


@builtin(
    "pipeline:remote",
    label="Remote pipeline",
    category="pipeline",
    primary_param="workflow_id",
    deterministic=False,
    port_descriptions={
        "inputs": "{nodeId: value} merged over the inputs param",
        "value": "the output of output_node (or of the last node that produced one)",
        "outputs": "every node's output as the service reported it, URLs made absolute",
    },
)
async def pipeline_remote(
    inputs: dict[str, Any] | None = None,
    *,
    workflow_id: str = "",
    base_url: str = "",
    values: dict[str, Any] | None = None,
    output_node: str = "",
    timeout_s: float = 600.0,
    ctx: NodeContext,
) -> RemoteResult:
    """Execute a published workflow on a pipeline service and return its outputs.

    ``values`` (param) and the ``inputs`` edge give the workflow's input-node values.
    ``value`` is ``output_node``'s first media (downloaded), text or JSON.
    """
    if not workflow_id:
        raise ValueError("set workflow_id to the id of a published workflow (wf_...)")
    base = (base_url or os.environ.get("PIPEFLOW_BASE_URL", "")).rstrip("/")
    if not base:
        raise ValueError("set base_url or PIPEFLOW_BASE_URL (e.g. http://127.0.0.1:8787/api/v1)")
    headers = {"Authorization": f"Bearer {api_key('PIPEFLOW_API_KEY', 'pipeline service')}"}
    body = {"inputs": {**(values or {}), **(inputs or {})}}
    async with httpx.AsyncClient(timeout=60.0, headers=headers) as client:
        started = check(
            await client.post(
                f"{base}/workflows/{workflow_id}/execute",
                json=body,
                headers={"Idempotency-Key": str(uuid.uuid4())},
            ),
            "pipeline service",
        ).json()
        execution_id = started["executionRuns"][0]["id"]

        async def fetch() -> dict[str, Any]:
            url = f"{base}/workflows/executions/{execution_id}/poll"
            state: dict[str, Any] = check(await client.get(url), "pipeline service").json()
            progress = state.get("progress") or {}
            ctx.progress(progress.get("completed", 0), max(1, progress.get("total", 1)))
            return state

        state = await poll(
            fetch,
            lambda s: str(s.get("status", "")).upper() in _TERMINAL,
            what=f"execution {execution_id}",
            status_of=lambda s: s.get("status"),
            timeout_s=timeout_s,
            first_delay_s=0.2,
        )
        status = str(state.get("status")).upper()
        if status != "COMPLETED":
            raise RemoteExecutionFailed(
                execution_id, status, state.get("failedNodeId"), state.get("error")
            )
        runs = (state.get("nodeResults") or {}).get("nodeRuns") or []
        outputs = {run["nodeId"]: _absolute(run.get("output") or {}, base) for run in runs}
        value = await _value(client, outputs, output_node, runs)
    return {"value": value, "outputs": outputs}


def _absolute(output: dict[str, Any], base: str) -> dict[str, Any]:
    """Output with every media ``url`` joined to the service origin."""
    fixed = dict(output)
    for key in _KINDS:
        if isinstance(fixed.get(key), list):
            fixed[key] = [
                {**item, "url": urljoin(base + "/", item["url"])} if "url" in item else item
                for item in fixed[key]
            ]
    return fixed


async def _value(
    client: httpx.AsyncClient, outputs: dict[str, Any], node: str, runs: list[dict[str, Any]]
) -> Any:
    order = [node] if node else [r["nodeId"] for r in reversed(runs) if r.get("output")]
    if node and node not in outputs:
        raise ValueError(f"output_node {node!r} produced no output (nodes: {sorted(outputs)})")
    for node_id in order:
        output = outputs.get(node_id) or {}
        for key, kind in _KINDS.items():
            if output.get(key):
                return await download(client, output[key][0]["url"], kind)
        for key in ("text", "json"):
            if output.get(key) is not None:
                return output[key]
    return None
