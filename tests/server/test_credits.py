"""Credits: the 402 pre-check with its breakdown, /estimate, charging per successful node."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.server.conftest import wait_terminal
from tests.server.nodes import chain


def _client(app: FastAPI, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://t/api/v1",
        headers={"Authorization": f"Bearer {key}"},
    )


async def test_402_with_breakdown_for_a_run_and_a_batch(app: FastAPI) -> None:
    key, stored = app.state.pipeflow.store.keys.create(plan="pro", credits=12)
    async with _client(app, key) as client:
        wf = (await client.post("/workflows", json=chain("test:priced", "test:priced"))).json()
        response = await client.post(f"/workflows/{wf['id']}/execute")
        assert response.status_code == 201  # 10 of 12
        await wait_terminal(client, response.json()["executionRuns"][0]["id"])

        batch = {"iteratorConfigs": [{"nodeId": "brief", "values": ["a", "b", "c"]}]}
        refused = await client.post(f"/workflows/{wf['id']}/execute", json=batch)
        assert refused.status_code == 402
        assert refused.json() == {
            "error": "Insufficient credits. Required: 30, Available: 2",
            "insufficientCredits": True,
            "requiredCredits": 30,
            "availableCredits": 2,
            "breakdown": [
                {"nodeId": "brief", "nodeLabel": "Brief", "credits": 0},
                {"nodeId": "n0", "nodeLabel": "Step 0", "credits": 15},
                {"nodeId": "n1", "nodeLabel": "Step 1", "credits": 15},
            ],
        }
        estimate = await client.post(f"/workflows/{wf['id']}/estimate", json=batch)
        assert estimate.json()["requiredCredits"] == 30
        assert estimate.json()["sufficient"] is False
        target = await client.post(f"/workflows/{wf['id']}/estimate", json={"targetNodeId": "n0"})
        assert target.json()["requiredCredits"] == 5
        assert [b["nodeId"] for b in target.json()["breakdown"]] == ["brief", "n0"]
        single = await client.post(f"/workflows/{wf['id']}/run")
        assert single.status_code == 402
        assert single.json()["error"] == "Insufficient credits. Required: 10, Available: 2"
    assert app.state.pipeflow.store.keys.get(stored.id).credits == 2


async def test_charges_successful_nodes_only_and_cached_nodes_are_free(app: FastAPI) -> None:
    key, _ = app.state.pipeflow.store.keys.create(plan="pro", credits=100)
    async with _client(app, key) as client:
        wf = (await client.post("/workflows", json=chain("test:priced", "test:boom"))).json()
        run = (await client.post(f"/workflows/{wf['id']}/execute")).json()["executionRuns"][0]
        poll = await wait_terminal(client, run["id"])
        assert poll["status"] == "FAILED"
        detail = (await client.get(f"/workflows/executions/{run['id']}")).json()
        credits = {r["nodeId"]: r["credits"] for r in detail["nodeRuns"]}
        assert credits == {"brief": 0, "n0": 5, "n1": 0}
        assert detail["creditsUsed"] == 5

        again = (await client.post(f"/workflows/{wf['id']}/execute")).json()["executionRuns"][0]
        await wait_terminal(client, again["id"])
        cached = (await client.get(f"/workflows/executions/{again['id']}")).json()
        priced = next(r for r in cached["nodeRuns"] if r["nodeId"] == "n0")
        assert priced["status"] == "CACHED" and priced["cached"] and priced["credits"] == 0
        usage = (await client.get("/developer/usage")).json()
    assert usage["credits"] == 95 and usage["creditsUsedToday"] == 5
    assert usage["executionsToday"] == 2


async def test_unfinished_runs_reserve_their_credits(make_app: Any, tmp_path: Any) -> None:
    app = make_app(max_workers=1)
    key, _ = app.state.pipeflow.store.keys.create(plan="pro", credits=8)
    gate = tmp_path / "gate"
    workflow = chain("test:gate", "test:priced")
    workflow["nodes"][1]["data"]["params"]["path"] = str(gate)
    async with _client(app, key) as client:
        wf = (await client.post("/workflows", json=workflow)).json()
        first = await client.post(f"/workflows/{wf['id']}/execute")
        assert first.status_code == 201
        second = await client.post(f"/workflows/{wf['id']}/execute")
        assert second.status_code == 402
        assert second.json()["availableCredits"] == 3
        gate.touch()
        await wait_terminal(client, first.json()["executionRuns"][0]["id"])


async def test_concurrent_requests_cannot_overspend(make_app: Any, tmp_path: Any) -> None:
    import asyncio

    app = make_app(max_workers=1)
    key, stored = app.state.pipeflow.store.keys.create(plan="pro", credits=10, requests_per_min=100)
    workflow = chain("test:gate", "test:priced")
    workflow["nodes"][1]["data"]["params"]["path"] = str(tmp_path / "gate")
    async with _client(app, key) as client:
        wf = (await client.post("/workflows", json=workflow)).json()
        answers = await asyncio.gather(
            *(client.post(f"/workflows/{wf['id']}/run") for _ in range(8))
        )
        codes = sorted(a.status_code for a in answers)
        assert codes == [202, 202, 402, 402, 402, 402, 402, 402]
        (tmp_path / "gate").touch()
        for answer in answers:
            if answer.status_code == 202:
                await wait_terminal(client, answer.json()["executionId"])
    # The second run's priced node comes from the cache: only the first one is charged.
    assert app.state.pipeflow.store.keys.get(stored.id).credits == 5
