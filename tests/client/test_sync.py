"""Client edge cases against a scripted service (``httpx.MockTransport``)."""

from __future__ import annotations

import re

import httpx
import numpy as np
import pytest

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.client import Client, PollPolicy, RetryPolicy
from pipeflow_nb.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    ClientClosedError,
    ConflictError,
    ExecutionCancelled,
    ExecutionFailed,
    InsufficientCreditsError,
    NotFoundError,
    PermissionDeniedError,
    PipelineValidationError,
    PollTimeout,
    RateLimitError,
    ServerError,
)
from pipeflow_nb.media import Image
from pipeflow_nb.models import ExecutionStatus, NodeStatus
from tests.client.fakes import BASE, FAST_RETRY, Script, closed_port_url, json_response

EXEC = "exec_1"


def _execute_ok(request: httpx.Request) -> httpx.Response:
    return json_response(
        201,
        {
            "workflowId": "wf_1",
            "batchId": "b1",
            "executionRuns": [{"id": EXEC, "status": "QUEUED", "nodeRuns": []}],
        },
        Location=f"/api/v1/workflows/executions/{EXEC}",
    )


def _poll(status: str, **extra: object) -> httpx.Response:
    return json_response(200, {"id": EXEC, "status": status, **extra})


def test_429_then_success_honours_retry_after(client: Client, script: Script) -> None:
    script.on(
        "GET",
        "/workflows",
        json_response(429, {"error": "Too many requests", "retryAfter": 1}, **{"Retry-After": "0"}),
        json_response(200, [{"id": "wf_1", "name": "one"}]),
    )
    rows = client.list_workflows()
    assert [r.id for r in rows] == ["wf_1"]
    assert len(script.sent("GET", "/workflows")) == 2


def test_429_past_max_retry_after_is_raised_with_retry_after(script: Script, store) -> None:
    script.on(
        "GET", "/workflows", json_response(429, {"error": "slow down"}, **{"Retry-After": "90"})
    )
    c = Client(BASE, "sk-x", transport=httpx.MockTransport(script), artifacts=store)
    with c, pytest.raises(RateLimitError) as info:
        c.list_workflows()
    assert info.value.retry_after == 90
    assert info.value.request_id == "req_test"
    assert len(script.requests) == 1


def test_5xx_on_get_is_retried_then_raised(client: Client, script: Script) -> None:
    script.on(
        "GET", "/nodes", json_response(503, {"error": "down"}), json_response(200, {"nodes": []})
    )
    assert client.nodes() == []
    script.on("GET", "/developer/usage", httpx.Response(502, text="<html>bad gateway</html>"))
    with pytest.raises(ServerError, match="bad gateway") as info:
        client.usage()
    assert info.value.status_code == 502
    assert len(script.sent("GET", "/developer/usage")) == 1 + FAST_RETRY.max_retries


def test_post_without_idempotency_key_is_not_retried_on_5xx(client: Client, script: Script) -> None:
    script.on("POST", "/workflows", json_response(500, {"error": "boom"}))
    with pytest.raises(ServerError):
        client.create_workflow(_tiny_workflow())
    assert len(script.sent("POST", "/workflows")) == 1


def test_post_retried_with_same_idempotency_key_runs_once(client: Client, script: Script) -> None:
    runs: dict[str, dict[str, object]] = {}

    def execute(request: httpx.Request) -> httpx.Response:
        key = request.headers["Idempotency-Key"]
        first = key not in runs
        runs.setdefault(key, {"id": f"exec_{len(runs) + 1}"})
        if first:  # the run started, but the answer is lost on the way back
            return json_response(502, {"error": "upstream reset"})
        body = {"executionRuns": [{"id": runs[key]["id"], "status": "QUEUED"}]}
        return json_response(201, body, **{"Idempotent-Replayed": "true"})

    script.on("POST", "/workflows/wf_1/execute", execute)
    response = client.execute("wf_1", inputs={"brief": "hi"})
    sent = script.sent("POST", "/workflows/wf_1/execute")
    assert len(sent) == 2
    assert sent[0].headers["Idempotency-Key"] == sent[1].headers["Idempotency-Key"]
    assert Script.body(sent[0]) == Script.body(sent[1])
    assert len(runs) == 1
    assert response.execution_ids == ["exec_1"]


