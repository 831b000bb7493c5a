"""The whole lifecycle against the real app over HTTP (httpx.ASGITransport)."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI

from tests.server.conftest import wait_terminal
from tests.server.nodes import chain, edge, node

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def _create(client: httpx.AsyncClient, workflow: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/workflows", json=workflow)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_execute_poll_and_read_outputs(client: httpx.AsyncClient) -> None:
    created = await _create(client, chain("text:template", "test:paint", text="Ada"))
    assert created["id"].startswith("wf_") and len(created["webhookId"]) > 30
    assert created["version"] == 1 and TIMESTAMP.match(created["createdAt"])
    listed = (await client.get("/workflows")).json()
    assert [w["id"] for w in listed] == [created["id"]] and listed[0]["nodeCount"] == 3

    response = await client.post(
        f"/workflows/{created['id']}/execute", json={"inputs": {"brief": "Grace"}}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    run = body["executionRuns"][0]
    assert response.headers["location"] == f"/api/v1/workflows/executions/{run['id']}"
    assert body["workflowId"] == created["id"] and run["batchId"] == body["batchId"]
    assert run["status"] == "QUEUED" and run["endTime"] is None and run["nodeRuns"] == []
    assert (run["runIndexInBatch"], run["inputIndex"]) == (0, 0)

    poll = await wait_terminal(client, run["id"])
    assert poll["status"] == "COMPLETED", poll
    assert poll["progress"] == {"completed": 3, "total": 3}
    assert poll["error"] is None and poll["failedNodeId"] is None
    states = {s["nodeId"]: s for s in poll["nodeStates"]}
    assert states["n0"]["text"] == "Grace"
    image_url = states["n1"]["outputUrl"]
    assert image_url.startswith("/api/v1/files/") and image_url.endswith(".png")
    assert poll["finalOutput"]["url"] == image_url
    runs = {r["nodeId"]: r for r in poll["nodeResults"]["nodeRuns"]}
    assert runs["n1"]["output"]["images"][0]["url"] == image_url

    file = await client.get(image_url.removeprefix("/api/v1"))
    assert file.status_code == 200
    assert file.headers["content-type"] == "image/png"
    assert file.content.startswith(b"\x89PNG")
    etag = file.headers["etag"]
    again = await client.get(image_url.removeprefix("/api/v1"), headers={"If-None-Match": etag})
    assert again.status_code == 304

    detail = (await client.get(f"/workflows/executions/{run['id']}")).json()
    assert detail["workflowId"] == created["id"] and detail["batchId"] == body["batchId"]
    assert TIMESTAMP.match(detail["startTime"]) and TIMESTAMP.match(detail["endTime"])
    assert detail["durationMs"] >= 0 and detail["creditsUsed"] == 0
    node_run = detail["nodeRuns"][2]
    for field in ("startTime", "endTime", "durationMs", "credits", "cached"):
        assert field in node_run, field


async def test_files_refuse_traversal_and_unknown_keys(client: httpx.AsyncClient) -> None:
    for key in ("..%2F..%2Fpipeflow.db", "dev-key", "0" * 64 + ".png", "%2e%2e"):
        response = await client.get(f"/files/{key}")
        assert response.status_code == 404, key
        assert response.json()["error"].startswith(("File not found", "Not found"))


async def test_history_is_newest_first_with_cursor_pagination(client: httpx.AsyncClient) -> None:
    wf = await _create(client, chain("test:noop"))
    ids = []
    for i in range(5):
        r = await client.post(f"/workflows/{wf['id']}/execute", json={"inputs": {"brief": str(i)}})
        ids.append(r.json()["executionRuns"][0]["id"])
    for eid in ids:
        await wait_terminal(client, eid)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(f"/workflows/{wf['id']}/executions", params=params)).json()
        pages += 1
        seen += [e["id"] for e in page["executions"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == ids[::-1] and pages == 3
    failed = await client.get(f"/workflows/{wf['id']}/executions", params={"status": "FAILED"})
    assert failed.json() == {"executions": [], "nextCursor": None}
    bad = await client.get(f"/workflows/{wf['id']}/executions", params={"cursor": "nope"})
    assert bad.status_code == 400 and "cursor" in bad.json()["error"]
    too_many = await client.get(f"/workflows/{wf['id']}/executions", params={"limit": 101})
    assert too_many.status_code == 400


async def test_webhook_runs_without_a_key_and_maps_inputs(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    wf = await _create(client, chain("text:template", text="nobody"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t/api/v1") as anonymous:
        url = f"/workflow/{wf['webhookId']}/trigger"
        described = await anonymous.get(url)
        assert described.status_code == 200
        assert described.json()["workflowId"] == wf["id"] and described.json()["isActive"]
        triggered = await anonymous.post(url, json={"Brief": "from a webhook", "extra": 1})
        assert triggered.status_code == 202, triggered.text
        assert triggered.json()["status"] == "queued" and triggered.json()["message"]
        missing = await anonymous.post("/workflow/wh_nope/trigger", json={})
        assert (
            missing.status_code == 404 and missing.json()["error"] == "Webhook not found: wh_nope"
        )
        not_object = await anonymous.post(url, json=[1, 2])
        assert not_object.status_code == 400
    poll = await wait_terminal(client, triggered.json()["executionId"])
    assert poll["status"] == "COMPLETED"
    assert poll["finalOutput"]["text"] == "from a webhook"


async def test_a_failing_node_fails_the_run_and_skips_what_follows(
    client: httpx.AsyncClient,
) -> None:
    wf = await _create(client, chain("test:boom", "test:noop"))
    run = (await client.post(f"/workflows/{wf['id']}/execute")).json()["executionRuns"][0]
    poll = await wait_terminal(client, run["id"])
    assert poll["status"] == "FAILED"
    assert poll["failedNodeId"] == "n0" and "boom" in poll["error"]
    states = {s["nodeId"]: s["status"] for s in poll["nodeStates"]}
    assert states == {"brief": "COMPLETED", "n0": "FAILED", "n1": "SKIPPED"}


async def test_cancel_a_running_and_a_queued_run(make_app: Any, tmp_path: Any) -> None:
    app = make_app(max_workers=1)
    key = app.state.pipeflow.dev_key
    gate_file = tmp_path / "never"
    workflow = {
        "name": "gated",
        "nodes": [
            node("brief", "input:text", text="x"),
            node("wait", "test:gate", path=str(gate_file)),
        ],
        "edges": [edge("brief", "wait")],
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t/api/v1", headers={"Authorization": f"Bearer {key}"}
    ) as client:
        wf = await _create(client, workflow)
        first = (await client.post(f"/workflows/{wf['id']}/execute")).json()["executionRuns"][0]
        second = (await client.post(f"/workflows/{wf['id']}/execute")).json()["executionRuns"][0]
        for _ in range(1500):
            poll = (await client.get(f"/workflows/executions/{first['id']}/poll")).json()
            states = {s["nodeId"]: s["status"] for s in poll["nodeStates"]}
            if states["wait"] == "RUNNING":
                break
        queued = await client.post(f"/workflows/executions/{second['id']}/cancel")
        assert queued.status_code == 202
        assert queued.json() == {"executionId": second["id"], "status": "CANCELLED"}
        running = await client.post(f"/workflows/executions/{first['id']}/cancel")
        assert running.status_code == 202
        assert (await wait_terminal(client, first["id"]))["status"] == "CANCELLED"
        assert (await wait_terminal(client, second["id"]))["status"] == "CANCELLED"
        missing = await client.post("/workflows/executions/exec_nope/cancel")
        assert missing.status_code == 404


async def test_update_versions_delete_and_lint(client: httpx.AsyncClient) -> None:
    wf = await _create(client, chain("test:noop"))
    renamed = await client.put(f"/workflows/{wf['id']}", json={"name": "renamed"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "renamed" and renamed.json()["version"] == 2
    assert len(renamed.json()["nodes"]) == 2  # fields left out are kept
    off = await client.put(f"/workflows/{wf['id']}", json={"isActive": False})
    assert off.json()["isActive"] is False
    refused = await client.post(f"/workflows/{wf['id']}/execute")
    assert refused.status_code == 400 and refused.json() == {"error": "Workflow is not active"}
    hook = await client.post(f"/workflow/{wf['webhookId']}/trigger", json={})
    assert hook.status_code == 400 and hook.json() == {"error": "Workflow is not active"}
    described = await client.get(f"/workflow/{wf['webhookId']}/trigger")
    assert described.json()["isActive"] is False
    schema = (await client.get(f"/workflows/{wf['id']}/run")).json()["data"]
    assert [i["nodeId"] for i in schema["inputs"]] == ["brief"]
    lint = await client.post("/workflows/lint", json={"nodes": [node("a", "text:nope")]})
    assert lint.status_code == 200
    assert (
        lint.json()["ok"] is False and lint.json()["violations"][0]["rule"] == "unknown_node_type"
    )
    assert (await client.delete(f"/workflows/{wf['id']}")).status_code == 204
    gone = await client.get(f"/workflows/{wf['id']}")
    assert gone.status_code == 404 and gone.json() == {"error": f"Workflow not found: {wf['id']}"}


async def test_nodes_usage_and_upload(app: FastAPI, client: httpx.AsyncClient) -> None:
    nodes = (await client.get("/nodes")).json()["nodes"]
    assert {"input:text", "test:priced"} <= {n["nodeType"] for n in nodes}
    priced = next(n for n in nodes if n["nodeType"] == "test:priced")
    assert priced["credits"] == 5
    usage = (await client.get("/developer/usage")).json()
    assert usage["plan"] == "enterprise" and usage["executionsToday"] == 0
    assert usage["limits"] == {
        "requestsPerMinute": 200,
        "executionsPerMinute": 10,
        "executionsPerDay": None,
    }
    png = (await client.get("/nodes")).content  # any bytes will do for the round trip
    upload = await client.post("/media/upload", files={"file": ("notes.txt", png, "text/plain")})
    assert upload.status_code == 201, upload.text
    back = await client.get(upload.json()["url"].removeprefix("/api/v1"))
    assert back.content == png and back.headers["content-type"].startswith("text/plain")


async def test_every_response_has_request_id_and_rate_limit_headers(
    client: httpx.AsyncClient,
) -> None:
    for response in (
        await client.get("/workflows"),
        await client.get("/workflows/wf_missing"),
        await client.get("/nope"),
        await client.get("/workflows", headers={"Authorization": ""}),
        await client.get("/openapi.json"),
    ):
        assert response.headers["x-request-id"], response.url
        for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
            assert response.headers[name].isdigit(), (response.url, name)
    echoed = await client.get("/workflows", headers={"X-Request-Id": "abc123"})
    assert echoed.headers["x-request-id"] == "abc123"


async def test_poll_shows_live_node_status_progress_and_outputs(
    client: httpx.AsyncClient, tmp_path: Any
) -> None:
    gate = tmp_path / "gate"
    workflow = chain("test:halfway", "test:noop", text="live")
    workflow["nodes"][1]["data"]["params"]["path"] = str(gate)
    wf = await _create(client, workflow)
    run = (await client.post(f"/workflows/{wf['id']}/execute")).json()["executionRuns"][0]
    poll: dict[str, Any] = {}
    for _ in range(1500):
        poll = (await client.get(f"/workflows/executions/{run['id']}/poll")).json()
        if poll["nodeStates"][1]["progress"] == 50.0:
            break
    states = {s["nodeId"]: s for s in poll["nodeStates"]}
    assert poll["status"] == "RUNNING" and poll["progress"] == {"completed": 1, "total": 3}
    assert states["brief"]["status"] == "COMPLETED" and states["brief"]["text"] == "live"
    assert states["n0"]["status"] == "RUNNING" and states["n0"]["progress"] == 50.0
    assert states["n1"]["status"] == "PENDING"
    gate.touch()
    done = await wait_terminal(client, run["id"])
    assert done["status"] == "COMPLETED" and done["finalOutput"]["text"] == "live"
