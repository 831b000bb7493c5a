"""Server settings and the per-plan limits, in one frozen value handed to every part."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

__all__ = ["PLANS", "PlanLimits", "ServerSettings"]


@dataclass(frozen=True)
class PlanLimits:
    """Rate limits of a plan; ``None`` means unlimited."""

    requests_per_min: int
    """Authenticated requests per minute."""
    executions_per_min: int
    """Execute / run / trigger calls per minute (a batch counts once)."""
    executions_per_day: int | None
    """Runs per UTC day (a batch counts every run)."""


#: The plans of the service, as ``API.md`` lists them.
PLANS: dict[str, PlanLimits] = {
    "free": PlanLimits(10, 10, 50),
    "starter": PlanLimits(20, 10, 200),
    "pro": PlanLimits(60, 10, 1000),
    "enterprise": PlanLimits(200, 10, None),
}


@dataclass(frozen=True)
class ServerSettings:
    """Everything the app factory can be told; defaults suit a small single box."""

    home: Path
    """Where the database, the artifacts and the dev key live."""
    max_workers: int = 2
    """Executions running at once."""
    max_body_bytes: int = 10 * 1024 * 1024
    """Cap on JSON request bodies (413 past it)."""
    max_upload_bytes: int = 25 * 1024 * 1024
    """Cap on uploaded media files."""
    max_batch_runs: int = 1000
    """Runs one execute call may create."""
    anonymous_requests_per_min: int = 600
    """Requests per minute per client address for calls without a valid key."""
    dev_key_credits: int = 1_000_000
    """Credit balance of the dev key created on first start."""
    dev_key_plan: str = "enterprise"
    """Plan of that key."""
    recover_running: Literal["rerun", "fail"] = "rerun"
    """What a restart does with runs that were ``RUNNING``: run them again (once), or fail."""
    max_attempts: int = 2
    """A run interrupted this many times by restarts is failed instead of re-run."""
    idempotency_ttl_s: float = 24 * 3600
    """How long an Idempotency-Key replays its first response."""
    node_timeout_s: float | None = None
    """Per-node timeout handed to the engine."""
    clock: Callable[[], float] = field(default=time.time, repr=False)
    """Seconds since the epoch; tests pass a controllable clock for the rate limits."""

    @property
    def db_path(self) -> Path:
        """The SQLite file."""
        return self.home / "pipeflow.db"

    @property
    def artifacts_dir(self) -> Path:
        """Root of the artifact store."""
        return self.home / "artifacts"

    @property
    def dev_key_path(self) -> Path:
        """Where the dev key created on first start is saved (mode 0600)."""
        return self.home / "dev-key"

    def with_overrides(self, **changes: Any) -> ServerSettings:
        """A copy with some fields changed (``TypeError`` naming an unknown field)."""
        known = set(self.__dataclass_fields__)
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(f"unknown server setting(s): {', '.join(unknown)}")
        return replace(self, **changes)