def test_each_execute_gets_a_fresh_key_unless_given(client: Client, script: Script) -> None:
    script.on("POST", "/workflows/wf_1/execute", _execute_ok)
    client.execute("wf_1")
    client.execute("wf_1")
    client.execute("wf_1", idempotency_key="mine")
    keys = [r.headers["Idempotency-Key"] for r in script.sent("POST", "/workflows/wf_1/execute")]
    assert keys[0] != keys[1] and keys[2] == "mine"


def test_connection_refused_becomes_api_connection_error(store: ArtifactStore) -> None:
    url = closed_port_url()
    c = Client(url, "sk-x", retry=FAST_RETRY, artifacts=store)
    with c, pytest.raises(APIConnectionError, match=re.escape(url.removesuffix("/api/v1"))) as info:
        c.list_workflows()
    assert not isinstance(info.value, httpx.HTTPError)
    assert info.value.__context__ is None


def test_connect_error_retries_even_a_post(client: Client, script: Script) -> None:
    attempts: list[int] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return json_response(201, {"id": "wf_9", "name": "x", "nodes": [], "edges": []})

    script.on("POST", "/workflows", flaky)
    assert client.create_workflow(_tiny_workflow()).id == "wf_9"
    assert len(attempts) == 2


def test_read_error_on_plain_post_is_not_retried(client: Client, script: Script) -> None:
    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    script.on("POST", "/workflows", reset)
    with pytest.raises(APIConnectionError, match="ReadError"):
        client.create_workflow(_tiny_workflow())
    assert len(script.sent("POST", "/workflows")) == 1


def test_malformed_json_is_an_api_error(client: Client, script: Script) -> None:
    script.on(
        "GET",
        "/workflows/wf_1",
        httpx.Response(200, text="{not json", headers={"X-Request-Id": "r9"}),
    )
    with pytest.raises(APIError, match="invalid JSON") as info:
        client.get_workflow("wf_1")
    assert info.value.request_id == "r9"


def test_unexpected_shape_is_an_api_error_naming_the_field(client: Client, script: Script) -> None:
    script.on("GET", "/workflows/executions/e/poll", json_response(200, {"status": "RUNNING"}))
    with pytest.raises(APIError, match="id"):
        client.poll("e")


def test_unknown_and_lowercase_statuses_are_tolerated(client: Client, script: Script) -> None:
    script.on(
        "GET",
        f"/workflows/executions/{EXEC}/poll",
        _poll("paused_for_review", nodeStates=[{"nodeId": "a", "status": "warming"}], extra=1),
    )
    poll = client.poll(EXEC)
    assert poll.status == ExecutionStatus.UNKNOWN and not poll.status.is_terminal
    assert poll.node_states[0].status == NodeStatus.UNKNOWN
    script.on("GET", f"/workflows/executions/{EXEC}/poll", _poll("completed"))
    assert client.poll(EXEC).status == ExecutionStatus.COMPLETED


def test_data_envelopes_are_unwrapped(client: Client, script: Script) -> None:
    script.on("GET", "/workflows/wf_1", json_response(200, {"data": {"id": "wf_1", "name": "n"}}))
    script.on("GET", "/workflows", json_response(200, {"data": [{"id": "wf_2"}]}))
    script.on("GET", "/workflows/wf_1/run", json_response(200, {"data": {"inputs": []}}))
    assert client.get_workflow("wf_1").name == "n"
    assert client.list_workflows()[0].id == "wf_2"
    assert client.run_schema("wf_1") == {"inputs": []}


@pytest.mark.parametrize(
    ("status", "body", "cls", "message"),
    [
        (401, {"error": "Invalid API key"}, AuthenticationError, "Invalid API key"),
        (
            403,
            {"error": "Forbidden: missing scope usage:read"},
            PermissionDeniedError,
            "usage:read",
        ),
        (
            404,
            {"error": {"type": "not_found", "message": "Workflow not found", "code": 404}},
            NotFoundError,
            "Workflow not found",
        ),
        (409, {"error": "Idempotency key reused"}, ConflictError, "reused"),
        (418, {"message": "teapot"}, APIError, "teapot"),
    ],
)
def test_status_maps_to_the_error_tree(client, script, status, body, cls, message) -> None:
    script.on("GET", "/developer/usage", json_response(status, body))
    with pytest.raises(cls, match=message) as info:
        client.usage()
    assert info.value.status_code == status
    assert info.value.body == body


