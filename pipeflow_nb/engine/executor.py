"""The engine: runs workflows as async executions with live events and caching.

>>> engine = Engine()
>>> execution = await engine.execute(workflow, inputs={"brief": "a red fox"})
>>> execution.outputs["caption"]["text"]

The same engine runs pipelines in the notebook kernel, inside the reference server and,
through :mod:`pipeflow_nb.engine.dask`, on a Dask cluster.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pipeflow_nb.artifacts import ArtifactStore
from pipeflow_nb.engine.cache import Cache
from pipeflow_nb.engine.events import Observer
from pipeflow_nb.engine.outputs import UrlFor, artifact_url
from pipeflow_nb.engine.plan import CompiledWorkflow, Step, compile_workflow
from pipeflow_nb.engine.runstate import RunOptions
from pipeflow_nb.engine.scheduler import Scheduler
from pipeflow_nb.engine.slots import Slots
from pipeflow_nb.engine.workers import SyncWorkers
from pipeflow_nb.models.events import ExecutionEvent
from pipeflow_nb.models.execution import Batch, Execution, IteratorConfig
from pipeflow_nb.models.workflow import Workflow
from pipeflow_nb.nodes.registry import NodeDefinition, NodeRegistry, default_registry

if TYPE_CHECKING:
    from pipeflow_nb.pipeline import Pipeline

__all__ = ["Engine", "ExecutionHandle", "new_execution_id", "shared_engine"]

_COMPILED_KEEP = 32


_ID_PREFIX = uuid.uuid4().hex[:12]
_ID_COUNTER = itertools.count()


def new_execution_id() -> str:
    """A fresh ``exec_…`` id: a random per-process prefix and a counter (20 hex digits)."""
    return f"exec_{_ID_PREFIX}{next(_ID_COUNTER) & 0xFFFFFFFF:08x}"


class ExecutionHandle:
    """A running execution: its id, its events, a way to cancel it and its result."""

    def __init__(self, scheduler: Scheduler, task: asyncio.Task[Execution]):
        self._scheduler = scheduler
        self._task = task

    def __repr__(self) -> str:
        state = "done" if self._task.done() else "running"
        return f"<ExecutionHandle {self.execution_id} {state}>"

    @property
    def execution_id(self) -> str:
        """The execution's id."""
        return self._scheduler.options.execution_id

    def events(self) -> AsyncIterator[ExecutionEvent]:
        """Every event of the execution (from its start), ending with ``execution_finished``."""
        return self._scheduler.hub.stream()

    def subscribe(self, observer: Observer) -> None:
        """Call ``observer(event)`` for each event still to come (on the loop thread)."""
        self._scheduler.hub.subscribe(observer)

    def cancel(self) -> None:
        """Cancel the execution (callable from any thread)."""
        scheduler = self._scheduler
        if threading.get_ident() == scheduler.loop_thread:
            scheduler.cancel()
        else:
            scheduler.loop.call_soon_threadsafe(scheduler.cancel)

    def done(self) -> bool:
        """Whether the execution has finished."""
        return self._task.done()

    def snapshot(self) -> Execution:
        """The execution as it stands now (status ``RUNNING`` until it ends)."""
        if self._task.done() and not self._task.cancelled():
            return self._task.result()
        return self._scheduler.snapshot()

    async def result(self) -> Execution:
        """Wait for the execution to end and return it."""
        return await asyncio.shield(self._task)


