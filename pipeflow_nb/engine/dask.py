"""Scale-out on a ``dask.distributed`` cluster: whole runs, or single heavy nodes.

>>> runner = DaskRunner(engine, "tcp://scheduler:8786")      # or a distributed.Client
>>> batch = await runner.execute_batch(workflow, [{"nodeId": "brief", "values": briefs}])

Each run executes on a worker with the same engine code, so statuses, outputs, errors and
events are exactly those of a local run; the events of a run reach the local observers
when that run finishes (in their original order). The graph and params are validated
locally first, so bad input fails before anything is sent. Workers write media into the
same artifact store path and share its disk cache (a shared file system, as on one
machine or a cluster with a shared volume); media come back as bytes either way.

``runner.offload(*node_types)`` makes the engine send just those node types' calls to
the cluster (for GIL-bound or memory-hungry nodes), keeping the rest of the run local.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pipeflow_nb.engine.batch import _param_of, combinations, parse_configs
from pipeflow_nb.engine.events import Observer
from pipeflow_nb.engine.executor import Engine, new_execution_id
from pipeflow_nb.engine.outputs import stored_media
from pipeflow_nb.models.execution import Batch, Execution, IteratorConfig
from pipeflow_nb.models.workflow import Workflow

if TYPE_CHECKING:
    from distributed import Client

    from pipeflow_nb.engine.plan import CompiledWorkflow
    from pipeflow_nb.pipeline import Pipeline

__all__ = ["DaskRunner"]

_WORKER_ENGINES: dict[tuple[str, str, bool], tuple[Engine, dict[str, Workflow]]] = {}
_WORKER_LOCK = threading.Lock()


def _worker_engine(token: str, blob: bytes, artifacts_root: str, cached: bool) -> Engine:
    import pickle

    from pipeflow_nb.artifacts import ArtifactStore
    from pipeflow_nb.nodes.registry import NodeRegistry

    with _WORKER_LOCK:
        found = _WORKER_ENGINES.get((token, artifacts_root, cached))
        if found is None:
            registry = NodeRegistry(pickle.loads(blob))
            store = ArtifactStore(artifacts_root)
            engine = Engine(registry, artifacts=store, cache=None if cached else False)
            found = (engine, {})
            _WORKER_ENGINES[(token, artifacts_root, cached)] = found
        return found[0]


def _remote_execute(
    token: str,
    blob: bytes,
    artifacts_root: str,
    cached: bool,
    workflow_json: str,
    kwargs: dict[str, Any],
) -> tuple[Execution, list[Any]]:
    """Run one execution on a worker; returns it with its events."""
    engine = _worker_engine(token, blob, artifacts_root, cached)
    workflows = _WORKER_ENGINES[(token, artifacts_root, cached)][1]
    with _WORKER_LOCK:
        workflow = workflows.get(workflow_json)
        if workflow is None:
            workflow = Workflow.model_validate_json(workflow_json)
            workflows.clear()  # keep one parsed workflow per engine
            workflows[workflow_json] = workflow
    events: list[Any] = []
    execution = asyncio.run(engine.execute(workflow, observers=[events.append], **kwargs))
    return execution, events


class DaskRunner:
    """Runs an :class:`Engine`'s work on a Dask cluster given by address or ``Client``."""

    def __init__(self, engine: Engine, cluster: str | Client):
        import distributed

        self.engine = engine
        if isinstance(cluster, str):
            make_client: Any = distributed.Client
            self.client: Any = make_client(cluster, set_as_default=False)
            self._owns_client = True
        else:
            self.client = cluster
            self._owns_client = False

    def __repr__(self) -> str:
        return f"DaskRunner({self.client.scheduler.address!r})"

    def close(self) -> None:
        """Close the client if this runner opened it."""
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> DaskRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- shipping the node types -----------------------------------------------------------
    def _package(self, workflow: Workflow) -> tuple[str, bytes]:
        import cloudpickle  # type: ignore[import-untyped]

        types = sorted({n.node_type for n in workflow.nodes})
        definitions = [self.engine.registry.get(t) for t in types]
        blob = cloudpickle.dumps(definitions)
        return hashlib.sha256(blob).hexdigest(), blob

    # --- whole runs ------------------------------------------------------------------------
    async def execute(
        self,
        workflow: Workflow | Pipeline | CompiledWorkflow,
        *,
        observers: Sequence[Observer] = (),
        **kwargs: Any,
    ) -> Execution:
        """One execution on a worker; same arguments and result as :meth:`Engine.execute`."""
        compiled = self.engine.compile(workflow)
        compiled.prepare(
            inputs=kwargs.get("inputs"),
            overrides=kwargs.get("overrides"),
            target_node_id=kwargs.get("target_node_id"),
            artifacts=self.engine.artifacts,
        )
        kwargs.setdefault("execution_id", new_execution_id())
        results = await self._submit(compiled.workflow, [kwargs], observers)
        return results[0]

    async def execute_batch(
        self,
        workflow: Workflow | Pipeline | CompiledWorkflow,
        iterator_configs: Sequence[IteratorConfig | Mapping[str, Any]],
        *,
        mode: Literal["zip", "product"] = "zip",
        batch_id: str | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        workflow_id: str | None = None,
        observers: Sequence[Observer] = (),
        **kwargs: Any,
    ) -> Batch:
        """A batch spread over the workers; same result as :meth:`Engine.execute_batch`."""
        kwargs.pop("max_parallel", None)  # the cluster's worker slots bound the parallelism
        compiled = self.engine.compile(workflow)
        wf = compiled.workflow
        configs = parse_configs(iterator_configs)
        params = [_param_of(self.engine, wf, c) for c in configs]
        configs = [c.model_copy(update={"param": p}) for c, p in zip(configs, params, strict=True)]
        combos = combinations(configs, mode)
        batch_id = batch_id or str(uuid.uuid4())
        runs_kwargs = []
        for index, values in enumerate(combos):
            merged = {k: dict(v) for k, v in (overrides or {}).items()}
            for config, param, value in zip(configs, params, values, strict=True):
                merged.setdefault(config.node_id, {})[param] = value
            compiled.prepare(overrides=merged, artifacts=self.engine.artifacts)
            runs_kwargs.append(
                {
                    **kwargs,
                    "overrides": merged,
                    "batch_id": batch_id,
                    "workflow_id": workflow_id,
                    "input_index": index,
                    "run_index_in_batch": index,
                    "execution_id": new_execution_id(),
                }
            )
        runs = await self._submit(wf, runs_kwargs, observers, keep_media_in_memory=False)
        labels = [f"{c.node_id}.{p}" for c, p in zip(configs, params, strict=True)]
        return Batch(
            id=batch_id,
            workflow_id=workflow_id or wf.id,
            mode=mode,
            runs=runs,
            combinations=[dict(zip(labels, values, strict=True)) for values in combos],
        )

    async def _submit(
        self,
        workflow: Workflow,
        runs_kwargs: list[dict[str, Any]],
        observers: Sequence[Observer],
        *,
        keep_media_in_memory: bool = True,
    ) -> list[Execution]:
        token, blob = self._package(workflow)
        workflow_json = workflow.to_json(indent=None)
        root = str(self.engine.artifacts.root)
        cached = self.engine.cache is not None

        def submit_all() -> list[Any]:
            blob_future = self.client.scatter(blob, broadcast=True, hash=False)
            return [
                self.client.submit(
                    _remote_execute,
                    token,
                    blob_future,
                    root,
                    cached,
                    workflow_json,
                    run_kwargs,
                    pure=False,
                    key=f"pipeflow-{run_kwargs['execution_id']}",
                )
                for run_kwargs in runs_kwargs
            ]

        futures = await asyncio.to_thread(submit_all)
        loop = asyncio.get_running_loop()
        index_of = {f.key: i for i, f in enumerate(futures)}
        results: list[Execution | None] = [None] * len(futures)
        done = loop.create_future()
        remaining = [len(futures)]

        def arrived(index: int, execution: Execution, events: list[Any]) -> None:
            if not keep_media_in_memory:
                execution = _offload_media(execution, self.engine)
            results[index] = execution
            for event in events:
                for observer in observers:
                    observer(event)
            remaining[0] -= 1
            if remaining[0] == 0 and not done.done():
                done.set_result(None)

        def failed(exc: BaseException) -> None:
            if not done.done():
                done.set_exception(exc)

        def collect() -> None:
            import distributed

            as_completed: Any = distributed.as_completed
            try:
                for future in as_completed(futures, loop=self.client.loop):
                    execution, events = future.result()
                    loop.call_soon_threadsafe(arrived, index_of[future.key], execution, events)
            except BaseException as exc:
                loop.call_soon_threadsafe(failed, exc)

        thread = threading.Thread(target=collect, name="pipeflow-dask-collect", daemon=True)
        thread.start()
        try:
            await done
        except asyncio.CancelledError:
            self.client.cancel(futures)
            raise
        finally:
            await asyncio.to_thread(thread.join)
        return [r for r in results if r is not None]

    # --- single nodes ----------------------------------------------------------------------
    def offload(self, *node_types: str) -> None:
        """Run calls of these node types on the cluster from now on (others stay local)."""
        for node_type in node_types:
            self.engine.registry.get(node_type)  # fail now, naming an unknown type
        self.engine.set_offload(set(node_types), self._call)

    def _call(self, func: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        """Run ``func(**kwargs)`` on a worker and wait for its result (blocking)."""
        return self.client.submit(func, pure=False, **kwargs).result()


def _offload_media(execution: Execution, engine: Engine) -> Execution:
    outputs = {
        node_id: stored_media(values, engine.artifacts)
        for node_id, values in execution.outputs.items()
    }
    return execution.model_copy(update={"outputs": outputs})
