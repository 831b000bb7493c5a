"""Engine-wide limits on running nodes: overall, and per node type.

Every execution of an engine draws from the same :class:`Slots`, so a node type limited
to two concurrent calls (a rate-limited provider) never has more than two running, even
across the parallel runs of a batch or several executions in the reference server. An
execution that finds no free slot registers a wake-up and is poked when one frees.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping
from typing import TypeVar

__all__ = ["Slots"]


T = TypeVar("T")


class Slots:
    """Counts of running nodes shared by every execution of one engine."""

    def __init__(self, max_running: int):
        self.max_running = max_running
        self._lock = threading.Lock()
        self._running = 0
        self._by_type: Counter[str] = Counter()
        self._waiting: dict[int, Callable[[], None]] = {}

    def __repr__(self) -> str:
        return f"Slots({self._running}/{self.max_running} running)"

    @property
    def running(self) -> int:
        """Nodes running now, across executions."""
        return self._running

    def take(
        self,
        ready: deque[T],
        node_type: Callable[[T], str],
        limits: Mapping[str, int],
        waiter: int,
        wake: Callable[[], None],
    ) -> T | None:
        """Remove and return the first ready item that may start now, counting it.

        When none may, ``wake`` is registered under ``waiter`` and called (once) after
        a slot is given back.
        """
        with self._lock:
            if self._running < self.max_running:
                if not limits:
                    self._running += 1
                    return ready.popleft()
                for i, item in enumerate(ready):
                    kind = node_type(item)
                    limit = limits.get(kind)
                    if limit is None or self._by_type[kind] < limit:
                        del ready[i]
                        self._running += 1
                        if limit is not None:
                            self._by_type[kind] += 1
                        return item
            self._waiting[waiter] = wake
            return None

    def give_back(self, node_type: str, limited: bool) -> None:
        """Free the slot of a node that ended; pokes the executions waiting for one."""
        with self._lock:
            self._running -= 1
            if limited:
                self._by_type[node_type] -= 1
            if not self._waiting:
                return
            waiting = list(self._waiting.values())
            self._waiting.clear()
        for wake in waiting:
            wake()
