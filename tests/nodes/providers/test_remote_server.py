"""pipeline:remote against the real reference server, served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pipeflow_nb.media import Image
from pipeflow_nb.nodes.registry import default_registry
from pipeflow_nb.pipeline import Pipeline
from tests.nodes.helpers import arun_node, pil_of


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The reference server on a free port; yields its API base URL."""
    uvicorn = pytest.importorskip("uvicorn")
    from pipeflow_nb.server import create_app

    app = create_app(tmp_path / "home", registry=default_registry())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.02)
    monkeypatch.setenv("PIPEFLOW_API_KEY", app.state.pipeflow.dev_key)
    try:
        yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.pipeflow.close()


def _publish(base: str) -> str:
    import os

    p = Pipeline("thumbnail")
    photo = p.add("input:image", source="cat")
    p.add("image:resize", image=photo, width=40)
    response = httpx.post(
        f"{base}/workflows",
        content=p.to_json(),
        headers={
            "Authorization": f"Bearer {os.environ['PIPEFLOW_API_KEY']}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 201, response.text
    workflow_id: str = response.json()["id"]
    return workflow_id


@pytest.mark.slow
async def test_remote_runs_a_published_workflow_with_new_inputs(service: str) -> None:
    workflow_id = _publish(service)
    cat = await arun_node("pipeline:remote", workflow_id=workflow_id, base_url=service)
    assert isinstance(cat["value"], Image)
    assert pil_of(cat["value"]).size == (40, 27)
    person = await arun_node(
        "pipeline:remote",
        {"inputs": {"image": "person"}},
        workflow_id=workflow_id,
        base_url=service,
    )
    assert pil_of(person["value"]).size == (40, 40)
    assert person["outputs"]["resize"]["images"][0]["url"].startswith(service.split("/api")[0])
