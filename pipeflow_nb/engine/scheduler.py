"""One execution of a compiled workflow: the ready set, limits, threads and events.

Nodes start as soon as their parents finish. Sync node functions run on worker threads
(never on the event loop). A worker that finishes a node goes straight on with the next
ready sync node, so a run's sync nodes share one thread hand-off however many there are.
When ready nodes wait while every worker is held up by a node running longer than
``SPREAD_DELAY_S``, a loop tick gives them another worker (up to the concurrency limit),
so independent slow or blocking branches still run in parallel. Async node functions,
and sync ones with a timeout or sent elsewhere, run as tasks on the loop.

All scheduling state is guarded by one lock. Workers queue their events without waking
the loop; a tick (every ``TICK_S`` to ``MAX_TICK_S`` while workers run) and the run's end deliver
them, in order, on the loop thread through :class:`EventHub`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from pipeflow_nb.conversions import convert
from pipeflow_nb.engine.cache import Fingerprint
from pipeflow_nb.engine.events import EventHub, Observer
from pipeflow_nb.engine.lookup import CacheLookup
from pipeflow_nb.engine.outputs import stored_media, to_node_output
from pipeflow_nb.engine.plan import Step
from pipeflow_nb.engine.runstate import (
    SUCCEEDED,
    RunNode,
    RunOptions,
    error_message,
    report_execution,
)
from pipeflow_nb.engine.wire import (
    execution_finished,
    execution_started,
    node_ended,
    node_failed,
    node_progress,
    node_skipped,
    node_started,
)
from pipeflow_nb.errors import NodeTimeoutError
from pipeflow_nb.media import Media
from pipeflow_nb.models.base import utcnow
from pipeflow_nb.models.execution import (
    Execution,
    NodeOutput,
    NodeStatus,
)
from pipeflow_nb.nodes.context import NodeContext

if TYPE_CHECKING:
    from pipeflow_nb.engine.executor import Engine

__all__ = ["MAX_TICK_S", "SPREAD_DELAY_S", "TICK_S", "Scheduler"]

_log = logging.getLogger(__name__)
# Aliases of calls made several times per node (``_now``: ``utcnow`` without a frame).
_now, _perf, _get_ident = datetime.now, time.perf_counter, threading.get_ident
_PENDING, _RUNNING = NodeStatus.PENDING, NodeStatus.RUNNING

TICK_S = 0.005
"""First interval at which the loop delivers workers' events and looks for held-up
workers; it doubles with each tick of a run up to ``MAX_TICK_S``, so a long run of sync
nodes wakes the loop (and takes the GIL from the workers) rarely."""
MAX_TICK_S = 0.05
"""Longest interval between deliveries of workers' events."""
SPREAD_DELAY_S = 0.005
"""A worker busy this long on one node is held up: waiting ready nodes get another."""