def test_402_carries_credits_and_a_table(client: Client, script: Script) -> None:
    body = {
        "error": "Insufficient credits. Required: 12, Available: 3",
        "insufficientCredits": True,
        "requiredCredits": 12,
        "availableCredits": 3,
        "breakdown": [
            {"nodeId": "img", "nodeLabel": "Image", "credits": 10},
            {"nodeId": "tts", "nodeLabel": "Speech", "credits": 2},
        ],
    }
    script.on("POST", "/workflows/wf_1/execute", json_response(402, body))
    with pytest.raises(InsufficientCreditsError) as info:
        client.execute("wf_1")
    err = info.value
    assert (err.required, err.available) == (12, 3)
    assert [b["nodeId"] for b in err.breakdown] == ["img", "tts"]
    assert "img   Image   10" in str(err)
    assert len(script.requests) == 1  # a 402 is never retried


def test_402_nested_and_message_only(client: Client, script: Script) -> None:
    body = {
        "error": {"type": "credits", "message": "Insufficient credits. Required: 5, Available: 1"}
    }
    script.on("POST", "/workflows/wf_1/execute", json_response(402, body))
    with pytest.raises(InsufficientCreditsError) as info:
        client.execute("wf_1")
    assert (info.value.required, info.value.available) == (5, 1)


def test_422_becomes_pipeline_validation_error_with_every_violation(client, script) -> None:
    body = {
        "error": "Workflow graph is invalid",
        "violations": [
            {"rule": "cycle", "message": "a → b → a", "nodeId": "a"},
            {"rule": "unknown_port", "message": "no port x", "edgeId": "e1"},
        ],
    }
    script.on("POST", "/workflows", json_response(422, body))
    with pytest.raises(PipelineValidationError) as info:
        client.create_workflow(_tiny_workflow())
    assert info.value.rules == ["cycle", "unknown_port"]
    assert info.value.status_code == 422
    assert "edge 'e1'" in str(info.value)


def test_missing_key_hint_on_401(script: Script, store, monkeypatch) -> None:
    monkeypatch.delenv("PIPEFLOW_API_KEY", raising=False)
    script.on("GET", "/nodes", json_response(401, {"error": "Missing Authorization header"}))
    c = Client(BASE, transport=httpx.MockTransport(script), artifacts=store)
    with c, pytest.raises(AuthenticationError, match="PIPEFLOW_API_KEY"):
        c.nodes()
    assert "Authorization" not in script.requests[0].headers


def test_key_and_base_url_from_environment(script: Script, store, monkeypatch) -> None:
    monkeypatch.setenv("PIPEFLOW_BASE_URL", BASE + "/")
    monkeypatch.setenv("PIPEFLOW_API_KEY", "wf_live_abc")
    script.on("GET", "/nodes", json_response(200, {"nodes": []}))
    with Client(transport=httpx.MockTransport(script), artifacts=store) as c:
        assert c.base_url == BASE and not c.embedded
        c.nodes()
    assert script.requests[0].headers["Authorization"] == "Bearer wf_live_abc"


def test_webhook_trigger_sends_no_api_key(client: Client, script: Script) -> None:
    script.on(
        "POST",
        "/workflow/hook_1/trigger",
        json_response(202, {"executionId": EXEC, "status": "queued", "message": "ok"}),
    )
    accepted = client.trigger_webhook("hook_1", {"text": "hi"})
    assert accepted.status == ExecutionStatus.QUEUED
    sent = script.requests[0]
    assert "Authorization" not in sent.headers and sent.headers["Idempotency-Key"]
    assert Script.body(sent) == {"text": "hi"}


def test_use_after_close_raises(script: Script, store) -> None:
    c = Client(BASE, "sk", transport=httpx.MockTransport(script), artifacts=store)
    c.close()
    c.close()
    with pytest.raises(ClientClosedError):
        c.nodes()
    assert "closed" in repr(c)


