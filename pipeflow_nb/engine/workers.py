"""Engine-wide worker threads for sync nodes, shared by every execution of an engine.

Executions with ready sync nodes queue themselves here; a worker takes an execution and
runs its ready nodes one after another (a chain of sync nodes costs no hand-off at all),
moving on to another execution after :data:`FAIR_SHARE` nodes when others wait. A batch
of runs therefore keeps one busy thread instead of waking a thread per run, which on
CPython would make every hand-off a fight for the GIL.

More workers (helpers) start only when work waits while every worker is held up by a
node running longer than :data:`~pipeflow_nb.engine.scheduler.SPREAD_DELAY_S` (a
blocking call, a sleep, a long computation), so independent slow branches still run in
parallel; a helper leaves as soon as no other worker is held up, so fast nodes never
have two threads fighting over the GIL.

Wake-ups of an event loop from workers are coalesced by :class:`LoopMailbox`: callbacks
queued while one wake-up is pending ride along with it. An execution that ends on a
worker tells its loop without waking it (:meth:`LoopMailbox.post_later`): the worker
wakes the loop once it runs out of queued work (or after :data:`DEFER_S`), and the
loop's own ticks collect it meanwhile, so a batch's runs ending one after another on a
busy worker cost one wake-up, not one each (a woken loop would fight the worker for the
GIL). Likewise the loop wakes a worker once per loop iteration however many executions
it queued in it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeflow_nb.engine.scheduler import Scheduler

__all__ = ["FAIR_SHARE", "LoopMailbox", "SyncWorkers"]

_log = logging.getLogger(__name__)

FAIR_SHARE = 32
"""Nodes a worker runs for one execution before letting a waiting one go first."""
IDLE_EXIT_S = 2.0
"""An idle worker thread ends after this long without work."""
DEFER_S = 0.002
"""Longest a worker that keeps finding work holds back the news of ended executions."""


class LoopMailbox:
    """Runs callbacks on one event loop, waking it at most once per pending batch."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._items: deque[Callable[[], None]] = deque()
        self._scheduled = False

    def post(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the loop soon (callable from any thread)."""
        self._items.append(callback)
        if not self._scheduled:
            # Two posters racing may both schedule a drain; the second finds nothing.
            self._scheduled = True
            try:
                self._loop.call_soon_threadsafe(self._drain)
            except RuntimeError:  # the loop is closed: nobody is left to tell
                self._items.clear()

    def post_later(self, callback: Callable[[], None]) -> None:
        """Queue ``callback`` without waking the loop: a :meth:`wake` or a :meth:`drain` runs it."""
        self._items.append(callback)

    def wake(self) -> None:
        """Wake the loop for callbacks queued with :meth:`post_later` (any thread)."""
        if self._items and not self._scheduled:
            self._scheduled = True
            try:
                self._loop.call_soon_threadsafe(self._drain)
            except RuntimeError:  # the loop is closed: nobody is left to tell
                self._items.clear()

    def drain(self) -> None:
        """Run the queued callbacks now (loop thread only)."""
        if self._items:
            self._drain(clear=False)

    def _drain(self, *, clear: bool = True) -> None:
        if clear:
            self._scheduled = False
        items = self._items
        while items:
            callback = items.popleft()
            try:
                callback()
            except Exception:
                _log.exception("engine callback %r failed", callback)


class SyncWorkers:
    """A pool of threads running ready sync nodes of every execution of one engine."""

    def __init__(self, max_workers: int):
        self.max_workers = max_workers
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._delay_s = 0.001
        self._ready: deque[Scheduler] = deque()
        self._queued: set[int] = set()
        self._workers = 0
        self._idle = 0
        self._busy_since: dict[int, float] = {}
        self._closed = False
        self._mailboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopMailbox] = (
            weakref.WeakKeyDictionary()
        )
        self._serial = 0
        self._last: tuple[asyncio.AbstractEventLoop, LoopMailbox] | None = None
        self._deferred: list[LoopMailbox] = []
        self._deferred_since = 0.0
        self._wake_pending = False

    def __repr__(self) -> str:
        return f"SyncWorkers({self._workers} threads, {len(self._ready)} executions waiting)"

    def mailbox(self, loop: asyncio.AbstractEventLoop) -> LoopMailbox:
        """The mailbox of an event loop (one per loop, shared by its executions)."""
        last = self._last
        if last is not None and last[0] is loop:
            return last[1]
        with self._cond:
            box = self._mailboxes.get(loop)
            if box is None:
                box = self._mailboxes[loop] = LoopMailbox(loop)
            self._last = (loop, box)
            return box

    def submit(self, scheduler: Scheduler, *, wake: bool = True) -> None:
        """Queue an execution that has ready sync nodes; ``wake`` a worker if none is free."""
        if not wake and id(scheduler) in self._queued:
            return  # already queued (a stale read only costs a redundant requeue)
        with self._lock:
            if id(scheduler) not in self._queued:
                self._queued.add(id(scheduler))
                self._ready.append(scheduler)
            if not wake:
                return
            if self._idle > 0:
                self._cond.notify()
            elif self._workers == 0:
                self._start_locked(helper=False)

    def submit_soon(self, scheduler: Scheduler, loop: asyncio.AbstractEventLoop) -> None:
        """Queue an execution from its loop; a worker is woken once this loop iteration ends.

        Executions queued together (a batch's runs starting as others end) then reach the
        worker with one wake-up, and the woken worker does not take the GIL from the loop
        while it is still queueing them.
        """
        self.submit(scheduler, wake=False)
        if not self._wake_pending:
            self._wake_pending = True
            loop.call_soon(self._wake)

    def _wake(self) -> None:
        with self._lock:
            self._wake_pending = False
            if not self._ready:
                return
            if self._idle > 0:
                self._cond.notify()
            elif self._workers == 0:
                self._start_locked(helper=False)

    def defer(self, mailbox: LoopMailbox) -> None:
        """A worker posted to ``mailbox`` with :meth:`LoopMailbox.post_later` (worker threads)."""
        with self._lock:
            if not self._deferred:
                self._deferred_since = time.perf_counter()
            if mailbox not in self._deferred:
                self._deferred.append(mailbox)

    def _wake_deferred(self, *, idle: bool) -> None:
        """Wake the loops told of ended executions, when going idle or after ``DEFER_S``."""
        if not self._deferred:
            return
        with self._lock:
            if not idle and time.perf_counter() - self._deferred_since < DEFER_S:
                return
            boxes, self._deferred = self._deferred, []
        for box in boxes:
            box.wake()

    def spread(self, delay_s: float) -> None:
        """Give waiting work another worker if every worker is held up by a long node."""
        self._delay_s = delay_s
        now = time.perf_counter()
        with self._lock:
            if not self._ready:
                return
            held = sum(1 for t0 in self._busy_since.values() if now - t0 >= delay_s)
            if self._workers - self._idle - held > 0:
                return
            if self._idle > 0:
                self._cond.notify()
            elif self._workers < self.max_workers:
                self._start_locked(helper=True)

    def close(self) -> None:
        """Let the threads end once the queued work is done."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _start_locked(self, *, helper: bool) -> None:
        self._workers += 1
        self._serial += 1
        thread = threading.Thread(
            target=self._run,
            args=(helper,),
            name=f"pipeflow-node-{self._serial}",
            daemon=True,
        )
        thread.start()

    def _others_held(self, me: int) -> bool:
        now = time.perf_counter()
        delay = self._delay_s
        return any(now - t0 >= delay for tid, t0 in list(self._busy_since.items()) if tid != me)

    def _next(self, helper: bool) -> Scheduler | None:
        self._wake_deferred(idle=not self._ready)
        with self._cond:
            while not self._ready:
                if self._deferred:  # woken meanwhile by a loop with news still held back
                    self._cond.release()
                    try:
                        self._wake_deferred(idle=True)
                    finally:
                        self._cond.acquire()
                    continue
                if self._closed or helper:
                    self._workers -= 1
                    return None
                self._idle += 1
                woke = self._cond.wait(timeout=IDLE_EXIT_S)
                self._idle -= 1
                if not woke and not self._ready:
                    self._workers -= 1
                    return None
            scheduler = self._ready.popleft()
            self._queued.discard(id(scheduler))
            return scheduler

    def _leave(self) -> None:
        with self._lock:
            self._workers -= 1
            if self._workers == 0 and self._ready and not self._closed:
                self._start_locked(helper=False)

    def _run(self, helper: bool) -> None:
        me = threading.get_ident()
        busy = self._busy_since
        while True:
            if helper and not self._others_held(me):
                self._wake_deferred(idle=True)
                self._leave()  # nobody is held up any more: one thread is enough
                return
            scheduler = self._next(helper)
            if scheduler is None:
                return
            drained = False
            for _ in range(FAIR_SHARE):
                if helper and not self._others_held(me):
                    break
                st = scheduler.take_sync()
                if st is None:
                    # Nothing it may start now; a node ending there queues it again.
                    drained = True
                    break
                if scheduler.has_ready_sync():
                    self.submit(scheduler, wake=False)  # let a spread worker find the rest
                busy[me] = st.t0
                try:
                    scheduler.run_sync(st)
                finally:
                    busy.pop(me, None)
            if not drained and scheduler.has_ready_sync():
                self.submit(scheduler, wake=False)
