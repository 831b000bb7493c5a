"""The SQLite store on its own: migrations, idempotency records, restart recovery."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pipeflow_nb.models.execution import ExecutionStatus
from pipeflow_nb.server.store import NodePlan, RunPlan, Store, StoredResponse
from pipeflow_nb.server.store.migrations import MIGRATIONS


def test_migrations_are_versioned_and_reopening_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = Store(path)
    assert store.db.schema_version == len(MIGRATIONS)
    plain, key = store.keys.create(name="a")
    store.close()
    again = Store(path)
    assert again.keys.find(plain) == key
    assert again.db.query_one("PRAGMA journal_mode")[0] == "wal"  # type: ignore[index]
    again.close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this server"):
        Store(path)


def test_keys_are_stored_hashed(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    plain, key = store.keys.create()
    rows = store.db.query("SELECT * FROM api_keys")
    assert plain not in repr([tuple(r) for r in rows])
    assert plain.startswith("sk-") and key.prefix == plain[:10]
    with pytest.raises(ValueError, match="unknown scope"):
        store.keys.create(scopes=["everything"])
    store.close()


def test_idempotency_records_expire(tmp_path: Path) -> None:
    repo = Store(tmp_path / "db.sqlite").idempotency
    assert repo.reserve("s", "k", "f1", now=0.0, ttl_s=10)[0] == "new"
    assert repo.reserve("s", "k", "f1", now=1.0, ttl_s=10)[0] == "pending"
    assert repo.reserve("s", "k", "f2", now=1.0, ttl_s=10)[0] == "conflict"
    assert repo.reserve("s", "k", "f2", now=11.0, ttl_s=10)[0] == "new"


def test_an_abandoned_reservation_is_taken_over(tmp_path: Path) -> None:
    repo = Store(tmp_path / "db.sqlite").idempotency
    assert repo.reserve("s", "k", "f1", now=0.0, ttl_s=86400)[0] == "new"
    assert repo.reserve("s", "k", "f1", now=30.0, ttl_s=86400)[0] == "pending"
    assert repo.reserve("s", "k", "f1", now=61.0, ttl_s=86400)[0] == "new"
    repo.complete("s", "k", StoredResponse(201, {"ok": True}, {}))
    outcome, stored = repo.reserve("s", "k", "f1", now=62.0, ttl_s=86400)
    assert outcome == "replay" and stored == StoredResponse(201, {"ok": True}, {})


def _queue(store: Store, count: int) -> list[str]:
    runs = [RunPlan(f"exec_{i}", i, {}) for i in range(count)]
    store.executions.create_batch(
        batch_id="b1",
        workflow_id="wf_1",
        workflow_version=1,
        key_id="key_1",
        mode="zip",
        spec={"graph": {"nodes": [], "edges": []}},
        runs=runs,
        nodes=[NodePlan("a", "A", "input:text")],
        final_node_id="a",
        credits_per_run=0,
    )
    return [r.execution_id for r in runs]


def test_recover_requeues_once_then_fails(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    (eid,) = _queue(store, 1)
    assert store.executions.claim(eid) is not None
    assert store.executions.recover(policy="rerun", max_attempts=2) == ([eid], [])
    assert store.executions.status(eid) is ExecutionStatus.QUEUED
    assert store.executions.claim(eid) is not None
    assert store.executions.recover(policy="rerun", max_attempts=2) == ([], [eid])
    failed = store.executions.get(eid)
    assert failed is not None and failed.status is ExecutionStatus.FAILED
    assert "attempt 2 of 2" in (failed.error or "")
    assert [r.status.value for r in failed.node_runs] == ["SKIPPED"]


def test_cancel_only_cancels_queued_runs(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    first, second = _queue(store, 2)
    store.executions.claim(first)
    assert not store.executions.cancel_queued(first)
    assert store.executions.cancel_queued(second)
    assert store.executions.claim(second) is None
    cancelled = store.executions.get(second)
    assert cancelled is not None and cancelled.node_runs[0].status.value == "CANCELLED"
