"""Fan-out of one execution's events: observer callbacks plus async iterators.

Events may be produced on worker threads; they are always delivered on the event loop's
thread, in the order they were produced. A late subscriber first receives every event
already delivered, so ``async for event in handle.events()`` never misses the start.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from pipeflow_nb.models.events import ExecutionFinished

__all__ = ["EventHub", "Observer"]

Observer = Callable[[Any], Any]
_log = logging.getLogger(__name__)


class EventHub:
    """Delivers events to observers and subscribers on one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, observers: Iterable[Observer] = ()):
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._observers = list(observers)
        self._queues: list[asyncio.Queue[Any]] = []
        self._history: list[Any] = []
        # A deque: appends from workers and pops on the loop are atomic without a lock.
        self._outbox: deque[Any] = deque()
        self._scheduled = False
        self.finished = False

    def __repr__(self) -> str:
        return f"EventHub({len(self._history)} events, {len(self._observers)} observers)"

    @property
    def has_observers(self) -> bool:
        """Whether any observer was given."""
        return bool(self._observers)

    @property
    def history(self) -> list[Any]:
        """Every event delivered so far."""
        return list(self._history)

    def emit(self, event: Any) -> None:
        """Queue an event for delivery on the loop (callable from any thread).

        On the loop thread a flush is scheduled; other threads only queue the event, and
        their owner calls :meth:`wake` (or flushes on the loop) when delivery is due, so a
        worker running many small nodes does not wake the loop for every event.
        """
        self._outbox.append(event)
        if self._scheduled or threading.get_ident() != self._loop_thread:
            return
        self._scheduled = True
        self._loop.call_soon(self.flush)

    def wake(self) -> None:
        """Schedule delivery of queued events from another thread."""
        if self._outbox and not self._scheduled:
            # A second flush scheduled by a race is harmless: it finds nothing to do.
            self._scheduled = True
            self._loop.call_soon_threadsafe(self.flush)

    def flush(self) -> None:
        """Deliver the queued events now, in order (loop thread only)."""
        self._scheduled = False
        outbox = self._outbox
        if not outbox:
            return
        # ``_deliver`` inlined: a batch delivers thousands of events per second.
        history, observers, queues = self._history, self._observers, self._queues
        while outbox:
            event = outbox.popleft()
            history.append(event)
            for observer in observers:
                try:
                    observer(event)
                except Exception:  # an observer must never break the run it watches
                    _log.exception("execution observer %r failed on %s", observer, event.type)
            for queue in queues:
                queue.put_nowait(event)
            if isinstance(event, ExecutionFinished):
                self.finished = True

    def emit_now(self, event: Any) -> None:
        """Deliver queued events, then this one, immediately (loop thread only)."""
        self.flush()
        self._deliver(event)

    def _deliver(self, event: Any) -> None:
        self._history.append(event)
        for observer in self._observers:
            try:
                observer(event)
            except Exception:  # an observer must never break the run it watches
                _log.exception("execution observer %r failed on %s", observer, event.type)
        for queue in self._queues:
            queue.put_nowait(event)
        if isinstance(event, ExecutionFinished):
            self.finished = True

    def subscribe(self, observer: Observer) -> None:
        """Add an observer for the events still to come."""
        self._observers.append(observer)

    async def stream(self) -> AsyncIterator[Any]:
        """Every event of the execution, past and future, ending with ``execution_finished``."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        for event in self._history:
            queue.put_nowait(event)
        if not self.finished:
            self._queues.append(queue)
        try:
            while True:
                if queue.empty() and self.finished:
                    return
                event = await queue.get()
                yield event
                if isinstance(event, ExecutionFinished):
                    return
        finally:
            if queue in self._queues:
                self._queues.remove(queue)
