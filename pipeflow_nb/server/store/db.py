"""One SQLite file in WAL mode, shared by request threads and the runner.

Each thread gets its own connection (reads never wait for each other); writes take one
process-wide lock so concurrent writers queue here instead of spinning on ``SQLITE_BUSY``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeflow_nb.server.store.migrations import MIGRATIONS

__all__ = ["Database"]


class Database:
    """Thread-safe access to the server's SQLite file, migrated on open."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._closed = False
        self._migrate()

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        with self._all_lock:
            self._all.append(conn)
        return conn

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        if self._closed:
            raise RuntimeError(f"database {self.path} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on error)."""
        with self._write_lock:
            conn = self.connection()
            if conn.in_transaction:  # nested use joins the outer transaction
                yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(
        self, sql: str, params: tuple[object, ...] | dict[str, object] = ()
    ) -> list[sqlite3.Row]:
        """Rows of a read."""
        return self.connection().execute(sql, params).fetchall()

    def query_one(
        self, sql: str, params: tuple[object, ...] | dict[str, object] = ()
    ) -> sqlite3.Row | None:
        """The first row of a read, or ``None``."""
        row: sqlite3.Row | None = self.connection().execute(sql, params).fetchone()
        return row

    @property
    def schema_version(self) -> int:
        """How many migrations the file has."""
        row = self.connection().execute("PRAGMA user_version").fetchone()
        return int(row[0])

    def _migrate(self) -> None:
        with self.write() as conn:
            current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if current > len(MIGRATIONS):
                raise RuntimeError(
                    f"{self.path} has schema version {current}, newer than this server "
                    f"({len(MIGRATIONS)}); upgrade pipeflow-nb"
                )
            for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        """Close every connection this database opened (in any thread)."""
        self._closed = True
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()


def _statements(script: str) -> list[str]:
    # executescript() would commit the open transaction; split so the migration stays atomic.
    parts, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            parts.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        parts.append(buffer.strip())
    return parts
