from __future__ import annotations

from pipeflow_nb.models.events import (
    ExecutionFinished,
    ExecutionStarted,
    NodeCached,
    NodeCompleted,
    NodeFailed,
    NodeProgress,
    NodeSkipped,
    NodeStarted,
)
from pipeflow_nb.models.execution import Execution, ExecutionStatus, NodeRun, NodeStatus
from pipeflow_nb.widgets.state import RunState

E = "exec_1"


def test_started_resets_the_run_nodes_to_pending() -> None:
    state = RunState(["a", "b", "c"])
    changed = state.apply(ExecutionStarted(execution_id=E, node_ids=["a", "b"]))
    assert changed == {"a", "b", RunState.RUN_KEY}
    assert state.statuses() == {"a": "pending", "b": "pending", "c": "idle"}
    assert state.summary.status == "running"
    assert state.summary.execution_id == E


def test_each_node_event_sets_its_status_and_reports_only_that_node() -> None:
    state = RunState(["a", "b", "c", "d", "e"])
    assert state.apply(NodeStarted(execution_id=E, node_id="a")) == {"a"}
    assert state.node("a").status == "running"
    assert state.apply(NodeProgress(execution_id=E, node_id="a", value=1, max=4)) == {"a"}
    assert state.node("a").progress == 25.0
    done = NodeCompleted(
        execution_id=E,
        node_id="a",
        outputs={"text": "hi"},
        duration_ms=7,
        credits=3,
        rerun_reason="param changed",
    )
    assert state.apply(done) == {"a"}
    a = state.node("a")
    assert (a.status, a.duration_ms, a.credits, a.outputs) == ("completed", 7, 3, {"text": "hi"})
    assert a.cache_status == "ran (param changed)"
    assert state.apply(NodeCached(execution_id=E, node_id="b", outputs={"x": 1})) == {"b"}
    assert state.node("b").cache_status == "cached"
    assert state.apply(NodeFailed(execution_id=E, node_id="c", error="boom")) == {"c"}
    assert (state.node("c").status, state.node("c").error) == ("failed", "boom")
    skipped = NodeSkipped(execution_id=E, node_id="d", reason="upstream 'c' failed")
    assert state.apply(skipped) == {"d"}
    assert (state.node("d").status, state.node("d").reason) == ("skipped", "upstream 'c' failed")
    state.apply(NodeSkipped(execution_id=E, node_id="e", cancelled=True))
    assert state.node("e").status == "cancelled"


def test_repeated_identical_event_changes_nothing() -> None:
    state = RunState(["a"])
    event = NodeStarted(execution_id=E, node_id="a")
    assert state.apply(event) == {"a"}
    assert state.apply(event) == set()


def test_outputs_version_moves_only_when_outputs_arrive() -> None:
    state = RunState(["a"])
    state.apply(NodeStarted(execution_id=E, node_id="a"))
    v0 = state.node("a").outputs_version
    state.apply(NodeCompleted(execution_id=E, node_id="a", outputs={"t": "x"}))
    assert state.node("a").outputs_version == v0 + 1
    state.apply(ExecutionStarted(execution_id="exec_2", node_ids=["a"]))
    # A new run keeps the latest outputs on show until the node produces new ones.
    assert state.node("a").outputs == {"t": "x"}
    assert state.node("a").outputs_version == v0 + 1


def test_finished_records_the_summary_and_cancels_unreached_nodes() -> None:
    state = RunState(["a", "b"])
    state.apply(ExecutionStarted(execution_id=E, node_ids=["a", "b"]))
    state.apply(NodeStarted(execution_id=E, node_id="a"))
    finished = ExecutionFinished(
        execution_id=E, status=ExecutionStatus.CANCELLED, duration_ms=40, credits_used=2
    )
    assert state.apply(finished) == {"a", "b", RunState.RUN_KEY}
    assert state.statuses() == {"a": "cancelled", "b": "cancelled"}
    assert (state.summary.status, state.summary.duration_ms) == ("cancelled", 40)


def test_failed_run_summary_names_the_node() -> None:
    state = RunState(["a"])
    state.apply(
        ExecutionFinished(
            execution_id=E, status=ExecutionStatus.FAILED, error="boom", failed_node_id="a"
        )
    )
    assert (state.summary.status, state.summary.failed_node_id) == ("failed", "a")


def test_load_execution_takes_every_node_run() -> None:
    execution = Execution(
        id=E,
        status=ExecutionStatus.FAILED,
        node_runs=[
            NodeRun(node_id="a", status=NodeStatus.CACHED),
            NodeRun(node_id="b", status=NodeStatus.FAILED, error="bad", duration_ms=3),
            NodeRun(node_id="c", status="mystery"),
        ],
        outputs={"a": {"text": "hi"}},
    )
    state = RunState(["a", "b", "c"])
    state.load_execution(execution)
    assert state.statuses() == {"a": "cached", "b": "failed", "c": "pending"}
    assert state.node("a").outputs == {"text": "hi"}
    assert state.summary.status == "failed"
    assert repr(state) == "RunState(3 nodes: pending=1, cached=1, failed=1)"


def test_sync_nodes_follows_graph_edits() -> None:
    state = RunState(["a", "b"])
    state.apply(NodeStarted(execution_id=E, node_id="a"))
    state.sync_nodes(["a", "c"])
    assert state.statuses() == {"a": "running", "c": "idle"}
