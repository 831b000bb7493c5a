"""pipeline:remote against a fake pipeline service speaking the v1 API."""

from __future__ import annotations

import pytest

from pipeflow_nb.media import Image
from pipeflow_nb.nodes.providers import MissingAPIKeyError
from pipeflow_nb.nodes.providers.remote import RemoteExecutionFailed
from tests.nodes.helpers import arun_node
from tests.nodes.providers.fake_server import FakeProvider, Request


@pytest.fixture
def service(fake: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    monkeypatch.setenv("PIPEFLOW_API_KEY", "sk-remote")
    monkeypatch.setenv("PIPEFLOW_BASE_URL", fake.url + "/api/v1")
    run = {
        "id": "exec_1",
        "status": "QUEUED",
        "nodeRuns": [],
        "runIndexInBatch": 0,
        "inputIndex": 0,
    }
    fake.sequence(
        "POST",
        "/api/v1/workflows/wf_1/execute",
        [
            (
                201,
                {"location": "/api/v1/workflows/executions/exec_1"},
                {"workflowId": "wf_1", "batchId": "b", "executionRuns": [run]},
            )
        ],
    )
    return fake


def _poll(status: str, runs: list[dict[str, object]], **extra: object) -> dict[str, object]:
    return {
        "id": "exec_1",
        "status": status,
        "error": None,
        "failedNodeId": None,
        "progress": {"completed": len(runs), "total": 2},
        "nodeResults": {"nodeRuns": runs},
        **extra,
    }


async def test_executes_polls_and_downloads_outputs(service: FakeProvider, png: bytes) -> None:
    runs = [
        {"nodeId": "brief", "status": "COMPLETED", "output": {"text": "a fox"}},
        {
            "nodeId": "img",
            "status": "COMPLETED",
            "output": {"images": [{"url": "/api/v1/files/ab.png"}]},
        },
    ]
    service.sequence(
        "GET",
        "/api/v1/workflows/executions/exec_1/poll",
        [(200, {}, _poll("RUNNING", runs[:1])), (200, {}, _poll("COMPLETED", runs))],
    )

    def file(request: Request) -> tuple[int, dict[str, str], bytes | dict[str, str]]:
        if request.headers.get("authorization") != "Bearer sk-remote":
            return 401, {}, {"error": "Invalid API key"}
        return 200, {"content-type": "image/png"}, png

    service.route("GET", "/api/v1/files/ab.png")(file)
    out = await arun_node(
        "pipeline:remote", {"inputs": {"brief": "a fox"}}, workflow_id="wf_1", values={"other": 1}
    )
    assert out["value"] == Image(png)
    assert out["outputs"]["img"]["images"][0]["url"] == f"{service.url}/api/v1/files/ab.png"
    assert out["outputs"]["brief"] == {"text": "a fox"}
    (execute,) = service.calls("POST", "/api/v1/workflows/wf_1/execute")
    assert execute.json() == {"inputs": {"other": 1, "brief": "a fox"}}
    assert execute.headers["idempotency-key"]
    text = await arun_node("pipeline:remote", workflow_id="wf_1", output_node="brief")
    assert text["value"] == "a fox"


async def test_a_failed_run_names_the_node(service: FakeProvider) -> None:
    service.sequence(
        "GET",
        "/api/v1/workflows/executions/exec_1/poll",
        [(200, {}, _poll("FAILED", [], error="boom", failedNodeId="img"))],
    )
    with pytest.raises(RemoteExecutionFailed, match="exec_1 failed at node 'img': boom"):
        await arun_node("pipeline:remote", workflow_id="wf_1")


async def test_needs_a_workflow_and_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="workflow_id"):
        await arun_node("pipeline:remote")
    monkeypatch.setenv("PIPEFLOW_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("PIPEFLOW_API_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError, match="PIPEFLOW_API_KEY"):
        await arun_node("pipeline:remote", workflow_id="wf_1")
