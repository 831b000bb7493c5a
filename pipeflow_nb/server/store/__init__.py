"""The server's SQLite store: one file, WAL mode, versioned migrations, one repo per table group.

>>> store = Store(home / "pipeflow.db")
>>> plain, key = store.keys.create(plan="enterprise", credits=100)
"""

from __future__ import annotations

from pathlib import Path

from pipeflow_nb.server.store.db import Database
from pipeflow_nb.server.store.executions import ExecutionRepo, NodePlan, RunPlan, RunSpec
from pipeflow_nb.server.store.idempotency import IdempotencyRepo, StoredResponse
from pipeflow_nb.server.store.keys import ALL_SCOPES, ApiKey, KeyRepo, hash_key
from pipeflow_nb.server.store.usage import UsageRepo
from pipeflow_nb.server.store.workflows import WorkflowRepo

__all__ = [
    "ALL_SCOPES",
    "ApiKey",
    "Database",
    "ExecutionRepo",
    "IdempotencyRepo",
    "KeyRepo",
    "NodePlan",
    "RunPlan",
    "RunSpec",
    "Store",
    "StoredResponse",
    "UsageRepo",
    "WorkflowRepo",
    "hash_key",
]


class Store:
    """Every table of the server, over one :class:`Database`."""

    def __init__(self, path: str | Path):
        self.db = Database(Path(path))
        self.keys = KeyRepo(self.db)
        self.workflows = WorkflowRepo(self.db)
        self.executions = ExecutionRepo(self.db)
        self.idempotency = IdempotencyRepo(self.db)
        self.usage = UsageRepo(self.db)

    def __repr__(self) -> str:
        return f"Store({str(self.db.path)!r})"

    def close(self) -> None:
        """Close the database."""
        self.db.close()
