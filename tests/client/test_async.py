"""AsyncClient edge cases against a scripted service: the same behaviour as Client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.client import AsyncClient, PollPolicy
from pipeflow_nb.errors import (
    APIConnectionError,
    ClientClosedError,
    ExecutionFailed,
    PipelineValidationError,
    PollTimeout,
    ServerError,
)
from pipeflow_nb.models import ExecutionStatus
from tests.client.fakes import (
    BASE,
    FAST_POLL,
    FAST_RETRY,
    Script,
    closed_port_url,
    json_response,
)

EXEC = "exec_1"


@pytest.fixture
async def aclient(script: Script, store: ArtifactStore) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(
        BASE,
        "sk-test",
        transport=httpx.MockTransport(script),
        retry=FAST_RETRY,
        poll=FAST_POLL,
        artifacts=store,
    ) as c:
        yield c


async def test_429_then_success(aclient: AsyncClient, script: Script) -> None:
    script.on(
        "GET",
        "/workflows",
        json_response(429, {"error": "slow"}, **{"Retry-After": "0"}),
        json_response(200, [{"id": "wf_1"}]),
    )
    assert [w.id for w in await aclient.list_workflows()] == ["wf_1"]
    assert len(script.requests) == 2


async def test_5xx_retry_and_idempotent_post(aclient: AsyncClient, script: Script) -> None:
    seen: list[str] = []

    def execute(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Idempotency-Key"])
        if len(seen) == 1:
            return json_response(503, {"error": "busy"})
        return json_response(201, {"executionRuns": [{"id": EXEC, "status": "queued"}]})

    script.on("POST", "/workflows/wf_1/execute", execute)
    response = await aclient.execute("wf_1")
    assert response.execution_ids == [EXEC] and len(set(seen)) == 1 and len(seen) == 2
    script.on("POST", "/workflows/wf_1/estimate", json_response(500, {"error": "x"}))
    with pytest.raises(ServerError):
        await aclient.estimate("wf_1")
    assert len(script.sent("POST", "/workflows/wf_1/estimate")) == 1


async def test_wait_watch_and_deadline(aclient: AsyncClient, script: Script) -> None:
    poll = f"/workflows/executions/{EXEC}/poll"
    script.on(
        "GET",
        poll,
        json_response(200, {"id": EXEC, "status": "RUNNING"}),
        json_response(200, {"id": EXEC, "status": "FAILED", "failedNodeId": "n", "error": "e"}),
    )
    script.on(
        "GET",
        f"/workflows/executions/{EXEC}",
        json_response(200, {"id": EXEC, "status": "FAILED", "failedNodeId": "n", "error": "e"}),
    )
    with pytest.raises(ExecutionFailed) as info:
        await aclient.wait(EXEC, progress=False)
    assert info.value.failed_node_id == "n"
    script.on("GET", poll, json_response(200, {"id": EXEC, "status": "COMPLETED"}))
    events = [e async for e in aclient.watch(EXEC)]
    assert [e.type for e in events] == ["execution_started", "execution_finished"]
    script.on("GET", poll, json_response(200, {"id": EXEC, "status": "QUEUED"}))
    policy = PollPolicy(initial=0.01, max_interval=0.01, timeout=0.03)
    with pytest.raises(PollTimeout, match="QUEUED"):
        await aclient.wait(EXEC, poll=policy, progress=False)


async def test_history_pages_lazily(aclient: AsyncClient, script: Script) -> None:
    def page(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        if cursor is None:
            return json_response(
                200, {"executions": [{"id": "e2", "status": "COMPLETED"}], "nextCursor": "c1"}
            )
        return json_response(
            200, {"executions": [{"id": "e1", "status": "failed"}], "nextCursor": None}
        )

    script.on("GET", "/workflows/wf_1/executions", page)
    history = aclient.executions("wf_1", status="failed")
    rows = [e async for e in history]
    assert [(e.id, e.status) for e in rows] == [("e2", "COMPLETED"), ("e1", ExecutionStatus.FAILED)]
    assert script.requests[0].url.params["status"] == "FAILED"
    assert len(await history.collect()) == 2


async def test_422_and_connection_errors(aclient: AsyncClient, script: Script, store) -> None:
    script.on(
        "POST",
        "/workflows/lint",
        json_response(
            422, {"error": "bad", "violations": [{"rule": "empty_graph", "message": "no nodes"}]}
        ),
    )
    from pipeflow_nb.models import Workflow

    with pytest.raises(PipelineValidationError, match="empty_graph"):
        await aclient.lint(Workflow())
    async with AsyncClient(closed_port_url(), "k", retry=FAST_RETRY, artifacts=store) as c:
        with pytest.raises(APIConnectionError):
            await c.nodes()


async def test_use_after_aclose(script: Script, store) -> None:
    c = AsyncClient(BASE, "k", transport=httpx.MockTransport(script), artifacts=store)
    await c.aclose()
    with pytest.raises(ClientClosedError):
        await c.usage()
