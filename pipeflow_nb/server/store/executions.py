"""Batches, executions and node runs: written by the runner, read by poll and detail."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeflow_nb.models.base import format_timestamp, utcnow
from pipeflow_nb.models.execution import (
    Execution,
    ExecutionStatus,
    NodeOutput,
)
from pipeflow_nb.server.store.db import Database
from pipeflow_nb.server.store.rows import execution_from_rows

__all__ = ["ExecutionRepo", "NodePlan", "RunPlan", "RunSpec"]

_TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
_OPEN_NODE = ("PENDING", "RUNNING")


@dataclass(frozen=True)
class NodePlan:
    """A node that takes part in a run."""

    node_id: str
    label: str
    node_type: str


@dataclass(frozen=True)
class RunPlan:
    """One run of a batch about to be queued."""

    execution_id: str
    input_index: int
    overrides: dict[str, dict[str, Any]]
    """The iterator combination as param overrides, by node id."""


@dataclass(frozen=True)
class RunSpec:
    """What the runner needs to start one queued run."""

    execution_id: str
    workflow_id: str
    key_id: str
    batch_id: str
    run_index: int
    input_index: int
    spec: dict[str, Any]
    """``graph``, ``inputs``, ``overrides``, ``targetNodeId``, ``triggerData``, ``force``."""
    combination: dict[str, dict[str, Any]] = field(default_factory=dict)


def _now() -> str:
    return format_timestamp(utcnow())


def _ts(moment: datetime) -> str:
    return format_timestamp(moment)


class ExecutionRepo:
    """Every write the runner makes, and every read poll, detail and history need."""

    def __init__(self, db: Database):
        self._db = db

    # --- queueing --------------------------------------------------------------------------

    def create_batch(
        self,
        *,
        batch_id: str,
        workflow_id: str,
        workflow_version: int | None,
        key_id: str,
        mode: str,
        spec: dict[str, Any],
        runs: list[RunPlan],
        nodes: list[NodePlan],
        final_node_id: str | None,
        credits_per_run: int,
    ) -> None:
        """Store a batch and its runs, all ``QUEUED``, with every node ``PENDING``."""
        now = _now()
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO batches VALUES (?,?,?,?,?,?)",
                (batch_id, workflow_id, key_id, mode, json.dumps(spec), now),
            )
            conn.executemany(
                "INSERT INTO executions (id, workflow_id, workflow_version, key_id, batch_id, "
                "run_index, input_index, combination, status, created_at, reserved_credits, "
                "final_node_id) VALUES (?,?,?,?,?,?,?,?,'QUEUED',?,?,?)",
                [
                    (
                        r.execution_id,
                        workflow_id,
                        workflow_version,
                        key_id,
                        batch_id,
                        i,
                        r.input_index,
                        json.dumps(r.overrides),
                        now,
                        credits_per_run,
                        final_node_id,
                    )
                    for i, r in enumerate(runs)
                ],
            )
            conn.executemany(
                "INSERT INTO node_runs (execution_id, node_id, position, label, node_type, status)"
                " VALUES (?,?,?,?,?,'PENDING')",
                [
                    (r.execution_id, n.node_id, pos, n.label, n.node_type)
                    for r in runs
                    for pos, n in enumerate(nodes)
                ],
            )

    def claim(self, execution_id: str) -> RunSpec | None:
        """Mark a ``QUEUED`` run ``RUNNING`` and return its spec (``None`` if not queued)."""
        with self._db.write() as conn:
            changed = conn.execute(
                "UPDATE executions SET status='RUNNING', start_time=?, attempts=attempts+1 "
                "WHERE id=? AND status='QUEUED'",
                (_now(), execution_id),
            ).rowcount
            if not changed:
                return None
            row = conn.execute(
                "SELECT e.*, b.spec FROM executions e JOIN batches b ON b.id = e.batch_id "
                "WHERE e.id = ?",
                (execution_id,),
            ).fetchone()
        return RunSpec(
            execution_id=row["id"],
            workflow_id=row["workflow_id"],
            key_id=row["key_id"],
            batch_id=row["batch_id"],
            run_index=row["run_index"],
            input_index=row["input_index"],
            spec=json.loads(row["spec"]),
            combination=json.loads(row["combination"]),
        )

    def queued_ids(self) -> list[str]:
        """Queued runs, oldest first."""
        rows = self._db.query("SELECT id FROM executions WHERE status='QUEUED' ORDER BY seq")
        return [r[0] for r in rows]

    def recover(self, *, policy: str, max_attempts: int) -> tuple[list[str], list[str]]:
        """After a restart: requeue or fail the runs left ``RUNNING``.

        Returns ``(requeued ids, failed ids)``. A run already interrupted ``max_attempts``
        times is failed whatever the policy, so a node that crashes the server cannot
        crash it forever.
        """
        requeued: list[str] = []
        failed: list[str] = []
        now = _now()
        with self._db.write() as conn:
            rows = conn.execute(
                "SELECT id, attempts FROM executions WHERE status='RUNNING' ORDER BY seq"
            ).fetchall()
            for row in rows:
                if policy == "rerun" and row["attempts"] < max_attempts:
                    conn.execute(
                        "UPDATE executions SET status='QUEUED', start_time=NULL WHERE id=?",
                        (row["id"],),
                    )
                    self._reset_nodes(conn, row["id"], "server restarted")
                    requeued.append(row["id"])
                else:
                    message = (
                        "The server restarted while this execution was running "
                        f"(attempt {row['attempts']} of {max_attempts}); it was stopped. "
                        "Run it again."
                    )
                    self._finish(conn, row["id"], "FAILED", message, None, now, None)
                    failed.append(row["id"])
        return requeued, failed

    def requeue(self, execution_ids: list[str]) -> None:
        """Put runs a graceful shutdown stopped back in the queue (not counted as attempts)."""
        with self._db.write() as conn:
            for eid in execution_ids:
                changed = conn.execute(
                    "UPDATE executions SET status='QUEUED', start_time=NULL, "
                    "attempts=MAX(attempts - 1, 0) WHERE id=? AND status='RUNNING'",
                    (eid,),
                ).rowcount
                if changed:
                    self._reset_nodes(conn, eid, "server stopped")

    @staticmethod
    def _reset_nodes(conn: sqlite3.Connection, execution_id: str, reason: str) -> None:
        conn.execute(
            "UPDATE node_runs SET status='PENDING', start_time=NULL, end_time=NULL, "
            "duration_ms=NULL, error=NULL, traceback=NULL, progress=NULL, rerun_reason=? "
            "WHERE execution_id=? AND status NOT IN ('COMPLETED', 'CACHED')",
            (reason, execution_id),
        )

    # --- events ----------------------------------------------------------------------------

    def mark_started(self, execution_id: str, at: datetime) -> None:
        """The engine began the run."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE executions SET status='RUNNING', start_time=COALESCE(start_time, ?) "
                "WHERE id=? AND status IN ('QUEUED','RUNNING')",
                (_ts(at), execution_id),
            )

    def node_started(self, execution_id: str, node_id: str, at: datetime) -> None:
        """A node began running."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE node_runs SET status='RUNNING', start_time=?, progress=0 "
                "WHERE execution_id=? AND node_id=?",
                (_ts(at), execution_id, node_id),
            )

    def node_progress(self, execution_id: str, node_id: str, percent: float) -> None:
        """A node reported progress."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE node_runs SET progress=? WHERE execution_id=? AND node_id=? "
                "AND status='RUNNING'",
                (round(percent, 1), execution_id, node_id),
            )

    def node_succeeded(
        self,
        execution_id: str,
        node_id: str,
        *,
        at: datetime,
        output: NodeOutput | None,
        cached: bool,
        duration_ms: int | None,
        credits: int,
        rerun_reason: str | None = None,
    ) -> None:
        """A node completed (charging ``credits``) or came from the cache (free)."""
        charge = 0 if cached else credits
        with self._db.write() as conn:
            conn.execute(
                "UPDATE node_runs SET status=?, end_time=?, start_time=COALESCE(start_time, ?), "
                "duration_ms=?, credits=?, cached=?, output=?, progress=100, rerun_reason=? "
                "WHERE execution_id=? AND node_id=?",
                (
                    "CACHED" if cached else "COMPLETED",
                    _ts(at),
                    _ts(at),
                    0 if cached else duration_ms,
                    charge,
                    int(cached),
                    json.dumps(output.to_wire()) if output is not None else None,
                    rerun_reason,
                    execution_id,
                    node_id,
                ),
            )
            if charge:
                row = conn.execute(
                    "SELECT key_id FROM executions WHERE id=?", (execution_id,)
                ).fetchone()
                conn.execute(
                    "UPDATE executions SET credits_used = credits_used + ? WHERE id=?",
                    (charge, execution_id),
                )
                conn.execute(
                    "UPDATE api_keys SET credits = credits - ? WHERE id=?", (charge, row["key_id"])
                )
                conn.execute(
                    "INSERT INTO usage (key_id, day, credits) VALUES (?,?,?) ON CONFLICT "
                    "(key_id, day) DO UPDATE SET credits = credits + excluded.credits",
                    (row["key_id"], _ts(at)[:10], charge),
                )

    def node_failed(
        self, execution_id: str, node_id: str, *, at: datetime, error: str, traceback: str | None
    ) -> None:
        """A node raised."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE node_runs SET status='FAILED', end_time=?, error=?, traceback=?, "
                "duration_ms=CAST((julianday(?) - julianday(COALESCE(start_time, ?))) * 86400000 "
                "AS INTEGER) WHERE execution_id=? AND node_id=?",
                (_ts(at), error, traceback, _ts(at), _ts(at), execution_id, node_id),
            )

    def node_skipped(
        self, execution_id: str, node_id: str, *, reason: str, cancelled: bool
    ) -> None:
        """A node will not run."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE node_runs SET status=?, error=? WHERE execution_id=? AND node_id=? "
                "AND status IN ('PENDING','RUNNING')",
                ("CANCELLED" if cancelled else "SKIPPED", reason or None, execution_id, node_id),
            )

    def finish(
        self,
        execution_id: str,
        status: ExecutionStatus,
        *,
        error: str | None = None,
        failed_node_id: str | None = None,
        at: datetime | None = None,
        duration_ms: int | None = None,
    ) -> bool:
        """Put a run in a terminal status (no-op if it already is); whether it changed."""
        with self._db.write() as conn:
            return self._finish(
                conn,
                execution_id,
                status.value,
                error,
                failed_node_id,
                _ts(at or utcnow()),
                duration_ms,
            )

    @staticmethod
    def _finish(
        conn: sqlite3.Connection,
        execution_id: str,
        status: str,
        error: str | None,
        failed_node_id: str | None,
        at: str,
        duration_ms: int | None,
    ) -> bool:
        changed = conn.execute(
            "UPDATE executions SET status=?, error=?, failed_node_id=?, end_time=?, "
            "duration_ms=COALESCE(?, CAST((julianday(?) - julianday(COALESCE(start_time, ?))) "
            "* 86400000 AS INTEGER)) "
            "WHERE id=? AND status NOT IN ('COMPLETED','FAILED','CANCELLED')",
            (status, error, failed_node_id, at, duration_ms, at, at, execution_id),
        ).rowcount
        if changed:
            left = "CANCELLED" if status == "CANCELLED" else "SKIPPED"
            conn.execute(
                "UPDATE node_runs SET status=? "
                "WHERE execution_id=? AND status IN ('PENDING','RUNNING')",
                (left, execution_id),
            )
        return bool(changed)

    def cancel_queued(self, execution_id: str) -> bool:
        """Cancel a run that has not started; whether it was still queued."""
        now = _now()
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT status FROM executions WHERE id=?", (execution_id,)
            ).fetchone()
            if row is None or row["status"] != "QUEUED":
                return False
            return self._finish(conn, execution_id, "CANCELLED", None, None, now, 0)

    # --- reads -----------------------------------------------------------------------------

    def status(self, execution_id: str) -> ExecutionStatus | None:
        """The status of a run, or ``None`` when unknown."""
        row = self._db.query_one("SELECT status FROM executions WHERE id=?", (execution_id,))
        return ExecutionStatus(row[0]) if row else None

    def owner(self, execution_id: str) -> str | None:
        """The key that started the run."""
        row = self._db.query_one("SELECT key_id FROM executions WHERE id=?", (execution_id,))
        return str(row[0]) if row else None

    def get(self, execution_id: str) -> Execution | None:
        """The full execution with its node runs."""
        conn = self._db.connection()
        row = conn.execute("SELECT * FROM executions WHERE id=?", (execution_id,)).fetchone()
        if row is None:
            return None
        nodes = conn.execute(
            "SELECT * FROM node_runs WHERE execution_id=? ORDER BY position", (execution_id,)
        ).fetchall()
        return execution_from_rows(row, nodes)

    def page(
        self, workflow_id: str, *, limit: int, before_seq: int | None, status: str | None
    ) -> tuple[list[Execution], int | None]:
        """Newest first; returns the page and the ``seq`` to continue from (or ``None``)."""
        sql = "SELECT * FROM executions WHERE workflow_id=?"
        params: list[Any] = [workflow_id]
        if before_seq is not None:
            sql += " AND seq < ?"
            params.append(before_seq)
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(limit + 1)
        conn = self._db.connection()
        rows = conn.execute(sql, params).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        by_exec: dict[str, list[sqlite3.Row]] = {r["id"]: [] for r in rows}
        if rows:
            marks = ",".join("?" * len(rows))
            for n in conn.execute(
                f"SELECT * FROM node_runs WHERE execution_id IN ({marks}) ORDER BY position",
                [r["id"] for r in rows],
            ):
                by_exec[n["execution_id"]].append(n)
        page = [execution_from_rows(r, by_exec[r["id"]]) for r in rows]
        return page, (int(rows[-1]["seq"]) if more else None)

    def outstanding_credits(self, key_id: str) -> int:
        """Credits reserved by the key's unfinished runs and not yet charged."""
        row = self._db.query_one(
            "SELECT COALESCE(SUM(MAX(reserved_credits - credits_used, 0)), 0) FROM executions "
            "WHERE key_id=? AND status IN ('QUEUED','RUNNING')",
            (key_id,),
        )
        return int(row[0]) if row else 0

    def counts_by_status(self) -> dict[str, int]:
        """How many runs are in each status."""
        rows = self._db.query("SELECT status, COUNT(*) FROM executions GROUP BY status")
        return {r[0]: int(r[1]) for r in rows}
