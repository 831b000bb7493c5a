"""Usage counters per key and UTC day: runs started and credits charged."""

from __future__ import annotations

from pipeflow_nb.server.store.db import Database

__all__ = ["UsageRepo"]


class UsageRepo:
    """Count runs against the daily caps and report usage."""

    def __init__(self, db: Database):
        self._db = db

    def executions(self, key_id: str, day: str) -> int:
        """Runs the key started on ``day`` (``YYYY-MM-DD``)."""
        row = self._db.query_one(
            "SELECT executions FROM usage WHERE key_id=? AND day=?", (key_id, day)
        )
        return int(row[0]) if row else 0

    def credits(self, key_id: str, day: str) -> int:
        """Credits charged to the key on ``day``."""
        row = self._db.query_one(
            "SELECT credits FROM usage WHERE key_id=? AND day=?", (key_id, day)
        )
        return int(row[0]) if row else 0

    def try_add_executions(self, key_id: str, day: str, count: int, cap: int | None) -> int | None:
        """Count ``count`` runs unless that passes ``cap``; the new total, or ``None`` if over."""
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT executions FROM usage WHERE key_id=? AND day=?", (key_id, day)
            ).fetchone()
            current = int(row[0]) if row else 0
            if cap is not None and current + count > cap:
                return None
            conn.execute(
                "INSERT INTO usage (key_id, day, executions) VALUES (?,?,?) ON CONFLICT "
                "(key_id, day) DO UPDATE SET executions = executions + excluded.executions",
                (key_id, day, count),
            )
            return current + count
