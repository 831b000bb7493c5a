"""Coalescing of bursts: many updates to the same keys become one flush per key.

A run of a thousand executions emits tens of thousands of events; sending each to the
browser would flood the widget comm. :class:`Coalescer` collects the keys that changed
and hands them to a flush callback at most once per ``interval_s``: the first change after
a quiet period flushes at once (so a slow run animates without delay), later changes
within the window wait for one trailing flush.

Time and scheduling are injected, so tests drive it deterministically: with
``schedule=None`` nothing flushes on its own and the owner calls :meth:`flush`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["Coalescer", "Scheduler", "default_scheduler", "timer_scheduler"]

Scheduler = Callable[[float, Callable[[], None]], Any]
"""``schedule(delay_s, callback)``: run ``callback`` once after about ``delay_s`` seconds."""


def timer_scheduler(delay_s: float, callback: Callable[[], None]) -> Any:
    """Schedule on a daemon timer thread (runs even while the kernel's loop is busy)."""
    timer = threading.Timer(delay_s, callback)
    timer.daemon = True
    timer.start()
    return timer


def default_scheduler(delay_s: float, callback: Callable[[], None]) -> Any:
    """Schedule on the running event loop of this thread, else on a daemon timer thread."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return timer_scheduler(delay_s, callback)
    return loop.call_later(delay_s, callback)


class Coalescer:
    """Collects changed keys and flushes them in batches."""

    def __init__(
        self,
        flush: Callable[[set[str]], None],
        *,
        interval_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        schedule: Scheduler | None = None,
    ):
        self._flush_cb = flush
        self.interval_s = interval_s
        self._clock = clock
        self.schedule = schedule
        """Where trailing flushes are scheduled; ``None`` is manual mode."""
        self._dirty: set[str] = set()
        self._last: float | None = None
        self._pending = False
        self._lock = threading.Lock()
        self.flushes = 0
        """How many flushes delivered at least one key (for tests and benchmarks)."""

    def __repr__(self) -> str:
        mode = "live" if self.schedule is not None else "manual"
        return f"Coalescer({mode}, {len(self._dirty)} pending keys, {self.flushes} flushes)"

    @property
    def pending(self) -> frozenset[str]:
        """Keys changed since the last flush."""
        return frozenset(self._dirty)

    def mark(self, keys: Iterable[str], *, urgent: bool = False) -> None:
        """Record changed keys; flush now when the window is open or ``urgent`` is set."""
        with self._lock:
            self._dirty.update(keys)
            if not self._dirty or (self.schedule is None and not urgent):
                return
            now = self._clock()
            due = self._last is None or now - self._last >= self.interval_s
            if not (due or urgent):
                if not self._pending:
                    self._pending = True
                    last = self._last if self._last is not None else now
                    wait = self.interval_s - (now - last)
                    self._schedule_later(max(wait, 0.0))
                return
        self.flush()

    def _schedule_later(self, delay_s: float) -> None:
        assert self.schedule is not None
        self.schedule(delay_s, self._deferred)

    def _deferred(self) -> None:
        with self._lock:
            self._pending = False
        self.flush()

    def flush(self) -> None:
        """Deliver every pending key now (a no-op when nothing changed)."""
        with self._lock:
            keys, self._dirty = self._dirty, set()
            self._last = self._clock()
            # A scheduled trailing flush may never come (its loop ended with the run);
            # after any flush the next change must be free to schedule its own.
            self._pending = False
        if keys:
            self.flushes += 1
            self._flush_cb(keys)
