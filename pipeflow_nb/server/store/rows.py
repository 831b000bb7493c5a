"""Rows of the executions and node_runs tables as the wire models poll and detail serve."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from pipeflow_nb.models.execution import (
    Execution,
    ExecutionStatus,
    NodeOutput,
    NodeRun,
    NodeStatus,
    Progress,
)

__all__ = ["execution_from_rows", "node_run_from_row"]


def execution_from_rows(row: sqlite3.Row, nodes: list[sqlite3.Row]) -> Execution:
    """An :class:`Execution` from its row and its node-run rows (in position order)."""
    runs = [node_run_from_row(n) for n in nodes]
    done = sum(1 for r in runs if r.status.is_terminal)
    final = None
    if row["final_node_id"]:
        final_run = next((r for r in runs if r.node_id == row["final_node_id"]), None)
        if final_run is not None and final_run.output is not None:
            final = _final_output(final_run.node_id, final_run.output)
    return Execution(
        id=row["id"],
        workflow_id=row["workflow_id"],
        batch_id=row["batch_id"],
        status=ExecutionStatus(row["status"]),
        start_time=row["start_time"],
        end_time=row["end_time"],
        duration_ms=row["duration_ms"],
        credits_used=row["credits_used"],
        error=row["error"],
        failed_node_id=row["failed_node_id"],
        node_runs=runs,
        run_index_in_batch=row["run_index"],
        input_index=row["input_index"],
        progress=Progress(completed=done, total=len(runs)),
        final_output=final,
    )


def node_run_from_row(n: sqlite3.Row) -> NodeRun:
    """A :class:`NodeRun` from its row."""
    output = NodeOutput.model_validate(json.loads(n["output"])) if n["output"] else None
    return NodeRun(
        node_id=n["node_id"],
        label=n["label"],
        node_type=n["node_type"],
        status=NodeStatus(n["status"]),
        start_time=n["start_time"],
        end_time=n["end_time"],
        duration_ms=n["duration_ms"],
        credits=n["credits"],
        cached=bool(n["cached"]),
        error=n["error"],
        traceback=n["traceback"],
        output=output,
        rerun_reason=n["rerun_reason"],
        progress=n["progress"],
    )


def _final_output(node_id: str, output: NodeOutput) -> dict[str, Any]:
    media = output.media
    final: dict[str, Any] = {"nodeId": node_id}
    if media:
        final["url"] = media[0].url
        final["urls"] = [m.url for m in media]
        if media[0].content_type:
            final["contentType"] = media[0].content_type
    if output.text is not None:
        final["text"] = output.text
    if output.json_ is not None:
        final["json"] = output.json_
    return final
