"""Workflows with their version history and unguessable webhook ids."""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Any

from pipeflow_nb.models.base import format_timestamp, utcnow
from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.server.store.db import Database

__all__ = ["WorkflowRepo"]

_META = {
    "id",
    "name",
    "description",
    "nodes",
    "edges",
    "webhookId",
    "isActive",
    "version",
    "createdAt",
    "updatedAt",
}


def _row_to_workflow(row: sqlite3.Row) -> Workflow:
    graph = json.loads(row["graph"])
    extra = json.loads(row["extra"])
    return Workflow.model_validate(
        {
            **extra,
            "id": row["id"],
            "name": row["name"],
            "description": row["description"],
            "nodes": graph["nodes"],
            "edges": graph["edges"],
            "webhookId": row["webhook_id"],
            "isActive": bool(row["is_active"]),
            "version": row["version"],
            "createdAt": row["created_at"],
            "updatedAt": row["updated_at"],
        }
    )


def _graph_json(workflow: Workflow) -> str:
    wire = workflow.to_wire()
    return json.dumps({"nodes": wire.get("nodes", []), "edges": wire.get("edges", [])})


def _extra_json(workflow: Workflow) -> str:
    wire = workflow.to_wire()
    return json.dumps({k: v for k, v in wire.items() if k not in _META})


class WorkflowRepo:
    """Create, read, update (new version) and delete workflows."""

    def __init__(self, db: Database):
        self._db = db

    def create(self, workflow: Workflow, owner_key_id: str) -> Workflow:
        """Store a new workflow (version 1) with fresh ids."""
        wf_id = "wf_" + secrets.token_hex(8)
        webhook_id = "wh_" + secrets.token_urlsafe(24)
        now = format_timestamp(utcnow())
        graph = _graph_json(workflow)
        is_active = True if workflow.is_active is None else workflow.is_active
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO workflows (id, owner_key_id, name, description, webhook_id, "
                "is_active, version, graph, extra, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,1,?,?,?,?)",
                (
                    wf_id,
                    owner_key_id,
                    workflow.name,
                    workflow.description,
                    webhook_id,
                    int(is_active),
                    graph,
                    _extra_json(workflow),
                    now,
                    now,
                ),
            )
            conn.execute(
                "INSERT INTO workflow_versions VALUES (?,1,?,?,?)",
                (wf_id, workflow.name, graph, now),
            )
        found = self.get(wf_id)
        assert found is not None
        return found

    def get(self, wf_id: str) -> Workflow | None:
        """A workflow by id."""
        row = self._db.query_one("SELECT * FROM workflows WHERE id = ?", (wf_id,))
        return _row_to_workflow(row) if row else None

    def owner(self, wf_id: str) -> str | None:
        """The key that created it."""
        row = self._db.query_one("SELECT owner_key_id FROM workflows WHERE id = ?", (wf_id,))
        return str(row[0]) if row else None

    def by_webhook(self, webhook_id: str) -> Workflow | None:
        """The workflow a webhook id belongs to."""
        row = self._db.query_one("SELECT * FROM workflows WHERE webhook_id = ?", (webhook_id,))
        return _row_to_workflow(row) if row else None

    def all(self) -> list[Workflow]:
        """Every workflow, most recently updated first."""
        rows = self._db.query("SELECT * FROM workflows ORDER BY updated_at DESC, id")
        return [_row_to_workflow(r) for r in rows]

    def update(self, wf_id: str, changes: Workflow, fields: set[str]) -> Workflow | None:
        """Apply the given fields of ``changes``; a graph change makes a new version."""
        current = self.get(wf_id)
        if current is None:
            return None
        merged: dict[str, Any] = current.model_dump(by_alias=False)
        for name in fields:
            merged[name] = getattr(changes, name)
        updated = Workflow.model_validate(merged)
        graph = _graph_json(updated)
        now = format_timestamp(utcnow())
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT version, graph FROM workflows WHERE id = ?", (wf_id,)
            ).fetchone()
            if row is None:
                return None
            version = int(row["version"]) + 1
            conn.execute(
                "UPDATE workflows SET name=?, description=?, is_active=?, version=?, graph=?, "
                "extra=?, updated_at=? WHERE id=?",
                (
                    updated.name,
                    updated.description,
                    int(True if updated.is_active is None else updated.is_active),
                    version,
                    graph,
                    _extra_json(updated),
                    now,
                    wf_id,
                ),
            )
            conn.execute(
                "INSERT INTO workflow_versions VALUES (?,?,?,?,?)",
                (wf_id, version, updated.name, graph, now),
            )
        return self.get(wf_id)

    def versions(self, wf_id: str) -> list[int]:
        """The version numbers kept for a workflow."""
        rows = self._db.query(
            "SELECT version FROM workflow_versions WHERE workflow_id = ? ORDER BY version", (wf_id,)
        )
        return [int(r[0]) for r in rows]

    def delete(self, wf_id: str) -> bool:
        """Remove a workflow and its versions (its executions stay readable by id)."""
        with self._db.write() as conn:
            gone = conn.execute("DELETE FROM workflows WHERE id = ?", (wf_id,)).rowcount
            conn.execute("DELETE FROM workflow_versions WHERE workflow_id = ?", (wf_id,))
        return bool(gone)
