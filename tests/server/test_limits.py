"""Per-key rate limits by plan: requests/min, executions/min and daily caps (429s)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.server.nodes import chain

NOW = 1_800_000_000.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def _client(app: Any, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://t/api/v1",
        headers={"Authorization": f"Bearer {key}"},
    )


async def test_requests_per_minute_by_plan(make_app: Any) -> None:
    clock = Clock()
    app = make_app(clock=clock)
    key, _ = app.state.pipeflow.store.keys.create(plan="free")
    async with _client(app, key) as client:
        for i in range(10):
            ok = await client.get("/workflows")
            assert ok.status_code == 200
            assert ok.headers["x-ratelimit-limit"] == "10"
            assert ok.headers["x-ratelimit-remaining"] == str(9 - i)
            assert ok.headers["x-ratelimit-reset"] == str(int(NOW) + 60)
        clock.now += 15
        limited = await client.get("/workflows")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "45"
        assert limited.json() == {
            "error": "Rate limit exceeded: 10 requests per minute",
            "retryAfter": int(NOW) + 60,
        }
        assert limited.headers["x-ratelimit-remaining"] == "0"
        clock.now += 45
        assert (await client.get("/workflows")).status_code == 200


async def test_executions_per_minute_and_daily_cap(make_app: Any) -> None:
    clock = Clock()
    app = make_app(clock=clock)
    key, _ = app.state.pipeflow.store.keys.create(
        plan="free", requests_per_min=1000, executions_per_day=12
    )
    async with _client(app, key) as client:
        wf = (await client.post("/workflows", json=chain("test:noop"))).json()
        for _ in range(10):
            assert (await client.post(f"/workflows/{wf['id']}/run")).status_code == 202
        limited = await client.post(f"/workflows/{wf['id']}/run")
        assert limited.status_code == 429
        assert limited.json()["error"] == "Rate limit exceeded: 10 executions per minute"
        assert limited.headers["retry-after"] == "60"
        clock.now += 60
        batch = {"iteratorConfigs": [{"nodeId": "brief", "values": ["a", "b", "c"]}]}
        over = await client.post(f"/workflows/{wf['id']}/execute", json=batch)
        assert over.status_code == 429
        assert over.json()["error"] == (
            "Daily execution limit reached: 10 of 12 runs used today; this request needs 3"
        )
        assert int(over.headers["retry-after"]) > 0
        assert over.json()["retryAfter"] % 86400 == 0
        two = {"iteratorConfigs": [{"nodeId": "brief", "values": ["a", "b"]}]}
        assert (await client.post(f"/workflows/{wf['id']}/execute", json=two)).status_code == 201
        usage = (await client.get("/developer/usage")).json()
        assert usage["executionsToday"] == 12


async def test_calls_without_a_key_are_limited_by_address(make_app: Any) -> None:
    app = make_app(clock=Clock(), anonymous_requests_per_min=3)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t/api/v1"
    ) as client:
        statuses = [(await client.get("/workflows")).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
