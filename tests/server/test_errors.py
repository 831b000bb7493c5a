"""401 / 403 / 404 / 413 / 422 / 400 bodies, exactly as the API contract spells them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.server.nodes import chain, edge, node


def _client(app: FastAPI, key: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t/api/v1", headers=headers
    )


async def test_401_bodies(app: FastAPI) -> None:
    store = app.state.pipeflow.store
    expired, _ = store.keys.create(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    revoked, revoked_key = store.keys.create()
    store.keys.revoke(revoked_key.id)
    cases: list[tuple[dict[str, str], str]] = [
        ({}, "Missing Authorization header"),
        ({"Authorization": "Token abc"}, "Invalid API key format. Expected: Bearer sk-..."),
        ({"Authorization": "Bearer abc"}, "Invalid API key format. Expected: Bearer sk-..."),
        ({"Authorization": "Bearer sk-unknown"}, "Invalid API key"),
        ({"Authorization": "Bearer wf_live_unknown"}, "Invalid API key"),
        ({"Authorization": f"Bearer {revoked}"}, "Invalid API key"),
        ({"Authorization": f"Bearer {expired}"}, "API key has expired"),
    ]
    async with _client(app) as client:
        for headers, message in cases:
            response = await client.get("/workflows", headers=headers)
            assert response.status_code == 401, headers
            assert response.json() == {"error": message}


async def test_403_names_the_missing_scope(app: FastAPI) -> None:
    reader, _ = app.state.pipeflow.store.keys.create(scopes=["workflows:read"])
    async with _client(app, reader) as client:
        assert (await client.get("/workflows")).status_code == 200
        response = await client.post("/workflows", json=chain("test:noop"))
        assert response.status_code == 403
        assert response.json() == {"error": "Forbidden: missing scope workflows:write"}
        usage = await client.get("/developer/usage")
        assert usage.json() == {"error": "Forbidden: missing scope usage:read"}


async def test_404_bodies(client: httpx.AsyncClient) -> None:
    expected = {
        "/workflows/wf_x": "Workflow not found: wf_x",
        "/workflows/executions/exec_x/poll": "Execution not found: exec_x",
        "/workflows/executions/exec_x": "Execution not found: exec_x",
        "/workflows/wf_x/executions": "Workflow not found: wf_x",
    }
    for path, message in expected.items():
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"error": message}
    unknown = await client.get("/no/such/route")
    assert unknown.status_code == 404 and unknown.json()["error"].startswith("Not found")


async def test_413_for_a_body_over_the_cap(make_app: Any) -> None:
    app = make_app(max_body_bytes=2048, max_upload_bytes=4096)
    async with _client(app, app.state.pipeflow.dev_key) as client:
        big = chain("test:noop", text="x" * 4000)
        response = await client.post("/workflows", json=big)
        assert response.status_code == 413
        assert response.json() == {"error": "Request body too large (limit 2048 bytes)"}

        async def stream() -> Any:  # no Content-Length: the cap applies while reading
            for _ in range(10):
                yield b" " * 1000

        chunked = await client.post(
            "/workflows", content=stream(), headers={"Content-Type": "application/json"}
        )
        assert chunked.status_code == 413
        upload = await client.post("/media/upload", files={"file": ("a.bin", b"\0" * 5000)})
        assert upload.status_code == 413 and "limit" in upload.json()["error"]


async def test_422_lists_every_violation(client: httpx.AsyncClient) -> None:
    workflow = {
        "name": "broken",
        "nodes": [
            node("a", "input:text"),
            node("a", "input:text"),
            node("b", "text:nope"),
            node("c", "text:template", template=3),
        ],
        "edges": [edge("a", "ghost"), edge("a", "c", out="text", into="nothing")],
    }
    response = await client.post("/workflows", json=workflow)
    assert response.status_code == 422
    body = response.json()
    rules = sorted(v["rule"] for v in body["violations"])
    assert rules == [
        "bad_param",
        "dangling_edge",
        "duplicate_id",
        "unknown_node_type",
        "unknown_port",
    ]
    assert body["error"].startswith("Workflow is invalid: ")
    by_rule = {v["rule"]: v for v in body["violations"]}
    assert by_rule["unknown_node_type"]["nodeId"] == "b"
    assert by_rule["dangling_edge"]["edgeId"] == "a-ghost"


async def test_400_for_bad_requests(client: httpx.AsyncClient) -> None:
    wf = (await client.post("/workflows", json=chain("test:noop"))).json()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"inputs": {"ghost": 1}}, "inputs names node(s) not in the workflow: 'ghost'"),
        ({"targetNodeId": "ghost"}, "targetNodeId 'ghost' is not a node of the workflow"),
        (
            {
                "iteratorConfigs": [
                    {"nodeId": "brief", "values": [1, 2]},
                    {"nodeId": "n0", "param": "x", "values": [1]},
                ]
            },
            "iteratorConfigs[1]: node 'n0' has no param 'x' (params: none)",
        ),
        (
            {"iteratorConfigs": [{"nodeId": "brief", "values": list(range(1001))}]},
            "iteratorConfigs: ",
        ),
        ({"mode": "sideways"}, "Invalid request: body.mode: "),
    ]
    for body, message in cases:
        response = await client.post(f"/workflows/{wf['id']}/execute", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"].startswith(message), response.json()
    not_json = await client.post(
        f"/workflows/{wf['id']}/execute", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400


async def test_zip_needs_equal_lengths_and_product_multiplies(client: httpx.AsyncClient) -> None:
    wf = (
        await client.post(
            "/workflows",
            json={
                "name": "two inputs",
                "nodes": [
                    node("a", "input:text"),
                    node("b", "input:text"),
                    node("j", "text:concat"),
                ],
                "edges": [
                    edge("a", "j", into="texts"),
                    {**edge("b", "j", into="texts"), "id": "e2"},
                ],
            },
        )
    ).json()
    configs = [{"nodeId": "a", "values": ["x", "y"]}, {"nodeId": "b", "values": ["1", "2", "3"]}]
    zipped = await client.post(f"/workflows/{wf['id']}/execute", json={"iteratorConfigs": configs})
    assert zipped.status_code == 400 and "equal length" in zipped.json()["error"]
    product = await client.post(
        f"/workflows/{wf['id']}/execute", json={"iteratorConfigs": configs, "mode": "product"}
    )
    assert product.status_code == 201
    runs = product.json()["executionRuns"]
    assert [r["inputIndex"] for r in runs] == list(range(6))
    assert len({r["batchId"] for r in runs}) == 1