# --- waiting -------------------------------------------------------------------------------


def _png() -> bytes:
    return Image.from_array(np.full((4, 4, 3), 200, np.uint8)).data


def _detail(status: str, **extra: object) -> httpx.Response:
    return json_response(200, {"id": EXEC, "status": status, "creditsUsed": 1, **extra})


def test_wait_polls_downloads_outputs_and_fills_values(client, script, store) -> None:
    png = _png()
    url = "/api/v1/files/" + "ab" * 32 + ".png"
    img_run = {
        "nodeId": "img",
        "status": "COMPLETED",
        "output": {"images": [{"url": url, "port": "image"}]},
    }
    script.on(
        "GET",
        f"/workflows/executions/{EXEC}/poll",
        _poll("QUEUED"),
        _poll(
            "RUNNING",
            progress={"completed": 0, "total": 2},
            nodeStates=[{"nodeId": "img", "status": "RUNNING"}],
        ),
        _poll(
            "RUNNING",
            progress={"completed": 1, "total": 2},
            nodeResults={"nodeRuns": [img_run]},
            nodeStates=[{"nodeId": "img", "status": "COMPLETED"}],
        ),
        _poll("COMPLETED", progress={"completed": 2, "total": 2}),
    )
    script.on(
        "GET",
        f"/workflows/executions/{EXEC}",
        _detail(
            "COMPLETED",
            nodeRuns=[
                img_run,
                {"nodeId": "cap", "status": "COMPLETED", "output": {"text": "a lighthouse"}},
            ],
        ),
    )
    script.on(
        "GET",
        "/files/" + "ab" * 32 + ".png",
        httpx.Response(200, content=png, headers={"Content-Type": "image/png"}),
    )
    execution = client.wait(EXEC, progress=True)
    assert execution.status == ExecutionStatus.COMPLETED
    assert len(script.sent("GET", f"/workflows/executions/{EXEC}/poll")) == 4
    # downloaded once, as soon as the poll showed it, with the API key (same origin)
    downloads = script.sent("GET", "/files/" + "ab" * 32 + ".png")
    assert len(downloads) == 1 and downloads[0].headers["Authorization"] == "Bearer sk-test"
    image = execution.output("img")
    assert isinstance(image, Image) and image.data == png
    assert execution.output("cap") == "a lighthouse"


def test_wait_raises_execution_failed_naming_the_node(client, script) -> None:
    script.on(
        "GET",
        f"/workflows/executions/{EXEC}/poll",
        _poll("FAILED", failedNodeId="img", error="OOM"),
    )
    script.on(
        "GET", f"/workflows/executions/{EXEC}", _detail("FAILED", failedNodeId="img", error="OOM")
    )
    with pytest.raises(ExecutionFailed, match="'img'") as info:
        client.wait(EXEC, progress=False)
    assert info.value.failed_node_id == "img" and info.value.error == "OOM"
    assert info.value.execution.status == ExecutionStatus.FAILED


def test_wait_raises_cancelled(client, script) -> None:
    script.on("GET", f"/workflows/executions/{EXEC}/poll", _poll("cancelled"))
    script.on("GET", f"/workflows/executions/{EXEC}", _detail("CANCELLED"))
    with pytest.raises(ExecutionCancelled):
        client.wait(EXEC, progress=False)


def test_wait_deadline_names_execution_and_last_status(client, script) -> None:
    script.on("GET", f"/workflows/executions/{EXEC}/poll", _poll("RUNNING"))
    policy = PollPolicy(initial=0.01, factor=1.5, max_interval=0.02, timeout=0.05)
    with pytest.raises(PollTimeout, match=f"{EXEC} still RUNNING") as info:
        client.wait(EXEC, poll=policy, progress=False)
    assert info.value.last_status == "RUNNING"
    assert isinstance(info.value, TimeoutError)
    assert len(script.sent("GET", f"/workflows/executions/{EXEC}/poll")) >= 2


