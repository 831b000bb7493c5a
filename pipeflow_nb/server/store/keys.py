"""API keys: stored as SHA-256 hashes with scopes, plan, expiry, limits and a credit balance."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from pipeflow_nb.models.base import format_timestamp, utcnow
from pipeflow_nb.server.store.db import Database

__all__ = ["ALL_SCOPES", "ApiKey", "KeyRepo", "hash_key"]

#: Every scope a key can carry.
ALL_SCOPES: tuple[str, ...] = (
    "workflows:read",
    "workflows:write",
    "workflows:execute",
    "executions:read",
    "usage:read",
)


def hash_key(plain: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(plain.encode()).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """A stored key (never the plain key)."""

    id: str
    prefix: str
    name: str
    scopes: frozenset[str]
    plan: str
    credits: int
    expires_at: datetime | None
    is_active: bool
    requests_per_min: int | None
    executions_per_min: int | None
    executions_per_day: int | None
    created_at: str

    def expired(self, now: datetime) -> bool:
        """Whether the key is past its expiry."""
        return self.expires_at is not None and now >= self.expires_at

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description (for the CLI and ``/developer/usage``)."""
        return {
            "id": self.id,
            "prefix": self.prefix,
            "name": self.name,
            "scopes": sorted(self.scopes),
            "plan": self.plan,
            "credits": self.credits,
            "expiresAt": format_timestamp(self.expires_at) if self.expires_at else None,
            "isActive": self.is_active,
            "createdAt": self.created_at,
        }


def _row_to_key(row: sqlite3.Row) -> ApiKey:
    expires = row["expires_at"]
    return ApiKey(
        id=row["id"],
        prefix=row["prefix"],
        name=row["name"],
        scopes=frozenset(row["scopes"].split()),
        plan=row["plan"],
        credits=row["credits"],
        expires_at=datetime.fromisoformat(expires) if expires else None,
        is_active=bool(row["is_active"]),
        requests_per_min=row["requests_per_min"],
        executions_per_min=row["executions_per_min"],
        executions_per_day=row["executions_per_day"],
        created_at=row["created_at"],
    )


class KeyRepo:
    """Create, find, list, revoke and charge API keys."""

    def __init__(self, db: Database):
        self._db = db

    def create(
        self,
        *,
        name: str = "",
        plan: str = "free",
        credits: int = 0,
        scopes: tuple[str, ...] | list[str] = ALL_SCOPES,
        expires_at: datetime | None = None,
        requests_per_min: int | None = None,
        executions_per_min: int | None = None,
        executions_per_day: int | None = None,
    ) -> tuple[str, ApiKey]:
        """A new key: ``(plain key, stored key)``; the plain key is not kept anywhere."""
        unknown = sorted(set(scopes) - set(ALL_SCOPES))
        if unknown:
            raise ValueError(
                f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}"
            )
        plain = "sk-" + secrets.token_urlsafe(32)
        key_id = "key_" + secrets.token_hex(8)
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO api_keys (id, key_hash, prefix, name, scopes, plan, credits, "
                "expires_at, requests_per_min, executions_per_min, executions_per_day, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    key_id,
                    hash_key(plain),
                    plain[:10],
                    name,
                    " ".join(sorted(set(scopes))),
                    plan,
                    credits,
                    expires_at.isoformat() if expires_at else None,
                    requests_per_min,
                    executions_per_min,
                    executions_per_day,
                    format_timestamp(utcnow()),
                ),
            )
        stored = self.get(key_id)
        assert stored is not None
        return plain, stored

    def get(self, key_id: str) -> ApiKey | None:
        """A key by id."""
        row = self._db.query_one("SELECT * FROM api_keys WHERE id = ?", (key_id,))
        return _row_to_key(row) if row else None

    def find(self, plain: str) -> ApiKey | None:
        """The key a plain key names, if any."""
        row = self._db.query_one("SELECT * FROM api_keys WHERE key_hash = ?", (hash_key(plain),))
        return _row_to_key(row) if row else None

    def all(self) -> list[ApiKey]:
        """Every key, oldest first."""
        return [
            _row_to_key(r) for r in self._db.query("SELECT * FROM api_keys ORDER BY created_at, id")
        ]

    def count(self) -> int:
        """How many keys exist."""
        row = self._db.query_one("SELECT COUNT(*) FROM api_keys")
        return int(row[0]) if row else 0

    def revoke(self, key_id_or_prefix: str) -> ApiKey | None:
        """Deactivate a key named by id or by its displayed prefix; the key, or ``None``."""
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT id FROM api_keys WHERE id = ? OR prefix = ?",
                (key_id_or_prefix, key_id_or_prefix),
            ).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE api_keys SET is_active = 0 WHERE id = ?", (row["id"],))
        return self.get(row["id"])

    def add_credits(self, key_id: str, amount: int) -> None:
        """Change a balance by ``amount`` (negative to charge)."""
        with self._db.write() as conn:
            conn.execute("UPDATE api_keys SET credits = credits + ? WHERE id = ?", (amount, key_id))
