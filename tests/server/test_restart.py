"""Kill a real server process while runs are queued and running; restart it on the same home.

Every run reaches a terminal state and nothing stored before the crash is lost.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.nodes import chain

ROOT = Path(__file__).resolve().parents[2]
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerProcess:
    """A reference server in a child process."""

    def __init__(self, home: Path, policy: str = "rerun"):
        self.home = home
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.server.serve_app",
                str(home),
                str(self.port),
                "1",
                policy,
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(600):
            try:
                httpx.get(f"{self.base}/openapi.json", timeout=1.0)
                return
            except httpx.TransportError:
                if self.proc.poll() is not None:
                    error = self.proc.stderr.read().decode() if self.proc.stderr else ""
                    raise RuntimeError(f"server exited: {error}") from None
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not start")

    def client(self) -> httpx.Client:
        key = (self.home / "dev-key").read_text().strip()
        return httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {key}"})

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@pytest.fixture
def servers() -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()


def _poll_until(
    client: httpx.Client, eid: str, wanted: Any, attempts: int = 1500
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(attempts):
        body = client.get(f"/workflows/executions/{eid}/poll").json()
        if wanted(body):
            return body
        time.sleep(0.02)
    raise AssertionError(f"{eid}: {body}")


def _gated(gate: Path) -> dict[str, Any]:
    workflow = chain("test:gate", "test:noop")
    workflow["nodes"][1]["data"]["params"]["path"] = str(gate)
    return workflow


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stop", "policy"), [("kill", "rerun"), ("kill", "fail"), ("terminate", "fail")]
)
def test_stop_while_running_and_queued_then_restart(
    tmp_path: Path, servers: list[ServerProcess], stop: str, policy: str
) -> None:
    """A killed server's running run is re-run or failed (the policy); a graceful stop
    puts it back in the queue whatever the policy."""
    home = tmp_path / "home"
    gate = tmp_path / "gate-open"
    first = ServerProcess(home, policy)
    servers.append(first)
    with first.client() as client:
        done_wf = client.post("/workflows", json=chain("text:template", text="kept")).json()
        done = client.post(f"/workflows/{done_wf['id']}/execute").json()["executionRuns"][0]
        finished = _poll_until(client, done["id"], lambda b: b["status"] in TERMINAL)
        assert finished["status"] == "COMPLETED"

        gated = client.post("/workflows", json=_gated(gate)).json()
        batch = {"iteratorConfigs": [{"nodeId": "brief", "values": ["a", "b", "c"]}]}
        runs = client.post(f"/workflows/{gated['id']}/execute", json=batch).json()
        ids = [r["id"] for r in runs["executionRuns"]]
        _poll_until(client, ids[0], lambda b: b["nodeStates"][1]["status"] == "RUNNING")
        statuses = [client.get(f"/workflows/executions/{i}/poll").json()["status"] for i in ids]
        assert statuses == ["RUNNING", "QUEUED", "QUEUED"]
    if stop == "kill":
        first.kill()
    else:
        first.stop()

    gate.touch()
    second = ServerProcess(home, policy)
    servers.append(second)
    with second.client() as client:
        ends = [_poll_until(client, i, lambda b: b["status"] in TERMINAL) for i in ids]
        assert [e["status"] for e in ends[1:]] == ["COMPLETED", "COMPLETED"]
        assert [e["finalOutput"]["text"] for e in ends[1:]] == ["b", "c"]
        if policy == "rerun" or stop == "terminate":
            assert ends[0]["status"] == "COMPLETED" and ends[0]["finalOutput"]["text"] == "a"
        else:
            assert ends[0]["status"] == "FAILED"
            assert ends[0]["error"].startswith("The server restarted while this execution was")
        listed = {w["id"] for w in client.get("/workflows").json()}
        assert listed == {done_wf["id"], gated["id"]}
        kept = client.get(f"/workflows/executions/{done['id']}").json()
        assert kept["status"] == "COMPLETED" and kept["finalOutput"] == finished["finalOutput"]