def test_wait_treats_unknown_status_as_running(client, script) -> None:
    script.on(
        "GET",
        f"/workflows/executions/{EXEC}/poll",
        _poll("WARMING_UP"),
        _poll("COMPLETED"),
    )
    script.on("GET", f"/workflows/executions/{EXEC}", _detail("COMPLETED"))
    assert client.wait(EXEC, progress=False).status == ExecutionStatus.COMPLETED
    assert len(script.sent("GET", f"/workflows/executions/{EXEC}/poll")) == 2


def test_wait_outlasts_rate_limits_when_retries_run_out(script, store) -> None:
    limited = json_response(429, {"error": "slow"}, **{"Retry-After": "0"})
    script.on("GET", f"/workflows/executions/{EXEC}/poll", limited, limited, _poll("COMPLETED"))
    script.on("GET", f"/workflows/executions/{EXEC}", _detail("COMPLETED"))
    no_retry = RetryPolicy(max_retries=0)
    with Client(
        BASE,
        "sk",
        transport=httpx.MockTransport(script),
        retry=no_retry,
        poll=PollPolicy(initial=0, max_interval=0),
        artifacts=store,
    ) as c:
        assert c.wait(EXEC, progress=False).status == ExecutionStatus.COMPLETED


def test_watch_yields_typed_events_from_poll_diffs(client, script) -> None:
    script.on(
        "GET",
        f"/workflows/executions/{EXEC}/poll",
        _poll(
            "RUNNING",
            nodeStates=[{"nodeId": "a", "status": "RUNNING"}, {"nodeId": "b", "status": "PENDING"}],
        ),
        _poll(
            "FAILED",
            failedNodeId="b",
            error="bad",
            nodeStates=[
                {"nodeId": "a", "status": "COMPLETED"},
                {"nodeId": "b", "status": "FAILED", "error": "bad"},
            ],
        ),
    )
    script.on("GET", f"/workflows/executions/{EXEC}", _detail("FAILED"))
    kinds = [(e.type, getattr(e, "node_id", None)) for e in client.watch(EXEC)]
    assert kinds == [
        ("execution_started", None),
        ("node_started", "a"),
        ("node_completed", "a"),
        ("node_started", "b"),
        ("node_failed", "b"),
        ("execution_finished", None),
    ]


def test_download_to_a_folder_and_data_urls(client, script, store, tmp_path) -> None:
    png = _png()
    script.on(
        "GET", "/cdn/x.png", httpx.Response(200, content=png, headers={"Content-Type": "image/png"})
    )
    path = client.download("https://cdn.test/cdn/x.png", dest=tmp_path)
    assert path.read_bytes() == png and path.parent == tmp_path
    assert "Authorization" not in script.requests[-1].headers  # another origin: no key
    media = client.download("data:text/plain;base64,aGk=")
    assert media.data == b"hi"


def test_upload_sends_multipart(client, script) -> None:
    script.on("POST", "/media/upload", json_response(201, {"url": "/api/v1/files/x.png"}))
    assert client.upload(_png(), filename="a.png") == "/api/v1/files/x.png"
    sent = script.requests[0]
    assert sent.headers["Content-Type"].startswith("multipart/form-data")
    assert b'filename="a.png"' in sent.content


def _tiny_workflow():
    from pipeflow_nb.models import Workflow

    return Workflow.model_validate(
        {
            "name": "tiny",
            "nodes": [{"id": "t", "data": {"nodeType": "input:text", "params": {"text": "x"}}}],
        }
    )


def test_a_file_that_cannot_be_fetched_does_not_hide_the_result(client, script) -> None:
    url = "https://cdn.test/expired.png"
    run = {"nodeId": "img", "status": "COMPLETED", "output": {"images": [{"url": url}]}}
    script.on("GET", f"/workflows/executions/{EXEC}/poll", _poll("COMPLETED"))
    script.on("GET", f"/workflows/executions/{EXEC}", _detail("COMPLETED", nodeRuns=[run]))
    script.on("GET", "/expired.png", json_response(403, {"error": "signature expired"}))
    execution = client.wait(EXEC, progress=False)
    assert execution.outputs == {}
    assert execution.node_run("img").output.images[0].url == url
    with pytest.raises(PermissionDeniedError, match="signature expired"):
        client.download(url)
