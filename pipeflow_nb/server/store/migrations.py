"""The schema, as numbered migrations; ``PRAGMA user_version`` records how far a file is.

Never edit a published migration: append a new one. Each runs in its own transaction.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

MIGRATIONS: tuple[str, ...] = (
    # 1: the initial schema
    """
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        scopes TEXT NOT NULL,
        plan TEXT NOT NULL,
        credits INTEGER NOT NULL DEFAULT 0,
        expires_at TEXT,
        is_active INTEGER NOT NULL DEFAULT 1,
        requests_per_min INTEGER,
        executions_per_min INTEGER,
        executions_per_day INTEGER,
        created_at TEXT NOT NULL,
        last_used_at TEXT
    );
    CREATE TABLE workflows (
        id TEXT PRIMARY KEY,
        owner_key_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        webhook_id TEXT NOT NULL UNIQUE,
        is_active INTEGER NOT NULL DEFAULT 1,
        version INTEGER NOT NULL,
        graph TEXT NOT NULL,
        extra TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE workflow_versions (
        workflow_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        name TEXT NOT NULL,
        graph TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (workflow_id, version)
    );
    CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        workflow_id TEXT NOT NULL,
        key_id TEXT NOT NULL,
        mode TEXT NOT NULL,
        spec TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE executions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        workflow_id TEXT NOT NULL,
        workflow_version INTEGER,
        key_id TEXT NOT NULL,
        batch_id TEXT NOT NULL,
        run_index INTEGER NOT NULL DEFAULT 0,
        input_index INTEGER NOT NULL DEFAULT 0,
        combination TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL,
        error TEXT,
        failed_node_id TEXT,
        created_at TEXT NOT NULL,
        start_time TEXT,
        end_time TEXT,
        duration_ms INTEGER,
        credits_used INTEGER NOT NULL DEFAULT 0,
        reserved_credits INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        final_node_id TEXT
    );
    CREATE INDEX executions_by_workflow ON executions (workflow_id, seq);
    CREATE INDEX executions_by_status ON executions (status, seq);
    CREATE INDEX executions_by_key_status ON executions (key_id, status);
    CREATE TABLE node_runs (
        execution_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        label TEXT,
        node_type TEXT,
        status TEXT NOT NULL,
        start_time TEXT,
        end_time TEXT,
        duration_ms INTEGER,
        credits INTEGER NOT NULL DEFAULT 0,
        cached INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        traceback TEXT,
        output TEXT,
        progress REAL,
        rerun_reason TEXT,
        PRIMARY KEY (execution_id, node_id)
    );
    CREATE TABLE idempotency (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status_code INTEGER,
        body TEXT,
        headers TEXT,
        created_at REAL NOT NULL,
        PRIMARY KEY (scope, key)
    );
    CREATE TABLE usage (
        key_id TEXT NOT NULL,
        day TEXT NOT NULL,
        executions INTEGER NOT NULL DEFAULT 0,
        credits INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (key_id, day)
    );
    """,
)
