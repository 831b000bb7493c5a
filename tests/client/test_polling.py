"""Back-off schedules, deadlines, Retry-After parsing and poll diffs: pure functions."""

from __future__ import annotations

import itertools

import pytest

from pipeflow_nb.client._polling import (
    Deadline,
    PollDiff,
    PollPolicy,
    RetryPolicy,
    parse_retry_after,
)
from pipeflow_nb.models import PollResponse


def test_default_poll_schedule_is_1s_times_1_5_capped_at_10s() -> None:
    pauses = list(itertools.islice(PollPolicy().intervals(), 9))
    assert pauses[:5] == [1.0, 1.5, 2.25, 3.375, 5.0625]
    assert pauses[-1] == 10.0 and max(pauses) == 10.0


def test_poll_policy_is_configurable_and_checked() -> None:
    assert list(
        itertools.islice(PollPolicy(initial=0.2, factor=2, max_interval=1).intervals(), 4)
    ) == [
        0.2,
        0.4,
        0.8,
        1,
    ]
    with pytest.raises(ValueError, match="factor"):
        PollPolicy(factor=0.5)
    with pytest.raises(ValueError, match="timeout"):
        PollPolicy(timeout=-1)


def test_retry_policy_backoff_and_retry_after() -> None:
    policy = RetryPolicy(max_retries=3, backoff=0.5, factor=2, max_backoff=1.5, max_retry_after=30)
    assert [policy.pause(a) for a in range(4)] == [0.5, 1.0, 1.5, None]
    assert policy.pause(0, retry_after=7) == 7
    assert policy.pause(0, retry_after=31) is None


def test_parse_retry_after_forms() -> None:
    now = lambda: 1_000_000.0  # noqa: E731
    assert parse_retry_after({"retry-after": "3"}) == 3
    assert parse_retry_after({"retry-after": "Mon, 12 Jan 1970 13:47:10 GMT"}, now=now) == 30
    assert parse_retry_after({}, {"retryAfter": 1_000_012}, now=now) == 12
    assert parse_retry_after({}, {"retryAfter": 5}, now=now) == 5
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}, None) is None


def test_deadline_with_a_controlled_clock() -> None:
    t = [100.0]
    deadline = Deadline(5.0, clock=lambda: t[0])
    assert deadline.remaining == 5 and not deadline.expired
    t[0] = 103.0
    assert deadline.clip(10) == 2
    t[0] = 106.0
    assert deadline.expired and deadline.remaining == 0
    assert Deadline(None).clip(3) == 3 and not Deadline(None).expired


def _poll(status: str, states: list[tuple[str, str]], **extra: object) -> PollResponse:
    return PollResponse.model_validate(
        {
            "id": "e",
            "status": status,
            "nodeStates": [{"nodeId": n, "status": s} for n, s in states],
            **extra,
        }
    )


def test_diff_reports_each_change_once_in_order() -> None:
    diff = PollDiff("e")
    assert diff.events(_poll("QUEUED", [("a", "PENDING")])) == []
    first = diff.events(_poll("RUNNING", [("a", "RUNNING"), ("b", "PENDING")]))
    assert [e.type for e in first] == ["execution_started", "node_started"]
    assert first[0].node_ids == ["a", "b"]
    assert diff.events(_poll("RUNNING", [("a", "RUNNING"), ("b", "PENDING")])) == []
    last = diff.events(
        _poll(
            "COMPLETED",
            [("a", "COMPLETED"), ("b", "CACHED")],
            nodeResults={
                "nodeRuns": [
                    {
                        "nodeId": "a",
                        "status": "COMPLETED",
                        "credits": 2,
                        "durationMs": 40,
                        "output": {"text": "hi"},
                    }
                ]
            },
        )
    )
    assert [(e.type, getattr(e, "node_id", None)) for e in last] == [
        ("node_completed", "a"),
        ("node_cached", "b"),
        ("execution_finished", None),
    ]
    completed = last[0]
    assert completed.credits == 2 and completed.duration_ms == 40
    assert completed.output is not None and completed.output.text == "hi"
    assert diff.settled_nodes == 2
    assert diff.events(_poll("COMPLETED", [("a", "COMPLETED"), ("b", "CACHED")])) == []


def test_diff_progress_skips_and_unknown_statuses() -> None:
    diff = PollDiff("e")
    diff.events(_poll("RUNNING", [("a", "RUNNING")]))
    poll = PollResponse.model_validate(
        {
            "id": "e",
            "status": "RUNNING",
            "nodeStates": [{"nodeId": "a", "status": "running", "progress": 40}],
        }
    )
    [progress] = diff.events(poll)
    assert progress.type == "node_progress" and progress.percent == 40
    assert diff.events(_poll("RUNNING", [("a", "THINKING")])) == []
    events = diff.events(_poll("CANCELLED", [("a", "CANCELLED"), ("b", "SKIPPED")]))
    assert [(e.type, getattr(e, "cancelled", None)) for e in events] == [
        ("node_skipped", True),
        ("node_skipped", False),
        ("execution_finished", None),
    ]
