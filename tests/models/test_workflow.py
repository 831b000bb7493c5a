from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from pipeflow_nb.models import Execution, ExecutionStatus, NodeStatus, PollResponse, Workflow
from pipeflow_nb.models.base import format_timestamp

SERVICE_JSON = {
    "id": "wf_123",
    "name": "Poster",
    "description": "brief to poster",
    "webhookId": "wh_abc",
    "isActive": True,
    "createdAt": "2026-11-01T10:00:00.123Z",
    "folderId": "f_9",
    "nodes": [
        {
            "id": "brief",
            "type": "basedNode",
            "position": {"x": 0, "y": 10},
            "width": 180,
            "selected": False,
            "data": {
                "label": "Brief",
                "nodeType": "input:text",
                "category": "input",
                "params": {"text": "a lighthouse at dusk"},
            },
        },
        {
            "id": "fmt",
            "type": "basedNode",
            "position": {"x": 200, "y": 10},
            "data": {
                "label": "Format",
                "nodeType": "text:template",
                "category": "text",
                "config": {"template": "Poster: {text}"},
                "color": "#ffaa00",
            },
        },
        {
            "id": "n3",
            "type": "basedNode",
            "position": {"x": 0, "y": 200},
            "data": {"label": "N", "nodeType": "input:number", "value": 3},
        },
    ],
    "edges": [
        {
            "id": "e1",
            "source": "brief",
            "target": "fmt",
            "sourceHandle": "out-text",
            "targetHandle": "in-text",
            "animated": True,
        }
    ],
}


def test_service_workflow_loads_with_config_params_and_unknown_fields() -> None:
    wf = Workflow.model_validate(SERVICE_JSON)
    assert wf.id == "wf_123" and wf.webhook_id == "wh_abc" and wf.is_active is True
    assert wf.node("fmt").data.params == {"template": "Poster: {text}"}
    assert wf.node("n3").data.all_params({"value"}) == {"value": 3}
    assert wf.edges[0].source_port == "text" and wf.edges[0].target_port == "text"
    assert wf.model_extra == {"folderId": "f_9"}


def test_round_trip_keeps_every_field() -> None:
    wf = Workflow.model_validate(SERVICE_JSON)
    again = Workflow.model_validate(json.loads(wf.to_json()))
    assert again == wf
    wire = wf.to_wire()
    assert wire["folderId"] == "f_9"
    assert wire["nodes"][0]["width"] == 180
    assert wire["nodes"][1]["data"]["color"] == "#ffaa00"
    assert wire["edges"][0]["animated"] is True
    assert wire["createdAt"] == "2026-11-01T10:00:00.123Z"


def test_own_format_round_trips_exactly() -> None:
    ours = {
        "name": "x",
        "description": "",
        "nodes": [
            {
                "id": "a",
                "type": "basedNode",
                "position": {"x": 1.5, "y": 2.0},
                "data": {
                    "label": "A",
                    "nodeType": "input:text",
                    "category": "input",
                    "params": {"text": "hi"},
                },
            }
        ],
        "edges": [],
    }
    assert Workflow.model_validate(ours).to_wire() == ours


def test_bad_shapes_fail_with_the_field_named() -> None:
    with pytest.raises(ValidationError, match="nodeType"):
        Workflow.model_validate({"nodes": [{"id": "a", "data": {"label": "no type"}}]})
    with pytest.raises(ValidationError, match="config"):
        Workflow.model_validate(
            {"nodes": [{"id": "a", "data": {"nodeType": "x:y", "config": [1]}}]}
        )


def test_statuses_are_tolerant() -> None:
    assert ExecutionStatus("completed") is ExecutionStatus.COMPLETED
    assert ExecutionStatus("paused") is ExecutionStatus.UNKNOWN
    assert not ExecutionStatus.UNKNOWN.is_terminal
    assert NodeStatus("cached").succeeded
    poll = PollResponse.model_validate(
        {
            "id": "exec_1",
            "status": "running",
            "someNewField": 1,
            "progress": {"completed": 1, "total": 3},
            "nodeResults": {
                "nodeRuns": [
                    {
                        "nodeId": "img",
                        "status": "COMPLETED",
                        "output": {"images": [{"url": "/f/a.png"}]},
                    }
                ]
            },
            "nodeStates": [{"nodeId": "img", "status": "weird"}],
        }
    )
    assert poll.status is ExecutionStatus.RUNNING
    assert poll.node_results.node_runs[0].output.images[0].url == "/f/a.png"  # type: ignore[union-attr]
    assert poll.node_states[0].status is NodeStatus.UNKNOWN


def test_execution_outputs_stay_out_of_json() -> None:
    ex = Execution(id="exec_1", outputs={"a": {"text": "hi"}})
    assert ex.output("a") == "hi"
    assert "outputs" not in ex.to_wire()
    with pytest.raises(KeyError, match="no outputs for node 'b'"):
        ex.output("b")


def test_timestamps_have_milliseconds_and_z() -> None:
    from datetime import UTC, datetime

    assert (
        format_timestamp(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC))
        == "2026-01-02T03:04:05.678Z"
    )


def test_every_wire_timestamp_has_exactly_three_fraction_digits() -> None:
    from datetime import UTC, datetime

    whole = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    ex = Execution(id="e", start_time=whole, end_time=whole.replace(microsecond=123456))
    wire = ex.to_wire()
    assert (wire["startTime"], wire["endTime"]) == (
        "2026-01-02T03:04:05.000Z",
        "2026-01-02T03:04:05.123Z",
    )
    assert Execution.model_validate(wire).end_time == whole.replace(microsecond=123000)