class Engine:
    """Runs workflows: ready set, concurrency limits, caching, events, batches.

    ``registry`` gives the node types (the default registry unless given); ``artifacts``
    stores media outputs; ``cache`` is a :class:`Cache` (``None``: memory plus disk under
    the artifact store; ``False``: no caching); ``max_concurrency`` bounds the nodes
    running at once and ``type_limits`` the runs of given node types at once (a node
    type's own ``concurrency`` applies too), both across all of this engine's
    executions; ``url_for(key)`` gives the URL of a stored artifact in
    :class:`NodeOutput`.
    """

    def __init__(
        self,
        registry: NodeRegistry | None = None,
        *,
        artifacts: ArtifactStore | None = None,
        cache: Cache | Literal[False] | None = None,
        max_concurrency: int = 8,
        type_limits: Mapping[str, int] | None = None,
        url_for: UrlFor | None = None,
    ):
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self._registry = registry
        self.artifacts = artifacts or ArtifactStore()
        self.cache: Cache | None = (
            Cache.for_store(self.artifacts) if cache is None else None if cache is False else cache
        )
        self.max_concurrency = max_concurrency
        self.type_limits = dict(type_limits or {})
        self.url_for: UrlFor = url_for or artifact_url
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._workers: SyncWorkers | None = None
        self.slots = Slots(max_concurrency)
        """Running-node counts shared by every execution (the limits are engine-wide)."""
        self._compiled: OrderedDict[int, CompiledWorkflow] = OrderedDict()
        self._inflight: dict[str, concurrent.futures.Future[None]] = {}
        self._lock = threading.Lock()
        self._offload_types: frozenset[str] = frozenset()
        self._offload_call: Callable[[Callable[..., Any], dict[str, Any]], Any] | None = None

    def __repr__(self) -> str:
        return (
            f"Engine(max_concurrency={self.max_concurrency}, cache={self.cache!r}, "
            f"artifacts={self.artifacts!r})"
        )

    @property
    def registry(self) -> NodeRegistry:
        """The node types this engine runs."""
        if self._registry is None:
            self._registry = default_registry()
        return self._registry

    # --- resources -------------------------------------------------------------------------
    def thread_pool(self) -> concurrent.futures.ThreadPoolExecutor:
        """Threads for sync nodes with a timeout and offloaded calls (created on first use)."""
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = concurrent.futures.ThreadPoolExecutor(
                        max_workers=max(32, 4 * self.max_concurrency),
                        thread_name_prefix="pipeflow-node",
                    )
        return self._pool

    @property
    def workers(self) -> SyncWorkers:
        """The threads that run sync nodes (started on demand)."""
        if self._workers is None:
            with self._lock:
                if self._workers is None:
                    self._workers = SyncWorkers(self.max_concurrency)
        return self._workers

    def close(self) -> None:
        """Release the worker threads (running sync nodes finish first)."""
        if self._workers is not None:
            self._workers.close()
            self._workers = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def type_limits_for(self, definitions: Iterable[NodeDefinition]) -> dict[str, int]:
        """Per-node-type concurrency limits that apply to these definitions."""
        limits: dict[str, int] = {}
        for d in definitions:
            limit = self.type_limits.get(d.node_type, d.concurrency)
            if limit is not None:
                limits[d.node_type] = limit
        return limits

    def set_offload(
        self,
        node_types: Iterable[str],
        call: Callable[[Callable[..., Any], dict[str, Any]], Any] | None,
    ) -> None:
        """Run these node types through ``call(func, kwargs)`` (blocking; e.g. on a cluster).

        Nodes that take a :class:`NodeContext` always run locally.
        """
        self._offload_types = frozenset(node_types) if call is not None else frozenset()
        self._offload_call = call

    def offloads_any(self) -> bool:
        """Whether any node type is sent elsewhere to run."""
        return bool(self._offload_types)

    def offload_for(
        self, definition: NodeDefinition
    ) -> Callable[[Callable[..., Any], dict[str, Any]], Any] | None:
        """How calls of this node type leave the process, if they do."""
        if not self._offload_types:
            return None
        if definition.node_type in self._offload_types and definition.context_arg is None:
            return self._offload_call
        return None

    def claim(self, key: str) -> concurrent.futures.Future[None] | None:
        """Claim computing a cache key: ``None`` if claimed, else the run to wait for."""
        with self._lock:
            running = self._inflight.get(key)
            if running is None:
                self._inflight[key] = concurrent.futures.Future()
            return running

    def release(self, key: str) -> None:
        """Mark a claimed cache key as computed (or failed); wakes those waiting."""
        with self._lock:
            future = self._inflight.pop(key, None)
        if future is not None:
            future.set_result(None)

    # --- compiling -------------------------------------------------------------------------
    def compile(self, workflow: Workflow | Pipeline | CompiledWorkflow) -> CompiledWorkflow:
        """Validate and wire up a workflow (kept for the workflow object's reuse)."""
        if isinstance(workflow, CompiledWorkflow):
            workflow = workflow.workflow
        wf = _as_workflow(workflow)
        compiled = self._compiled.get(id(wf))
        registry = self.registry
        if (
            compiled is not None
            and compiled.workflow is wf
            and all(d is registry.get(t) for t, d in compiled.definitions.items())
        ):
            self._compiled.move_to_end(id(wf))
            return compiled
        compiled = compile_workflow(wf, registry)
        compiled.limits = self.type_limits_for(s.definition for s in compiled.steps.values())
        self._compiled[id(wf)] = compiled
        while len(self._compiled) > _COMPILED_KEEP:
            self._compiled.popitem(last=False)
        return compiled

    # --- running ---------------------------------------------------------------------------
    def _scheduler(
        self,
        workflow: Workflow | Pipeline | CompiledWorkflow,
        *,
        inputs: Mapping[str, Any] | None,
        overrides: Mapping[str, Mapping[str, Any]] | None,
        target_node_id: str | None,
        trigger_data: Mapping[str, Any] | None,
        force: bool,
        execution_id: str | None,
        workflow_id: str | None,
        batch_id: str | None,
        input_index: int | None,
        run_index_in_batch: int | None,
        observers: Sequence[Observer],
        fail_fast: bool,
        node_timeout_s: float | None,
        pinned: Iterable[str],
        keep_media_in_memory: bool,
        prepared: tuple[dict[str, Step], list[str]] | None = None,
        watched: bool = False,
    ) -> Scheduler:
        loop = asyncio.get_running_loop()
        if prepared is not None and isinstance(workflow, CompiledWorkflow):
            compiled = workflow  # a batch run: compiled and checked once for the batch
            steps, order = prepared
        else:
            compiled = self.compile(workflow)
            steps, order = prepared or compiled.prepare(
                inputs=inputs,
                overrides=overrides,
                target_node_id=target_node_id,
                pinned=frozenset(pinned),
                artifacts=self.artifacts,
            )
        wf = compiled.workflow
        options = RunOptions(
            execution_id=execution_id or new_execution_id(),
            workflow_id=workflow_id or wf.id,
            identity=workflow_id or wf.id or wf.name,
            batch_id=batch_id,
            input_index=input_index,
            run_index_in_batch=run_index_in_batch,
            trigger_data=dict(trigger_data) if trigger_data is not None else None,
            force=force,
            fail_fast=fail_fast,
            node_timeout_s=node_timeout_s,
            keep_media_in_memory=keep_media_in_memory,
        )
        return Scheduler(
            self,
            steps,
            order,
            options,
            loop,
            observers,
            limits=compiled.limits,
            watched=watched,
            timeouts=compiled.timeouts,
        )

    def start(
        self,
        workflow: Workflow | Pipeline | CompiledWorkflow,
        *,
        inputs: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        target_node_id: str | None = None,
        trigger_data: Mapping[str, Any] | None = None,
        force: bool = False,
        execution_id: str | None = None,
        workflow_id: str | None = None,
        batch_id: str | None = None,
        input_index: int | None = None,
        run_index_in_batch: int | None = None,
        observers: Sequence[Observer] = (),
        fail_fast: bool = False,
        cancel: asyncio.Event | threading.Event | None = None,
        node_timeout_s: float | None = None,
        pinned: Iterable[str] = (),
        keep_media_in_memory: bool = True,
    ) -> ExecutionHandle:
        """Start an execution on the running loop and return its handle at once.

        Bad input (unknown node ids, invalid params, an invalid graph) raises
        :class:`~pipeflow_nb.errors.PipelineValidationError` naming the node, before
        anything runs. See :meth:`execute` for the arguments.
        """
        scheduler = self._scheduler(
            workflow,
            inputs=inputs,
            overrides=overrides,
            target_node_id=target_node_id,
            trigger_data=trigger_data,
            force=force,
            execution_id=execution_id,
            workflow_id=workflow_id,
            batch_id=batch_id,
            input_index=input_index,
            run_index_in_batch=run_index_in_batch,
            observers=observers,
            fail_fast=fail_fast,
            node_timeout_s=node_timeout_s,
            pinned=pinned,
            keep_media_in_memory=keep_media_in_memory,
            watched=True,  # the handle's events() and subscribe() may come at any time
        )
        task = scheduler.loop.create_task(_drive(scheduler, cancel))
        return ExecutionHandle(scheduler, task)

    async def execute(
        self,
        workflow: Workflow | Pipeline | CompiledWorkflow,
        *,
        inputs: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        target_node_id: str | None = None,
        trigger_data: Mapping[str, Any] | None = None,
        force: bool = False,
        execution_id: str | None = None,
        workflow_id: str | None = None,
        batch_id: str | None = None,
        input_index: int | None = None,
        run_index_in_batch: int | None = None,
        observers: Sequence[Observer] = (),
        fail_fast: bool = False,
        cancel: asyncio.Event | threading.Event | None = None,
        node_timeout_s: float | None = None,
        pinned: Iterable[str] = (),
        keep_media_in_memory: bool = True,
        _prepared: tuple[dict[str, Step], list[str]] | None = None,
    ) -> Execution:
        """Run a workflow to the end and return the :class:`Execution`.

        ``inputs`` sets input nodes' primary params (media are stored as artifacts);
        ``overrides`` sets params by node id; ``target_node_id`` runs that node and its
        ancestors only; ``trigger_data`` reaches nodes as ``NodeContext.trigger_data``;
        ``force`` ignores the cache; ``observers`` receive every event; ``fail_fast``
        stops at the first failure (otherwise independent branches run on); setting
        ``cancel`` cancels the run; ``node_timeout_s`` bounds each node (a node type's own
        timeout wins); ``pinned`` node ids may be served from the cache even when their
        type is non-deterministic. A failed run is returned with status ``FAILED``.
        """
        scheduler = self._scheduler(
            workflow,
            inputs=inputs,
            overrides=overrides,
            target_node_id=target_node_id,
            trigger_data=trigger_data,
            force=force,
            execution_id=execution_id,
            workflow_id=workflow_id,
            batch_id=batch_id,
            input_index=input_index,
            run_index_in_batch=run_index_in_batch,
            observers=observers,
            fail_fast=fail_fast,
            node_timeout_s=node_timeout_s,
            pinned=pinned,
            keep_media_in_memory=keep_media_in_memory,
            prepared=_prepared,
        )
        # Awaited directly (no task of its own): a cancelled caller cancels the run.
        return await _drive(scheduler, cancel)

    async def execute_batch(
        self,
        workflow: Workflow | Pipeline | CompiledWorkflow,
        iterator_configs: Sequence[IteratorConfig | Mapping[str, Any]],
        *,
        mode: Literal["zip", "product"] = "zip",
        max_parallel: int = 4,
        batch_id: str | None = None,
        **kwargs: Any,
    ) -> Batch:
        """One execution per combination of the iterator configs (see :mod:`.batch`)."""
        from pipeflow_nb.engine.batch import run_batch

        return await run_batch(
            self,
            workflow,
            iterator_configs,
            mode=mode,
            max_parallel=max_parallel,
            batch_id=batch_id,
            **kwargs,
        )


