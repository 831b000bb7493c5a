"""Module-level helpers and the lazy exports of the package."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pipeflow_nb as pf
from pipeflow_nb import helpers
from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.client import Client, ExecutionHistory, PollPolicy
from pipeflow_nb.models import ExecutionStatus
from pipeflow_nb.server.background import BackgroundServer
from tests.client.nodes import make_registry
from tests.client.test_live import swatches


def test_import_pulls_in_no_heavy_stack() -> None:
    code = (
        "import sys, pipeflow_nb\n"
        "heavy = ['fastapi', 'uvicorn', 'ipywidgets', 'ipycytoscape', 'pipeflow_nb.client',"
        " 'pipeflow_nb.helpers', 'tqdm']\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "import threading; print(threading.active_count())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["[]", "1"]


def test_lazy_exports_resolve() -> None:
    assert pf.Client is Client
    assert pf.PollPolicy is PollPolicy
    assert pf.AsyncClient.__name__ == "AsyncClient"
    for name in ["execute", "executions", "poll", "publish", "trigger_webhook", "wait"]:
        assert getattr(pf, name) is getattr(helpers, name)
        assert name in pf.__all__ and name in dir(pf)
    assert pf.__all__ == sorted(pf.__all__)


@pytest.fixture
def default_client(tmp_path: Path) -> Iterator[Client]:
    registry = make_registry()
    with BackgroundServer(tmp_path / "home", registry=registry) as server:
        client = Client(
            server.base_url,
            server.api_key,
            poll=PollPolicy(initial=0.02, max_interval=0.2, timeout=60),
            artifacts=ArtifactStore(tmp_path / "artifacts"),
        )
        helpers.set_default_client(client)
        try:
            yield client
        finally:
            helpers.set_default_client(None)
            client.close()


def test_helpers_use_the_default_client(default_client: Client) -> None:
    assert helpers.default_client() is default_client
    p = swatches(make_registry())
    wf = pf.publish(p)
    assert p.workflow_id == wf.id
    started = pf.execute(wf, inputs={"brief": "helpers"})
    assert pf.poll(started).id == started.execution_ids[0]
    assert pf.wait(started, progress=False).output("loud") == "HELPERS!"
    hooked = pf.trigger_webhook(wf, {"from": "helpers"})
    assert pf.wait(hooked, progress=False).status == ExecutionStatus.COMPLETED
    history = pf.executions(wf)
    assert isinstance(history, ExecutionHistory) and len(list(history)) == 2
    p.set_params("brief", text="edited")
    assert p.publish().id == wf.id  # Pipeline.publish goes through the default client
    assert default_client.get_workflow(wf).node("brief").data.params["text"] == "edited"


def test_a_closed_default_is_replaced(default_client: Client) -> None:
    default_client.close()
    fresh = helpers.default_client()
    assert fresh is not default_client and not fresh.is_closed
    fresh.close()
