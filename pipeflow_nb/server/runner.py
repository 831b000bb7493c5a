"""Background executions: a queue, a bounded set of workers, the engine, the store.

The runner owns one thread with its own event loop, so it works the same under uvicorn,
under ``httpx.ASGITransport`` and in a notebook. Request threads hand it execution ids;
workers claim them from the store (``QUEUED`` → ``RUNNING``), run them with the engine
and record every event. Nothing lives only in memory: after a restart, :meth:`start`
requeues what was queued and re-runs (or fails) what was running.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.errors import PipelineError
from pipeflow_nb.models.execution import Execution, ExecutionStatus, NodeOutput
from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.nodes.registry import NodeRegistry
from pipeflow_nb.server.recorder import EventRecorder
from pipeflow_nb.server.store import RunSpec, Store

__all__ = ["Runner"]

log = logging.getLogger("pipeflow_nb.server")


class Runner:
    """Runs queued executions in the background with at most ``max_workers`` at once."""

    def __init__(
        self,
        store: Store,
        registry: NodeRegistry,
        artifacts: ArtifactStore,
        *,
        max_workers: int = 2,
        url_for: Callable[[str], str],
        recover_policy: str = "rerun",
        max_attempts: int = 2,
        node_timeout_s: float | None = None,
    ):
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self._store = store
        self._registry = registry
        self._artifacts = artifacts
        self._max_workers = max_workers
        self._url_for = url_for
        self._recover_policy = recover_policy
        self._max_attempts = max_attempts
        self._node_timeout_s = node_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[str | None] | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._handles: dict[str, Any] = {}
        self._recorders: dict[str, EventRecorder] = {}
        self._interrupted: list[str] = []
        self._cancel_requested: set[str] = set()
        self._stopping = False
        self._engine: Any = None
        self._workflows: OrderedDict[str, Workflow] = OrderedDict()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"Runner(max_workers={self._max_workers}, {state})"

    @property
    def running(self) -> bool:
        """Whether the worker thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, *, recover: bool = True) -> None:
        """Recover after a restart, then start the workers and queue what is waiting.

        ``recover=False`` leaves runs stored as ``RUNNING`` alone (another live server on
        the same home owns them).
        """
        if self.running:
            return
        requeued: list[str] = []
        failed: list[str] = []
        if recover:
            requeued, failed = self._store.executions.recover(
                policy=self._recover_policy, max_attempts=self._max_attempts
            )
        if requeued or failed:
            log.warning(
                "recovered after restart: %d run(s) requeued, %d failed", len(requeued), len(failed)
            )
        self._stopping = False
        self._cancel_requested.clear()
        self._thread = threading.Thread(target=self._serve, name="pipeflow-runner", daemon=True)
        self._thread.start()
        self._ready.wait()
        self.submit(self._store.executions.queued_ids())

    def submit(self, execution_ids: list[str]) -> None:
        """Queue runs that are stored as ``QUEUED``."""
        loop, queue = self._loop, self._queue
        if loop is None or queue is None or not execution_ids:
            return
        for eid in execution_ids:
            loop.call_soon_threadsafe(queue.put_nowait, eid)

    def cancel(self, execution_id: str) -> ExecutionStatus | None:
        """Cancel a run: at once when queued, through the engine when running."""
        executions = self._store.executions
        if executions.cancel_queued(execution_id):
            return ExecutionStatus.CANCELLED
        status = executions.status(execution_id)
        if status is ExecutionStatus.RUNNING:
            # Claimed but maybe not started yet: the worker checks this set once it has a handle.
            self._cancel_requested.add(execution_id)
            handle = self._handles.get(execution_id)
            if handle is not None:
                handle.cancel()  # thread-safe
        return status

    def stop(self, timeout_s: float = 10.0) -> None:
        """Cancel running work and stop the thread; unfinished runs stay stored for later."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(self._shutdown)
        thread.join(timeout_s)
        # Runs stopped by the shutdown go back to the queue for the next start.
        self._store.executions.requeue(self._interrupted)
        self._interrupted = []
        self._thread = None
        self._loop = None
        self._queue = None
        self._ready.clear()

    # --- the runner thread -------------------------------------------------------------------

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._queue = asyncio.Queue()
        try:
            self._engine = self._make_engine()
        finally:
            self._ready.set()
        workers = [loop.create_task(self._work()) for _ in range(self._max_workers)]
        try:
            loop.run_until_complete(asyncio.gather(*workers, return_exceptions=True))
        finally:
            if self._engine is not None:
                self._engine.close()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _shutdown(self) -> None:
        assert self._queue is not None
        self._stopping = True
        for eid, handle in list(self._handles.items()):
            self._recorders[eid].detached = True
            self._interrupted.append(eid)
            handle.cancel()
        for _ in range(self._max_workers):
            self._queue.put_nowait(None)

    def _make_engine(self) -> Any:
        from pipeflow_nb.engine import Engine

        return Engine(self._registry, artifacts=self._artifacts, url_for=self._url_for)

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            eid = await self._queue.get()
            if eid is None or self._stopping:
                return  # what is still queued stays QUEUED in the store for the next start
            spec = self._store.executions.claim(eid)
            if spec is None:
                continue  # cancelled while queued, or claimed by another worker
            try:
                await self._run(spec)
            except Exception as exc:  # the engine itself broke: the run must still end
                log.exception("execution %s crashed the runner", eid)
                self._store.executions.finish(
                    eid,
                    ExecutionStatus.FAILED,
                    error=f"internal error: {type(exc).__name__}: {exc}",
                )

    async def _run(self, spec: RunSpec) -> None:
        workflow = self._workflow_of(spec)
        overrides: dict[str, dict[str, Any]] = {
            k: dict(v) for k, v in (spec.spec.get("overrides") or {}).items()
        }
        for node_id, params in spec.combination.items():
            overrides.setdefault(node_id, {}).update(params)
        recorder = EventRecorder(
            self._store.executions,
            spec.execution_id,
            self._registry,
            {n.id: n.node_type for n in workflow.nodes},
            self._output_of,
        )
        try:
            handle = self._engine.start(
                workflow,
                inputs=spec.spec.get("inputs") or None,
                overrides=overrides or None,
                target_node_id=spec.spec.get("targetNodeId"),
                trigger_data=spec.spec.get("triggerData"),
                force=bool(spec.spec.get("force")),
                execution_id=spec.execution_id,
                workflow_id=spec.workflow_id,
                batch_id=spec.batch_id,
                input_index=spec.input_index,
                run_index_in_batch=spec.run_index,
                observers=[recorder],
                node_timeout_s=self._node_timeout_s,
                keep_media_in_memory=False,
            )
        except PipelineError as exc:  # e.g. an input of the wrong kind, a node type now gone
            self._store.executions.finish(spec.execution_id, ExecutionStatus.FAILED, error=str(exc))
            return
        self._handles[spec.execution_id] = handle
        self._recorders[spec.execution_id] = recorder
        if spec.execution_id in self._cancel_requested:
            handle.cancel()
        try:
            result: Execution = await handle.result()
        finally:
            self._handles.pop(spec.execution_id, None)
            self._recorders.pop(spec.execution_id, None)
            self._cancel_requested.discard(spec.execution_id)
        if not recorder.finished and not recorder.detached:
            self._store.executions.finish(
                spec.execution_id,
                result.status if result.status.is_terminal else ExecutionStatus.FAILED,
                error=result.error,
                failed_node_id=result.failed_node_id,
            )

    def _workflow_of(self, spec: RunSpec) -> Workflow:
        # Runs of one batch share the parsed graph, so the engine compiles it once.
        found = self._workflows.get(spec.batch_id)
        if found is None:
            found = Workflow.model_validate(spec.spec["graph"])
            self._workflows[spec.batch_id] = found
            while len(self._workflows) > 32:
                self._workflows.popitem(last=False)
        return found

    def _output_of(self, event: Any) -> NodeOutput | None:
        output: NodeOutput | None = getattr(event, "output", None)
        return output