async def _drive(scheduler: Scheduler, cancel: asyncio.Event | threading.Event | None) -> Execution:
    if cancel is None:
        return await scheduler.run()
    loop = asyncio.get_running_loop()
    watcher: asyncio.Task[Any] | asyncio.TimerHandle
    if isinstance(cancel, asyncio.Event):

        async def watch() -> None:
            await cancel.wait()
            scheduler.cancel()

        watcher = loop.create_task(watch())
    else:

        def poll() -> None:
            nonlocal watcher
            if cancel.is_set():
                scheduler.cancel()
            else:
                watcher = loop.call_later(0.02, poll)

        watcher = loop.call_later(0, poll)
    try:
        return await scheduler.run()
    finally:
        watcher.cancel()


def _as_workflow(workflow: Workflow | Pipeline | CompiledWorkflow) -> Workflow:
    if isinstance(workflow, CompiledWorkflow):
        return workflow.workflow
    if isinstance(workflow, Workflow):
        return workflow
    to_workflow = getattr(workflow, "to_workflow", None)
    if to_workflow is None:
        raise TypeError(f"expected a Workflow or Pipeline, got {type(workflow).__name__}")
    result = to_workflow()
    assert isinstance(result, Workflow)
    return result


_shared: weakref.WeakKeyDictionary[NodeRegistry, Engine] = weakref.WeakKeyDictionary()
_shared_lock = threading.Lock()


def shared_engine(registry: NodeRegistry | None = None) -> Engine:
    """The engine ``Pipeline.run`` uses for a registry (created on first use), so runs
    of pipelines on the same registry share one cache."""
    registry = registry if registry is not None else default_registry()
    with _shared_lock:
        engine = _shared.get(registry)
        if engine is None:
            engine = Engine(registry)
            _shared[registry] = engine
        return engine