class Scheduler:
    """Runs one execution; created and driven by :class:`~pipeflow_nb.engine.Engine`."""

    def __init__(
        self,
        engine: Engine,
        steps: dict[str, Step],
        order: list[str],
        options: RunOptions,
        loop: asyncio.AbstractEventLoop,
        observers: Iterable[Observer] = (),
        *,
        limits: dict[str, int] | None = None,
        watched: bool = True,
        timeouts: bool | None = None,
    ):
        self.engine = engine
        self.options = options
        self.order = order
        self.loop = loop
        self.loop_thread = threading.get_ident()
        self.hub = EventHub(loop, observers)
        # Nobody can ever see the events of an unwatched run (no observers, no handle):
        # they are not built at all, and outputs' wire descriptions wait for the report.
        self._watched = watched or self.hub.has_observers
        self._cancel_event: threading.Event | None = None
        self.states = {nid: RunNode(steps[nid], len(steps[nid].parents)) for nid in order}
        self._lock = threading.Lock()
        self._sync_ready: deque[RunNode] = deque()
        self._loop_ready: deque[RunNode] = deque()
        self._limits = (
            limits
            if limits is not None
            else engine.type_limits_for(steps[n].definition for n in order)
        )
        self._slots = engine.slots
        self._sync_busy = 0
        self._finished = 0
        self._ticking = False
        self._tick_s = TICK_S
        self._tick_handle: asyncio.TimerHandle | None = None
        self._mailbox = engine.workers.mailbox(loop)
        # Timeouts or offloading may send sync nodes to the loop; without them none go.
        self._special = (
            options.node_timeout_s is not None
            or engine.offloads_any()
            or (
                timeouts
                if timeouts is not None
                else any(steps[n].definition.timeout_s is not None for n in order)
            )
        )
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._cache = CacheLookup(engine, options)
        self._caching = engine.cache is not None
        self._done: asyncio.Future[None] = loop.create_future()
        self._complete = False
        self.failed_node_id: str | None = None
        self.error: str | None = None
        self.cancelled = False
        self._stopped = False
        self.start_time: datetime | None = None
        self._t0 = 0.0

    @property
    def cancel_event(self) -> threading.Event:
        """Set when the execution is stopped; handed to nodes as ``ctx.cancel_event``."""
        if self._cancel_event is None:
            with self._lock:
                if self._cancel_event is None:
                    self._cancel_event = threading.Event()
        return self._cancel_event

    def __repr__(self) -> str:
        return f"Scheduler({self.options.execution_id}, {self._finished}/{len(self.order)} done)"

    # --- driving ---------------------------------------------------------------------------
    async def run(self) -> Execution:
        """Run every node to a terminal state and return the execution."""
        self.start_time = utcnow()
        self._t0 = time.perf_counter()
        o = self.options
        if self._watched:
            self.hub.emit(execution_started(o, self.start_time, list(self.order)))
        with self._lock:
            for st in self.states.values():
                if st.remaining == 0:
                    self._release_locked(st)
        self._on_loop_changes()
        try:
            await self._done
        except asyncio.CancelledError:
            self.cancel()
            self._finish()
            raise
        return self._finish()

    def _finish(self) -> Execution:
        execution = self.snapshot(final=True)
        if not self._watched:
            return execution
        self.hub.emit_now(execution_finished(execution))
        return execution

    def cancel(self) -> None:
        """Stop the execution: pending nodes are cancelled, running async ones too (loop only)."""
        with self._lock:
            if self._complete or self.cancelled:
                return
            self.cancelled = True
            self._stop_locked("execution cancelled", cancel=True)

    # --- the ready set ---------------------------------------------------------------------
    def _release_locked(self, st: RunNode) -> None:
        step = st.step
        if step.is_async or (
            self._special
            and (
                self._timeout_of(st) is not None
                or self.engine.offload_for(step.definition) is not None
            )
        ):
            self._loop_ready.append(st)
        else:
            self._sync_ready.append(st)

    def _take_locked(self, ready: deque[RunNode]) -> RunNode | None:
        if self._stopped or not ready:
            return None
        st = self._slots.take(ready, _node_type_of, self._limits, id(self), self._poke)
        if st is None:
            return None
        st.status = _RUNNING
        st.t0 = _perf()
        return st

    def _poke(self) -> None:
        """A slot freed elsewhere: try again to start waiting nodes (any thread)."""
        if self._complete:
            return
        if threading.get_ident() == self.loop_thread:
            self.loop.call_soon(self._on_loop_changes)
        else:
            self._mailbox.post(self._on_loop_changes)

    def _on_loop_changes(self) -> None:
        """After state changed: start loop nodes, hand sync ones to the workers (loop only)."""
        self._start_loop_nodes()
        with self._lock:
            has_sync = bool(self._sync_ready) and not self._stopped
            tick = (has_sync or self._sync_busy > 0) and not self._ticking
            self._ticking = self._ticking or tick
        if has_sync:
            self.engine.workers.submit_soon(self, self.loop)
        if tick:
            self._tick_handle = self.loop.call_later(self._tick_s, self._tick)

    def _tick(self) -> None:
        self._ticking = False
        self._mailbox.drain()  # ends of executions a busy worker has not told yet
        self.hub.flush()
        if self._done.done():
            return
        self.engine.workers.spread(SPREAD_DELAY_S)
        with self._lock:
            again = bool(self._sync_ready) or self._sync_busy > 0
        if again:
            self._ticking = True
            self._tick_s = min(MAX_TICK_S, self._tick_s * 2)
            self._tick_handle = self.loop.call_later(self._tick_s, self._tick)

    def take_sync(self) -> RunNode | None:
        """The next ready sync node, marked running, or ``None`` (worker threads)."""
        with self._lock:
            st = self._take_locked(self._sync_ready)
            if st is not None:
                self._sync_busy += 1
            return st

    def has_ready_sync(self) -> bool:
        """Whether sync nodes wait for a worker."""
        return bool(self._sync_ready) and not self._stopped

    def _start_loop_nodes(self) -> None:
        if not self._loop_ready:
            return  # only ever filled before a call of this (posted to the loop)
        started = []
        with self._lock:
            while True:
                st = self._take_locked(self._loop_ready)
                if st is None:
                    break
                started.append(st)
        for st in started:
            task = self.loop.create_task(self._run_on_loop(st))
            self._tasks[st.step.id] = task
            task.add_done_callback(partial(self._forget_task, st.step.id))

    def _forget_task(self, node_id: str, _task: asyncio.Task[None]) -> None:
        self._tasks.pop(node_id, None)

    # --- running one node ------------------------------------------------------------------
    def _timeout_of(self, st: RunNode) -> float | None:
        return st.step.definition.timeout_s or self.options.node_timeout_s

    def _context(self, st: RunNode) -> NodeContext:
        return NodeContext(
            node_id=st.step.id,
            execution_id=self.options.execution_id,
            node_type=st.step.node_type,
            trigger_data=dict(self.options.trigger_data or {}),
            artifacts=self.engine.artifacts,
            cancel_event=self.cancel_event,
            report=partial(self._progress, st),
        )

    def _progress(self, st: RunNode, value: float, maximum: float, message: str | None) -> None:
        event = node_progress(self.options.execution_id, st.step.id, value, maximum, message)
        st.progress = event.percent
        self.hub.emit(event)

    def _inputs(self, step: Step) -> dict[str, Any]:
        values: dict[str, Any] = {}
        states = self.states
        for port, many, feeds in step.ports:
            got = []
            for feed in feeds:
                outputs = states[feed.source].outputs
                assert outputs is not None
                value = outputs[feed.source_port]
                if feed.convert is not None:
                    value = convert(value, *feed.convert)
                got.append(value)
            values[port] = got if many else got[0]
        return values

    def _kwargs(self, st: RunNode, inputs: dict[str, Any]) -> dict[str, Any]:
        definition = st.step.definition
        resolved = st.step.resolved
        kwargs = {**inputs, **resolved} if resolved else inputs
        if definition.context_arg is not None:
            kwargs[definition.context_arg] = self._context(st)
        return kwargs

    def run_sync(self, st: RunNode) -> None:
        """Run a sync node taken with :meth:`take_sync` (worker threads)."""
        try:
            self._run_sync(st)
        except BaseException:  # never lose the bookkeeping of a node
            _log.exception("engine worker failed on node %s", st.step.id)
            self._settle(st, None, sys_error=True)

    def _run_sync(self, st: RunNode) -> None:
        st.start = _now(UTC)
        try:
            inputs = self._inputs(st.step)
            fp = None
            if self._caching:
                fp, hit, waiting = self._cache.lookup(st, inputs)
                if waiting is not None and fp is not None:
                    waiting.result()
                    hit = self._cache.after_wait(st, fp)
                if hit is not None:
                    self._settle(st, hit, cached=True)
                    return
            if self._watched:
                self.hub.emit(node_started(self.options.execution_id, st.start, st.step.id))
            definition = st.step.definition
            outputs = definition.outputs_from(definition.func(**self._kwargs(st, inputs)))
            self._settle(st, outputs, fingerprint=fp)
        except Exception as exc:
            self._settle(st, None, exc=exc)

    async def _run_on_loop(self, st: RunNode) -> None:
        st.start = utcnow()
        timeout = self._timeout_of(st)
        try:
            inputs = self._inputs(st.step)
            fp, hit, waiting = self._cache.lookup(st, inputs)
            if waiting is not None and fp is not None:
                await asyncio.wrap_future(waiting)
                hit = self._cache.after_wait(st, fp)
            if hit is not None:
                self._settle(st, hit, cached=True)
                return
            if self._watched:
                self.hub.emit(node_started(self.options.execution_id, st.start, st.step.id))
            definition = st.step.definition
            kwargs = self._kwargs(st, inputs)
            offload = self.engine.offload_for(definition)
            if offload is not None:
                call = partial(offload, definition.func, kwargs)
                pending = self.loop.run_in_executor(self.engine.thread_pool(), call)
            elif st.step.is_async:
                pending = definition.func(**kwargs)
            else:
                call = partial(definition.func, **kwargs)
                pending = self.loop.run_in_executor(self.engine.thread_pool(), call)
            try:
                result = await asyncio.wait_for(pending, timeout)
            except TimeoutError:
                raise NodeTimeoutError(st.step.id, timeout or 0.0) from None
            outputs = definition.outputs_from(result)
            if any(isinstance(v, Media) for v in outputs.values()):
                wire = await asyncio.to_thread(self._describe, outputs)
                self._settle(st, outputs, fingerprint=fp, wire=wire)
            else:
                self._settle(st, outputs, fingerprint=fp)
        except asyncio.CancelledError:
            self._settle(st, None, interrupted=True)
        except Exception as exc:
            self._settle(st, None, exc=exc)

    def _describe(self, outputs: dict[str, Any]) -> NodeOutput:
        return to_node_output(outputs, artifacts=self.engine.artifacts, url_for=self.engine.url_for)

    # --- settling --------------------------------------------------------------------------
    def _settle(
        self,
        st: RunNode,
        outputs: dict[str, Any] | None,
        *,
        cached: bool = False,
        fingerprint: Fingerprint | None = None,
        wire: NodeOutput | None = None,
        exc: BaseException | None = None,
        interrupted: bool = False,
        sys_error: bool = False,
    ) -> None:
        """Record how a node ended, free its slot and release its children (any thread)."""
        end = _now(UTC)
        duration_s = _perf() - st.t0
        step = st.step
        event: Any = None
        if outputs is not None:
            try:
                media = False  # whether outputs may hold media, which must be stored now
                for value in outputs.values():
                    if isinstance(value, _MEDIA_OR_LIST):
                        media = True
                        break
                if wire is None and (self._watched or media):
                    engine = self.engine
                    wire = to_node_output(
                        outputs, artifacts=engine.artifacts, url_for=engine.url_for
                    )
                if not cached and fingerprint is not None:
                    self._cache.store(st, fingerprint, outputs, duration_s)
                if media and not self.options.keep_media_in_memory:
                    outputs = stored_media(outputs, self.engine.artifacts)
            except Exception as store_exc:
                outputs, exc = None, store_exc
        if st.claimed is not None:
            self.engine.release(st.claimed)
            st.claimed = None
        eid = self.options.execution_id
        spec = step.definition.spec
        credits = spec.credits if outputs is not None and not cached else 0
        duration_ms = round(duration_s * 1000)
        if outputs is not None and self._watched:
            # Built before taking the lock (dropped if the node was stopped meanwhile).
            event = node_ended(
                eid,
                end,
                step.id,
                outputs,
                wire,
                cached=cached,
                duration_ms=duration_ms,
                credits=credits,
                rerun_reason=st.reason,
            )
        on_loop = _get_ident() == self.loop_thread
        node_type = spec.node_type
        self._slots.give_back(node_type, node_type in self._limits)
        with self._lock:
            if not on_loop:
                self._sync_busy -= 1
            if st.status is not _RUNNING:
                pass  # cancelled or stopped while it ran: its result is dropped
            elif outputs is not None:
                st.status = NodeStatus.CACHED if cached else NodeStatus.COMPLETED
                st.outputs, st.wire, st.cached, st.credits = outputs, wire, cached, credits
                if cached:
                    st.reason = None
                st.end, st.duration_ms = end, duration_ms
                self._finished += 1
                if event is not None:
                    self.hub.emit(event)
                states, plain, sync_ready = self.states, not self._special, self._sync_ready
                for child_id in step.children:
                    child = states[child_id]
                    child.remaining -= 1
                    if child.remaining == 0 and child.status is _PENDING:
                        if plain and not child.step.is_async:
                            sync_ready.append(child)  # what _release_locked decides here
                        else:
                            self._release_locked(child)
            elif interrupted:
                st.status = NodeStatus.CANCELLED
                self._end_locked(st, end, duration_s, None)
            else:
                assert exc is not None or sys_error
                st.status = NodeStatus.FAILED
                st.error = error_message(exc) if exc is not None else "internal engine error"
                st.trace = "".join(traceback.format_exception(exc)) if exc is not None else None
                event = node_failed(eid, end, step.id, st.error, st.trace)
                if self.failed_node_id is None:
                    self.failed_node_id, self.error = step.id, st.error
                self._end_locked(st, end, duration_s, event)
                self._skip_descendants_locked(st)
                if self.options.fail_fast:
                    self._stop_locked(f"stopped after node {step.id!r} failed", cancel=False)
            # Told to the loop after the lock is released, so the woken loop does not
            # block on this lock while the worker still holds it (and the GIL).
            done = self._finished == len(self.order) and not self._complete
            self._complete = self._complete or done
            loop_work = bool(self._loop_ready)
        if on_loop:
            if done:
                self.loop.call_soon(self._set_done)
            self._on_loop_changes()
        else:
            if loop_work:
                self._mailbox.post(self._on_loop_changes)
            if done:  # told when the worker runs out of work, or at a tick (see workers)
                self._mailbox.post_later(self._set_done)
                self.engine.workers.defer(self._mailbox)

    def _end_locked(self, st: RunNode, end: datetime, duration_s: float, event: Any) -> None:
        st.end = end
        st.duration_ms = round(duration_s * 1000)
        self._finished += 1
        if event is not None:
            self.hub.emit(event)

    def _skip_descendants_locked(self, failed: RunNode) -> None:
        queue = list(failed.step.children)
        reason = f"upstream {failed.step.id!r} failed"
        while queue:
            st = self.states[queue.pop(0)]
            if st.status is not _PENDING:
                continue
            st.status = NodeStatus.SKIPPED
            st.error = reason
            self._finished += 1
            self._unready_locked(st)
            self.hub.emit(node_skipped(self.options.execution_id, st.step.id, reason))
            queue.extend(st.step.children)

    def _unready_locked(self, st: RunNode) -> None:
        for ready in (self._sync_ready, self._loop_ready):
            if st in ready:
                ready.remove(st)

    def _stop_locked(self, reason: str, *, cancel: bool) -> None:
        self._stopped = True
        if self._cancel_event is None:
            self._cancel_event = threading.Event()
        self._cancel_event.set()
        self._sync_ready.clear()
        self._loop_ready.clear()
        for st in self.states.values():
            if st.status is _PENDING or st.status is _RUNNING:
                running = st.status is _RUNNING
                st.status = NodeStatus.CANCELLED if cancel or running else NodeStatus.SKIPPED
                st.error = reason
                self._finished += 1
                if running:
                    st.end = utcnow()
                    st.duration_ms = round((time.perf_counter() - st.t0) * 1000)
                cancelled = st.status is NodeStatus.CANCELLED
                self.hub.emit(
                    node_skipped(self.options.execution_id, st.step.id, reason, cancelled=cancelled)
                )
        self._call_on_loop(self._cancel_tasks)
        self._maybe_done_locked()

    def _cancel_tasks(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()

    def _call_on_loop(self, callback: Callable[[], None]) -> None:
        if threading.get_ident() == self.loop_thread:
            self.loop.call_soon(callback)
        else:
            self._mailbox.post(callback)

    def _maybe_done_locked(self) -> None:
        if self._finished == len(self.order) and not self._complete:
            self._complete = True
            self._call_on_loop(self._set_done)

    def _set_done(self) -> None:
        if self._tick_handle is not None:
            self._tick_handle.cancel()
        self.hub.flush()
        if not self._done.done():
            self._done.set_result(None)

    # --- reporting -------------------------------------------------------------------------
    def snapshot(self, *, final: bool = False) -> Execution:
        """The execution as it stands (``final`` once every node is terminal)."""
        with self._lock:
            nodes = [self.states[nid] for nid in self.order]
            for st in nodes:
                if st.wire is None and st.outputs is not None and st.status in SUCCEEDED:
                    st.wire = self._describe(st.outputs)  # deferred: see ``_watched``
            return report_execution(
                self.options,
                nodes,
                start_time=self.start_time,
                duration_ms=round((time.perf_counter() - self._t0) * 1000) if final else None,
                finished=self._finished,
                failed_node_id=self.failed_node_id,
                error=self.error,
                cancelled=self.cancelled,
                final=final,
            )


def _node_type_of(st: RunNode) -> str:
    return st.step.node_type


_MEDIA_OR_LIST = (Media, list)
