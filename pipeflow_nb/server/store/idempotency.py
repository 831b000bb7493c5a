"""Idempotency records: the first response to a key, replayed for a while.

A record is reserved (no response yet) before the work starts, so two concurrent
requests with the same key cannot both do it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pipeflow_nb.server.store.db import Database

__all__ = ["IdempotencyRepo", "StoredResponse"]

_ABANDONED_S = 60.0


@dataclass(frozen=True)
class StoredResponse:
    """A response kept for replay."""

    status_code: int
    body: Any
    headers: dict[str, str]


class IdempotencyRepo:
    """Reserve, complete, release and look up idempotency records."""

    def __init__(self, db: Database):
        self._db = db

    def reserve(
        self, scope: str, key: str, fingerprint: str, *, now: float, ttl_s: float
    ) -> tuple[Literal["new", "replay", "conflict", "pending"], StoredResponse | None]:
        """Claim ``key`` for this request, or say why not.

        ``new``: go ahead (then :meth:`complete` or :meth:`release`); ``replay``: here is
        the first response; ``conflict``: same key, other body; ``pending``: the first
        request with this key is still being answered.
        """
        with self._db.write() as conn:
            conn.execute("DELETE FROM idempotency WHERE created_at < ?", (now - ttl_s,))
            row = conn.execute(
                "SELECT * FROM idempotency WHERE scope=? AND key=?", (scope, key)
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO idempotency (scope, key, fingerprint, created_at) "
                    "VALUES (?,?,?,?)",
                    (scope, key, fingerprint, now),
                )
                return "new", None
            if row["status_code"] is None and row["created_at"] < now - _ABANDONED_S:
                # The first request never finished (the server died mid-request): start over.
                conn.execute(
                    "UPDATE idempotency SET fingerprint=?, created_at=? WHERE scope=? AND key=?",
                    (fingerprint, now, scope, key),
                )
                return "new", None
            if row["fingerprint"] != fingerprint:
                return "conflict", None
            if row["status_code"] is None:
                return "pending", None
            return "replay", StoredResponse(
                status_code=row["status_code"],
                body=json.loads(row["body"]),
                headers=json.loads(row["headers"]),
            )

    def complete(self, scope: str, key: str, response: StoredResponse) -> None:
        """Keep the response of a reserved key."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE idempotency SET status_code=?, body=?, headers=? WHERE scope=? AND key=?",
                (
                    response.status_code,
                    json.dumps(response.body),
                    json.dumps(response.headers),
                    scope,
                    key,
                ),
            )

    def release(self, scope: str, key: str) -> None:
        """Forget a reserved key whose request failed (so it can be retried)."""
        with self._db.write() as conn:
            conn.execute(
                "DELETE FROM idempotency WHERE scope=? AND key=? AND status_code IS NULL",
                (scope, key),
            )
