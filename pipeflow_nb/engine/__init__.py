"""The execution engine: async scheduling, events, caching, batches and Dask scale-out.

:class:`Engine` runs a :class:`~pipeflow_nb.models.workflow.Workflow` (or a
:class:`~pipeflow_nb.pipeline.Pipeline`) and returns an
:class:`~pipeflow_nb.models.execution.Execution`; :meth:`Engine.start` gives an
:class:`ExecutionHandle` to stream events from and cancel. ``pipeflow_nb.engine.dask``
(imported on demand) runs the same work on a ``dask.distributed`` cluster.
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
