"""Pure mapping from stored executions to poll and detail bodies."""

from __future__ import annotations

from pipeflow_nb.models.execution import (
    Execution,
    MediaRef,
    NodeOutput,
    NodeRun,
    NodeStatus,
    Progress,
)
from pipeflow_nb.server.views import detail_body, node_state, poll_body


def _execution() -> Execution:
    image = NodeOutput(images=[MediaRef(url="/api/v1/files/ab.png", content_type="image/png")])
    return Execution(
        id="exec_1",
        workflow_id="wf_1",
        status="RUNNING",
        start_time="2026-01-02T03:04:05.678901Z",
        node_runs=[
            NodeRun(
                node_id="img",
                label="Image",
                status=NodeStatus.COMPLETED,
                output=image,
                traceback="Traceback ...",
                start_time="2026-01-02T03:04:05.678901Z",
            ),
            NodeRun(node_id="cap", label="Caption", status=NodeStatus.RUNNING, progress=40.0),
        ],
        progress=Progress(completed=1, total=2),
    )


def test_node_state_summarises_outputs() -> None:
    state = node_state(_execution().node_runs[0])
    assert state.output_url == "/api/v1/files/ab.png"
    assert state.output_urls == ["/api/v1/files/ab.png"]


def test_poll_body_has_the_documented_shape() -> None:
    body = poll_body(_execution())
    assert body["id"] == "exec_1" and body["status"] == "RUNNING"
    assert body["progress"] == {"completed": 1, "total": 2}
    assert body["error"] is None and body["failedNodeId"] is None and body["finalOutput"] is None
    runs = body["nodeResults"]["nodeRuns"]
    assert runs[0]["output"]["images"][0]["url"] == "/api/v1/files/ab.png"
    assert "traceback" not in runs[0]  # the light body leaves tracebacks to the detail
    assert runs[0]["startTime"] == "2026-01-02T03:04:05.678Z"
    assert body["nodeStates"][1] == {
        "nodeId": "cap",
        "label": "Caption",
        "status": "RUNNING",
        "error": None,
        "outputUrl": None,
        "outputUrls": [],
        "text": None,
        "progress": 40.0,
    }


def test_detail_body_keeps_tracebacks_and_millisecond_times() -> None:
    body = detail_body(_execution())
    assert body["startTime"] == "2026-01-02T03:04:05.678Z"
    assert body["endTime"] is None
    assert body["nodeRuns"][0]["traceback"] == "Traceback ..."
