"""Per-key rate limits: fixed one-minute windows in memory, daily caps in the store."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from pipeflow_nb.server.settings import PLANS, PlanLimits
from pipeflow_nb.server.store import ApiKey

__all__ = ["Decision", "WindowLimiter", "limits_for"]

WINDOW_S = 60.0


def limits_for(key: ApiKey) -> PlanLimits:
    """The key's plan limits, with its own overrides applied."""
    plan = PLANS.get(key.plan, PLANS["free"])
    return PlanLimits(
        requests_per_min=key.requests_per_min or plan.requests_per_min,
        executions_per_min=key.executions_per_min or plan.executions_per_min,
        executions_per_day=(
            key.executions_per_day
            if key.executions_per_day is not None
            else plan.executions_per_day
        ),
    )


@dataclass(frozen=True)
class Decision:
    """The outcome of counting one hit against a limit."""

    allowed: bool
    limit: int
    remaining: int
    reset: float
    """Epoch seconds when the window ends."""

    def headers(self) -> dict[str, str]:
        """``X-RateLimit-*`` headers."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset)),
        }

    def retry_after(self, now: float) -> int:
        """Seconds until the window ends (at least 1)."""
        return max(1, math.ceil(self.reset - now))


class WindowLimiter:
    """Counts hits per bucket in fixed windows that start at a bucket's first hit."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._last_prune = 0.0

    def __repr__(self) -> str:
        return f"WindowLimiter({len(self._windows)} buckets)"

    def hit(self, bucket: str, limit: int, now: float, cost: int = 1) -> Decision:
        """Count ``cost`` hits unless that passes ``limit`` in the current window."""
        with self._lock:
            if now - self._last_prune > WINDOW_S:
                self._prune(now)
            start, count = self._windows.get(bucket, (now, 0))
            if now >= start + WINDOW_S:
                start, count = now, 0
            allowed = count + cost <= limit
            if allowed:
                count += cost
            self._windows[bucket] = (start, count)
            return Decision(allowed, limit, max(0, limit - count), start + WINDOW_S)

    def peek(self, bucket: str, limit: int, now: float) -> Decision:
        """The state of a bucket without counting a hit."""
        with self._lock:
            start, count = self._windows.get(bucket, (now, 0))
            if now >= start + WINDOW_S:
                start, count = now, 0
            return Decision(count < limit, limit, max(0, limit - count), start + WINDOW_S)

    def _prune(self, now: float) -> None:
        self._last_prune = now
        stale = [b for b, (start, _) in self._windows.items() if now >= start + WINDOW_S]
        for bucket in stale:
            del self._windows[bucket]
