"""Idempotency-Key on execute, run and trigger: replay, 409 on another body, retry after refusal."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.server.nodes import chain


async def test_replay_and_conflict_on_execute(app: FastAPI, client: httpx.AsyncClient) -> None:
    wf = (await client.post("/workflows", json=chain("test:noop"))).json()
    url = f"/workflows/{wf['id']}/execute"
    headers = {"Idempotency-Key": "order-1"}
    first = await client.post(url, json={"inputs": {"brief": "a"}}, headers=headers)
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    # The same meaning in another spelling is the same request.
    second = await client.post(
        url,
        content=b'{ "inputs" : {"brief":"a"} }',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    other = await client.post(url, json={"inputs": {"brief": "b"}}, headers=headers)
    assert other.status_code == 409
    assert other.json() == {
        "error": "Idempotency-Key was already used with a different request body"
    }
    history = (await client.get(f"/workflows/{wf['id']}/executions")).json()
    assert len(history["executions"]) == 1


async def test_a_refused_request_can_be_retried_with_its_key(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    key, stored = app.state.pipeflow.store.keys.create(plan="pro", credits=0)
    wf = (await client.post("/workflows", json=chain("test:priced"))).json()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://t/api/v1",
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "k"},
    ) as poor:
        assert (await poor.post(f"/workflows/{wf['id']}/run")).status_code == 402
        app.state.pipeflow.store.keys.add_credits(stored.id, 5)
        retried = await poor.post(f"/workflows/{wf['id']}/run")
        assert retried.status_code == 202
        replay = await poor.post(f"/workflows/{wf['id']}/run")
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json() == retried.json()


async def test_replay_on_webhook_trigger(app: FastAPI, client: httpx.AsyncClient) -> None:
    wf = (await client.post("/workflows", json=chain("test:noop"))).json()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t/api/v1") as anonymous:
        url = f"/workflow/{wf['webhookId']}/trigger"
        headers = {"Idempotency-Key": "hook-1"}
        first = await anonymous.post(url, json={"brief": "x"}, headers=headers)
        again = await anonymous.post(url, json={"brief": "x"}, headers=headers)
        assert first.status_code == again.status_code == 202
        assert again.json()["executionId"] == first.json()["executionId"]
        assert again.headers["idempotent-replayed"] == "true"
        conflict = await anonymous.post(url, json={"brief": "y"}, headers=headers)
        assert conflict.status_code == 409
