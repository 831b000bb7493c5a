"""Both clients against the real reference server: in process and over loopback.

Every client method is exercised on a real app with a real engine; the server's home and
the client's artifact store are separate folders, so outputs really travel over HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from starlette.testclient import TestClient

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.client import AsyncClient, Client, PollPolicy
from pipeflow_nb.errors import (
    ExecutionCancelled,
    ExecutionFailed,
    InsufficientCreditsError,
    NotFoundError,
    PipelineValidationError,
)
from pipeflow_nb.media import Image
from pipeflow_nb.models import ExecutionStatus, Workflow
from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.pipeline import Pipeline
from pipeflow_nb.server.app import create_app
from pipeflow_nb.server.background import BackgroundServer
from tests.client.nodes import make_registry

LIVE_POLL = PollPolicy(initial=0.02, factor=1.5, max_interval=0.2, timeout=60)


@pytest.fixture
def registry() -> NodeRegistry:
    return make_registry()


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "client-artifacts")


@pytest.fixture(params=["in-process", "loopback"])
def client(
    request: Any, tmp_path: Path, registry: NodeRegistry, store: ArtifactStore
) -> Iterator[Client]:
    home = tmp_path / "home"
    if request.param == "in-process":
        app = create_app(home, registry=registry)
        with TestClient(app, base_url="http://testserver") as http:
            key = app.state.pipeflow.dev_key
            with Client(
                "http://testserver/api/v1", key, http_client=http, poll=LIVE_POLL, artifacts=store
            ) as c:
                yield c
    else:
        server = BackgroundServer(home, registry=registry)
        base_url = server.start()
        try:
            with Client(base_url, server.api_key, poll=LIVE_POLL, artifacts=store) as c:
                yield c
        finally:
            server.stop()


@pytest.fixture(params=["in-process", "loopback"])
async def aclient(
    request: Any, tmp_path: Path, registry: NodeRegistry, store: ArtifactStore
) -> AsyncIterator[AsyncClient]:
    home = tmp_path / "home"
    if request.param == "in-process":
        app = create_app(home, registry=registry)
        transport = httpx.ASGITransport(app=app)
        key = app.state.pipeflow.dev_key
        try:
            async with AsyncClient(
                "http://asgi/api/v1", key, transport=transport, poll=LIVE_POLL, artifacts=store
            ) as c:
                yield c
        finally:
            app.state.pipeflow.close()
    else:
        with BackgroundServer(home, registry=registry) as server:
            async with AsyncClient(
                server.base_url, server.api_key, poll=LIVE_POLL, artifacts=store
            ) as c:
                yield c


def swatches(registry: NodeRegistry) -> Pipeline:
    p = Pipeline("swatches", registry=registry)
    brief = p.add("input:text", id="brief", text="a lighthouse")
    p.add("t:swatch", id="img", text=brief)
    p.add("t:shout", id="loud", text=brief)
    return p


def failing(registry: NodeRegistry) -> Pipeline:
    p = Pipeline("fails", registry=registry)
    p.add("t:fail", id="f", text=p.add("input:text", id="b", text="x"))
    return p


def lingering(registry: NodeRegistry) -> Pipeline:
    p = Pipeline("slow", registry=registry)
    p.add("t:linger", id="wait", text=p.add("input:text", id="b", text="x"))
    return p


def dangling() -> Workflow:
    return Workflow.model_validate(
        {
            "name": "dangling",
            "nodes": [{"id": "a", "data": {"nodeType": "input:text", "params": {"text": "x"}}}],
            "edges": [{"id": "e1", "source": "a", "target": "ghost"}],
        }
    )


def _png() -> Image:
    return Image.from_array(np.full((3, 3, 3), 9, np.uint8))


def test_every_method_sync(client: Client, registry: NodeRegistry, tmp_path: Path) -> None:
    c = client
    assert {"t:swatch", "input:text"} <= {s.node_type for s in c.nodes()}
    p = swatches(registry)
    assert c.lint(p).ok
    report = c.lint(dangling())
    assert not report.ok and report.violations[0].rule == "dangling_edge"

    wf = c.publish(p)
    assert wf.id and p.workflow_id == wf.id and wf.webhook_id
    assert wf.webhook_url == c.webhook_url(wf)
    assert c.webhook_url(wf).endswith(f"/workflow/{wf.webhook_id}/trigger")
    assert c.publish(p).id == wf.id  # the second publish updates
    assert wf.id in [w.id for w in c.list_workflows()]
    assert c.get_workflow(wf.id).node_ids == ["brief", "img", "loud"]
    assert c.update_workflow(wf, name="renamed").name == "renamed"

    estimate = c.estimate(wf)
    assert estimate.required_credits == 5 and estimate.sufficient
    assert [(b.node_id, b.credits) for b in estimate.breakdown if b.credits] == [("img", 5)]

    started = c.execute(wf, inputs={"brief": "hello"})
    execution = c.wait(started, progress=False)
    assert execution.status == ExecutionStatus.COMPLETED and execution.credits_used == 5
    image = execution.output("img")
    assert isinstance(image, Image) and image.width == 6
    assert c.artifacts.exists(image.sha256 + image.extension)
    assert execution.output("loud") == "HELLO!"
    assert c.poll(started).status == ExecutionStatus.COMPLETED
    assert c.get_execution(started).id == started.execution_ids[0]
    ref = execution.node_run("img").output.images[0]  # type: ignore[union-attr]
    assert c.download(ref, dest=tmp_path / "img.png").read_bytes() == image.data

    schema = c.run_schema(wf)
    assert [i["nodeId"] for i in schema["inputs"]] == ["brief"]
    assert schema["estimatedCredits"] == 5
    accepted = c.run(wf, {"brief": "again"})
    assert c.wait(accepted, progress=False).output("loud") == "AGAIN!"

    events = list(c.watch(c.execute(wf, inputs={"brief": "watched"})))
    assert events[0].type == "execution_started" and events[-1].type == "execution_finished"
    done = {e.node_id: e for e in events if e.type == "node_completed"}
    assert set(done) == {"brief", "img", "loud"}
    assert any(isinstance(v, Image) for v in done["img"].outputs.values())

    hooked = c.trigger_webhook(wf, {"who": "hook"})
    assert c.wait(hooked, progress=False).status == ExecutionStatus.COMPLETED
    assert c.webhook(wf).workflow_id == wf.id

    bad = c.create_workflow(failing(registry))
    with pytest.raises(ExecutionFailed) as failed:
        c.wait(c.execute(bad), progress=False)
    assert failed.value.failed_node_id == "f" and "refusing" in (failed.value.error or "")

    slow = c.create_workflow(lingering(registry))
    run = c.execute(slow)
    c.cancel(run)
    with pytest.raises(ExecutionCancelled):
        c.wait(run, progress=False)

    history = c.executions(wf)
    assert len(list(history)) == 4
    assert len(c.executions(wf, limit=2).collect()) == 2
    assert [e.status for e in c.executions(bad, status="failed")] == [ExecutionStatus.FAILED]
    assert list(history.to_pandas()["status"]) == ["COMPLETED"] * 4
    assert "<table>" in history._repr_html_()

    assert (c.usage().executions_today or 0) >= 6
    assert c.upload(_png(), filename="dot.png")
    c.delete_workflow(bad)
    with pytest.raises(NotFoundError):
        c.get_workflow(bad.id)  # type: ignore[arg-type]
    with pytest.raises(PipelineValidationError) as invalid:
        c.create_workflow(dangling())
    assert invalid.value.rules == ["dangling_edge"]


async def test_every_method_async(
    aclient: AsyncClient, registry: NodeRegistry, tmp_path: Path
) -> None:
    c = aclient
    assert "t:swatch" in {s.node_type for s in await c.nodes()}
    p = swatches(registry)
    assert (await c.lint(p)).ok
    wf = await c.publish(p)
    assert (await c.publish(p)).id == wf.id
    assert wf.id in [w.id for w in await c.list_workflows()]
    assert (await c.get_workflow(wf)).name == "swatches"
    assert (await c.update_workflow(wf, name="renamed")).name == "renamed"
    assert (await c.estimate(wf)).required_credits == 5
    started = await c.execute(wf, inputs={"brief": "async"})
    execution = await c.wait(started, progress=False)
    assert execution.output("loud") == "ASYNC!" and isinstance(execution.output("img"), Image)
    assert (await c.poll(started)).status == ExecutionStatus.COMPLETED
    assert (await c.get_execution(started)).credits_used == 5
    ref = execution.node_run("img").output.images[0]  # type: ignore[union-attr]
    assert (await c.download(ref)).data == execution.output("img").data
    assert (await c.run_schema(wf))["workflowId"] == wf.id
    accepted = await c.run(wf, {"brief": "run"})
    events = [e.type async for e in c.watch(accepted)]
    assert events[0] == "execution_started" and events[-1] == "execution_finished"
    hooked = await c.trigger_webhook(wf, {"who": "hook"})
    await c.wait(hooked, progress=False)
    assert (await c.webhook(wf)).workflow_id == wf.id
    bad = await c.create_workflow(failing(registry))
    with pytest.raises(ExecutionFailed):
        await c.wait(await c.execute(bad), progress=False)
    slow = await c.create_workflow(lingering(registry))
    run = await c.execute(slow)
    await c.cancel(run)
    with pytest.raises(ExecutionCancelled):
        await c.wait(run, progress=False)
    assert len([e async for e in c.executions(wf)]) == 3
    assert len(await c.executions(wf, limit=1).collect()) == 1
    assert (await c.usage()).plan == "enterprise"
    assert await c.upload(_png())
    await c.delete_workflow(bad)
    with pytest.raises(NotFoundError):
        await c.get_workflow(bad)
    with pytest.raises(PipelineValidationError):
        await c.create_workflow(dangling())


def test_402_is_readable(tmp_path: Path, registry: NodeRegistry, store: ArtifactStore) -> None:
    app = create_app(tmp_path / "home", registry=registry, dev_key_credits=3)
    with TestClient(app, base_url="http://testserver") as http:
        c = Client(
            "http://testserver/api/v1",
            app.state.pipeflow.dev_key,
            http_client=http,
            artifacts=store,
        )
        wf = c.publish(swatches(registry))
        assert not c.estimate(wf).sufficient
        with pytest.raises(InsufficientCreditsError) as info:
            c.execute(wf)
    err = info.value
    assert (err.required, err.available) == (5, 3)
    assert [b["nodeId"] for b in err.breakdown if b["credits"]] == ["img"]
    assert "img" in str(err) and "Required: 5" in str(err)


def test_publish_names_node_types_the_service_lacks(client: Client) -> None:
    workflow = Workflow.model_validate(
        {"name": "x", "nodes": [{"id": "n1", "data": {"nodeType": "t:nowhere"}}]}
    )
    with pytest.raises(PipelineValidationError, match="t:nowhere") as info:
        client.publish(workflow)
    assert info.value.violations[0].node_id == "n1"
    assert client.list_workflows() == []


class _AnswerLost(httpx.BaseTransport):
    """Forwards to the server, but loses the answer of the first execute on the way back."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/execute") and not self.lost:
            response.read()
            self.lost += 1
            raise httpx.ReadError("connection reset before the answer arrived", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_retried_execute_runs_once(
    tmp_path: Path, registry: NodeRegistry, store: ArtifactStore
) -> None:
    transport = _AnswerLost()
    with (
        BackgroundServer(tmp_path / "home", registry=registry) as server,
        Client(
            server.base_url, server.api_key, transport=transport, poll=LIVE_POLL, artifacts=store
        ) as c,
    ):
        wf = c.publish(swatches(registry))
        started = c.execute(wf, inputs={"brief": "once"})
        c.wait(started, progress=False)
        assert transport.lost == 1
        assert [e.id for e in c.executions(wf)] == started.execution_ids


def test_batch_runs_with_iterator_configs(client: Client, registry: NodeRegistry) -> None:
    wf = client.publish(swatches(registry))
    configs = [{"nodeId": "brief", "values": ["a", "b", "c"]}]
    estimate = client.estimate(wf, iterator_configs=configs)
    assert estimate.required_credits == 15
    batch = client.execute(wf, iterator_configs=configs)
    assert len(batch.execution_ids) == 3
    louder = [client.wait(eid, progress=False).output("loud") for eid in batch.execution_ids]
    assert louder == ["A!", "B!", "C!"]
    assert len(list(client.executions(wf))) == 3
