"""The execution engine: async scheduling, events, caching, batches and Dask scale-out.

:class:`Engine` runs a :class:`~pipeflow_nb.models.workflow.Workflow` (or a
:class:`~pipeflow_nb.pipeline.Pipeline`) and returns an
:class:`~pipeflow_nb.models.execution.Execution`; :meth:`Engine.start` gives an
:class:`ExecutionHandle` to stream events from and cancel. ``pipeflow_nb.engine.dask``
(imported on demand) runs the same work on a ``dask.distributed`` cluster.

Modules: ``executor`` (Engine, handles), ``scheduler`` (one execution: ready set, limits,
failure policy, cancellation), ``workers`` (engine-wide threads for sync nodes),
``slots`` (engine-wide concurrency limits), ``plan`` (compiling and preparing a
workflow), ``runstate`` (node states and the Execution report), ``events`` (observer
fan-out and async iteration), ``outputs`` (NodeOutput and artifacts), ``cache`` and
``lookup`` (cache keys, stores, rerun reasons), ``batch`` (iterator configs),
``blocking`` (sync entry points in scripts and kernels), ``dask`` (scale-out).
"""

from __future__ import annotations

from pipeflow_nb.engine.cache import Cache, RerunReason
from pipeflow_nb.engine.executor import Engine, ExecutionHandle, new_execution_id
from pipeflow_nb.engine.outputs import to_node_output

__all__ = [
    "Cache",
    "Engine",
    "ExecutionHandle",
    "RerunReason",
    "new_execution_id",
    "to_node_output",
]
