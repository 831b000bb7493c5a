"""A second live server on the same home leaves the first one's running executions alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from pipeflow_nb.server.homelock import HomeLock
from tests.server.conftest import wait_terminal
from tests.server.nodes import chain


def test_only_one_holder_at_a_time(tmp_path: Path) -> None:
    first, second = HomeLock(tmp_path), HomeLock(tmp_path)
    assert first.acquire() and not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


async def test_second_server_does_not_recover_live_runs(make_app: Any, tmp_path: Path) -> None:
    home = tmp_path / "shared-home"
    gate = tmp_path / "gate"
    first = make_app(home=home, max_workers=1)
    workflow = chain("test:gate", "test:noop")
    workflow["nodes"][1]["data"]["params"]["path"] = str(gate)
    headers = {"Authorization": f"Bearer {first.state.pipeflow.dev_key}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=first), base_url="http://t/api/v1", headers=headers
    ) as client:
        wf = (await client.post("/workflows", json=workflow)).json()
        run = (await client.post(f"/workflows/{wf['id']}/execute")).json()["executionRuns"][0]
        for _ in range(1500):
            poll = (await client.get(f"/workflows/executions/{run['id']}/poll")).json()
            if poll["nodeStates"][1]["status"] == "RUNNING":
                break
        second = make_app(home=home, max_workers=1)
        assert first.state.pipeflow.lock.held and not second.state.pipeflow.lock.held
        assert second.state.pipeflow.store.executions.status(run["id"]).value == "RUNNING"
        gate.touch()
        done = await wait_terminal(client, run["id"])
        assert done["status"] == "COMPLETED"
        detail = (await client.get(f"/workflows/executions/{run['id']}")).json()
        assert all(r.get("rerunReason") != "server restarted" for r in detail["nodeRuns"])
