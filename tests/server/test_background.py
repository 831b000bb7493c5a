"""The server for real: uvicorn on 127.0.0.1 in a daemon thread (what embedded clients use)."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import httpx

from pipeflow_nb.server import BackgroundServer
from tests.server.nodes import chain, make_registry


def test_background_server_serves_the_api_over_loopback(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with BackgroundServer(home, registry=make_registry()) as server:
        assert server.base_url is not None and server.api_key is not None
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.base_url.endswith("/api/v1")
        mode = stat.S_IMODE((home / "dev-key").stat().st_mode)
        assert mode == 0o600
        assert (home / "dev-key").read_text().strip() == server.api_key
        headers = {"Authorization": f"Bearer {server.api_key}"}
        with httpx.Client(base_url=server.base_url, headers=headers) as client:
            wf = client.post("/workflows", json=chain("test:paint", text="hi")).json()
            run = client.post(f"/workflows/{wf['id']}/execute").json()["executionRuns"][0]
            body: dict[str, object] = {}
            for _ in range(1500):
                body = client.get(f"/workflows/executions/{run['id']}/poll").json()
                if body["status"] == "COMPLETED":
                    break
                time.sleep(0.02)
            assert body["status"] == "COMPLETED", body
            url = body["finalOutput"]["url"]  # type: ignore[index]
            image = client.get(url.removeprefix("/api/v1"))
            assert image.status_code == 200 and image.headers["content-type"] == "image/png"
            schema = client.get("/openapi.json").json()
            assert "/api/v1/workflows/executions/{execution_id}/poll" in schema["paths"]
    assert server.base_url is None
    # A second start on the same home keeps the dev key and the data.
    with BackgroundServer(home, registry=make_registry()) as again:
        assert again.api_key == server.api_key
        with httpx.Client(
            base_url=again.base_url or "", headers={"Authorization": f"Bearer {again.api_key}"}
        ) as client:
            assert [w["id"] for w in client.get("/workflows").json()] == [wf["id"]]
